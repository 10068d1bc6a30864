"""A plot visit as one self-contained HTML page to hand to the grower or print: its photos
with the model's and the agronomist's answers, the notes, and the guide's advice."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, tzinfo

from markdown_it import MarkdownIt

from potato_disease.blight_weather import HUTTON_RULE
from potato_disease.guide import TREATMENT_SECTION, guide_entry
from potato_disease.history import CaseRecord
from potato_disease.labels import DISPLAY_NAMES, LATE_BLIGHT
from potato_disease.local_time import minute_text
from potato_disease.photo_exif import centre
from potato_disease.plot_visits import MIXED, PlotVisit
from potato_disease.presentation import (
    UNSURE_BELOW,
    as_percent,
    as_severity,
    basis_name,
    counted,
    label_list,
)
from potato_disease.report_html import html_page, text
from potato_disease.weather import ATTRIBUTION

EXPERT_SECTION = "When to call an expert"
_markdown = MarkdownIt("commonmark", {"html": False})  # the guide's raw HTML is not passed on


def _seen(case: CaseRecord, zone: tzinfo) -> str:
    """When the photo was taken, if it says, else when it was saved."""
    if case.taken_at is not None:
        return f"taken {minute_text(case.taken_at, zone)}"
    return f"saved {minute_text(case.created_at, zone)}"


def advice_basis(visit: PlotVisit) -> tuple[str | None, str]:
    """The label whose advice the report gives, and on whose word: the agronomist's
    diagnosis when their reviews agree, else the model's combined answer when it is
    sure enough, else none (the sentence says why)."""
    reviewed = visit.agronomist_label
    if reviewed and reviewed != MIXED:
        return reviewed, "the agronomist's diagnosis"
    combined = visit.combined
    if combined is None:
        return None, "No photo of this visit was accepted as a potato leaf, so no advice is given."
    if combined.photos_disagree:
        if LATE_BLIGHT in combined.confident_labels:
            return LATE_BLIGHT, (
                "late blight, which the model saw with confidence on some photos of this "
                "visit while others show something else; not yet confirmed by the agronomist"
            )
        return None, (
            "Some photos of this visit look healthy and others diseased, and no diagnosis is "
            "confirmed, so no advice is given: check the plants in the field."
        )
    if combined.confidence < UNSURE_BELOW:
        return None, (
            "The model is unsure of this visit and no diagnosis is confirmed, so no advice "
            "is given: check the plants in the field."
        )
    return combined.label, (
        "the model's combined answer, not yet confirmed by the agronomist"
        + ("; their reviews of the photos differ" if reviewed == MIXED else "")
    )


def combined_words(visit: PlotVisit) -> str:
    """The model's combined answer for a visit, in words."""
    combined = visit.combined
    if combined is None:
        return "no photo accepted as a potato leaf"
    if combined.photos_disagree:
        named = label_list(combined.confident_labels)
        return f"no one answer: the photos confidently show {named}"
    return (
        f"{DISPLAY_NAMES[combined.label]} ({as_percent(combined.confidence)}; "
        f"{combined.photos_agreeing} of {counted(combined.photos_combined, 'photo')} agree)"
    )


def agronomist_words(visit: PlotVisit) -> str:
    """The agronomist's diagnosis of a visit, in words."""
    if visit.agronomist_label is None:
        return "not reviewed"
    if visit.agronomist_label == MIXED:
        return "reviews of the photos differ"
    return DISPLAY_NAMES[visit.agronomist_label]


def _summary(visit: PlotVisit) -> str:
    return (
        f"<p><strong>Agronomist's diagnosis:</strong> {text(agronomist_words(visit))}<br>"
        f"<strong>Model's combined answer:</strong> {text(combined_words(visit))}</p>"
    )


def _photo_rows(cases: Sequence[CaseRecord], zone: tzinfo) -> str:
    rows = []
    for case in cases:
        model = DISPLAY_NAMES[case.model_label]
        if case.is_leaf:
            model += f" ({as_percent(case.model_confidence)})"
        reviewed = DISPLAY_NAMES[case.confirmed_label] if case.confirmed_label else "Not reviewed"
        if case.confirmed_label and case.reviewed_by:
            reviewed += f", by {case.reviewed_by}"
        if case.confirmed_label and case.review_basis:
            reviewed += f", from {basis_name(case.review_basis)}"
        rows.append(
            f'<tr><td><img src="{case.thumbnail_data_url}" alt="{text(case.photo_name)}">'
            f"</td><td>#{case.id} · {text(case.photo_name)}<br>{_seen(case, zone)}</td>"
            f"<td>{text(model)}</td><td>{text(reviewed)}</td>"
            f"<td>{text(_notes(case))}</td></tr>"
        )
    return "\n".join(rows)


def _notes(case: CaseRecord) -> str:
    """The case's notes, with the severity estimated in the plot when there is one."""
    if case.severity_percent is None:
        return case.notes or ""
    severity = f"Severity in the plot: {as_severity(case.severity_percent)} of foliage."
    return f"{case.notes} {severity}" if case.notes else severity


def _place(cases: Sequence[CaseRecord]) -> str:
    """ " · at latitude, longitude": the centre of the located photos, if any."""
    middle = centre([case.location for case in cases], within_m=None)
    return "" if middle is None else f" · at {middle.latitude:.5f}, {middle.longitude:.5f}"


def _advice(label: str | None, basis: str) -> str:
    if label is None:
        return f'<p class="note">{text(basis)}</p>'
    entry = guide_entry(label)
    sources = "".join(f"<li>{text(source)}</li>" for source in entry.sources)
    return (
        f"<h2>What to do: {text(entry.title)}</h2>"
        f'<p class="note">Advice for {text(basis)}. A diagnosis from photos needs '
        "confirming in the field before it drives spraying or quarantine.</p>"
        f"{_markdown.render(entry.sections[TREATMENT_SECTION])}"
        f"<h3>{text(EXPERT_SECTION)}</h3>{_markdown.render(entry.sections[EXPERT_SECTION])}"
        f"<h3>Sources</h3><ul>{sources}</ul>"
    )


def _weather(blight_weather: tuple[date, str] | None) -> str:
    if blight_weather is None:
        return ""
    day, sentence = blight_weather
    return (
        f"<h2>Late blight weather at this place, as forecast on {day:%Y-%m-%d}</h2>"
        f'<p>{text(sentence)}</p><p class="note">A Hutton period is {text(HUTTON_RULE)}: '
        "weather in which late blight spreads. Protectant sprays work only on leaves they "
        f"cover before infection. {text(ATTRIBUTION)}.</p>"
    )


def visit_report_html(
    visit: PlotVisit,
    cases: Sequence[CaseRecord],
    blight_weather: tuple[date, str] | None = None,
    zone: tzinfo = UTC,
) -> str:
    """The report of ``visit`` as a complete HTML document; ``cases`` must hold every case
    the visit names, in any order (others are left out). ``blight_weather``: the day of
    a forecast and its Hutton periods near the plot, given only for a recent visit."""
    by_id = {case.id: case for case in cases}
    missing = [case_id for case_id in visit.case_ids if case_id not in by_id]
    if missing:
        raise ValueError(f"The report needs every case of the visit; missing #{missing[0]}.")
    ordered = [by_id[case_id] for case_id in visit.case_ids]
    title = (
        f"Plot visit: {visit.field_name}, plot {visit.plot}, "
        f"{visit.started_at.astimezone(zone):%Y-%m-%d}"
    )
    versions = sorted({case.model_version for case in ordered if case.model_version})
    body = f"""<p>{minute_text(visit.started_at, zone)} to {minute_text(visit.ended_at, zone)} ·
{counted(len(ordered), "photo")}{_place(ordered)}</p>
{_summary(visit)}
<table><thead><tr><th>Photo</th><th>Case</th><th>Model's answer</th>
<th>Agronomist's diagnosis</th><th>Notes</th></tr></thead>
<tbody>
{_photo_rows(ordered, zone)}
</tbody></table>
{_weather(blight_weather)}
{_advice(*advice_basis(visit))}
<footer>Made by the potato leaf diagnosis app (model {text(", ".join(versions) or "unknown")}).
The model's answers are calibrated probabilities from one photo each, combined assuming
different plants; the model card describes how they were measured and their limits.
</footer>"""
    return html_page(title, body)


def report_file_name(visit: PlotVisit, zone: tzinfo = UTC) -> str:
    """A safe download name: ``plot-visit-<date>-<field>-<plot>.html``."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", f"{visit.field_name}-{visit.plot}").strip("-").lower()
    return f"plot-visit-{visit.started_at.astimezone(zone):%Y-%m-%d}-{slug or 'plot'}.html"
