"""The diagnoser: loaded once, thread-safe, photo in and :class:`Diagnosis` out.

Serving runs the exported LiteRT model (a few MB, no TensorFlow import); the Keras
model in the same directory is the source of truth it was exported from.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from potato_disease import heatmap, imaging
from potato_disease.labels import DISEASE_LABELS, MODEL_CLASSES, NOT_LEAF
from potato_disease.model_files import ModelFiles, load_model_files
from potato_disease.rejection import mahalanobis_score

NOT_LEAF_INDEX = MODEL_CLASSES.index(NOT_LEAF)
UNSURE_BELOW = 0.6
"""An answer less sure than this (calibrated) is "unsure": the page says so and asks for
a retake; one this sure or surer is the photo's confident answer."""


def softmax(logits: np.ndarray) -> np.ndarray:
    """Probabilities from logits along the last axis, numerically stable."""
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


@dataclass(frozen=True)
class Diagnosis:
    """The model's answer for one photo.

    ``probabilities`` are calibrated over the seven leaf labels (what the photo shows
    if it is a potato leaf); ``is_leaf`` is False when the photo was refused, and then
    ``label`` is ``not_leaf`` and ``confidence`` says how sure the refusal is.
    """

    label: str
    confidence: float
    probabilities: dict[str, float]
    is_leaf: bool
    refusal_reason: str | None = None
    ood_score: float = 0.0
    heatmap: Image.Image | None = field(default=None, compare=False, repr=False)

    @property
    def leaf_label(self) -> str:
        """The most likely leaf label, even when the photo was refused."""
        return max(self.probabilities, key=self.probabilities.__getitem__)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (no heatmap)."""
        return {
            "label": self.label,
            "confidence": round(self.confidence, 4),
            "probabilities": {k: round(v, 4) for k, v in self.probabilities.items()},
            "is_leaf": self.is_leaf,
            "refusal_reason": self.refusal_reason,
        }


@dataclass(frozen=True)
class RawOutputs:
    """What the network computes for a batch: logits and final feature maps."""

    logits: np.ndarray
    feature_maps: np.ndarray


class Diagnoser:
    """Load a model directory once and diagnose photos from any thread."""

    def __init__(self, model_dir: Path, threads: int = 2) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self.files: ModelFiles = load_model_files(model_dir)
        self.input_size = self.files.input_size
        self._lock = threading.Lock()
        self._interpreter = Interpreter(model_content=self.files.serving_model, num_threads=threads)
        self._input = self._interpreter.get_input_details()[0]
        outputs = self._interpreter.get_output_details()
        self._logits_index = next(o["index"] for o in outputs if len(o["shape"]) == 2)
        self._feature_index = next(o["index"] for o in outputs if len(o["shape"]) == 4)
        self._batch = 0
        self.model_version = f"lite0-{self.files.input_size}px-{self.files.fingerprint()}"
        model_side = int(self._input["shape"][1])
        if model_side != self.input_size:
            raise ValueError(f"Model input is {model_side} px, metadata says {self.input_size}")

    def run(self, pixels: np.ndarray) -> RawOutputs:
        """Run the network on a (n, size, size, 3) batch of 0-255 pixels."""
        with self._lock:
            if pixels.shape[0] != self._batch:
                self._interpreter.resize_tensor_input(self._input["index"], pixels.shape)
                self._interpreter.allocate_tensors()
                self._batch = pixels.shape[0]
            self._interpreter.set_tensor(self._input["index"], pixels.astype(np.float32))
            self._interpreter.invoke()
            return RawOutputs(
                logits=self._interpreter.get_tensor(self._logits_index).copy(),
                feature_maps=self._interpreter.get_tensor(self._feature_index).copy(),
            )

    def diagnose(self, image: Image.Image, with_heatmap: bool = False) -> Diagnosis:
        """Diagnose one decoded photo."""
        return self.diagnose_batch([image], with_heatmap=with_heatmap)[0]

    def diagnose_bytes(self, data: bytes, with_heatmap: bool = False) -> Diagnosis:
        """Decode photo bytes (raising ``imaging.ImageError``) and diagnose them."""
        return self.diagnose(imaging.decode_image(data), with_heatmap=with_heatmap)

    def diagnose_many(
        self, images: list[Image.Image], batch_size: int = 32, with_heatmap: bool = False
    ) -> list[Diagnosis]:
        """Diagnose any number of decoded photos, ``batch_size`` at a time."""
        results: list[Diagnosis] = []
        for start in range(0, len(images), batch_size):
            chunk = images[start : start + batch_size]
            results += self.diagnose_batch(chunk, with_heatmap=with_heatmap)
        return results

    def diagnose_batch(
        self, images: list[Image.Image], with_heatmap: bool = False
    ) -> list[Diagnosis]:
        """Diagnose decoded photos in one batch."""
        if not images:
            return []
        squares = [imaging.center_square(image, self.input_size) for image in images]
        pixels = np.stack([np.asarray(square, dtype=np.float32) for square in squares])
        raw = self.run(pixels)
        results = []
        for index, square in enumerate(squares):
            diagnosis = self.interpret(raw.logits[index], raw.feature_maps[index])
            if with_heatmap:
                diagnosis = self._with_heatmap(diagnosis, square, raw.feature_maps[index])
            results.append(diagnosis)
        return results

    def interpret(self, logits: np.ndarray, feature_map: np.ndarray) -> Diagnosis:
        """Turn one photo's logits and feature map into a calibrated diagnosis."""
        temperature = self.files.temperature
        leaf_probabilities = softmax(logits[: len(DISEASE_LABELS)] / temperature)
        probabilities = {label: float(p) for label, p in zip(DISEASE_LABELS, leaf_probabilities)}
        all_probabilities = softmax(logits / temperature)
        ood_score = self.ood_score(feature_map)
        best = int(np.argmax(leaf_probabilities))
        if int(np.argmax(logits)) == NOT_LEAF_INDEX:
            return Diagnosis(
                NOT_LEAF,
                float(all_probabilities[NOT_LEAF_INDEX]),
                probabilities,
                False,
                "It looks like something other than a potato leaf (for example a tuber).",
                ood_score,
            )
        if ood_score > self.files.ood_threshold:
            return Diagnosis(
                NOT_LEAF,
                self.strangeness(ood_score),
                probabilities,
                False,
                "It is unlike the potato leaf photos the model has learned from. If it "
                "is a potato leaf, the photo may be blurred, too small, or too bright "
                "or dark: take a sharp, close photo in even light.",
                ood_score,
            )
        return Diagnosis(
            DISEASE_LABELS[best],
            float(leaf_probabilities[best]),
            probabilities,
            True,
            None,
            ood_score,
        )

    def ood_score(self, feature_map: np.ndarray) -> float:
        """Squared Mahalanobis distance of the pooled features to the nearest leaf class."""
        pooled = feature_map.reshape(-1, feature_map.shape[-1]).mean(axis=0)
        return float(
            mahalanobis_score(pooled[None], self.files.ood_projection, self.files.ood_centres)[0]
        )

    def strangeness(self, ood_score: float) -> float:
        """Share of validation leaves less unusual than this photo (0-1)."""
        quantiles = self.files.leaf_score_quantiles
        return float(np.interp(ood_score, quantiles, np.linspace(0, 1, len(quantiles))))

    def _with_heatmap(
        self, diagnosis: Diagnosis, square: Image.Image, feature_map: np.ndarray
    ) -> Diagnosis:
        class_index = MODEL_CLASSES.index(diagnosis.leaf_label if diagnosis.is_leaf else NOT_LEAF)
        activation = heatmap.class_activation_map(
            feature_map, self.files.classifier_kernel[:, class_index]
        )
        overlay = heatmap.overlay(square, activation)
        return Diagnosis(**{**diagnosis.__dict__, "heatmap": overlay})
