"""Relatedness matrices between industries or clusters: a random draw and the checks on one given.

A relatedness matrix ``A`` (``n x n``) is symmetric, non-negative, has a zero diagonal (an
industry is not related to itself) and every row has a positive sum (every industry has at
least one related industry). Entries are 0/1 (related or not) or non-negative weights.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from agglomeration.errors import InputError


def _random_relatedness(
    rng: np.random.Generator, n: int, mean_related: float
) -> NDArray[np.float64]:
    """Draw a symmetric 0/1 relatedness matrix with about ``mean_related`` links per row.

    Each ``i`` is related to its neighbours on a cycle (``i - 1`` and ``i + 1`` modulo ``n``;
    one link when ``n = 2``), so that every row has a related industry; each other unordered
    pair is related independently with probability ``(mean_related - 2) / (n - 3)`` (clipped
    to [0, 1]), so that the expected number of links per row is ``mean_related`` when
    ``2 <= mean_related <= n - 1``.
    """
    a = np.zeros((n, n))
    idx = np.arange(n)
    a[idx, (idx + 1) % n] = 1.0
    a[(idx + 1) % n, idx] = 1.0
    if n > 3:
        p = min(max((mean_related - 2.0) / (n - 3.0), 0.0), 1.0)
        upper = np.triu(rng.random((n, n)) < p, k=1)
        a = np.maximum(a, (upper | upper.T).astype(np.float64))
    np.fill_diagonal(a, 0.0)
    return a


def _check_relatedness(name: str, matrix: ArrayLike, n: int) -> NDArray[np.float64]:
    """Validate a given relatedness matrix (see the module docstring); return a float copy."""
    try:
        a = np.array(matrix, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a numeric {n} x {n} matrix.") from None
    if a.shape != (n, n):
        raise InputError(f"{name} must be {n} x {n} (one row and column per unit), got {a.shape}.")
    if not np.isfinite(a).all() or (a < 0).any():
        raise InputError(f"{name} must hold finite, non-negative weights.")
    if not np.array_equal(a, a.T):
        raise InputError(f"{name} must be symmetric; pass (A + A.T) / 2 or A | A.T.")
    if np.diag(a).any():
        raise InputError(f"{name} must have a zero diagonal (a unit is not related to itself).")
    empty = np.flatnonzero(a.sum(axis=1) <= 0)
    if empty.size:
        raise InputError(
            f"{name} has rows without any related unit: {empty[:10].tolist()}; every unit needs "
            "at least one related unit (its related employment enters in logs)."
        )
    return a
