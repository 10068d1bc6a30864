"""Which validation photos show the same scene as a training photo.

The split groups near-duplicates by the cosine of pooled frozen-backbone activations
(:mod:`training.split`). Field photos of one plant shot twice, with the hand or the
framing moved, can fall under its threshold and land on both sides. Here a pair is the
same scene when their ORB keypoints match under one projective transform: at least
``MIN_INLIERS`` RANSAC inliers. Geometry is what tells the same leaves from different
leaves that merely look alike, which activations cannot. Only the training photos
closest to each validation photo by the network's features are tried (``CANDIDATES``
per descriptor), which keeps this to minutes on 2 cores.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
from PIL import Image
from skimage.feature import ORB, match_descriptors
from skimage.measure import ransac
from skimage.transform import ProjectiveTransform

KEYPOINTS = 400
FAST_THRESHOLD = 0.04
MATCH_RATIO = 0.85
RESIDUAL_PIXELS = 4.0  # at the photos' own size (224 px in the field set)
# At 10 or more inliers every pair in a contact sheet of 24 was the same plant; at 6-9
# most were different plants (session 17, docs/training-runs.md).
MIN_INLIERS = 10
CANDIDATES = 15

log = logging.getLogger(__name__)

Keypoints = tuple[np.ndarray, np.ndarray]  # (row, col) positions and binary descriptors


def orb_keypoints(image: Image.Image) -> Keypoints:
    """ORB keypoints of ``image`` in grey; none for a picture too plain to have them."""
    grey = np.asarray(image.convert("L"), np.float32) / 255
    orb = ORB(n_keypoints=KEYPOINTS, fast_threshold=FAST_THRESHOLD)
    try:
        orb.detect_and_extract(grey)
    except RuntimeError:  # fewer corners than ORB needs
        return np.zeros((0, 2)), np.zeros((0, 256), bool)
    return orb.keypoints, orb.descriptors


def geometric_inliers(first: Keypoints, second: Keypoints, seed: int = 0) -> int:
    """Matched keypoints that one projective transform carries onto each other."""
    (points_a, codes_a), (points_b, codes_b) = first, second
    if min(len(points_a), len(points_b)) < 8:
        return 0
    matches = match_descriptors(codes_a, codes_b, cross_check=True, max_ratio=MATCH_RATIO)
    if len(matches) < 8:
        return 0
    source = points_a[matches[:, 0]][:, ::-1]  # (x, y) for the transform
    target = points_b[matches[:, 1]][:, ::-1]
    _, inliers = ransac(
        (source, target),
        ProjectiveTransform,
        min_samples=4,
        residual_threshold=RESIDUAL_PIXELS,
        max_trials=300,
        rng=np.random.default_rng(seed),
    )
    return 0 if inliers is None else int(inliers.sum())


def candidate_pairs(
    descriptors: Sequence[np.ndarray], queries: np.ndarray, pool: np.ndarray, count: int
) -> list[set[int]]:
    """For each query index, the ``count`` pool indices closest by cosine under each
    descriptor (rows of each array are photos)."""
    candidates: list[set[int]] = [set() for _ in queries]
    for descriptor in descriptors:
        unit = descriptor / np.linalg.norm(descriptor, axis=1, keepdims=True).clip(1e-12)
        similarity = unit[queries] @ unit[pool].T
        nearest = np.argsort(-similarity, axis=1)[:, :count]
        for row, columns in enumerate(nearest):
            candidates[row].update(int(pool[column]) for column in columns)
    return candidates


def same_scene_mates(
    images: Sequence[Image.Image],
    descriptors: Sequence[np.ndarray],
    queries: np.ndarray,
    pool: np.ndarray,
    candidates: int = CANDIDATES,
) -> tuple[np.ndarray, np.ndarray]:
    """For each query photo, the most geometric inliers with any candidate pool photo,
    and that photo's index (-1 if none matched); ``MIN_INLIERS`` or more means the same
    scene."""
    log.info("ORB keypoints of %d photos", len(np.union1d(queries, pool)))
    keypoints = {int(i): orb_keypoints(images[i]) for i in np.union1d(queries, pool)}
    best = np.zeros(len(queries), int)
    mate = np.full(len(queries), -1)
    for row, (query, tried) in enumerate(
        zip(queries, candidate_pairs(descriptors, queries, pool, candidates))
    ):
        if row % 100 == 0:
            log.info("  matched %d/%d validation photos", row, len(queries))
        for other in sorted(tried):
            count = geometric_inliers(keypoints[int(query)], keypoints[other])
            if count > best[row]:
                best[row], mate[row] = count, other
    return best, mate
