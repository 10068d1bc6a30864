"""The History page's sections: the late blight warning and weather, the trend, map and
table of cases with their downloads, the agreement figures and the plot visits (the page
lays them out in order; "Review a case" and the field rename have modules of their own)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from functools import partial

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from potato_disease import (
    disease_progress,
    field_report,
    history,
    history_charts,
    history_csv,
    outbreaks,
    plot_visits,
    review_agreement,
    reviewed_photos,
    visit_report,
)
from potato_disease.config import get_settings
from potato_disease.database import DatabaseError
from potato_disease.history import (
    CaseFilter,
    CaseRecord,
)
from potato_disease.local_time import clock_text, day_text, minute_text
from potato_disease.markdown_safety import escape_markdown
from potato_disease.outbreaks import Outbreak
from potato_disease.photo_exif import Location
from potato_disease.presentation import (
    as_percent,
    as_severity,
    basis_name,
    counted,
    first_letter_up,
    label_name,
)
from potato_disease.ui.case_review_view import REVIEWED_CASE_KEY
from potato_disease.ui.database_trouble import from_the_history, stop_on_database_error
from potato_disease.ui.weather_view import (
    fields_table,
    show_blight_weather,
    visit_weather,
    weather_is_on,
)

MAP_KEY = "history_case_map"
TABLE_KEY = "history_case_table"

EMPTY_HISTORY = (
    "No diagnoses have been saved yet. Diagnose a leaf on the **Diagnose** page and save "
    "the result (with its field, plot and notes) to start the history."
)


REVIEW_STATE_NAMES = {
    None: "All cases",
    "not_reviewed": "Not reviewed yet",
    "reviewed": "Reviewed by an agronomist",
    "corrected": "Corrected by an agronomist (the model was wrong)",
}
"""The History filter's words for each :data:`history.REVIEW_STATES` (None: any)."""

OUTBREAK_ADVICE = (
    "Late blight spores ride the wind for several kilometres in cloudy, humid weather: "
    "scout these fields and the ones near them now (the guide's *What to do now*)."
)


def show_outbreaks(engine: Engine, field_locations: Mapping[str, Location]) -> list[Outbreak]:
    """A warning naming the fields with late blight lately, whatever the filters, and
    the fields near them (``field_locations``: where each field is); returns them."""
    now = datetime.now(UTC)
    since = (now - outbreaks.RECENT).date()
    try:
        recent = list(
            history.iter_cases(engine, CaseFilter(date_from=since), with_thumbnails=False)
        )
    except DatabaseError as error:
        stop_on_database_error(error)
    found = outbreaks.late_blight_outbreaks(recent, field_locations, now)
    if found:
        days = outbreaks.RECENT.days
        lines = "\n".join(f"- {outbreak_line(outbreak)}" for outbreak in found)
        # In red, as on Diagnose: it is acted on today.
        st.error(f"**Late blight in the last {days} days**\n\n{lines}\n\n{OUTBREAK_ADVICE}")
    return found


def show_field_weather(
    field_locations: Mapping[str, Location], found: Sequence[Outbreak], chosen: str | None
) -> None:
    """The blight weather at every located field, then day by day at one: the field
    filtered on, else the latest with late blight, else the first; open at once when late
    blight was found lately."""
    if not field_locations or not weather_is_on():
        return
    names = sorted(field_locations)
    struck = [o.field_name for o in found if o.field_name in field_locations]
    first = chosen if chosen in field_locations else (struck[0] if struck else names[0])
    with st.expander("Late blight weather at your fields", expanded=bool(struck)):
        st.dataframe(fields_table(field_locations, set(struck)), hide_index=True)
        name = st.selectbox(  # keyed by its default: a new filter starts it afresh
            "Day by day at",
            names,
            index=names.index(first),
            key=f"weather-field-{first}",
        )
        show_blight_weather(field_locations[name])


def outbreak_line(outbreak: Outbreak) -> str:
    """One field's late blight, in Markdown (names typed by users are escaped)."""
    where = (
        f"**{escape_markdown(outbreak.field_name)}**"
        if outbreak.field_name != outbreaks.NO_FIELD
        else "**Cases with no field given**"
    )
    confirmed = f", {outbreak.confirmed} confirmed by an agronomist" if outbreak.confirmed else ""
    line = (
        f"{where}: {counted(outbreak.cases, 'case')}{confirmed}, "
        f"last seen {day_text(outbreak.last_seen, get_settings().zone)}."
    )
    if outbreak.fields_near:
        near = ", ".join(escape_markdown(name) for name in outbreak.fields_near)
        line += f" Fields within {outbreaks.NEARBY_M / 1000:.0f} km: {near}."
    return line


def show_trend(engine: Engine, case_filter: CaseFilter) -> None:
    """Cases per day or week, by diagnosis."""
    st.header("Cases over time")
    period = st.radio("Count per", history.PERIODS, horizontal=True, format_func=str.capitalize)
    try:
        trend = history.cases_by_label_over_time(engine, case_filter, period)
    except DatabaseError as error:
        stop_on_database_error(error)
    st.altair_chart(history_charts.trend_chart(trend, period), width="stretch")


def show_map(records: Sequence[CaseRecord]) -> None:
    """Where the located cases were found, when any is located."""
    points = history_charts.case_points(records, get_settings().zone)
    if not points.empty:
        st.header("Where they were found")
        st.pydeck_chart(
            history_charts.case_map(points),
            on_select=open_case_chosen_on_map,
            selection_mode="single-object",
            key=MAP_KEY,
        )
        st.html(history_charts.legend_html(points))
        st.caption("Click a dot to open its case in **Review a case** below.")
        if len(points) < len(records):
            st.caption(
                f"{counted(len(records) - len(points), 'case')} without a location not shown."
            )


def listed_cases_offset(cases: int, per_list: int = history.DEFAULT_LIST_LIMIT) -> int:
    """With more matching ``cases`` than one list holds: a choice in the sidebar of which
    of them, newest first, the table, map, plot visits and review list; how many newer
    ones that skips (0 when they all fit)."""
    lists = math.ceil(cases / per_list)
    if lists <= 1:
        return 0
    chosen = st.sidebar.selectbox(
        "Cases listed, newest first",
        range(lists),
        format_func=lambda index: listed_range(index * per_list, per_list, cases),
        key=f"history-listed-of-{cases}",  # a new count starts from the newest again
        help=f"The table, the map, the plot visits and *Review a case* list {per_list} "
        "cases at a time; the chart, the downloads and the figures count them all.",
    )
    return chosen * per_list


def optional_severity(percent: float | None) -> str:
    """A severity as written ("12.5 %"), or "" when not estimated."""
    return "" if percent is None else as_severity(percent)


def listed_range(offset: int, listed: int, cases: int) -> str:
    """``"501–1,000 of 1,234"``: which of the matching cases a list holds."""
    return f"{offset + 1:,}–{min(offset + listed, cases):,} of {cases:,}"


def show_cases(
    engine: Engine,
    case_filter: CaseFilter,
    records: Sequence[CaseRecord],
    summary: history.FilterSummary,
    offset: int = 0,
) -> None:
    """The table of the listed cases (``records``, after the ``offset`` newest), and
    every filtered case's CSV and reviewed photos as a ZIP."""
    zone_name, zone = get_settings().time_zone, get_settings().zone
    st.header("Cases")
    if len(records) < summary.cases:
        st.caption(
            "The table, the map, the plot visits and *Review a case* list cases "
            f"{listed_range(offset, len(records), summary.cases)}, newest first: choose "
            "others in the sidebar, or narrow the filters. The chart, the downloads, the "
            "field report and the figures below count them all."
        )
    table = pd.DataFrame(  # the diagnoses first: a phone shows the first few columns
        {
            "Case": [record.id for record in records],
            "Photo": [record.thumbnail_data_url for record in records],
            # Which field, and the two diagnoses, first: on a phone three columns show.
            "Field": [record.field_name or "" for record in records],
            "Model's diagnosis": [
                f"{label_name(record.model_label, '')} ({as_percent(record.model_confidence)})"
                for record in records
            ],
            "Agronomist's diagnosis": [
                label_name(record.confirmed_label, "Not reviewed") for record in records
            ],
            "Reviewed by": [record.reviewed_by or "" for record in records],
            "Blind review": [label_name(record.blind_label, "") for record in records],
            "Plot": [record.plot or "" for record in records],
            # Text, not datetimes: Streamlit writes "None" in an empty datetime cell.
            f"Taken ({zone_name})": [clock_text(record.taken_at, zone) for record in records],
            f"Saved ({zone_name})": [clock_text(record.created_at, zone) for record in records],
            "Severity": [optional_severity(record.severity_percent) for record in records],
            "Notes": [record.notes or "" for record in records],
        }
    )
    st.caption("Tick a row's box to open its case in **Review a case** below.")
    st.dataframe(
        table,
        hide_index=True,
        row_height=64,
        on_select=partial(open_case_chosen_in_table, [record.id for record in records]),
        selection_mode="single-row",
        key=TABLE_KEY,
        column_config={
            "Photo": st.column_config.ImageColumn("Photo", width="small"),
            f"Taken ({zone_name})": st.column_config.TextColumn(
                help="When the photo was taken, by its own clock; empty when the photo does not "
                "say. Dates, the chart and plot visits go by it, else by the saving time.",
            ),
        },
    )
    csv_column, photos_column = st.columns(2)
    csv_column.download_button(
        f"Download {counted(summary.cases, 'case')} (CSV)",
        data=from_the_history(  # built only when clicked
            lambda: history_csv.cases_to_csv(
                history.iter_cases(engine, case_filter, with_thumbnails=False)
            )
        ),
        file_name=f"potato-history-{datetime.now(UTC):%Y-%m-%d}.csv",
        mime="text/csv",
        on_click="ignore",  # a download changes nothing here: no rerun of the page
    )
    photos_column.download_button(
        f"Download {counted(summary.reviewed, 'reviewed photo')} (ZIP)",
        data=from_the_history(
            lambda: reviewed_photos.to_zip(
                history.iter_cases(engine, case_filter, reviewed_only=True)
            )
        ),
        file_name=f"potato-reviewed-photos-{datetime.now(UTC):%Y-%m-%d}.zip",
        mime="application/zip",
        on_click="ignore",
        disabled=not summary.reviewed,
        help="The photos of these cases that an agronomist confirmed or corrected, in one "
        "folder per diagnosis: a test set of your own farms "
        "(`python -m potato_disease evaluate`) and new training data for the model.",
    )


def field_report_download(
    engine: Engine, case_filter: CaseFilter, summary: history.FilterSummary
) -> None:
    """With a field chosen in the filters: its report of every filtered case, for the
    grower."""
    field_name = case_filter.field_name
    if field_name is None:
        st.caption("Choose a field in the filters for a report of it to hand to its grower.")
        return
    zone = get_settings().zone
    st.download_button(
        f"Download the report of {escape_markdown(field_name)} (HTML)",
        data=from_the_history(  # built only when clicked
            lambda: field_report.field_report_html(
                field_name,
                list(history.iter_cases(engine, case_filter, with_thumbnails=False)),
                zone,
            )
        ),
        file_name=field_report.field_report_file_name(
            field_name, summary.first_seen, summary.last_seen, zone
        ),
        mime="text/html",
        icon=":material/summarize:",
        help="One page for the grower with the diagnoses, week by week, when late blight was "
        "seen, the plot visits and how the model fared against the agronomist, over the "
        "cases the filters select (all of them, dates as filtered). Open it in a browser to "
        "print or save as PDF.",
        on_click="ignore",
    )


def show_agreement(engine: Engine, case_filter: CaseFilter) -> None:
    """How often the model agreed with the agronomist's reviews of every filtered case,
    blind ones apart."""
    st.header("The model against the agronomist")
    try:
        records = list(
            history.iter_cases(engine, case_filter, reviewed_only=True, with_thumbnails=False)
        )
    except DatabaseError as error:
        stop_on_database_error(error)
    overall = review_agreement.agreement(records)
    if overall.rate is None:
        st.caption(
            "No case here has been reviewed yet. Confirm or correct diagnoses below to see "
            "how often the model is right on these fields."
        )
    else:
        st.markdown(
            f"Of **{counted(overall.reviewed, 'reviewed case')}** here, the model agreed with "
            f"the agronomist on **{overall.agreed}** ({overall.rate:.0%})."
        )
        by_field = review_agreement.agreement_by_field(records)
        st.dataframe(agreement_table("Field", by_field), hide_index=True)
        show_agreement_by_model_version(records)
        show_agreement_by_reviewer(records)
        show_agreement_by_basis(records)
        changes = review_agreement.corrections(records)
        if changes:
            st.markdown(
                "**Most frequent corrections:** "
                + "; ".join(
                    f"{label_name(change.model_label, '')} → "
                    f"{label_name(change.confirmed_label, '')} ({change.count})"
                    for change in changes
                )
            )
        blind = review_agreement.blind_agreement(records)
        if blind.agreement.rate is not None:
            st.markdown(
                f"**Blind reviews** (the agronomist's diagnosis given before seeing the "
                f"model's): the model agreed on **{blind.agreement.agreed}** of "
                f"**{counted(blind.agreement.reviewed, 'case')}** "
                f"({blind.agreement.rate:.0%}). After seeing the model's answer, the agronomist "
                f"switched to it in {counted(blind.changed_to_model, 'case')}."
            )
        st.caption(
            "Reviews made after seeing the model's answer lean towards it, and a share of "
            "a few dozen cases moves several points with each case. "
            + (
                "For a figure the model's answer cannot sway, turn on *Blind review* on the "
                "Diagnose page."
                if blind.agreement.rate is None
                else "The blind figure above is the one the model's answer cannot sway."
            )
        )


def agreement_table(
    grouped_by: str, results: Mapping[str, review_agreement.Agreement]
) -> pd.DataFrame:
    """One row per group (a field, a model version) of reviewed cases: how many, how many
    the model had right, and the share."""
    return pd.DataFrame(
        {
            grouped_by: list(results),
            "Reviewed": [result.reviewed for result in results.values()],
            "Model agreed": [result.agreed for result in results.values()],
            "Share": [f"{result.rate:.0%}" for result in results.values()],
        }
    )


def show_agreement_split(
    heading: str, grouped_by: str, results: Mapping[str, review_agreement.Agreement], note: str
) -> None:
    """Agreement per group (``results``) under ``heading``, when there are two groups or
    more to compare (one is the overall figure again)."""
    if len(results) < 2:
        return
    st.markdown(heading)
    st.dataframe(agreement_table(grouped_by, results), hide_index=True)
    st.caption(note)


def show_agreement_by_model_version(reviewed: Sequence[CaseRecord]) -> None:
    """Agreement per model that answered, so a new model from S3 is judged against the one
    before on the farms' own photos."""
    show_agreement_split(
        "**By model version** (the model that answered each case when it was saved):",
        "Model version",
        review_agreement.agreement_by_model_version(reviewed),
        "The versions saw different photos: compare them on a few dozen reviewed cases "
        "each at least, and on the same fields and weeks where you can.",
    )


def show_agreement_by_reviewer(reviewed: Sequence[CaseRecord]) -> None:
    """Agreement per agronomist who reviewed (by the name given in the sidebar)."""
    show_agreement_split(
        "**By agronomist** (the name given with each review):",
        "Reviewed by",
        review_agreement.agreement_by_reviewer(reviewed),
        "Agronomists review different fields and photos: a gap between two of them says "
        "where to compare notes on a few photos together, not who is right.",
    )


def show_agreement_by_basis(reviewed: Sequence[CaseRecord]) -> None:
    """Agreement per what the reviews rest on: the photo, the plants or a lab test."""
    by_basis = review_agreement.agreement_by_basis(reviewed)
    show_agreement_split(
        "**By what the review rests on:**",
        "Review rests on",
        {first_letter_up(basis_name(basis, basis)): result for basis, result in by_basis.items()},
        "A review from the photo alone sees what the model saw; one checked on the plants "
        "or by a lab is the surer test of the model.",
    )


def show_disease_progress(engine: Engine, case_filter: CaseFilter) -> None:
    """With a field chosen in the filters: its plots' severity estimates over time and
    their AUDPC, over every filtered case, once a plot has been assessed on two days."""
    if case_filter.field_name is None:
        return
    try:
        cases = history.iter_cases(engine, case_filter, with_thumbnails=False)
        plots = disease_progress.plot_progress(cases, get_settings().zone)
    except DatabaseError as error:
        stop_on_database_error(error)
    if not any(progress.days for progress in plots):
        return
    st.header("Disease progress")
    st.altair_chart(history_charts.progress_chart(plots), width="stretch")
    st.dataframe(
        pd.DataFrame(
            {
                "Plot": [progress.plot or "no plot given" for progress in plots],
                "Days assessed": [len(progress.assessments) for progress in plots],
                "AUDPC (%·days)": [round(progress.audpc) for progress in plots],
                "Relative AUDPC": [progress.relative_audpc for progress in plots],
            }
        ),
        hide_index=True,
        column_config={"Relative AUDPC": st.column_config.NumberColumn(format="%.2f")},
    )
    st.caption(disease_progress.HOW_IT_IS_MEASURED)


def show_plot_visits(records: Sequence[CaseRecord]) -> None:
    """The plot visits among these cases, combined, and a report of one for the grower."""
    visits = plot_visits.plot_visits(records)
    zone_name = get_settings().time_zone
    if visits:
        st.header("Plot visits")
        st.caption(
            "Cases of the same field and plot, each taken (else saved) within "
            f"{plot_visits.VISIT_GAP.total_seconds() / 3600:.0f} hours of the one before, "
            "combined as the Diagnose page combines photos: different leaves with the same "
            "symptoms assumed."
        )
        st.dataframe(
            pd.DataFrame(
                {
                    "Started": [visit.started_at for visit in visits],
                    "Ended": [visit.ended_at for visit in visits],
                    "Field": [visit.field_name for visit in visits],
                    "Plot": [visit.plot for visit in visits],
                    "Cases": [len(visit.case_ids) for visit in visits],
                    "Combined model answer": [
                        "No photo accepted as a leaf"
                        if visit.combined is None
                        else visit_report.combined_words(visit)
                        for visit in visits
                    ],
                    "Agronomist's diagnosis": [
                        "Reviews differ"
                        if visit.agronomist_label == plot_visits.MIXED
                        else label_name(visit.agronomist_label, "Not reviewed")
                        for visit in visits
                    ],
                    "Severity (%)": [visit.severity_percent for visit in visits],
                }
            ),
            hide_index=True,
            column_config={
                column: st.column_config.DatetimeColumn(
                    f"{column} ({zone_name})", format="YYYY-MM-DD HH:mm", timezone=zone_name
                )
                for column in ("Started", "Ended")
            },
        )
        visit = st.selectbox(
            "Report of a visit, for the grower",
            visits,
            format_func=lambda visit: (
                f"{minute_text(visit.started_at, get_settings().zone)} · {visit.field_name}, "
                f"plot {visit.plot}"
            ),
            help="One HTML page with the photos, both answers, the notes and the guide's advice; "
            "open it in a browser to print it or save it as PDF.",
        )
        st.download_button(
            "Download the visit report (HTML)",
            visit_report.visit_report_html(
                visit, records, visit_weather(visit, records), get_settings().zone
            ),
            file_name=visit_report.report_file_name(visit, get_settings().zone),
            mime="text/html",
            icon=":material/description:",
            on_click="ignore",
        )


def open_case_chosen_on_map() -> None:
    """Callback of the map: the dot just chosen opens its case in "Review a case"."""
    case_id = history_charts.selected_case(st.session_state[MAP_KEY]["selection"])
    if case_id is not None:
        st.session_state[REVIEWED_CASE_KEY] = case_id


def open_case_chosen_in_table(case_ids: Sequence[int]) -> None:
    """Callback of the cases table (whose rows are ``case_ids``): the row just ticked
    opens its case in "Review a case"."""
    rows = st.session_state[TABLE_KEY]["selection"]["rows"]
    if rows:
        st.session_state[REVIEWED_CASE_KEY] = case_ids[rows[0]]
