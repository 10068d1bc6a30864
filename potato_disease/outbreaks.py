"""Late blight found lately, by field, and the fields near it: what to warn about first.

Late blight is the one disease here that can take a field within a week, and its spores
ride the wind for several kilometres in cloudy, humid weather (the guide, "How it
spreads"). A case counts when the agronomist confirmed late blight, or when the model
said it without being unsure and no agronomist said otherwise.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from potato_disease.history import CaseRecord
from potato_disease.labels import LATE_BLIGHT
from potato_disease.photo_exif import Location, centre, metres_apart
from potato_disease.presentation import UNSURE_BELOW

RECENT = timedelta(days=14)  # about two disease cycles in favourable weather
NEARBY_M = 5_000.0  # "several kilometres": how far spores may carry
NO_FIELD = ""  # cases saved without a field name are grouped under this


@dataclass(frozen=True)
class Outbreak:
    """Late blight in one field lately."""

    field_name: str  # NO_FIELD when the cases name none
    cases: int
    confirmed: int  # of them, confirmed by an agronomist
    last_seen: datetime  # CaseRecord.observed_at of the latest
    location: Location | None  # the centre of its located cases, if any
    fields_near: tuple[str, ...] = ()  # other fields within NEARBY_M, nearest first


def counts_as_late_blight(record: CaseRecord) -> bool:
    """Confirmed by the agronomist, or the model's confident answer left unreviewed."""
    if record.confirmed_label is not None:
        return record.confirmed_label == LATE_BLIGHT
    return record.model_label == LATE_BLIGHT and record.model_confidence >= UNSURE_BELOW


def late_blight_outbreaks(
    records: Iterable[CaseRecord],
    field_locations: Mapping[str, Location],
    now: datetime,
    recent: timedelta = RECENT,
) -> list[Outbreak]:
    """Fields with late blight seen within ``recent`` before ``now``, latest first, each
    with the other fields (``field_locations``: where each field's cases were found)
    within :data:`NEARBY_M` of it."""
    by_field: dict[str, list[CaseRecord]] = defaultdict(list)
    for record in records:
        if counts_as_late_blight(record) and now - recent <= record.observed_at <= now:
            by_field[record.field_name or NO_FIELD].append(record)
    outbreaks = []
    for field_name, cases in by_field.items():
        location = centre([case.location for case in cases], within_m=None)
        outbreaks.append(
            Outbreak(
                field_name,
                len(cases),
                sum(case.confirmed_label == LATE_BLIGHT for case in cases),
                max(case.observed_at for case in cases),
                location,
                tuple(name for name, _ in fields_near(location, field_name, field_locations)),
            )
        )
    return sorted(outbreaks, key=lambda outbreak: outbreak.last_seen, reverse=True)


def fields_near(
    location: Location | None, field_name: str | None, field_locations: Mapping[str, Location]
) -> list[tuple[str, float]]:
    """The fields other than ``field_name`` within :data:`NEARBY_M` of ``location``, with
    their distance in metres, nearest first."""
    if location is None:
        return []
    distances = {
        other: metres_apart(location, where)
        for other, where in field_locations.items()
        if other != field_name
    }
    return sorted(
        ((name, metres) for name, metres in distances.items() if metres <= NEARBY_M),
        key=lambda near: near[1],
    )
