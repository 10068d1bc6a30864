"""Builders for the diagnosis network and the trainable top used on cached features."""

from __future__ import annotations

from pathlib import Path

import keras
from keras import layers

from potato_disease.labels import MODEL_CLASSES
from training.efficientnet_lite import LITE0, Variant, build_backbone, build_imagenet_classifier

FEATURE_MAP = "head_relu"
CLASSIFIER = "classifier"


def add_classifier(features: keras.KerasTensor, dropout_rate: float) -> keras.KerasTensor:
    """Global average pooling and a linear layer: exact class activation maps."""
    x = layers.GlobalAveragePooling2D(name="avg_pool")(features)
    x = layers.Dropout(dropout_rate, name="dropout")(x)
    return layers.Dense(len(MODEL_CLASSES), name=CLASSIFIER)(x)


def build_diagnosis_model(
    input_size: int, dropout_rate: float = 0.3, variant: Variant = LITE0
) -> keras.Model:
    """Pixels (0-255) in; the final feature map and the class logits out."""
    backbone = build_backbone(input_size, variant=variant)
    logits = add_classifier(backbone.output, dropout_rate)
    return keras.Model(
        backbone.input, {"feature_map": backbone.output, "logits": logits}, name="potato_leaf"
    )


def build_trainable_top(
    input_size: int, split_block: int, dropout_rate: float, variant: Variant = LITE0
) -> keras.Model:
    """Blocks from ``split_block`` on, the head and the classifier: logits only."""
    upper = build_backbone(input_size, first_block=split_block, variant=variant)
    logits = add_classifier(upper.output, dropout_rate)
    return keras.Model(upper.input, logits, name="trainable_top")


def copy_weights_by_name(source: keras.Model, target: keras.Model) -> int:
    """Copy weights between layers that share a name; return how many layers."""
    target_layers = {layer.name: layer for layer in target.layers if layer.weights}
    copied = 0
    for layer in source.layers:
        if layer.weights and layer.name in target_layers:
            target_layers[layer.name].set_weights(layer.get_weights())
            copied += 1
    return copied


def load_imagenet_backbone(
    model: keras.Model, weights_path: Path, variant: Variant = LITE0
) -> None:
    """Fill every backbone layer of ``model`` with the ported ImageNet weights."""
    if not weights_path.exists():
        raise ValueError(
            f"{weights_path} is missing: run `python -m training.convert_backbone` first"
        )
    imagenet = build_imagenet_classifier(model.input_shape[1], variant)
    imagenet.load_weights(weights_path)
    copied = copy_weights_by_name(imagenet, model)
    expected = sum(1 for layer in imagenet.layers if layer.weights) - 1  # not its 1000-way head
    if copied != expected:
        raise ValueError(f"Copied {copied} ImageNet layers, expected {expected}")
