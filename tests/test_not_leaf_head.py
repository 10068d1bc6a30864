"""Refitting only the not_leaf column: it learns new non-leaf pictures, leaves stay put."""

from __future__ import annotations

import numpy as np

from potato_disease.labels import MODEL_CLASSES, NOT_LEAF
from training import not_leaf_head
from training.model import CLASSIFIER, build_diagnosis_model

NOT_LEAF_INDEX = MODEL_CLASSES.index(NOT_LEAF)


def _clusters(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Eight leaf-ish clusters the kernel already separates, and a new non-leaf cluster."""
    centres = rng.normal(0, 4, (len(MODEL_CLASSES) + 1, 6))
    labels = np.repeat(np.arange(len(MODEL_CLASSES) + 1), 40)
    features = centres[labels] + rng.normal(0, 0.3, (len(labels), 6))
    kernel = np.linalg.lstsq(centres[:-1], np.eye(len(MODEL_CLASSES)) * 10, rcond=None)[0]
    labels[labels == len(MODEL_CLASSES)] = NOT_LEAF_INDEX  # the new kind is not a leaf
    return features, labels, kernel


def test_refit_refuses_a_new_kind_of_picture_and_keeps_leaves() -> None:
    features, labels, kernel = _clusters(np.random.default_rng(0))
    bias = np.zeros(len(MODEL_CLASSES))
    new_kind = np.arange(len(labels)) >= len(MODEL_CLASSES) * 40
    before = (features @ kernel + bias).argmax(axis=1)
    assert (before[new_kind] != NOT_LEAF_INDEX).mean() > 0.5  # mostly taken for a leaf

    column, column_bias = not_leaf_head.refit_column(
        features, labels, np.ones(len(labels)), kernel, bias, l2_pull=1e-4
    )
    refitted = kernel.copy()
    refitted[:, NOT_LEAF_INDEX] = column
    after = (features @ refitted + np.append(np.zeros(7), column_bias)).argmax(axis=1)

    assert (after[new_kind] == NOT_LEAF_INDEX).all()
    assert (after[~new_kind] == labels[~new_kind]).mean() >= (
        before[~new_kind] == labels[~new_kind]
    ).mean()


def test_teach_changes_only_the_not_leaf_column_of_the_model() -> None:
    model = build_diagnosis_model(32)
    kernel, bias = (w.copy() for w in model.get_layer(CLASSIFIER).get_weights())
    rng = np.random.default_rng(1)
    features = rng.normal(0, 1, (60, kernel.shape[0])).astype(np.float32)
    labels = np.repeat([0, 3, NOT_LEAF_INDEX], 20)
    strata = [f"s/{y}" for y in labels]

    not_leaf_head.teach(model, features, labels, strata)

    new_kernel, new_bias = model.get_layer(CLASSIFIER).get_weights()
    others = np.arange(len(MODEL_CLASSES)) != NOT_LEAF_INDEX
    assert np.array_equal(new_kernel[:, others], kernel[:, others])
    assert np.array_equal(new_bias[others], bias[others])
    assert not np.allclose(new_kernel[:, NOT_LEAF_INDEX], kernel[:, NOT_LEAF_INDEX])
