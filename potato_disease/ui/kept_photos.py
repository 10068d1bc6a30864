"""Photo files the Diagnose page keeps in the session: camera shots, and the uploads,
which Streamlit's uploader forgets when the user opens another page (the Assistant, from
"Ask the assistant about this") and comes back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import streamlit as st

from potato_disease.presentation import counted

UPLOADS_KEY = "kept_uploads"


class PhotoFile(Protocol):
    """What the page needs of a photo file: a Streamlit upload, or a kept one."""

    file_id: str
    name: str

    def getvalue(self) -> bytes: ...


@dataclass(frozen=True)
class KeptPhoto:
    """A photo file held in the session (what the page needs of an upload)."""

    file_id: str
    name: str
    data: bytes = field(repr=False)

    def getvalue(self) -> bytes:
        """The photo file's bytes, as the browser sent them."""
        return self.data


def keep_uploads(files: Sequence[PhotoFile]) -> None:
    """Hold on to the uploader's files (copied once per new set of files)."""
    kept: list[KeptPhoto] = st.session_state.get(UPLOADS_KEY, [])
    if [photo.file_id for photo in kept] != [photo.file_id for photo in files]:
        st.session_state[UPLOADS_KEY] = [
            KeptPhoto(photo.file_id, photo.name, photo.getvalue()) for photo in files
        ]


def kept_uploads() -> list[KeptPhoto]:
    """The uploads held from an earlier visit to the page, if any."""
    return list(st.session_state.get(UPLOADS_KEY, []))


def forget_uploads() -> None:
    """Let the kept uploads go (the user changed the uploader, or cleared the page)."""
    st.session_state.pop(UPLOADS_KEY, None)


def uploads_kept_across_pages(uploaded: Sequence[PhotoFile] | None) -> list[PhotoFile]:
    """The uploader's files, held in the session; or, when it is empty after a visit to
    another page, the files held from before, said so, with a button to clear them."""
    if uploaded:
        keep_uploads(uploaded)
        return list(uploaded)
    kept = kept_uploads()
    if kept:
        note, clear = st.columns([3, 1])
        note.caption(
            f"{counted(len(kept), 'photo')} uploaded before you left this page, with what "
            "you typed for them: add photos above to diagnose others instead."
        )
        if clear.button("Clear them", icon=":material/delete:"):
            forget_uploads()
            st.rerun()
    return list(kept)
