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
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GEMINI_", "APP_PASSWORD"))}
    env |= {"DATABASE_URL": ""} | settings
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],  # the code under test does not change
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        else:
            raise RuntimeError("streamlit did not become healthy within 60 s")
        yield url, server.pid
    finally:
        server.terminate()
        server.wait(timeout=30)


def wait_for_the_photo_shrinker(page: object) -> None:
    """Wait until the Diagnose page's photo shrinker listens (potato_disease/ui/
    photo_shrinking.js): photos chosen from then on are made smaller before sending."""
    page.locator(".status[data-listening]").wait_for(state="attached")
