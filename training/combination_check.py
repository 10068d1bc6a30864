"""Measure the combined answer for several photos of one plot on an exported model
again, without retraining (how the shipped model got its figures), and keep them in its
``metadata.json`` and model card. A full export measures them itself.

Usage: ``python -m training.combination_check [--model model] [--pack cache/photos.npz]``
"""

from __future__ import annotations

import argparse
import json
import logging

from potato_disease.diagnosis import Diagnoser
from potato_disease.model_files import METADATA
from training import export, train
from training.combined_photos import combination_report

log = logging.getLogger(__name__)


def main() -> None:
    """Measure the model directory given and keep the figures in its metadata and card."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    train.add_exported_model_arguments(parser)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    metadata = json.loads((args.model / METADATA).read_text())
    photos, _, validation, groups = train.exported_model_photos(
        metadata, args.data, args.pack, args.limit, args.extra_data
    )
    diagnoses = Diagnoser(args.model).diagnose_many([photos.images[i] for i in validation])
    metadata["combination"] = combination_report(
        photos.labels, photos.sources, groups, validation, diagnoses, metadata["training"]["seed"]
    )
    print(json.dumps(metadata["combination"], indent=1))
    export.write_metadata_and_card(args.model, metadata)
    log.info("Wrote the figures to %s and its model card", args.model)


if __name__ == "__main__":
    main()
