"""The command-line contract: JSON lines for predict, metrics for evaluate."""

from __future__ import annotations

import json
from pathlib import Path

from potato_disease.labels import DISEASE_LABELS, MODEL_CLASSES
from tests.conftest import run_cli, sample_photos


def test_predict_json_lines_with_errors_and_directories(tmp_path: Path, data_dir: Path) -> None:
    nested = tmp_path / "field" / "day1"
    nested.mkdir(parents=True)
    leaf = sample_photos(data_dir, "plantvillage", "early_blight", 1)[0]
    (nested / "leaf.jpg").write_bytes(leaf.read_bytes())
    (nested / "notes.jpg").write_text("not a photo")
    (nested / "readme.txt").write_text("ignored: not an image suffix")
    result = run_cli("predict", str(tmp_path), "--json")
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.returncode == 1  # one photo failed
    by_name = {Path(line["path"]).name: line for line in lines}
    assert set(by_name) == {"leaf.jpg", "notes.jpg"}
    good = by_name["leaf.jpg"]
    assert set(good) == {"path", "label", "confidence", "probabilities"}
    assert good["label"] in MODEL_CLASSES and 0 < good["confidence"] <= 1
    assert tuple(good["probabilities"]) == DISEASE_LABELS
    assert set(by_name["notes.jpg"]) == {"path", "error"}
    assert "Traceback" not in result.stderr


def test_predict_plain_text_for_people(data_dir: Path) -> None:
    leaf = sample_photos(data_dir, "plantvillage", "late_blight", 1)[0]
    result = run_cli("predict", str(leaf))
    assert result.returncode == 0
    assert result.stdout.startswith(str(leaf)) and "%" in result.stdout


def test_predict_combine_adds_one_answer_for_all_the_photos(tmp_path: Path, data_dir: Path) -> None:
    leaves = sample_photos(data_dir, "field-java", "late_blight", 2)
    tuber = sample_photos(data_dir, "not-leaf", "tuber", 1)[0]
    copy = tmp_path / "same-leaf-again.jpg"
    copy.write_bytes(leaves[0].read_bytes())
    broken = tmp_path / "broken.jpg"
    broken.write_text("not a photo")
    paths = [*leaves, tuber, copy, broken]
    result = run_cli("predict", *map(str, paths), "--json", "--combine")
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.returncode == 1  # the broken file
    assert [line.get("path") for line in lines[:-1]] == list(map(str, paths))
    combined = lines[-1]
    assert combined["combined"] == list(map(str, paths[:4]))  # the readable photos
    assert combined["label"] == "late_blight" and tuple(combined["probabilities"]) == DISEASE_LABELS
    # the copy counts once; the tuber is refused and left out
    assert (combined["photos_combined"], combined["photos_left_out"]) == (2, 1)
    assert combined["photos_agreeing"] <= 2

    text = run_cli("predict", *map(str, leaves), "--combine").stdout.splitlines()
    assert len(text) == 3 and text[-1].startswith("combined (2 of 2 photos): Late blight (")
    tubers = run_cli("predict", str(tuber), "--json", "--combine").stdout.splitlines()
    assert json.loads(tubers[-1])["error"] == "No photo was accepted as a potato leaf."


def test_predict_combine_gives_no_one_answer_when_photos_confidently_disagree(
    data_dir: Path,
) -> None:
    paths = [
        *sample_photos(data_dir, "plantvillage", "healthy", 2),
        *sample_photos(data_dir, "plantvillage", "late_blight", 1),
    ]
    lines = run_cli("predict", *map(str, paths), "--json", "--combine").stdout.splitlines()
    combined = json.loads(lines[-1])
    assert combined["photos_disagree"] is True
    assert combined["confident_labels"] == ["late_blight", "healthy"]
    text = run_cli("predict", *map(str, paths), "--combine").stdout.splitlines()
    assert text[-1] == (
        "combined (3 of 3 photos): NO ONE ANSWER, the photos confidently show "
        "Late blight and Healthy"
    )


def test_evaluate_reports_metrics_for_a_labelled_folder(tmp_path: Path, data_dir: Path) -> None:
    for label, source, folder in [
        ("late_blight", "field-java", "late_blight"),
        ("healthy", "plantvillage", "healthy"),
        ("tuber", "not-leaf", "tuber"),
    ]:
        (tmp_path / label).mkdir()
        for path in sample_photos(data_dir, source, folder, 3):
            (tmp_path / label / path.name).symlink_to(path.resolve())
    result = run_cli("evaluate", str(tmp_path), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)[tmp_path.name]
    assert report["photos"] == 9 and report["leaf_photos"] == 6 and report["not_leaf_photos"] == 3
    for key in ("accuracy", "macro_f1", "ece", "leaves_refused", "not_leaf_refused"):
        assert 0 <= report[key] <= 1
    assert sum(map(sum, report["confusion_matrix"]["rows_true_columns_predicted"])) == 9
    low, high = report["intervals_95"]["accuracy"]
    assert low <= report["accuracy"] <= high
    plain = run_cli("evaluate", str(tmp_path)).stdout
    assert f"accuracy={report['accuracy']:.4f} [{low:.3f}, {high:.3f}]" in plain


def test_evaluate_scores_folders_spelt_otherwise_and_lists_what_it_left_out(
    tmp_path: Path, data_dir: Path
) -> None:
    for folder in ("Late Blight", "Potato___Late_blight"):
        (tmp_path / folder).mkdir()
        for path in sample_photos(data_dir, "field-java", "late_blight", 2):
            (tmp_path / folder / f"{folder[:4]}-{path.name}").symlink_to(path.resolve())
    (tmp_path / "virus").mkdir()
    (tmp_path / "unsorted").mkdir()
    (tmp_path / "unsorted" / "x.jpg").symlink_to(
        sample_photos(data_dir, "field-java", "virus", 1)[0].resolve()
    )
    result = run_cli("evaluate", str(tmp_path), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report[tmp_path.name]["photos"] == 4
    assert report["left_out"] == {
        "folders_without_a_label": [str(tmp_path / "unsorted")],
        "empty_class_folders": [str(tmp_path / "virus")],
    }
    plain = run_cli("evaluate", str(tmp_path)).stdout
    assert f"not scored, folders without a label: {tmp_path / 'unsorted'}" in plain


def test_evaluate_explains_a_folder_without_classes(tmp_path: Path) -> None:
    result = run_cli("evaluate", str(tmp_path))
    assert result.returncode == 2 and "class folders" in result.stderr
