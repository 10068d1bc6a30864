"""The camera-and-light proxy: each shift changes the photo, and the report is complete."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFilter

from potato_disease.diagnosis import Diagnoser
from potato_disease.imaging import load_image
from potato_disease.labels import MODEL_CLASSES, NOT_LEAF
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


def test_lab_leaf_report_sets_each_lab_leaf_on_both_kinds_of_background(
    diagnoser: Diagnoser, data_dir: Path
) -> None:
    paths = sample_photos(data_dir, "plantvillage", "late_blight", 3)
    paths += sample_photos(data_dir, "plantvillage", "healthy", 3)
    paths += sample_photos(data_dir, "field-java", "healthy", 2)
    paths += sample_photos(data_dir, "not-leaf", "tuber", 2)
    labels = [MODEL_CLASSES.index(label) for label in ["late_blight"] * 3 + ["healthy"] * 5]
    labels += [MODEL_CLASSES.index(NOT_LEAF)] * 2
    sources = ["plantvillage"] * 6 + ["field-java"] * 2 + ["not-leaf"] * 2
    report = robustness.lab_leaves_in_the_field_report(
        diagnoser, [load_image(path) for path in paths], labels, sources, range(10), seed=0
    )
    assert report["backgrounds"]["validation photos"] == 4  # field healthy and tubers
    assert report["backgrounds"]["held-out scenes"] >= len(robustness.HELD_OUT_TEXTURES)
    for kind in ("on validation photos", "on held-out scenes"):
        assert report[kind]["leaf_photos"] == 6  # each lab leaf once per kind
        assert 0.0 <= report[kind]["accuracy"] <= 1.0
    two_classes = report["healthy_vs_late_blight"]
    assert two_classes["leaf_photos"] == 12
    assert 0.0 <= two_classes["balanced_accuracy"] <= 1.0


def test_model_card_shows_the_lab_leaf_figures_or_says_they_were_not_measured() -> None:
    from training import model_card

    metrics = {"accuracy": 0.9, "macro_f1": 0.8, "leaves_refused": 0.05, "leaf_photos": 10}
    report = {
        "backgrounds": {"validation photos": 4, "held-out scenes": 3},
        "on validation photos": metrics,
        "on held-out scenes": metrics | {"accuracy": 0.7},
        "healthy_vs_late_blight": {
            "balanced_accuracy": 0.875,
            "leaves_refused": 0.0,
            "leaf_photos": 8,
        },
    }
    labels = list(MODEL_CLASSES)  # as evaluation.summarize writes the matrix
    rows = [[0] * len(labels) for _ in labels]
    rows[0][0] = 5
    rows[1][:2], rows[1][-1] = [3, 6], 1  # late blight: 6 of 10, one refused
    rows[2][2] = 4
    field = {"confusion_matrix": {"labels": labels, "rows_true_columns_predicted": rows}}
    section = model_card.lab_leaves_section(report, field)
    assert "| held-out scenes (3 backgrounds) | 10 | 70.0% | 0.800 | 5.0% | – |" in section
    assert "balanced accuracy: 87.5%" in section
    assert "(14 photos" in section and "it is\n80.0%" in section  # (6/10 + 4/4) / 2
    assert "Not measured" in model_card.lab_leaves_section(None, field)
    no_field_photos = {"labels": labels, "rows_true_columns_predicted": [[0] * 8] * 8}
    section = model_card.lab_leaves_section(report, {"confusion_matrix": no_field_photos})
    assert "balanced accuracy: 87.5%" in section and "real field" not in section
