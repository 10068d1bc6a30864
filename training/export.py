"""Export the trained model, fit calibration and rejection, and evaluate the export.

Everything measured here runs through the package's own :class:`Diagnoser` on the
exported LiteRT model, so the reported figures are those of what ships.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import keras
import numpy as np
from PIL import Image

from potato_disease import __version__
from potato_disease.diagnosis import Diagnoser
from potato_disease.evaluation import summarize_with_intervals
from potato_disease.imaging import to_model_input
from potato_disease.labels import DISEASE_LABELS, MODEL_CLASSES, NOT_LEAF
from potato_disease.model_files import HEAD_ARRAYS, KERAS_MODEL, METADATA, SERVING_MODEL
from potato_disease.rejection import mahalanobis_score
from training import (
    artwork,
    augment,
    calibration,
    combined_photos,
    heldout,
    model_card,
    not_leaf_head,
    robustness,
)
from training.model import CLASSIFIER

if TYPE_CHECKING:
    from training.train import Photos

log = logging.getLogger(__name__)

BATCH_SIZE = 32
QUANTILE_POINTS = 201
OOD_VIEW_STREAM = 1  # random streams of the augmented views: one per use, seeds kept
CALIBRATION_VIEW_STREAM = 3
DEGRADED_VIEW_STREAM = 4


def to_serving_model(model: keras.Model) -> bytes:
    """LiteRT flatbuffer with float16 weights (half the size, float32 compute)."""
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.target_spec.supported_types = [tf.float16]
    return converter.convert()


def write_metadata(output: Path, metadata: dict[str, Any]) -> None:
    """Write ``metadata.json`` (sorted, indented, stable across runs)."""
    (output / METADATA).write_text(json.dumps(metadata, indent=2, sort_keys=True) + "\n")


def write_metadata_and_card(output: Path, metadata: dict[str, Any]) -> dict[str, Any]:
    """Write ``metadata.json`` and the model card rendered from it; return the metadata
    as written (in the file's key order)."""
    write_metadata(output, metadata)
    written = json.loads((output / METADATA).read_text())
    (output / "README.md").write_text(model_card.render(written))
    return written


def base_metadata(input_size: int, temperature: float, threshold: float) -> dict[str, Any]:
    """What the diagnoser needs: labels, input, calibration and rejection."""
    return {
        "format_version": 1,
        "package_version": __version__,
        "classes": list(MODEL_CLASSES),
        "leaf_labels": list(DISEASE_LABELS),
        "rejection_label": NOT_LEAF,
        "input_size": input_size,
        "preprocessing": (
            "decode, EXIF-orient, RGB; resize shorter side to input_size and centre-crop; "
            "0-255 float pixels into the model, which normalises (x - 127) / 128"
        ),
        "calibration": {
            "method": "temperature scaling on 7 leaf logits",
            "temperature": temperature,
        },
        "rejection": {
            "rule": "not_leaf if the 8-way argmax is not_leaf or the Mahalanobis OOD score "
            "of the pooled features exceeds ood_threshold",
            "ood_threshold": threshold,
        },
    }


def serving_outputs(
    diagnoser: Diagnoser, images: list[Image.Image]
) -> tuple[np.ndarray, np.ndarray]:
    """Logits and pooled features of every image from the serving model."""
    logits, pooled = [], []
    size = diagnoser.input_size
    for start in range(0, len(images), BATCH_SIZE):
        chunk = images[start : start + BATCH_SIZE]
        pixels = np.stack([to_model_input(image, size) for image in chunk])
        raw = diagnoser.run(pixels)
        logits.append(raw.logits)
        pooled.append(raw.feature_maps.mean(axis=(1, 2)))
    return np.concatenate(logits), np.concatenate(pooled)


def keras_agreement(
    model: keras.Model, images: list[Image.Image], serving_logits: np.ndarray
) -> float:
    """Share of photos where Keras and the serving model pick the same class."""
    size = model.input_shape[1]
    pixels = np.stack([to_model_input(image, size) for image in images])
    keras_logits = model.predict(pixels, batch_size=BATCH_SIZE, verbose=0)["logits"]
    return float(np.mean(keras_logits.argmax(axis=1) == serving_logits.argmax(axis=1)))


def export_network(model: keras.Model, output: Path) -> Diagnoser:
    """Save the Keras and LiteRT files with a neutral head; a diagnoser for raw outputs."""
    output.mkdir(parents=True, exist_ok=True)
    model.save(output / KERAS_MODEL)
    (output / SERVING_MODEL).write_bytes(to_serving_model(model))
    kernel = model.get_layer(CLASSIFIER).get_weights()[0]
    write_head(output, kernel, np.zeros((kernel.shape[0], 1)), np.zeros((1, 1)), np.zeros(2))
    write_metadata(output, base_metadata(model.input_shape[1], 1.0, float("inf")))
    return Diagnoser(output)


def finish(
    model: keras.Model,
    photos: Photos,
    train: np.ndarray,
    validation: np.ndarray,
    groups: np.ndarray,
    output: Path,
    seed: int,
    ood_components: int,
    ood_views: int,
    degraded_views: int,
    leaf_refusal_rate: float,
    not_leaf_pictures: list[Image.Image],
    calibration_views: int,
) -> dict[str, Any]:
    """Export, teach not_leaf real pictures, calibrate, fit rejection, evaluate; return
    the metadata written."""
    uncalibrated = export_network(model, output)
    logits, pooled = serving_outputs(uncalibrated, photos.images)
    leaf = photos.labels != MODEL_CLASSES.index(NOT_LEAF)
    train_leaf, validation_leaf = train[leaf[train]], validation[leaf[validation]]
    ood_features, ood_labels = leaf_features_with_views(
        uncalibrated, photos, train_leaf, pooled, ood_views, seed
    )
    if not_leaf_pictures:
        views = slice(len(train_leaf), None)
        not_leaf_head.teach(
            model,
            *not_leaf_training_set(
                uncalibrated,
                photos,
                train,
                pooled,
                (ood_features[views], ood_labels[views]),
                not_leaf_pictures,
            ),
        )
        uncalibrated = export_network(model, output)
        logits, pooled = serving_outputs(uncalibrated, photos.images)

    input_size = model.input_shape[1]
    kernel = model.get_layer(CLASSIFIER).get_weights()[0]
    temperature, ece_cross_fitted, calibrated_on = calibrate(
        uncalibrated,
        photos,
        validation_leaf,
        groups,
        logits[validation_leaf],
        calibration_views,
        seed,
    )
    projection, centres = fit_distance_rule(
        uncalibrated,
        photos,
        train_leaf,
        (ood_features, ood_labels),
        degraded_views,
        seed,
        ood_components,
    )
    threshold = write_distance_rule(
        output, kernel, projection, centres, pooled[validation_leaf], leaf_refusal_rate
    )
    metadata = base_metadata(input_size, temperature, threshold)
    metadata["calibration"]["fitted_on"] = calibrated_on
    metadata["rejection"] |= {
        "ood_components": ood_components,
        "ood_fitted_on": distance_rule_fitted_on(len(train_leaf), ood_views, degraded_views),
        "leaf_refusal_rate": leaf_refusal_rate,
        "not_leaf_column_refitted_with": f"{len(not_leaf_pictures)} artwork pictures"
        if not_leaf_pictures
        else "no artwork pictures (not installed or not asked for)",
    }
    write_metadata(output, metadata)

    diagnoser = Diagnoser(output)
    metadata |= measure(diagnoser, photos, validation, groups, seed)
    add_cross_fitted_ece(metadata["validation"], ece_cross_fitted)
    metadata["validation"]["keras_litert_top1_agreement"] = keras_agreement(
        model, [photos.images[i] for i in validation], logits[validation]
    )
    log.info("Temperature %.3f, OOD threshold %.1f", temperature, threshold)
    return metadata


def calibrate(
    diagnoser: Diagnoser,
    photos: Photos,
    leaf: np.ndarray,
    groups: np.ndarray,
    logits: np.ndarray,
    views: int,
    seed: int,
) -> tuple[float, dict[str, float], str]:
    """Temperature fitted on the validation leaves ``leaf`` (whose serving ``logits`` are
    given), clean and ``views`` field-like augmented views of each; the ECE with the
    temperature cross-fitted between halves of the near-duplicate groups, over all
    leaves and per source; and what the temperature was fitted on.

    Fitted on clean photos only, the temperature was overconfident on blurred, compressed
    or oddly lit field photos (other cameras); the views, as for the distance rule,
    teach it that spread (docs/training-runs.md).
    """
    labels = photos.labels[leaf]
    leaf_logits = logits[:, : len(DISEASE_LABELS)]
    images = [photos.images[i] for i in leaf]
    view_logits = [
        view_outputs[0][:, : len(DISEASE_LABELS)]
        for view_outputs in augmented_outputs(
            diagnoser, images, views, seed, CALIBRATION_VIEW_STREAM
        )
    ]
    temperature = calibration.fit_temperature(
        *calibration.with_views(leaf_logits, labels, view_logits)
    )
    probabilities = calibration.cross_fitted_probabilities(
        leaf_logits, labels, groups[leaf], seed, view_logits
    )
    sources = np.array([photos.sources[i] for i in leaf])
    cross_fitted = {"all": calibration.ece_of(probabilities, labels)} | {
        source: calibration.ece_of(probabilities[sources == source], labels[sources == source])
        for source in sorted(set(sources))
    }
    fitted_on = f"{len(leaf)} validation leaf photos, clean and {views} augmented views of each"
    return temperature, cross_fitted, fitted_on


def add_cross_fitted_ece(validation: dict[str, Any], cross_fitted: dict[str, float]) -> None:
    """Put the cross-fitted ECE beside the validation metrics: over all leaves under
    ``ece_temperature_cross_fitted``, per source under ``ece_cross_fitted``."""
    validation["ece_temperature_cross_fitted"] = cross_fitted["all"]
    for source, value in cross_fitted.items():
        if source != "all":
            validation[source]["ece_cross_fitted"] = value


def refusal_threshold(validation_scores: np.ndarray, leaf_refusal_rate: float) -> float:
    """The distance threshold that refuses ``leaf_refusal_rate`` of the validation leaves."""
    return float(np.quantile(validation_scores, 1 - leaf_refusal_rate))


def measure(
    diagnoser: Diagnoser, photos: Photos, validation: np.ndarray, groups: np.ndarray, seed: int
) -> dict[str, Any]:
    """What depends on the temperature and the threshold: validation metrics per source,
    the camera and light proxy, the lab leaves set in other fields, the held-out
    non-leaf pictures refused, and several field photos of one label combined."""
    leaf = validation[photos.labels[validation] != MODEL_CLASSES.index(NOT_LEAF)]
    diagnoses = diagnoser.diagnose_many([photos.images[i] for i in validation])
    return {
        "validation": per_source_metrics(photos, validation, groups, diagnoses),
        "robustness": robustness.robustness_report(
            diagnoser,
            [photos.images[i] for i in leaf],
            [MODEL_CLASSES[photos.labels[i]] for i in leaf],
            [photos.sources[i] for i in leaf],
        ),
        "lab_leaves_in_the_field": robustness.lab_leaves_in_the_field_report(
            diagnoser, photos.images, photos.labels, photos.sources, validation, seed
        ),
        "heldout_not_leaf": heldout.refusal_report(diagnoser),
        "heldout_artwork": artwork.refusal_report(diagnoser, seed),
        "combination": combined_photos.combination_report(
            photos.labels, photos.sources, groups, validation, diagnoses, seed
        ),
    }


def not_leaf_training_set(
    diagnoser: Diagnoser,
    photos: Photos,
    train: np.ndarray,
    pooled: np.ndarray,
    leaf_views: tuple[np.ndarray, np.ndarray],
    pictures: list[Image.Image],
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Pooled features, labels and strata the ``not_leaf`` column is refitted on: the
    training photos, augmented views of the training leaves, and real non-leaf pictures."""
    view_features, view_labels = leaf_views
    not_leaf = MODEL_CLASSES.index(NOT_LEAF)
    train_strata = [photos.strata[i] for i in train]
    leaf_strata = [s for i, s in zip(train, train_strata) if photos.labels[i] != not_leaf]
    # The views come view by view, each over all training leaves in order.
    views_per_leaf = len(view_labels) // max(len(leaf_strata), 1)
    features = np.concatenate(
        [pooled[train], view_features, serving_outputs(diagnoser, pictures)[1]]
    )
    labels = np.concatenate([photos.labels[train], view_labels, np.full(len(pictures), not_leaf)])
    strata = train_strata + leaf_strata * views_per_leaf + [f"artwork/{NOT_LEAF}"] * len(pictures)
    return features, labels, strata


def leaf_features_with_views(
    diagnoser: Diagnoser,
    photos: Photos,
    train_leaf: np.ndarray,
    pooled: np.ndarray,
    views: int,
    seed: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Pooled features and labels of the training leaves, clean and ``views`` field-like
    augmented views of each (the training augmentation).

    Fitting the distance rule on clean photos only made it refuse leaves that were merely
    blurred, compressed or badly exposed (the spread of real cameras); fitted on augmented
    views too, it accepts those and still refuses non-leaf photos (docs/training-runs.md).
    """
    features, labels = [pooled[train_leaf]], [photos.labels[train_leaf]]
    images = [photos.images[i] for i in train_leaf]
    for _, view_features in augmented_outputs(diagnoser, images, views, seed, OOD_VIEW_STREAM):
        features.append(view_features)
        labels.append(photos.labels[train_leaf])
    return np.concatenate(features), np.concatenate(labels)


def augmented_outputs(
    diagnoser: Diagnoser,
    images: list[Image.Image],
    views: int,
    seed: int,
    stream: int,
    transform: Callable[[Image.Image, int, np.random.Generator], Image.Image] = augment.augment,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Serving logits and pooled features of ``views`` augmented views of every image
    (by default the training augmentation), one (logits, pooled) pair per view."""
    outputs = []
    for view in range(views):
        rng = np.random.default_rng([seed, view, stream])
        augmented = [transform(image, diagnoser.input_size, rng) for image in images]
        outputs.append(serving_outputs(diagnoser, augmented))
    return outputs


def fit_distance_rule(
    diagnoser: Diagnoser,
    photos: Photos,
    train_leaf: np.ndarray,
    leaf_views: tuple[np.ndarray, np.ndarray],
    degraded_views: int,
    seed: int,
    components: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Projection (as stored and served, float16) and class centres of the distance rule.

    Fitted on the training leaves' pooled features in ``leaf_views`` (clean and
    field-like views, :func:`leaf_features_with_views`) and on ``degraded_views``
    strongly degraded views of each (:func:`training.augment.degrade`). Without those,
    a sound leaf photographed by a poor camera was refused as "not a leaf" (blur r=2:
    11.6% of field leaves, 64 px: 14.2%) while non-leaf pictures were refused no more
    (docs/training-runs.md).
    """
    images = [photos.images[i] for i in train_leaf]
    degraded = augmented_outputs(
        diagnoser, images, degraded_views, seed, DEGRADED_VIEW_STREAM, augment.degrade
    )
    features = np.concatenate([leaf_views[0], *(pooled for _, pooled in degraded)])
    labels = np.concatenate([leaf_views[1], *[photos.labels[train_leaf]] * degraded_views])
    projection, centres = calibration.fit_mahalanobis(features, labels, components)
    return projection.astype(np.float16).astype(np.float32), centres


def write_distance_rule(
    output: Path,
    kernel: np.ndarray,
    projection: np.ndarray,
    centres: np.ndarray,
    validation_leaf_pooled: np.ndarray,
    leaf_refusal_rate: float,
) -> float:
    """Write the head arrays with the distance rule; return the threshold that refuses
    ``leaf_refusal_rate`` of the validation leaves."""
    scores = mahalanobis_score(validation_leaf_pooled, projection, centres)
    quantiles = np.quantile(scores, np.linspace(0, 1, QUANTILE_POINTS))
    write_head(output, kernel, projection, centres, quantiles)
    return refusal_threshold(scores, leaf_refusal_rate)


def distance_rule_fitted_on(leaves: int, views: int, degraded_views: int) -> str:
    """What the distance rule was fitted on, for the metadata."""
    return (
        f"{leaves} training leaf photos, clean, {views} augmented views and "
        f"{degraded_views} strongly degraded views of each"
    )


def per_source_metrics(
    photos: Photos, indices: np.ndarray, groups: np.ndarray, diagnoses: list
) -> dict[str, Any]:
    """Metrics for every source of the validation photos, and for all of them, with
    bootstrap intervals that resample whole near-duplicate groups."""
    truth = [MODEL_CLASSES[photos.labels[i]] for i in indices]
    sources = [photos.sources[i] for i in indices]
    report: dict[str, Any] = {"all": summarize_with_intervals(truth, diagnoses, groups[indices])}
    for source in sorted(set(sources)):
        chosen = [k for k, s in enumerate(sources) if s == source]
        report[source] = summarize_with_intervals(
            [truth[k] for k in chosen], [diagnoses[k] for k in chosen], groups[indices[chosen]]
        )
    return report


def write_head(
    output: Path,
    kernel: np.ndarray,
    projection: np.ndarray,
    centres: np.ndarray,
    quantiles: np.ndarray,
) -> None:
    """Save the arrays the diagnoser uses beside the network (float16 where large)."""
    np.savez_compressed(
        output / HEAD_ARRAYS,
        classifier_kernel=kernel.astype(np.float32),
        ood_projection=projection.astype(np.float16),
        ood_centres=centres.astype(np.float32),
        leaf_score_quantiles=quantiles.astype(np.float64),
    )
