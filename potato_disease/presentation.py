"""Plain-language wording of a diagnosis for people (no Streamlit here)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from potato_disease.diagnosis import Diagnosis
from potato_disease.labels import DISPLAY_NAMES

UNSURE_BELOW = 0.6
ALSO_POSSIBLE_FROM = 0.15  # a runner-up this likely is named even when the answer is confident
RETAKE_ADVICE = (
    "Retake the photo: one leaf filling the frame, close up, in daylight without harsh "
    "shadow, and in focus. Photograph both sides if symptoms are faint."
)


@dataclass(frozen=True)
class Verdict:
    """What the page says about one photo."""

    headline: str
    detail: str
    tone: str  # "success", "warning" or "error"
    unsure: bool


def verdict(diagnosis: Diagnosis) -> Verdict:
    """Headline, explanation and tone for a diagnosis."""
    if not diagnosis.is_leaf:
        return Verdict(
            "This does not look like a potato leaf",
            f"{diagnosis.refusal_reason} Please photograph a single potato leaf.",
            "error",
            True,
        )
    name = DISPLAY_NAMES[diagnosis.label]
    runner_up = sorted(diagnosis.probabilities, key=diagnosis.probabilities.__getitem__)[-2]
    if diagnosis.confidence < UNSURE_BELOW:
        return Verdict(
            f"Unsure: possibly {name.lower()} ({diagnosis.confidence:.0%})",
            f"The model is not confident; {DISPLAY_NAMES[runner_up].lower()} is also "
            f"possible. {RETAKE_ADVICE}",
            "warning",
            True,
        )
    tone = "success" if diagnosis.label == "healthy" else "warning"
    detail = ""
    if diagnosis.probabilities[runner_up] >= ALSO_POSSIBLE_FROM:
        detail = (
            f"Also possible: {DISPLAY_NAMES[runner_up].lower()} "
            f"({diagnosis.probabilities[runner_up]:.0%}). The look-alikes and field checks "
            "below tell them apart."
        )
    return Verdict(f"{name} ({diagnosis.confidence:.0%} confidence)", detail, tone, False)


def summary_row(name: str, diagnosis: Diagnosis | None) -> dict[str, str]:
    """One line of the several-photos table: photo, answer, confidence (or why none)."""
    if diagnosis is None:
        return {"Photo": name, "Answer": "Could not be read", "Confidence": ""}
    answer = DISPLAY_NAMES[diagnosis.label]
    if diagnosis.is_leaf and diagnosis.confidence < UNSURE_BELOW:
        answer = f"Unsure: possibly {answer.lower()}"
    confidence = f"{diagnosis.confidence:.0%}" if diagnosis.is_leaf else ""
    return {"Photo": name, "Answer": answer, "Confidence": confidence}


def summary_counts(diagnoses: list[Diagnosis | None]) -> str:
    """How many photos got each answer, most frequent first: '2 × Late blight · 1 × …'."""
    counts = Counter(
        "Could not be read" if d is None else DISPLAY_NAMES[d.label] for d in diagnoses
    )
    return " · ".join(f"{n} × {answer}" for answer, n in counts.most_common())
