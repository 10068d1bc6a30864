"""Saved cases of one plot on one day, taken together: the History's plot-level answer.

Photos saved with the same field and plot on the same day (UTC) are treated as the
Diagnose page treats photos it combines: different leaves with the same symptoms
(:mod:`potato_disease.combination`). The agronomist's label for the visit is the one
their reviews of those photos agree on.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from potato_disease.combination import CombinedDiagnosis, combine
from potato_disease.diagnosis import Diagnosis
from potato_disease.history import CaseRecord

MIXED = "mixed"


@dataclass(frozen=True)
class PlotVisit:
    """The cases of one field and plot on one day, and their combined answer."""

    field_name: str
    plot: str
    day: date
    cases: int
    combined: CombinedDiagnosis | None  # None when no photo was accepted as a leaf
    agronomist_label: str | None  # None: none reviewed; MIXED: the reviews differ


def as_diagnosis(record: CaseRecord) -> Diagnosis:
    """The model's answer stored with a case, as the diagnoser gave it."""
    return Diagnosis(
        record.model_label, record.model_confidence, record.probabilities, record.is_leaf
    )


def reviewed_label(records: list[CaseRecord]) -> str | None:
    """The agronomist's label the reviewed cases agree on; MIXED when they differ."""
    labels = {record.confirmed_label for record in records if record.confirmed_label}
    if not labels:
        return None
    return labels.pop() if len(labels) == 1 else MIXED


def plot_visits(records: Iterable[CaseRecord]) -> list[PlotVisit]:
    """Visits with two or more cases that name both field and plot, newest first."""
    groups: dict[tuple[str, str, date], list[CaseRecord]] = defaultdict(list)
    for record in records:
        if record.field_name and record.plot:
            groups[(record.field_name, record.plot, record.created_at.date())].append(record)
    visits = [
        PlotVisit(
            field_name,
            plot,
            day,
            len(cases),
            combine([as_diagnosis(record) for record in cases]),
            reviewed_label(cases),
        )
        for (field_name, plot, day), cases in groups.items()
        if len(cases) >= 2
    ]
    return sorted(visits, key=lambda visit: (visit.day, visit.field_name, visit.plot), reverse=True)
