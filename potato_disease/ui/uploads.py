"""Uploaded photos on the Diagnose page: decoded and diagnosed once each, and summarised."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import streamlit as st
from PIL import Image

from potato_disease import imaging
from potato_disease.combination import CombinedDiagnosis, combine
from potato_disease.diagnosis import Diagnoser, Diagnosis
from potato_disease.photo_quality import quality_warnings
from potato_disease.presentation import (
    combined_verdict,
    short_answer,
    summary_counts,
    summary_row,
)
from potato_disease.ui.diagnosis_view import ask_assistant_button, show_probabilities

CACHE_KEY = "diagnoses"


class UploadedPhoto(Protocol):
    """What the page needs of a Streamlit upload or camera photo."""

    file_id: str
    name: str

    def getvalue(self) -> bytes: ...


@dataclass(frozen=True)
class DiagnosedUpload:
    """One upload: a display copy and its diagnosis, or why it could not be read."""

    key: str
    name: str
    digest: str  # SHA-256 of the uploaded bytes: the same photo uploaded twice has one
    image: Image.Image | None = None
    diagnosis: Diagnosis | None = None
    warnings: list[str] = field(default_factory=list)
    error: str | None = None


def diagnose_uploads(
    photos: Sequence[UploadedPhoto],
    diagnoser: Diagnoser,
    on_progress: Callable[[int], None] = lambda done: None,
) -> list[DiagnosedUpload]:
    """Decode and diagnose every photo once per session, not again on every rerun of
    the page; photos no longer on the page are forgotten."""
    cache = st.session_state.setdefault(CACHE_KEY, {})
    for stale in set(cache) - {photo.file_id for photo in photos}:
        del cache[stale]
    for done, photo in enumerate(photos, start=1):
        if photo.file_id not in cache:
            cache[photo.file_id] = diagnose_upload(photo, diagnoser)
        on_progress(done)
    return [cache[photo.file_id] for photo in photos]


def diagnose_upload(photo: UploadedPhoto, diagnoser: Diagnoser) -> DiagnosedUpload:
    """One photo decoded and diagnosed; a display copy is kept, not the full-size decode."""
    data = photo.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    try:
        image = imaging.decode_image(data)
    except imaging.ImageError as error:
        return DiagnosedUpload(photo.file_id, photo.name, digest, error=str(error))
    return DiagnosedUpload(
        photo.file_id,
        photo.name,
        digest,
        imaging.display_copy(image),
        diagnoser.diagnose(image, with_heatmap=True),
        quality_warnings(image),
    )


def show_summary(uploads: list[DiagnosedUpload]) -> None:
    """For several photos: how many got each answer, and a table of them all."""
    st.subheader(f"{len(uploads)} photos")
    st.write(summary_counts([short_answer(u.diagnosis, u.warnings) for u in uploads]))
    st.dataframe([summary_row(u.name, u.diagnosis, u.warnings) for u in uploads], hide_index=True)


def show_combined(uploads: list[DiagnosedUpload]) -> CombinedDiagnosis | None:
    """One answer for photos of different leaves of one plot (identical uploads count
    once), with a link to the assistant; returns it, or None when nothing was combined."""
    readable = [upload for upload in uploads if upload.diagnosis is not None]
    distinct = list({upload.digest: upload for upload in readable}.values())
    combined = combine([upload.diagnosis for upload in distinct])
    said = combined_verdict(combined, duplicates=len(readable) - len(distinct))
    getattr(st, said.tone)(f"**Combined: {said.headline}**")
    st.write(said.detail)
    if combined is None:
        return None
    show_probabilities(combined.probabilities, "Probability of each answer, combined")
    shown = next(u for u in distinct if u.diagnosis.is_leaf and u.image is not None)
    ask_assistant_button("combined", combined, shown.image)
    return combined
