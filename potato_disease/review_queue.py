"""Which saved cases an agronomist should review first.

A case nobody has reviewed carries only the model's answer. A review is worth most where
the model was least sure (uncertainty sampling, the usual first rule of active learning):
there it is the likeliest to catch a wrong answer, and the reviewed photo teaches the
next model most (reviewed photos are its training data: ``reviewed_photos``). So the
queue puts first the photos the model refused (a refused photo that is a leaf after all
is a kind of leaf the model has not learned), then the rest by the gap between the
model's two likeliest answers, smallest first; the newest first where that ties.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from potato_disease.history import ReviewCandidate
from potato_disease.labels import DISEASE_LABELS
from potato_disease.photo_files import LAB_SOURCE


@dataclass(frozen=True)
class QueuedCase:
    """A case awaiting review, with what made the model unsure of it."""

    case: ReviewCandidate
    runner_up: str | None  # the model's second likeliest leaf label
    margin: float  # the likeliest label's probability less the runner-up's, 0 to 1


def runner_up_and_margin(probabilities: Mapping[str, float]) -> tuple[str | None, float]:
    """The second likeliest label and how far the likeliest is ahead of it (a lone or
    missing answer is 1 ahead of nothing)."""
    ranked = sorted(probabilities, key=probabilities.__getitem__, reverse=True)
    if not ranked:
        return None, 1.0
    if len(ranked) == 1:
        return None, probabilities[ranked[0]]
    return ranked[1], probabilities[ranked[0]] - probabilities[ranked[1]]


def review_priority(is_leaf: bool, probabilities: Mapping[str, float]) -> tuple[bool, float]:
    """The queue's sort key for one answer: refused photos first (False sorts before
    True), then the smallest margin between the two likeliest labels."""
    return is_leaf, runner_up_and_margin(probabilities)[1]


def review_queue(
    unreviewed: Iterable[ReviewCandidate], skipped: Collection[int] = ()
) -> list[QueuedCase]:
    """The ``unreviewed`` cases, except those ``skipped`` (ids), most useful first:
    refused photos, then the smallest margin, then the newest."""
    queued = [
        QueuedCase(case, *runner_up_and_margin(case.probabilities))
        for case in unreviewed
        if case.id not in skipped
    ]
    queued.sort(key=lambda queued_case: queued_case.case.observed_at, reverse=True)
    queued.sort(  # stable: the newest stay first among equals
        key=lambda queued_case: review_priority(
            queued_case.case.is_leaf, queued_case.case.probabilities
        )
    )
    return queued


@dataclass(frozen=True)
class LabelProgress:
    """Reviewed photos of one leaf label against the field photos the model learned from."""

    label: str
    reviewed: int
    in_model_data: int


def field_photo_counts(source_counts: Mapping[str, Mapping[str, int]]) -> dict[str, int]:
    """Photos per label in every source but the lab's (the model metadata's
    ``data.counts``): what the model learned of leaves in the field."""
    counts: Counter[str] = Counter()
    for source, labels in source_counts.items():
        if source != LAB_SOURCE:
            counts.update(labels)
    return dict(counts)


def label_progress(
    reviewed: Mapping[str, int], field_counts: Mapping[str, int]
) -> list[LabelProgress]:
    """For each leaf label, the reviewed cases filed under it (``reviewed``) and the field
    photos of it in the model's data (``field_counts``, from the model's metadata), the
    labels with the fewest photos in all first: a review of those adds most to what the
    model has."""
    progress = [
        LabelProgress(label, reviewed.get(label, 0), field_counts.get(label, 0))
        for label in DISEASE_LABELS
    ]
    progress.sort(key=lambda row: row.reviewed + row.in_model_data)
    return progress
