"""Shared fixtures: the committed model, the shared photos, small photo factories, and
empty histories on SQLite and on PostgreSQL."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
import streamlit as st
from PIL import ExifTags, Image
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from potato_disease.config import (
    DEFAULT_DATA_DIR,
    DEFAULT_MODEL_DIR,
    PROJECT_ROOT,
    Settings,
    get_settings,
    settings_from_env,
)
from potato_disease.database import init_db, make_engine, normalise_url
from potato_disease.diagnosis import Diagnoser
from tests.aws_test_services import REGION, SubscribedTopic, moto_server, subscribed_topic
from tests.fake_open_meteo import FakeOpenMeteo, forecast_answer, serve_fake_open_meteo


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slow tests first (order kept otherwise), so that with two workers the longest ones
    start at once and the quick ones fill in around them instead of trailing on one."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(autouse=True)
def no_real_services(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Tests never reach the real weather service (weather is off unless a test serves
    the fake one: :func:`fake_open_meteo`), a real alert topic, or the developer's own
    history (each test has an empty data folder of its own)."""
    monkeypatch.setenv("WEATHER_URL", "")
    monkeypatch.setenv("APP_DATA_DIR", str(tmp_path / "app-data"))
    monkeypatch.delenv("ALERT_TOPIC_ARN", raising=False)
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


def refuse_alerts(monkeypatch: pytest.MonkeyPatch, topic: SubscribedTopic, refused: bool) -> None:
    """Point the app at a topic SNS refuses (one that does not exist), or back at ``topic``."""
    monkeypatch.setenv("ALERT_TOPIC_ARN", topic.arn + "-deleted" if refused else topic.arn)
    get_settings.cache_clear()


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


POSTGRES_USERS = ("postgres", "root")
POSTGRES_ADDRESS = "127.0.0.1:5432/test"


# The history's databases: SQLite, and PostgreSQL (found once per run, a schema per test)


def find_postgres() -> tuple[str | None, str]:
    """A URL that connects to the test server, or None and the reason why not."""
    failures = []
    for user in POSTGRES_USERS:
        url = f"postgresql://{user}@{POSTGRES_ADDRESS}"
        engine = create_engine(
            normalise_url(url), poolclass=NullPool, connect_args={"connect_timeout": 3}
        )
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return url, ""
        except OperationalError as error:
            failures.append(f"as {user}: {str(error.orig).strip().splitlines()[0]}")
        finally:
            engine.dispose()
    return None, f"PostgreSQL at {POSTGRES_ADDRESS} is not reachable ({'; '.join(failures)})"


@pytest.fixture(scope="session")
def postgres_url() -> str:
    url, reason = find_postgres()
    if url is None:
        if os.environ.get("REQUIRE_POSTGRES", "") not in ("", "0"):
            pytest.fail(f"{reason}, and REQUIRE_POSTGRES is set", pytrace=False)
        pytest.skip(f"{reason}; set REQUIRE_POSTGRES=1 to fail instead of skipping")
    return url


@pytest.fixture
def postgres_schema_url(postgres_url: str) -> Iterator[str]:
    """The server's URL with a schema of its own as the search path, dropped afterwards."""
    schema = f"test_history_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalise_url(postgres_url), poolclass=NullPool)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    yield f"{postgres_url}?options=-csearch_path%3D{schema}"
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings for an empty database of each kind."""
    database = None
    if request.param == "postgresql":
        database = request.getfixturevalue("postgres_schema_url")
    return settings_from_env({}, app_data_dir=tmp_path / "app-data", database_url=database)


@pytest.fixture
def database_engine(database_settings: Settings) -> Iterator[Engine]:
    """An empty history of each kind, its tables made."""
    engine = make_engine(database_settings)
    init_db(engine)
    yield engine
    engine.dispose()
