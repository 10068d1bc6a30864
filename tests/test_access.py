"""Password access: constant-time check, per-session lockout, and the app's gate."""

from __future__ import annotations

import pytest

from potato_disease import access
from tests.conftest import ROOT


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_right_password_grants_access() -> None:
    state: dict = {}
    assert access.try_password("s3cret", "s3cret", state).granted
    assert access.is_granted("s3cret", state)


def test_no_password_configured_means_open() -> None:
    assert access.is_granted(None, {})


def test_lockout_after_repeated_failures_then_release() -> None:
    state: dict = {}
    clock = Clock()
    for _ in range(access.MAX_FAILURES - 1):
        result = access.try_password("wrong", "s3cret", state, clock)
        assert not result.granted and "left" in result.message
    assert "Too many" in access.try_password("wrong", "s3cret", state, clock).message
    # Locked: even the right password is refused until the lockout ends.
    assert not access.try_password("s3cret", "s3cret", state, clock).granted
    clock.now += access.LOCKOUT_SECONDS + 1
    assert access.try_password("s3cret", "s3cret", state, clock).granted


@pytest.mark.parametrize(("attempt", "expected"), [("abc", True), ("abd", False), ("", False)])
def test_password_matches(attempt: str, expected: bool) -> None:
    assert access.password_matches(attempt, "abc") is expected


def test_app_asks_for_the_password_first(monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.testing.v1 import AppTest

    from potato_disease.config import get_settings

    monkeypatch.setenv("APP_PASSWORD", "field-day")
    get_settings.cache_clear()
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
        assert not at.exception
        assert at.text_input[0].label == "Password"
        at.text_input[0].input("nope")
        at.button[0].click().run()
        assert "Wrong password" in at.error[0].value
        at.text_input[0].input("field-day")
        at.button[0].click().run()
        assert not at.exception
        assert at.title[0].value == "Diagnose a potato leaf"
    finally:
        get_settings.cache_clear()


TITLES = {
    "history": "History",
    "about": "About this app",
    "assistant": "Ask the assistant",
    "diagnose": "Diagnose a potato leaf",
}


@pytest.mark.parametrize("page", list(TITLES))
def test_a_page_opened_by_its_address_first_still_asks_for_the_password(
    monkeypatch: pytest.MonkeyPatch, page: str
) -> None:
    """As on a new server before any session has run the router: Streamlit then runs a
    ``pages/`` script on its own (AppTest starts every run that way)."""
    from streamlit.testing.v1 import AppTest

    from potato_disease.config import get_settings

    monkeypatch.setenv("APP_PASSWORD", "field-day")
    get_settings.cache_clear()
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception
        assert [t.label for t in at.text_input] == ["Password"]
        assert [t.value for t in at.title] == ["Potato leaf diagnosis"]
        at.switch_page("app.py")  # where the browser now is, as the router sent it there
        at.text_input[0].input("field-day")
        at.button[0].click().run()
        assert not at.exception
        assert at.title[0].value == TITLES[page]  # then on to the page asked for
    finally:
        get_settings.cache_clear()
