"""Reviewed History cases as a labelled photo set: files, ZIP, CLI, and the loop back
into ``evaluate`` and training."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import Engine, update

from potato_disease import history, reviewed_photos
from potato_disease.config import settings_from_env
from potato_disease.database import init_db, make_engine
from potato_disease.history import NewCase
from potato_disease.photo_files import labelled_sources
from tests.conftest import leafish, run_cli, sample_photos


@pytest.fixture
def app_data_dir(tmp_path: Path) -> Path:
    return tmp_path / "app-data"


@pytest.fixture
def engine(app_data_dir: Path) -> Iterator[Engine]:
    engine = make_engine(settings_from_env({}, app_data_dir=app_data_dir, database_url=None))
    init_db(engine)
    yield engine
    engine.dispose()


def save(engine: Engine, photo: Image.Image, model_label: str, **details: object) -> int:
    case = NewCase(
        photo=photo,
        photo_name="leaf.jpg",
        model_label=model_label,
        model_confidence=0.8,
        probabilities={model_label: 0.8},
        is_leaf=model_label != "not_leaf",
        **details,
    )
    return history.save_case(engine, case)


@pytest.fixture
def three_cases(engine: Engine) -> dict[str, int]:
    """A confirmed case, a corrected one (the model had refused a real leaf), and one
    nobody reviewed."""
    ids = {
        "confirmed": save(engine, leafish(), "late_blight", field_name="North"),
        "corrected": save(engine, leafish((40, 60)), "not_leaf", field_name="South"),
        "unreviewed": save(engine, leafish(), "pest", field_name="North"),
    }
    history.confirm_case(engine, ids["confirmed"], "late_blight")
    history.confirm_case(engine, ids["corrected"], "healthy")
    return ids


def test_only_reviewed_cases_are_written_in_class_folders(engine, three_cases, tmp_path):
    records = history.list_cases(engine)
    folder = tmp_path / "export"
    assert reviewed_photos.write_folder(records, folder) == 2

    confirmed, corrected = three_cases["confirmed"], three_cases["corrected"]
    photos = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.jpg"))
    assert photos == [f"healthy/case-{corrected:06d}.jpg", f"late_blight/case-{confirmed:06d}.jpg"]
    thumbnail = history.get_case(engine, corrected).thumbnail
    assert (folder / photos[0]).read_bytes() == thumbnail
    assert Image.open(folder / photos[0]).size == (40, 60)

    rows = list(csv.DictReader(io.StringIO((folder / "cases.csv").read_text("utf-8"))))
    assert {int(row["id"]) for row in rows} == {confirmed, corrected}
    by_id = {int(row["id"]): row for row in rows}
    assert (by_id[corrected]["model_label"], by_id[corrected]["confirmed_label"]) == (
        "not_leaf",
        "healthy",
    )


def test_the_written_folder_is_what_evaluate_and_training_read(engine, three_cases, tmp_path):
    folder = tmp_path / "reviewed"
    reviewed_photos.write_folder(history.list_cases(engine), folder)
    [(source, photos)] = labelled_sources(folder).items()
    assert source == "reviewed"
    assert sorted(label for _, label in photos) == ["healthy", "late_blight"]


def test_an_earlier_export_is_never_overwritten(engine, three_cases, tmp_path):
    records = history.list_cases(engine)
    folder = tmp_path / "export"
    folder.mkdir()  # an empty folder is fine
    reviewed_photos.write_folder(records, folder)
    before = sorted(folder.rglob("*"))
    with pytest.raises(ValueError, match="not an empty folder"):
        reviewed_photos.write_folder(records, folder)
    assert sorted(folder.rglob("*")) == before
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="not an empty folder"):
        reviewed_photos.write_folder(records, tmp_path / "file")


def test_zip_holds_the_same_files(engine, three_cases, tmp_path):
    records = history.list_cases(engine)
    archive = zipfile.ZipFile(io.BytesIO(reviewed_photos.to_zip(records)))
    expected = dict(reviewed_photos.labelled_files(records))
    assert sorted(archive.namelist()) == sorted(expected)
    for name, content in expected.items():
        assert archive.read(name) == content
    assert archive.getinfo("cases.csv").compress_type == zipfile.ZIP_DEFLATED


def test_unreviewed_cases_have_no_photo_path(engine, three_cases):
    record = history.get_case(engine, three_cases["unreviewed"])
    with pytest.raises(ValueError, match="not been reviewed"):
        reviewed_photos.photo_path(record)
    assert reviewed_photos.to_zip([record])  # just the manifest
    assert reviewed_photos.label_counts([record]) == {}


def test_a_label_edited_into_the_database_writes_nothing_outside_the_folder(
    engine, three_cases, tmp_path, caplog
):
    with engine.begin() as connection:  # what only someone editing the database can do
        connection.execute(
            update(history.Case)
            .where(history.Case.id == three_cases["confirmed"])
            .values(confirmed_label="../escaped")
        )
    records = history.list_cases(engine)
    assert reviewed_photos.write_folder(records, tmp_path / "set") == 1  # the other one
    assert not (tmp_path / "escaped").exists()
    assert "unknown label '../escaped': left out" in caplog.text
    names = zipfile.ZipFile(io.BytesIO(reviewed_photos.to_zip(records))).namelist()
    assert not [name for name in names if ".." in name]
    with pytest.raises(ValueError, match="unknown label"):
        reviewed_photos.photo_path(history.get_case(engine, three_cases["confirmed"]))


def test_a_blind_export_files_blind_reviews_under_the_label_given_blind(engine, tmp_path):
    seen = save(engine, leafish(), "early_blight", confirmed_label="early_blight")
    switched = save(engine, leafish(), "early_blight", blind_label="pest")
    history.confirm_case(engine, switched, "early_blight")  # after seeing the model's answer
    kept = save(engine, leafish(), "late_blight", blind_label="healthy", confirmed_label="healthy")
    records = history.list_cases(engine)
    assert reviewed_photos.label_counts(records, blind=True) == {"pest": 1, "healthy": 1}
    with pytest.raises(ValueError, match="not been reviewed blind"):
        reviewed_photos.photo_path(history.get_case(engine, seen), blind=True)

    folder = tmp_path / "blind"
    assert reviewed_photos.write_folder(records, folder, blind=True) == 2
    photos = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.jpg"))
    assert photos == [f"healthy/case-{kept:06d}.jpg", f"pest/case-{switched:06d}.jpg"]
    rows = list(csv.DictReader(io.StringIO((folder / "cases.csv").read_text("utf-8"))))
    assert {(row["blind_label"], row["confirmed_label"]) for row in rows} == {
        ("pest", "early_blight"),
        ("healthy", "healthy"),
    }


# The command line, against the app's own database ----------------------------------


def run_cli_on(app_data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    """The command line, with the app's database in ``app_data_dir``."""
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return run_cli(*args, env=environment | {"APP_DATA_DIR": str(app_data_dir)})


def test_cli_exports_then_evaluates_real_reviewed_photos(engine, app_data_dir, data_dir, tmp_path):
    """The loop: real photos diagnosed and reviewed in the app, exported, scored."""
    for source, folder, label, model_said in [
        ("plantvillage", "early_blight", "early_blight", "early_blight"),
        ("field-java", "late_blight", "late_blight", "healthy"),
        ("not-leaf", "tuber", "not_leaf", "not_leaf"),
    ]:
        for path in sample_photos(data_dir, source, folder, 2):
            case_id = save(engine, Image.open(path), model_said, field_name="Farm A")
            history.confirm_case(
                engine, case_id, label, basis="lab" if label == "late_blight" else None
            )
    save(engine, leafish(), "virus", field_name="Farm B")  # not reviewed

    out = tmp_path / "farm-a"
    exported = run_cli_on(app_data_dir, "export-reviewed", str(out), "--field", "Farm A")
    assert exported.returncode == 0, exported.stderr
    assert "Wrote 6 reviewed photos" in exported.stdout
    assert "early_blight 2, late_blight 2, not_leaf 2" in exported.stdout

    lab = tmp_path / "lab"
    by_lab = run_cli_on(app_data_dir, "export-reviewed", str(lab), "--basis", "lab")
    assert by_lab.returncode == 0, by_lab.stderr
    assert "Wrote 2 reviewed photos" in by_lab.stdout and "(late_blight 2)" in by_lab.stdout
    none_seen = run_cli_on(
        app_data_dir, "export-reviewed", str(tmp_path / "x"), "--basis", "plants"
    )
    assert none_seen.returncode == 1
    assert "resting on the plants, seen in the field among 7 saved" in none_seen.stdout

    scored = run_cli_on(app_data_dir, "evaluate", str(out), "--json")
    assert scored.returncode == 0, scored.stderr
    report = json.loads(scored.stdout)["farm-a"]
    assert (report["photos"], report["leaf_photos"], report["not_leaf_photos"]) == (6, 4, 2)
    assert 0 <= report["accuracy"] <= 1


def test_cli_says_when_nothing_is_reviewed_and_never_overwrites(engine, app_data_dir, tmp_path):
    save(engine, leafish(), "virus")
    empty = run_cli_on(app_data_dir, "export-reviewed", str(tmp_path / "out"))
    assert empty.returncode == 1
    assert "No reviewed cases among 1 saved" in empty.stdout
    assert not (tmp_path / "out").exists()

    history.confirm_case(engine, history.list_cases(engine)[0].id, "virus")
    not_blind = run_cli_on(app_data_dir, "export-reviewed", str(tmp_path / "out"), "--blind")
    assert not_blind.returncode == 1
    assert "No blind-reviewed cases among 1 saved: turn on Blind review" in not_blind.stdout
    assert not (tmp_path / "out").exists()

    save(engine, leafish(), "virus", blind_label="bacteria")
    blind = run_cli_on(app_data_dir, "export-reviewed", str(tmp_path / "out"), "--blind")
    assert blind.returncode == 0, blind.stderr
    assert "Wrote 1 blind-reviewed photo to" in blind.stdout and "(bacteria 1)" in blind.stdout
    assert [p.parent.name for p in (tmp_path / "out").rglob("*.jpg")] == ["bacteria"]

    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "keep.txt").write_text("earlier work")
    refused = run_cli_on(app_data_dir, "export-reviewed", str(tmp_path / "busy"))
    assert refused.returncode == 2
    assert "not an empty folder" in refused.stderr and "Traceback" not in refused.stderr
    assert [p.name for p in (tmp_path / "busy").iterdir()] == ["keep.txt"]


def test_cli_says_plainly_when_the_database_is_down(tmp_path):
    environment = dict(os.environ, DATABASE_URL="postgresql://nobody:secret@127.0.0.1:1/none")
    result = run_cli("export-reviewed", str(tmp_path / "out"), env=environment)
    assert result.returncode == 2
    assert "History database cannot be read" in result.stderr
    assert "secret" not in result.stderr + result.stdout and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()
