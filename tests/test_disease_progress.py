"""A plot's disease progress from severity estimates, and its AUDPC."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from potato_disease.disease_progress import Assessment, PlotProgress, audpc, plot_progress
from tests.case_records import case_record


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


def test_audpc_adds_trapezoids_between_assessments() -> None:
    curve = [Assessment(date(2026, 11, 2), 5), Assessment(date(2026, 11, 9), 20)]
    curve.append(Assessment(date(2026, 11, 16), 60))
    # (5 + 20) / 2 * 7 + (20 + 60) / 2 * 7 = 87.5 + 280
    assert audpc(curve) == pytest.approx(367.5)
    progress = PlotProgress("North", "A1", tuple(curve))
    assert progress.days == 14
    assert progress.relative_audpc == pytest.approx(367.5 / 1400)
    single = PlotProgress("North", "A1", curve[:1])
    assert single.audpc == 0 and single.relative_audpc is None


def test_plot_progress_groups_by_plot_and_day_in_the_teams_zone() -> None:
    cases = [
        case_record(1, plot="A1", created_at=at(2), severity_percent=4),
        case_record(2, plot="A1", created_at=at(2, 10), severity_percent=6),  # same day: mean
        case_record(3, plot="A1", created_at=at(9, 20), severity_percent=30),  # the 10th in Java
        case_record(4, plot="A1", created_at=at(5)),  # no estimate: not an assessment
        case_record(5, plot="B2", created_at=at(3), severity_percent=0),
        case_record(6, plot="A1", field_name="South", created_at=at(3), severity_percent=50),
    ]
    java = ZoneInfo("Asia/Jakarta")
    north_a1, north_b2, south_a1 = plot_progress(cases, java)
    assert (north_a1.field_name, north_a1.plot) == ("North", "A1")
    assert north_a1.assessments == (
        Assessment(date(2026, 11, 2), 5.0),
        Assessment(date(2026, 11, 10), 30.0),
    )
    assert north_a1.audpc == pytest.approx((5 + 30) / 2 * 8)
    assert north_b2.assessments == (Assessment(date(2026, 11, 3), 0.0),)
    assert (south_a1.field_name, south_a1.plot) == ("South", "A1")
    assert plot_progress([case_record(7)], java) == []
