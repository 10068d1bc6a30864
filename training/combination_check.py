"""Measure the combined answer for several photos of one plot on an exported model
again, without retraining (how the shipped model got its figures), and keep them in its
``metadata.json`` and model card. A full export measures them itself.

Usage: ``python -m training.combination_check [--model model] [--pack cache/photos.npz]``
"""

from __future__ import annotations

import json
import logging

from potato_disease.diagnosis import Diagnoser
from training import export, train
from training.combined_photos import combination_report

log = logging.getLogger(__name__)


def main() -> None:
    """Measure the model directory given and keep the figures in its metadata and card."""
    args = train.exported_model_command_line(__doc__.splitlines()[0])
    metadata, photos, _, validation, groups = train.read_exported_model(args)
    diagnoses = Diagnoser(args.model).diagnose_many([photos.images[i] for i in validation])
    metadata["combination"] = combination_report(
        photos.labels, photos.sources, groups, validation, diagnoses, metadata["training"]["seed"]
    )
    print(json.dumps(metadata["combination"], indent=1))
    export.write_metadata_and_card(args.model, metadata)
    log.info("Wrote the figures to %s and its model card", args.model)


if __name__ == "__main__":
    main()
