"""EfficientNet-Lite0/1/2 in Keras 3, laid out so ImageNet weights can be ported into it.

Lite0 is EfficientNet-B0 made friendly to quantised mobile runtimes (Tan & Le 2019;
tensorflow/tpu "efficientnet/lite"): ReLU6 instead of swish, no squeeze-and-excite,
a fixed 32-channel stem and 1280-channel head, BatchNorm epsilon 1e-3, TF "same"
padding and inputs scaled as (pixel - 127) / 128. The normalisation is a layer of
the model, so training and serving read the same 0-255 pixels. Lite1 and Lite2 scale
Lite0's widths and depths by the compound rules of tensorflow/tpu
``efficientnet_builder`` (channels rounded to multiples of 8, repeats rounded up), with
the stem, the head and the first and last stages' repeats fixed.
"""

from __future__ import annotations

import math
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
CHANNEL_DIVISOR = 8


@dataclass(frozen=True)
class Variant:
    """A member of the Lite family: width and depth multipliers of Lite0."""

    name: str
    width: float
    depth: float

    @property
    def stages(self) -> tuple[StageSpec, ...]:
        """Lite0's stages, widened and deepened; first and last stage repeats fixed."""
        last = len(LITE0_STAGES) - 1
        return tuple(
            StageSpec(
                stage.repeats if index in (0, last) else math.ceil(self.depth * stage.repeats),
                stage.kernel_size,
                stage.strides,
                stage.expand_ratio,
                _round_filters(stage.filters, self.width),
            )
            for index, stage in enumerate(LITE0_STAGES)
        )

    @property
    def num_blocks(self) -> int:
        return sum(stage.repeats for stage in self.stages)


def _round_filters(filters: int, width: float) -> int:
    scaled = filters * width
    rounded = max(
        CHANNEL_DIVISOR, int(scaled + CHANNEL_DIVISOR / 2) // CHANNEL_DIVISOR * CHANNEL_DIVISOR
    )
    return rounded + CHANNEL_DIVISOR if rounded < 0.9 * scaled else rounded


LITE0 = Variant("lite0", 1.0, 1.0)
LITE1 = Variant("lite1", 1.0, 1.1)
LITE2 = Variant("lite2", 1.1, 1.2)
VARIANTS = {variant.name: variant for variant in (LITE0, LITE1, LITE2)}


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


def block_specs(variant: Variant = LITE0) -> list[tuple[int, int, StageSpec, int]]:
    """(index, input filters, stage, stride) for each block (16 in Lite0), in order."""
    specs = []
    in_filters = STEM_FILTERS
    index = 0
    for stage in variant.stages:
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
    input_size: int = 224,
    first_block: int = 0,
    last_block: int | None = None,
    variant: Variant = LITE0,
) -> keras.Model:
    """A Lite network from pixels (``first_block == 0``) or from block ``first_block``'s
    input.

    Up to the last block (``last_block`` None) the head convolution is included and
    the output is the final ``(h, w, 1280)`` feature map. Splitting lets training cache
    the frozen lower blocks' output and fine-tune only the top ones.
    """
    specs = block_specs(variant)
    last_block = len(specs) if last_block is None else last_block
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
    if last_block == len(specs):
        x = build_head(x)
    return keras.Model(inputs, x, name=f"efficientnet_{variant.name}_{first_block}_{last_block}")


def _stride_product(specs: list[tuple[int, int, StageSpec, int]]) -> int:
    product = 2  # the stem
    for _, _, _, strides in specs:
        product *= strides
    return product


def build_imagenet_classifier(input_size: int = 224, variant: Variant = LITE0) -> keras.Model:
    """The full ImageNet model (backbone, pooling, 1000-way dense), for port checks."""
    backbone = build_backbone(input_size, variant=variant)
    x = layers.GlobalAveragePooling2D(name="avg_pool")(backbone.output)
    logits = layers.Dense(1000, name="imagenet_logits")(x)
    return keras.Model(backbone.input, logits, name=f"efficientnet_{variant.name}_imagenet")
