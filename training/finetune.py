"""Stage 2: fine-tune the whole network on pixels, with fresh field-like views each epoch.

Stage 1 (:mod:`training.train`) trains only the top of the network on cached frozen
activations, which two CPU cores can do. This stage starts from that model (linear-
probe-then-fine-tune, Kumar et al. 2022: fine-tuning from a fitted head distorts the
pretrained features less, which helps on unseen farms and cameras) and trains every
layer with a low learning rate on new augmented views of every photo each epoch.
A share of the PlantVillage views first has its leaf cut off the lab board and set on
a field background (:mod:`training.leaf_cutout`), so the lab classes are learnt from
the leaf, not the board.

It is plain Keras 3, so it runs on any backend: on a GPU machine with
``KERAS_BACKEND=jax`` it takes minutes; on two CPU cores, hours. Augmentation runs in
worker processes while the accelerator trains. Photos come from a pack written by
:mod:`training.photo_pack`, which also fixes the validation split.

Usage::

    KERAS_BACKEND=jax python -m training.finetune --pack cache/photos.npz \\
        --init cache/stage1/potato_leaf.keras --output cache/finetuned/potato_leaf

writes ``potato_leaf.weights.h5`` and ``potato_leaf.json`` (settings and the
per-epoch validation accuracy); ``python -m training.train --finetuned
cache/finetuned/potato_leaf.weights.h5`` then calibrates, exports and evaluates.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import time
from multiprocessing.pool import AsyncResult
from pathlib import Path
from typing import Any

import keras
import numpy as np
from PIL import Image

from potato_disease.imaging import center_square
from potato_disease.labels import MODEL_CLASSES
from potato_disease.model_files import METADATA
from training import augment, leaf_cutout
from training.convert_backbone import DEFAULT_OUTPUT as BACKBONE_DIR
from training.convert_backbone import weights_file
from training.dataset import sample_weights
from training.efficientnet_lite import LITE0, VARIANTS, Variant
from training.model import (
    CLASSIFIER,
    build_diagnosis_model,
    copy_weights_by_name,
    load_imagenet_backbone,
)
from training.photo_pack import PhotoPack, load_pack

log = logging.getLogger("training.finetune")

SEED = 20261127
INPUT_SIZE = 192
EPOCHS = 30
BATCH_SIZE = 64
LEARNING_RATE = 3e-4
WARMUP_EPOCHS = 1
WEIGHT_DECAY = 2e-2
DROPOUT_RATE = 0.4
LABEL_SMOOTHING = 0.1
WEIGHTS_SUFFIX = ".weights.h5"
TASK_SIZE = 64  # photos per augmentation task handed to a worker
IMAGENET = "imagenet"  # --init value: the ImageNet backbone plus a fitted linear probe
PROBE_EPOCHS = 100
PROBE_LEARNING_RATE = 1e-3
CUTOUT_SHARE = 0.5  # of PlantVillage training views, set on a field background
TEACHER_WEIGHT = 0.7  # with --teachers: share of the target that is the teachers' answer

_worker_images: list[Image.Image] = []
_worker_cutouts: leaf_cutout.Cutouts | None = None


def _load_worker_images(pack_path: str, cutout_share: float) -> None:
    global _worker_images, _worker_cutouts
    pack = load_pack(Path(pack_path))
    _worker_images = pack.images
    if cutout_share > 0:
        _worker_cutouts = leaf_cutout.Cutouts.from_pack(pack, cutout_share)


def _augment_task(task: tuple[list[int], int, int, int]) -> np.ndarray:
    """Augmented views of some pack photos; each photo's generator is seeded by
    (seed, epoch, index), so the views do not depend on how work is split."""
    indices, epoch, seed, size = task
    views = []
    for index in indices:
        rng = np.random.default_rng([seed, epoch, index])
        image = _worker_images[index]
        if _worker_cutouts is not None:
            image = _worker_cutouts.maybe_on_background(index, image, rng)
        views.append(np.asarray(augment.augment(image, size, rng)))
    return np.stack(views)


class AugmentedEpochs:
    """Worker processes that prepare the next epoch's views while the current trains."""

    def __init__(
        self,
        pack_path: Path,
        indices: np.ndarray,
        size: int,
        seed: int,
        workers: int,
        cutout_share: float = CUTOUT_SHARE,
    ) -> None:
        context = multiprocessing.get_context("spawn")  # no fork of a running accelerator
        self.pool = context.Pool(workers, _load_worker_images, (str(pack_path), cutout_share))
        self.indices, self.size, self.seed = indices, size, seed
        self.pending: AsyncResult | None = None

    def _submit(self, epoch: int) -> AsyncResult:
        chunks = [
            (self.indices[start : start + TASK_SIZE].tolist(), epoch, self.seed, self.size)
            for start in range(0, len(self.indices), TASK_SIZE)
        ]
        return self.pool.map_async(_augment_task, chunks)

    def get(self, epoch: int, last: int) -> np.ndarray:
        """Views of every photo for ``epoch``; starts preparing the next one."""
        pending = self.pending or self._submit(epoch)
        self.pending = self._submit(epoch + 1) if epoch + 1 < last else None
        return np.concatenate(pending.get())

    def close(self) -> None:
        self.pool.terminate()


def initial_model(
    init: str, size: int, dropout_rate: float, variant: Variant = LITE0
) -> keras.Model:
    """The network at ``size`` pixels, with the weights of the model saved at ``init``."""
    model = build_diagnosis_model(size, dropout_rate, variant)
    source = keras.saving.load_model(init, compile=False)
    copied = copy_weights_by_name(source, model)
    expected = sum(1 for layer in model.layers if layer.weights)
    if copied != expected:
        raise ValueError(f"{init} filled {copied} of {expected} layers")
    return model


def clean_pixels(pack: PhotoPack, indices: np.ndarray, size: int) -> np.ndarray:
    """Clean centre crops of some pack photos, as float32 pixels (0-255)."""
    crops = [np.asarray(center_square(pack.images[i], size)) for i in indices]
    return np.stack(crops).astype(np.float32)


def smoothed_loss() -> keras.losses.Loss:
    """Cross-entropy on logits with label smoothing: every training step here uses it."""
    return keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=LABEL_SMOOTHING)


def targets_and_weights(pack: PhotoPack, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One-hot labels of some pack photos, and weights that balance (source, label) pairs."""
    strata = [f"{s}/{y}" for s, y in zip(pack.sources[indices], pack.labels[indices])]
    targets = keras.utils.to_categorical(pack.labels[indices], len(MODEL_CLASSES))
    return targets, sample_weights(strata).astype(np.float32)


def fit_linear_probe(
    model: keras.Model, pack: PhotoPack, train: np.ndarray, size: int, weight_decay: float
) -> float:
    """Fit the classifier on the frozen network's pooled features of clean training
    crops (the "linear probe" of linear-probe-then-fine-tune); return its weighted
    training accuracy."""
    pooled = keras.Model(model.input, model.get_layer("avg_pool").output)
    features = pooled.predict(clean_pixels(pack, train, size), batch_size=256, verbose=0)
    classifier = model.get_layer(CLASSIFIER)
    probe = keras.Sequential(
        [keras.Input(features.shape[1:]), keras.layers.Dense(classifier.units)]
    )
    probe.compile(
        optimizer=keras.optimizers.AdamW(PROBE_LEARNING_RATE, weight_decay=weight_decay),
        loss=smoothed_loss(),
        weighted_metrics=["accuracy"],
    )
    targets, weights = targets_and_weights(pack, train)
    history = probe.fit(
        features,
        targets,
        sample_weight=weights,
        batch_size=256,
        epochs=PROBE_EPOCHS,
        verbose=0,
    )
    classifier.set_weights(probe.layers[-1].get_weights())
    return float(history.history["accuracy"][-1])


def imagenet_model(
    backbone_weights: Path,
    pack: PhotoPack,
    train: np.ndarray,
    args: argparse.Namespace,
) -> keras.Model:
    """The ImageNet backbone of ``args.variant`` with a linear probe fitted on top."""
    variant = VARIANTS[args.variant]
    model = build_diagnosis_model(args.size, args.dropout, variant)
    load_imagenet_backbone(model, backbone_weights, variant)
    accuracy = fit_linear_probe(model, pack, train, args.size, args.weight_decay)
    log.info("Linear probe on %s ImageNet features: training accuracy %.3f", variant.name, accuracy)
    return model


def source_accuracy(
    model: keras.Model, pack: PhotoPack, indices: np.ndarray, size: int
) -> dict[str, float]:
    """Top-1 accuracy (8 classes) on clean centre crops, per source."""
    pixels = clean_pixels(pack, indices, size)
    predicted = model.predict(pixels, batch_size=256, verbose=0).argmax(axis=1)
    correct = predicted == pack.labels[indices]
    sources = pack.sources[indices]
    return {str(s): round(float(correct[sources == s].mean()), 4) for s in np.unique(sources)}


def logits_model(model: keras.Model) -> keras.Model:
    """The diagnosis network with pixels in and the classifier's logits out."""
    return keras.Model(model.input, model.get_layer(CLASSIFIER).output)


def teacher_classifiers(
    paths: list[Path], size: int, variant: Variant = LITE0
) -> list[keras.Model]:
    """The networks saved at ``paths`` at ``size`` pixels, pixels in and logits out: a
    ``.keras`` model, or a ``.weights.h5`` file of this script's network (the half-size
    copies of :func:`training.convert_backbone.half_precision_copy` too, so teachers fit
    a GPU call)."""
    teachers = []
    for path in paths:
        if path.name.endswith(WEIGHTS_SUFFIX):
            model = build_diagnosis_model(size, 0.0, variant)
            model.load_weights(path)
        else:
            model = initial_model(str(path), size, 0.0, variant)
        teachers.append(logits_model(model))
    return teachers


def distilled_targets(
    targets: np.ndarray, views: np.ndarray, teachers: list[keras.Model], teacher_weight: float
) -> np.ndarray:
    """Targets moved towards the teachers' mean probabilities on these very views
    (knowledge distillation from an ensemble, with the teachers seeing what the student
    sees: Hinton et al. 2015; Beyer et al. 2022)."""
    probabilities = np.mean(
        [
            keras.ops.convert_to_numpy(
                keras.ops.softmax(teacher.predict(views, batch_size=128, verbose=0))
            )
            for teacher in teachers
        ],
        axis=0,
    )
    return ((1 - teacher_weight) * targets + teacher_weight * probabilities).astype(np.float32)


def weights_path(output: Path) -> Path:
    """Where the fine-tuned weights of ``output`` (a path without suffix) are saved."""
    return output.with_name(output.name + WEIGHTS_SUFFIX)


def record_name(weights: Path) -> str:
    """File name of the JSON record written beside ``weights``."""
    return weights.name.removesuffix(WEIGHTS_SUFFIX) + ".json"


def device_description() -> str:
    """What trained: the accelerator, or the CPU and its core count."""
    if keras.backend.backend() == "jax":
        import jax

        device = jax.devices()[0]
        if device.platform != "cpu":
            return f"one {device.platform.upper()} ({device.device_kind})"
    elif keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        if tf.config.list_physical_devices("GPU"):
            return "one GPU"
    return f"{os.cpu_count()} CPU cores"


def earlier_fine_tuning(init: str) -> dict[str, Any] | None:
    """The fine-tuning record of an exported model that ``init`` points into, if any:
    a run that continues an earlier one keeps its record."""
    metadata = Path(init).with_name(METADATA)
    if not metadata.exists():
        return None
    return json.loads(metadata.read_text())["training"].get("full_fine_tuning")


def backbone_weights(args: argparse.Namespace) -> Path:
    """The ported ImageNet weights that ``--init imagenet`` starts from."""
    return args.backbone_weights or BACKBONE_DIR / weights_file(VARIANTS[args.variant])


def finetune(args: argparse.Namespace) -> dict[str, Any]:
    """Train every layer; return the settings and validation history."""
    keras.utils.set_random_seed(args.seed)
    pack = load_pack(args.pack)
    train, validation = pack.train_indices, pack.validation_indices
    epochs = AugmentedEpochs(
        args.pack, train, args.size, args.seed, args.workers, args.cutout_share
    )
    try:
        if args.init == IMAGENET:
            model = imagenet_model(backbone_weights(args), pack, train, args)
        else:
            model = initial_model(args.init, args.size, args.dropout, VARIANTS[args.variant])
        classifier = logits_model(model)
        steps_per_epoch = int(np.ceil(len(train) / args.batch_size))
        schedule = keras.optimizers.schedules.CosineDecay(
            0.0,
            decay_steps=max(1, (args.epochs - WARMUP_EPOCHS) * steps_per_epoch),
            warmup_target=args.learning_rate,
            warmup_steps=WARMUP_EPOCHS * steps_per_epoch,
        )
        classifier.compile(
            optimizer=keras.optimizers.AdamW(schedule, weight_decay=args.weight_decay),
            loss=smoothed_loss(),
            weighted_metrics=["accuracy"],
        )
        targets, weights = targets_and_weights(pack, train)
        args.output.parent.mkdir(parents=True, exist_ok=True)
        teachers = teacher_classifiers(args.teachers, args.size, VARIANTS[args.variant])
        history = [{"epoch": 0, **source_accuracy(classifier, pack, validation, args.size)}]
        log.info("Before fine-tuning: %s", history[-1])
        for epoch in range(args.epochs):
            views = epochs.get(epoch, args.epochs).astype(np.float32)
            classifier.fit(
                views,
                distilled_targets(targets, views, teachers, args.teacher_weight)
                if teachers
                else targets,
                sample_weight=weights,
                batch_size=args.batch_size,
                epochs=epoch + 1,
                initial_epoch=epoch,
                shuffle=True,
                verbose=2,
            )
            if (epoch + 1) % args.eval_every == 0 or epoch + 1 == args.epochs:
                history.append(
                    {"epoch": epoch + 1, **source_accuracy(classifier, pack, validation, args.size)}
                )
                log.info("Validation accuracy: %s", history[-1])
                model.save_weights(weights_path(args.output))  # a cut-off run keeps these
    finally:
        epochs.close()
    return {
        "input_size": args.size,
        "variant": args.variant,
        "init": str(args.init),
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "learning_rate": args.learning_rate,
        "warmup_epochs": WARMUP_EPOCHS,
        "weight_decay": args.weight_decay,
        "dropout_rate": args.dropout,
        "label_smoothing": LABEL_SMOOTHING,
        "plantvillage_cutout_share": args.cutout_share,
        "teachers": [str(path) for path in args.teachers],
        "teacher_weight": args.teacher_weight if args.teachers else None,
        "seed": args.seed,
        "backend": keras.backend.backend(),
        "device": device_description(),
        "keras_version": keras.__version__,
        "validation_accuracy_clean_8_class": history,
        "continues": None if args.init == IMAGENET else earlier_fine_tuning(args.init),
    }


def main() -> None:
    """Fine-tune from the command line and write weights plus a JSON record."""
    parser = argparse.ArgumentParser(description="Fine-tune every layer on a photo pack.")
    parser.add_argument("--pack", type=Path, default=Path("cache") / "photos.npz")
    parser.add_argument(
        "--init",
        default="cache/stage1/potato_leaf.keras",
        help=f"the stage-1 .keras model, or '{IMAGENET}': the ImageNet backbone and a "
        "linear probe fitted on its features",
    )
    parser.add_argument("--variant", choices=sorted(VARIANTS), default=LITE0.name)
    parser.add_argument(
        "--backbone-weights",
        type=Path,
        help="with --init imagenet: the ported weights (default: the variant's file in "
        f"{BACKBONE_DIR})",
    )
    parser.add_argument("--output", type=Path, default=Path("cache") / "finetuned" / "potato_leaf")
    parser.add_argument("--size", type=int, default=INPUT_SIZE)
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    parser.add_argument("--learning-rate", type=float, default=LEARNING_RATE)
    parser.add_argument("--weight-decay", type=float, default=WEIGHT_DECAY)
    parser.add_argument("--dropout", type=float, default=DROPOUT_RATE)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--workers", type=int, default=max(1, (os.cpu_count() or 2) - 1))
    parser.add_argument("--eval-every", type=int, default=5)
    parser.add_argument(
        "--cutout-share",
        type=float,
        default=CUTOUT_SHARE,
        help="share of PlantVillage views set on a field background (0 turns it off)",
    )
    parser.add_argument(
        "--teachers",
        type=Path,
        nargs="+",
        default=[],
        metavar="MODEL",
        help="saved .keras models whose mean answer on each view the network also learns",
    )
    parser.add_argument(
        "--teacher-weight",
        type=float,
        default=TEACHER_WEIGHT,
        help="with --teachers: share of each target that is the teachers' answer",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    started = time.time()
    record = finetune(args)
    record["seconds"] = round(time.time() - started, 1)
    record_path = args.output.with_name(record_name(weights_path(args.output)))
    record_path.write_text(json.dumps(record, indent=2) + "\n")
    log.info("Fine-tuned in %.0f s", record["seconds"])


if __name__ == "__main__":
    main()
