"""Uploads on the Diagnose page: each decoded and diagnosed once, bad files kept as errors."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from PIL import Image

from potato_disease import config
from potato_disease.diagnosis import Diagnosis
from potato_disease.labels import DISEASE_LABELS
from potato_disease.ui import uploads
from tests.conftest import encode


@dataclass
class _Upload:
    file_id: str
    name: str
    data: bytes

    def getvalue(self) -> bytes:
        return self.data


class _CountingDiagnoser:
    model_version = "counting-test"

    def __init__(self) -> None:
        self.calls = 0

    def diagnose(self, image: Image.Image, with_heatmap: bool = False) -> Diagnosis:
        self.calls += 1
        probabilities = dict.fromkeys(DISEASE_LABELS, 0.0) | {"healthy": 1.0}
        return Diagnosis("healthy", 1.0, probabilities, True)


def test_each_upload_is_diagnosed_once_and_bad_files_become_errors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(uploads.st, "session_state", {})
    photo = encode(Image.new("RGB", (3000, 2000), (30, 140, 40)), "JPEG")
    files = [_Upload("a", "leaf.jpg", photo), _Upload("b", "notes.jpg", b"plain text")]
    diagnoser, progress = _CountingDiagnoser(), []

    first = uploads.diagnose_uploads(files, diagnoser, progress.append)
    again = uploads.diagnose_uploads(files, diagnoser)  # a rerun of the page

    assert diagnoser.calls == 1 and progress == [1, 2]
    assert first[0].diagnosis == again[0].diagnosis and first[0].diagnosis.label == "healthy"
    assert first[0].image.size == (1280, 853)  # a display copy, not the 6-megapixel decode
    assert first[1].diagnosis is None and "not a photo we can read" in first[1].error


def test_the_upload_limit_in_the_settings_applies_to_each_photo(monkeypatch) -> None:
    monkeypatch.setattr(uploads.st, "session_state", {})
    monkeypatch.setenv("MAX_UPLOAD_MB", "1")
    config.get_settings.cache_clear()
    try:
        noisy = Image.effect_noise((1500, 1500), 100).convert("RGB")  # over 1 MB as JPEG
        [upload] = uploads.diagnose_uploads(
            [_Upload("a", "big.jpg", encode(noisy, "JPEG"))], _CountingDiagnoser()
        )
    finally:
        config.get_settings.cache_clear()
    assert upload.diagnosis is None and "the limit is 1 MB" in upload.error


def test_photos_past_the_limit_wait_for_the_next_round() -> None:
    photos = [_Upload(str(n), f"{n}.jpg", b"") for n in range(uploads.MAX_PHOTOS_AT_ONCE + 4)]
    now, waiting = uploads.within_photo_limit(photos)
    assert [p.file_id for p in now] == [str(n) for n in range(uploads.MAX_PHOTOS_AT_ONCE)]
    assert waiting == 4
    assert uploads.within_photo_limit(photos[:3]) == (photos[:3], 0)
