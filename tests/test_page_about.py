"""The About page shows the version, the privacy note and the model card."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from potato_disease import __version__
from tests.conftest import ROOT


def test_about_page_shows_version_privacy_and_model_card() -> None:
    at = AppTest.from_file(str(ROOT / "pages" / "about.py"), default_timeout=30).run()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert f"version {__version__}" in text
    assert "thumbnail" in text and "Gemini" in text
    assert "Model card" in text and "Validation results" in text
