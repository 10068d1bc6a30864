"""Metric helpers, checked on cases worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from potato_disease import evaluation
from potato_disease.diagnosis import Diagnosis
from potato_disease.labels import DISEASE_LABELS, MODEL_CLASSES, NOT_LEAF


def diagnosis(label: str, leaf_label: str | None = None, confidence: float = 0.9) -> Diagnosis:
    top = leaf_label or label
    rest = (1 - confidence) / (len(DISEASE_LABELS) - 1)
    probabilities = {name: confidence if name == top else rest for name in DISEASE_LABELS}
    return Diagnosis(label, confidence, probabilities, label != NOT_LEAF)


def test_confusion_matrix_rows_are_truth() -> None:
    matrix = evaluation.confusion_matrix(["healthy", "healthy"], ["healthy", "virus"])
    assert matrix[MODEL_CLASSES.index("healthy"), MODEL_CLASSES.index("virus")] == 1
    assert matrix.sum() == 2


def test_macro_f1_by_hand() -> None:
    truth = ["healthy", "healthy", "virus", "virus"]
    predicted = ["healthy", "virus", "virus", "virus"]
    matrix = evaluation.confusion_matrix(truth, predicted)
    # healthy: P=1, R=0.5 -> F1=2/3; virus: P=2/3, R=1 -> F1=0.8
    assert evaluation.macro_f1(matrix, ["healthy", "virus"]) == pytest.approx((2 / 3 + 0.8) / 2)


@pytest.mark.parametrize(
    ("confidence", "correct", "expected"),
    [
        ([0.9, 0.9, 0.9, 0.9], [1, 1, 1, 0], 0.15),
        ([1.0, 1.0], [1, 1], 0.0),
        ([0.6, 0.6, 0.95, 0.95], [1, 0, 1, 1], (0.5 * 0.1) + (0.5 * 0.05)),
    ],
)
def test_expected_calibration_error(confidence: list, correct: list, expected: float) -> None:
    value = evaluation.expected_calibration_error(np.array(confidence), np.array(correct, bool))
    assert value == pytest.approx(expected)


def test_summary_counts_a_refused_leaf_as_an_error_and_reports_refusals() -> None:
    truth = ["healthy", "late_blight", NOT_LEAF, NOT_LEAF]
    diagnoses = [
        diagnosis("healthy"),
        diagnosis(NOT_LEAF, leaf_label="late_blight"),
        diagnosis(NOT_LEAF, leaf_label="healthy"),
        diagnosis("virus"),
    ]
    summary = evaluation.summarize(truth, diagnoses)
    assert summary["accuracy"] == 0.5
    assert summary["leaves_refused"] == 0.5
    assert summary["not_leaf_refused"] == 0.5
    assert summary["balanced_accuracy"] == 0.5


def test_reliability_by_answer_shows_an_answer_more_sure_than_right() -> None:
    truth = ["healthy", "virus", "pest", "late_blight", "late_blight"]
    diagnoses = [
        diagnosis("healthy", confidence=0.9),
        diagnosis("healthy", confidence=0.8),  # a virus called healthy
        diagnosis("healthy", confidence=0.7),  # a pest called healthy
        diagnosis("late_blight", confidence=0.95),
        diagnosis(NOT_LEAF, leaf_label="late_blight"),  # refusals are no answer
    ]
    by_answer = evaluation.summarize(truth, diagnoses)["by_answer"]
    assert by_answer == {
        "healthy": {
            "answers": 3,
            "right": 1,
            "mean_confidence": pytest.approx(0.8),
            "wrong_ones_were": {"virus": 1, "pest": 1},
        },
        "late_blight": {
            "answers": 1,
            "right": 1,
            "mean_confidence": pytest.approx(0.95),
            "wrong_ones_were": {},
        },
    }


@pytest.mark.parametrize(
    ("answers", "right", "confidence", "flagged"),
    [
        (30, 20, 0.82, True),  # 67% right at 82%
        (30, 22, 0.82, False),  # 73% right at 82%: within 10 points
        (19, 5, 0.9, False),  # too few answers to say
        (20, 10, 0.61, True),
    ],
)
def test_an_answer_is_called_overconfident_only_when_clearly_and_often(
    answers: int, right: int, confidence: float, flagged: bool
) -> None:
    by_answer = {"healthy": {"answers": answers, "right": right, "mean_confidence": confidence}}
    assert bool(evaluation.overconfident_answers(by_answer)) is flagged


def test_bootstrap_intervals_hold_the_estimate_and_widen_with_bursts() -> None:
    truth = ["healthy"] * 50 + ["late_blight"] * 50
    predicted = ["healthy"] * 40 + ["late_blight"] * 10 + ["late_blight"] * 45 + ["healthy"] * 5
    photos = evaluation.bootstrap_intervals(truth, predicted)
    low, high = photos["accuracy"]
    assert low < 0.85 < high and high - low < 0.2  # about 2 standard errors either side
    assert photos == evaluation.bootstrap_intervals(truth, predicted)  # seeded
    # Ten bursts of ten identical outcomes carry the evidence of ten photos, not 100.
    bursts = evaluation.bootstrap_intervals(truth, predicted, groups=[k // 10 for k in range(100)])
    assert bursts["accuracy"][1] - bursts["accuracy"][0] > 1.5 * (high - low)
    assert set(photos) == {"accuracy", "macro_f1", "balanced_accuracy"}


def test_intervals_cover_leaf_photos_only() -> None:
    truth = ["late_blight", "healthy", NOT_LEAF]
    diagnoses = [diagnosis("late_blight"), diagnosis("late_blight"), diagnosis(NOT_LEAF, "healthy")]
    result = evaluation.summarize_with_intervals(truth, diagnoses)
    assert result["accuracy"] == 0.5 and result["intervals_95"]["accuracy"][1] <= 1
    assert "intervals_95" not in evaluation.summarize_with_intervals([NOT_LEAF], diagnoses[2:])
