"""Settings read once from the environment into one frozen object.

Defaults, then environment, then explicit overrides (for tests): nothing else in
the package reads ``os.environ``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from potato_disease.local_time import UTC_NAME, time_zone

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL_DIR = PROJECT_ROOT / "model"
DEFAULT_DATA_DIR = PROJECT_ROOT.parent / "shared" / "data" / "potato-leaves"
DEFAULT_WEATHER_URL = "https://api.open-meteo.com/v1/forecast"  # free for non-commercial use


@dataclass(frozen=True)
class Settings:
    """Everything the package can be configured with."""

    model_dir: Path = DEFAULT_MODEL_DIR
    data_dir: Path = DEFAULT_DATA_DIR
    app_data_dir: Path = PROJECT_ROOT / "app-data"
    database_url: str | None = field(default=None, repr=False)  # may hold a password
    max_upload_bytes: int = 20 * 1024 * 1024
    max_image_pixels: int = 40_000_000
    inference_threads: int = 2
    # The zone times are shown in and days begin in (potato_disease/local_time.py).
    time_zone: str = UTC_NAME
    # Assistant (Gemini through google-genai); the key never appears in repr or logs.
    gemini_api_key: str | None = field(default=None, repr=False)
    gemini_model: str = "gemini-2.5-flash"
    gemini_base_url: str | None = None  # tests point this at a local fake server
    gemini_secret_id: str | None = None  # Secrets Manager id holding the key
    gemini_calls_per_session: int = 30
    gemini_timeout_seconds: float = 30.0
    # Access: when set, the app asks for it first (always set on a deployment).
    app_password: str | None = field(default=None, repr=False)
    # Proxies in front that append to X-Forwarded-For (2 on Elastic Beanstalk: the load
    # balancer and nginx): how the client's address is found for the password lockout.
    trusted_proxy_hops: int = 0
    # AWS
    aws_region: str | None = None
    model_s3_uri: str | None = None
    # SHA-256 of the release's SHA256SUMS, set beside MODEL_S3_URI: then write access to
    # the bucket alone cannot swap the model served (None: the listing is trusted).
    model_checksums_sha256: str | None = None
    model_cache_dir: Path = Path("/tmp/potato-model-cache")
    aws_endpoint_url: str | None = None  # tests point this at a local moto server
    metrics_namespace: str | None = None  # CloudWatch namespace of the EMF metrics; None: off
    alert_topic_arn: str | None = None  # SNS topic told of new late blight; None: no alerts
    app_url: str | None = None  # the app's public address, for links in team alerts
    # Blight weather (Open-Meteo's forecast API); None: off. The key is for its paid plans.
    weather_url: str | None = DEFAULT_WEATHER_URL
    weather_api_key: str | None = field(default=None, repr=False)
    weather_timeout_seconds: float = 5.0

    @property
    def zone(self) -> ZoneInfo:
        """The time zone called :attr:`time_zone` (ValueError if unknown)."""
        return time_zone(self.time_zone)


def _env_path(environ: Mapping[str, str], name: str, default: Path) -> Path:
    value = environ.get(name)
    return Path(value).expanduser() if value else default


def settings_from_env(environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Build settings from an environment mapping (default ``os.environ``) and overrides."""
    env = os.environ if environ is None else environ
    settings = Settings(
        model_dir=_env_path(env, "MODEL_DIR", DEFAULT_MODEL_DIR),
        data_dir=_env_path(env, "POTATO_DATA_DIR", DEFAULT_DATA_DIR),
        app_data_dir=_env_path(env, "APP_DATA_DIR", PROJECT_ROOT / "app-data"),
        database_url=env.get("DATABASE_URL") or None,
        max_upload_bytes=int(env.get("MAX_UPLOAD_MB", "20")) * 1024 * 1024,
        inference_threads=int(env.get("INFERENCE_THREADS", "2")),
        time_zone=env.get("TIME_ZONE") or UTC_NAME,
        gemini_api_key=env.get("GEMINI_API_KEY") or None,
        gemini_model=env.get("GEMINI_MODEL") or "gemini-2.5-flash",
        gemini_base_url=env.get("GEMINI_BASE_URL") or None,
        gemini_secret_id=env.get("GEMINI_SECRET_ID") or None,
        gemini_calls_per_session=int(env.get("GEMINI_CALLS_PER_SESSION", "30")),
        gemini_timeout_seconds=float(env.get("GEMINI_TIMEOUT_SECONDS", "30")),
        app_password=env.get("APP_PASSWORD") or None,
        trusted_proxy_hops=int(env.get("TRUSTED_PROXY_HOPS", "0")),
        aws_region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or None,
        model_s3_uri=env.get("MODEL_S3_URI") or None,
        model_checksums_sha256=env.get("MODEL_SHA256SUMS_SHA256") or None,
        model_cache_dir=_env_path(env, "MODEL_CACHE_DIR", Path("/tmp/potato-model-cache")),
        aws_endpoint_url=env.get("AWS_ENDPOINT_URL") or None,
        metrics_namespace=env.get("METRICS_NAMESPACE") or None,
        alert_topic_arn=env.get("ALERT_TOPIC_ARN") or None,
        app_url=env.get("APP_URL") or None,
        weather_url=env.get("WEATHER_URL", DEFAULT_WEATHER_URL) or None,  # set empty: off
        weather_api_key=env.get("WEATHER_API_KEY") or None,
    )
    settings = replace(settings, **overrides)
    time_zone(settings.time_zone)  # an unknown TIME_ZONE stops the start, with its message
    return settings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment once."""
    return settings_from_env()
