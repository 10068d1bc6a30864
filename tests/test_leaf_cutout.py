"""Lab leaves are cut off their board and set on field backgrounds (training only)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from training.leaf_cutout import Cutouts, leaf_mask, on_background


def lab_photo(size: int = 160) -> tuple[Image.Image, np.ndarray]:
    """A green leaf-shaped ellipse with brown spots on a grey board, and its true mask."""
    image = Image.new("RGB", (size, size), (150, 148, 145))
    draw = ImageDraw.Draw(image)
    box = (30, 20, 130, 140)
    draw.ellipse(box, fill=(60, 120, 40))
    for x, y in ((60, 60), (90, 100), (75, 80)):
        draw.ellipse((x - 6, y - 6, x + 6, y + 6), fill=(90, 60, 30))
    mask_image = Image.new("L", (size, size), 0)
    ImageDraw.Draw(mask_image).ellipse(box, fill=255)
    truth = np.asarray(mask_image) > 0
    return image, truth


def test_mask_finds_the_leaf_on_its_board_spots_included() -> None:
    image, truth = lab_photo()
    mask = leaf_mask(image)
    assert mask is not None
    intersection = (mask & truth).sum()
    union = (mask | truth).sum()
    assert intersection / union > 0.9


def test_mask_gives_up_on_a_photo_without_a_board() -> None:
    assert leaf_mask(Image.new("RGB", (120, 120), (90, 140, 60))) is None
    noise = np.random.default_rng(0).integers(0, 256, (120, 120, 3), dtype=np.uint8)
    assert leaf_mask(Image.fromarray(noise)) is None


def test_leaf_is_set_on_the_background_and_the_board_is_gone() -> None:
    image, _ = lab_photo()
    mask = leaf_mask(image)
    background = Image.new("RGB", (300, 300), (200, 40, 40))
    scene = np.asarray(on_background(image, mask, background, np.random.default_rng(1)))
    assert scene.shape == (160, 160, 3)
    pixels = scene.reshape(-1, 3).astype(int)
    board = np.all(np.abs(pixels - (150, 148, 145)) < 12, axis=1).mean()
    red = np.all(np.abs(pixels - (200, 40, 40)) < 12, axis=1).mean()
    green = np.all(np.abs(pixels - (60, 120, 40)) < 12, axis=1).mean()
    assert board < 0.01
    assert red > 0.2 and green > 0.1  # the leaf is scaled 0.7-1.1


def test_cut_out_views_are_reproducible_and_only_for_lab_photos() -> None:
    image, _ = lab_photo()
    mask = leaf_mask(image)
    cutouts = Cutouts({0: mask}, [Image.new("RGB", (200, 200), (200, 40, 40))], share=1.0)
    first = cutouts.maybe_on_background(0, image, np.random.default_rng([3, 1, 0]))
    again = cutouts.maybe_on_background(0, image, np.random.default_rng([3, 1, 0]))
    assert np.array_equal(np.asarray(first), np.asarray(again))
    assert not np.array_equal(np.asarray(first), np.asarray(image))
    field_photo = Image.new("RGB", (160, 160), (10, 200, 10))
    assert cutouts.maybe_on_background(5, field_photo, np.random.default_rng(0)) is field_photo
    never = Cutouts({0: mask}, cutouts.backgrounds, share=0.0)
    assert never.maybe_on_background(0, image, np.random.default_rng(0)) is image


def test_real_plantvillage_leaves_are_cut_out(data_dir: Path) -> None:
    photos = sorted((data_dir / "plantvillage").rglob("*.[jJpP][pPnN][gG]"))[::100]
    masks = [leaf_mask(Image.open(path).convert("RGB")) for path in photos]
    found = [mask for mask in masks if mask is not None]
    assert len(photos) >= 10
    assert len(found) >= 0.95 * len(photos)
    assert all(0.1 < mask.mean() < 0.9 for mask in found)
