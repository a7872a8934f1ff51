"""Inference the estimation engines lack.

- :mod:`~agglomeration.inference.conley`: Conley (1999) spatial HAC variances for OLS, Poisson
  and IV with fixed effects, with optional serial correlation within a unit (Hsiang 2010),
  computed without an n x n matrix.
"""

from agglomeration.inference.conley import (
    Kernel,
    ScoreModel,
    SpatialNeighbors,
    conley_meat,
    conley_vcov,
    conley_vcov_from_fit,
    spatial_neighbors,
)

__all__ = [
    "Kernel",
    "ScoreModel",
    "SpatialNeighbors",
    "conley_meat",
    "conley_vcov",
    "conley_vcov_from_fit",
    "spatial_neighbors",
]
