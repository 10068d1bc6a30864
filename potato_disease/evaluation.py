"""Metrics for a labelled folder of photos: accuracy, macro-F1, confusion, ECE, refusals,
and bootstrap intervals of the first three."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from potato_disease.diagnosis import Diagnosis
from potato_disease.labels import DISEASE_LABELS, MODEL_CLASSES, NOT_LEAF


def confusion_matrix(truth: Sequence[str], predicted: Sequence[str]) -> np.ndarray:
    """Counts with true labels as rows and predictions as columns, in MODEL_CLASSES order."""
    matrix = np.zeros((len(MODEL_CLASSES), len(MODEL_CLASSES)), dtype=int)
    rows = [MODEL_CLASSES.index(label) for label in truth]
    columns = [MODEL_CLASSES.index(label) for label in predicted]
    np.add.at(matrix, (rows, columns), 1)
    return matrix


def macro_f1(matrix: np.ndarray, labels: Sequence[str]) -> float:
    """Mean F1 over ``labels`` (the classes present in the truth)."""
    scores = []
    for label in labels:
        index = MODEL_CLASSES.index(label)
        true_positive = matrix[index, index]
        precision_base, recall_base = matrix[:, index].sum(), matrix[index, :].sum()
        if true_positive == 0:
            scores.append(0.0)
            continue
        precision, recall = true_positive / precision_base, true_positive / recall_base
        scores.append(2 * precision * recall / (precision + recall))
    return float(np.mean(scores)) if scores else float("nan")


def expected_calibration_error(
    confidence: np.ndarray, correct: np.ndarray, bins: int = 15
) -> float:
    """ECE with equal-width confidence bins (Guo et al. 2017)."""
    edges = np.linspace(0, 1, bins + 1)
    error = 0.0
    for low, high in zip(edges[:-1], edges[1:]):
        in_bin = (confidence > low) & (confidence <= high)
        if in_bin.any():
            error += in_bin.mean() * abs(correct[in_bin].mean() - confidence[in_bin].mean())
    return float(error)


def balanced_accuracy(matrix: np.ndarray, labels: Sequence[str]) -> float:
    """Mean recall over ``labels``."""
    recalls = []
    for label in labels:
        index = MODEL_CLASSES.index(label)
        total = matrix[index].sum()
        recalls.append(matrix[index, index] / total if total else 0.0)
    return float(np.mean(recalls)) if recalls else float("nan")


def summarize(truth: Sequence[str], diagnoses: Sequence[Diagnosis]) -> dict[str, Any]:
    """Every metric for photos with known labels (``not_leaf`` = must be refused).

    Accuracy and macro-F1 are over leaf photos, a wrongly refused leaf counting as an
    error. ECE uses the calibrated leaf probabilities of leaf photos, whether or not
    they were refused.
    """
    predicted = [d.label for d in diagnoses]
    matrix = confusion_matrix(truth, predicted)
    leaf = np.array([label != NOT_LEAF for label in truth])
    result: dict[str, Any] = {"photos": len(truth)}
    if leaf.any():
        leaf_truth = [t for t, is_leaf in zip(truth, leaf) if is_leaf]
        leaf_diagnoses = [d for d, is_leaf in zip(diagnoses, leaf) if is_leaf]
        present = [label for label in DISEASE_LABELS if label in leaf_truth]
        correct_top = np.array([d.leaf_label == t for d, t in zip(leaf_diagnoses, leaf_truth)])
        confidence = np.array([d.probabilities[d.leaf_label] for d in leaf_diagnoses])
        result.update(
            leaf_photos=len(leaf_truth),
            accuracy=float(np.mean([d.label == t for d, t in zip(leaf_diagnoses, leaf_truth)])),
            macro_f1=macro_f1(matrix, present),
            balanced_accuracy=balanced_accuracy(matrix, present),
            ece=expected_calibration_error(confidence, correct_top),
            leaves_refused=float(np.mean([not d.is_leaf for d in leaf_diagnoses])),
            by_answer=reliability_by_answer(leaf_truth, leaf_diagnoses),
        )
    if (~leaf).any():
        result.update(
            not_leaf_photos=int((~leaf).sum()),
            not_leaf_refused=float(
                np.mean([not d.is_leaf for d, is_leaf in zip(diagnoses, leaf) if not is_leaf])
            ),
        )
    result["confusion_matrix"] = {
        "labels": list(MODEL_CLASSES),
        "rows_true_columns_predicted": matrix.tolist(),
    }
    return result


def reliability_by_answer(
    truth: Sequence[str], diagnoses: Sequence[Diagnosis]
) -> dict[str, dict[str, Any]]:
    """Per answer given (refusals aside): how often it was given, how often it was right,
    the mean confidence it came with, and what the photos it got wrong really showed. A
    calibrated answer is right about as often as its mean confidence says, whatever the
    overall ECE."""
    reliability: dict[str, dict[str, Any]] = {}
    for label in DISEASE_LABELS:
        given = [(d.confidence, t) for d, t in zip(diagnoses, truth) if d.label == label]
        if given:
            wrong = Counter(t for _, t in given if t != label)
            reliability[label] = {
                "answers": len(given),
                "right": len(given) - sum(wrong.values()),
                "mean_confidence": float(np.mean([confidence for confidence, _ in given])),
                "wrong_ones_were": dict(wrong.most_common()),
            }
    return reliability


OVERCONFIDENT_BY = 0.10  # an answer right this much less often than its mean confidence
MIN_ANSWERS = 20  # fewer answers than this say too little about one answer


def overconfident_answers(by_answer: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The answers (of :func:`reliability_by_answer`) given often enough that were right
    clearly less often than their mean confidence said."""
    return {
        label: figures
        for label, figures in by_answer.items()
        if figures["answers"] >= MIN_ANSWERS
        and figures["right"] / figures["answers"] < figures["mean_confidence"] - OVERCONFIDENT_BY
    }


INTERVAL_RESAMPLES = 1000


def bootstrap_intervals(
    truth: Sequence[str],
    predicted: Sequence[str],
    groups: Sequence[int] | None = None,
    resamples: int = INTERVAL_RESAMPLES,
    seed: int = 0,
) -> dict[str, list[float]]:
    """95 % percentile-bootstrap intervals of accuracy, macro-F1 and balanced accuracy.

    ``truth`` and ``predicted`` are those of leaf photos. With ``groups`` (near-duplicate
    bursts), whole groups are resampled, since photos of one burst are not independent
    evidence; without, single photos.
    """
    size = len(MODEL_CLASSES)
    cells = np.array(
        [MODEL_CLASSES.index(t) * size + MODEL_CLASSES.index(p) for t, p in zip(truth, predicted)]
    )
    _, members = np.unique(np.arange(len(cells)) if groups is None else groups, return_inverse=True)
    group_count = int(members.max()) + 1 if len(cells) else 0
    rng = np.random.default_rng(seed)
    samples: dict[str, list[float]] = {"accuracy": [], "macro_f1": [], "balanced_accuracy": []}
    for _ in range(resamples if group_count else 0):
        drawn = np.bincount(rng.integers(group_count, size=group_count), minlength=group_count)
        matrix = np.bincount(cells, weights=drawn[members], minlength=size * size)
        matrix = matrix.reshape(size, size)
        present = [MODEL_CLASSES[i] for i in np.flatnonzero(matrix.sum(axis=1))]
        samples["accuracy"].append(np.trace(matrix) / matrix.sum())
        samples["macro_f1"].append(macro_f1(matrix, present))
        samples["balanced_accuracy"].append(balanced_accuracy(matrix, present))
    return {
        name: [float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5))]
        for name, values in samples.items()
        if values
    }


def summarize_with_intervals(
    truth: Sequence[str], diagnoses: Sequence[Diagnosis], groups: Sequence[int] | None = None
) -> dict[str, Any]:
    """:func:`summarize`, plus ``intervals_95`` of the leaf-photo metrics where there are
    leaf photos."""
    result = summarize(truth, diagnoses)
    leaf = [k for k, label in enumerate(truth) if label != NOT_LEAF]
    if leaf:
        result["intervals_95"] = bootstrap_intervals(
            [truth[k] for k in leaf],
            [diagnoses[k].label for k in leaf],
            None if groups is None else [groups[k] for k in leaf],
        )
    return result
