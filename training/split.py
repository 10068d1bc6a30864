"""A validation split that keeps near-duplicate photos on one side.

Field photos come in bursts (the same plant shot several times); the file names
here are content hashes, so bursts are found by similarity instead: photos whose
frozen-backbone descriptors have cosine similarity above ``threshold`` are linked,
and each connected group goes wholly to training or wholly to validation.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components
from sklearn.model_selection import StratifiedGroupKFold

NEAR_DUPLICATE_SIMILARITY = 0.95


def near_duplicate_groups(
    descriptors: np.ndarray, threshold: float = NEAR_DUPLICATE_SIMILARITY
) -> np.ndarray:
    """Group id per photo: connected components of the similarity > threshold graph."""
    unit = descriptors / np.linalg.norm(descriptors, axis=1, keepdims=True).clip(1e-12)
    similarity = unit @ unit.T
    np.fill_diagonal(similarity, 0)
    _, groups = connected_components(csr_matrix(similarity > threshold), directed=False)
    return groups


def grouped_split(
    strata: list[str], groups: np.ndarray, seed: int, folds: int = 5
) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, validation): one of ``folds`` stratified group folds."""
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    train, validation = next(splitter.split(np.zeros(len(strata)), strata, groups))
    return train, validation
