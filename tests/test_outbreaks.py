"""Late blight found lately, by field, and the fields near it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from potato_disease.outbreaks import (
    NO_FIELD,
    Outbreak,
    counts_as_late_blight,
    late_blight_outbreaks,
)
from potato_disease.photo_exif import Location
from tests.test_history_charts import record

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)


def seen(case_id: int, days_ago: float, **changes: object):
    """A late blight case (model, 90 %) of field North seen ``days_ago``."""
    label = changes.pop("model_label", "late_blight")
    case = record(case_id, str(label), **changes)
    return replace(case, created_at=NOW - timedelta(days=days_ago))


def test_what_counts_as_late_blight() -> None:
    assert counts_as_late_blight(seen(1, 1))
    assert counts_as_late_blight(seen(2, 1, model_label="pest", confirmed_label="late_blight"))
    assert not counts_as_late_blight(seen(3, 1, confirmed_label="early_blight"))  # overruled
    assert not counts_as_late_blight(seen(4, 1, model_confidence=0.55))  # the model was unsure
    assert not counts_as_late_blight(seen(5, 1, model_label="healthy"))


def test_recent_late_blight_by_field_latest_first_with_the_fields_near_it() -> None:
    cases = [
        seen(1, 2, latitude=-7.25, longitude=110.40),
        seen(2, 1, latitude=-7.26, longitude=110.40, confirmed_label="late_blight"),
        seen(3, 20),  # too long ago
        seen(4, 0.5, field_name=None, latitude=None, longitude=None),
        seen(5, 1, field_name="East", model_label="virus"),  # not late blight
    ]
    fields = {
        "North": Location(-7.255, 110.40),
        "East": Location(-7.255, 110.43),  # 3.3 km east
        "Far": Location(-7.40, 110.40),  # 16 km south
        "West": Location(-7.255, 110.38),  # 2.2 km west
    }
    outbreaks = late_blight_outbreaks(cases, fields, NOW)
    assert outbreaks == [
        Outbreak(NO_FIELD, 1, 0, NOW - timedelta(days=0.5), None, ()),
        Outbreak(
            "North",
            2,
            1,
            NOW - timedelta(days=1),
            Location(-7.255, 110.4),
            ("West", "East"),  # nearest first; not itself, not the far one
        ),
    ]


def test_the_photo_time_dates_a_case_and_nothing_recent_means_no_outbreak() -> None:
    saved_late = seen(1, 1, taken_at=NOW - timedelta(days=30))  # taken a month ago
    assert late_blight_outbreaks([saved_late], {}, NOW) == []
    assert late_blight_outbreaks([], {}, NOW) == []
    future = seen(2, -1)  # a clock ahead of the server's is not counted twice
    assert late_blight_outbreaks([future], {}, NOW) == []
