"""Unforeseen page errors: a plain message with a reference, the traceback only in the log."""

from __future__ import annotations

import logging
import re
import tomllib

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT


def failing_page() -> None:
    import streamlit as st

    from potato_disease.ui.guard import run_guarded

    def page() -> None:
        st.write("before the failure")
        raise KeyError("internal detail")

    run_guarded(page)


def stopping_page() -> None:
    import streamlit as st

    from potato_disease.ui.guard import run_guarded

    def page() -> None:
        st.write("shown")
        st.stop()

    run_guarded(page)
    st.write("after the page")


def test_an_unforeseen_error_is_shown_plainly_and_logged_with_its_reference(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR, logger="potato_disease.ui.guard"):
        at = AppTest.from_function(failing_page).run()
    assert not at.exception
    message = at.error[0].value
    assert "Something went wrong on our side" in message
    assert "internal detail" not in message and "Traceback" not in message
    reference = re.search(r"reference: ([0-9a-f]{8})", message).group(1)
    logged = [r for r in caplog.records if reference in r.getMessage()]
    assert logged and logged[0].exc_info[0] is KeyError


def test_streamlit_stop_passes_through_the_guard() -> None:
    at = AppTest.from_function(stopping_page).run()
    assert not at.exception and not at.error
    assert [m.value for m in at.markdown] == ["shown"]


def test_the_browser_never_gets_error_details_or_the_developer_menu() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] == "none"
    assert config["client"]["toolbarMode"] == "viewer"
