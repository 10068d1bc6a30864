"""A plot's disease progress from the agronomist's severity estimates, and the area under
its disease progress curve (AUDPC), by which plant pathologists compare plots, varieties
and spray programmes over a season.

A plot's assessments are the days on which a severity was estimated for one of its cases,
each at the mean of that day's estimates. AUDPC adds, over consecutive assessments, the
mean of their two severities times the days between them (the trapezoid rule; Shaner and
Finney, 1977), in %·days. The relative AUDPC divides it by 100 % times the days from the
first assessment to the last: 0 is no disease, 1 all foliage affected throughout, so plots
assessed over different spans compare.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, tzinfo
from itertools import pairwise
from statistics import fmean

from potato_disease.history import CaseRecord
from potato_disease.local_time import local_day

HOW_IT_IS_MEASURED = (
    "From the agronomist's severity estimates, given when saving or correcting a case (a "
    "day with several counts at their mean). AUDPC, the area under the disease progress "
    "curve, adds the mean severity of consecutive assessments times the days between "
    "them; the relative AUDPC divides it by 100 % times the days assessed (0: no disease, "
    "1: all foliage affected throughout), so plots assessed over different spans compare."
)


@dataclass(frozen=True)
class Assessment:
    """The plot's severity (percent of foliage with symptoms) on one day."""

    day: date
    severity_percent: float


@dataclass(frozen=True)
class PlotProgress:
    """The severity assessments of one plot of a field, in day order."""

    field_name: str | None
    plot: str | None
    assessments: tuple[Assessment, ...]

    @property
    def days(self) -> int:
        """Days from the first assessment to the last."""
        return (self.assessments[-1].day - self.assessments[0].day).days

    @property
    def audpc(self) -> float:
        """The area under the disease progress curve, in %·days."""
        return audpc(self.assessments)

    @property
    def relative_audpc(self) -> float | None:
        """AUDPC over 100 % times :attr:`days`; None for assessments of a single day."""
        return self.audpc / (100.0 * self.days) if self.days else None


def audpc(assessments: Sequence[Assessment]) -> float:
    """The area under the curve through ``assessments`` (in day order), in %·days."""
    return sum(
        (earlier.severity_percent + later.severity_percent) / 2 * (later.day - earlier.day).days
        for earlier, later in pairwise(assessments)
    )


def plot_progress(cases: Iterable[CaseRecord], zone: tzinfo) -> list[PlotProgress]:
    """The progress of every plot (field and plot name) with a severity estimated on at
    least one day, days taken in ``zone``; plots sorted by field, then plot."""
    estimates: dict[tuple[str | None, str | None], dict[date, list[float]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for case in cases:
        if case.severity_percent is not None:
            day = local_day(case.observed_at, zone)
            estimates[case.field_name, case.plot][day].append(case.severity_percent)
    return [
        PlotProgress(
            field_name,
            plot,
            tuple(Assessment(day, fmean(values)) for day, values in sorted(by_day.items())),
        )
        for (field_name, plot), by_day in sorted(
            estimates.items(), key=lambda item: (item[0][0] or "", item[0][1] or "")
        )
    ]
