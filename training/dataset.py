"""Index the photo folders into (path, label, source) records.

Layout (see the data README): ``<source>/<class folder>/<image>``; the folder names
are read into labels by :mod:`potato_disease.photo_files`, the same code the
``evaluate`` command uses. Extra folders in that layout, such as the reviewed photos
the app exports (:mod:`potato_disease.reviewed_photos`), join as sources of their own.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
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


MIN_STRATUM_PHOTOS = 30  # every (source, label) of the shared data has more training photos


def index_dataset(data_dir: Path, extra_dirs: Sequence[Path] = ()) -> list[Record]:
    """Records of every source folder under the data directory, sorted, then those of
    each extra folder (a source itself, or a folder of sources)."""
    if not data_dir.is_dir():
        raise ValueError(f"Data directory {data_dir} does not exist (set POTATO_DATA_DIR)")
    sources = labelled_sources(data_dir)
    for extra_dir in extra_dirs:
        for source, photos in labelled_sources(extra_dir).items():
            if source in sources:
                raise ValueError(
                    f"{extra_dir} holds a source named {source!r} like one already indexed: "
                    "rename its folder so that each source keeps its own metrics"
                )
            sources[source] = photos
    return [
        Record(path, label, source) for source, photos in sources.items() for path, label in photos
    ]


def count_by(records: list[Record]) -> dict[str, dict[str, int]]:
    """Image counts per source and label."""
    counts: dict[str, Counter] = {}
    for record in records:
        counts.setdefault(record.source, Counter())[record.label] += 1
    return {source: dict(sorted(counter.items())) for source, counter in sorted(counts.items())}


def sample_weights(strata: list[str], min_photos: int = MIN_STRATUM_PHOTOS) -> np.ndarray:
    """Weights that give every (source, label) pair the same total weight, except that a
    pair of fewer than ``min_photos`` photos weighs only its share of that: a handful of
    reviewed photos must not count as much as a whole class of a source."""
    _, inverse, counts = np.unique(strata, return_inverse=True, return_counts=True)
    weights = 1.0 / np.maximum(counts, min_photos)[inverse]
    return weights * len(weights) / weights.sum()
