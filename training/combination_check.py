"""Measure the combined answer for several photos of one plot on an exported model
again, without retraining (how the shipped model got its figures), and keep them in its
``metadata.json`` and model card. A full export measures them itself.

Usage: ``python -m training.combination_check [--model model] [--pack cache/photos.npz]``
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from potato_disease.diagnosis import Diagnoser
from potato_disease.model_files import METADATA
from training import export, model_card, train
from training.combined_photos import combination_report
from training.photo_pack import DEFAULT_PACK

log = logging.getLogger(__name__)


def main() -> None:
    """Measure the model directory given and keep the figures in its metadata and card."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=Path("model"))
    train.add_data_arguments(parser)
    parser.add_argument("--pack", type=Path, default=DEFAULT_PACK)
    parser.add_argument("--limit", type=int, default=0, help="that of the pack (smoke runs)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    metadata = json.loads((args.model / METADATA).read_text())
    records, photos = train.load_records_and_photos(
        args.data, args.limit, metadata["data"]["synthetic_not_leaf"], args.extra_data
    )
    _, validation, groups = train.pack_split(args.pack, records, photos)
    diagnoses = Diagnoser(args.model).diagnose_many([photos.images[i] for i in validation])
    metadata["combination"] = combination_report(
        photos.labels, photos.sources, groups, validation, diagnoses, metadata["training"]["seed"]
    )
    print(json.dumps(metadata["combination"], indent=1))
    export.write_metadata(args.model, metadata)
    written = json.loads((args.model / METADATA).read_text())  # in the file's key order
    (args.model / "README.md").write_text(model_card.render(written))
    log.info("Wrote the figures to %s and its model card", args.model)


if __name__ == "__main__":
    main()
