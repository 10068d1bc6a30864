"""Plain-language wording of a diagnosis for people (no Streamlit here)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from potato_disease.combination import CombinedDiagnosis
from potato_disease.diagnosis import UNSURE_BELOW, Diagnosis
from potato_disease.evaluation import overconfident_answers
from potato_disease.labels import DISPLAY_NAMES, HEALTHY, LATE_BLIGHT
from potato_disease.photo_quality import BLURRED

ALSO_POSSIBLE_FROM = 0.15  # a runner-up this likely is named even when the answer is confident
RETAKE_ADVICE = (
    "Retake the photo: one leaf filling the frame, close up, in daylight without harsh "
    "shadow, and in focus. Photograph both sides if symptoms are faint."
)


REVIEW_BASIS_NAMES = {
    "photo": "the photo only",
    "plants": "the plants, seen in the field",
    "lab": "a lab test (ELISA, PCR, culture or microscope)",
}
"""What an agronomist's diagnosis rests on (``history.REVIEW_BASES``), in words."""


def basis_name(basis: str | None, none: str = "not said") -> str:
    """What a review rests on, in words (``none`` when not said)."""
    return REVIEW_BASIS_NAMES.get(basis or "", none)


def first_letter_up(words: str) -> str:
    """``words`` starting with a capital, the rest as written ("A lab test (ELISA…")."""
    return words[:1].upper() + words[1:]


def as_severity(percent: float) -> str:
    """A severity estimate as the agronomist gave it: "12.5 %", "40 %"."""
    return f"{percent:g} %"


def as_percent(probability: float) -> str:
    """A probability in whole percent for people, where "100%" and "0%" would claim a
    certainty the model does not have: ">99%" and "<1%" instead."""
    if probability >= 0.995:
        return ">99%"
    if probability < 0.005:
        return "<1%"
    return f"{probability:.0%}"


@dataclass(frozen=True)
class Verdict:
    """What the page says about one photo."""

    headline: str
    detail: str
    tone: str  # "success", "warning" or "error"
    unsure: bool


COULD_NOT_JUDGE = "Could not judge (photo quality)"


def could_not_judge(diagnosis: Diagnosis, photo_warnings: Sequence[str]) -> bool:
    """A refused photo that looks blurred or low-resolution (``photo_quality``): it may
    well be a leaf, since blurred or shrunk leaves are refused too (docs/training-runs.md),
    so the page asks for a better photo instead of saying it is not a leaf. Glare alone
    does not count: overexposed leaves are seldom refused, while the white of a chart, a
    document or a screenshot reads as glare."""
    return not diagnosis.is_leaf and BLURRED in photo_warnings


def verdict(diagnosis: Diagnosis, photo_warnings: Sequence[str] = ()) -> Verdict:
    """Headline, explanation and tone for a diagnosis (see :func:`could_not_judge`)."""
    if could_not_judge(diagnosis, photo_warnings):
        return Verdict(
            "Could not judge this photo",
            "It may be a potato leaf, but the photo is too poor to be compared with the "
            f"leaf photos the model has learned from (see below). {RETAKE_ADVICE}",
            "warning",
            True,
        )
    if not diagnosis.is_leaf:
        return Verdict(
            "This does not look like a potato leaf",
            f"{diagnosis.refusal_reason} Please photograph a single potato leaf.",
            "error",
            True,
        )
    runner_up = sorted(diagnosis.probabilities, key=diagnosis.probabilities.__getitem__)[-2]
    detail = ""
    if diagnosis.probabilities[runner_up] >= ALSO_POSSIBLE_FROM:
        detail = (
            f"Also possible: {DISPLAY_NAMES[runner_up].lower()} "
            f"({as_percent(diagnosis.probabilities[runner_up])}). The look-alikes and field "
            "checks below tell them apart."
        )
    unsure_detail = (
        f"The model is not confident; {DISPLAY_NAMES[runner_up].lower()} is also possible. "
        f"{RETAKE_ADVICE}"
    )
    return answer_verdict(diagnosis.label, diagnosis.confidence, detail, unsure_detail)


def answer_verdict(label: str, confidence: float, detail: str, unsure_detail: str) -> Verdict:
    """Headline and tone of an answer naming a leaf label: "unsure" with
    ``unsure_detail`` below :data:`UNSURE_BELOW`, else the answer with ``detail``."""
    name = DISPLAY_NAMES[label]
    if confidence < UNSURE_BELOW:
        return Verdict(
            f"Unsure: possibly {name.lower()} ({as_percent(confidence)})",
            unsure_detail,
            "warning",
            True,
        )
    # Late blight in red: it spreads through a field in days, so it is acted on today.
    tone = {HEALTHY: "success", LATE_BLIGHT: "error"}.get(label, "warning")
    return Verdict(f"{name} ({as_percent(confidence)} confidence)", detail, tone, False)


def likeliest_first(probabilities: Mapping[str, float]) -> list[tuple[str, float]]:
    """The (label, probability) pairs, likeliest first (ties in the order given)."""
    return sorted(probabilities.items(), key=lambda item: -item[1])


def probabilities_in_words(probabilities: Mapping[str, float]) -> str:
    """Each label's probability, likeliest first: "Late blight >99% · Early blight <1%"."""
    ordered = likeliest_first(probabilities)
    return " · ".join(f"{DISPLAY_NAMES[label]} {as_percent(p)}" for label, p in ordered)


def short_answer(diagnosis: Diagnosis | None, photo_warnings: Sequence[str] = ()) -> str:
    """The answer in a few words, as the several-photos table and count show it."""
    if diagnosis is None:
        return "Could not be read"
    if could_not_judge(diagnosis, photo_warnings):
        return COULD_NOT_JUDGE
    return DISPLAY_NAMES[diagnosis.label]


def summary_row(
    name: str, diagnosis: Diagnosis | None, photo_warnings: Sequence[str] = ()
) -> dict[str, str]:
    """One line of the several-photos table: photo, answer, confidence (or why none)."""
    answer = short_answer(diagnosis, photo_warnings)
    if diagnosis is None or not diagnosis.is_leaf:
        return {"Photo": name, "Answer": answer, "Confidence": ""}
    if diagnosis.confidence < UNSURE_BELOW:
        answer = f"Unsure: possibly {answer.lower()}"
    return {"Photo": name, "Answer": answer, "Confidence": as_percent(diagnosis.confidence)}


def summary_counts(answers: Sequence[str]) -> str:
    """How many photos got each short answer, most frequent first: '2 × Late blight · …'."""
    return " · ".join(f"{n} × {answer}" for answer, n in Counter(answers).most_common())


def counted(count: int, noun: str) -> str:
    """``1 photo``, ``2 photos``: the count with the noun in the right number."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def combined_verdict(
    combined: CombinedDiagnosis | None, duplicates: int = 0, unreadable: int = 0
) -> Verdict:
    """Headline and explanation of several photos of one plot combined; ``duplicates``
    is how many uploads repeated a photo already counted, ``unreadable`` how many files
    could not be read as photos."""
    if combined is None:
        return Verdict(
            "Nothing to combine",
            "None of these photos was accepted as a potato leaf.",
            "error",
            True,
        )
    if combined.photos_disagree:
        return disagreement_verdict(combined)
    notes = [
        f"{combined.photos_agreeing} of {counted(combined.photos_combined, 'photo')} "
        "point to it on their own."
    ]
    if combined.photos_left_out:
        notes.append(
            f"{counted(combined.photos_left_out, 'photo')} refused as not a potato leaf "
            f"{'was' if combined.photos_left_out == 1 else 'were'} left out."
        )
    if duplicates:
        notes.append(f"{counted(duplicates, 'repeated upload')} counted once.")
    if unreadable:
        notes.append(
            f"{counted(unreadable, 'file')} that could not be read as a photo "
            f"{'was' if unreadable == 1 else 'were'} left out."
        )
    if combined.photos_agreeing < combined.photos_combined:
        notes.append(
            "The photos do not all agree: the combined answer assumes one problem, so if "
            "the plot may have more than one, read each photo's answer below."
        )
    detail = " ".join(notes)
    return answer_verdict(combined.label, combined.confidence, detail, f"{detail} {RETAKE_ADVICE}")


def disagreement_verdict(combined: CombinedDiagnosis) -> Verdict:
    """Photos that confidently name different answers, late blight or healthy among them:
    no one answer for them, and late blight, when one of them, first."""
    listed = listed_words([DISPLAY_NAMES[label].lower() for label in combined.confident_labels])
    detail = (
        f"These photos name {listed}, each with confidence. One answer for the plot would "
        "assume one problem and could hide another, so none is given: read each photo's "
        "answer below, and check the plants."
    )
    if LATE_BLIGHT in combined.confident_labels:
        return Verdict(
            "Late blight on some of these photos: treat the plot as infected until checked",
            f"{detail} Late blight can spread through a field within days in cool, wet "
            "weather: act on it first (advice below).",
            "error",
            True,
        )
    diseases = [DISPLAY_NAMES[label].lower() for label in combined.confident_labels]
    diseases.remove(DISPLAY_NAMES[HEALTHY].lower())
    return Verdict(
        f"Some photos look healthy, others show {listed_words(diseases)}",
        f"{detail} A plot with diseased leaves is not a healthy plot.",
        "warning",
        True,
    )


def track_record_note(label: str, metadata: Mapping[str, Any]) -> str | None:
    """For an answer the model gives with more confidence than it earns on field photos
    (``evaluation.overconfident_answers`` of the model's validation audit): how often it
    was right there, and what the photos it got wrong really showed. None otherwise."""
    audit = metadata.get("validation_audit") or {}
    figures = overconfident_answers(audit.get("field_by_answer") or {}).get(label)
    if figures is None:
        return None
    others = listed_words(
        [
            f"{DISPLAY_NAMES[truth].lower()} ({count})"
            for truth, count in sorted(
                figures.get("wrong_ones_were", {}).items(), key=lambda item: -item[1]
            )
        ]
    )
    return (
        f"On field photos kept out of its training, a {DISPLAY_NAMES[label].lower()} answer "
        f"was right for {figures['right']} of {figures['answers']}, though it came with "
        f"{as_percent(figures['mean_confidence'])} on average"
        + (f"; the others showed {others}" if others else "")
        + ". Look at the lower leaves and both sides of a few leaves before relying on it."
    )


def label_list(labels: Sequence[str]) -> str:
    """Labels' display names as one phrase: "Late blight and Healthy"."""
    return listed_words([DISPLAY_NAMES[label] for label in labels])


def listed_words(words: Sequence[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    return " and ".join(filter(None, [", ".join(words[:-1]), words[-1] if words else ""]))


def label_name(label: str | None, blank: str) -> str:
    """The display name of a label, or ``blank`` for None."""
    return blank if label is None else DISPLAY_NAMES.get(label, label)
