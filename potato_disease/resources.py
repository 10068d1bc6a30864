"""The heavy objects the app shares between sessions, each created once per process."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import streamlit as st
from sqlalchemy import Engine

from potato_disease.aws import read_gemini_key, resolve_model_dir
from potato_disease.config import get_settings
from potato_disease.database import init_db, make_engine
from potato_disease.diagnosis import Diagnoser

if TYPE_CHECKING:
    from google import genai


@st.cache_resource(show_spinner="Loading the diagnosis model…")
def get_diagnoser() -> Diagnoser:
    """The process-wide diagnoser: S3 model if configured, else baked-in (thread-safe)."""
    settings = get_settings()
    return Diagnoser(resolve_model_dir(settings), settings.inference_threads)


@st.cache_resource(show_spinner=False, on_release=Engine.dispose)  # close pooled connections
def get_engine() -> Engine:
    """The process-wide database engine with its tables created (thread-safe: pooled)."""
    engine = make_engine(get_settings())
    try:
        init_db(engine)
    except Exception:
        engine.dispose()  # not cached on failure: the next page run tries again
        raise
    return engine


@st.cache_resource(show_spinner=False)
def get_gemini_client() -> genai.Client | None:
    """The process-wide Gemini client (thread-safe), or None when no API key is configured."""
    from potato_disease.assistant import make_gemini_client  # google-genai is slow to import

    settings = get_settings()
    return make_gemini_client(replace(settings, gemini_api_key=read_gemini_key(settings)))
