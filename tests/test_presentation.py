"""Plain-language verdicts: confident, unsure and refused photos."""

from __future__ import annotations

import pytest

from potato_disease import presentation
from potato_disease.diagnosis import Diagnosis
from potato_disease.labels import DISEASE_LABELS, NOT_LEAF
from potato_disease.photo_quality import BLURRED, GLARE
from potato_disease.presentation import (
    ALSO_POSSIBLE_FROM,
    COULD_NOT_JUDGE,
    UNSURE_BELOW,
    as_percent,
    likeliest_first,
    probabilities_in_words,
    short_answer,
    summary_counts,
    summary_row,
    verdict,
)


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


def test_a_refused_photo_of_poor_quality_asks_for_a_retake_instead() -> None:
    said = verdict(make(NOT_LEAF, 0.99), [BLURRED])
    assert said.headline == "Could not judge this photo" and said.tone == "warning"
    assert "may be a potato leaf" in said.detail and "in focus" in said.detail
    assert said.unsure


def test_a_refused_picture_with_glare_only_is_not_taken_for_a_poor_leaf_photo() -> None:
    said = verdict(make(NOT_LEAF, 0.99), [GLARE])  # a chart's or a document's white
    assert said.headline == "This does not look like a potato leaf"
    assert verdict(make(NOT_LEAF, 0.99), [GLARE, BLURRED]).headline == "Could not judge this photo"


def test_quality_warnings_do_not_change_an_accepted_answer() -> None:
    diagnosis = make("late_blight", 0.93)
    assert verdict(diagnosis, [BLURRED]) == verdict(diagnosis)


def test_several_photos_are_summarised_in_one_table_and_a_count() -> None:
    answers = [
        make("late_blight", 0.9),
        make("late_blight", 0.5),
        make(NOT_LEAF, 0.99),
        make(NOT_LEAF, 0.99),
        None,
    ]
    warnings = [[], [BLURRED], [], [BLURRED], []]
    rows = [summary_row(f"p{k}.jpg", a, w) for k, (a, w) in enumerate(zip(answers, warnings))]
    assert rows == [
        {"Photo": "p0.jpg", "Answer": "Late blight", "Confidence": "90%"},
        {"Photo": "p1.jpg", "Answer": "Unsure: possibly late blight", "Confidence": "50%"},
        {"Photo": "p2.jpg", "Answer": "Not a potato leaf", "Confidence": ""},
        {"Photo": "p3.jpg", "Answer": COULD_NOT_JUDGE, "Confidence": ""},
        {"Photo": "p4.jpg", "Answer": "Could not be read", "Confidence": ""},
    ]
    assert summary_counts([short_answer(a, w) for a, w in zip(answers, warnings)]) == (
        "2 × Late blight · 1 × Not a potato leaf · 1 × Could not judge (photo quality)"
        " · 1 × Could not be read"
    )


@pytest.mark.parametrize(
    ("probability", "shown"),
    [(0.9999, ">99%"), (0.995, ">99%"), (0.994, "99%"), (0.5, "50%"), (0.004, "<1%"), (0.0, "<1%")],
)
def test_near_certainty_is_never_shown_as_certainty(probability: float, shown: str) -> None:
    assert as_percent(probability) == shown


def test_a_nearly_certain_verdict_does_not_say_100_percent() -> None:
    probabilities = {label: 0.0001 for label in DISEASE_LABELS} | {"late_blight": 0.9994}
    said = verdict(Diagnosis("late_blight", 0.9994, probabilities, True))
    assert said.headline == "Late blight (>99% confidence)"


def test_the_track_record_note_names_an_overconfident_answer_and_its_misses() -> None:
    by_answer = {
        "healthy": {
            "answers": 30,
            "right": 20,
            "mean_confidence": 0.822,
            "wrong_ones_were": {"early_blight": 3, "pest": 3, "virus": 4},  # as JSON sorts them
        },
        "virus": {"answers": 58, "right": 52, "mean_confidence": 0.79, "wrong_ones_were": {}},
    }
    metadata = {"validation_audit": {"field_by_answer": by_answer}}
    note = presentation.track_record_note("healthy", metadata)
    assert note is not None and note.startswith(
        "On field photos kept out of its training, a healthy answer was right for 20 of 30, "
        "though it came with 82% on average; the others showed viral disease (4), early "
        "blight (3) and insect pest damage (3)."
    )
    assert presentation.track_record_note("virus", metadata) is None  # earned its confidence
    assert presentation.track_record_note("healthy", {}) is None  # a model never audited


@pytest.mark.parametrize(
    ("label", "tone"),
    [("healthy", "success"), ("late_blight", "error"), ("early_blight", "warning")],
)
def test_a_confident_late_blight_answer_stands_out_from_other_diseases(label, tone) -> None:
    """Late blight in red (act today), other diseases in yellow, and an unsure answer
    never in red: the colour only repeats what the headline says."""
    assert verdict(make(label, 0.9)).tone == tone
    assert verdict(make(label, UNSURE_BELOW - 0.05)).tone == "warning"


def test_probabilities_are_said_in_words_likeliest_first_without_false_certainty() -> None:
    said = probabilities_in_words({"healthy": 0.001, "late_blight": 0.996, "virus": 0.003})
    assert said == "Late blight >99% · Viral disease <1% · Healthy <1%"


def test_likeliest_first_orders_by_probability_and_keeps_the_given_order_of_ties() -> None:
    ordered = likeliest_first({"healthy": 0.1, "virus": 0.1, "late_blight": 0.7, "pest": 0.1})
    assert ordered == [("late_blight", 0.7), ("healthy", 0.1), ("virus", 0.1), ("pest", 0.1)]
