"""Index the photo folders into (path, label, source) records.

Layout (see the data README): ``<source>/<class folder>/<image>``; the folder names
are read into labels by :mod:`potato_disease.photo_files`, the same code the
``evaluate`` command uses.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from potato_disease.photo_files import labelled_sources


@dataclass(frozen=True)
class Record:
    """One photo with its label and where it comes from."""

    path: Path
    label: str
    source: str


def index_dataset(data_dir: Path) -> list[Record]:
    """Records of every source folder under the data directory, sorted."""
    if not data_dir.is_dir():
        raise ValueError(f"Data directory {data_dir} does not exist (set POTATO_DATA_DIR)")
    return [
        Record(path, label, source)
        for source, photos in labelled_sources(data_dir).items()
        for path, label in photos
    ]


def count_by(records: list[Record]) -> dict[str, dict[str, int]]:
    """Image counts per source and label."""
    counts: dict[str, Counter] = {}
    for record in records:
        counts.setdefault(record.source, Counter())[record.label] += 1
    return {source: dict(sorted(counter.items())) for source, counter in sorted(counts.items())}


def sample_weights(strata: list[str]) -> np.ndarray:
    """Weights that give every (source, label) pair the same total weight."""
    _, inverse, counts = np.unique(strata, return_inverse=True, return_counts=True)
    weights = 1.0 / counts[inverse]
    return weights * len(weights) / weights.sum()
