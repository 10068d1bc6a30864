"""Plain-language verdicts: confident, unsure and refused photos."""

from __future__ import annotations

from potato_disease.diagnosis import Diagnosis
from potato_disease.labels import DISEASE_LABELS, NOT_LEAF
from potato_disease.presentation import ALSO_POSSIBLE_FROM, UNSURE_BELOW, verdict


def make(label: str, confidence: float, runner_up: str = "healthy") -> Diagnosis:
    probabilities = dict.fromkeys(DISEASE_LABELS, 0.0)
    top = label if label != NOT_LEAF else "virus"
    probabilities[top] = confidence
    probabilities[runner_up] = 1 - confidence
    return Diagnosis(label, confidence, probabilities, label != NOT_LEAF, "Odd photo.")


def test_confident_disease_is_named_with_its_confidence() -> None:
    said = verdict(make("late_blight", 0.93))
    assert said.headline == "Late blight (93% confidence)" and not said.unsure
    assert said.detail == ""  # the 7% runner-up is not worth a mention


def test_confident_answer_still_names_a_likely_runner_up() -> None:
    confidence = 1 - ALSO_POSSIBLE_FROM - 0.05
    said = verdict(make("early_blight", confidence, runner_up="pest"))
    assert said.headline == "Early blight (80% confidence)" and not said.unsure
    assert said.detail.startswith("Also possible: insect pest damage (20%)")


def test_low_confidence_says_unsure_names_the_alternative_and_how_to_retake() -> None:
    said = verdict(make("early_blight", UNSURE_BELOW - 0.05, runner_up="bacteria"))
    assert said.unsure and said.headline.startswith("Unsure")
    assert "bacterial disease" in said.detail and "daylight" in said.detail


def test_refused_photo_says_it_is_not_a_potato_leaf() -> None:
    said = verdict(make(NOT_LEAF, 0.99))
    assert said.headline == "This does not look like a potato leaf" and said.tone == "error"
