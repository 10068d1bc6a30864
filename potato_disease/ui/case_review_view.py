"""The History page's "Review a case": one case's details, their correction, the
agronomist's review (which alerts the team to late blight), the assistant and deletion."""

from __future__ import annotations

import io
from collections.abc import Sequence

import streamlit as st
from PIL import Image
from sqlalchemy.engine import Engine

from potato_disease import history, plot_visits
from potato_disease.config import get_settings
from potato_disease.database import DatabaseError
from potato_disease.history import (
    FIELD_NAME_MAX_LENGTH,
    NOTES_MAX_LENGTH,
    PLOT_MAX_LENGTH,
    CaseDetails,
    CaseRecord,
    ReviewBasis,
)
from potato_disease.labels import DISPLAY_NAMES, MODEL_CLASSES
from potato_disease.local_time import minute_text
from potato_disease.markdown_safety import escape_markdown
from potato_disease.presentation import as_percent, as_severity, basis_name, label_name
from potato_disease.ui.alert_view import alert_the_team, remember_outcome
from potato_disease.ui.database_trouble import stop_on_database_error
from potato_disease.ui.diagnosis_view import (
    CaseTimePlace,
    case_for_assistant,
    coordinate_input,
    severity_input,
)
from potato_disease.ui.reviewer import review_basis_input, reviewer_name, signature_note

REVIEW_ALERT = "history review"  # the key of a review's team alert outcome
REVIEWED_CASE_KEY = "history_review_case"  # "Review a case"'s choice of case


def review_case(engine: Engine, records: Sequence[CaseRecord]) -> None:
    """One case: its details, their correction, the agronomist's review, the assistant
    and deletion."""
    st.header("Review a case")
    by_id = {record.id: record for record in records}
    if st.session_state.get(REVIEWED_CASE_KEY) not in by_id:  # filtered out, or deleted
        st.session_state.pop(REVIEWED_CASE_KEY, None)
    case_id = st.selectbox(
        "Case",
        list(by_id),
        key=REVIEWED_CASE_KEY,
        format_func=lambda key: (
            f"#{key} · {minute_text(by_id[key].created_at, get_settings().zone)} · "
            f"{by_id[key].field_name or 'no field'} · {label_name(by_id[key].label, '')}"
        ),
    )
    record = by_id[case_id]
    photo_column, detail_column = st.columns([1, 3])
    photo_column.image(record.thumbnail, caption=escape_markdown(record.photo_name))
    with detail_column:
        show_case_details(record)
        correction_form(engine, record)
        review_label = review_form(engine, record)
        ask_assistant_about_case(record, review_label)
        delete_control(engine, record)


def show_case_details(record: CaseRecord) -> None:
    """The model's answer, field, plot, location and notes of a saved case."""
    st.markdown(
        f"**Model:** {label_name(record.model_label, '')} "
        f"({as_percent(record.model_confidence)} confidence)"
        + ("" if record.is_leaf else " — the photo was refused as not a potato leaf")
    )
    st.markdown(
        f"**Field:** {escape_markdown(record.field_name or '—')} · "
        f"**Plot:** {escape_markdown(record.plot or '—')}"
        + (
            f" · **Location:** {record.latitude:.5f}, {record.longitude:.5f}"
            if record.location is not None
            else ""
        )
    )
    if record.confirmed_label is not None:
        st.markdown(review_line(record))
    if record.severity_percent is not None:
        st.markdown(f"**Severity in the plot:** {as_severity(record.severity_percent)} of foliage")
    if record.notes:
        st.markdown(f"**Notes:** {escape_markdown(record.notes)}")


def review_line(record: CaseRecord) -> str:
    """Who reviewed the case, when, and what they said."""
    line = f"**Reviewed:** {label_name(record.confirmed_label, '')}"
    if record.confirmed_at is not None:
        line += f", {minute_text(record.confirmed_at, get_settings().zone)}"
    if record.reviewed_by:
        line += f", by {escape_markdown(record.reviewed_by)}"
    if record.review_basis:
        line += f", from {basis_name(record.review_basis)}"
    return line


def review_form(engine: Engine, record: CaseRecord) -> str | None:
    """The agronomist's diagnosis of the case, saved on request; the one chosen."""
    review_options = [None, *MODEL_CLASSES]
    review_label = st.selectbox(
        "Agronomist's diagnosis (confirm the model's, correct it, or clear the review)",
        review_options,
        index=review_options.index(record.confirmed_label)
        if record.confirmed_label in review_options
        else 0,
        format_func=lambda name: label_name(name, "Not reviewed"),
        placeholder="Not reviewed",  # None set through the session state reads as no choice
        key=f"history_review_{record.id}",
    )
    basis = review_basis_input(f"history_basis_{record.id}", record.review_basis)
    st.caption(signature_note())
    if st.button("Save review", key="history_save_review"):
        save_review(engine, record.id, review_label, basis)
    return review_label


def save_review(
    engine: Engine, case_id: int, label: str | None, basis: ReviewBasis | None = None
) -> None:
    """Store the agronomist's diagnosis of a case (None clears it), resting on ``basis``
    and signed with the sidebar's name, tell the team when it brings late blight, and run
    the page again with a notice of it."""
    try:
        found = history.confirm_case(engine, case_id, label, reviewer_name(), basis)
    except DatabaseError as error:
        stop_on_database_error(error)
    if not found:
        st.session_state.history_notice = f"Case #{case_id} no longer exists."
    elif label is None:
        st.session_state.history_notice = f"Case #{case_id}: review cleared."
    else:
        st.session_state.history_notice = (
            f"Case #{case_id}: review saved ({DISPLAY_NAMES[label].lower()})."
        )
        remember_outcome(REVIEW_ALERT, alert_the_team([case_id]))
    st.rerun()


def ask_assistant_about_case(record: CaseRecord, review_label: str | None) -> None:
    """Send the case, with the review chosen so far, to the Assistant page."""
    if st.button("Ask the assistant about this case", key="history_ask", icon=":material/chat:"):
        st.session_state["current_case"] = case_for_assistant(
            plot_visits.as_diagnosis(record),
            Image.open(io.BytesIO(record.thumbnail)),
            record.field_name or "",
            record.notes or "",
            review_label,
            CaseTimePlace(record.taken_at, record.created_at, record.location),
            record.severity_percent,
        )
        st.switch_page("pages/assistant.py")


def correction_form(engine: Engine, record: CaseRecord) -> None:
    """Correct the case's field, plot, notes, location or severity."""
    with st.expander("Correct the field, plot, notes, location or severity"):
        with st.form(f"history_edit_{record.id}"):
            field_column, plot_column = st.columns(2)
            edited = {
                "field_name": field_column.text_input(
                    "Field", value=record.field_name or "", max_chars=FIELD_NAME_MAX_LENGTH
                ),
                "plot": plot_column.text_input(
                    "Plot", value=record.plot or "", max_chars=PLOT_MAX_LENGTH
                ),
                "notes": st.text_area(
                    "Notes", value=record.notes or "", max_chars=NOTES_MAX_LENGTH
                ),
            }
            latitude_column, longitude_column = st.columns(2)
            edited["latitude"] = coordinate_input(
                latitude_column, "Latitude", 90.0, f"history_lat_{record.id}", record.latitude
            )
            edited["longitude"] = coordinate_input(
                longitude_column, "Longitude", 180.0, f"history_lon_{record.id}", record.longitude
            )
            edited["severity_percent"] = severity_input(
                st.columns(2)[0], f"history_severity_{record.id}", record.severity_percent
            )
            corrected = st.form_submit_button("Save the corrections")
        if corrected:
            try:
                found = history.update_case_details(engine, record.id, CaseDetails(**edited))
            except ValueError as error:
                st.error(str(error))
            except DatabaseError as error:
                stop_on_database_error(error)
            else:
                st.session_state.history_notice = (
                    f"Case #{record.id}: details corrected."
                    if found
                    else f"Case #{record.id} no longer exists."
                )
                st.rerun()


def delete_control(engine: Engine, record: CaseRecord) -> None:
    """ "Delete this case…", then a confirmation."""
    if st.session_state.history_delete_pending != record.id:
        if st.button("Delete this case…", key="history_delete"):
            st.session_state.history_delete_pending = record.id
            st.rerun()
    else:
        st.warning(f"Delete case #{record.id} and its thumbnail for good? This cannot be undone.")
        confirm_column, cancel_column = st.columns(2)
        if confirm_column.button("Yes, delete", type="primary", key="history_delete_yes"):
            try:
                deleted = history.delete_case(engine, record.id)
            except DatabaseError as error:
                stop_on_database_error(error)
            st.session_state.history_delete_pending = None
            st.session_state.history_notice = (
                f"Case #{record.id} deleted." if deleted else f"Case #{record.id} was already gone."
            )
            st.rerun()
        if cancel_column.button("Cancel", key="history_delete_cancel"):
            st.session_state.history_delete_pending = None
            st.rerun()
