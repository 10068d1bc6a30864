"""Speed and memory of the serving path on this machine; prints the figures.

Targets (issue #2, 2-core CPU): model p50 <= 15 ms for one photo, >= 100 photos/s
batched, first diagnosis of a new process <= 3 s, resident memory <= 400 MB.

Usage: ``python benchmarks/serving_speed.py [--model-dir model] [--repeats 200]``
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COLD_START = """
import resource, sys, time
start = time.perf_counter()
from pathlib import Path
from potato_disease.diagnosis import Diagnoser
diagnoser = Diagnoser(Path(sys.argv[1]))
diagnosis = diagnoser.diagnose_bytes(Path(sys.argv[2]).read_bytes())
print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def cold_start(model_dir: Path, photo: Path) -> tuple[float, float, float]:
    """Wall seconds from spawning Python to the first diagnosis, seconds inside it, peak MB."""
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", COLD_START, str(model_dir), str(photo)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    inside, peak_mb = result.stdout.strip().splitlines()[-1].split()
    return time.perf_counter() - started, float(inside), float(peak_mb)


def percentile_ms(samples: list[float], q: float) -> float:
    return 1000 * float(np.percentile(samples, q))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, default=ROOT / "model")
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args()

    from potato_disease.config import get_settings
    from potato_disease.diagnosis import Diagnoser
    from potato_disease.imaging import decode_image

    photos = sorted((get_settings().data_dir / "field-java" / "late_blight").glob("*"))[:64]
    if not photos:
        sys.exit("No photos found: set POTATO_DATA_DIR")
    cold = [cold_start(args.model_dir, photos[0]) for _ in range(3)]

    diagnoser = Diagnoser(args.model_dir)
    size = diagnoser.input_size
    images = [decode_image(p.read_bytes()) for p in photos]
    one = np.asarray(images[0].resize((size, size)), np.float32)[None]
    for _ in range(10):
        diagnoser.run(one)
    model_times = []
    for _ in range(args.repeats):
        started = time.perf_counter()
        diagnoser.run(one)
        model_times.append(time.perf_counter() - started)
    photo_bytes = photos[1].read_bytes()
    end_to_end = []
    for _ in range(args.repeats // 4):
        started = time.perf_counter()
        diagnoser.diagnose_bytes(photo_bytes)
        end_to_end.append(time.perf_counter() - started)
    heatmap_times = []
    for _ in range(args.repeats // 4):
        started = time.perf_counter()
        diagnoser.diagnose(images[2], with_heatmap=True)
        heatmap_times.append(time.perf_counter() - started)

    batch = np.stack([np.asarray(im.resize((size, size)), np.float32) for im in images])
    batch = batch[: args.batch]
    diagnoser.run(batch)
    rounds = 5
    started = time.perf_counter()
    for _ in range(rounds):
        diagnoser.run(batch)
    batched_model = rounds * len(batch) / (time.perf_counter() - started)
    started = time.perf_counter()
    diagnoser.diagnose_many(images, batch_size=args.batch)
    batched_full = len(images) / (time.perf_counter() - started)

    figures = {
        "input_size": size,
        "model_single_p50_ms": round(percentile_ms(model_times, 50), 2),
        "model_single_p90_ms": round(percentile_ms(model_times, 90), 2),
        "diagnose_bytes_p50_ms": round(percentile_ms(end_to_end, 50), 2),
        "diagnose_with_heatmap_p50_ms": round(percentile_ms(heatmap_times, 50), 2),
        f"model_batched_{len(batch)}_photos_per_s": round(batched_model, 1),
        "diagnose_many_photos_per_s": round(batched_full, 1),
        "cold_start_to_first_diagnosis_s": round(statistics.median(c[0] for c in cold), 2),
        "cold_start_inside_python_s": round(statistics.median(c[1] for c in cold), 2),
        "new_process_peak_resident_mb": round(statistics.median(c[2] for c in cold), 1),
        "benchmark_process_peak_resident_mb": round(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
        ),
    }
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
