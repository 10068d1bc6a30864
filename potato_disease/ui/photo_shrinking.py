"""Large JPEG photos made smaller in the browser before the upload box sends them: on
slow mobile data a phone's 4 MB photo takes half a minute to send, and the server keeps
no more than 1,280 px of it anyway (the code and its reasons: ``photo_shrinking.js``)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

LONG_SIDE = 1600
"""Pixels on the longest side of a photo made smaller: above the 1,280 px the server
keeps, so that its own resampling makes the copy it shows and saves."""
JPEG_QUALITY = 0.9
MIN_BYTES = 800_000
"""Smaller JPEGs go as they are: at 1,600 px they would not shrink by much."""

SHRINKER_JS = Path(__file__).with_name("photo_shrinking.js").read_text(encoding="utf-8")


def shrink_photos_before_sending(uploader_key: str) -> None:
    """Make large JPEGs chosen in the file uploader keyed ``uploader_key`` smaller
    before they are sent, and say by how much, here. Not in a run without a Streamlit
    server (AppTest, bare mode): no browser would run it."""
    if not st.runtime.exists():
        return
    # Registered in each run (again, unchanged: no warning), in the server's registry.
    shrinker = st.components.v2.component(
        "photo_shrinker",
        html='<p class="status" aria-live="polite"></p>',
        css=".status { margin: 0; font-size: 0.875rem; }",
        js=SHRINKER_JS,
    )
    shrinker(
        key=f"shrink-{uploader_key}",
        data={
            "uploader_key": uploader_key,
            "long_side": LONG_SIDE,
            "quality": JPEG_QUALITY,
            "min_bytes": MIN_BYTES,
        },
    )
