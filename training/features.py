"""Cache the frozen lower backbone's output for clean and augmented views.

On two CPU cores full fine-tuning runs at a few photos a second, so the lower
blocks (ImageNet weights, frozen) run once per view through LiteRT and only the top
of the network is trained, from these cached activations.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from pathlib import Path

import keras
import numpy as np
from PIL import Image

from potato_disease.imaging import center_square

log = logging.getLogger(__name__)

BATCH_SIZE = 32


def lower_model(full_model: keras.Model, split_block: int) -> keras.Model:
    """The frozen part of ``full_model``: pixels up to the input of ``split_block``."""
    last = full_model.get_layer(_block_output_name(full_model, split_block - 1))
    return keras.Model(full_model.input, last.output, name="frozen_lower")


def _block_output_name(model: keras.Model, index: int) -> str:
    names = {layer.name for layer in model.layers}
    add = f"block{index}_add"
    return add if add in names else f"block{index}_project_bn"


def to_litert(model: keras.Model) -> bytes:
    """Convert a Keras model to a LiteRT flatbuffer (float32)."""
    import tensorflow as tf

    return tf.lite.TFLiteConverter.from_keras_model(model).convert()


class BatchRunner:
    """Run a LiteRT model over many inputs in fixed-size batches."""

    def __init__(self, model_content: bytes, threads: int = 2) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self.interpreter = Interpreter(model_content=model_content, num_threads=threads)
        self.input = self.interpreter.get_input_details()[0]
        self.output = self.interpreter.get_output_details()[0]
        self.batch = 0

    def __call__(self, pixels: np.ndarray) -> np.ndarray:
        if pixels.shape[0] != self.batch:
            self.interpreter.resize_tensor_input(self.input["index"], pixels.shape)
            self.interpreter.allocate_tensors()
            self.batch = pixels.shape[0]
        self.interpreter.set_tensor(self.input["index"], pixels.astype(np.float32))
        self.interpreter.invoke()
        return self.interpreter.get_tensor(self.output["index"]).copy()


def extract(
    images: list[Image.Image],
    runner: Callable[[np.ndarray], np.ndarray],
    size: int,
    view: Callable[[Image.Image, int], Image.Image] | None = None,
) -> np.ndarray:
    """Activations (float16) of every image, each through ``view`` or a centre crop."""
    outputs = []
    for start in range(0, len(images), BATCH_SIZE):
        chunk = images[start : start + BATCH_SIZE]
        pixels = np.stack([_view_pixels(image, size, view) for image in chunk])
        outputs.append(runner(pixels).astype(np.float16))
        if start // BATCH_SIZE % 20 == 0:
            log.info("  %d/%d", start + len(chunk), len(images))
    return np.concatenate(outputs)


def _view_pixels(
    image: Image.Image, size: int, view: Callable[[Image.Image, int], Image.Image] | None
) -> np.ndarray:
    shown = view(image, size) if view else center_square(image, size)
    return np.asarray(shown, dtype=np.float32)


def cached(path: Path, compute: Callable[[], dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Load arrays from ``path`` if present, else compute and save them."""
    if path.exists():
        log.info("Using cached %s", path)
        with np.load(path) as data:
            return dict(data)
    arrays = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **arrays)
    return arrays


def iterate_views(count: int) -> Iterable[int]:
    """View indices: 0 is the clean centre crop, 1.. are augmented."""
    return range(count + 1)
