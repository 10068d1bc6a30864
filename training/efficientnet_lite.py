"""EfficientNet-Lite0 in Keras 3, laid out so ImageNet weights can be ported into it.

Lite0 is EfficientNet-B0 made friendly to quantised mobile runtimes (Tan & Le 2019;
tensorflow/tpu "efficientnet/lite"): ReLU6 instead of swish, no squeeze-and-excite,
a fixed 32-channel stem and 1280-channel head, BatchNorm epsilon 1e-3, TF "same"
padding and inputs scaled as (pixel - 127) / 128. The normalisation is a layer of
the model, so training and serving read the same 0-255 pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
from keras import layers

BATCH_NORM_EPSILON = 1e-3
STEM_FILTERS = 32
HEAD_FILTERS = 1280
INPUT_MEAN = 127.0
INPUT_STD = 128.0


@dataclass(frozen=True)
class StageSpec:
    """One stage of MBConv blocks: repeats, kernel, first stride, expansion, filters."""

    repeats: int
    kernel_size: int
    strides: int
    expand_ratio: int
    filters: int


LITE0_STAGES = (
    StageSpec(1, 3, 1, 1, 16),
    StageSpec(2, 3, 2, 6, 24),
    StageSpec(2, 5, 2, 6, 40),
    StageSpec(3, 3, 2, 6, 80),
    StageSpec(3, 5, 1, 6, 112),
    StageSpec(4, 5, 2, 6, 192),
    StageSpec(1, 3, 1, 6, 320),
)
NUM_BLOCKS = sum(stage.repeats for stage in LITE0_STAGES)


def _batch_norm(name: str) -> layers.Layer:
    return layers.BatchNormalization(epsilon=BATCH_NORM_EPSILON, momentum=0.99, name=name)


def mbconv_block(
    inputs: keras.KerasTensor,
    index: int,
    in_filters: int,
    spec: StageSpec,
    strides: int,
) -> keras.KerasTensor:
    """An inverted-residual block without squeeze-excite (the Lite variant)."""
    prefix = f"block{index}_"
    x = inputs
    if spec.expand_ratio != 1:
        x = layers.Conv2D(
            in_filters * spec.expand_ratio, 1, use_bias=False, name=prefix + "expand_conv"
        )(x)
        x = _batch_norm(prefix + "expand_bn")(x)
        x = layers.ReLU(6.0, name=prefix + "expand_relu")(x)
    x = layers.DepthwiseConv2D(
        spec.kernel_size,
        strides=strides,
        padding="same",
        use_bias=False,
        name=prefix + "depthwise_conv",
    )(x)
    x = _batch_norm(prefix + "depthwise_bn")(x)
    x = layers.ReLU(6.0, name=prefix + "depthwise_relu")(x)
    x = layers.Conv2D(spec.filters, 1, use_bias=False, name=prefix + "project_conv")(x)
    x = _batch_norm(prefix + "project_bn")(x)
    if strides == 1 and in_filters == spec.filters:
        x = layers.Add(name=prefix + "add")([x, inputs])
    return x


def block_specs() -> list[tuple[int, int, StageSpec, int]]:
    """(index, input filters, stage, stride) for each of the 16 blocks, in order."""
    specs = []
    in_filters = STEM_FILTERS
    index = 0
    for stage in LITE0_STAGES:
        for repeat in range(stage.repeats):
            specs.append((index, in_filters, stage, stage.strides if repeat == 0 else 1))
            in_filters = stage.filters
            index += 1
    return specs


def build_stem(inputs: keras.KerasTensor) -> keras.KerasTensor:
    """Normalise 0-255 pixels and run the stride-2 stem convolution."""
    x = layers.Rescaling(1.0 / INPUT_STD, offset=-INPUT_MEAN / INPUT_STD, name="normalize")(inputs)
    x = layers.Conv2D(STEM_FILTERS, 3, strides=2, padding="same", use_bias=False, name="stem_conv")(
        x
    )
    x = _batch_norm("stem_bn")(x)
    return layers.ReLU(6.0, name="stem_relu")(x)


def build_head(x: keras.KerasTensor) -> keras.KerasTensor:
    """The 1x1 convolution to 1280 channels that ends the feature extractor."""
    x = layers.Conv2D(HEAD_FILTERS, 1, use_bias=False, name="head_conv")(x)
    x = _batch_norm("head_bn")(x)
    return layers.ReLU(6.0, name="head_relu")(x)


def build_backbone(
    input_size: int = 224, first_block: int = 0, last_block: int = NUM_BLOCKS
) -> keras.Model:
    """Lite0 from pixels (``first_block == 0``) or from block ``first_block``'s input.

    With ``last_block == NUM_BLOCKS`` the head convolution is included and the
    output is the final ``(7, 7, 1280)`` feature map. Splitting lets training cache
    the frozen lower blocks' output and fine-tune only the top ones.
    """
    specs = block_specs()
    if first_block == 0:
        inputs = keras.Input((input_size, input_size, 3), name="pixels")
        x = build_stem(inputs)
    else:
        _, in_filters, _, _ = specs[first_block]
        side = input_size // _stride_product(specs[:first_block])
        inputs = keras.Input((side, side, in_filters), name=f"block{first_block}_input")
        x = inputs
    for index, in_filters, stage, strides in specs[first_block:last_block]:
        x = mbconv_block(x, index, in_filters, stage, strides)
    if last_block == NUM_BLOCKS:
        x = build_head(x)
    return keras.Model(inputs, x, name=f"efficientnet_lite0_{first_block}_{last_block}")


def _stride_product(specs: list[tuple[int, int, StageSpec, int]]) -> int:
    product = 2  # the stem
    for _, _, _, strides in specs:
        product *= strides
    return product


def build_imagenet_classifier(input_size: int = 224) -> keras.Model:
    """The full ImageNet model (backbone, pooling, 1000-way dense), for port checks."""
    backbone = build_backbone(input_size)
    x = layers.GlobalAveragePooling2D(name="avg_pool")(backbone.output)
    logits = layers.Dense(1000, name="imagenet_logits")(x)
    return keras.Model(backbone.input, logits, name="efficientnet_lite0_imagenet")
