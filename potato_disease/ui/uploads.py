"""Uploaded photos on the Diagnose page: decoded and diagnosed once each, summarised,
and, for photos of one plot, combined and saved together."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import streamlit as st

from potato_disease import imaging
from potato_disease.combination import CombinedDiagnosis, combine
from potato_disease.config import get_settings
from potato_disease.diagnosis import Diagnoser, Diagnosis
from potato_disease.history import NewCase, file_sha256
from potato_disease.labels import DISEASE_LABELS, LATE_BLIGHT
from potato_disease.monitoring import record_diagnosis
from potato_disease.photo_exif import NOTHING_KNOWN, PhotoExif, centre, read_photo_exif
from potato_disease.photo_quality import quality_warnings
from potato_disease.presentation import (
    combined_verdict,
    counted,
    short_answer,
    summary_counts,
    summary_row,
)
from potato_disease.ui.diagnosis_view import (
    CaseTimePlace,
    ask_assistant_button,
    case_detail_inputs,
    case_for_assistant,
    open_assistant,
    photos_in_history,
    save_and_ask_buttons,
    saved_cases,
    show_advice,
    show_probabilities,
    show_saved,
    stored,
)
from potato_disease.ui.kept_photos import PhotoFile

CACHE_KEY = "diagnoses"
# A plot walk's worth. Each photo is kept (its upload, a display copy) for the session, and
# the page shows each one with its advice: more at once would crowd both.
MAX_PHOTOS_AT_ONCE = 30
# Decoding a large photo takes tens of megabytes for a moment: at most two at a time in the
# whole server, whatever the number of people diagnosing.
_DECODING = threading.BoundedSemaphore(2)


def within_photo_limit(photos: Sequence[PhotoFile]) -> tuple[list[PhotoFile], int]:
    """The photos diagnosed now (the first ``MAX_PHOTOS_AT_ONCE``), and how many wait."""
    return list(photos[:MAX_PHOTOS_AT_ONCE]), max(len(photos) - MAX_PHOTOS_AT_ONCE, 0)


@dataclass(frozen=True)
class DiagnosedUpload:
    """One upload: a display copy and its diagnosis, or why it could not be read."""

    key: str
    name: str
    digest: str  # SHA-256 of the uploaded bytes: the same photo uploaded twice has one
    image: imaging.DisplayPhoto | None = None
    diagnosis: Diagnosis | None = None
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    exif: PhotoExif = NOTHING_KNOWN  # where and when the file says it was taken


def diagnose_uploads(
    photos: Sequence[PhotoFile],
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


def diagnose_upload(photo: PhotoFile, diagnoser: Diagnoser) -> DiagnosedUpload:
    """One photo decoded and diagnosed; a display copy is kept, not the full-size decode."""
    data = photo.getvalue()
    digest = file_sha256(data)
    settings = get_settings()
    try:
        with _DECODING:
            image = imaging.decode_image(
                data, max_bytes=settings.max_upload_bytes, max_pixels=settings.max_image_pixels
            )
    except imaging.ImageError as error:
        return DiagnosedUpload(photo.file_id, photo.name, digest, error=str(error))
    started = time.perf_counter()
    diagnosis = diagnoser.diagnose(image, with_heatmap=True)
    milliseconds = (time.perf_counter() - started) * 1000
    record_diagnosis(settings.metrics_namespace, diagnosis, milliseconds, diagnoser.model_version)
    return DiagnosedUpload(
        photo.file_id,
        photo.name,
        digest,
        imaging.display_copy(image),
        diagnosis,
        quality_warnings(image),
        exif=read_photo_exif(data, browser_time_zone()),
    )


def first_by_file(uploads: Sequence[DiagnosedUpload]) -> dict[str, DiagnosedUpload]:
    """The first upload of each file (by its SHA-256), in upload order."""
    first: dict[str, DiagnosedUpload] = {}
    for upload in uploads:
        first.setdefault(upload.digest, upload)
    return first


def show_summary(uploads: list[DiagnosedUpload]) -> None:
    """For several photos: how many got each answer (a file uploaded twice counted
    once), and a table of them all, repeats marked."""
    first_of = first_by_file(uploads)
    distinct = list(first_of.values())
    repeats = len(uploads) - len(distinct)
    st.header(
        f"{counted(len(distinct), 'photo')}" + (f" ({repeats} uploaded twice)" if repeats else "")
    )
    st.write(summary_counts([short_answer(u.diagnosis, u.warnings) for u in distinct]))
    rows = []
    for upload in uploads:
        row = summary_row(upload.name, upload.diagnosis, upload.warnings)
        if first_of[upload.digest] is not upload:
            row["Answer"] = f"Same file as {first_of[upload.digest].name}"
            row["Confidence"] = ""
        rows.append(row)
    st.dataframe(rows, hide_index=True)


def show_combined(uploads: list[DiagnosedUpload], model_version: str) -> None:
    """One answer for photos of different leaves of one plot (identical uploads count
    once), its advice card, a link to the assistant and one form to save them all."""
    readable = [upload for upload in uploads if upload.diagnosis is not None]
    distinct = list(first_by_file(readable).values())
    combined = combine([upload.diagnosis for upload in distinct])
    said = combined_verdict(
        combined, len(readable) - len(distinct), unreadable=len(uploads) - len(readable)
    )
    getattr(st, said.tone)(f"**Combined: {said.headline}**")
    st.write(said.detail)
    if combined is None:
        return
    leaves = [u for u in distinct if u.diagnosis.is_leaf and u.image is not None]
    if combined.photos_disagree:  # no one answer: each photo's own, below, stands
        if LATE_BLIGHT in combined.confident_labels:
            show_advice(LATE_BLIGHT)
    else:
        show_probabilities(combined.probabilities, "Probability of each answer, combined")
        show_advice(combined.label)
    save_plot_form(leaves, combined, model_version)


def save_plot_form(
    leaves: list[DiagnosedUpload], combined: CombinedDiagnosis, model_version: str
) -> None:
    """One form that saves every combined photo not saved yet, with the same field, plot,
    notes, location and agronomist's diagnosis, in one transaction."""
    saved, known = saved_cases(), photos_in_history()
    case_ids = {upload.key: saved.get(upload.key, known.get(upload.digest)) for upload in leaves}
    unsaved = [upload for upload in leaves if case_ids[upload.key] is None]
    if not unsaved:
        if not combined.photos_disagree:
            ask_assistant_button("combined", combined, leaves[0].image, first_taken(leaves))
        listed = ", ".join(f"#{case_ids[upload.key]}" for upload in leaves)
        message = f"All {counted(len(leaves), 'combined photo')} are in the history: {listed}."
        show_saved([case_ids[upload.key] for upload in leaves], message)
        return
    # Saved before this page's save (one case per photo, so one id per photo).
    earlier = sorted(
        case_ids[u.key] for u in leaves if u.key not in saved and case_ids[u.key] is not None
    )
    if earlier:
        ids = ", ".join(f"#{case_id}" for case_id in earlier)
        already = counted(len(earlier), "photo")
        st.info(f"{already} already in the history ({ids}): not saved again.")
    slot = st.empty()  # the form gives way to "Saved" once saved
    with slot.container(), st.form("save-plot"):
        st.markdown(f"**Save the {counted(len(unsaved), 'combined photo')} to history**")
        details = case_detail_inputs(
            "combined",
            "Your diagnosis of the plot (stored with each photo, apart from the model's)",
            DISEASE_LABELS,
            location=centre([upload.exif.location for upload in unsaved]),
        )
        if combined.photos_disagree:  # no one answer to ask about
            submitted, asked = st.form_submit_button("Save the combined photos"), False
        else:
            submitted, asked = save_and_ask_buttons("combined", "Save the combined photos")
    if asked:
        open_assistant("combined", combined, leaves[0].image, first_taken(leaves))
    if not submitted:
        return
    cases = [
        NewCase.from_diagnosis(
            upload.diagnosis,
            upload.image.decoded(),
            upload.name,
            model_version=model_version,
            photo_sha256=upload.digest,
            taken_at=upload.exif.taken_at,
            **details,
        )
        for upload in unsaved
    ]
    ids = stored(cases)
    if ids is None:
        return
    saved.update({upload.key: case_id for upload, case_id in zip(unsaved, ids)})
    known.update({upload.digest: case_id for upload, case_id in zip(unsaved, ids)})
    if not combined.photos_disagree:  # else there is no one answer to ask about
        st.session_state["current_case"] = case_for_assistant(
            combined,
            leaves[0].image.decoded(),
            details["field_name"],
            details["notes"],
            details["confirmed_label"],
            CaseTimePlace.from_form("combined", first_taken(leaves)),
            details["severity_percent"],
        )
    listed = ", ".join(f"#{case_id}" for case_id in ids)
    with slot.container():
        if not combined.photos_disagree:
            ask_assistant_button("combined", combined, leaves[0].image, first_taken(leaves))
        show_saved(ids, f"Saved {counted(len(ids), 'photo')} to history: {listed}")


def browser_time_zone() -> tzinfo | None:
    """The time zone the user's browser is set to, if it says and it is a known one."""
    try:
        return ZoneInfo(st.context.timezone or "")
    except (ValueError, ZoneInfoNotFoundError):
        return None


def first_taken(uploads: Sequence[DiagnosedUpload]) -> datetime | None:
    """When the earliest of these photos was taken, as far as they say."""
    return min((u.exif.taken_at for u in uploads if u.exif.taken_at is not None), default=None)
