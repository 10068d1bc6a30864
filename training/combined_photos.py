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

from potato_disease.combination import pooled_probabilities, probability_matrix
from potato_disease.diagnosis import Diagnosis
from potato_disease.evaluation import expected_calibration_error
from potato_disease.labels import DISEASE_LABELS

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
    accuracy per true label."""
    pooled = np.array([pooled_probabilities(probabilities[members]) for members in draws])
    truth = np.array([labels[members[0]] for members in draws])
    correct = pooled.argmax(axis=1) == truth
    confidence = pooled.max(axis=1)
    return {
        "sets": len(draws),
        "accuracy": round(float(correct.mean()), 4),
        "ece": round(expected_calibration_error(confidence, correct), 4),
        "mean_confidence": round(float(confidence.mean()), 4),
        "accuracy_by_label": {
            DISEASE_LABELS[label]: round(float(correct[truth == label].mean()), 4)
            for label in np.unique(truth)
        },
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
    return {
        "method": "normalised product of the calibrated leaf probabilities of accepted photos",
        "photos": f"{len(accepted)} validation field photos accepted as leaves "
        f"({len(field) - len(accepted)} refused, left out)",
        "draws": f"each photo with k - 1 others of its label from other near-duplicate "
        f"groups, {repeats} times, seed {seed}",
        "photos_per_plot": per_plot,
        "near_duplicate_groups": burst_figures(probabilities, photo_labels, photo_groups),
    }
