"""History: saved diagnoses, the agronomist's review, trends over time and CSV export."""

import streamlit as st

from potato_disease import history
from potato_disease.config import get_settings
from potato_disease.database import DatabaseError
from potato_disease.labels import MODEL_CLASSES
from potato_disease.presentation import basis_name, first_letter_up, label_name
from potato_disease.resources import get_engine
from potato_disease.ui.access import through_the_router
from potato_disease.ui.alert_view import show_outcome
from potato_disease.ui.case_review_view import REVIEW_ALERT, review_case
from potato_disease.ui.database_trouble import stop_on_database_error
from potato_disease.ui.field_rename_view import rename_field_form
from potato_disease.ui.history_view import (
    EMPTY_HISTORY,
    REVIEW_STATE_NAMES,
    field_report_download,
    listed_cases_offset,
    show_agreement,
    show_cases,
    show_disease_progress,
    show_field_weather,
    show_map,
    show_outbreaks,
    show_plot_visits,
    show_trend,
)
from potato_disease.ui.review_queue_view import show_review_queue

through_the_router("pages/history.py")  # before anything: see its docstring

if "history_notice" not in st.session_state:
    st.session_state.history_notice = None  # a message to show once, after an action
if "history_delete_pending" not in st.session_state:
    st.session_state.history_delete_pending = None  # id of the case awaiting "Yes, delete"

st.title("History")
time_zone = get_settings().time_zone
st.caption(
    f"Every saved diagnosis and the agronomist's review of it. Times and days are in "
    f"{time_zone}; a case is dated by when its photo was taken when the photo says, else "
    "by when it was saved."
)

if st.session_state.history_notice:
    st.success(st.session_state.history_notice)
    # Also where the agronomist is: on a phone the review form is screens below the top.
    st.toast(st.session_state.history_notice, icon=":material/check_circle:", duration="long")
    st.session_state.history_notice = None
show_outcome(REVIEW_ALERT, once=True)  # whether a review's late blight reached the team

try:
    engine = get_engine()
    fields = history.field_names(engine)
    reviewers = history.reviewer_names(engine)
    bases = history.review_bases(engine)
    field_locations = history.field_locations(engine)
except DatabaseError as error:
    stop_on_database_error(error)
late_blight_lately = show_outbreaks(engine, field_locations)

with st.sidebar:
    st.header("Filter the history")
    field_name = st.selectbox(
        "Field", [None, *fields], format_func=lambda name: "All fields" if name is None else name
    )
    label = st.selectbox(
        "Diagnosis (the agronomist's, else the model's)",
        [None, *MODEL_CLASSES],
        format_func=lambda name: label_name(name, "All diagnoses"),
    )
    date_from = st.date_input("From", value=None, format="YYYY-MM-DD")
    date_to = st.date_input("To", value=None, format="YYYY-MM-DD")
    review = st.selectbox(
        "Review",
        [None, *history.REVIEW_STATES],
        format_func=lambda state: REVIEW_STATE_NAMES[state],
    )
    reviewed_by = (
        st.selectbox(
            "Reviewed by",
            [None, *reviewers],
            format_func=lambda name: "Anyone, or no one" if name is None else name,
            help="Cases whose review is signed with this name (the sidebar's *Your name*).",
        )
        if reviewers
        else None
    )
    review_basis = (
        st.selectbox(
            "Review rests on",
            [None, *bases],
            format_func=lambda basis: first_letter_up(basis_name(basis, "Anything, or not said")),
            help="Cases whose review rests on the photo only, the plants seen in the field, "
            "or a lab test, as the agronomist said.",
        )
        if bases
        else None
    )
    words = st.text_input(
        "Words in the notes, plot or photo name",
        max_chars=history.NOTES_MAX_LENGTH,
        placeholder="e.g. irrigation",
        help="Cases whose notes, plot or photo name hold these words as typed, in any case.",
    )
if date_from and date_to and date_from > date_to:
    st.warning("The 'From' date is after the 'To' date: choose dates in order.")
    st.stop()
case_filter = history.CaseFilter(
    field_name,
    label,
    date_from,
    date_to,
    time_zone=time_zone,
    words=words.strip() or None,
    review=review,
    reviewed_by=reviewed_by,
    review_basis=review_basis,
)
show_field_weather(field_locations, late_blight_lately, field_name)

try:
    summary = history.summarize(engine, case_filter)
    offset = listed_cases_offset(summary.cases)  # which 500 the table and map list
    records = history.list_cases(engine, case_filter, offset)
except DatabaseError as error:
    stop_on_database_error(error)
if not records:
    filtering = case_filter != history.CaseFilter(time_zone=time_zone)
    st.info("No saved cases match these filters." if filtering else EMPTY_HISTORY)
    st.stop()

show_trend(engine, case_filter)
show_map(records)
show_cases(engine, case_filter, records, summary, offset)
field_report_download(engine, case_filter, summary)
show_disease_progress(engine, case_filter)
show_agreement(engine, case_filter)
show_review_queue(engine, case_filter)
show_plot_visits(records)
review_case(engine, records)
rename_field_form(engine)
