"""Fine-tuning straight from ImageNet: half-size weight files and the linear probe."""

from __future__ import annotations

import argparse
from pathlib import Path

import keras
import numpy as np
import pytest
from PIL import Image

from training import finetune
from training.convert_backbone import half_precision_copy, weights_file
from training.efficientnet_lite import LITE0, LITE1, build_imagenet_classifier
from training.photo_pack import PhotoPack

SIZE = 32


def _imagenet_weights(tmp_path: Path, variant=LITE0) -> tuple[Path, keras.Model]:
    """A randomly initialised 'ImageNet' network saved as convert_backbone saves it."""
    keras.utils.set_random_seed(3)
    network = build_imagenet_classifier(SIZE, variant)
    path = tmp_path / weights_file(variant)
    network.save_weights(path)
    return path, network


def test_half_precision_copy_is_smaller_and_loads_as_rounded_weights(tmp_path: Path) -> None:
    path, network = _imagenet_weights(tmp_path, LITE1)
    half = half_precision_copy(path)
    assert half.name == "efficientnet_lite1_imagenet.f16.weights.h5"
    assert half.stat().st_size < 0.6 * path.stat().st_size
    loaded = build_imagenet_classifier(SIZE, LITE1)
    loaded.load_weights(half)
    for original, copy in zip(network.weights, loaded.weights, strict=True):
        expected = np.asarray(original).astype(np.float16).astype(np.float32)
        assert copy.dtype == "float32"
        assert np.array_equal(np.asarray(copy), expected), original.path


def _two_colour_pack() -> PhotoPack:
    """Reddish photos labelled 0 and greenish ones labelled 2, with noise; the last
    photo of each colour is for validation."""
    rng = np.random.default_rng(8)
    images, labels = [], []
    for label, colour in ((0, (170, 60, 40)), (2, (50, 160, 60))):
        for _ in range(8):
            pixels = np.clip(rng.normal(colour, 25, (48, 48, 3)), 0, 255).astype(np.uint8)
            images.append(Image.fromarray(pixels))
            labels.append(label)
    count = len(images)
    return PhotoPack(
        images=images,
        labels=np.array(labels),
        sources=np.array(["field-java"] * count),
        paths=np.array([f"p{i}.jpg" for i in range(count)]),
        validation=np.array(([False] * 7 + [True]) * 2),
        groups=np.arange(count),
    )


@pytest.mark.slow  # builds and loads a backbone
def test_imagenet_start_loads_the_variants_backbone(tmp_path: Path) -> None:
    path, network = _imagenet_weights(tmp_path, LITE1)
    pack = _two_colour_pack()
    args = argparse.Namespace(variant="lite1", size=SIZE, dropout=0.0, weight_decay=0.0)
    model = finetune.imagenet_model(path, pack, pack.train_indices, args)
    for name in ("stem_conv", "head_conv"):
        assert np.array_equal(model.get_layer(name).get_weights()[0],
                              network.get_layer(name).get_weights()[0])  # fmt: skip
    assert model.output["logits"].shape[1:] == (len(finetune.MODEL_CLASSES),)


def test_linear_probe_fits_the_classifier_on_pooled_features() -> None:
    """A stand-in network whose pooled features are the mean colour: the probe alone
    must learn to tell the reddish photos from the greenish ones."""
    inputs = keras.Input((SIZE, SIZE, 3))
    pooled = keras.layers.GlobalAveragePooling2D(name="avg_pool")(
        keras.layers.Rescaling(1 / 255)(inputs)
    )
    logits = keras.layers.Dense(len(finetune.MODEL_CLASSES), name=finetune.CLASSIFIER)(pooled)
    model = keras.Model(inputs, logits)
    model.get_layer(finetune.CLASSIFIER).set_weights(
        [np.zeros((3, len(finetune.MODEL_CLASSES))), np.zeros(len(finetune.MODEL_CLASSES))]
    )
    pack = _two_colour_pack()
    keras.utils.set_random_seed(5)
    accuracy = finetune.fit_linear_probe(model, pack, pack.train_indices, SIZE, 0.0)
    predicted = model.predict(finetune.clean_pixels(pack, np.arange(16), SIZE), verbose=0)
    assert accuracy == 1.0
    assert (predicted.argmax(axis=1) == pack.labels).all()  # validation photos too
