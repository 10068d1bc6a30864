"""The files of a trained model directory and their metadata."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from potato_disease.labels import MODEL_CLASSES

SERVING_MODEL = "potato_leaf.tflite"
KERAS_MODEL = "potato_leaf.keras"
HEAD_ARRAYS = "head.npz"
METADATA = "metadata.json"


class ModelFilesError(RuntimeError):
    """The model directory is missing a file or holds inconsistent files."""


@dataclass(frozen=True)
class ModelFiles:
    """What the diagnoser needs from a model directory, read and checked."""

    serving_model: bytes
    classifier_kernel: np.ndarray
    ood_projection: np.ndarray
    ood_centres: np.ndarray
    leaf_score_quantiles: np.ndarray
    metadata: dict[str, Any]

    @property
    def input_size(self) -> int:
        return int(self.metadata["input_size"])

    @property
    def temperature(self) -> float:
        return float(self.metadata["calibration"]["temperature"])

    @property
    def ood_threshold(self) -> float:
        return float(self.metadata["rejection"]["ood_threshold"])

    def fingerprint(self) -> str:
        """12 hex digits of a hash over everything that decides an answer: the network,
        the head arrays, the temperature and the threshold. Refitting the rule or the
        calibration of the same network gives a new fingerprint."""
        digest = hashlib.sha256(self.serving_model)
        for array in (
            self.classifier_kernel,
            self.ood_projection,
            self.ood_centres,
            self.leaf_score_quantiles,
        ):
            digest.update(np.ascontiguousarray(array).tobytes())
        digest.update(f"{self.temperature!r} {self.ood_threshold!r}".encode())
        return digest.hexdigest()[:12]


def read_metadata(model_dir: Path) -> dict[str, Any]:
    """The parsed ``metadata.json`` of a model directory."""
    path = model_dir / METADATA
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise ModelFilesError(f"Cannot read model metadata {path}: {error}") from error


def load_model_files(model_dir: Path) -> ModelFiles:
    """Read the serving model, head arrays and metadata; check they fit together."""
    metadata = read_metadata(model_dir)
    if tuple(metadata.get("classes", ())) != MODEL_CLASSES:
        raise ModelFilesError(
            f"Model classes {metadata.get('classes')} differ from this code's {MODEL_CLASSES}"
        )
    try:
        serving_model = (model_dir / SERVING_MODEL).read_bytes()
        with np.load(model_dir / HEAD_ARRAYS) as arrays:
            head = {name: arrays[name].astype(np.float32) for name in arrays.files}
    except (OSError, KeyError, ValueError) as error:
        raise ModelFilesError(f"Cannot read model files in {model_dir}: {error}") from error
    return ModelFiles(
        serving_model=serving_model,
        classifier_kernel=head["classifier_kernel"],
        ood_projection=head["ood_projection"],
        ood_centres=head["ood_centres"],
        leaf_score_quantiles=head["leaf_score_quantiles"],
        metadata=metadata,
    )
