"""How long the History page takes on a large history, on this machine; prints the figures.

Fills a fresh SQLite history (in a temporary folder) with ``--cases`` cases: 40 fields,
two thirds located, a third reviewed, model answers drawn at random; then runs the page
(Streamlit's AppTest: the script as a browser session would run it, without the
browser's drawing) once cold and ``--runs`` times warm, and times the queries behind it.
The first run also loads the model (the review queue's photo counts come from it).
Weather is off: its requests wait on Open-Meteo, not on the app.

Usage: ``python benchmarks/history_page.py [--cases 5000] [--runs 5]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FIELDS = 40
BATCH = 500


def fill_history(app_data: Path, cases: int, seed: int = 0) -> None:
    """Save ``cases`` made-up cases into the SQLite history under ``app_data``."""
    from potato_disease import history
    from potato_disease.config import settings_from_env
    from potato_disease.database import init_db, make_engine
    from potato_disease.labels import DISEASE_LABELS

    rng = np.random.default_rng(seed)
    engine = make_engine(settings_from_env({}, app_data_dir=app_data))
    init_db(engine)
    start = datetime(2026, 6, 1, 7, tzinfo=UTC)
    photo = Image.new("RGB", (224, 224), (60, 130, 50))
    for first in range(0, cases, BATCH):
        batch = []
        for index in range(first, min(first + BATCH, cases)):
            shares = rng.dirichlet(np.full(len(DISEASE_LABELS), 0.3))
            probabilities = dict(zip(DISEASE_LABELS, shares.round(4).tolist(), strict=True))
            label = max(probabilities, key=probabilities.__getitem__)
            field = int(rng.integers(FIELDS))
            located = rng.random() < 2 / 3
            batch.append(
                history.NewCase.from_diagnosis(
                    _diagnosis(label, probabilities),
                    photo,
                    f"leaf-{index}.jpg",
                    field_name=f"Field {field}",
                    plot=f"P{int(rng.integers(1, 6))}",
                    latitude=-7.2 - field * 0.01 if located else None,
                    longitude=110.4 + field * 0.01 if located else None,
                    created_at=start + timedelta(minutes=37 * index),
                    confirmed_label=label if rng.random() < 1 / 3 else None,
                )
            )
        history.save_cases(engine, batch)
    engine.dispose()


def _diagnosis(label: str, probabilities: dict[str, float]) -> object:
    from potato_disease.diagnosis import Diagnosis

    return Diagnosis(label, probabilities[label], probabilities, is_leaf=True)


def timed(action: object, runs: int) -> list[float]:
    """Seconds of each of ``runs`` calls of ``action``."""
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        seconds.append(time.perf_counter() - started)
    return seconds


def main() -> None:
    """Fill a history, then time the page and its queries."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        app_data = Path(scratch)
        started = time.perf_counter()
        fill_history(app_data, args.cases)
        print(f"history of {args.cases} cases filled in {time.perf_counter() - started:.1f} s")
        os.environ["APP_DATA_DIR"] = str(app_data)
        os.environ["WEATHER_URL"] = ""  # no weather requests: their wait is the service's
        os.environ.pop("DATABASE_URL", None)

        from streamlit.testing.v1 import AppTest

        from potato_disease import history
        from potato_disease.config import get_settings, settings_from_env
        from potato_disease.database import make_engine
        from potato_disease.history_csv import cases_to_csv
        from potato_disease.reviewed_photos import to_zip

        get_settings.cache_clear()
        page = AppTest.from_file(str(ROOT / "pages" / "history.py"), default_timeout=120)
        (cold,) = timed(page.run, 1)
        if page.exception:
            sys.exit(f"the page failed: {page.exception[0].message}")
        warm = timed(page.run, args.runs)
        print(f"History page, first run (model loaded too): {cold:.2f} s")
        print(
            f"History page, warm runs: median {statistics.median(warm):.2f} s, "
            f"slowest {max(warm):.2f} s ({args.runs} runs)"
        )
        engine = make_engine(settings_from_env({}, app_data_dir=app_data))
        everything = history.CaseFilter()
        for name, query in (
            ("list_cases (newest 500)", lambda: history.list_cases(engine, everything)),
            ("unreviewed_cases (all)", lambda: history.unreviewed_cases(engine, everything)),
            ("reviewed_label_counts", lambda: history.reviewed_label_counts(engine)),
            ("summarize (all)", lambda: history.summarize(engine, everything)),
            (
                "agreement's reviewed cases (all, no photos)",
                lambda: list(
                    history.iter_cases(
                        engine, everything, reviewed_only=True, with_thumbnails=False
                    )
                ),
            ),
            (
                "CSV download (all)",
                lambda: cases_to_csv(history.iter_cases(engine, everything, with_thumbnails=False)),
            ),
            (
                "ZIP download (all reviewed)",
                lambda: to_zip(history.iter_cases(engine, everything, reviewed_only=True)),
            ),
        ):
            print(f"  {name}: median {statistics.median(timed(query, args.runs)) * 1000:.0f} ms")
        engine.dispose()


if __name__ == "__main__":
    main()
