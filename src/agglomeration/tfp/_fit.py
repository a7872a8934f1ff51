"""Container shared by the estimator modules: the raw output of one estimator run."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from agglomeration.tfp._common import FloatArray

#: Columns of an empty solutions frame (closed-form estimators have one trivial solution).
SOLUTION_COLUMNS = ("solution", "objective", "root_measure", "is_root", "n_starts", "first_start")


@dataclass(frozen=True)
class Fit:
    """Raw output of one estimator run on one panel.

    Attributes
    ----------
    params : ndarray
        Elasticities, free inputs then state inputs.
    objective : float
        Criterion at the estimate (NaN for closed forms).
    starts : pandas.DataFrame
        One row per start (see :class:`agglomeration.tfp._multistart.MultiStartResult`).
    second_stage_rows : int
        Plant-years in the (second-stage) criterion.
    first_stage : pandas.Series, optional
        Stage-1 OLS coefficients.
    best_start : int
        Start whose end point is the estimate.
    extra : dict
        Method-specific diagnostics (J, rho, moment norm, ...).
    optimum : ndarray, optional
        The optimiser's parameter vector at the estimate (bootstrap replications start
        there): state elasticities (OP/LP), all elasticities (ACF), rho (Wooldridge).
    solutions : pandas.DataFrame
        Distinct solutions reached by the starts (roots and local minima), the chosen one
        flagged in ``chosen``.
    converged : bool
        False only when the estimate is not a solution (e.g. no exact root was reached).
    diagnosis : str
        One sentence on what the multi-start search found and how the estimate was chosen.
    """

    params: FloatArray
    objective: float
    starts: pd.DataFrame
    second_stage_rows: int
    first_stage: pd.Series | None = None
    best_start: int = 0
    extra: dict[str, float] = field(default_factory=dict)
    optimum: FloatArray | None = None
    solutions: pd.DataFrame = field(default_factory=lambda: pd.DataFrame())
    converged: bool = True
    diagnosis: str = "closed form"

    def __post_init__(self) -> None:
        if not np.all(np.isfinite(self.params)):
            raise RuntimeError("internal error: a fit returned non-finite parameters")
