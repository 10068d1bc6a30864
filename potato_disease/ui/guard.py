"""A page error the code did not foresee: logged in full, told to the user in plain words."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

import streamlit as st

logger = logging.getLogger(__name__)

UNEXPECTED_ERROR = (
    "Something went wrong on our side and this page could not finish. Nothing saved in "
    "the history is lost. Reload the page to try again; if it happens again, give your "
    "administrator this reference: {reference}."
)


def run_guarded(page: Callable[[], object]) -> None:
    """Run a page; an unexpected exception is logged with its traceback and a reference,
    and the user sees only a plain message with that reference.

    Streamlit's own stop and rerun signals are not ``Exception``s and pass through.
    """
    try:
        page()
    except Exception:
        reference = uuid.uuid4().hex[:8]
        logger.exception("Unexpected error on a page (reference %s)", reference)
        st.error(UNEXPECTED_ERROR.format(reference=reference), icon=":material/error:")
