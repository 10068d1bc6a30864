"""The out-of-distribution score behind the "not a potato leaf" rule (training and serving)."""

from __future__ import annotations

import numpy as np


def mahalanobis_score(
    pooled: np.ndarray, projection: np.ndarray, centres: np.ndarray
) -> np.ndarray:
    """Squared distance of each (n, c) pooled feature row to its nearest class centre.

    ``projection`` whitens the features (shared within-class covariance, Lee et al. 2018)
    and ``centres`` are the class means in that space; higher means stranger. einsum,
    not a BLAS matmul: OpenBLAS threads spin after a matmul and slow the next LiteRT
    invoke on a 2-core machine by ~10 ms.
    """
    projected = np.einsum("nc,ck->nk", pooled, projection)
    return ((projected[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2).min(axis=1)
