"""Several photos of one plot combined into one answer, and how it is worded."""

from __future__ import annotations

import math

import numpy as np
import pytest

from potato_disease.combination import combine, pooled_probabilities
from potato_disease.diagnosis import Diagnosis
from potato_disease.labels import DISEASE_LABELS, NOT_LEAF
from potato_disease.presentation import combined_verdict


def leaf(**probabilities: float) -> Diagnosis:
    """An accepted photo; labels not given share what is left equally."""
    rest = (1 - sum(probabilities.values())) / (len(DISEASE_LABELS) - len(probabilities))
    full = {label: probabilities.get(label, rest) for label in DISEASE_LABELS}
    label = max(full, key=full.__getitem__)
    return Diagnosis(label, full[label], full, True)


def refused() -> Diagnosis:
    uniform = {label: 1 / len(DISEASE_LABELS) for label in DISEASE_LABELS}
    return Diagnosis(NOT_LEAF, 0.9, uniform, False, "not a leaf")


def test_the_combined_probabilities_are_the_normalised_product() -> None:
    first, second = leaf(late_blight=0.6, early_blight=0.3), leaf(late_blight=0.5, healthy=0.4)
    combined = combine([first, second])
    product = {k: first.probabilities[k] * second.probabilities[k] for k in DISEASE_LABELS}
    total = sum(product.values())
    for label in DISEASE_LABELS:
        assert combined.probabilities[label] == pytest.approx(product[label] / total)
    assert combined.label == "late_blight"
    assert combined.confidence == pytest.approx(0.3 / total)
    assert combined.confidence > max(first.confidence, second.confidence)  # evidence adds up
    assert math.isclose(sum(combined.probabilities.values()), 1.0)


def test_one_photo_combined_is_that_photo() -> None:
    photo = leaf(virus=0.7, pest=0.2)
    combined = combine([photo])
    assert combined.label == "virus" and combined.photos_combined == 1
    assert combined.probabilities == pytest.approx(photo.probabilities)


def test_refused_photos_are_left_out_and_counted() -> None:
    combined = combine([refused(), leaf(pest=0.8), refused()])
    assert (combined.label, combined.photos_combined, combined.photos_left_out) == ("pest", 1, 2)
    assert combine([refused(), refused()]) is None
    assert combine([]) is None


def test_agreeing_photos_are_counted_against_the_combined_answer() -> None:
    photos = [leaf(late_blight=0.9), leaf(late_blight=0.8), leaf(healthy=0.55, late_blight=0.4)]
    combined = combine(photos)
    assert combined.label == "late_blight"
    assert (combined.photos_agreeing, combined.photos_combined) == (2, 3)


def test_a_near_zero_probability_does_not_veto_a_label_that_the_others_are_sure_of() -> None:
    sure = [leaf(early_blight=0.99) for _ in range(4)]
    doubter = leaf(pest=1.0)  # early blight at exactly 0 in this photo
    assert combine([*sure, doubter]).label == "early_blight"


def test_pooling_is_stable_for_tiny_probabilities() -> None:
    rows = np.full((50, len(DISEASE_LABELS)), 1e-30)
    rows[:, 2] = 1.0
    pooled = pooled_probabilities(rows)
    assert np.isfinite(pooled).all() and pooled.argmax() == 2


def test_the_verdict_names_the_answer_and_how_the_photos_stand() -> None:
    said = combined_verdict(combine([leaf(late_blight=0.9), leaf(late_blight=0.8), refused()]), 1)
    assert said.headline.startswith("Late blight (") and not said.unsure
    assert "2 of 2 photos point to it on their own" in said.detail
    assert "1 photo refused as not a potato leaf was left out" in said.detail
    assert "1 repeated upload counted once" in said.detail
    unread = combined_verdict(combine([leaf(late_blight=0.9)]), unreadable=2).detail
    assert "2 files that could not be read as a photo were left out." in unread
    assert "do not all agree" not in said.detail


def test_the_verdict_warns_when_the_photos_disagree_or_the_answer_is_weak() -> None:
    split = combined_verdict(combine([leaf(virus=0.9), leaf(pest=0.5, virus=0.4)]))  # one sure
    assert "do not all agree" in split.detail and not split.unsure
    weak = combined_verdict(combine([leaf(virus=0.4, pest=0.35), leaf(pest=0.4, virus=0.35)]))
    assert weak.unsure and weak.headline.startswith("Unsure: possibly")
    nothing = combined_verdict(None)
    assert nothing.tone == "error" and "None of these photos" in nothing.detail


def test_photos_naming_different_answers_with_confidence_get_no_one_answer() -> None:
    healthy, blighted = leaf(healthy=0.95), leaf(late_blight=0.98)
    combined = combine([healthy, healthy, blighted, leaf(pest=0.5, virus=0.4), refused()])
    assert combined.label == "healthy"  # the product alone would say healthy...
    assert combined.confident_labels == ("late_blight", "healthy")  # label order; unsure out
    assert combined.photos_disagree
    said = combined_verdict(combined)  # ...which the verdict must not
    assert said.headline.startswith("Late blight on some of these photos") and said.unsure
    assert said.tone == "error"
    assert "name late blight and healthy, each with confidence" in said.detail
    assert "Healthy (" not in said.headline + said.detail

    diseased_and_not = combine([leaf(healthy=0.9), leaf(virus=0.9), leaf(pest=0.8)])
    assert diseased_and_not.photos_disagree
    said = combined_verdict(diseased_and_not)
    assert (
        said.headline
        == "Some photos look healthy, others show viral disease and insect pest damage"
    )
    assert said.tone == "warning" and said.unsure
    assert "A plot with diseased leaves is not a healthy plot." in said.detail

    two_diseases = combine([leaf(virus=0.9), leaf(pest=0.9), leaf(virus=0.7)])
    assert two_diseases.confident_labels == ("virus", "pest")
    assert not two_diseases.photos_disagree  # one answer, with a note
    assert "do not all agree" in combined_verdict(two_diseases).detail

    agreeing = combine([leaf(late_blight=0.9), leaf(late_blight=0.7), leaf(healthy=0.55)])
    assert agreeing.confident_labels == ("late_blight",) and not agreeing.photos_disagree


def test_a_label_missing_from_stored_probabilities_counts_as_unlikely() -> None:
    partial = {"early_blight": 0.2, "late_blight": 0.7, "healthy": 0.1}
    combined = combine([Diagnosis("late_blight", 0.7, partial, True)] * 2)
    assert combined.label == "late_blight" and combined.probabilities["virus"] < 1e-6
