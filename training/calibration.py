"""Temperature scaling, calibration error and the out-of-distribution score."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax, softmax

from potato_disease.evaluation import expected_calibration_error


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The temperature that minimises validation negative log-likelihood."""

    def nll(log_temperature: float) -> float:
        scaled = log_softmax(logits / np.exp(log_temperature), axis=1)
        return float(-scaled[np.arange(len(labels)), labels].mean())

    result = minimize_scalar(nll, bounds=(np.log(0.05), np.log(20.0)), method="bounded")
    return float(np.exp(result.x))


def with_views(
    logits: np.ndarray, labels: np.ndarray, views: Sequence[np.ndarray] = ()
) -> tuple[np.ndarray, np.ndarray]:
    """Logits of the photos and of their augmented views, stacked, with labels to match.

    Each array in ``views`` holds one view of every photo, in the photos' order.
    """
    return np.concatenate([logits, *views]), np.tile(labels, 1 + len(views))


def group_halves(groups: np.ndarray, seed: int) -> np.ndarray:
    """A random half of the near-duplicate groups, as a mask over the photos: photos of
    one burst land on the same side."""
    unique = np.unique(groups)
    chosen = np.random.default_rng(seed).permutation(unique)[: len(unique) // 2]
    return np.isin(groups, chosen)


def cross_fitted_probabilities(
    logits: np.ndarray,
    labels: np.ndarray,
    groups: np.ndarray,
    seed: int,
    views: Sequence[np.ndarray] = (),
) -> np.ndarray:
    """Probabilities where each half of the photos (whole near-duplicate groups) is scaled
    by the temperature fitted on the other half, and on its augmented ``views`` if given."""
    first = group_halves(groups, seed)
    probabilities = np.zeros_like(logits)
    for fit_half, score_half in ((first, ~first), (~first, first)):
        temperature = fit_temperature(
            *with_views(logits[fit_half], labels[fit_half], [view[fit_half] for view in views])
        )
        probabilities[score_half] = softmax(logits[score_half] / temperature, axis=1)
    return probabilities


def ece_of(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """ECE of the top answer of each row of ``probabilities``."""
    correct = probabilities.argmax(axis=1) == labels
    return expected_calibration_error(probabilities.max(axis=1), correct)


def fit_mahalanobis(
    features: np.ndarray, labels: np.ndarray, components: int
) -> tuple[np.ndarray, np.ndarray]:
    """Whitening projection and class centres for a shared-covariance Mahalanobis score.

    Lee et al. 2018: the distance from a photo's pooled features to the nearest class
    centre, in the top principal directions of the within-class covariance.
    """
    classes = np.unique(labels)
    centres = np.stack([features[labels == c].mean(axis=0) for c in classes])
    centred = features - centres[np.searchsorted(classes, labels)]
    covariance = centred.T @ centred / len(features)
    eigenvalues, eigenvectors = np.linalg.eigh(covariance)
    top = np.argsort(eigenvalues)[::-1][:components]
    shrinkage = 1e-2 * eigenvalues.clip(0).mean()  # keeps tiny-variance directions finite
    projection = eigenvectors[:, top] / np.sqrt(eigenvalues[top].clip(0) + shrinkage)
    return projection.astype(np.float32), (centres @ projection).astype(np.float32)
