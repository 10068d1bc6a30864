"""Warnings about photos whose quality makes a diagnosis less reliable.

Measured on the model's validation photos (``docs/training-runs.md``): blur and low
resolution cost the most field accuracy, then glare (overexposure); darkness at half
exposure cost almost nothing, so it is not warned about. Thresholds were set from
the shared photos: the sharpness limit is below the 1st percentile of real leaf
photos (about 200) and above the 99th percentile of the same photos blurred with a
Gaussian of radius 2 (about 18) or shrunk to 64 px (about 53); the glare limit is
above the 99th percentile of real field photos (6% of pixels burnt out), below the
median of the same photos at 1.6x exposure (22%).
"""

from __future__ import annotations

import numpy as np
from PIL import Image

ANALYSIS_SIZE = 224
MIN_SHARPNESS = 100.0
MAX_BURNT_OUT = 0.15
BURNT_OUT_LEVEL = 250

BLURRED = (
    "The photo looks blurred or low-resolution, which makes the diagnosis less "
    "reliable: hold the phone steady about 20-30 cm from one leaf and let it focus."
)
GLARE = (
    "Large parts of the photo are burnt out by glare, which makes the diagnosis less "
    "reliable: shade the leaf from direct sun or turn so the light is behind you."
)


def _grey(image: Image.Image) -> np.ndarray:
    return np.asarray(
        image.convert("L").resize((ANALYSIS_SIZE, ANALYSIS_SIZE), Image.Resampling.BILINEAR),
        dtype=np.float32,
    )


def _laplacian_variance(grey: np.ndarray) -> float:
    laplacian = (
        grey[1:-1, :-2] + grey[1:-1, 2:] + grey[:-2, 1:-1] + grey[2:, 1:-1] - 4 * grey[1:-1, 1:-1]
    )
    return float(laplacian.var())


def sharpness(image: Image.Image) -> float:
    """Variance of the Laplacian of the greyscale photo at 224 px (higher is sharper)."""
    return _laplacian_variance(_grey(image))


def quality_warnings(image: Image.Image) -> list[str]:
    """Plain-language warnings for one decoded photo; empty when it looks fine."""
    grey = _grey(image)  # once: the photo may be 12 megapixels
    warnings = []
    if _laplacian_variance(grey) < MIN_SHARPNESS:
        warnings.append(BLURRED)
    if float((grey >= BURNT_OUT_LEVEL).mean()) > MAX_BURNT_OUT:
        warnings.append(GLARE)
    return warnings
