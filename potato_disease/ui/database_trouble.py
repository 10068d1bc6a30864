"""What the pages do when the database fails: a plain message, and a log line that
names the error's kind only (no SQL, no user data)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import NoReturn

import streamlit as st

from potato_disease.database import DatabaseError

logger = logging.getLogger(__name__)

DATABASE_TROUBLE = (
    "The history cannot be reached right now. Please try again in a moment; "
    "if this keeps happening, tell whoever runs this app."
)


def stop_on_database_error(error: DatabaseError) -> NoReturn:
    """Log the error for the operator, show a plain message, end this run."""
    logger.error("History database error (%s)", type(error).__name__)  # no user data
    st.error(DATABASE_TROUBLE)
    st.stop()


def from_the_history(build: Callable[[], bytes | str]) -> Callable[[], bytes | str]:
    """``build`` as a download's deferred data: if the database fails meanwhile, the
    error is logged by its kind only (no SQL, no user data) and the download fails with
    :data:`DATABASE_TROUBLE` (Streamlit then says it could not make the file)."""

    def built() -> bytes | str:
        try:
            return build()
        except DatabaseError as error:
            logger.error("History download failed (%s)", type(error).__name__)
            raise RuntimeError(DATABASE_TROUBLE) from None

    return built
