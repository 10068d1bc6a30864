"""A tiny end-to-end training run completes and yields a model the app can load."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from potato_disease.diagnosis import Diagnoser
from potato_disease.imaging import load_image
from potato_disease.model_files import HEAD_ARRAYS, KERAS_MODEL, SERVING_MODEL
from tests.conftest import ROOT, sample_photos
from training import artwork, model_card, robustness

pytestmark = pytest.mark.slow


def test_tiny_training_run_writes_a_loadable_model(tmp_path: Path, data_dir: Path) -> None:
    output = tmp_path / "model"
    reviewed = tmp_path / "reviewed"  # as ``potato_disease export-reviewed`` writes them
    for label in ("late_blight", "healthy"):
        (reviewed / label).mkdir(parents=True)
        for path in sample_photos(data_dir, "field-java", label, 3):
            (reviewed / label / path.name).symlink_to(path.resolve())
    command = [
        sys.executable,
        "-m",
        "training.train",
        "--data",
        str(data_dir),
        "--output",
        str(output),
        "--cache",
        str(tmp_path / "cache"),
        "--limit",
        "5",
        "--views",
        "1",
        "--epochs",
        "1",
        "--synthetic",
        "14",
        "--no-pretrained",
        "--extra-data",
        str(reviewed),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    metadata = json.loads((output / "metadata.json").read_text())
    assert metadata["data"]["train_photos"] + metadata["data"]["validation_photos"] == 69 + 6
    assert metadata["data"]["counts"]["reviewed"] == {"healthy": 3, "late_blight": 3}
    assert {"field-java", "plantvillage", "not-leaf", "all"} <= set(metadata["validation"])
    assert metadata["training"]["pretrained"] is False
    assert set(metadata["robustness"]) == set(robustness.SHIFTS)
    if artwork.installed():  # Debian artwork packages: refit not_leaf, measure the rest
        assert metadata["data"]["artwork_not_leaf"] > 0 and metadata["heldout_artwork"]["views"]
    else:
        assert metadata["data"]["artwork_not_leaf"] == 0 and metadata["heldout_artwork"]["missing"]
    combination = metadata["combination"]  # None when no field photo was accepted
    assert combination is None or "1" in combination["photos_per_plot"]
    assert "## Several photos of one plot" in model_card.render(metadata)
    diagnoser = Diagnoser(output)
    photo = sample_photos(data_dir, "plantvillage", "healthy", 1)[0]
    assert diagnoser.diagnose(load_image(photo)).label in metadata["classes"]


def test_two_stage_run_packs_fine_tunes_and_exports(tmp_path: Path, data_dir: Path) -> None:
    """photo_pack -> finetune (every layer, on pixels) -> train --finetuned (export)."""
    pack, tuned, output = tmp_path / "photos.npz", tmp_path / "tuned", tmp_path / "model"
    subset = ["--limit", "3", "--synthetic", "7"]
    run_module("training.photo_pack", "--data", str(data_dir), "--output", str(pack),
               "--no-pretrained", *subset)  # fmt: skip
    stage1 = str(ROOT / "model" / KERAS_MODEL)
    run_module("training.finetune", "--pack", str(pack), "--init", stage1, "--output",
               str(tuned), "--size", "64", "--epochs", "1", "--batch-size", "16",
               "--workers", "1", "--teachers", stage1, "--teacher-weight", "0.5")  # fmt: skip
    record = json.loads((tmp_path / "tuned.json").read_text())
    assert record["teachers"] == [stage1] and record["teacher_weight"] == 0.5
    assert record["input_size"] == 64 and len(record["validation_accuracy_clean_8_class"]) == 2
    committed = json.loads((ROOT / "model" / "metadata.json").read_text())
    assert record["continues"] == committed["training"]["full_fine_tuning"]  # it went on from it
    assert record["plantvillage_cutout_share"] > 0  # lab leaves set on field backgrounds
    run_module("training.train", "--data", str(data_dir), "--output", str(output), "--pack",
               str(pack), "--finetuned", str(tmp_path / "tuned.weights.h5"), "--stage1",
               str(ROOT / "model"), "--serve-size", "80", "--no-artwork", *subset)  # fmt: skip
    metadata = json.loads((output / "metadata.json").read_text())
    assert metadata["input_size"] == 80  # exported above the fine-tuning size
    assert metadata["training"]["full_fine_tuning"]["epochs"] == 1
    assert metadata["data"]["artwork_not_leaf"] == 0  # --no-artwork
    assert metadata["data"]["train_photos"] + metadata["data"]["validation_photos"] == 33 + 7
    assert "augmented views" in metadata["calibration"]["fitted_on"]
    assert all("ece" in shift["field-java"] for shift in metadata["robustness"].values())
    photo = sample_photos(data_dir, "field-java", "virus", 1)[0]
    assert Diagnoser(output).diagnose(load_image(photo)).label in metadata["classes"]

    # Recalibrating refits the distance rule, temperature and threshold; from the same
    # network and photos it reproduces the export's fit. The network stays as it is.
    network = (output / SERVING_MODEL).read_bytes()
    with np.load(output / HEAD_ARRAYS) as head:
        rule = dict(head)
    assert "2 strongly degraded views" in metadata["rejection"]["ood_fitted_on"]
    spoiled = {
        "calibration": metadata["calibration"] | {"temperature": 5.0},
        "rejection": metadata["rejection"] | {"ood_threshold": 1.0},
        "robustness": {},
        "heldout_not_leaf": {},
    }
    (output / "metadata.json").write_text(json.dumps(metadata | spoiled))
    run_module("training.recalibrate", "--model", str(output), "--data", str(data_dir),
               "--pack", str(pack), "--limit", "3")  # fmt: skip
    again = json.loads((output / "metadata.json").read_text())
    assert again["calibration"] == metadata["calibration"]  # the same fit as the export's
    assert again["rejection"] == metadata["rejection"]
    assert again["heldout_not_leaf"] == metadata["heldout_not_leaf"]
    assert again["validation"] == metadata["validation"]
    assert set(again["robustness"]) == set(metadata["robustness"])
    assert (output / SERVING_MODEL).read_bytes() == network
    with np.load(output / HEAD_ARRAYS) as head:
        assert set(head) == set(rule)
        assert all(np.array_equal(head[name], rule[name]) for name in rule)
    assert f"{again['calibration']['temperature']:.3f}" in (output / "README.md").read_text()
    assert again["combination"] == metadata["combination"]  # measured again, same figures

    # The combined-photos check alone measures them again, and keeps the rest.
    (output / "metadata.json").write_text(json.dumps(again | {"combination": "spoiled"}))
    run_module("training.combination_check", "--model", str(output), "--data", str(data_dir),
               "--pack", str(pack), "--limit", "3")  # fmt: skip
    checked = json.loads((output / "metadata.json").read_text())
    assert checked == again and checked["combination"] is not None

    # The validation audit adds its figures and section, and keeps the rest.
    run_module("training.validation_audit", "--model", str(output), "--data", str(data_dir),
               "--pack", str(pack), "--limit", "3")  # fmt: skip
    audited = json.loads((output / "metadata.json").read_text())
    audit = audited.pop("validation_audit")
    assert audited == checked
    field = audit["field_validation_photos"]
    assert field == checked["validation"]["field-java"]["photos"]
    assert 0 <= audit["with_a_same_scene_training_photo"] <= field
    kept = audit["field_without_same_scene_photos"]
    assert kept["photos"] == field - audit["with_a_same_scene_training_photo"]
    answers = audit["field_by_answer"].values()
    assert sum(a["answers"] for a in answers) <= field
    assert "## How far to trust the field figures" in (output / "README.md").read_text()


def run_module(module: str, *arguments: str) -> None:
    """Run ``python -m module arguments`` and fail with its error output if it fails."""
    command = [sys.executable, "-m", module, *arguments]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
