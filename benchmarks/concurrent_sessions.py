"""What one app process holds and how long people wait when several diagnose at once;
prints the figures.

Starts ``streamlit run app.py`` (a fresh SQLite history, weather off) and drives Debian's
Chromium through Playwright: for each number of sessions, that many browser sessions each
upload ``--photos`` phone-sized JPEGs (real leaf photos from the data folder, enlarged to
``--side`` px with a little noise so they compress like phone photos) at the same moment,
and each waits for its answers. The page makes them smaller before sending, as it does
on a phone, unless ``--as-taken`` (what a browser that cannot sends: HEIC photos, browsers
without ``createImageBitmap``). It prints, per level, the seconds from upload to the last
answer on each page, and the server process's resident memory (Linux ``/proc``): before,
its peak while diagnosing, with the sessions open, and after they closed.

The browsers run on the same 2 cores as the server, so the waits are an upper bound for
the server alone; the memory figures are the server's only.

Usage: ``python benchmarks/concurrent_sessions.py [--sessions 1 4 8] [--photos 3] [--as-taken]``
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e.browser import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_FLAGS,
    serving_app,
    wait_for_the_photo_shrinker,
)

ANSWER_TIMEOUT_MS = 600_000
MIB = 1024 * 1024


def phone_sized_photos(count: int, side: int, folder: Path, seed: int = 0) -> list[Path]:
    """``count`` field leaf photos enlarged to ``side`` px (4:3), with sensor-like noise,
    saved as JPEG quality 90 in ``folder``."""
    from potato_disease.config import get_settings

    leaves = sorted((get_settings().data_dir / "field-java" / "late_blight").glob("*.jpg"))
    if not leaves:
        sys.exit("No field photos found: set POTATO_DATA_DIR to the potato-leaves folder.")
    rng = np.random.default_rng(seed)
    paths = []
    for index, leaf in enumerate(leaves[:count]):
        with Image.open(leaf) as photo:
            big = photo.convert("RGB").resize((side, side * 3 // 4), Image.Resampling.BICUBIC)
        noisy = np.asarray(big, dtype=np.int16) + rng.normal(0, 4, (side * 3 // 4, side, 3))
        path = folder / f"phone-{index}.jpg"
        Image.fromarray(noisy.clip(0, 255).astype(np.uint8)).save(path, quality=90)
        paths.append(path)
    return paths


def resident_mib(pid: int) -> tuple[float, float]:
    """The process's resident memory now and its peak since the last reset, in MiB."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def reset_peak(pid: int) -> None:
    """Start the process's peak resident memory again from now (Linux 4.0 and later)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


@contextmanager
def running_app(app_data: Path) -> Iterator[tuple[str, int]]:
    """The app with its history under ``app_data`` and weather off: its URL and pid."""
    settings = {"APP_DATA_DIR": str(app_data), "WEATHER_URL": ""}
    with serving_app(subprocess.DEVNULL, **settings) as (url, pid):
        yield url, pid


CANNOT_SHRINK = "window.createImageBitmap = undefined;"
"""Run in a page first, this makes it a browser that cannot make photos smaller."""


def diagnose_at_once(
    browser: object, url: str, photos: list[Path], sessions: int, as_taken: bool = False
) -> list[float]:
    """``sessions`` browser sessions upload ``photos`` together (made smaller before
    sending unless ``as_taken``); each one's seconds from the uploads to its last answer.
    The sessions are left open (closed by the caller)."""
    pages = []
    for _ in range(sessions):
        page = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
        page.set_default_timeout(ANSWER_TIMEOUT_MS)
        if as_taken:
            page.add_init_script(CANNOT_SHRINK)
        page.goto(url)
        page.get_by_text("Diagnose a potato leaf").wait_for()
        if not as_taken:
            wait_for_the_photo_shrinker(page)
        pages.append(page)
    started = time.perf_counter()
    for page in pages:
        page.locator("input[type=file]").first.set_input_files([str(p) for p in photos])
    waits = []
    for page in pages:  # a page that finished earlier is found finished at once
        page.get_by_role("button", name="Save to history").nth(len(photos) - 1).wait_for()
        waits.append(time.perf_counter() - started)
    if not as_taken:  # what the browser says it sent: "30 photos made smaller …: 57 MB → …"
        print(f"  {pages[0].locator('.status').text_content()}")
    return waits


def close_sessions(browser: object) -> None:
    """Close every browser session: the server sees their websockets go."""
    for context in browser.contexts:
        context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--photos", type=int, default=3, help="photos each session uploads")
    parser.add_argument("--side", type=int, default=4000, help="photo width in pixels")
    parser.add_argument("--settle", type=float, default=5, help="seconds after the sessions close")
    parser.add_argument(
        "--as-taken", action="store_true", help="send the photos as taken, not made smaller"
    )
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        photos = phone_sized_photos(args.photos, args.side, folder)
        megabytes = sum(p.stat().st_size for p in photos) / len(photos) / 1e6
        sent = "as taken" if args.as_taken else "made smaller in the browser"
        print(
            f"{len(photos)} photos per session, {args.side} px wide, {megabytes:.1f} MB each,"
            f" sent {sent}"
        )
        with running_app(folder / "app-data") as (url, pid), sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            diagnose_at_once(browser, url, photos[:1], 1)  # loads the model: not timed
            close_sessions(browser)
            print(
                "sessions | wait to last answer, s (median / max) | server MiB: before / peak"
                f" / sessions open / closed ({args.settle:.0f} s later)"
            )
            for sessions in args.sessions:
                before, _ = resident_mib(pid)
                reset_peak(pid)
                waits = diagnose_at_once(browser, url, photos, sessions, args.as_taken)
                held, peak = resident_mib(pid)
                close_sessions(browser)
                time.sleep(args.settle)
                closed, _ = resident_mib(pid)
                print(
                    f"{sessions:8d} | {statistics.median(waits):6.1f} / {max(waits):6.1f}"
                    f"{'':21}| {before:5.0f} / {peak:5.0f} / {held:5.0f} / {closed:5.0f}"
                )
            browser.close()


if __name__ == "__main__":
    main()
