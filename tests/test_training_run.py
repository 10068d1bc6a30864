"""A tiny end-to-end training run completes and yields a model the app can load."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from potato_disease.diagnosis import Diagnoser
from potato_disease.imaging import load_image
from tests.conftest import sample_photos

pytestmark = pytest.mark.slow


def test_tiny_training_run_writes_a_loadable_model(tmp_path: Path, data_dir: Path) -> None:
    output = tmp_path / "model"
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
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    metadata = json.loads((output / "metadata.json").read_text())
    assert metadata["data"]["train_photos"] + metadata["data"]["validation_photos"] == 69
    assert {"field-java", "plantvillage", "not-leaf", "all"} <= set(metadata["validation"])
    assert metadata["training"]["pretrained"] is False
    diagnoser = Diagnoser(output)
    photo = sample_photos(data_dir, "plantvillage", "healthy", 1)[0]
    assert diagnoser.diagnose(load_image(photo)).label in metadata["classes"]
