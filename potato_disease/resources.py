"""The heavy objects the app shares between sessions, each created once per process."""

from __future__ import annotations

import streamlit as st

from potato_disease.config import get_settings
from potato_disease.diagnosis import Diagnoser


@st.cache_resource(show_spinner="Loading the diagnosis model…")
def get_diagnoser() -> Diagnoser:
    """The process-wide diagnoser (thread-safe: it locks around its interpreter)."""
    settings = get_settings()
    return Diagnoser(settings.model_dir, settings.inference_threads)
