"""How the served model holds up when validation photos look like other cameras and light.

There is no photo here from another farm, country or camera, so this is a proxy:
each validation leaf photo is shifted in one way a different phone, exposure or
messenger app would shift it, and the served model is measured again. The network's
training augmentation covers milder versions of most of these, so this measures how
far that protection reaches, not true generalisation. The distance rule, though, is
fitted on views as degraded as the blur, JPEG and low-resolution rows
(``augment.degrade``), so for refusals those rows are not unseen shifts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from PIL import Image, ImageEnhance, ImageFilter

from potato_disease.diagnosis import Diagnoser
from potato_disease.evaluation import summarize
from potato_disease.labels import MODEL_CLASSES
from potato_disease.photo_files import LAB_SOURCE
from training import artwork, heldout, leaf_cutout
from training.augment import jpeg_round_trip, shrink


def _white_balance(gains: tuple[float, float, float]) -> Callable[[Image.Image], Image.Image]:
    def shift(image: Image.Image) -> Image.Image:
        array = np.asarray(image, dtype=np.float32) * np.array(gains, dtype=np.float32)
        return Image.fromarray(np.clip(array, 0, 255).astype(np.uint8))

    return shift


SHIFTS: dict[str, Callable[[Image.Image], Image.Image]] = {
    "none": lambda image: image,
    "dark (exposure x0.5)": lambda image: ImageEnhance.Brightness(image).enhance(0.5),
    "overexposed (x1.6)": lambda image: ImageEnhance.Brightness(image).enhance(1.6),
    "warm light (R x1.15, B x0.85)": _white_balance((1.15, 1.0, 0.85)),
    "cool light (R x0.85, B x1.15)": _white_balance((0.85, 1.0, 1.15)),
    "defocus (Gaussian blur r=2)": lambda image: image.filter(ImageFilter.GaussianBlur(2)),
    "JPEG quality 15": lambda image: jpeg_round_trip(image, 15),
    "low resolution (64 px)": lambda image: shrink(image, 64),
    "rotated 90°": lambda image: image.transpose(Image.Transpose.ROTATE_90),
}
REPORTED = ("accuracy", "macro_f1", "leaves_refused", "ece")


def robustness_report(
    diagnoser: Diagnoser,
    images: Sequence[Image.Image],
    truth: Sequence[str],
    sources: Sequence[str],
) -> dict[str, dict[str, dict[str, float]]]:
    """Accuracy, macro-F1, refusals and calibration error per shift and source, for
    leaf photos."""
    report: dict[str, dict[str, Any]] = {}
    for name, shift in SHIFTS.items():
        diagnoses = diagnoser.diagnose_many([shift(image.convert("RGB")) for image in images])
        report[name] = {}
        for source in sorted(set(sources)):
            chosen = [k for k, s in enumerate(sources) if s == source]
            metrics = summarize([truth[k] for k in chosen], [diagnoses[k] for k in chosen])
            report[name][source] = {key: metrics[key] for key in REPORTED}
    return report


HELD_OUT_TEXTURES = ("grass", "gravel", "brick")  # scikit-image photos, never trained on


def held_out_scenes() -> list[Image.Image]:
    """Backgrounds of kinds training never sets a leaf on: scikit-image's grass,
    gravel and brick, and the held-out Debian wallpapers where installed."""
    from skimage import data

    scenes = [heldout.to_image(getattr(data, name)()) for name in HELD_OUT_TEXTURES]
    if artwork.installed():
        paths = artwork.wallpaper_files()
        scenes += artwork.loaded_wallpapers(tuple(paths))[1::2]  # the held-out half
    return scenes


def lab_leaves_in_the_field_report(
    diagnoser: Diagnoser,
    images: Sequence[Image.Image],
    labels: Sequence[int],
    sources: Sequence[str],
    validation: Sequence[int],
    seed: int,
) -> dict[str, Any]:
    """Validation PlantVillage leaves cut off their board and set on other backgrounds:
    a proxy for single leaves photographed in another country's fields.

    Each leaf is set once on a validation healthy field photo or tuber photo (kinds
    training also uses, other photos) and once on a held-out scene (kinds training
    never uses). ``healthy_vs_late_blight`` is the balanced accuracy over those two
    classes, as the other-country target.
    """
    rng = np.random.default_rng([seed, 2])
    field = [images[i] for i in leaf_cutout.background_indices(sources, labels, validation)]
    held_out = held_out_scenes()
    kinds_of_background = {"validation photos": field, "held-out scenes": held_out}
    scenes, truth, kinds = [], [], []
    for index in validation:
        mask = leaf_cutout.leaf_mask(images[index]) if sources[index] == LAB_SOURCE else None
        if mask is None:
            continue
        for kind, backgrounds in kinds_of_background.items():
            if not backgrounds:
                continue
            background = backgrounds[int(rng.integers(len(backgrounds)))]
            scenes.append(leaf_cutout.on_background(images[index], mask, background, rng))
            truth.append(MODEL_CLASSES[labels[index]])
            kinds.append(kind)
    diagnoses = diagnoser.diagnose_many(scenes)
    report: dict[str, Any] = {
        "backgrounds": {kind: len(found) for kind, found in kinds_of_background.items()}
    }
    for name in kinds_of_background:
        chosen = [k for k, kind in enumerate(kinds) if kind == name]
        if not chosen:
            continue
        metrics = summarize([truth[k] for k in chosen], [diagnoses[k] for k in chosen])
        report[f"on {name}"] = {key: metrics[key] for key in (*REPORTED, "leaf_photos")}
    two = [k for k, label in enumerate(truth) if label in ("healthy", "late_blight")]
    if not two:
        return report
    metrics = summarize([truth[k] for k in two], [diagnoses[k] for k in two])
    report["healthy_vs_late_blight"] = {
        key: metrics[key] for key in ("balanced_accuracy", "leaves_refused", "leaf_photos")
    }
    return report
