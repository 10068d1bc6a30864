"""The measurement of combined answers on validation photos (training.combined_photos)."""

from __future__ import annotations

import numpy as np

from potato_disease.diagnosis import Diagnosis
from potato_disease.labels import DISEASE_LABELS, NOT_LEAF
from training.combined_photos import (
    burst_figures,
    combination_report,
    combined_figures,
    late_blight_among_healthy,
    same_label_draws,
)


def test_draws_take_one_label_and_distinct_groups_and_skip_what_cannot_be_filled() -> None:
    labels = np.array([0, 0, 0, 0, 1, 1, 2])
    groups = np.array([10, 10, 11, 12, 20, 21, 30])
    draws = same_label_draws(labels, groups, 3, repeats=2, rng=np.random.default_rng(0))
    # label 0 has 3 groups (4 anchors), label 1 only 2 groups, label 2 only 1
    assert len(draws) == 4 * 2
    for members in draws:
        assert len(set(labels[members])) == 1
        assert len(set(groups[members])) == 3
    assert sorted(int(m[0]) for m in draws[:4]) == [0, 1, 2, 3]  # every anchor in turn


def noisy_probabilities(labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Independent noisy opinions that favour the true label (about 60% right alone)."""
    logits = rng.normal(0, 1.0, (len(labels), len(DISEASE_LABELS)))
    logits[np.arange(len(labels)), labels] += 1.2
    return np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)


def test_combining_independent_photos_is_more_often_right() -> None:
    rng = np.random.default_rng(1)
    labels = np.repeat(np.arange(len(DISEASE_LABELS)), 40)
    groups = np.arange(len(labels))
    probabilities = noisy_probabilities(labels, rng)
    accuracy = {}
    for k in (1, 3, 5):
        draws = same_label_draws(labels, groups, k, 2, rng)
        accuracy[k] = combined_figures(probabilities, labels, draws)["accuracy"]
    alone = (probabilities.argmax(axis=1) == labels).mean()
    assert abs(accuracy[1] - alone) < 1e-3
    assert accuracy[1] < accuracy[3] < accuracy[5]


def test_bursts_are_groups_of_two_or_more() -> None:
    labels = np.array([0, 0, 1, 2])
    groups = np.array([5, 5, 6, 7])
    probabilities = np.eye(len(DISEASE_LABELS))[[0, 1, 1, 2]] * 0.9 + 0.1 / len(DISEASE_LABELS)
    figures = burst_figures(probabilities, labels, groups)
    assert (figures["sets"], figures["photos"], figures["photo_accuracy"]) == (1, 2, 0.5)
    assert burst_figures(probabilities, labels, np.arange(4)) is None


def test_the_report_uses_accepted_field_validation_photos_only() -> None:
    labels = np.array([0, 0, 0, 1, 1, 0])
    sources = ["field-java", "field-java", "field-java", "field-java", "plantvillage", "field-java"]
    groups = np.array([1, 2, 3, 4, 5, 6])
    validation = np.array([0, 1, 2, 3, 4, 5])
    sure = {label: 0.01 for label in DISEASE_LABELS} | {"early_blight": 0.94}
    diagnoses = [Diagnosis("early_blight", 0.94, sure, True)] * 5 + [
        Diagnosis(NOT_LEAF, 0.9, sure, False, "refused")
    ]
    report = combination_report(labels, sources, groups, validation, diagnoses, seed=3)
    assert report["photos"].startswith("4 validation field photos accepted as leaves (1 refused")
    assert report["photos_per_plot"]["1"]["sets"] == 4 * 5  # 4 accepted photos, 5 repeats
    assert report["photos_per_plot"]["3"]["sets"] == 3 * 5  # label 1 has one photo only
    assert "5" not in report["photos_per_plot"]  # no label has 5 groups
    by_label = {k: f["accuracy_by_label"] for k, f in report["photos_per_plot"].items()}
    assert by_label["1"] == {"early_blight": 1.0, "late_blight": 0.0}  # all say early blight
    assert by_label["3"] == {"early_blight": 1.0}
    no_field = combination_report(labels, ["plantvillage"] * 6, groups, validation, diagnoses, 3)
    assert no_field is None


def sure_of(*labels: int, share: float = 0.9) -> np.ndarray:
    """Rows each naming one label with ``share``, the rest spread evenly."""
    rows = np.full((len(labels), len(DISEASE_LABELS)), (1 - share) / (len(DISEASE_LABELS) - 1))
    rows[np.arange(len(labels)), labels] = share
    return rows


def test_sets_whose_photos_confidently_disagree_get_no_one_answer() -> None:
    early, late = DISEASE_LABELS.index("early_blight"), DISEASE_LABELS.index("late_blight")
    probabilities = np.vstack(
        [sure_of(early, early), sure_of(late, share=0.95), sure_of(early, share=0.5)]
    )
    labels = np.array([early, early, early, early])
    draws = [np.array([0, 1]), np.array([0, 2]), np.array([0, 3])]  # agree, disagree, unsure
    figures = combined_figures(probabilities, labels, draws)
    assert figures["no_one_answer"] == round(1 / 3, 4)
    assert figures["accuracy_when_answered"] == 1.0
    assert figures["accuracy"] == round(2 / 3, 4)  # the product says late blight for 0 and 2


def test_a_late_blight_photo_among_healthy_ones_is_put_first_or_counted_as_hidden() -> None:
    late, healthy = DISEASE_LABELS.index("late_blight"), DISEASE_LABELS.index("healthy")
    labels = np.array([late, late, healthy, healthy, healthy])
    groups = np.arange(5)
    rng = np.random.default_rng(0)
    sure = np.vstack([sure_of(late), sure_of(late, share=0.5), sure_of(healthy, healthy, healthy)])
    sure[4] = sure_of(healthy, share=0.99)[0]
    figures = late_blight_among_healthy(sure, labels, groups, 3, 2, rng)
    # a sure late blight photo always disagrees with sure healthy ones: put first; an
    # unsure one (50%) is outweighed by two sure healthy photos: hidden
    assert figures == {
        "sets": 4,
        "late_blight_first": 0.5,
        "hidden_by_one_answer": 0.5,
        "pooled_answer_late_blight": 0.0,  # two sure healthy photos outweigh either
    }
    assert late_blight_among_healthy(sure, labels, groups, 5, 2, rng) is None  # 3 healthy
