"""What a browser downloads on a first visit to the Diagnose page, straight from
Streamlit and through the deployment's nginx (the Elastic Beanstalk Docker platform's
server block as published, ``tests/platform_nginx.py``), with and without this app's
``.platform/nginx/conf.d/elasticbeanstalk/static-files.conf``; prints the figures.

Starts ``streamlit run app.py`` and nginx in front of it, then opens the page in a new
Debian Chromium context (empty cache) each way, waits until the page has drawn and the
network is quiet, and adds up the bytes the page and every file it loaded took (the
browser's Resource Timing). A second visit in the same context shows what the cache
saves.

Usage: ``python benchmarks/page_weight.py``
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e.browser import CHROMIUM, CHROMIUM_FLAGS, serving_app  # noqa: E402
from tests.platform_nginx import platform_nginx  # noqa: E402

RESOURCES = """() => performance.getEntriesByType("navigation")
    .concat(performance.getEntriesByType("resource"))
    .map((e) => [e.name, e.transferSize, e.encodedBodySize, e.decodedBodySize])"""
"""Resource Timing of the page and of everything it loaded: bytes over the network
(headers included; 0 when the cache answered), the body as sent, and the body unpacked."""


def visit(context: object, url: str) -> list[tuple[str, int, int, int]]:
    """One visit to ``url`` in ``context``, until drawn and quiet: its Resource Timing."""
    page = context.new_page()
    page.goto(url, wait_until="networkidle")
    page.get_by_text("Diagnose a potato leaf").wait_for()
    page.wait_for_load_state("networkidle")
    entries = page.evaluate(RESOURCES)
    page.close()
    return entries


def report(name: str, entries: list[tuple[str, int, int, int]]) -> None:
    static = [entry for entry in entries if "/static/" in entry[0]]

    def megabytes(column: int, chosen: list[tuple[str, int, int, int]] = entries) -> str:
        return f"{sum(entry[column] for entry in chosen) / 1e6:.2f} MB"

    print(
        f"{name:<45} {megabytes(1)} over the network, {len(entries)} files "
        f"({megabytes(3)} unpacked; Streamlit's /static/ files: {megabytes(2, static)} "
        f"as sent, {megabytes(3, static)} unpacked)"
    )


OURS = ("static-files.conf",)
"""This app's nginx configuration that compresses Streamlit's files."""


def app_port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def main() -> None:
    from playwright.sync_api import sync_playwright

    with (
        tempfile.TemporaryDirectory() as folder,
        serving_app(subprocess.DEVNULL) as (app_url, _pid),
        platform_nginx(Path(folder) / "as-is", app_port(app_url), leave_out=OURS) as bare_url,
        platform_nginx(Path(folder) / "ours", app_port(app_url)) as nginx_url,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        for name, url in (
            ("straight from Streamlit", app_url),
            ("platform's nginx, without ours", bare_url),
            ("platform's nginx, with ours", nginx_url),
        ):
            context = browser.new_context()
            report(f"{name}, first visit", visit(context, url))
            report(f"{name}, second visit", visit(context, url))
            context.close()
        browser.close()


if __name__ == "__main__":
    main()
