"""How good is the combined answer for several photos of one plot (see
:mod:`potato_disease.combination`)? Measured on the validation field photos through the
served model; :func:`training.export.measure` keeps the figures in ``metadata.json``.

A "plot" is simulated by drawing photos of the same label from different near-duplicate
groups (different plants or scenes, as the Diagnose page asks for): each accepted photo
in turn, with ``k - 1`` others. Near-duplicate groups of two or more photos (bursts of
one plant) are reported apart: shots of one plant are not independent evidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from potato_disease.combination import (
    labels_named_confidently,
    one_answer_would_hide,
    pooled_probabilities,
    probability_matrix,
)
from potato_disease.diagnosis import Diagnosis
from potato_disease.evaluation import expected_calibration_error
from potato_disease.labels import DISEASE_LABELS, LATE_BLIGHT

FIELD_SOURCE = "field-java"
PHOTOS_PER_PLOT = (1, 2, 3, 5)
DEFAULT_REPEATS = 5


def same_label_draws(
    labels: np.ndarray, groups: np.ndarray, k: int, repeats: int, rng: np.random.Generator
) -> list[np.ndarray]:
    """Index sets of ``k`` photos with one label, each from a different group: every
    photo in turn with ``k - 1`` others, ``repeats`` times; photos whose label has too
    few groups are skipped."""
    draws = []
    for _ in range(repeats):
        for anchor in range(len(labels)):
            members = [anchor]
            taken = {groups[anchor]}
            for other in rng.permutation(np.flatnonzero(labels == labels[anchor])):
                if len(members) == k:
                    break
                if groups[other] not in taken:
                    members.append(int(other))
                    taken.add(groups[other])
            if len(members) == k:
                draws.append(np.array(members))
    return draws


def combined_figures(
    probabilities: np.ndarray, labels: np.ndarray, draws: list[np.ndarray]
) -> dict[str, Any]:
    """Accuracy, ECE and mean confidence of the pooled answer over ``draws``, and its
    accuracy per true label; how many sets get no one answer (photos that confidently
    disagree: the page shows none) and the accuracy of those that get one."""
    pooled = np.array([pooled_probabilities(probabilities[members]) for members in draws])
    truth = np.array([labels[members[0]] for members in draws])
    correct = pooled.argmax(axis=1) == truth
    confidence = pooled.max(axis=1)
    disagree = np.array([disagreeing(probabilities[members]) for members in draws])
    return {
        "sets": len(draws),
        "accuracy": round(float(correct.mean()), 4),
        "no_one_answer": round(float(disagree.mean()), 4),
        "accuracy_when_answered": round(float(correct[~disagree].mean()), 4)
        if (~disagree).any()
        else None,
        "ece": round(expected_calibration_error(confidence, correct), 4),
        "mean_confidence": round(float(confidence.mean()), 4),
        "accuracy_by_label": {
            DISEASE_LABELS[label]: round(float(correct[truth == label].mean()), 4)
            for label in np.unique(truth)
        },
    }


def disagreeing(probabilities: np.ndarray) -> bool:
    """Whether photos (rows) get no one answer on the page (``photos_disagree``)."""
    return one_answer_would_hide(labels_named_confidently(probabilities))


def late_blight_among_healthy(
    probabilities: np.ndarray,
    labels: np.ndarray,
    groups: np.ndarray,
    k: int,
    repeats: int,
    rng: np.random.Generator,
) -> dict[str, Any] | None:
    """One late blight photo with ``k - 1`` healthy ones from other groups (a plot where
    late blight is starting): how often the page puts late blight first (photos that
    disagree with late blight among them, or late blight as the one answer) and how
    often one other answer hides it (the rest get no one answer without late blight
    named); and how often the pooled answer alone would say late blight. None without
    both labels."""
    late, healthy = (DISEASE_LABELS.index(name) for name in (LATE_BLIGHT, "healthy"))
    blighted, sound = np.flatnonzero(labels == late), np.flatnonzero(labels == healthy)
    if not len(blighted) or len(sound) < k - 1:
        return None
    flagged = hidden = pooled_late = 0
    for _ in range(repeats):
        for anchor in blighted:
            others = [o for o in rng.permutation(sound) if groups[o] != groups[anchor]][: k - 1]
            rows = probabilities[[anchor, *others]]
            named = labels_named_confidently(rows)
            says_late = pooled_probabilities(rows).argmax() == late
            pooled_late += says_late
            if one_answer_would_hide(named):
                flagged += LATE_BLIGHT in named  # else no one answer, late blight unnamed
            elif says_late:
                flagged += 1
            else:
                hidden += 1
    sets = repeats * len(blighted)
    return {
        "sets": sets,
        "late_blight_first": round(flagged / sets, 4),
        "hidden_by_one_answer": round(hidden / sets, 4),
        "pooled_answer_late_blight": round(int(pooled_late) / sets, 4),
    }


def burst_figures(
    probabilities: np.ndarray, labels: np.ndarray, groups: np.ndarray
) -> dict[str, Any] | None:
    """The pooled answer of each near-duplicate group of two or more photos, against
    the same photos judged one by one; None without such groups."""
    bursts = [np.flatnonzero(groups == g) for g in np.unique(groups)]
    bursts = [members for members in bursts if len(members) >= 2]
    if not bursts:
        return None
    photos = np.concatenate(bursts)
    one_by_one = probabilities[photos].argmax(axis=1) == labels[photos]
    return {
        **combined_figures(probabilities, labels, bursts),
        "photos": len(photos),
        "photo_accuracy": round(float(one_by_one.mean()), 4),
    }


def combination_report(
    labels: np.ndarray,
    sources: Sequence[str],
    groups: np.ndarray,
    validation: np.ndarray,
    diagnoses: Sequence[Diagnosis],
    seed: int,
    repeats: int = DEFAULT_REPEATS,
) -> dict[str, Any] | None:
    """The figures ``metadata.json`` keeps under ``combination``: ``diagnoses`` are those
    of the ``validation`` photos, in order; None without field photos."""
    field = [n for n, i in enumerate(validation) if sources[i] == FIELD_SOURCE]
    accepted = [n for n in field if diagnoses[n].is_leaf]
    if not accepted:
        return None
    probabilities = probability_matrix([diagnoses[n] for n in accepted])
    photo_labels, photo_groups = labels[validation[accepted]], groups[validation[accepted]]
    rng = np.random.default_rng(seed)
    per_plot = {}
    for k in PHOTOS_PER_PLOT:
        draws = same_label_draws(photo_labels, photo_groups, k, repeats, rng)
        if draws:
            per_plot[str(k)] = combined_figures(probabilities, photo_labels, draws)
    mixed = {
        str(k): late_blight_among_healthy(
            probabilities, photo_labels, photo_groups, k, repeats, rng
        )
        for k in PHOTOS_PER_PLOT[1:]
    }
    return {
        "method": "normalised product of the calibrated leaf probabilities of accepted photos",
        "photos": f"{len(accepted)} validation field photos accepted as leaves "
        f"({len(field) - len(accepted)} refused, left out)",
        "draws": f"each photo with k - 1 others of its label from other near-duplicate "
        f"groups, {repeats} times, seed {seed}",
        "photos_per_plot": per_plot,
        "near_duplicate_groups": burst_figures(probabilities, photo_labels, photo_groups),
        "late_blight_among_healthy": mixed,
    }
