"""Class activation maps: where in the photo the model found its answer.

The classifier is linear on globally pooled features, so the class activation map
(Zhou et al. 2016) is exact: the class's weights applied at every position of the
final feature map. It equals Grad-CAM for this architecture, without gradients, so
it runs on the serving runtime.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

# Matplotlib's "inferno" at 0, 1/4, 1/2, 3/4 and 1: black -> purple -> red -> orange ->
# pale yellow, brighter at every step, so "brightest = most evidence" reads the same to
# colour-blind eyes and in greyscale (a rainbow's red top is darker than its yellow).
_COLOUR_STOPS = np.array(
    [[0, 0, 4], [87, 16, 110], [188, 55, 84], [249, 142, 9], [252, 255, 164]],
    dtype=np.float32,
)


def class_activation_map(feature_map: np.ndarray, class_weights: np.ndarray) -> np.ndarray:
    """A (h, w) map in [0, 1] of positive evidence for one class."""
    evidence = np.maximum(np.einsum("hwc,c->hw", feature_map, class_weights), 0)  # no BLAS
    peak = evidence.max()
    return evidence / peak if peak > 0 else evidence


def colourise(activation: np.ndarray) -> np.ndarray:
    """Map values in [0, 1] to RGB through the colour stops."""
    positions = np.clip(activation, 0, 1) * (len(_COLOUR_STOPS) - 1)
    low = np.floor(positions).astype(int).clip(0, len(_COLOUR_STOPS) - 2)
    fraction = (positions - low)[..., None]
    rgb = _COLOUR_STOPS[low] * (1 - fraction) + _COLOUR_STOPS[low + 1] * fraction
    return rgb.astype(np.uint8)


# The photo under the map, in grey at half its brightness: its own light must not pass
# for evidence (a sunlit patch looking "hotter" than a shaded lesion). The photo in
# colour is shown beside the map.
PHOTO_UNDER_MAP = 0.5


def overlay(photo: Image.Image, activation: np.ndarray, opacity: float = 0.6) -> Image.Image:
    """The activation map, upsampled smoothly, over a dimmed grey copy of the photo."""
    if not 0 <= opacity <= 1:
        raise ValueError(f"opacity must be between 0 and 1, got {opacity}")
    small = Image.fromarray((activation * 255).astype(np.uint8), mode="L")
    upsampled = np.asarray(small.resize(photo.size, Image.Resampling.BICUBIC)) / 255.0
    heat = Image.fromarray(colourise(upsampled))
    under = photo.convert("L").point(lambda value: int(value * PHOTO_UNDER_MAP))
    return Image.blend(under.convert("RGB"), heat, opacity)
