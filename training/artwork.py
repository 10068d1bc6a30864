"""Real non-leaf pictures from Debian artwork packages: some teach refusal, the rest test it.

Where these packages are installed (``apt-get install`` the names in
``DEBIAN_PACKAGES``) they give 1,236 pictures: desktop wallpapers (landscapes,
gardens, sky, abstract art) as whole frames and corner crops, and Tux Paint's stamps
(animals, food including a potato tuber, clothes, tools, vehicles, people, buildings,
letters, flowers), each set on white, on a plain colour or on a piece of a
wallpaper, the way an object is photographed.

They are split by kind, so that what is tested is a kind of picture training never
saw: every other wallpaper and the stamp categories in ``TRAINING_CATEGORIES``
(mammals, fish, buildings, household things, vehicles, letters and symbols, ...)
teach the ``not_leaf`` class (:mod:`training.not_leaf_head`); the other wallpapers
and every other category (birds, insects, flowers, food, people, clothes, ...) are
held out and only measured. Where the packages are missing the report says so.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from PIL import Image

from training.heldout import views

if TYPE_CHECKING:
    from potato_disease.diagnosis import Diagnoser

DEBIAN_PACKAGES = (
    "tuxpaint-stamps-default",
    "plasma-workspace-wallpapers",
    "mate-backgrounds",
    "ukui-wallpapers",
    "gnome-backgrounds",
)
WALLPAPER_DIRS = (Path("/usr/share/wallpapers"), Path("/usr/share/backgrounds"))
STAMP_DIR = Path("/usr/share/tuxpaint/stamps")
TRAINING_CATEGORIES = frozenset(
    {
        "animals/mammals",
        "animals/fish",
        "animals/marsupials",
        "household",
        "seasonal",
        "sports",
        "symbols",
        "town",
        "vehicles",
    }
)
"""Stamp categories that train; with every second wallpaper. All others are held out."""
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
WALLPAPER_SIDE = 1024  # wallpapers come at up to 5K: shrink before cropping
STAMP_SIDE = 400
BATCH = 32
LISTED_ACCEPTED = 30

Part = Literal["training", "held_out"]


def installed() -> bool:
    """Whether the artwork packages are there to read."""
    return STAMP_DIR.is_dir() and bool(wallpaper_files())


def wallpaper_files() -> list[Path]:
    """One file per wallpaper: KDE ships each in several sizes, so keep the largest."""
    chosen: dict[Path, Path] = {}
    for root in WALLPAPER_DIRS:
        for path in sorted(root.rglob("*")):
            if path.suffix.lower() not in IMAGE_SUFFIXES or not path.is_file():
                continue
            key = next((p for p in path.parents if (p / "contents").is_dir()), path)
            if key not in chosen or path.stat().st_size > chosen[key].stat().st_size:
                chosen[key] = path
    return sorted(chosen.values())


def load_wallpaper(path: Path) -> Image.Image:
    """A wallpaper at most ``WALLPAPER_SIDE`` pixels on its long side, at least 300 short."""
    with Image.open(path) as image:
        image = image.convert("RGB")
    image.thumbnail((WALLPAPER_SIDE, WALLPAPER_SIDE))
    if min(image.size) < 300:
        image = image.resize((max(300, image.width), max(300, image.height)))
    return image


@cache
def loaded_wallpapers(paths: tuple[Path, ...]) -> list[Image.Image]:
    """The wallpapers, decoded once per process: both parts stage stamps on them."""
    return [load_wallpaper(path) for path in paths]


def stamp_scene(
    stamp: Image.Image, turn: int, wallpapers: list[Image.Image], rng: np.random.Generator
) -> Image.Image:
    """The stamp centred on white, a plain colour or a wallpaper crop (by ``turn`` % 3)."""
    stamp = stamp.convert("RGBA")
    stamp.thumbnail((STAMP_SIDE, STAMP_SIDE))
    side = int(max(stamp.size) * 1.25)
    if turn % 3 == 0 or not wallpapers:
        background = Image.new("RGBA", (side, side), (255, 255, 255, 255))
    elif turn % 3 == 1:
        colour = tuple(int(c) for c in rng.integers(60, 200, 3))
        background = Image.new("RGBA", (side, side), (*colour, 255))
    else:
        wallpaper = wallpapers[turn % len(wallpapers)]
        x = int(rng.integers(0, wallpaper.width - 255))
        y = int(rng.integers(0, wallpaper.height - 255))
        background = wallpaper.crop((x, y, x + 256, y + 256)).resize((side, side)).convert("RGBA")
    background.alpha_composite(stamp, ((side - stamp.width) // 2, (side - stamp.height) // 2))
    return background.convert("RGB")


def stamp_category(path: Path) -> str:
    """'animals/birds' for animals and plants (which differ a lot), else the top folder."""
    parts = path.relative_to(STAMP_DIR).parts
    if parts[0] in ("animals", "plants") and len(parts) > 2:
        return f"{parts[0]}/{parts[1]}"
    return parts[0]


def artwork_views(part: Part, seed: int = 0) -> Iterator[tuple[str, str, Image.Image]]:
    """(category, name, picture) of one part: wallpaper views, then stamp scenes.

    Every stamp is staged (in the same order, from the same generator) whichever part
    is asked for, so a picture looks the same in both.
    """
    paths = wallpaper_files()
    wallpapers = loaded_wallpapers(tuple(paths))
    wanted_wallpaper = 0 if part == "training" else 1
    for index, (path, wallpaper) in enumerate(zip(paths, wallpapers)):
        if index % 2 == wanted_wallpaper:
            for crop, view in enumerate(views(wallpaper)):
                yield "wallpaper", f"{path.stem}[{crop}]", view
    rng = np.random.default_rng(seed)
    for turn, path in enumerate(sorted(STAMP_DIR.rglob("*.png"))):
        category = stamp_category(path)
        with Image.open(path) as stamp:
            scene = stamp_scene(stamp, turn, wallpapers, rng)
        if (category in TRAINING_CATEGORIES) == (part == "training"):
            yield f"stamp: {category}", path.stem, scene


def training_pictures(seed: int = 0) -> list[Image.Image]:
    """The training part, for the ``not_leaf`` class (empty where not installed)."""
    if not installed():
        return []
    return [image for _, _, image in artwork_views("training", seed)]


def refusal_report(diagnoser: Diagnoser, seed: int = 0) -> dict[str, Any]:
    """Share of held-out artwork pictures refused, per category; or why not measured."""
    if not installed():
        return {"missing": f"apt-get install {' '.join(DEBIAN_PACKAGES)}"}
    counts: dict[str, list[int]] = {}
    accepted: list[str] = []
    pictures = artwork_views("held_out", seed)
    while chunk := list(itertools.islice(pictures, BATCH)):  # not all in memory at once
        diagnoses = diagnoser.diagnose_many([image for _, _, image in chunk])
        for (category, name, _), diagnosis in zip(chunk, diagnoses):
            refused_total = counts.setdefault(category, [0, 0])
            refused_total[0] += not diagnosis.is_leaf
            refused_total[1] += 1
            if diagnosis.is_leaf:
                accepted.append(f"{category}/{name} -> {diagnosis.label}")
    total = sum(n for _, n in counts.values())
    return {
        "source": "Debian packages " + ", ".join(DEBIAN_PACKAGES),
        "views": total,
        "refused": round(sum(r for r, _ in counts.values()) / total, 4),
        "refused_by_category": {k: {"refused": r, "views": n} for k, (r, n) in counts.items()},
        "accepted_as_leaf": accepted[:LISTED_ACCEPTED],
    }
