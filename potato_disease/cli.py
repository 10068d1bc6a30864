"""Command line: ``python -m potato_disease predict|evaluate|export-reviewed|check``.

``predict PATH... [--json]`` prints one line per photo (JSON objects with ``--json``);
a directory means every image under it. An unreadable file gives a line with an
``error`` and the run goes on; the exit status is 1 if any photo failed. With
``--combine``, a last line gives one answer for all the photos, as photos of different
leaves with the same symptoms from one plot (:mod:`potato_disease.combination`;
identical files count once, refused photos are left out).

``evaluate DIR [--json]`` scores the model on class sub-folders named by label (in any
case, with spaces or hyphens, or PlantVillage's ``Potato___`` names; a ``tuber`` or
``not_leaf`` folder must be refused), per source folder if DIR holds several, with 95 %
bootstrap intervals (over photos) of accuracy, macro-F1 and balanced accuracy. What it
could not score is listed: unreadable photos, and (``left_out``) folders whose names give
no label, photos outside class folders, empty class folders, files not named as photos.

``export-reviewed DIR [--field NAME] [--blind] [--basis BASIS]`` writes the cases an
agronomist reviewed in the History (the app's database: ``DATABASE_URL``, else the SQLite
file) as class folders under DIR, which ``evaluate DIR`` then scores: how the model does
on the farms that use it. ``--blind`` keeps only blind reviews, under the label given
before the model's answer was seen; ``--basis lab`` only reviews resting on a lab test
(or ``plants``, ``photo``). The exit status is 1 if no case has been reviewed.

``check [--json]`` says whether this server reaches what the app uses (the model, the
history, the Gemini key, the weather service, the team alert topic), one line each
(:mod:`potato_disease.setup_check`); the exit status is 1 if the model or the history fails.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from potato_disease import evaluation, history, imaging, reviewed_photos, setup_check
from potato_disease.combination import CombinedDiagnosis, combine
from potato_disease.config import Settings, get_settings
from potato_disease.database import DatabaseError, init_db, make_engine
from potato_disease.diagnosis import Diagnoser, Diagnosis
from potato_disease.labels import DISPLAY_NAMES
from potato_disease.model_files import ModelFilesError
from potato_disease.photo_files import expand_paths, scan_labelled_folder
from potato_disease.presentation import as_percent, basis_name, label_list


def prediction_record(path: Path, diagnosis: Diagnosis) -> dict[str, Any]:
    """The JSON contract of one predicted photo."""
    return {
        "path": str(path),
        "label": diagnosis.label,
        "confidence": round(diagnosis.confidence, 4),
        "probabilities": {k: round(v, 4) for k, v in diagnosis.probabilities.items()},
    }


def combined_record(paths: Sequence[Path], combined: CombinedDiagnosis | None) -> dict[str, Any]:
    """The JSON line of ``predict --combine``: the answer for all the photos together."""
    record: dict[str, Any] = {"combined": [str(path) for path in paths]}
    if combined is None:
        return record | {"error": "No photo was accepted as a potato leaf."}
    return record | {
        "label": combined.label,
        "confidence": round(combined.confidence, 4),
        "probabilities": {k: round(v, 4) for k, v in combined.probabilities.items()},
        "photos_combined": combined.photos_combined,
        "photos_agreeing": combined.photos_agreeing,
        "photos_left_out": combined.photos_left_out,
        "confident_labels": list(combined.confident_labels),
        "photos_disagree": combined.photos_disagree,
    }


def print_record(record: dict[str, Any], as_json: bool, out: TextIO) -> None:
    """One line of ``predict``: the JSON object, or the answer in words."""
    if as_json:
        text = json.dumps(record)
    else:
        where = record.get("path") or (
            f"combined ({record.get('photos_combined', 0)} of {len(record['combined'])} photos)"
        )
        if "error" in record:
            text = f"{where}: ERROR {record['error']}"
        elif record.get("photos_disagree"):
            named = label_list(record["confident_labels"])
            text = f"{where}: NO ONE ANSWER, the photos confidently show {named}"
        else:
            text = f"{where}: {DISPLAY_NAMES[record['label']]} ({as_percent(record['confidence'])})"
    print(text, file=out, flush=True)


def predict(
    diagnoser: Diagnoser,
    paths: Sequence[Path],
    as_json: bool,
    out: TextIO,
    combined: bool = False,
) -> int:
    """Diagnose each photo and print a line for it, and with ``combined`` one more for
    all of them together; return the number of failures."""
    failures = 0
    by_content: dict[str, Diagnosis] = {}  # identical files count once when combined
    readable: list[Path] = []
    for path in expand_paths(paths):
        try:
            diagnosis = diagnoser.diagnose(imaging.load_image(path))
            record = prediction_record(path, diagnosis)
            if combined:
                by_content[history.file_sha256(path.read_bytes())] = diagnosis
            readable.append(path)
        except imaging.ImageError as error:
            failures += 1
            record = {"path": str(path), "error": str(error)}
        print_record(record, as_json, out)
    if combined:
        print_record(combined_record(readable, combine(list(by_content.values()))), as_json, out)
    return failures


def evaluate(diagnoser: Diagnoser, folder: Path, batch_size: int = 32) -> dict[str, Any]:
    """Metrics per source folder and overall, plus unreadable files and what was left out."""
    report: dict[str, Any] = {}
    all_truth: list[str] = []
    all_diagnoses: list[Diagnosis] = []
    unreadable: list[dict[str, str]] = []
    scan = scan_labelled_folder(folder)
    for source, photos in scan.sources.items():
        truth, diagnoses = [], []
        for start in range(0, len(photos), batch_size):
            images, labels = [], []
            for path, label in photos[start : start + batch_size]:
                try:
                    images.append(imaging.load_image(path))
                    labels.append(label)
                except imaging.ImageError as error:
                    unreadable.append({"path": str(path), "error": str(error)})
            diagnoses += diagnoser.diagnose_batch(images)
            truth += labels
        report[source] = evaluation.summarize_with_intervals(truth, diagnoses)
        all_truth += truth
        all_diagnoses += diagnoses
    if len(report) > 1:
        report["all"] = evaluation.summarize_with_intervals(all_truth, all_diagnoses)
    report["unreadable"] = unreadable
    report["left_out"] = scan.left_out()
    return report


def format_report(report: dict[str, Any]) -> str:
    """A short human-readable table of an evaluation report."""
    lines = []
    for source, metrics in report.items():
        if source in ("unreadable", "left_out"):
            continue
        parts = [f"{source}: {metrics['photos']} photos"]
        for key in (
            "accuracy",
            "macro_f1",
            "balanced_accuracy",
            "ece",
            "leaves_refused",
            "not_leaf_refused",
        ):
            if key in metrics:
                interval = metrics.get("intervals_95", {}).get(key)
                bounds = f" [{interval[0]:.3f}, {interval[1]:.3f}]" if interval else ""
                parts.append(f"{key}={metrics[key]:.4f}{bounds}")
        lines.append("  ".join(parts))
    if report["unreadable"]:
        lines.append(f"unreadable files: {len(report['unreadable'])}")
    for reason, paths in report["left_out"].items():
        shown = ", ".join(paths[:5]) + (f" and {len(paths) - 5} more" if len(paths) > 5 else "")
        lines.append(f"not scored, {reason.replace('_', ' ')}: {shown}")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    """Arguments of the commands."""
    parser = argparse.ArgumentParser(prog="python -m potato_disease", description=__doc__)
    parser.add_argument("--model-dir", type=Path, default=None, help="default: MODEL_DIR or model/")
    commands = parser.add_subparsers(dest="command", required=True)
    predict_parser = commands.add_parser("predict", help="diagnose photos")
    predict_parser.add_argument("paths", nargs="+", type=Path)
    predict_parser.add_argument("--json", action="store_true", help="one JSON object per line")
    predict_parser.add_argument(
        "--combine",
        action="store_true",
        help="a last line with one answer for all the photos: different leaves with the "
        "same symptoms, one plot",
    )
    evaluate_parser = commands.add_parser("evaluate", help="score a labelled folder")
    evaluate_parser.add_argument("folder", type=Path)
    evaluate_parser.add_argument("--json", action="store_true")
    export_parser = commands.add_parser(
        "export-reviewed", help="write the reviewed History cases as class folders"
    )
    export_parser.add_argument("folder", type=Path, help="a new or empty folder")
    export_parser.add_argument("--field", help="only the cases of this field")
    export_parser.add_argument(
        "--blind",
        action="store_true",
        help="only the cases reviewed blind, under the label given before the model's "
        "answer was seen (a test set that answer did not sway)",
    )
    export_parser.add_argument(
        "--basis",
        choices=history.REVIEW_BASES,
        help="only the cases whose review rests on this: the photo only, the plants seen "
        "in the field, or a lab test",
    )
    check_parser = commands.add_parser(
        "check", help="whether this server reaches the model, history, Gemini, weather, SNS"
    )
    check_parser.add_argument("--json", action="store_true")
    return parser


def check(settings: Settings, as_json: bool, out: TextIO) -> int:
    """Run the setup checks, print them, and return 0 when every required part works."""
    results = setup_check.run_checks(settings)
    if as_json:
        print(json.dumps(setup_check.as_json_ready(results), indent=2), file=out)
    else:
        for result in results:
            print(result.as_line(), file=out)
    return setup_check.exit_status(results)


def export_reviewed(
    settings: Settings,
    folder: Path,
    field_name: str | None,
    out: TextIO,
    blind: bool = False,
    basis: history.ReviewBasis | None = None,
) -> int:
    """Write the reviewed (or blind-reviewed) cases under ``folder``, of one field and
    review basis if given; return the exit status."""
    engine = make_engine(settings)
    try:
        init_db(engine)
        saved = history.summarize(engine, history.CaseFilter(field_name=field_name)).cases
        case_filter = history.CaseFilter(field_name=field_name, review_basis=basis)
        # A blind label outlives a cleared review: read every case for those.
        records = list(history.iter_cases(engine, case_filter, reviewed_only=not blind))
    except DatabaseError as error:
        print(
            f"error: the History database cannot be read ({type(error).__name__})",
            file=sys.stderr,
        )
        return 2
    finally:
        engine.dispose()
    counts = reviewed_photos.label_counts(records, blind)
    kind = "blind-reviewed" if blind else "reviewed"
    if not counts:
        where = f" of field {field_name!r}" if field_name else ""
        where += f" resting on {basis_name(basis)}" if basis else ""
        how = (
            "turn on Blind review on the Diagnose page and give your diagnosis first."
            if blind
            else "confirm or correct diagnoses on the History page first."
        )
        print(f"No {kind} cases{where} among {saved} saved: {how}", file=out)
        return 1
    try:
        written = reviewed_photos.write_folder(records, folder, blind)
    except (ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    summary = ", ".join(f"{label} {count}" for label, count in sorted(counts.items()))
    photos = "photo" if written == 1 else "photos"
    print(f"Wrote {written} {kind} {photos} to {folder} ({summary}).", file=out)
    print(f"Score the model on them: python -m potato_disease evaluate {folder}", file=out)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = build_parser().parse_args(argv)
    settings = get_settings()
    if args.command == "export-reviewed":
        return export_reviewed(
            settings, args.folder, args.field, sys.stdout, args.blind, args.basis
        )
    if args.command == "check":
        return check(settings, args.json, sys.stdout)
    try:
        diagnoser = Diagnoser(args.model_dir or settings.model_dir, settings.inference_threads)
    except ModelFilesError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.command == "predict":
        return 1 if predict(diagnoser, args.paths, args.json, sys.stdout, args.combine) else 0
    try:
        report = evaluate(diagnoser, args.folder)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(report, indent=2) if args.json else format_report(report))
    return 0
