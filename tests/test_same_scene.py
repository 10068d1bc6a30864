"""The geometric same-scene test on real field photos."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from tests.conftest import sample_photos
from training import same_scene


def reframed(image: Image.Image) -> Image.Image:
    """The same scene shot again: the camera moved a little, slightly closer."""
    width, height = image.size
    return image.crop((12, 8, width - 4, height - 10)).resize((width, height)).rotate(4)


def test_the_same_scene_reframed_matches_and_other_plants_do_not(data_dir: Path) -> None:
    photos = [
        Image.open(path).convert("RGB")
        for label in ("bacteria", "late_blight", "healthy", "virus")
        for path in sample_photos(data_dir, "field-java", label, 2)
    ]
    keypoints = [same_scene.orb_keypoints(photo) for photo in photos]
    for photo, points in zip(photos, keypoints):
        again = same_scene.orb_keypoints(reframed(photo))
        assert same_scene.geometric_inliers(points, again) >= same_scene.MIN_INLIERS
    others = [
        same_scene.geometric_inliers(keypoints[a], keypoints[b])
        for a in range(len(photos))
        for b in range(a + 1, len(photos))
    ]
    assert max(others) < same_scene.MIN_INLIERS


def test_a_plain_picture_has_no_keypoints_and_matches_nothing(data_dir: Path) -> None:
    plain = same_scene.orb_keypoints(Image.new("RGB", (224, 224), (90, 140, 60)))
    leaf = Image.open(sample_photos(data_dir, "field-java", "pest", 1)[0]).convert("RGB")
    assert len(plain[0]) == 0
    assert same_scene.geometric_inliers(plain, same_scene.orb_keypoints(leaf)) == 0


def test_candidates_are_the_nearest_under_each_descriptor() -> None:
    first = np.array([[1, 0], [0, 1], [1, 0.1], [0.1, 1], [1, 1]], np.float32)
    second = np.array([[1, 0], [1, 0], [0, 1], [1, 0], [0, 1]], np.float32)
    queries, pool = np.array([0, 1]), np.array([2, 3, 4])
    assert same_scene.candidate_pairs([first], queries, pool, 1) == [{2}, {3}]
    assert same_scene.candidate_pairs([first, second], queries, pool, 1) == [{2, 3}, {3}]
