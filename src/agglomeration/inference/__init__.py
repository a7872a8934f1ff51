"""Inference the estimation engines lack.

- :mod:`~agglomeration.inference.conley`: Conley (1999) spatial HAC variances for OLS, Poisson
  and IV with fixed effects, with optional serial correlation within a unit (Hsiang 2010),
  computed without an n x n matrix.
- :mod:`~agglomeration.inference.shift_share`: shift-share (Bartik) exposure and regressions with
  Adao-Kolesar-Morales (2019) AKM and AKM0 inference, and the equivalent shock-level regression
  of Borusyak, Hull & Jaravel (2022).
- :mod:`~agglomeration.inference.dyadic`: dyadic-robust variances for regressions on pairs of
  units (Cameron & Miller 2014; Aronow, Samii & Assenova 2015).
- :mod:`~agglomeration.inference.coverage`: coverage and standard-error accuracy of intervals
  in Monte Carlo experiments.
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
from agglomeration.inference.coverage import COVERAGE_COLUMNS, coverage_table
from agglomeration.inference.dyadic import DyadicOLSResult, dyadic_meat, dyadic_ols, dyadic_vcov
from agglomeration.inference.shift_share import (
    ShareMatrix,
    ShiftShareExposure,
    ShockLevelResult,
    share_matrix,
    shift_share_exposure,
    shift_share_regression,
    shock_level_regression,
)
from agglomeration.inference.shift_share_result import Akm0Interval, ShiftShareResult

__all__ = [
    "COVERAGE_COLUMNS",
    "Akm0Interval",
    "DyadicOLSResult",
    "Kernel",
    "ScoreModel",
    "ShareMatrix",
    "ShiftShareExposure",
    "ShiftShareResult",
    "ShockLevelResult",
    "SpatialNeighbors",
    "conley_meat",
    "conley_vcov",
    "conley_vcov_from_fit",
    "coverage_table",
    "dyadic_meat",
    "dyadic_ols",
    "dyadic_vcov",
    "share_matrix",
    "shift_share_exposure",
    "shift_share_regression",
    "shock_level_regression",
    "spatial_neighbors",
]
