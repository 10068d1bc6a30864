"""Several photos of one plot that show the same symptoms, combined into one answer.

Each photo's calibrated leaf probabilities count as independent evidence: the combined
probabilities are their normalised product (naive Bayes with the uniform prior the
model was trained towards). That holds for photos of *different* leaves; several shots
of one leaf are not independent and would make the answer overconfident, so identical
photos count once and the page asks for one photo per leaf. Refused photos are left
out. When photos confidently name different answers and one of them is late blight or
healthy, one answer could hide late blight or call a diseased plot healthy:
:attr:`CombinedDiagnosis.photos_disagree` says so, and the app then gives no one
answer. ``python -m training.combination_check`` measures accuracy and calibration of
the combined answer on validation field photos (``model/metadata.json``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from potato_disease.diagnosis import UNSURE_BELOW, Diagnosis, softmax
from potato_disease.labels import DISEASE_LABELS, HEALTHY, LATE_BLIGHT

SMALLEST_PROBABILITY = 1e-6  # keeps one photo's near-zero from vetoing a label outright


@dataclass(frozen=True)
class CombinedDiagnosis:
    """The answer for a set of photos, and how the photos stand towards it."""

    label: str
    confidence: float
    probabilities: dict[str, float]
    photos_combined: int
    photos_agreeing: int  # combined photos whose own answer is ``label``
    photos_left_out: int  # refused photos
    confident_labels: tuple[str, ...] = ()  # what combined photos name confidently, each

    @property
    def is_leaf(self) -> bool:
        """Always: only photos accepted as potato leaves are combined."""
        return True

    @property
    def photos_disagree(self) -> bool:
        """Whether photos confidently name different answers, late blight or healthy
        among them: then one answer for them all, which assumes one problem, could hide
        late blight or call a diseased plot healthy (the pooled answer for a late blight
        leaf with two healthy ones is seldom late blight: model card, "Several photos of
        one plot"). Two other diseases named are left to the one answer, with a note."""
        return one_answer_would_hide(self.confident_labels)


def pooled_probabilities(probabilities: np.ndarray) -> np.ndarray:
    """Normalised product of the rows of a (photos, labels) probability matrix."""
    logs = np.log(np.clip(probabilities, SMALLEST_PROBABILITY, 1.0)).sum(axis=0)
    return softmax(logs)


def probability_matrix(diagnoses: Sequence[Diagnosis]) -> np.ndarray:
    """The leaf probabilities of each diagnosis as rows in label order (a label missing
    from stored probabilities counts as 0)."""
    return np.array(
        [[d.probabilities.get(label, 0.0) for label in DISEASE_LABELS] for d in diagnoses]
    )


def combine(diagnoses: Sequence[Diagnosis]) -> CombinedDiagnosis | None:
    """One answer for photos of different leaves with the same symptoms; None when no
    photo was accepted as a potato leaf."""
    leaves = [diagnosis for diagnosis in diagnoses if diagnosis.is_leaf]
    if not leaves:
        return None
    pooled = pooled_probabilities(probability_matrix(leaves))
    best = int(np.argmax(pooled))
    label = DISEASE_LABELS[best]
    return CombinedDiagnosis(
        label=label,
        confidence=float(pooled[best]),
        probabilities={name: float(p) for name, p in zip(DISEASE_LABELS, pooled)},
        photos_combined=len(leaves),
        photos_agreeing=sum(1 for diagnosis in leaves if diagnosis.label == label),
        photos_left_out=len(diagnoses) - len(leaves),
        confident_labels=confident_labels(leaves),
    )


def confident_labels(leaves: Sequence[Diagnosis]) -> tuple[str, ...]:
    """The labels that accepted photos name with confidence, each once, in label order."""
    return labels_named_confidently(probability_matrix(leaves))


def one_answer_would_hide(named: Sequence[str]) -> bool:
    """Whether photos that confidently name the labels ``named`` get no one answer: two
    or more, late blight or healthy among them."""
    return len(named) > 1 and (LATE_BLIGHT in named or HEALTHY in named)


def labels_named_confidently(probabilities: np.ndarray) -> tuple[str, ...]:
    """The labels that rows of a (photos, labels) probability matrix name with
    confidence (:data:`UNSURE_BELOW` or surer), each once, in label order."""
    sure = probabilities.max(axis=1) >= UNSURE_BELOW
    named = set(probabilities[sure].argmax(axis=1).tolist())
    return tuple(label for index, label in enumerate(DISEASE_LABELS) if index in named)
