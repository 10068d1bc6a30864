"""The Diagnose page's camera: take a photo, keep it and take another, so that several
leaves of one plot can be photographed in the app and combined like uploaded photos."""

from __future__ import annotations

import streamlit as st

from potato_disease.presentation import counted
from potato_disease.ui.kept_photos import KeptPhoto

SHOTS_KEY = "camera_shots"
CAPTURE = "1080p"


def shot_name(number: int) -> str:
    """The name a camera photo is listed and saved under."""
    return f"camera-{number}.jpg"


def camera_photos() -> list[KeptPhoto]:
    """The camera with "Keep it and take another": the photos kept so far in this
    session, then the one on screen, if any."""
    kept: list[KeptPhoto] = st.session_state.setdefault(SHOTS_KEY, [])
    # A new key after each kept photo gives an empty camera for the next one.
    # Streamlit would capture at the widget's size on screen (324 x 243 on a phone), too
    # small for lesions; 1080 px high is a few hundred kilobytes, seconds on mobile data.
    taken = st.camera_input("Take a photo", key=f"camera-{len(kept)}", resolution=CAPTURE)
    current = (
        [KeptPhoto(taken.file_id, shot_name(len(kept) + 1), taken.getvalue())] if taken else []
    )
    left, right = st.columns(2)
    if current and left.button("Keep it and take another", icon=":material/add_a_photo:"):
        kept.extend(current)
        st.rerun()
    if kept:
        right.caption(f"{counted(len(kept), 'camera photo')} kept for diagnosis below.")
        if right.button("Discard the kept camera photos", icon=":material/delete:"):
            kept.clear()
            st.rerun()
    return [*kept, *current]
