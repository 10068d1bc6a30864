"""What an agronomist typed in the Diagnose page's save forms, kept while another page
is open (the Assistant, from "Ask the assistant about this") and on coming back."""

from __future__ import annotations

import streamlit as st

DETAIL_KEY_PREFIXES = (
    "field-",
    "plot-",
    "notes-",
    "confirm-",
    "basis-",
    "lat-",
    "lon-",
    "severity-",
)
"""The keys of ``case_detail_inputs``' widgets start so (then the photo's key)."""
ASK_FORM_KEY_PREFIX = "ask-form-"
"""The key of a save form's "Ask the assistant about this" button starts so."""
LAST_PAGE_KEY = "page_of_the_last_run"


def keep_typed_details_across_pages(page: str, form_page: str) -> None:
    """In the router, for a run of ``page``: keep what was typed in the save forms of
    ``form_page`` (Diagnose) on every run of another page, on the first run back on it,
    and on a run of it that leaves for the Assistant; not on its other runs, where
    setting the values again would set back what was typed in a form and not yet
    submitted."""
    arriving = st.session_state.get(LAST_PAGE_KEY) != page
    st.session_state[LAST_PAGE_KEY] = page
    if page != form_page or arriving or asking_the_assistant():
        keep_typed_details()


def asking_the_assistant() -> bool:
    """Whether this run comes from a save form's "Ask the assistant about this"."""
    return any(
        str(key).startswith(ASK_FORM_KEY_PREFIX) and value is True
        for key, value in st.session_state.items()
    )


def keep_typed_details() -> None:
    """Keep the save forms' values through a run that does not draw them.

    Streamlit drops a widget's value when a run does not draw the widget; a value set
    through the session state is kept. So they are set to themselves (Streamlit's
    documented way to keep widgets across pages), by the router:
    :func:`keep_typed_details_across_pages`.
    """
    for key in [key for key in st.session_state if str(key).startswith(DETAIL_KEY_PREFIXES)]:
        st.session_state[key] = st.session_state[key]
