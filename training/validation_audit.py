"""How far the field validation figures can be trusted, measured on an exported model and
kept in its ``metadata.json`` and model card.

Two checks. Same scene: validation field photos of a plant that a training photo also
shows (:mod:`training.same_scene`) are answered from memory, so the figures are also
given without them. By answer: how often each answer the model gave was right, against
the mean confidence it gave it with (the overall ECE can hide one answer that is too
sure of itself).

Usage: ``python -m training.validation_audit [--model model] [--pack cache/photos.npz]``
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from typing import Any

import numpy as np

from potato_disease import evaluation
from potato_disease.config import PROJECT_ROOT
from potato_disease.diagnosis import Diagnoser, Diagnosis
from potato_disease.imaging import to_model_input
from potato_disease.labels import MODEL_CLASSES
from training import export, same_scene, train
from training.combined_photos import FIELD_SOURCE
from training.provenance import provenance

log = logging.getLogger(__name__)


def candidate_descriptors(
    photos: train.Photos, indices: np.ndarray, diagnoser: Diagnoser
) -> list[np.ndarray]:
    """The served network's final feature map of the photos at ``indices``, pooled whole
    and over a 3 x 3 grid (the grid keeps the layout of a scene), in full-length arrays
    (other rows zero). They only choose which pairs the geometric test tries."""
    pooled, grid = [], []
    for chunk in np.array_split(indices, max(1, len(indices) // 32)):
        pixels = np.stack([to_model_input(photos.images[i], diagnoser.input_size) for i in chunk])
        maps = diagnoser.run(pixels).feature_maps.astype(np.float32)
        _, height, width, _ = maps.shape
        cells = [
            maps[:, r * height // 3 : (r + 1) * height // 3, c * width // 3 : (c + 1) * width // 3]
            for r in range(3)
            for c in range(3)
        ]
        pooled.append(maps.mean(axis=(1, 2)))
        grid.append(np.concatenate([cell.mean(axis=(1, 2)) for cell in cells], axis=1))
    full = []
    for descriptor in (np.concatenate(pooled), np.concatenate(grid)):
        array = np.zeros((len(photos.images), descriptor.shape[1]), np.float32)
        array[indices] = descriptor
        full.append(array)
    return full


CHAINED_GROUP = 10  # photos: more than bursts of one plant make


def chained_groups(
    photos: train.Photos, validation: np.ndarray, groups: np.ndarray
) -> list[dict[str, Any]]:
    """Near-duplicate groups of real photos larger than a burst: links of similar photos
    can chain a whole class into one group, which then falls wholly on one side."""
    in_validation = np.zeros(len(groups), bool)
    in_validation[validation] = True
    real = np.array([source != train.SYNTHETIC_SOURCE for source in photos.sources])
    strata = photos.strata
    found = []
    for group, size in Counter(groups[real].tolist()).most_common():
        if size < CHAINED_GROUP:
            break
        members = np.flatnonzero(groups == group)
        found.append(
            {
                "photos": int(size),
                "side": "validation" if in_validation[members].all() else "training",
                "by_source_and_label": dict(Counter(strata[i] for i in members).most_common()),
            }
        )
    return found


def audit(
    photos: train.Photos,
    train_indices: np.ndarray,
    validation: np.ndarray,
    groups: np.ndarray,
    diagnoser: Diagnoser,
    diagnoses: list[Diagnosis],
) -> dict[str, Any]:
    """The figures of :mod:`training.validation_audit` (``diagnoses`` are of ``validation``)."""
    field_train = np.array([i for i in train_indices if photos.sources[i] == FIELD_SOURCE], int)
    field_rows = [n for n, i in enumerate(validation) if photos.sources[i] == FIELD_SOURCE]
    field_validation = validation[field_rows]
    descriptors = candidate_descriptors(
        photos, np.concatenate([field_validation, field_train]), diagnoser
    )
    inliers, _ = same_scene.same_scene_mates(
        photos.images, descriptors, field_validation, field_train
    )
    mated = inliers >= same_scene.MIN_INLIERS
    truth = [MODEL_CLASSES[photos.labels[i]] for i in field_validation]
    answers = [diagnoses[n] for n in field_rows]

    def figures(keep: np.ndarray) -> dict[str, Any]:
        rows = np.flatnonzero(keep)
        return evaluation.summarize_with_intervals(
            [truth[r] for r in rows],
            [answers[r] for r in rows],
            [groups[field_validation[r]] for r in rows],
        )

    return {
        "criterion": {
            "orb_keypoints": same_scene.KEYPOINTS,
            "min_inliers": same_scene.MIN_INLIERS,
            "candidates_per_descriptor": same_scene.CANDIDATES,
        },
        "field_validation_photos": len(field_validation),
        "with_a_same_scene_training_photo": int(mated.sum()),
        "with_a_same_scene_training_photo_by_label": dict(
            sorted(Counter(t for t, m in zip(truth, mated) if m).items())
        ),
        "field_without_same_scene_photos": figures(~mated) if not mated.all() else None,
        "field_with_same_scene_photos": figures(mated) if mated.any() else None,
        "field_by_answer": evaluation.reliability_by_answer(truth, answers),
        "chained_groups": chained_groups(photos, validation, groups),
    }


def main() -> None:
    """Audit the model directory given and keep the figures in its metadata and card."""
    args = train.exported_model_command_line(__doc__.splitlines()[0])
    metadata, photos, train_indices, validation, groups = train.read_exported_model(args)
    diagnoser = Diagnoser(args.model)
    diagnoses = diagnoser.diagnose_many([photos.images[i] for i in validation])
    metadata["validation_audit"] = audit(
        photos, train_indices, validation, groups, diagnoser, diagnoses
    )
    records = train.index_dataset(args.data, args.extra_data)
    records = train.limit_per_class(records, args.limit) if args.limit else records
    metadata["validation_audit"]["provenance"] = provenance(
        [record.path for record in records], PROJECT_ROOT
    )
    print(json.dumps(metadata["validation_audit"], indent=1))
    export.write_metadata_and_card(args.model, metadata)
    log.info("Wrote the figures to %s and its model card", args.model)


if __name__ == "__main__":
    main()
