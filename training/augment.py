"""Augmentations that make lab and field photos look like other farms and cameras.

Field photos differ from the training ones in framing, light, colour balance, focus
and compression. Each transform below imitates one of those; all draw from a
seeded NumPy generator so a training run can be repeated exactly.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageEnhance, ImageFilter, ImageOps


def random_resized_crop(image: Image.Image, size: int, rng: np.random.Generator) -> Image.Image:
    """Crop 40-100% of the area at aspect 3:4-4:3 (closer or farther framing)."""
    width, height = image.size
    for _ in range(10):
        area = width * height * rng.uniform(0.4, 1.0)
        aspect = np.exp(rng.uniform(np.log(3 / 4), np.log(4 / 3)))
        crop_w, crop_h = round(np.sqrt(area * aspect)), round(np.sqrt(area / aspect))
        if crop_w <= width and crop_h <= height:
            left = int(rng.integers(0, width - crop_w + 1))
            top = int(rng.integers(0, height - crop_h + 1))
            image = image.crop((left, top, left + crop_w, top + crop_h))
            break
    return image.resize((size, size), Image.Resampling.BILINEAR)


def random_geometry(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Flips and any rotation: a leaf has no upright orientation in a photo."""
    if rng.random() < 0.5:
        image = ImageOps.mirror(image)
    angle = float(rng.uniform(0, 360))
    return image.rotate(angle, resample=Image.Resampling.BILINEAR, fillcolor=_edge_colour(image))


def _edge_colour(image: Image.Image) -> tuple[int, ...]:
    array = np.asarray(image)
    border = np.concatenate([array[0], array[-1], array[:, 0], array[:, -1]])
    return tuple(int(v) for v in np.median(border, axis=0))


def random_light(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Exposure, contrast, saturation and white balance of other cameras and weather."""
    image = ImageEnhance.Brightness(image).enhance(rng.uniform(0.6, 1.4))
    image = ImageEnhance.Contrast(image).enhance(rng.uniform(0.7, 1.3))
    image = ImageEnhance.Color(image).enhance(rng.uniform(0.7, 1.3))
    gains = rng.uniform(0.9, 1.1, size=3)
    array = np.asarray(image, dtype=np.float32) * gains
    return Image.fromarray(np.clip(array, 0, 255).astype(np.uint8))


def random_optics(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Defocus, sensor noise and JPEG compression of phone cameras and messengers."""
    if rng.random() < 0.3:
        image = image.filter(ImageFilter.GaussianBlur(radius=float(rng.uniform(0.5, 1.5))))
    if rng.random() < 0.3:
        array = np.asarray(image, dtype=np.float32)
        array += rng.normal(0, rng.uniform(2, 8), size=array.shape)
        image = Image.fromarray(np.clip(array, 0, 255).astype(np.uint8))
    if rng.random() < 0.5:
        image = jpeg_round_trip(image, int(rng.integers(30, 90)))
    return image


def jpeg_round_trip(image: Image.Image, quality: int) -> Image.Image:
    """The photo saved as JPEG at ``quality`` and read back."""
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def shrink(image: Image.Image, side: int) -> Image.Image:
    """The photo as a ``side``-pixel sensor would take it, scaled back to its size."""
    small = image.resize((side, side), Image.Resampling.BILINEAR)
    return small.resize(image.size, Image.Resampling.BILINEAR)


def augment(image: Image.Image, size: int, rng: np.random.Generator) -> Image.Image:
    """One random field-like view of a photo, ``size`` pixels square."""
    image = random_geometry(image, rng)
    image = random_resized_crop(image, size, rng)
    image = random_light(image, rng)
    return random_optics(image, rng)


def degrade(image: Image.Image, size: int, rng: np.random.Generator) -> Image.Image:
    """A field-like view (:func:`augment`) spoilt further in one of three ways a poor
    camera or a messenger app spoils a photo: strong defocus (blur radius 1.5-3), a
    low-resolution sensor (48-112 px, scaled back up) or heavy compression (JPEG 10-30).

    Only the distance rule sees these (``training.export``): the network does not learn
    from them."""
    image = augment(image, size, rng)
    kind = rng.integers(3)
    if kind == 0:
        return image.filter(ImageFilter.GaussianBlur(radius=float(rng.uniform(1.5, 3.0))))
    if kind == 1:
        return shrink(image, int(rng.integers(48, 113)))
    return jpeg_round_trip(image, int(rng.integers(10, 31)))
