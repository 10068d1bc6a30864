"""The History page's review queue: the unreviewed cases the model was least sure of,
each reviewed in one step, and how many reviewed photos each label has gathered."""

from __future__ import annotations

import logging
from collections.abc import Mapping

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from potato_disease import history, review_queue
from potato_disease.config import get_settings
from potato_disease.database import DatabaseError
from potato_disease.history import CaseRecord
from potato_disease.labels import DISPLAY_NAMES, MODEL_CLASSES
from potato_disease.local_time import day_text
from potato_disease.markdown_safety import escape_markdown
from potato_disease.model_files import ModelFilesError
from potato_disease.presentation import as_percent, counted
from potato_disease.resources import get_diagnoser
from potato_disease.review_queue import QueuedCase
from potato_disease.ui.case_review_view import save_review
from potato_disease.ui.reviewer import review_basis_input, signature_note

logger = logging.getLogger(__name__)

CASES_SHOWN = 3  # a short queue reads at a glance; each review brings the next one up
SKIPPED_KEY = "review_queue_skipped"  # ids of the cases skipped in this session
QUEUE_UNREADABLE = (
    "The cases to review cannot be read right now (the history's database did not "
    "answer): reload the page in a minute; every review saved so far is kept."
)


def model_field_counts() -> dict[str, int] | None:
    """Field photos per label in the served model's data, or None when the model cannot
    be loaded (the history stays usable without it)."""
    try:
        metadata = get_diagnoser().files.metadata
    except (ModelFilesError, OSError, ValueError):
        logger.exception("The model could not be loaded for its data counts")
        return None
    return review_queue.field_photo_counts(metadata.get("data", {}).get("counts", {}))


def show_review_queue(engine: Engine, case_filter: history.CaseFilter) -> None:
    """The first few unreviewed cases the filters select (all of them, not only the
    newest shown above), least sure first, each with a one-step review; then the reviewed
    photos of the whole history per label."""
    st.header("Cases to review first")
    skipped: set[int] = st.session_state.setdefault(SKIPPED_KEY, set())
    try:
        queue = review_queue.review_queue(history.unreviewed_cases(engine, case_filter), skipped)
        shown = [
            (queued, record)
            for queued in queue[:CASES_SHOWN]
            if (record := history.get_case(engine, queued.case.id)) is not None
        ]
        reviewed = history.reviewed_label_counts(engine)
    except (DatabaseError, OSError):
        logger.exception("The review queue could not be read")
        st.warning(QUEUE_UNREADABLE)
        return
    if queue:
        st.caption(
            f"{counted(len(queue), 'case')} here {'awaits' if len(queue) == 1 else 'await'} "
            f"the agronomist's diagnosis{skipped_words(len(skipped))}; "
            f"{first_shown_words(len(shown), len(queue))}. Those the "
            "model was least sure of come first (photos it refused, then the closest calls "
            "between its two likeliest answers): a review there is the likeliest to catch a "
            "wrong answer, and teaches the next model most."
        )
        st.caption(signature_note())
        for queued, record in shown:
            queue_card(engine, queued, record)
    else:
        st.caption("Every case here has been reviewed" + (", or skipped." if skipped else "."))
    if skipped and st.button(
        f"Bring back {counted(len(skipped), 'skipped case')}", key="review_queue_unskip"
    ):
        skipped.clear()
        st.rerun()
    field_counts = model_field_counts()
    if field_counts is not None:
        show_label_progress(reviewed, field_counts)


def skipped_words(skipped: int) -> str:
    """ " (besides 2 skipped for now)", or nothing."""
    return f" (besides {skipped} skipped for now)" if skipped else ""


def first_shown_words(shown: int, waiting: int) -> str:
    """Which of the waiting cases are shown: all of them, or the first few."""
    if shown >= waiting:
        return "here they are" if waiting > 1 else "here it is"
    return f"the first {shown} are below, and each review brings up the next"


def model_answer_line(queued: QueuedCase) -> str:
    """What the model said of a queued case, with its runner-up."""
    probabilities = queued.case.probabilities
    leaf_label = max(probabilities, key=probabilities.__getitem__, default=None)
    if leaf_label is None:
        return "**Model:** no answer stored"
    answer = f"{DISPLAY_NAMES[leaf_label]} ({as_percent(probabilities[leaf_label])})"
    if queued.runner_up is not None:
        answer += (
            f", then {DISPLAY_NAMES[queued.runner_up].lower()} "
            f"({as_percent(probabilities[queued.runner_up])})"
        )
    if not queued.case.is_leaf:
        return f"**Model:** refused as not a potato leaf; if it is one: {answer.lower()}"
    return f"**Model:** {answer}"


def queue_card(engine: Engine, queued: QueuedCase, record: CaseRecord) -> None:
    """One queued case (``record``): photo, where and when, the model's answer, and a
    form that saves the agronomist's diagnosis or skips the case for this session."""
    with st.container(border=True):
        photo_column, detail_column = st.columns([1, 3])
        photo_column.image(record.thumbnail, caption=escape_markdown(record.photo_name))
        with detail_column:
            place = escape_markdown(record.field_name or "no field") + (
                f", plot {escape_markdown(record.plot)}" if record.plot else ""
            )
            seen = day_text(record.observed_at, get_settings().zone)
            st.markdown(f"**#{record.id}** · {seen} · {place}")
            st.markdown(model_answer_line(queued))
            if record.notes:
                st.markdown(f"**Notes:** {escape_markdown(record.notes)}")
            with st.form(f"review_queue_{record.id}", border=False):
                label = st.selectbox(
                    "Your diagnosis",
                    MODEL_CLASSES,
                    index=None,
                    placeholder="Choose one",
                    format_func=DISPLAY_NAMES.__getitem__,
                    key=f"review_queue_label_{record.id}",
                )
                basis = review_basis_input(f"review_queue_basis_{record.id}")
                save_column, skip_column = st.columns(2)
                save = save_column.form_submit_button(
                    f"Save review of #{record.id}", key=f"review_queue_save_{record.id}"
                )
                skip = skip_column.form_submit_button(
                    "Skip for now", key=f"review_queue_skip_{record.id}"
                )
    if skip:
        st.session_state[SKIPPED_KEY].add(record.id)
        st.rerun()
    if save:
        if label is None:
            st.warning(f"Case #{record.id}: choose a diagnosis before saving the review.")
            return
        save_review(engine, record.id, label, basis)


def show_label_progress(reviewed: Mapping[str, int], field_counts: Mapping[str, int]) -> None:
    """Reviewed photos per leaf label (``reviewed``, of the whole history) beside the field
    photos the model learned from."""
    progress = review_queue.label_progress(reviewed, field_counts)
    with st.expander("Reviewed photos for the next model"):
        st.caption(
            "Every reviewed photo is a labelled field photo for training the next model "
            "(the ZIP of reviewed photos above). The model's field accuracy has grown with "
            "the number of field photos in its data; the diagnoses with the fewest come first."
        )
        st.dataframe(
            pd.DataFrame(
                {
                    "Diagnosis": [DISPLAY_NAMES[row.label] for row in progress],
                    "Reviewed in the history": [row.reviewed for row in progress],
                    "In the model's data": [row.in_model_data for row in progress],
                }
            ),
            hide_index=True,
            column_config={
                "In the model's data": st.column_config.NumberColumn(
                    help="Field photos of this diagnosis the model was trained and checked on "
                    "(lab photos not counted)."
                )
            },
        )
