"""Debian artwork pictures: which files, how stamps are staged, the split, the counting."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from training import artwork, model_card


@dataclass
class _Answer:
    is_leaf: bool
    label: str


class _GreenIsLeaf:
    """Stands in for the diagnoser: accepts a picture when green dominates it."""

    def diagnose_many(self, images: list[Image.Image]) -> list[_Answer]:
        answers = []
        for image in images:
            red, green, blue = np.asarray(image, dtype=float).reshape(-1, 3).mean(axis=0)
            leaf = green > red + 20 and green > blue + 20
            answers.append(_Answer(leaf, "healthy" if leaf else "not_leaf"))
        return answers


def _save(path: Path, colour: tuple[int, ...], size: tuple[int, int], mode: str = "RGB") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, colour).save(path)


@pytest.fixture
def artwork_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A KDE wallpaper in two sizes, a loose background, and three stamps."""
    kde, loose, stamps = tmp_path / "wallpapers", tmp_path / "backgrounds", tmp_path / "stamps"
    (kde / "Dune" / "contents").mkdir(parents=True)
    _save(kde / "Dune" / "contents" / "images" / "640x480.png", (200, 150, 90), (640, 480))
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (900, 1200, 3), np.uint8)).save(
        kde / "Dune" / "contents" / "images" / "1200x900.png"
    )
    _save(loose / "sky.jpg", (90, 140, 230), (800, 600))
    (loose / "sky.xml").write_text("<background/>")
    _save(stamps / "animals" / "cat.png", (120, 90, 60, 255), (80, 60), "RGBA")
    _save(stamps / "plants" / "fern.png", (20, 200, 30, 255), (90, 90), "RGBA")
    _save(stamps / "food" / "potato.png", (180, 140, 80, 255), (50, 40), "RGBA")
    _save(stamps / "town" / "house.png", (200, 30, 30, 255), (60, 60), "RGBA")
    _save(stamps / "animals" / "mammals" / "dog.png", (150, 120, 90, 255), (70, 50), "RGBA")
    monkeypatch.setattr(artwork, "WALLPAPER_DIRS", (kde, loose))
    monkeypatch.setattr(artwork, "STAMP_DIR", stamps)
    return tmp_path


def test_one_file_per_wallpaper_the_largest(artwork_dirs: Path) -> None:
    names = sorted(path.name for path in artwork.wallpaper_files())
    assert names == ["1200x900.png", "sky.jpg"]


def test_stamps_are_staged_on_white_a_colour_or_a_wallpaper(artwork_dirs: Path) -> None:
    stamp = Image.new("RGBA", (40, 40), (255, 0, 0, 255))
    noisy = [p for p in artwork.wallpaper_files() if p.name == "1200x900.png"]
    wallpaper = artwork.load_wallpaper(noisy[0])
    scenes = [
        np.asarray(artwork.stamp_scene(stamp, turn, [wallpaper], np.random.default_rng(1)))
        for turn in range(3)
    ]
    for scene in scenes:
        assert scene.shape == (50, 50, 3)
        assert scene[25, 25].tolist() == [255, 0, 0]  # the stamp, centred
    assert scenes[0][0, 0].tolist() == [255, 255, 255]
    assert len(np.unique(scenes[1][:5, :5].reshape(-1, 3), axis=0)) == 1  # a plain colour
    assert len(np.unique(scenes[2][:5, :5].reshape(-1, 3), axis=0)) > 1  # a wallpaper's texture


def test_training_and_held_out_parts_never_share_a_picture(artwork_dirs: Path) -> None:
    training = [(c, n) for c, n, _ in artwork.artwork_views("training")]
    held_out = [(c, n) for c, n, _ in artwork.artwork_views("held_out")]
    assert {c for c, _ in training} == {"wallpaper", "stamp: town", "stamp: animals/mammals"}
    assert {c for c, _ in held_out} == {"wallpaper", "stamp: animals", "stamp: plants",
                                        "stamp: food"}  # fmt: skip
    assert len(training) == 5 + 2 and len(held_out) == 5 + 3
    assert not set(training) & set(held_out)
    assert len(artwork.training_pictures()) == len(training)


def test_refusals_are_counted_per_category_on_the_held_out_part(artwork_dirs: Path) -> None:
    report = artwork.refusal_report(_GreenIsLeaf())
    assert report["views"] == 5 + 3
    assert report["refused_by_category"]["wallpaper"] == {"refused": 5, "views": 5}
    assert report["refused_by_category"]["stamp: plants"] == {"refused": 0, "views": 1}
    assert report["accepted_as_leaf"] == ["stamp: plants/fern -> healthy"]
    assert report["refused"] == round(7 / 8, 4)


def test_missing_packages_are_reported_not_failed(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(artwork, "STAMP_DIR", tmp_path / "absent")
    report = artwork.refusal_report(_GreenIsLeaf())
    assert report == {"missing": "apt-get install " + " ".join(artwork.DEBIAN_PACKAGES)}
    assert artwork.training_pictures() == []


def test_model_card_shows_the_artwork_figures_or_why_they_are_missing(artwork_dirs: Path) -> None:
    report = artwork.refusal_report(_GreenIsLeaf())
    section = model_card.artwork_section(report)
    assert "8 pictures" in section and "87.5% refused" in section
    assert "| stamp: plants | 1 | 0.0% |" in section
    assert "(1 of 1 listed): stamp: plants/fern -> healthy" in section
    missing = model_card.artwork_section({"missing": "apt-get install x"})
    assert "not measured" in missing and "apt-get install x" in missing
