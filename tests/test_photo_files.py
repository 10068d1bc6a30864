"""Reading labels from folder names, and saying what a folder scan leaves out."""

from __future__ import annotations

from pathlib import Path

import pytest

from potato_disease.photo_files import expand_paths, folder_label, scan_labelled_folder


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("late_blight", "late_blight"),
        ("Late_Blight", "late_blight"),
        ("Late Blight", "late_blight"),
        ("late-blight", "late_blight"),
        ("Potato___Late_blight", "late_blight"),
        ("Potato___healthy", "healthy"),
        (" EARLY BLIGHT ", "early_blight"),
        ("tubers", "not_leaf"),
        ("Not leaf", "not_leaf"),
        ("not-leaf", "not_leaf"),
        ("blight", None),
        ("batch2", None),
        ("Tomato___Late_blight", None),
    ],
)
def test_folder_names_give_labels_whatever_their_spelling(name, label):
    assert folder_label(name) == label


def touch(folder: Path, *names: str) -> None:
    """Empty files: the scan goes by names, decoding is evaluate's job."""
    for name in names:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(b"")


def test_scan_reads_every_spelling_and_lists_what_it_leaves_out(tmp_path):
    touch(
        tmp_path,
        "Late Blight/a.jpg",
        "Potato___Late_blight/b.JPG",
        "healthy/nested/deeper/c.webp",
        "healthy/._c.webp",  # macOS companion file
        "healthy/.thumbnails/d.jpg",
        "healthy/readme.txt",
        "loose.jpg",
        "unsorted/e.jpg",
    )
    (tmp_path / "virus").mkdir()
    scan = scan_labelled_folder(tmp_path)
    assert {
        name: sorted(label for _, label in photos) for name, photos in scan.sources.items()
    } == {tmp_path.name: ["healthy", "late_blight", "late_blight"]}
    assert scan.left_out() == {
        "folders_without_a_label": [str(tmp_path / "unsorted")],
        "photos_outside_class_folders": [str(tmp_path / "loose.jpg")],
        "empty_class_folders": [str(tmp_path / "virus")],
        "files_not_named_as_photos": [str(tmp_path / "healthy/readme.txt")],
    }


def test_a_folder_of_sources_lists_what_lies_beside_them(tmp_path):
    touch(tmp_path, "farm-a/healthy/a.jpg", "unsorted/b.jpg", "loose.jpg", "farm-a/c.jpg")
    scan = scan_labelled_folder(tmp_path)
    assert list(scan.sources) == ["farm-a"]
    assert scan.left_out() == {
        "folders_without_a_label": [str(tmp_path / "unsorted")],
        "photos_outside_class_folders": [
            str(tmp_path / "farm-a/c.jpg"),
            str(tmp_path / "loose.jpg"),
        ],
    }


def test_class_folders_beside_sources_are_a_source_of_their_own(tmp_path):
    touch(tmp_path, "early_blight/a.jpg", "batch2/healthy/b.jpg", "not-leaf/tuber/c.jpg")
    scan = scan_labelled_folder(tmp_path)
    assert {name: [label for _, label in photos] for name, photos in scan.sources.items()} == {
        "batch2": ["healthy"],
        "not-leaf": ["not_leaf"],  # a source named like a class is still a source
        tmp_path.name: ["early_blight"],
    }
    assert scan.left_out() == {}


def test_a_folder_without_labelled_photos_is_explained(tmp_path):
    touch(tmp_path, "unsorted/a.jpg")
    (tmp_path / "healthy").mkdir()
    with pytest.raises(ValueError, match="expected sub-folders named early_blight"):
        scan_labelled_folder(tmp_path)


def test_expand_paths_skips_hidden_files_and_folders(tmp_path):
    touch(tmp_path, "a.jpg", ".b.jpg", "._a.jpg", ".cache/c.jpg", "d/e.png", "d/f.txt")
    assert [p.relative_to(tmp_path).as_posix() for p in expand_paths([tmp_path])] == [
        "a.jpg",
        "d/e.png",
    ]
