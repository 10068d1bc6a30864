"""Saved cases of one plot on one visit, taken together: the History's plot-level answer.

A visit is a run of cases saved with the same field and plot, each seen within
:data:`VISIT_GAP` of the one before (seen: when its photo was taken, if the photo says,
else when it was saved; photos taken in the field and saved in the office days later
still make one visit), so a walk through a plot late in the evening stays one visit
across midnight. Its photos are treated as the Diagnose page treats photos it
combines: different leaves with the same symptoms (:mod:`potato_disease.combination`;
the Diagnose page saves each photo once). The agronomist's label for the visit is the
one their reviews of those photos agree on.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import fmean

from potato_disease.combination import CombinedDiagnosis, combine
from potato_disease.diagnosis import Diagnosis
from potato_disease.history import CaseRecord

MIXED = "mixed"
VISIT_GAP = timedelta(hours=6)  # a longer pause between two cases starts a new visit


@dataclass(frozen=True)
class PlotVisit:
    """The cases of one field and plot on one visit, and their combined answer."""

    field_name: str
    plot: str
    started_at: datetime  # when its first case was seen (CaseRecord.observed_at)
    ended_at: datetime  # when its last case was seen
    case_ids: tuple[int, ...]  # oldest first
    combined: CombinedDiagnosis | None  # None when no photo was accepted as a leaf
    agronomist_label: str | None  # None: none reviewed; MIXED: the reviews differ
    severity_percent: float | None = None  # the mean of its severity estimates, if any


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


def visits_of_one_plot(records: list[CaseRecord]) -> list[list[CaseRecord]]:
    """One plot's cases, oldest first, split wherever two were seen more than
    :data:`VISIT_GAP` apart."""
    runs: list[list[CaseRecord]] = []
    for record in sorted(records, key=lambda record: (record.observed_at, record.id)):
        if runs and record.observed_at - runs[-1][-1].observed_at <= VISIT_GAP:
            runs[-1].append(record)
        else:
            runs.append([record])
    return runs


def plot_visit(cases: list[CaseRecord]) -> PlotVisit:
    """The visit made of ``cases`` (oldest first), with their combined answer."""
    return PlotVisit(
        cases[0].field_name or "",
        cases[0].plot or "",
        cases[0].observed_at,
        cases[-1].observed_at,
        tuple(record.id for record in cases),
        combine([as_diagnosis(record) for record in cases]),
        reviewed_label(cases),
        mean_severity(cases),
    )


def mean_severity(records: Iterable[CaseRecord]) -> float | None:
    """The mean of the severities estimated for ``records``; None when none was."""
    estimates = [r.severity_percent for r in records if r.severity_percent is not None]
    return fmean(estimates) if estimates else None


def plot_visits(records: Iterable[CaseRecord]) -> list[PlotVisit]:
    """Visits with two or more cases that name both field and plot, newest first."""
    by_plot: dict[tuple[str, str], list[CaseRecord]] = defaultdict(list)
    for record in records:
        if record.field_name and record.plot:
            by_plot[(record.field_name, record.plot)].append(record)
    visits = [
        plot_visit(cases)
        for plot_cases in by_plot.values()
        for cases in visits_of_one_plot(plot_cases)
    ]
    return sorted(
        (visit for visit in visits if len(visit.case_ids) >= 2),
        key=lambda visit: (visit.started_at, visit.field_name, visit.plot),
        reverse=True,
    )
