"""The password screen shown before anything else when APP_PASSWORD is set."""

from __future__ import annotations

import streamlit as st

from potato_disease.access import is_granted, try_password
from potato_disease.config import get_settings


def require_password() -> None:
    """Stop the run behind a password form unless access is granted."""
    password = get_settings().app_password
    if is_granted(password, st.session_state):
        return
    st.title("Potato leaf diagnosis")
    with st.form("access"):
        attempt = st.text_input("Password", type="password")
        submitted = st.form_submit_button("Enter")
    if submitted:
        result = try_password(attempt, password, st.session_state)
        if result.granted:
            st.rerun()
        st.error(result.message)
    st.stop()
