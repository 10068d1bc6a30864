"""Photo quality warnings: blur and glare are flagged, ordinary field photos are not."""

from __future__ import annotations

from pathlib import Path

from PIL import ImageEnhance, ImageFilter

from potato_disease import photo_quality
from potato_disease.imaging import load_image
from tests.conftest import sample_photos


def test_a_sharp_leaf_photo_gets_no_warning(data_dir: Path) -> None:
    photo = load_image(sample_photos(data_dir, "field-java", "late_blight", 1)[0])
    assert photo_quality.quality_warnings(photo) == []


def test_blur_and_low_resolution_are_flagged(data_dir: Path) -> None:
    photo = load_image(sample_photos(data_dir, "field-java", "pest", 1)[0])
    blurred = photo.filter(ImageFilter.GaussianBlur(2))
    tiny = photo.resize((48, 48))
    assert photo_quality.sharpness(blurred) < photo_quality.sharpness(photo)
    assert photo_quality.quality_warnings(blurred) == [photo_quality.BLURRED]
    assert photo_quality.quality_warnings(tiny) == [photo_quality.BLURRED]


def test_glare_is_flagged(data_dir: Path) -> None:
    photo = load_image(sample_photos(data_dir, "field-java", "healthy", 1)[0])
    glaring = ImageEnhance.Brightness(photo).enhance(2.2)
    assert photo_quality.GLARE in photo_quality.quality_warnings(glaring)


def test_few_real_field_photos_are_flagged(data_dir: Path) -> None:
    photos = sorted((data_dir / "field-java").glob("*/*.jpg"))
    flagged = [p for p in photos if photo_quality.quality_warnings(load_image(p))]
    assert len(photos) > 1000
    assert len(flagged) / len(photos) < 0.01, [p.name for p in flagged[:10]]
