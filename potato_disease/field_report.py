"""A field's cases over a period as one HTML page for the grower: what was found, week by
week, when late blight was seen, the plot visits, each plot's disease progress, and how
the model fared against the agronomist. No photos: a season can hold hundreds (the visit
report has them)."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, tzinfo

from potato_disease.disease_progress import HOW_IT_IS_MEASURED, plot_progress
from potato_disease.history import CaseRecord, period_start
from potato_disease.labels import DISPLAY_NAMES, MODEL_CLASSES
from potato_disease.local_time import local_day, minute_text
from potato_disease.outbreaks import counts_as_late_blight
from potato_disease.plot_visits import PlotVisit, plot_visits
from potato_disease.presentation import as_percent, as_severity, counted
from potato_disease.report_html import html_page, text
from potato_disease.review_agreement import agreement, blind_agreement
from potato_disease.visit_report import agronomist_words, combined_words


def _label_counts(cases: Sequence[CaseRecord]) -> str:
    counts = Counter(case.label for case in cases)
    return ", ".join(
        f"{DISPLAY_NAMES[label]} {counts[label]}" for label in MODEL_CLASSES if counts[label]
    )


def _diagnoses(cases: Sequence[CaseRecord], zone: tzinfo) -> str:
    rows = []
    for label in MODEL_CLASSES:
        of_label = [case for case in cases if case.label == label]
        if of_label:
            confirmed = sum(case.confirmed_label == label for case in of_label)
            last = max(case.observed_at for case in of_label)
            rows.append(
                f"<tr><td>{text(DISPLAY_NAMES[label])}</td><td>{len(of_label)}</td>"
                f"<td>{confirmed}</td><td>{minute_text(last, zone)}</td></tr>"
            )
    return (
        "<h2>Diagnoses</h2><table><thead><tr><th>Diagnosis</th><th>Cases</th>"
        "<th>Confirmed by the agronomist</th><th>Last seen</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table><p>A case counts under the agronomist's diagnosis where one was "
        "given, else under the model's answer.</p>"
    )


def _weeks(cases: Sequence[CaseRecord], zone: tzinfo) -> str:
    by_week: dict[date, list[CaseRecord]] = defaultdict(list)
    for case in cases:
        by_week[period_start(case.observed_at, "week", zone)].append(case)
    rows = "".join(
        f"<tr><td>{monday:%Y-%m-%d}</td><td>{len(by_week[monday])}</td>"
        f"<td>{text(_label_counts(by_week[monday]))}</td></tr>"
        for monday in sorted(by_week)
    )
    return (
        "<h2>Week by week</h2><table><thead><tr><th>Week of (Monday)</th><th>Cases</th>"
        f"<th>Diagnoses</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def _late_blight(cases: Sequence[CaseRecord], zone: tzinfo) -> str:
    struck = sorted(
        (case for case in cases if counts_as_late_blight(case)), key=lambda case: case.observed_at
    )
    if not struck:
        return "<h2>Late blight</h2><p>No late blight in this period.</p>"
    items = "".join(
        f"<li>{minute_text(case.observed_at, zone)}: case #{case.id}"
        + (f", plot {text(case.plot)}" if case.plot else "")
        + (
            ", confirmed by the agronomist"
            if case.confirmed_label
            else f", the model's answer ({as_percent(case.model_confidence)})"
        )
        + "</li>"
        for case in struck
    )
    return (
        f"<h2>Late blight</h2><p>Seen {counted(len(struck), 'time')}:</p><ul>{items}</ul>"
        '<p class="note">Late blight spreads from field to field on the wind in cloudy, humid '
        "weather: warn the growers around, and scout the field again within days.</p>"
    )


def _visits(cases: Sequence[CaseRecord], zone: tzinfo) -> str:
    visits = plot_visits(cases)
    if not visits:
        return ""
    rows = [
        f"<tr><td>{minute_text(visit.started_at, zone)}</td><td>{text(visit.plot)}</td>"
        f"<td>{len(visit.case_ids)}</td><td>{text(combined_words(visit))}</td>"
        f"<td>{text(agronomist_words(visit))}</td><td>{_severity_words(visit)}</td></tr>"
        for visit in visits
    ]
    return (
        "<h2>Plot visits</h2><table><thead><tr><th>Started</th><th>Plot</th><th>Photos</th>"
        "<th>Model's combined answer</th><th>Agronomist's diagnosis</th>"
        "<th>Severity (% of foliage)</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _severity_words(visit: PlotVisit) -> str:
    return "—" if visit.severity_percent is None else as_severity(visit.severity_percent)


def _progress(cases: Sequence[CaseRecord], zone: tzinfo) -> str:
    plots = plot_progress(cases, zone)
    if not plots:
        return ""
    rows = []
    for progress in plots:
        by_day = ", ".join(
            f"{each.day:%Y-%m-%d}: {as_severity(each.severity_percent)}"
            for each in progress.assessments
        )
        area = f"{progress.audpc:.0f}" if progress.days else "—"
        relative = progress.relative_audpc
        rows.append(
            f"<tr><td>{text(progress.plot or 'no plot given')}</td><td>{text(by_day)}</td>"
            f"<td>{area}</td><td>{'—' if relative is None else f'{relative:.2f}'}</td></tr>"
        )
    return (
        "<h2>Disease progress</h2><table><thead><tr><th>Plot</th>"
        "<th>Severity estimated (% of foliage)</th><th>AUDPC (%·days)</th>"
        f"<th>Relative AUDPC</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
        f'<p class="note">{text(HOW_IT_IS_MEASURED)}</p>'
    )


def _agreement(cases: Sequence[CaseRecord]) -> str:
    overall = agreement(cases)
    if overall.rate is None:
        return (
            "<h2>The model against the agronomist</h2><p>No case of this period was reviewed "
            "by an agronomist.</p>"
        )
    sentence = (
        f"Of {counted(overall.reviewed, 'reviewed case')}, the model agreed with the "
        f"agronomist on {overall.agreed} ({overall.rate:.0%})."
    )
    blind = blind_agreement(cases).agreement
    if blind.rate is not None:
        sentence += (
            f" On the {counted(blind.reviewed, 'case')} reviewed before the model's answer "
            f"was seen, it agreed on {blind.agreed} ({blind.rate:.0%})."
        )
    return f"<h2>The model against the agronomist</h2><p>{text(sentence)}</p>"


def field_report_html(field_name: str, cases: Sequence[CaseRecord], zone: tzinfo = UTC) -> str:
    """The report of ``field_name`` over ``cases`` (those of other fields are left out)
    as a complete HTML document, its times and weeks in ``zone`` (the team's)."""
    of_field = sorted(
        (case for case in cases if case.field_name == field_name), key=lambda case: case.observed_at
    )
    if not of_field:
        raise ValueError(f"No case of the field {field_name!r} to report on.")
    first = of_field[0].observed_at.astimezone(zone)
    last = of_field[-1].observed_at.astimezone(zone)
    plots = sorted({case.plot for case in of_field if case.plot})
    reviewed = sum(case.confirmed_label is not None for case in of_field)
    versions = sorted({case.model_version for case in of_field if case.model_version})
    body = f"""<p>{first:%Y-%m-%d} to {last:%Y-%m-%d} · {counted(len(of_field), "case")},
{reviewed} reviewed by an agronomist{" · plots " + text(", ".join(plots)) if plots else ""}</p>
{_diagnoses(of_field, zone)}
{_weeks(of_field, zone)}
{_late_blight(of_field, zone)}
{_visits(of_field, zone)}
{_progress(of_field, zone)}
{_agreement(of_field)}
<footer>Made by the potato leaf diagnosis app (model {text(", ".join(versions) or "unknown")}).
Cases are dated by when their photo was taken, else when they were saved; times are in
{text(str(zone))} and weeks start on Monday there. The model's answers are calibrated
probabilities from one photo each: a first opinion to confirm in the field. The model card
describes how they were measured.</footer>"""
    return html_page(f"Field report: {field_name}", body)


def field_report_file_name(
    field_name: str,
    first_seen: datetime | None,
    last_seen: datetime | None,
    zone: tzinfo = UTC,
) -> str:
    """A safe download name: ``field-report-<field>-<first day>-to-<last day>.html``, the
    days (in ``zone``) of the report's first and last cases when known."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", field_name).strip("-").lower() or "field"
    span = ""
    if first_seen is not None and last_seen is not None:
        span = f"-{local_day(first_seen, zone):%Y-%m-%d}-to-{local_day(last_seen, zone):%Y-%m-%d}"
    return f"field-report-{slug}{span}.html"
