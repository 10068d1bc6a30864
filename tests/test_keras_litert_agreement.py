"""The served LiteRT model agrees with the Keras source of truth it was exported from."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from potato_disease.diagnosis import Diagnoser
from potato_disease.imaging import load_image, to_model_input
from potato_disease.model_files import KERAS_MODEL
from tests.conftest import sample_photos

pytestmark = pytest.mark.slow


def test_keras_and_litert_pick_the_same_class(
    diagnoser: Diagnoser, model_dir: Path, data_dir: Path
) -> None:
    keras = pytest.importorskip("keras")
    model = keras.saving.load_model(model_dir / KERAS_MODEL)
    photos = [
        path
        for source, label in [
            ("plantvillage", "early_blight"),
            ("plantvillage", "healthy"),
            ("field-java", "bacteria"),
            ("field-java", "virus"),
            ("field-java", "pest"),
            ("field-java", "late_blight"),
            ("not-leaf", "tuber"),
        ]
        for path in sample_photos(data_dir, source, label, 6)
    ]
    size = diagnoser.input_size
    pixels = np.stack([to_model_input(load_image(p), size) for p in photos])
    keras_outputs = model.predict(pixels, verbose=0)
    served = diagnoser.run(pixels)
    agreement = np.mean(keras_outputs["logits"].argmax(1) == served.logits.argmax(1))
    assert agreement >= 0.97
    assert np.abs(keras_outputs["logits"] - served.logits).max() < 0.1
    # float16 weights: the ReLU6 feature map (0-6) may move by a few hundredths here and there.
    feature_error = np.abs(keras_outputs["feature_map"] - served.feature_maps)
    assert feature_error.mean() < 0.01 and feature_error.max() < 0.5
