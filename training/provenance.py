"""What a measurement was made from: the photos (a manifest hash), the code (git commit)
and the libraries, so a figure in ``metadata.json`` can be traced and re-made."""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Iterable
from importlib import metadata as package_metadata
from pathlib import Path
from typing import Any

LIBRARIES = ("tensorflow-cpu", "keras", "ai-edge-litert", "numpy", "scikit-learn", "scikit-image")


def manifest_sha256(paths: Iterable[Path]) -> str:
    """SHA-256 of the sorted lines "<sha256 of file>  <file name>" of the photos: equal
    for the same photos under the same names, wherever they lie."""
    lines = sorted(
        f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.parent.name}/{path.name}"
        for path in paths
    )
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def git_commit(folder: Path) -> str | None:
    """The checked-out commit (with "+changes" when the tree differs), or None outside git."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=folder, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=folder,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return commit + ("+changes" if dirty else "")


def library_versions() -> dict[str, str | None]:
    """Installed versions of the libraries the figures depend on (None if absent)."""
    versions: dict[str, str | None] = {}
    for name in LIBRARIES:
        try:
            versions[name] = package_metadata.version(name)
        except package_metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def provenance(photo_paths: Iterable[Path], code_folder: Path) -> dict[str, Any]:
    """The manifest hash of the photos, the git commit and the library versions."""
    paths = list(photo_paths)
    return {
        "photos": len(paths),
        "photo_manifest_sha256": manifest_sha256(paths),
        "git_commit": git_commit(code_folder),
        "libraries": library_versions(),
    }
