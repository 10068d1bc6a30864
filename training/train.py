"""Train the potato leaf diagnosis model, reproducibly, on two CPU cores.

Method
------
1. Index PlantVillage, the Central Java field photos and the tubers, and add
   procedural non-leaf pictures (``training.synthetic``) to the ``not_leaf`` class.
2. Split 80/20, stratified by source and label, with near-duplicate photos grouped.
3. Run the frozen ImageNet EfficientNet-Lite0 blocks once over a clean view and
   ``AUGMENTED_VIEWS`` field-like augmented views of every photo (LiteRT, cached).
4. Fine-tune the last MBConv block, the head convolution and a linear classifier on
   those activations, every (source, label) pair weighted equally.
5. Refit the ``not_leaf`` column of the classifier on real non-leaf pictures
   (``training.artwork``, where installed; ``training.not_leaf_head``).
6. Fit a temperature on validation leaves and a Mahalanobis out-of-distribution score
   on training leaves, each on clean photos and field-like augmented views of them (the
   score also on strongly degraded views), and the score's threshold on clean
   validation leaves; export Keras (source of truth) and
   LiteRT (serving) models, and evaluate the export.

Stage 2 (:mod:`training.finetune`, on a GPU) fine-tunes every layer from this
result; ``--finetuned`` then skips steps 3-4 and runs steps 5-6 on its weights, with the
split it was trained on (stored in the photo pack of :mod:`training.photo_pack`).

Usage: ``python -m training.train [--data DIR] [--extra-data DIR] [--output model]
[--epochs N]``, or
``python -m training.train --finetuned cache/finetuned/potato_leaf.weights.h5``.
``--serve-size`` exports the fine-tuned weights at another input size (convolutions
do not depend on it).
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np
from PIL import Image

from potato_disease.config import PROJECT_ROOT, get_settings
from potato_disease.labels import MODEL_CLASSES, NOT_LEAF
from potato_disease.model_files import METADATA
from training import artwork, augment, export, features, finetune, split, synthetic
from training.convert_backbone import DEFAULT_OUTPUT as BACKBONE_DIR
from training.convert_backbone import WEIGHTS_FILE
from training.dataset import Record, count_by, index_dataset, sample_weights
from training.efficientnet_lite import HEAD_FILTERS, LITE0, VARIANTS
from training.model import (
    build_diagnosis_model,
    build_trainable_top,
    copy_weights_by_name,
    load_imagenet_backbone,
)
from training.photo_pack import DEFAULT_PACK, load_split
from training.provenance import provenance

log = logging.getLogger("training")

SEED = 20261127
INPUT_SIZE = 192  # 224 misses the 15 ms / photo target on 2 cores; 160 loses lesion detail
SPLIT_BLOCK = 15  # blocks 0-14 frozen; block 15, the head conv and the classifier train
AUGMENTED_VIEWS = 5  # per photo, on top of the clean view
SYNTHETIC_NOT_LEAF = 350
SYNTHETIC_SOURCE = "synthetic"  # the procedural non-leaf pictures' source name
EPOCHS = 6  # training accuracy reaches 100% by epoch 7 of 12: stop earlier
BATCH_SIZE = 64
LEARNING_RATE = 1e-3
WEIGHT_DECAY = 2e-2
DROPOUT_RATE = 0.4
LABEL_SMOOTHING = 0.1  # field labels are noisy ("Fungi" is mostly, not only, early blight)
OOD_COMPONENTS = HEAD_FILTERS  # every direction of the pooled features (shrunk covariance)
OOD_VIEWS = 4  # augmented views of each training leaf the distance rule is fitted on
DEGRADED_OOD_VIEWS = 2  # and strongly degraded views (blur, low resolution, JPEG)
CALIBRATION_VIEWS = 3  # augmented views of each validation leaf the temperature is fitted on
# The OOD threshold refuses this share of validation leaves (all of them field photos):
# 1.25 % refuses the same held-out non-leaf pictures as 1.5 % did, and fewer field leaves.
LEAF_REFUSAL_RATE = 0.0125
STAGE1_DIR = Path("cache") / "stage1"


@dataclass
class Photos:
    """Every training photo in memory, with label index, source and stratum."""

    images: list[Image.Image]
    labels: np.ndarray
    sources: list[str]

    @property
    def strata(self) -> list[str]:
        return [f"{s}/{MODEL_CLASSES[y]}" for s, y in zip(self.sources, self.labels)]


def load_photos(records: list[Record], synthetic_count: int, seed: int) -> Photos:
    """Decode every record and append the procedural non-leaf pictures."""
    images = [Image.open(r.path).convert("RGB") for r in records]
    labels = [MODEL_CLASSES.index(r.label) for r in records]
    sources = [r.source for r in records]
    generated = synthetic.synthetic_images(synthetic_count, 224, seed)
    images += generated
    labels += [MODEL_CLASSES.index(NOT_LEAF)] * len(generated)
    sources += [SYNTHETIC_SOURCE] * len(generated)
    return Photos(images, np.array(labels), sources)


def cache_activations(
    photos: Photos,
    model: keras.Model,
    views: int,
    cache_path: Path,
    seed: int,
    split_block: int = SPLIT_BLOCK,
) -> np.ndarray:
    """Frozen-block activations, shape (views + 1, photos, h, w, c), cached on disk."""

    def compute() -> dict[str, np.ndarray]:
        runner = features.BatchRunner(features.to_litert(features.lower_model(model, split_block)))
        outputs = []
        for view in features.iterate_views(views):
            log.info("Extracting view %d of %d", view, views)
            rng = np.random.default_rng([seed, view])
            transform = None if view == 0 else _augmenter(rng)
            outputs.append(features.extract(photos.images, runner, INPUT_SIZE, transform))
        return {"activations": np.stack(outputs)}

    return features.cached(cache_path, compute)["activations"]


def _augmenter(rng: np.random.Generator) -> Callable[[Image.Image, int], Image.Image]:
    return lambda image, size: augment.augment(image, size, rng)


def train_top(
    activations: np.ndarray,
    photos: Photos,
    train: np.ndarray,
    model: keras.Model,
    epochs: int,
    seed: int,
    split_block: int = SPLIT_BLOCK,
) -> keras.Model:
    """Fine-tune the top of the network (blocks from ``split_block`` on) on cached
    activations of the training photos."""
    keras.utils.set_random_seed(seed)
    top = build_trainable_top(INPUT_SIZE, split_block, DROPOUT_RATE)
    copy_weights_by_name(model, top)
    views = activations.shape[0]
    inputs = activations[:, train].reshape(-1, *activations.shape[2:])
    targets = keras.utils.to_categorical(np.tile(photos.labels[train], views), len(MODEL_CLASSES))
    weights = np.tile(sample_weights([photos.strata[i] for i in train]), views)
    steps = epochs * int(np.ceil(len(inputs) / BATCH_SIZE))
    schedule = keras.optimizers.schedules.CosineDecay(LEARNING_RATE, steps)
    top.compile(
        optimizer=keras.optimizers.AdamW(schedule, weight_decay=WEIGHT_DECAY),
        loss=keras.losses.CategoricalCrossentropy(
            from_logits=True, label_smoothing=LABEL_SMOOTHING
        ),
        weighted_metrics=["accuracy"],
    )
    top.fit(
        inputs.astype(np.float32),
        targets,
        sample_weight=weights,
        batch_size=BATCH_SIZE,
        epochs=epochs,
        shuffle=True,
        verbose=2,
    )
    copy_weights_by_name(top, model)
    return top


def add_data_arguments(parser: argparse.ArgumentParser) -> None:
    """``--data`` and ``--extra-data``: where the training photos are."""
    parser.add_argument("--data", type=Path, default=get_settings().data_dir)
    parser.add_argument(
        "--extra-data",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help="more labelled photos in class folders, e.g. the reviewed photos the app "
        "exports (python -m potato_disease export-reviewed); repeatable",
    )


def add_exported_model_arguments(parser: argparse.ArgumentParser) -> None:
    """``--model``, the data folders, ``--pack`` and ``--limit``: what measuring an
    exported model again reads (:func:`exported_model_photos`)."""
    parser.add_argument("--model", type=Path, default=Path("model"))
    add_data_arguments(parser)
    parser.add_argument("--pack", type=Path, default=DEFAULT_PACK)
    parser.add_argument("--limit", type=int, default=0, help="that of the pack (smoke runs)")


def exported_model_command_line(description: str) -> argparse.Namespace:
    """The arguments of a script that measures an exported model again
    (:func:`add_exported_model_arguments`), with logging started."""
    parser = argparse.ArgumentParser(description=description)
    add_exported_model_arguments(parser)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    return args


def read_exported_model(
    args: argparse.Namespace,
) -> tuple[dict[str, Any], Photos, np.ndarray, np.ndarray, np.ndarray]:
    """The metadata and photos of the exported model that ``args`` name, with its pack's
    split of them: metadata, photos, train, validation, groups."""
    metadata = json.loads((args.model / METADATA).read_text())
    split_photos = exported_model_photos(
        metadata, args.data, args.pack, args.limit, args.extra_data
    )
    return (metadata, *split_photos)


def exported_model_photos(
    metadata: dict[str, Any],
    data_dir: Path,
    pack: Path,
    limit: int = 0,
    extra_dirs: Sequence[Path] = (),
) -> tuple[Photos, np.ndarray, np.ndarray, np.ndarray]:
    """The photos of an exported model (``metadata`` is its metadata) and its pack's
    split of them: photos, train, validation, groups."""
    records, photos = load_records_and_photos(
        data_dir, limit, metadata["data"]["synthetic_not_leaf"], extra_dirs
    )
    return (photos, *pack_split(pack, records, photos))


def load_records_and_photos(
    data_dir: Path, limit: int, synthetic_count: int, extra_dirs: Sequence[Path] = ()
) -> tuple[list[Record], Photos]:
    """Index the data folder and any extra ones (optionally ``limit`` photos per class)
    and decode it all."""
    records = index_dataset(data_dir, extra_dirs)
    if limit:
        records = limit_per_class(records, limit)
    photos = load_photos(records, synthetic_count, SEED)
    log.info("Photos: %s, synthetic not_leaf: %d", count_by(records), synthetic_count)
    return records, photos


def photo_ids(records: list[Record], photos: Photos) -> list[str]:
    """A stable name per photo: its path under the data folder, or ``synthetic/<n>``."""
    names = [f"{r.source}/{r.path.parent.name}/{r.path.name}" for r in records]
    return names + [f"synthetic/{k}" for k in range(len(photos.labels) - len(records))]


def split_from_descriptors(
    descriptors: np.ndarray, photos: Photos
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Train and validation indices, near-duplicates grouped; and the group ids."""
    groups = split.near_duplicate_groups(descriptors)
    train, validation = split.grouped_split(photos.strata, groups, SEED)
    log.info(
        "Near-duplicate groups: %d for %d photos (largest %d); train %d, validation %d",
        groups.max() + 1,
        len(groups),
        np.bincount(groups).max(),
        len(train),
        len(validation),
    )
    return train, validation, groups


def clean_view_descriptors(photos: Photos, model: keras.Model) -> np.ndarray:
    """Pooled frozen-block activations of each photo's clean view (what the split uses)."""
    runner = features.BatchRunner(features.to_litert(features.lower_model(model, SPLIT_BLOCK)))
    return features.extract(photos.images, runner, INPUT_SIZE).astype(np.float32).mean(axis=(1, 2))


def starting_model(pretrained: bool) -> keras.Model:
    """The network stage 1 starts from: ImageNet backbone, or random for tests."""
    model = build_diagnosis_model(INPUT_SIZE, DROPOUT_RATE)
    if pretrained:
        load_imagenet_backbone(model, BACKBONE_DIR / WEIGHTS_FILE)
    return model


def split_photos(photos: Photos, pretrained: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The grouped split of :func:`main` (train, validation, groups), without caching
    augmented views."""
    model = starting_model(pretrained)
    return split_from_descriptors(clean_view_descriptors(photos, model), photos)


def main() -> None:
    """Train, export and evaluate the model from the command line."""
    parser = argparse.ArgumentParser(description="Train the potato leaf diagnosis model.")
    add_data_arguments(parser)
    parser.add_argument("--output", type=Path, default=Path("model"))
    parser.add_argument("--cache", type=Path, default=Path("cache"))
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--views", type=int, default=AUGMENTED_VIEWS)
    parser.add_argument(
        "--split-block",
        type=int,
        default=SPLIT_BLOCK,
        help="stage 1 trains the blocks from this one on (the ones before stay frozen)",
    )
    parser.add_argument("--synthetic", type=int, default=SYNTHETIC_NOT_LEAF)
    parser.add_argument("--limit", type=int, default=0, help="use N photos per class (smoke runs)")
    parser.add_argument(
        "--no-pretrained", action="store_true", help="random backbone (tests without torch)"
    )
    parser.add_argument(
        "--finetuned",
        type=Path,
        help="skip training: export these fully fine-tuned weights (training.finetune) "
        "with the split stored in --pack",
    )
    parser.add_argument("--pack", type=Path, default=DEFAULT_PACK)
    parser.add_argument(
        "--no-artwork",
        action="store_true",
        help="do not refit not_leaf on the Debian artwork pictures (training.artwork)",
    )
    parser.add_argument(
        "--serve-size",
        type=int,
        default=INPUT_SIZE,
        help="with --finetuned: input size to export at",
    )
    parser.add_argument(
        "--stage1",
        type=Path,
        default=STAGE1_DIR,
        help="with --finetuned: the stage-1 model directory, whose training record is kept",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    started = time.time()
    keras.utils.set_random_seed(SEED)

    records, photos = load_records_and_photos(
        args.data, args.limit, args.synthetic, args.extra_data
    )
    if args.finetuned:
        model, train, validation, groups, stage = load_finetuned(
            args.finetuned, args.pack, records, photos, args.serve_size
        )
        stage1_metadata = json.loads((args.stage1 / METADATA).read_text())
        training = stage1_metadata["training"] | {"full_fine_tuning": stage}
    else:
        model, train, validation, groups = train_frozen_lower(photos, args)
        training = {
            "seed": SEED,
            "input_size": model.input_shape[1],
            "frozen_blocks": args.split_block,
            "augmented_views": args.views,
            "epochs": args.epochs,
            "batch_size": BATCH_SIZE,
            "learning_rate": LEARNING_RATE,
            "weight_decay": WEIGHT_DECAY,
            "dropout_rate": DROPOUT_RATE,
            "label_smoothing": LABEL_SMOOTHING,
            "pretrained": not args.no_pretrained,
            "seconds": round(time.time() - started, 1),
        }
    not_leaf_pictures = [] if args.no_artwork else artwork.training_pictures(SEED)
    if not not_leaf_pictures and not args.no_artwork:
        log.warning(
            "Debian artwork packages missing: not_leaf keeps what it learned from tubers "
            "and procedural pictures (apt-get install %s)",
            " ".join(artwork.DEBIAN_PACKAGES),
        )
    report = export.finish(
        model=model,
        photos=photos,
        train=train,
        validation=validation,
        groups=groups,
        output=args.output,
        seed=SEED,
        ood_components=OOD_COMPONENTS,
        ood_views=OOD_VIEWS,
        degraded_views=DEGRADED_OOD_VIEWS,
        leaf_refusal_rate=LEAF_REFUSAL_RATE,
        not_leaf_pictures=not_leaf_pictures,
        calibration_views=CALIBRATION_VIEWS,
    )
    report["data"] = {
        "counts": count_by(records),
        "synthetic_not_leaf": args.synthetic,
        "artwork_not_leaf": len(not_leaf_pictures),
        "train_photos": len(train),
        "validation_photos": len(validation),
        "near_duplicate_groups": int(groups.max() + 1),
    }
    report["provenance"] = provenance([record.path for record in records], PROJECT_ROOT)
    report["training"] = training
    report["export_seconds"] = round(time.time() - started, 1)
    export.write_metadata(args.output, report)
    log.info(
        "Done in %.0f s: %s", time.time() - started, json.dumps(report["validation"], indent=1)
    )


def train_frozen_lower(
    photos: Photos, args: argparse.Namespace
) -> tuple[keras.Model, np.ndarray, np.ndarray, np.ndarray]:
    """Stage 1: cache the frozen blocks' activations, split, train the top on them."""
    model, activations, train, validation, groups = activations_and_split(
        photos, args.views, args.cache, not args.no_pretrained, args.split_block
    )
    train_top(activations, photos, train, model, args.epochs, SEED, args.split_block)
    return model, train, validation, groups


def activations_and_split(
    photos: Photos, views: int, cache_dir: Path, pretrained: bool, split_block: int = SPLIT_BLOCK
) -> tuple[keras.Model, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The stage-1 starting model, the activations of every view at the input of block
    ``split_block`` (cached in ``cache_dir``), and the split (train, validation, groups),
    which always comes from the activations at ``SPLIT_BLOCK``."""
    model = starting_model(pretrained)

    def activations_at(block: int, view_count: int) -> np.ndarray:
        tag = f"{INPUT_SIZE}px_b{block}_v{view_count}_n{len(photos.images)}"
        tag += "" if pretrained else "_random"
        path = cache_dir / f"activations_{tag}.npz"
        return cache_activations(photos, model, view_count, path, SEED, block)

    activations = activations_at(split_block, views)
    clean = activations[0] if split_block == SPLIT_BLOCK else activations_at(SPLIT_BLOCK, 0)[0]
    descriptors = clean.astype(np.float32).mean(axis=(1, 2))
    train, validation, groups = split_from_descriptors(descriptors, photos)
    return model, activations, train, validation, groups


def load_finetuned(
    weights: Path,
    pack_path: Path,
    records: list[Record],
    photos: Photos,
    serve_size: int,
) -> tuple[keras.Model, np.ndarray, np.ndarray, np.ndarray, dict]:
    """Stage 2 result: the fine-tuned network, the split it was trained with and the
    near-duplicate groups, and the fine-tuning record."""
    train, validation, groups = pack_split(pack_path, records, photos)
    stage = json.loads(weights.with_name(finetune.record_name(weights)).read_text())
    # Convolutions do not depend on the input size: the same weights serve at any size.
    variant = VARIANTS[stage.get("variant", LITE0.name)]
    model = build_diagnosis_model(serve_size, stage["dropout_rate"], variant)
    model.load_weights(weights)
    return model, train, validation, groups, stage


def pack_split(
    pack_path: Path, records: list[Record], photos: Photos
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The split stored in a photo pack (train, validation, groups), checked against the
    photos decoded here."""
    paths, validation, groups = load_split(pack_path)
    if list(paths) != photo_ids(records, photos):
        raise ValueError(f"{pack_path} was packed from other photos than the {len(records)} here")
    return np.flatnonzero(~validation), np.flatnonzero(validation), groups


def limit_per_class(records: list[Record], limit: int) -> list[Record]:
    """The first ``limit`` records of each (source, label), for smoke runs."""
    kept: dict[tuple[str, str], int] = {}
    chosen = []
    for record in records:
        key = (record.source, record.label)
        if kept.get(key, 0) < limit:
            kept[key] = kept.get(key, 0) + 1
            chosen.append(record)
    return chosen


if __name__ == "__main__":
    main()
