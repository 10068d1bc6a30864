"""Held-out non-leaf photos that training never sees, to measure refusal honestly.

The photos ship with scikit-image and scikit-learn (people, a cat, a rocket, a
coffee cup, coins, a clock, text pages, microscope slides, gravel, brick, grass, a
Chinese temple, a flower, a motorcycle, faces...). Each gives its whole frame and
four half-size crops, as a phone photo might frame only part of a scene.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image

from potato_disease.imaging import to_rgb

if TYPE_CHECKING:
    from potato_disease.diagnosis import Diagnoser

SKIMAGE_PHOTOS = (
    "astronaut",
    "camera",
    "coffee",
    "chelsea",
    "rocket",
    "horse",
    "page",
    "text",
    "moon",
    "clock",
    "coins",
    "brick",
    "grass",
    "gravel",
    "hubble_deep_field",
    "immunohistochemistry",
    "retina",
    "cell",
    "colorwheel",
    "logo",
    "microaneurysms",
    "checkerboard",
    "shepp_logan_phantom",
)
FACES = 10


def heldout_photos() -> dict[str, Image.Image]:
    """Named non-leaf photos from scikit-image and scikit-learn."""
    from skimage import data
    from sklearn.datasets import load_sample_images

    photos = {name: to_image(getattr(data, name)()) for name in SKIMAGE_PHOTOS}
    photos["motorcycle"] = to_image(data.stereo_motorcycle()[0])
    for name, array in zip(("china", "flower"), load_sample_images().images):
        photos[name] = to_image(array)
    for index, face in enumerate(data.lfw_subset()[:FACES]):
        photos[f"face_{index}"] = to_image(face).resize((200, 200), Image.Resampling.BICUBIC)
    return photos


def to_image(array: np.ndarray) -> Image.Image:
    """An RGB picture of a scikit array: grey or colour, any dtype (stretched to 0-255)."""
    if array.dtype != np.uint8:
        array = array.astype(np.float64)
        array = (255 * (array - array.min()) / max(float(np.ptp(array)), 1e-9)).astype(np.uint8)
    return to_rgb(Image.fromarray(array))


def views(image: Image.Image) -> list[Image.Image]:
    """The whole photo and its four half-size corner crops."""
    width, height = image.size
    half_w, half_h = width // 2, height // 2
    corners = [(0, 0), (half_w, 0), (0, half_h), (half_w, half_h)]
    return [image] + [image.crop((x, y, x + half_w, y + half_h)) for x, y in corners]


def refusal_report(diagnoser: Diagnoser) -> dict[str, Any]:
    """Share of held-out non-leaf views refused, and which were accepted as leaves."""
    accepted: list[str] = []
    total = 0
    for name, photo in heldout_photos().items():
        for index, view in enumerate(views(photo)):
            total += 1
            diagnosis = diagnoser.diagnose(view)
            if diagnosis.is_leaf:
                accepted.append(f"{name}[{index}] -> {diagnosis.label}")
    return {
        "source": "scikit-image and scikit-learn sample photos, whole and 4 corner crops",
        "views": total,
        "refused": round(1 - len(accepted) / total, 4),
        "accepted_as_leaf": accepted,
    }
