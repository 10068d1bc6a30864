"""Potato leaf diagnosis: the Streamlit entry point (a router only)."""

import streamlit as st

st.set_page_config(page_title="Potato leaf diagnosis", page_icon="🥔", layout="wide")

navigation = st.navigation(
    [
        st.Page("pages/diagnose.py", title="Diagnose", icon="🔬", default=True),
        st.Page("pages/about.py", title="About", icon="ℹ️"),
    ]
)
navigation.run()
