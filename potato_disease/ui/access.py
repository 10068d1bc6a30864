"""The password screen shown before anything else when APP_PASSWORD is set."""

from __future__ import annotations

import logging

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from potato_disease.access import (
    FailureLedger,
    client_address,
    is_granted,
    sent_in_plain_text,
    try_password,
)
from potato_disease.config import get_settings

logger = logging.getLogger(__name__)


@st.cache_resource
def failure_ledger() -> FailureLedger:
    """The wrong passwords per client address, shared by every session of this process."""
    return FailureLedger()


def text_or_none(value: object) -> str | None:
    """``value`` when it is text (a test harness's stand-in context is not), else None."""
    return value if isinstance(value, str) else None


def this_client() -> str:
    """The address of the browser this session talks to, as far as the proxies tell."""
    return client_address(
        text_or_none(st.context.headers.get("X-Forwarded-For")),
        text_or_none(st.context.ip_address),
        get_settings().trusted_proxy_hops,
    )


def forwarded_proto() -> str | None:
    """The protocol the load balancer says the browser used, if there is one in front."""
    return text_or_none(st.context.headers.get("X-Forwarded-Proto"))


def require_password() -> None:
    """Stop the run behind a password form unless access is granted."""
    password = get_settings().app_password
    if is_granted(password, st.session_state):
        return
    st.title("Potato leaf diagnosis")
    if sent_in_plain_text(forwarded_proto()):
        st.warning(
            "This connection is not encrypted: the password and what you enter cross the "
            "network readable. Ask whoever runs this app to turn on HTTPS.",
            icon=":material/lock_open:",
        )
    with st.form("access"):
        attempt = st.text_input("Password", type="password")
        submitted = st.form_submit_button("Enter")
    if submitted:
        ledger, address = failure_ledger(), this_client()
        result = try_password(attempt, password, st.session_state, ledger=ledger, address=address)
        if result.granted:
            st.rerun()
        if ledger.seconds_locked(address) > 0:
            logger.warning("Wrong passwords: %s is shut out for a while", address)
        st.error(result.message)
    st.stop()


ROUTED_KEY = "came_through_router"  # set once this session has passed the router
PAGE_ASKED_FOR_KEY = "page_asked_for"  # a page opened by its address, before the router


def mark_routed() -> None:
    """Note that this session has come through the router (and its password)."""
    st.session_state[ROUTED_KEY] = True


def through_the_router(page: str) -> None:
    """Send a run of ``page`` (its script, as the router names it) that skipped the
    router in ``app.py`` to the router, so the password and the error guard come first;
    the router goes on to the page afterwards.

    The user's layout keeps the page scripts in ``pages/``, which Streamlit also knows as
    its older multipage mode. Until some session has run the router (which switches that
    mode off), a new server runs a ``pages/`` script on its own when its address is the
    first one asked for: ``/history`` would open without the password. A session that
    has come through the router already is let be.
    """
    if PagesManager.uses_pages_directory and not st.session_state.get(ROUTED_KEY):
        st.session_state[PAGE_ASKED_FOR_KEY] = page
        st.switch_page("app.py")


def go_on_to_the_page_asked_for() -> None:
    """In the router, once its pages are known: open the page that was asked for by its
    address before the router had run, if any."""
    page = st.session_state.pop(PAGE_ASKED_FOR_KEY, None)
    if page is not None:
        st.switch_page(page)
