"""Shared fixtures: the committed model, the shared photos, small photo factories."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
import streamlit as st
from PIL import ExifTags, Image

from potato_disease.config import (
    DEFAULT_DATA_DIR,
    DEFAULT_MODEL_DIR,
    PROJECT_ROOT,
    get_settings,
    settings_from_env,
)
from potato_disease.diagnosis import Diagnoser
from tests.aws_test_services import REGION, SubscribedTopic, moto_server, subscribed_topic
from tests.fake_open_meteo import FakeOpenMeteo, forecast_answer, serve_fake_open_meteo


@pytest.fixture(autouse=True)
def no_real_weather_service(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Tests never reach the real weather service: weather is off unless a test serves
    the fake one (:func:`fake_open_meteo`)."""
    monkeypatch.setenv("WEATHER_URL", "")
    monkeypatch.delenv("ALERT_TOPIC_ARN", raising=False)  # nor any real alert topic
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A local moto server standing in for AWS."""
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Test credentials only; no profile, config file or instance metadata is consulted."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def alert_topic(
    moto_endpoint: str, aws_credentials: None, monkeypatch: pytest.MonkeyPatch, request
) -> Iterator[SubscribedTopic]:
    """A team alert topic on the moto server, which the app's settings point at."""
    with subscribed_topic(moto_endpoint, f"team-alerts-{abs(hash(request.node.nodeid))}") as topic:
        monkeypatch.setenv("ALERT_TOPIC_ARN", topic.arn)
        monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
        monkeypatch.setenv("AWS_REGION", REGION)
        get_settings.cache_clear()
        yield topic


@pytest.fixture
def fake_open_meteo(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenMeteo]:
    """A fake Open-Meteo forecast API with blight weather every day, which the app's
    settings point at."""
    today = (datetime.now(UTC) + timedelta(hours=7)).date()  # the fake's place is UTC+7
    with serve_fake_open_meteo(FakeOpenMeteo(forecast_answer(today))) as fake:
        monkeypatch.setenv("WEATHER_URL", fake.url)
        get_settings.cache_clear()
        st.cache_data.clear()  # the app keeps weather for some minutes
        yield fake
        st.cache_data.clear()


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The shared photo folder; tests that need real photos skip, saying why, without it."""
    path = settings_from_env().data_dir
    if not path.is_dir():
        pytest.skip(f"shared photos not found at {path} (set POTATO_DATA_DIR)")
    return path


@pytest.fixture(scope="session")
def model_dir() -> Path:
    return DEFAULT_MODEL_DIR


@pytest.fixture(scope="session")
def diagnoser(model_dir: Path) -> Diagnoser:
    return Diagnoser(model_dir)


def sample_photos(data_dir: Path, source: str, label_folder: str, count: int) -> list[Path]:
    """``count`` photos spread evenly through a class folder (deterministic)."""
    photos = sorted((data_dir / source / label_folder).glob("*"))
    step = max(len(photos) // count, 1)
    return photos[::step][:count]


def encode(image: Image.Image, format: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format, **options)
    return buffer.getvalue()


def phone_exif(
    latitude: tuple[float, float, float] | None = None,
    longitude: tuple[float, float, float] | None = None,
    references: tuple[str, str] = ("S", "E"),
    taken: str | None = None,
    offset: str | None = None,
) -> Image.Exif:
    """EXIF as a phone writes it: GPS degrees, minutes and seconds, and the local time the
    photo was taken (``"2026:11:20 09:14:05"``) with its UTC offset (``"+07:00"``)."""
    exif = Image.Exif()
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    if latitude is not None:
        gps[ExifTags.GPS.GPSLatitudeRef] = references[0]
        gps[ExifTags.GPS.GPSLatitude] = latitude
    if longitude is not None:
        gps[ExifTags.GPS.GPSLongitudeRef] = references[1]
        gps[ExifTags.GPS.GPSLongitude] = longitude
    camera = exif.get_ifd(ExifTags.IFD.Exif)
    if taken is not None:
        camera[ExifTags.Base.DateTimeOriginal] = taken
    if offset is not None:
        camera[ExifTags.Base.OffsetTimeOriginal] = offset
    return exif


def leafish(size: tuple[int, int] = (64, 48)) -> Image.Image:
    """A small green picture with some structure (not a real leaf)."""
    rng = np.random.default_rng(0)
    array = np.zeros((size[1], size[0], 3), dtype=np.uint8)
    array[..., 1] = 150 + rng.integers(0, 60, size=(size[1], size[0]))
    return Image.fromarray(array)


def run_cli(*args: str, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess:
    """``python -m potato_disease ARGS`` in a new process, output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "potato_disease", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )


ROOT = PROJECT_ROOT

__all__ = ["DEFAULT_DATA_DIR", "ROOT", "encode", "leafish", "run_cli", "sample_photos"]
