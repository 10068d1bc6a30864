"""Finding photos on disk and reading labels from class-folder names."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from potato_disease.labels import MODEL_CLASSES, NOT_LEAF

IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff", ".heic", ".heif", ".gif"}
)
REFUSE_FOLDERS = frozenset({"tuber", "tubers", "not_leaf", "not-leaf"})
LAB_SOURCE = "plantvillage"  # the source of lab photos (leaves off the plant, plain board)


def folder_label(folder_name: str) -> str | None:
    """The label a class folder stands for (``tuber`` means not_leaf), else None."""
    name = folder_name.lower()
    if name in REFUSE_FOLDERS:
        return NOT_LEAF
    return name if name in MODEL_CLASSES else None


def is_image_file(path: Path) -> bool:
    """True for a regular file whose suffix names an image format."""
    return path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES


def expand_paths(paths: Iterable[Path]) -> Iterator[Path]:
    """Files as given, and every image file under each directory, recursively, sorted."""
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if is_image_file(p))
        else:
            yield path


def labelled_photos(folder: Path) -> list[tuple[Path, str]]:
    """(photo, label) for every image under class sub-folders of ``folder``."""
    photos = []
    for class_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        label = folder_label(class_dir.name)
        if label is not None:
            photos += [(path, label) for path in expand_paths([class_dir])]
    return photos


def labelled_sources(folder: Path) -> dict[str, list[tuple[Path, str]]]:
    """Labelled photos of ``folder``, or of each of its sub-folders if they are sources."""
    if not folder.is_dir():
        raise ValueError(f"{folder} is not a directory")
    sources = {
        source_dir.name: labelled_photos(source_dir)
        for source_dir in sorted(p for p in folder.iterdir() if p.is_dir())
        if folder_label(source_dir.name) is None or _has_class_folders(source_dir)
    }
    sources = {name: photos for name, photos in sources.items() if photos}
    if sources:
        return sources
    direct = labelled_photos(folder)
    if not direct:
        raise ValueError(
            f"No class folders under {folder}: expected sub-folders named "
            f"{', '.join(MODEL_CLASSES)} (or tuber)"
        )
    return {folder.name: direct}


def _has_class_folders(folder: Path) -> bool:
    return any(p.is_dir() and folder_label(p.name) for p in folder.iterdir())
