"""Cut the leaf out of a PlantVillage lab photo and set it on a field background.

PlantVillage leaves lie on a plain, evenly lit board, so a model can learn the board
instead of the disease. Photos from other farms show a leaf among soil, mulch, hands
and other leaves. Setting each lab leaf on such a background (copy-paste
augmentation) teaches the lesions, not the board, and gives a proxy for photos of
single leaves taken in another country's fields.

The board is found as the colour of the photo's border: pixels far from it (in
CIELAB) are leaf, cleaned by morphology, and the largest component is kept.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageFilter
from scipy import ndimage
from skimage.color import rgb2lab

from potato_disease.labels import MODEL_CLASSES
from potato_disease.photo_files import LAB_SOURCE

if TYPE_CHECKING:
    from training.photo_pack import PhotoPack

log = logging.getLogger(__name__)

BACKGROUND_STRATA = {("field-java", "healthy"), ("not-leaf", "not_leaf")}

BOARD_DISTANCE = 18.0  # CIELAB distance from the board colour that counts as leaf
MIN_LEAF_SHARE = 0.08  # a cut-out smaller than this share of the photo is a failure
MAX_LEAF_SHARE = 0.92  # larger: the board was not found
MIN_BOARD_BORDER = 0.5  # share of the border that must be board-coloured


def leaf_mask(image: Image.Image) -> np.ndarray | None:
    """Boolean leaf mask of a lab photo, or None when the board cannot be told apart."""
    lab = rgb2lab(np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0)
    border = np.concatenate(
        [
            lab[:4].reshape(-1, 3),
            lab[-4:].reshape(-1, 3),
            lab[:, :4].reshape(-1, 3),
            lab[:, -4:].reshape(-1, 3),
        ]
    )
    board = np.median(border, axis=0)
    if np.mean(np.linalg.norm(border - board, axis=-1) < BOARD_DISTANCE) < MIN_BOARD_BORDER:
        return None
    distance = np.linalg.norm(lab - board, axis=-1)
    mask = ndimage.binary_opening(distance > BOARD_DISTANCE, iterations=2)
    labels, count = ndimage.label(mask)
    if count == 0:
        return None
    sizes = ndimage.sum(mask, labels, range(1, count + 1))
    mask = ndimage.binary_fill_holes(labels == 1 + int(np.argmax(sizes)))
    mask = ndimage.binary_closing(mask, iterations=3)
    share = float(mask.mean())
    if not MIN_LEAF_SHARE <= share <= MAX_LEAF_SHARE:
        return None
    return mask


def on_background(
    image: Image.Image, mask: np.ndarray, background: Image.Image, rng: np.random.Generator
) -> Image.Image:
    """The masked leaf, randomly scaled and placed, over a crop of ``background``."""
    width, height = image.size
    scene = _random_crop(background.convert("RGB"), width, height, rng)
    scale = float(rng.uniform(0.7, 1.1))
    leaf_size = (max(1, round(width * scale)), max(1, round(height * scale)))
    leaf = image.convert("RGB").resize(leaf_size, Image.Resampling.BILINEAR)
    alpha = Image.fromarray(mask.astype(np.uint8) * 255).resize(
        leaf_size, Image.Resampling.BILINEAR
    )
    alpha = alpha.filter(ImageFilter.GaussianBlur(1.0))
    left = int(rng.integers(min(0, width - leaf_size[0]), max(0, width - leaf_size[0]) + 1))
    top = int(rng.integers(min(0, height - leaf_size[1]), max(0, height - leaf_size[1]) + 1))
    scene.paste(leaf, (left, top), alpha)
    return scene


def background_indices(
    sources: Sequence[str], labels: Sequence[int], indices: Iterable[int]
) -> list[int]:
    """Those of ``indices`` that are healthy field leaves or tuber photos."""
    return [
        int(index)
        for index in indices
        if (sources[index], MODEL_CLASSES[labels[index]]) in BACKGROUND_STRATA
    ]


def _random_crop(
    background: Image.Image, width: int, height: int, rng: np.random.Generator
) -> Image.Image:
    side = min(background.size)
    crop = round(side * float(rng.uniform(0.6, 1.0)))
    left = int(rng.integers(0, background.size[0] - crop + 1))
    top = int(rng.integers(0, background.size[1] - crop + 1))
    return background.crop((left, top, left + crop, top + crop)).resize(
        (width, height), Image.Resampling.BILINEAR
    )


@dataclass
class Cutouts:
    """Leaf masks of the lab training photos and the field backgrounds to set them on.

    Backgrounds are training photos only: healthy field leaves (a diseased lab leaf on
    healthy foliage keeps its label) and tuber photos (soil, hands, crates).
    """

    masks: dict[int, np.ndarray]
    backgrounds: list[Image.Image]
    share: float

    @classmethod
    def from_pack(cls, pack: PhotoPack, share: float) -> Cutouts:
        """Masks for every PlantVillage training photo whose board is found."""
        train = pack.train_indices
        masks = {}
        for index in train:
            if pack.sources[index] == LAB_SOURCE:
                mask = leaf_mask(pack.images[index])
                if mask is not None:
                    masks[int(index)] = mask
        backgrounds = [
            pack.images[index] for index in background_indices(pack.sources, pack.labels, train)
        ]
        log.info("Leaf cut-outs: %d lab leaves, %d backgrounds", len(masks), len(backgrounds))
        return cls(masks, backgrounds, share)

    def maybe_on_background(
        self, index: int, image: Image.Image, rng: np.random.Generator
    ) -> Image.Image:
        """With probability ``share``, a lab photo's leaf on a random background."""
        mask = self.masks.get(index)
        if mask is None or not self.backgrounds or rng.random() >= self.share:
            return image
        background = self.backgrounds[int(rng.integers(len(self.backgrounds)))]
        return on_background(image, mask, background, rng)
