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
    brightness = result.mean(axis=2)
    assert brightness[5, 5] > brightness[110, 110] + 50  # brightest where the model looked


def test_more_evidence_is_always_brighter_whatever_the_colour_vision() -> None:
    """Luminance rises along the whole scale, in colour and seen without red or green
    cones (Viénot et al. 1999 protanopia and deuteranopia on linear RGB)."""
    rgb = heatmap.colourise(np.linspace(0, 1, 101)).astype(float) / 255
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    protan = linear @ np.array([[0.11238, 0.11238, 0.00401], [0.88762, 0.88762, -0.00401],
                                [0.0, 0.0, 1.0]])  # fmt: skip
    deutan = linear @ np.array([[0.29275, 0.29275, -0.02234], [0.70725, 0.70725, 0.02234],
                                [0.0, 0.0, 1.0]])  # fmt: skip
    for seen in (linear, protan, deutan):
        luminance = seen @ np.array([0.2126, 0.7152, 0.0722])
        assert np.all(np.diff(luminance) > 0)


def test_more_evidence_outshines_a_brighter_part_of_the_photo() -> None:
    """A shaded lesion the model relied on reads brighter than a sunlit patch it
    relied on half as much."""
    photo = np.zeros((120, 120, 3), dtype=np.uint8)
    photo[:, :60] = 255  # sunlit left half, black right half
    activation = np.zeros((6, 6))
    activation[:, :3], activation[:, 3:] = 0.5, 1.0
    result = np.asarray(heatmap.overlay(Image.fromarray(photo), activation)).mean(axis=2)
    assert result[:, 90:].mean() > result[:, :30].mean() + 10


def test_overlay_rejects_a_bad_opacity() -> None:
    with pytest.raises(ValueError, match="opacity"):
        heatmap.overlay(Image.new("RGB", (8, 8)), np.zeros((2, 2)), opacity=2)
