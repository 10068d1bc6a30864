"""Password access: constant-time check, per-session and per-address lockouts, and the
app's gate."""

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


def test_new_sessions_from_one_address_are_shut_out_after_too_many_wrong_passwords() -> None:
    clock = Clock()
    ledger = access.FailureLedger(clock=clock)
    for _ in range(access.ADDRESS_MAX_FAILURES):  # a fresh session for every guess
        access.try_password("guess", "s3cret", {}, clock, ledger, "203.0.113.7")
    shut_out = access.try_password("s3cret", "s3cret", {}, clock, ledger, "203.0.113.7")
    assert not shut_out.granted and shut_out.message.startswith("Too many wrong passwords")
    assert "15 min" in shut_out.message
    other = access.try_password("s3cret", "s3cret", {}, clock, ledger, "198.51.100.2")
    assert other.granted  # another address is not shut out
    clock.now += access.ADDRESS_WINDOW_SECONDS - 60
    assert (
        "1 min" in access.try_password("s3cret", "s3cret", {}, clock, ledger, "203.0.113.7").message
    )
    clock.now += 61  # the window has passed over the guesses
    assert access.try_password("s3cret", "s3cret", {}, clock, ledger, "203.0.113.7").granted


def test_failures_older_than_the_window_do_not_count() -> None:
    clock = Clock()
    ledger = access.FailureLedger(max_failures=3, window_seconds=100, clock=clock)
    for _ in range(2):
        ledger.record_failure("a")
    clock.now += 101
    ledger.record_failure("a")
    assert ledger.seconds_locked("a") == 0
    ledger.record_failure("a")
    ledger.record_failure("a")
    assert ledger.seconds_locked("a") == pytest.approx(100)


def test_the_ledger_drops_quiet_addresses_when_it_holds_too_many(monkeypatch) -> None:
    monkeypatch.setattr(access, "MAX_ADDRESSES_TRACKED", 3)
    clock = Clock()
    ledger = access.FailureLedger(max_failures=2, window_seconds=100, clock=clock)
    for address in ("a", "b", "c"):
        ledger.record_failure(address)
    clock.now += 101
    ledger.record_failure("d")  # a, b and c have no failure left in the window
    ledger.record_failure("d")
    assert ledger.seconds_locked("d") > 0
    assert len(ledger._failures) == 1


@pytest.mark.parametrize(
    ("forwarded_for", "peer", "hops", "expected"),
    [
        ("203.0.113.7, 10.0.1.20", "172.17.0.1", 2, "203.0.113.7"),  # load balancer, nginx
        ("6.6.6.6, 203.0.113.7, 10.0.1.20", "172.17.0.1", 2, "203.0.113.7"),  # forged first
        ("203.0.113.7", "172.17.0.1", 2, "172.17.0.1"),  # fewer proxies than configured
        ("6.6.6.6", "192.0.2.1", 0, "192.0.2.1"),  # no proxy: the header is the client's
        (None, None, 0, access.UNKNOWN_ADDRESS),
    ],
)
def test_the_client_address_is_the_one_the_trusted_proxies_saw(forwarded_for, peer, hops, expected):
    assert access.client_address(forwarded_for, peer, hops) == expected


@pytest.mark.slow  # 21 sessions of the app
def test_the_app_shuts_out_an_address_across_sessions(monkeypatch: pytest.MonkeyPatch) -> None:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from potato_disease.config import get_settings

    monkeypatch.setenv("APP_PASSWORD", "field-day")
    get_settings.cache_clear()
    st.cache_resource.clear()  # a fresh ledger
    try:
        for _ in range(access.ADDRESS_MAX_FAILURES // access.MAX_FAILURES):
            at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
            for _ in range(access.MAX_FAILURES):
                at.text_input[0].input("guess")
                at.button[0].click().run()
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()  # a new session
        at.text_input[0].input("field-day")
        at.button[0].click().run()
        assert not at.exception
        assert at.error[0].value.startswith("Too many wrong passwords")
        assert at.text_input[0].label == "Password"  # still at the gate
    finally:
        get_settings.cache_clear()
        st.cache_resource.clear()


@pytest.mark.parametrize(("attempt", "expected"), [("abc", True), ("abd", False), ("", False)])
def test_password_matches(attempt: str, expected: bool) -> None:
    assert access.password_matches(attempt, "abc") is expected


@pytest.mark.parametrize(
    ("forwarded_proto", "plain"),
    [("http", True), ("HTTP", True), ("http, https", True), ("https", False), (None, False)],
)
def test_plain_http_is_told_by_the_load_balancers_header(forwarded_proto, plain) -> None:
    assert access.sent_in_plain_text(forwarded_proto) is plain


@pytest.mark.parametrize(("forwarded_proto", "warned"), [("http", True), ("https", False)])
def test_the_password_screen_warns_when_the_connection_is_plain_http(
    monkeypatch: pytest.MonkeyPatch, forwarded_proto: str, warned: bool
) -> None:
    from streamlit.testing.v1 import AppTest

    from potato_disease.config import get_settings
    from potato_disease.ui import access as access_screen

    monkeypatch.setenv("APP_PASSWORD", "field-day")
    monkeypatch.setattr(access_screen, "forwarded_proto", lambda: forwarded_proto)
    get_settings.cache_clear()
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
        assert not at.exception
        warnings = [w.value for w in at.warning]
        assert any("connection is not encrypted" in w for w in warnings) is warned
    finally:
        get_settings.cache_clear()


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
