"""Containers shared by the estimator modules."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from agglomeration.tfp._common import FloatArray


@dataclass(frozen=True)
class Options:
    """Estimator settings (validated in :func:`agglomeration.tfp.estimate`).

    Attributes
    ----------
    poly_degree : int
        Total degree of the control-function polynomial in the first stage.
    markov_degree : int
        Degree of the polynomial approximating the law of motion g(omega_{t-1}).
    exit : bool
        Olley-Pakes attrition correction (survival probability in g).
    n_starts : int
        Number of starting values for each numerical optimisation.
    start_scale : float
        Standard deviation of the Gaussian perturbations around the base starts.
    optimizer : str
        ``scipy.optimize.minimize`` method.
    acf_instruments : str
        ACF second-stage moments: ``"prodest"`` (just identified, ``(w_{t-1}, k_t)``) or
        ``"lags"`` (over-identified: adds ``w_{t-2}``, ``k_{t-2}``, ``k_{t-1}`` and quadratic terms in ``(k_t, k_{t-1})``); see
        :mod:`agglomeration.tfp.acf`.
    """

    poly_degree: int = 3
    markov_degree: int = 3
    exit: bool = False
    n_starts: int = 5
    start_scale: float = 0.2
    optimizer: str = "BFGS"
    acf_instruments: str = "prodest"


@dataclass(frozen=True)
class Fit:
    """Raw output of one estimator run on one panel."""

    params: FloatArray
    objective: float
    starts: pd.DataFrame
    second_stage_rows: int
    first_stage: pd.Series | None = None
    best_start: int = 0
    extra: dict[str, float] = field(default_factory=dict)
    optimum: FloatArray | None = None

    def __post_init__(self) -> None:
        if not np.all(np.isfinite(self.params)):
            raise RuntimeError("internal error: a fit returned non-finite parameters")
