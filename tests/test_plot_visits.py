"""The History's plot visits: cases of one field and plot saved close together, combined."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from potato_disease.history import CaseRecord
from potato_disease.labels import DISEASE_LABELS, NOT_LEAF
from potato_disease.plot_visits import MIXED, VISIT_GAP, plot_visits
from tests.case_records import case_record

CASE_IDS = itertools.count(1)


def record(
    label: str = "late_blight",
    field: str | None = "North",
    plot: str | None = "A1",
    day: int = 3,
    hour: int = 9,
    minute: int = 0,
    confirmed: str | None = None,
    is_leaf: bool = True,
) -> CaseRecord:
    probabilities = dict.fromkeys(DISEASE_LABELS, 0.02) | {label if is_leaf else "healthy": 0.88}
    return case_record(
        next(CASE_IDS),
        label if is_leaf else NOT_LEAF,
        created_at=datetime(2026, 6, day, hour, minute, tzinfo=UTC),
        photo_name="leaf.jpg",
        model_confidence=0.88,
        probabilities=probabilities,
        confirmed_label=confirmed,
        field_name=field,
        plot=plot,
    )


def test_cases_of_one_plot_saved_close_together_are_one_visit_with_a_combined_answer() -> None:
    morning, midday, evening = (
        record(hour=8),
        record(hour=13, confirmed="late_blight"),
        record(label="healthy", hour=17),
    )
    visits = plot_visits(
        [
            evening,
            morning,
            midday,
            record(plot="A2"),  # alone on its plot: no visit
            record(day=4),  # alone: the day before ended at 17:00
            record(field=None),  # no field: not a plot visit
            record(plot=None),
        ]
    )
    assert len(visits) == 1
    visit = visits[0]
    where = (visit.field_name, visit.plot, visit.started_at, visit.ended_at, len(visit.case_ids))
    assert where == (
        "North",
        "A1",
        datetime(2026, 6, 3, 8, tzinfo=UTC),
        datetime(2026, 6, 3, 17, tzinfo=UTC),
        3,
    )
    assert visit.case_ids == (morning.id, midday.id, evening.id)  # oldest first
    assert visit.combined.label == "late_blight"
    assert (visit.combined.photos_agreeing, visit.combined.photos_combined) == (2, 3)
    assert visit.agronomist_label == "late_blight"  # the only review
    assert visit.severity_percent is None  # none estimated
    estimated = [replace(morning, severity_percent=10.0), replace(midday, severity_percent=20.0)]
    (with_severity,) = plot_visits([*estimated, evening])
    assert with_severity.severity_percent == 15.0  # the mean of the estimates given


def test_a_visit_runs_across_midnight_and_a_long_pause_starts_a_new_one() -> None:
    gap_hours = int(VISIT_GAP.total_seconds() // 3600)
    visits = plot_visits(
        [
            record(day=3, hour=23, minute=30),
            record(day=4, hour=0, minute=20),  # the same walk, after midnight (UTC)
            record(day=4, hour=gap_hours, minute=21),  # more than the gap later
            record(day=4, hour=gap_hours + 1),
        ]
    )
    assert [(v.started_at.day, v.started_at.hour, len(v.case_ids)) for v in visits] == [
        (4, gap_hours, 2),
        (3, 23, 2),
    ]
    first = record(hour=1)
    at_the_gap = replace(first, created_at=first.created_at + VISIT_GAP)
    assert [len(v.case_ids) for v in plot_visits([first, at_the_gap])] == [2]
    past_the_gap = replace(at_the_gap, created_at=at_the_gap.created_at + timedelta(seconds=1))
    assert plot_visits([first, past_the_gap]) == []


def test_reviews_that_differ_are_mixed_and_refused_photos_leave_no_answer() -> None:
    mixed = plot_visits([record(confirmed="late_blight"), record(confirmed="early_blight")])
    assert mixed[0].agronomist_label == MIXED
    unreviewed = plot_visits([record(), record()])
    assert unreviewed[0].agronomist_label is None
    refused = plot_visits([record(is_leaf=False), record(is_leaf=False)])
    assert refused[0].combined is None


def test_visits_come_newest_first() -> None:
    visits = plot_visits([record(day=1), record(day=1), record(day=5), record(day=5)])
    assert [visit.started_at.day for visit in visits] == [5, 1]


def test_photos_taken_on_one_walk_and_saved_days_later_are_one_visit() -> None:
    taken = [datetime(2026, 6, 3, 9, tzinfo=UTC), datetime(2026, 6, 3, 10, tzinfo=UTC)]
    in_the_field = [replace(record(day=3, hour=9), taken_at=taken[0])]
    at_the_office = [replace(record(day=6, hour=17), taken_at=taken[1])]  # 3 days later
    later_undated = [record(day=6, hour=18)]  # no time in its photo: seen when saved
    (visit,) = plot_visits([*in_the_field, *at_the_office, *later_undated])
    assert (visit.started_at, visit.ended_at) == (taken[0], taken[1])
    assert visit.case_ids == (in_the_field[0].id, at_the_office[0].id)
