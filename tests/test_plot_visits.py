"""The History's plot visits: cases of one field and plot on one day, combined."""

from __future__ import annotations

from datetime import UTC, date, datetime

from potato_disease.history import CaseRecord
from potato_disease.labels import DISEASE_LABELS, NOT_LEAF
from potato_disease.plot_visits import MIXED, plot_visits


def record(
    label: str = "late_blight",
    field: str | None = "North",
    plot: str | None = "A1",
    day: int = 3,
    hour: int = 9,
    confirmed: str | None = None,
    is_leaf: bool = True,
) -> CaseRecord:
    probabilities = dict.fromkeys(DISEASE_LABELS, 0.02) | {label if is_leaf else "healthy": 0.88}
    return CaseRecord(
        id=0,
        created_at=datetime(2026, 6, day, hour, tzinfo=UTC),
        photo_name="leaf.jpg",
        thumbnail=b"",
        model_label=label if is_leaf else NOT_LEAF,
        model_confidence=0.88,
        probabilities=probabilities,
        is_leaf=is_leaf,
        confirmed_label=confirmed,
        confirmed_at=None,
        field_name=field,
        plot=plot,
        notes=None,
        latitude=None,
        longitude=None,
        model_version="v1",
    )


def test_cases_of_one_plot_on_one_day_are_one_visit_with_a_combined_answer() -> None:
    visits = plot_visits(
        [
            record(hour=8),
            record(hour=17, confirmed="late_blight"),
            record(label="healthy", hour=12),
            record(plot="A2"),  # alone on its plot: no visit
            record(day=4),  # alone on its day
            record(field=None),  # no field: not a plot visit
            record(plot=None),
        ]
    )
    assert len(visits) == 1
    visit = visits[0]
    where = (visit.field_name, visit.plot, visit.day, visit.cases)
    assert where == ("North", "A1", date(2026, 6, 3), 3)
    assert visit.combined.label == "late_blight"
    assert (visit.combined.photos_agreeing, visit.combined.photos_combined) == (2, 3)
    assert visit.agronomist_label == "late_blight"  # the only review


def test_reviews_that_differ_are_mixed_and_refused_photos_leave_no_answer() -> None:
    mixed = plot_visits([record(confirmed="late_blight"), record(confirmed="early_blight")])
    assert mixed[0].agronomist_label == MIXED
    unreviewed = plot_visits([record(), record()])
    assert unreviewed[0].agronomist_label is None
    refused = plot_visits([record(is_leaf=False), record(is_leaf=False)])
    assert refused[0].combined is None


def test_visits_come_newest_first() -> None:
    visits = plot_visits([record(day=1), record(day=1), record(day=5), record(day=5)])
    assert [visit.day.day for visit in visits] == [5, 1]
