"""Class activation maps and their overlay."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from potato_disease import heatmap


def test_activation_map_follows_the_class_weights() -> None:
    features = np.zeros((6, 6, 4), dtype=np.float32)
    features[1, 4, 2] = 3.0  # only channel 2 fires, at one place
    weights = np.array([0, 0, 1.0, 0])
    activation = heatmap.class_activation_map(features, weights)
    assert activation.max() == 1.0 and activation[1, 4] == 1.0 and activation.sum() == 1.0
    assert heatmap.class_activation_map(features, -weights).max() == 0.0


def test_overlay_keeps_the_photo_size_and_marks_the_hot_area() -> None:
    photo = Image.new("RGB", (120, 120), (40, 120, 40))
    activation = np.zeros((6, 6))
    activation[0, 0] = 1.0
    result = np.asarray(heatmap.overlay(photo, activation)).astype(int)
    assert result.shape == (120, 120, 3)
    assert result[5, 5, 0] > result[110, 110, 0] + 50  # red where the model looked


def test_overlay_rejects_a_bad_opacity() -> None:
    with pytest.raises(ValueError, match="opacity"):
        heatmap.overlay(Image.new("RGB", (8, 8)), np.zeros((2, 2)), opacity=2)
