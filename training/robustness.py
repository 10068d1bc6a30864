"""How the served model holds up when validation photos look like other cameras and light.

There is no photo here from another farm, country or camera, so this is a proxy:
each validation leaf photo is shifted in one way a different phone, exposure or
messenger app would shift it, and the served model is measured again. Training
augmentation covers milder versions of most of these, so this measures how far
that protection reaches, not true generalisation.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from PIL import Image, ImageEnhance, ImageFilter

from potato_disease.diagnosis import Diagnoser
from potato_disease.evaluation import summarize


def _white_balance(gains: tuple[float, float, float]) -> Callable[[Image.Image], Image.Image]:
    def shift(image: Image.Image) -> Image.Image:
        array = np.asarray(image, dtype=np.float32) * np.array(gains, dtype=np.float32)
        return Image.fromarray(np.clip(array, 0, 255).astype(np.uint8))

    return shift


def _jpeg(quality: int) -> Callable[[Image.Image], Image.Image]:
    def compress(image: Image.Image) -> Image.Image:
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=quality)
        return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")

    return compress


def _low_resolution(side: int) -> Callable[[Image.Image], Image.Image]:
    def shrink(image: Image.Image) -> Image.Image:
        small = image.resize((side, side), Image.Resampling.BILINEAR)
        return small.resize(image.size, Image.Resampling.BILINEAR)

    return shrink


SHIFTS: dict[str, Callable[[Image.Image], Image.Image]] = {
    "none": lambda image: image,
    "dark (exposure x0.5)": lambda image: ImageEnhance.Brightness(image).enhance(0.5),
    "overexposed (x1.6)": lambda image: ImageEnhance.Brightness(image).enhance(1.6),
    "warm light (R x1.15, B x0.85)": _white_balance((1.15, 1.0, 0.85)),
    "cool light (R x0.85, B x1.15)": _white_balance((0.85, 1.0, 1.15)),
    "defocus (Gaussian blur r=2)": lambda image: image.filter(ImageFilter.GaussianBlur(2)),
    "JPEG quality 15": _jpeg(15),
    "low resolution (64 px)": _low_resolution(64),
    "rotated 90°": lambda image: image.transpose(Image.Transpose.ROTATE_90),
}
REPORTED = ("accuracy", "macro_f1", "leaves_refused")


def robustness_report(
    diagnoser: Diagnoser,
    images: Sequence[Image.Image],
    truth: Sequence[str],
    sources: Sequence[str],
) -> dict[str, dict[str, dict[str, float]]]:
    """Accuracy, macro-F1 and refusals per shift and source, for leaf photos."""
    report: dict[str, dict[str, Any]] = {}
    for name, shift in SHIFTS.items():
        diagnoses = diagnoser.diagnose_many([shift(image.convert("RGB")) for image in images])
        report[name] = {}
        for source in sorted(set(sources)):
            chosen = [k for k, s in enumerate(sources) if s == source]
            metrics = summarize([truth[k] for k in chosen], [diagnoses[k] for k in chosen])
            report[name][source] = {key: metrics[key] for key in REPORTED}
    return report
