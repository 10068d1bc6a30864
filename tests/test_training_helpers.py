"""Pure helpers of the training pipeline: calibration, OOD score, split, augmentation."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from potato_disease.rejection import mahalanobis_score
from training import augment, calibration, split, synthetic
from training.train import sample_weights


def test_temperature_fit_recovers_the_true_temperature() -> None:
    rng = np.random.default_rng(0)
    true_logits = rng.normal(0, 2, size=(4000, 5))
    probabilities = np.exp(true_logits) / np.exp(true_logits).sum(axis=1, keepdims=True)
    labels = np.array([rng.choice(5, p=p) for p in probabilities])
    assert calibration.fit_temperature(true_logits * 3.0, labels) == pytest.approx(3.0, rel=0.1)


def test_mahalanobis_scores_far_points_higher() -> None:
    rng = np.random.default_rng(1)
    features = rng.normal(0, 1, size=(600, 16))
    labels = np.repeat([0, 1, 2], 200)
    features[labels == 1] += 5
    projection, centres = calibration.fit_mahalanobis(features, labels, components=8)
    near = mahalanobis_score(features[:50], projection, centres)
    far = mahalanobis_score(features[:50] + 20, projection, centres)
    assert np.all(far > near)


def test_near_duplicates_share_a_group_and_strangers_do_not() -> None:
    rng = np.random.default_rng(2)
    base = rng.normal(size=(5, 32))
    descriptors = np.concatenate([base, base[:2] + 0.01 * rng.normal(size=(2, 32))])
    groups = split.near_duplicate_groups(descriptors)
    assert groups[0] == groups[5] and groups[1] == groups[6]
    assert len(set(groups[:5])) == 5


def test_grouped_split_never_splits_a_group() -> None:
    groups = np.repeat(np.arange(50), 2)
    strata = ["a" if g % 2 else "b" for g in groups]
    train, validation = split.grouped_split(strata, groups, seed=0)
    assert not set(groups[train]) & set(groups[validation])


def test_sample_weights_balance_every_stratum() -> None:
    strata = ["pv/early"] * 8 + ["field/nematode"] * 2
    weights = sample_weights(strata)
    assert weights[:8].sum() == pytest.approx(weights[8:].sum())


def test_augmentation_is_reproducible_and_sized() -> None:
    photo = Image.fromarray(np.random.default_rng(3).integers(0, 255, (224, 224, 3), np.uint8))
    first = augment.augment(photo, 192, np.random.default_rng(7))
    second = augment.augment(photo, 192, np.random.default_rng(7))
    assert first.size == (192, 192)
    assert np.array_equal(np.asarray(first), np.asarray(second))


def test_synthetic_non_leaf_pictures_cover_every_kind() -> None:
    images = synthetic.synthetic_images(len(synthetic.KINDS) * 2, 64, seed=0)
    assert len(images) == 14 and all(image.size == (64, 64) for image in images)
    assert len({np.asarray(image).tobytes() for image in images}) == 14
