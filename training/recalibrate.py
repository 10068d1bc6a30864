"""Refit what an exported model fits after its network: the distance rule (on the
training leaves and their views), the temperature and the refusal threshold (on the
validation leaves); then measure it again. The network and its ``not_leaf`` column stay
as they are.

How the shipped model took up changes of the calibration method, the refusal rate and
the distance rule's views without a new training run; a full export
(:mod:`training.train`) fits them the same way.

Usage: ``python -m training.recalibrate [--model model] [--pack cache/photos.npz]``
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path

from potato_disease.diagnosis import Diagnoser
from potato_disease.labels import MODEL_CLASSES, NOT_LEAF
from potato_disease.model_files import METADATA
from training import export, train

log = logging.getLogger(__name__)


def recalibrate(
    model_dir: Path,
    data_dir: Path,
    pack: Path,
    limit: int = 0,
    extra_dirs: Sequence[Path] = (),
) -> dict:
    """Refit the temperature and the refusal threshold in ``model_dir`` on the pack's
    validation leaves, re-measure what depends on them, and rewrite ``metadata.json``
    and the model card.

    ``limit`` and ``extra_dirs`` are those of the pack (photos per class, for smoke runs,
    0 = all; extra folders of labelled photos).
    """
    metadata = json.loads((model_dir / METADATA).read_text())
    seed = metadata["training"]["seed"]
    photos, training, validation, groups = train.exported_model_photos(
        metadata, data_dir, pack, limit, extra_dirs
    )
    is_leaf = photos.labels != MODEL_CLASSES.index(NOT_LEAF)
    train_leaf, leaf = training[is_leaf[training]], validation[is_leaf[validation]]
    diagnoser = Diagnoser(model_dir)
    logits, pooled = export.serving_outputs(diagnoser, photos.images)
    temperature, cross_fitted, fitted_on = export.calibrate(
        diagnoser, photos, leaf, groups, logits[leaf], train.CALIBRATION_VIEWS, seed
    )
    log.info("Temperature %.3f -> %.3f", metadata["calibration"]["temperature"], temperature)
    metadata["calibration"] |= {"temperature": temperature, "fitted_on": fitted_on}

    rejection = metadata["rejection"]
    leaf_views = export.leaf_features_with_views(
        diagnoser, photos, train_leaf, pooled, train.OOD_VIEWS, seed
    )
    projection, centres = export.fit_distance_rule(
        diagnoser,
        photos,
        train_leaf,
        leaf_views,
        train.DEGRADED_OOD_VIEWS,
        seed,
        rejection["ood_components"],
    )
    threshold = export.write_distance_rule(
        model_dir,
        diagnoser.files.classifier_kernel,
        projection,
        centres,
        pooled[leaf],
        train.LEAF_REFUSAL_RATE,
    )
    log.info("OOD threshold %.1f -> %.1f", rejection["ood_threshold"], threshold)
    rejection |= {
        "ood_threshold": threshold,
        "ood_fitted_on": export.distance_rule_fitted_on(
            len(train_leaf), train.OOD_VIEWS, train.DEGRADED_OOD_VIEWS
        ),
        "leaf_refusal_rate": train.LEAF_REFUSAL_RATE,
    }
    export.write_metadata(model_dir, metadata)

    agreement = metadata["validation"]["keras_litert_top1_agreement"]  # same network
    metadata |= export.measure(Diagnoser(model_dir), photos, validation, groups, seed)
    metadata["validation"]["keras_litert_top1_agreement"] = agreement
    export.add_cross_fitted_ece(metadata["validation"], cross_fitted)
    return export.write_metadata_and_card(model_dir, metadata)


def main() -> None:
    """Recalibrate the model directory given on the command line."""
    args = train.exported_model_command_line(
        "Refit the distance rule, temperature and threshold of an exported model."
    )
    metadata = recalibrate(args.model, args.data, args.pack, args.limit, args.extra_data)
    log.info("Validation: %s", json.dumps(metadata["validation"]["all"], indent=1)[:2000])


if __name__ == "__main__":
    main()
