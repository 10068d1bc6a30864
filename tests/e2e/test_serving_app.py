"""The browser tests' app server starts on another port when its first is taken."""

from __future__ import annotations

import socket
import subprocess
import urllib.request

import pytest

from tests.e2e import browser

pytestmark = pytest.mark.slow


def test_a_port_taken_before_the_app_binds_it_is_given_up_for_another(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with socket.socket() as taken:  # another process's, between free_port() and the bind
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        ports = iter([taken.getsockname()[1]])
        real_free_port = browser.free_port
        monkeypatch.setattr(browser, "free_port", lambda: next(ports, None) or real_free_port())
        with browser.serving_app(subprocess.DEVNULL) as (url, _pid):
            assert not url.endswith(f":{taken.getsockname()[1]}")
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=5) as response:
                assert response.status == 200
