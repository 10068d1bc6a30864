"""Debian's Chromium and the app's server, as the browser tests and the concurrency
benchmark drive them."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
    # A synthetic camera (a moving test pattern), allowed without asking.
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def serving_app(log: IO[str] | int, **settings: str) -> Iterator[tuple[str, int]]:
    """``streamlit run app.py`` on a free port, its output to ``log``, with no Gemini key
    or password unless ``settings`` (environment variables) give them: its URL, once
    healthy, and its process id. RuntimeError if it is not healthy within 60 s."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GEMINI_", "APP_PASSWORD"))}
    env |= {"DATABASE_URL": ""} | settings
    for _ in range(3):  # a port found free may be taken by another process before we bind it
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
             "--server.headless", "true", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none"],  # the code under test does not change
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            if _healthy(url, server, timeout_s=60):
                yield url, server.pid
                return
        finally:
            server.terminate()
            server.wait(timeout=30)
    raise RuntimeError("streamlit did not become healthy on any of 3 ports")


def _healthy(url: str, server: subprocess.Popen, timeout_s: float) -> bool:
    """Whether ``server`` answers its health check at ``url`` within ``timeout_s``: False
    if it exits first (say, its port was taken), RuntimeError if it is still starting
    then."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            return False  # what answers at ``url`` now, if anything, is not this server
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return server.poll() is None
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"streamlit did not become healthy within {timeout_s:g} s")


def wait_for_the_photo_shrinker(page: object) -> None:
    """Wait until the Diagnose page's photo shrinker listens (potato_disease/ui/
    photo_shrinking.js): photos chosen from then on are made smaller before sending."""
    page.locator(".status[data-listening]").wait_for(state="attached")
