"""Procedural non-leaf pictures for the ``not_leaf`` class.

The tuber folder teaches one kind of refusal. These add the cheap failure modes of a
phone app that the data has no photos of: blank or dark frames, sensor noise, soil-
like textures, screenshots of text, drawings and patterns. Real non-leaf photos
(people, tools, fruit) are left out of training on purpose so that the held-out
check in ``training.evaluate`` measures refusal on kinds the model never saw.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

KINDS = ("solid", "gradient", "noise", "texture", "text", "shapes", "pattern")


def _colour(rng: np.random.Generator) -> tuple[int, int, int]:
    return tuple(int(v) for v in rng.integers(0, 256, size=3))


def solid(size: int, rng: np.random.Generator) -> Image.Image:
    """A blank frame: lens cap, wall, sky."""
    return Image.new("RGB", (size, size), _colour(rng))


def gradient(size: int, rng: np.random.Generator) -> Image.Image:
    """A smooth blend between two colours."""
    start, end = np.array(_colour(rng)), np.array(_colour(rng))
    ramp = np.linspace(0, 1, size)[:, None, None]
    array = start * (1 - ramp) + end * ramp
    image = Image.fromarray(np.broadcast_to(array, (size, size, 3)).astype(np.uint8))
    return image.rotate(float(rng.uniform(0, 360)))


def noise(size: int, rng: np.random.Generator) -> Image.Image:
    """Sensor noise of a dark or covered camera."""
    base = rng.uniform(0, 255)
    array = rng.normal(base, rng.uniform(5, 80), size=(size, size, 3))
    return Image.fromarray(np.clip(array, 0, 255).astype(np.uint8))


def texture(size: int, rng: np.random.Generator) -> Image.Image:
    """Blurred coloured noise, like soil, gravel, fabric or wood."""
    small = rng.integers(0, 256, size=(size // 8, size // 8, 3)).astype(np.uint8)
    image = Image.fromarray(small).resize((size, size), Image.Resampling.BICUBIC)
    tint = np.array(_colour(rng), dtype=np.float32)
    array = 0.5 * np.asarray(image, dtype=np.float32) + 0.5 * tint
    image = Image.fromarray(np.clip(array, 0, 255).astype(np.uint8))
    return image.filter(ImageFilter.GaussianBlur(float(rng.uniform(0, 2))))


def text(size: int, rng: np.random.Generator) -> Image.Image:
    """A screenshot-like page: light background, lines of text, boxes."""
    background = tuple(int(v) for v in rng.integers(200, 256, size=3))
    image = Image.new("RGB", (size, size), background)
    draw = ImageDraw.Draw(image)
    letters = "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789"
    y = int(rng.integers(2, 20))
    while y < size - 10:
        line = "".join(rng.choice(list(letters), size=int(rng.integers(10, 40))))
        draw.text(
            (int(rng.integers(2, 20)), y), line, fill=tuple(int(v) for v in rng.integers(0, 90, 3))
        )
        y += int(rng.integers(10, 24))
    if rng.random() < 0.5:
        top = int(rng.integers(0, size // 2))
        draw.rectangle((0, top, size, top + int(rng.integers(10, 40))), fill=_colour(rng))
    return image


def shapes(size: int, rng: np.random.Generator) -> Image.Image:
    """Coloured ellipses and rectangles on a plain background (drawings, logos)."""
    image = Image.new("RGB", (size, size), _colour(rng))
    draw = ImageDraw.Draw(image)
    for _ in range(int(rng.integers(1, 8))):
        x0, y0 = rng.integers(0, size, 2)
        x1, y1 = x0 + rng.integers(10, size), y0 + rng.integers(10, size)
        box = (int(x0), int(y0), int(x1), int(y1))
        if rng.random() < 0.5:
            draw.ellipse(box, fill=_colour(rng))
        else:
            draw.rectangle(box, fill=_colour(rng))
    return image


def pattern(size: int, rng: np.random.Generator) -> Image.Image:
    """Stripes and checkerboards (fabric, tiles, screens)."""
    period = int(rng.integers(4, 40))
    y, x = np.mgrid[0:size, 0:size]
    if rng.random() < 0.5:
        mask = ((x // period + y // period) % 2).astype(bool)
    else:
        mask = ((x + y) // period % 2).astype(bool)
    array = np.where(mask[..., None], _colour(rng), _colour(rng)).astype(np.uint8)
    return Image.fromarray(array)


GENERATORS = {
    "solid": solid,
    "gradient": gradient,
    "noise": noise,
    "texture": texture,
    "text": text,
    "shapes": shapes,
    "pattern": pattern,
}


def synthetic_images(count: int, size: int, seed: int) -> list[Image.Image]:
    """``count`` non-leaf pictures, cycling through every kind, reproducibly."""
    rng = np.random.default_rng(seed)
    return [GENERATORS[KINDS[i % len(KINDS)]](size, rng) for i in range(count)]
