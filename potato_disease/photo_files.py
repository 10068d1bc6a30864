"""Finding photos on disk and reading labels from class-folder names."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from potato_disease.labels import MODEL_CLASSES, NOT_LEAF

IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff", ".heic", ".heif", ".gif"}
)
REFUSE_FOLDERS = frozenset({"tuber", "tubers", "not_leaf"})
LAB_SOURCE = "plantvillage"  # the source of lab photos (leaves off the plant, plain board)


def folder_label(folder_name: str) -> str | None:
    """The label a class folder stands for, else None. Case, spaces and hyphens do not
    matter, nor PlantVillage's ``Potato___`` prefix ("Late Blight", "late-blight" and
    "Potato___Late_blight" are late_blight); ``tuber`` and ``not leaf`` mean not_leaf."""
    name = re.sub(r"[\s_-]+", "_", folder_name.strip().lower()).strip("_")
    name = name.removeprefix("potato_")
    if name in REFUSE_FOLDERS:
        return NOT_LEAF
    return name if name in MODEL_CLASSES else None


def is_image_file(path: Path) -> bool:
    """True for a regular, visible file whose suffix names an image format (macOS's
    ``._`` companions and other hidden files are not photos)."""
    return (
        path.is_file() and not path.name.startswith(".") and path.suffix.lower() in IMAGE_SUFFIXES
    )


def expand_paths(paths: Iterable[Path]) -> Iterator[Path]:
    """Files as given, and every image file under each directory, recursively, sorted."""
    for path in paths:
        if path.is_dir():
            yield from (file for file in visible_files(path) if is_image_file(file))
        else:
            yield path


def visible_files(folder: Path) -> list[Path]:
    """Every file under ``folder``, recursively and sorted, but hidden ones and those in
    hidden folders."""
    return sorted(
        path
        for path in folder.rglob("*")
        if path.is_file()
        and not any(part.startswith(".") for part in path.relative_to(folder).parts)
    )


def labelled_sources(folder: Path) -> dict[str, list[tuple[Path, str]]]:
    """Labelled photos of ``folder``'s class sub-folders, and of each sub-folder that holds
    class folders itself (a source, scored apart)."""
    return scan_labelled_folder(folder).sources


@dataclass(frozen=True)
class LabelledFolder:
    """What a folder of class folders holds: its labelled photos per source, and what was
    left out because no folder name gives its label."""

    sources: dict[str, list[tuple[Path, str]]]
    ignored_folders: list[Path] = field(default_factory=list)  # with photos, no label
    unlabelled_photos: list[Path] = field(default_factory=list)  # beside the class folders
    empty_class_folders: list[Path] = field(default_factory=list)
    other_files: list[Path] = field(default_factory=list)  # in class folders, not photos

    def left_out(self) -> dict[str, list[str]]:
        """What was not scored, by why (only the reasons that apply)."""
        reasons = {
            "folders_without_a_label": self.ignored_folders,
            "photos_outside_class_folders": self.unlabelled_photos,
            "empty_class_folders": self.empty_class_folders,
            "files_not_named_as_photos": self.other_files,
        }
        return {reason: [str(p) for p in paths] for reason, paths in reasons.items() if paths}


def scan_labelled_folder(folder: Path) -> LabelledFolder:
    """Labelled photos of ``folder`` (its own class folders, as a source named after it,
    and each sub-folder of class folders as a source of its own), and what was left out."""
    if not folder.is_dir():
        raise ValueError(f"{folder} is not a directory")
    scan = LabelledFolder({})
    subsources = [d for d in _visible_dirs(folder) if _class_dirs(d)]
    own_classes = [d for d in _class_dirs(folder) if d not in subsources]
    for name, class_dirs, source_dir in [
        *((d.name, _class_dirs(d), d) for d in subsources),
        (folder.name, own_classes, folder),
    ]:
        photos = _read_classes(class_dirs, scan)
        if photos:
            scan.sources[name if name not in scan.sources else f"{name} (top)"] = photos
        scan.unlabelled_photos.extend(p for p in sorted(source_dir.iterdir()) if is_image_file(p))
        others = [d for d in _visible_dirs(source_dir) if d not in class_dirs + subsources]
        scan.ignored_folders.extend(d for d in others if _holds_photos(d))
    if not scan.sources:
        raise ValueError(
            f"No photos in class folders under {folder}: expected sub-folders named "
            f"{', '.join(MODEL_CLASSES)} (or tuber, or not_leaf)"
        )
    return scan


def _read_classes(class_dirs: list[Path], scan: LabelledFolder) -> list[tuple[Path, str]]:
    """(photo, label) under each class folder; empty class folders and files that are not
    photos go into ``scan``'s lists of what was left out."""
    photos = []
    for class_dir in class_dirs:
        label = folder_label(class_dir.name) or ""  # class folders have labels
        files = visible_files(class_dir)
        found = [(path, label) for path in files if is_image_file(path)]
        scan.other_files.extend(path for path in files if not is_image_file(path))
        photos += found
        if not found:
            scan.empty_class_folders.append(class_dir)
    return photos


def _class_dirs(folder: Path) -> list[Path]:
    return [d for d in _visible_dirs(folder) if folder_label(d.name)]


def _visible_dirs(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def _holds_photos(folder: Path) -> bool:
    return next(iter(expand_paths([folder])), None) is not None
