"""Teach the ``not_leaf`` class real non-leaf pictures, without touching the leaf classes.

The network's ``not_leaf`` class was trained on tubers and procedural pictures only,
so birds, flowers or a garden view could win a leaf class. Here only that class's
column of the final linear layer (weights and bias) is refitted, on the network's
pooled features of the training photos plus real non-leaf pictures
(:mod:`training.artwork`), with the seven leaf columns fixed: leaf probabilities,
their calibration and the heatmaps stay exactly as they were. An L2 pull towards the
fitted column keeps it close to what full training found.
"""

from __future__ import annotations

import keras
import numpy as np
from scipy.optimize import minimize
from scipy.special import log_softmax

from potato_disease.labels import MODEL_CLASSES, NOT_LEAF
from training.dataset import sample_weights
from training.model import CLASSIFIER

NOT_LEAF_COLUMN = MODEL_CLASSES.index(NOT_LEAF)
L2_PULL = 1e-3  # same figures from 1e-4 to 1e-2 (docs/training-runs.md)
MAX_ITERATIONS = 300


def refit_column(
    features: np.ndarray,
    labels: np.ndarray,
    weights: np.ndarray,
    kernel: np.ndarray,
    bias: np.ndarray,
    l2_pull: float = L2_PULL,
) -> tuple[np.ndarray, float]:
    """The ``not_leaf`` column (kernel column, bias) minimising weighted cross-entropy
    over all classes with the other columns fixed; convex, solved by L-BFGS."""
    others = np.delete(np.arange(kernel.shape[1]), NOT_LEAF_COLUMN)
    fixed = features @ kernel[:, others] + bias[others]
    weights = weights / weights.sum()
    start = np.append(kernel[:, NOT_LEAF_COLUMN], bias[NOT_LEAF_COLUMN]).astype(np.float64)
    is_not_leaf = (labels == NOT_LEAF_COLUMN).astype(np.float64)
    # Put the free column back in its place so labels index the right logit.
    order = np.insert(np.arange(len(others)), NOT_LEAF_COLUMN, len(others))

    def loss_and_gradient(theta: np.ndarray) -> tuple[float, np.ndarray]:
        free = features @ theta[:-1] + theta[-1]
        log_p = log_softmax(np.column_stack([fixed, free])[:, order], axis=1)
        pull = theta[:-1] - start[:-1]
        loss = -(weights * log_p[np.arange(len(labels)), labels]).sum() + l2_pull * pull @ pull
        residual = weights * (np.exp(log_p[:, NOT_LEAF_COLUMN]) - is_not_leaf)
        gradient = np.append(features.T @ residual + 2 * l2_pull * pull, residual.sum())
        return float(loss), gradient

    result = minimize(
        loss_and_gradient,
        start,
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": MAX_ITERATIONS},
    )
    return result.x[:-1].astype(np.float32), float(result.x[-1])


def set_column(model: keras.Model, column: np.ndarray, column_bias: float) -> None:
    """Write the refitted ``not_leaf`` column into the model's classifier layer."""
    layer = model.get_layer(CLASSIFIER)
    kernel, bias = (array.copy() for array in layer.get_weights())
    kernel[:, NOT_LEAF_COLUMN] = column
    bias[NOT_LEAF_COLUMN] = column_bias
    layer.set_weights([kernel, bias])


def teach(model: keras.Model, features: np.ndarray, labels: np.ndarray, strata: list[str]) -> None:
    """Refit the model's ``not_leaf`` column on pooled features, every stratum (source,
    label) weighted equally, and write it into the model."""
    kernel, bias = model.get_layer(CLASSIFIER).get_weights()
    weights = sample_weights(strata)
    column, column_bias = refit_column(features, labels, weights, kernel, bias)
    set_column(model, column, column_bias)
