"""Pure helpers of the training pipeline: calibration, OOD score, split, augmentation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from potato_disease.diagnosis import RawOutputs
from potato_disease.rejection import mahalanobis_score
from training import augment, calibration, export, finetune, photo_pack, split, synthetic
from training.dataset import index_dataset, sample_weights
from training.train import Photos


def test_temperature_fit_recovers_the_true_temperature() -> None:
    rng = np.random.default_rng(0)
    true_logits = rng.normal(0, 2, size=(4000, 5))
    probabilities = np.exp(true_logits) / np.exp(true_logits).sum(axis=1, keepdims=True)
    labels = np.array([rng.choice(5, p=p) for p in probabilities])
    assert calibration.fit_temperature(true_logits * 3.0, labels) == pytest.approx(3.0, rel=0.1)


def test_temperature_is_fitted_on_the_views_too() -> None:
    """Views that the network is overconfident on pull the temperature up, also when
    cross-fitted (each half's temperature comes from the other half and its views)."""
    rng = np.random.default_rng(3)
    true_logits = rng.normal(0, 2, size=(3000, 5))
    probabilities = np.exp(true_logits) / np.exp(true_logits).sum(axis=1, keepdims=True)
    labels = np.array([rng.choice(5, p=p) for p in probabilities])
    clean, overconfident_view = true_logits, true_logits * 3.0
    logits, stacked = calibration.with_views(clean, labels, [overconfident_view])
    assert logits.shape == (6000, 5) and np.array_equal(stacked[3000:], labels)
    alone = calibration.fit_temperature(clean, labels)
    with_view = calibration.fit_temperature(logits, stacked)
    assert alone == pytest.approx(1.0, rel=0.1) and 1.3 < with_view < 3.0
    groups = np.arange(3000) // 3  # bursts of three photos
    alone = calibration.cross_fitted_probabilities(clean, labels, groups, seed=0)
    moved = calibration.cross_fitted_probabilities(
        clean, labels, groups, seed=0, views=[overconfident_view]
    )
    assert calibration.ece_of(alone, labels) < 0.03 < calibration.ece_of(moved, labels)


def test_cross_fitting_keeps_each_burst_on_one_side() -> None:
    groups = np.repeat(np.arange(40), 5)
    first = calibration.group_halves(groups, seed=4)
    assert first.sum() == 100  # 20 of the 40 groups
    for group in range(40):
        assert len(set(first[groups == group])) == 1


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
    strata = ["pv/early"] * 80 + ["field/nematode"] * 32
    weights = sample_weights(strata)
    assert weights[:80].sum() == pytest.approx(weights[80:].sum())
    assert weights.mean() == pytest.approx(1.0)


def test_a_stratum_of_a_few_photos_weighs_only_its_share() -> None:
    strata = ["field/pest"] * 60 + ["reviewed/pest"] * 3
    weights = sample_weights(strata, min_photos=30)
    assert weights[60:].sum() == pytest.approx(weights[:60].sum() * 3 / 30)
    assert weights[60] == pytest.approx(weights[0] * 2)  # still up-weighted, not 20x


def test_extra_folders_join_as_sources_of_their_own(tmp_path) -> None:
    shared, reviewed = tmp_path / "shared", tmp_path / "reviewed"
    for folder in (shared / "field" / "pest", reviewed / "late_blight", reviewed / "not_leaf"):
        folder.mkdir(parents=True)
        Image.new("RGB", (8, 8)).save(folder / "a.jpg")
    records = index_dataset(shared, [reviewed])
    assert [(r.source, r.label) for r in records] == [
        ("field", "pest"),
        ("reviewed", "late_blight"),
        ("reviewed", "not_leaf"),
    ]
    with pytest.raises(ValueError, match="source named 'field'"):
        index_dataset(shared, [shared])


def test_augmentation_is_reproducible_and_sized() -> None:
    photo = Image.fromarray(np.random.default_rng(3).integers(0, 255, (224, 224, 3), np.uint8))
    first = augment.augment(photo, 192, np.random.default_rng(7))
    second = augment.augment(photo, 192, np.random.default_rng(7))
    assert first.size == (192, 192)
    assert np.array_equal(np.asarray(first), np.asarray(second))


def test_degraded_views_are_reproducible_sized_and_softer_than_field_views() -> None:
    from potato_disease.photo_quality import sharpness

    photo = Image.fromarray(np.random.default_rng(3).integers(0, 255, (224, 224, 3), np.uint8))
    views = [augment.degrade(photo, 192, np.random.default_rng(seed)) for seed in range(12)]
    again = augment.degrade(photo, 192, np.random.default_rng(0))
    assert all(view.size == (192, 192) for view in views)
    assert np.array_equal(np.asarray(views[0]), np.asarray(again))
    plain = [augment.augment(photo, 192, np.random.default_rng(seed)) for seed in range(12)]
    # The same field-like view, then spoilt (JPEG blocks can add edges, so the median).
    assert all(not np.array_equal(np.asarray(v), np.asarray(p)) for v, p in zip(views, plain))
    assert np.median([sharpness(v) for v in views]) < np.median([sharpness(p) for p in plain]) / 2


def test_synthetic_non_leaf_pictures_cover_every_kind() -> None:
    images = synthetic.synthetic_images(len(synthetic.KINDS) * 2, 64, seed=0)
    assert len(images) == 14 and all(image.size == (64, 64) for image in images)
    assert len({np.asarray(image).tobytes() for image in images}) == 14


def test_photo_pack_round_trip_keeps_labels_split_and_pixels(tmp_path) -> None:
    rng = np.random.default_rng(4)
    images = [Image.fromarray(rng.integers(0, 255, (240, 200, 3), np.uint8)) for _ in range(3)]
    images[0] = Image.new("RGB", (300, 300), (40, 160, 60))
    pack = photo_pack.PhotoPack(
        images=images,
        labels=np.array([0, 3, 7]),
        sources=np.array(["plantvillage", "field-java", "synthetic"]),
        paths=np.array(["plantvillage/Early_Blight/a.jpg", "field-java/Bacteria/b.jpg", "x"]),
        validation=np.array([False, True, False]),
        groups=np.array([0, 1, 0]),
    )
    path = tmp_path / "photos.npz"
    photo_pack.save_pack(path, pack, size=96)
    loaded = photo_pack.load_pack(path)
    assert [image.size for image in loaded.images] == [(96, 96)] * 3
    assert np.abs(np.asarray(loaded.images[0], dtype=int) - (40, 160, 60)).max() <= 3
    assert loaded.labels.tolist() == [0, 3, 7]
    assert loaded.validation_indices.tolist() == [1]
    assert loaded.train_indices.tolist() == [0, 2]
    paths, validation, groups = photo_pack.load_split(path)
    assert paths.tolist() == pack.paths.tolist()
    assert validation.tolist() == [False, True, False]
    assert groups.tolist() == [0, 1, 0]


def test_fine_tuning_views_do_not_depend_on_how_work_is_split(monkeypatch) -> None:
    rng = np.random.default_rng(5)
    images = [Image.fromarray(rng.integers(0, 255, (64, 64, 3), np.uint8)) for _ in range(4)]
    monkeypatch.setattr(finetune, "_worker_images", images)
    whole = finetune._augment_task(([0, 1, 2, 3], 2, 11, 32))
    parts = np.concatenate(
        [finetune._augment_task(([0, 1], 2, 11, 32)), finetune._augment_task(([2, 3], 2, 11, 32))]
    )
    other_epoch = finetune._augment_task(([0, 1, 2, 3], 3, 11, 32))
    assert whole.shape == (4, 32, 32, 3)
    assert np.array_equal(whole, parts)
    assert not np.array_equal(whole, other_epoch)


def test_fine_tuned_weights_and_record_sit_side_by_side(tmp_path) -> None:
    weights = finetune.weights_path(tmp_path / "a192")
    assert weights.name == "a192.weights.h5"
    assert finetune.record_name(weights) == "a192.json"


class _MeanColourNetwork:
    """Stands in for the served network: the 'pooled features' are the mean colour."""

    input_size = 32

    def run(self, pixels: np.ndarray) -> RawOutputs:
        colour = pixels.mean(axis=(1, 2), keepdims=True)
        return RawOutputs(logits=np.zeros((len(pixels), 8)), feature_maps=colour)


def test_distilled_targets_move_towards_the_teachers_mean_answer() -> None:
    import keras

    class Fixed(keras.Model):
        """A teacher that gives the same logits for every view."""

        def __init__(self, logits: list[float]) -> None:
            super().__init__()
            self.logits = np.array(logits, dtype=np.float32)

        def call(self, views):
            return keras.ops.tile(self.logits[None], (keras.ops.shape(views)[0], 1))

    classes = len(finetune.MODEL_CLASSES)
    sure_of_0 = Fixed([10.0] + [0.0] * (classes - 1))
    sure_of_1 = Fixed([0.0, 10.0] + [0.0] * (classes - 2))
    targets = np.eye(classes, dtype=np.float32)[[2, 2, 2]]
    views = np.zeros((3, 8, 8, 3), dtype=np.float32)
    mixed = finetune.distilled_targets(targets, views, [sure_of_0, sure_of_1], 0.5)
    assert mixed.shape == targets.shape and np.allclose(mixed.sum(axis=1), 1.0, atol=1e-5)
    assert np.allclose(mixed[:, 2], 0.5, atol=1e-3)  # the label keeps half
    assert np.allclose(mixed[:, 0], mixed[:, 1]) and mixed[0, 0] > 0.24  # each teacher a quarter
    unchanged = finetune.distilled_targets(targets, views, [sure_of_0], 0.0)
    assert np.allclose(unchanged, targets)


@pytest.mark.slow  # loads the shipped Keras model twice
def test_a_half_size_weights_file_teaches_like_the_saved_model(tmp_path) -> None:
    """A teacher given as a float16 ``.weights.h5`` copy (small enough for a GPU call)
    answers as the ``.keras`` model it was written from, to float16 rounding."""
    from training.teacher_copies import half_size_copy

    shipped = Path(__file__).parents[1] / "model" / "potato_leaf.keras"
    (from_model,) = finetune.teacher_classifiers([shipped], 64)
    half = half_size_copy(shipped, tmp_path / "teacher")
    assert half.name == "teacher.f16.weights.h5" and [p.name for p in tmp_path.iterdir()] == [
        half.name
    ]
    assert half.stat().st_size < 0.6 * shipped.stat().st_size
    (from_half,) = finetune.teacher_classifiers([half], 64)
    views = np.random.default_rng(2).uniform(0, 255, (4, 64, 64, 3)).astype(np.float32)
    expected, got = from_model.predict(views, verbose=0), from_half.predict(views, verbose=0)
    assert np.abs(expected).max() > 1.0  # the network's own answer, not an empty one
    assert np.allclose(got, expected, atol=0.05 * np.abs(expected).max())
    assert not np.array_equal(got, expected)  # the half-size copy was really read


def test_distance_rule_is_fitted_on_clean_and_augmented_views_of_training_leaves() -> None:
    rng = np.random.default_rng(5)
    images = [Image.fromarray(rng.integers(0, 255, (48, 48, 3), np.uint8)) for _ in range(6)]
    photos = Photos(images, np.array([0, 1, 7, 2, 0, 7]), ["field-java"] * 6)
    train_leaf = np.array([0, 1, 3])
    clean = np.arange(18, dtype=np.float64).reshape(6, 3)
    network = _MeanColourNetwork()

    features, labels = export.leaf_features_with_views(network, photos, train_leaf, clean, 2, 9)
    again, _ = export.leaf_features_with_views(network, photos, train_leaf, clean, 2, 9)

    assert features.shape == (9, 3) and np.array_equal(features[:3], clean[train_leaf])
    assert labels.tolist() == [0, 1, 2] * 3
    assert not np.allclose(features[3:6], features[6:9])  # each view is a new augmentation
    assert np.array_equal(features, again)  # and seeded

    projection, centres = export.fit_distance_rule(
        network, photos, train_leaf, (features, labels), 2, 9, components=3
    )
    assert projection.shape == (3, 3) and centres.shape == (3, 3)  # leaf classes 0, 1, 2
    assert projection.dtype == np.float32
    assert np.array_equal(projection, projection.astype(np.float16).astype(np.float32))


def test_not_leaf_training_set_lines_up_features_labels_and_strata() -> None:
    rng = np.random.default_rng(6)
    images = [Image.fromarray(rng.integers(0, 255, (40, 40, 3), np.uint8)) for _ in range(5)]
    photos = Photos(images, np.array([0, 7, 2, 7, 1]), ["pv", "tuber", "field", "tuber", "pv"])
    train = np.array([0, 1, 2, 3])
    pooled = np.arange(15, dtype=np.float64).reshape(5, 3)
    views = (np.full((4, 3), -1.0), np.array([0, 2, 0, 2]))  # 2 views of the 2 training leaves
    pictures = [Image.new("RGB", (40, 40), (200, 10, 10))] * 3

    features, labels, strata = export.not_leaf_training_set(
        _MeanColourNetwork(), photos, train, pooled, views, pictures
    )

    assert features.shape == (4 + 4 + 3, 3) and len(labels) == len(strata) == 11
    assert labels.tolist() == [0, 7, 2, 7, 0, 2, 0, 2, 7, 7, 7]
    assert strata[4:8] == ["pv/early_blight", "field/healthy"] * 2
    assert strata[8:] == ["artwork/not_leaf"] * 3
    assert np.allclose(features[8:], [200, 10, 10])  # the pictures' own (mean-colour) features


def test_learning_curve_shares_whole_field_groups_per_label() -> None:
    from training.learning_curve import field_share, leaf_top1

    sources = ["plantvillage"] * 4 + ["field-java"] * 12
    labels = np.array([0, 0, 1, 1] + [0] * 8 + [5] * 4)
    groups = np.array([0, 1, 2, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 9, 10, 11])  # 4 field bursts
    train = np.arange(16)
    half = field_share(train, sources, labels, groups, 0.5, seed=0)
    assert set(range(4)) <= set(half)  # other sources kept whole
    kept_groups = set(groups[half[half >= 4]])
    assert len(kept_groups & {4, 5, 6, 7}) == 2 and len(kept_groups & {8, 9, 10, 11}) == 2
    for group in kept_groups:  # never half a burst
        assert set(np.flatnonzero(groups == group)) <= set(half)
    tiny = field_share(train, sources, labels, groups, 0.01, seed=0)
    assert len(set(groups[tiny[tiny >= 4]])) == 2  # at least one group of each label
    logits = np.array([[0.0, 1, 0, 0, 0, 0, 0, 9], [3.0, 0, 0, 0, 0, 0, 0, 0]])
    assert list(leaf_top1(logits)) == [1, 0]  # not_leaf is never the answer


@pytest.mark.slow  # two LiteRT conversions of the backbone
def test_stage1_can_train_more_blocks_on_the_same_split(tmp_path) -> None:
    from training import train as stage1

    rng = np.random.default_rng(2)
    images = [Image.fromarray(rng.integers(0, 255, (64, 64, 3), np.uint8)) for _ in range(15)]
    photos = Photos(images, np.array([0, 1, 2] * 5), ["field-java"] * 15)
    _, shipped, train, validation, groups = stage1.activations_and_split(photos, 1, tmp_path, False)
    _, deeper, train_11, validation_11, groups_11 = stage1.activations_and_split(
        photos, 1, tmp_path, False, split_block=11
    )
    assert np.array_equal(train_11, train) and np.array_equal(validation_11, validation)
    assert np.array_equal(groups_11, groups)  # the split comes from block 15 either way
    assert shipped.shape[:2] == deeper.shape[:2] == (2, 15)  # clean + 1 view of each photo
    assert deeper.shape[2:4] == (12, 12) and shipped.shape[2:4] == (6, 6)  # earlier, finer
    cached = sorted(path.name for path in tmp_path.glob("activations_*.npz"))
    assert cached == [
        "activations_192px_b11_v1_n15_random.npz",
        "activations_192px_b15_v0_n15_random.npz",  # clean views only, for the split
        "activations_192px_b15_v1_n15_random.npz",
    ]


def test_provenance_names_the_photos_by_content_and_the_code_and_libraries(tmp_path):
    from training import provenance

    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.jpg").write_bytes(b"one")
    (tmp_path / "a" / "y.jpg").write_bytes(b"two")
    first = provenance.provenance(sorted((tmp_path / "a").iterdir()), tmp_path)
    assert first["photos"] == 2 and first["git_commit"] is None  # not a git checkout
    assert first["libraries"]["numpy"] and "tensorflow-cpu" in first["libraries"]
    moved = tmp_path / "b" / "a"
    moved.mkdir(parents=True)
    for name in ("y.jpg", "x.jpg"):
        (moved / name).write_bytes((tmp_path / "a" / name).read_bytes())
    same = provenance.manifest_sha256((moved / "x.jpg", moved / "y.jpg"))
    assert same == first["photo_manifest_sha256"]  # same photos elsewhere, any order
    (moved / "y.jpg").write_bytes(b"changed")
    assert provenance.manifest_sha256(moved.iterdir()) != same
