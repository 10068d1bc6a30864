"""The About page shows the version, the privacy note and the model card."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from potato_disease import __version__
from potato_disease.config import get_settings
from tests.conftest import ROOT


def test_about_page_shows_version_privacy_and_model_card() -> None:
    at = AppTest.from_file(str(ROOT / "pages" / "about.py"), default_timeout=30).run()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert f"version {__version__}" in text
    assert "thumbnail" in text and "Gemini" in text
    assert "Model card" in text and "Validation results" in text


@pytest.mark.parametrize(
    ("database_url", "said"),
    [
        ("", "a SQLite file on this server: kept across restarts, but not shared"),
        ("postgresql://app:s3cret@db.internal/potato", "a PostgreSQL database shared by every"),
    ],
)
def test_about_page_says_where_the_history_is_kept(
    monkeypatch: pytest.MonkeyPatch, database_url: str, said: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        at = AppTest.from_file(str(ROOT / "pages" / "about.py"), default_timeout=30).run()
    finally:
        get_settings.cache_clear()
    assert not at.exception
    (where,) = [c.value for c in at.caption if c.value.startswith("The history is stored in")]
    assert said in where
    assert "s3cret" not in where and "db.internal" not in where
