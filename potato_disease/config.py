"""Settings read once from the environment into one frozen object.

Defaults, then environment, then explicit overrides (for tests): nothing else in
the package reads ``os.environ``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL_DIR = PROJECT_ROOT / "model"
DEFAULT_DATA_DIR = PROJECT_ROOT.parent / "shared" / "data" / "potato-leaves"


@dataclass(frozen=True)
class Settings:
    """Everything the package can be configured with."""

    model_dir: Path = DEFAULT_MODEL_DIR
    data_dir: Path = DEFAULT_DATA_DIR
    app_data_dir: Path = PROJECT_ROOT / "app-data"
    database_url: str | None = None
    max_upload_bytes: int = 20 * 1024 * 1024
    max_image_pixels: int = 40_000_000
    inference_threads: int = 2


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
    )
    return replace(settings, **overrides)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment once."""
    return settings_from_env()
