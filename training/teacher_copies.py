"""Half-size copies of earlier shipped networks, to teach a network on a GPU machine.

A GPU call carries at most 64 MiB, and each ``.keras`` model is 14 MB: this writes the
networks that ``model/potato_leaf.keras`` held at earlier commits as float16
``.weights.h5`` files (7 MB each), which ``training.finetune --teachers`` reads.

Usage::

    python -m training.teacher_copies gpu/teachers [stage1] [stage2]  # default: both
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from pathlib import Path

from potato_disease.model_files import KERAS_MODEL
from training.convert_backbone import half_precision_copy
from training.finetune import INPUT_SIZE, initial_model

ROOT = Path(__file__).resolve().parents[1]
# The networks shipped before the current one (docs/training-runs.md, session 6).
EARLIER_NETWORKS = {"stage1": "cdd2e85", "stage2": "4ed7cc7"}


def network_at(commit: str, target: Path) -> Path:
    """Write the ``.keras`` model committed at ``commit`` to ``target``."""
    saved = subprocess.run(
        ["git", "show", f"{commit}:model/{KERAS_MODEL}"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    target.write_bytes(saved)
    return target


def half_size_copy(model_path: Path, output: Path) -> Path:
    """The network of ``model_path`` as a float16 ``<output>.f16.weights.h5`` file."""
    full = output.with_name(output.name + ".weights.h5")
    initial_model(str(model_path), INPUT_SIZE, 0.0).save_weights(full)
    half = half_precision_copy(full)
    full.unlink()
    return half


def main() -> None:
    """Write the earlier networks' half-size copies into the given folder."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path)
    parser.add_argument(
        "networks", nargs="*", choices=sorted(EARLIER_NETWORKS), default=sorted(EARLIER_NETWORKS)
    )
    args = parser.parse_args()
    args.output.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        for name in args.networks:
            model = network_at(EARLIER_NETWORKS[name], Path(scratch) / f"{name}.keras")
            print(half_size_copy(model, args.output / name))


if __name__ == "__main__":
    main()
