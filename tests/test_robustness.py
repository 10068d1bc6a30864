"""The camera-and-light proxy: each shift changes the photo, and the report is complete."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFilter

from potato_disease.diagnosis import Diagnoser
from potato_disease.imaging import load_image
from tests.conftest import sample_photos
from training import robustness


@pytest.mark.parametrize("name", [name for name in robustness.SHIFTS if name != "none"])
def test_every_shift_changes_the_photo_but_not_its_size(name: str) -> None:
    rng = np.random.default_rng(0)
    photo = Image.fromarray(rng.integers(30, 220, (120, 120, 3), np.uint8)).filter(
        ImageFilter.SMOOTH
    )
    shifted = robustness.SHIFTS[name](photo)
    assert shifted.size == photo.size and shifted.mode == "RGB"
    assert np.abs(np.asarray(shifted, int) - np.asarray(photo, int)).mean() > 1


def test_report_has_every_shift_and_source(diagnoser: Diagnoser, data_dir: Path) -> None:
    paths = sample_photos(data_dir, "plantvillage", "healthy", 2)
    paths += sample_photos(data_dir, "field-java", "virus", 2)
    report = robustness.robustness_report(
        diagnoser,
        [load_image(path) for path in paths],
        ["healthy", "healthy", "virus", "virus"],
        ["plantvillage", "plantvillage", "field-java", "field-java"],
    )
    assert list(report) == list(robustness.SHIFTS)
    for per_source in report.values():
        assert set(per_source) == {"plantvillage", "field-java"}
        for metrics in per_source.values():
            assert set(metrics) == set(robustness.REPORTED)
            assert 0.0 <= metrics["accuracy"] <= 1.0
