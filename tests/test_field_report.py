"""The field report: one HTML page of a field's cases over a period, for its grower."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from potato_disease.field_report import field_report_file_name, field_report_html
from potato_disease.history import period_start
from tests.case_records import case_record


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)  # 2026-11-02 is a Monday


CASES = [
    case_record(1, "early_blight", field_name="North <b>", plot="A1", created_at=at(2)),
    case_record(
        2,
        "early_blight",
        field_name="North <b>",
        plot="A1",
        created_at=at(2, 11),
        confirmed_label="pest",
        confirmed_at=at(3),
    ),
    case_record(3, "late_blight", field_name="North <b>", plot="B2", created_at=at(10)),
    case_record(
        4,
        "healthy",
        field_name="North <b>",
        plot="B2",
        created_at=at(10, 10),
        confirmed_label="late_blight",
        blind_label="late_blight",
    ),
    case_record(5, "virus", field_name="South", created_at=at(11)),  # another field
]


def cells(report: str, heading: str) -> list[list[str]]:
    """The text of each body row of the table under ``heading``."""
    section = report.split(f"<h2>{heading}</h2>", 1)[1].split("</table>", 1)[0]
    body = section.split("<tbody>", 1)[1]
    return [re.findall(r"<td>(.*?)</td>", row) for row in body.split("</tr>") if "<td>" in row]


def test_the_report_counts_each_diagnosis_by_the_agronomists_word_first():
    report = field_report_html("North <b>", CASES)
    assert "<title>Field report: North &lt;b&gt;</title>" in report  # the name as text
    assert "<b>" not in report.replace("<body>", "")
    assert "2026-11-02 to 2026-11-10 · 4 cases,\n2 reviewed by an agronomist · plots A1, B2" in (
        report
    )
    assert cells(report, "Diagnoses") == [
        ["Early blight", "1", "0", "2026-11-02 09:00 UTC"],
        ["Late blight", "2", "1", "2026-11-10 10:00 UTC"],
        ["Insect pest damage", "1", "1", "2026-11-02 11:00 UTC"],
    ]
    assert "South" not in report and "Viral" not in report


def test_the_report_goes_week_by_week_and_lists_late_blight():
    report = field_report_html("North <b>", CASES)
    assert cells(report, "Week by week") == [
        ["2026-11-02", "2", "Early blight 1, Insect pest damage 1"],
        ["2026-11-09", "2", "Late blight 2"],
    ]
    late_blight = report.split("<h2>Late blight</h2>", 1)[1].split("</ul>", 1)[0]
    assert "Seen 2 times" in late_blight
    assert "case #3, plot B2, the model's answer (90%)" in late_blight
    assert "case #4, plot B2, confirmed by the agronomist" in late_blight


def test_the_report_has_the_plot_visits_and_the_agreement_blind_apart():
    report = field_report_html("North <b>", CASES)
    visits = cells(report, "Plot visits")
    assert [row[1:3] for row in visits] == [["B2", "2"], ["A1", "2"]]  # newest first
    assert visits[0][4] == "Late blight" and visits[1][4] == "Insect pest damage"
    assert [row[5] for row in visits] == ["—", "—"]  # no severity estimated
    assert (
        "Of 2 reviewed cases, the model agreed with the agronomist on 0 (0%). On the 1 case "
        "reviewed before the model&#x27;s answer was seen, it agreed on 0 (0%)."
    ) in report


def test_the_report_draws_each_plots_disease_progress_from_severity_estimates():
    assert "<h2>Disease progress</h2>" not in field_report_html("North <b>", CASES)  # none given
    estimated = [
        replace(CASES[0], severity_percent=2.0),
        replace(CASES[2], severity_percent=10.0),
        replace(CASES[3], severity_percent=20.0),  # B2 on the 10th: mean 15 %
        case_record(6, field_name="North <b>", plot="B2", created_at=at(17), severity_percent=45),
        *CASES[4:],
    ]
    report = field_report_html("North <b>", estimated)
    assert [row[5] for row in cells(report, "Plot visits")] == ["15 %"]  # B2 on the 10th
    assert cells(report, "Disease progress") == [
        ["A1", "2026-11-02: 2 %", "—", "—"],  # one day: no area yet
        ["B2", "2026-11-10: 15 %, 2026-11-17: 45 %", "210", "0.30"],  # (15 + 45) / 2 * 7
    ]


def test_a_quiet_field_says_so():
    report = field_report_html("South", CASES)
    assert "No late blight in this period." in report
    assert "No case of this period was reviewed by an agronomist." in report
    assert "<h2>Plot visits</h2>" not in report  # one case without a plot: no visit


def test_a_field_without_cases_is_refused_and_file_names_are_safe():
    with pytest.raises(ValueError, match="No case of the field"):
        field_report_html("West", CASES)
    first, last = at(2, 20), at(10)
    assert (
        field_report_file_name("North <b>", first, last)
        == "field-report-north-b-2026-11-02-to-2026-11-10.html"
    )
    java = ZoneInfo("Asia/Jakarta")  # UTC+7: the evening of the 2nd is the 3rd there
    assert (
        field_report_file_name("N", first, last, java)
        == "field-report-n-2026-11-03-to-2026-11-10.html"
    )
    assert field_report_file_name("Ладонь", None, None) == "field-report-field.html"
    assert period_start(at(8), "week") == date(2026, 11, 2)  # a Sunday's week
