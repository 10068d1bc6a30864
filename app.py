"""Potato leaf diagnosis: the Streamlit entry point (a router only)."""

import streamlit as st

from potato_disease.ui.access import go_on_to_the_page_asked_for, mark_routed, require_password
from potato_disease.ui.guard import run_guarded
from potato_disease.ui.reviewer import reviewer_name_input
from potato_disease.ui.typed_details import keep_typed_details_across_pages

DIAGNOSE = "Diagnose"

st.set_page_config(page_title="Potato leaf diagnosis", page_icon="🥔", layout="wide")
require_password()
mark_routed()

navigation = st.navigation(
    [
        st.Page("pages/diagnose.py", title=DIAGNOSE, icon=":material/biotech:", default=True),
        st.Page("pages/assistant.py", title="Assistant", icon=":material/chat:"),
        st.Page("pages/history.py", title="History", icon=":material/history:"),
        st.Page("pages/about.py", title="About", icon=":material/info:"),
    ]
)
go_on_to_the_page_asked_for()
keep_typed_details_across_pages(navigation.title, DIAGNOSE)  # typed, kept through visits
reviewer_name_input()
run_guarded(navigation.run)
