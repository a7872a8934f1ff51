"""Benchmarks for the control-function estimators: pooled OLS and plant fixed effects.

OLS of y_it on (1, w_it, k_it) is biased upwards for the free inputs when they respond
to productivity (Marschak & Andrews 1944; Olley & Pakes 1996, section 2). The within
(plant fixed-effects) estimator removes a time-invariant productivity component only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from agglomeration.tfp._common import FloatArray, Panel, ols
from agglomeration.tfp._fit import Fit
from agglomeration.tfp.spec import TFPSpec


def closed_form_fit(
    panel: Panel, params: np.ndarray, rows: int, note: str, **kw: object
) -> Fit:
    """Wrap a closed-form estimate as a :class:`Fit` with one trivial start and solution."""
    values = {n: float(v) for n, v in zip(panel.input_names, params, strict=True)}
    starts = pd.DataFrame(
        [{"start": 0, **values, "objective": np.nan, "converged": True, "message": note}]
    )
    solutions = pd.DataFrame(
        [{"solution": 0, **values, "objective": np.nan, "root_measure": np.nan,
          "is_root": False, "n_starts": 1, "first_start": 0, "chosen": True}]
    )
    return Fit(
        params=params,
        objective=float("nan"),
        starts=starts,
        second_stage_rows=rows,
        solutions=solutions,
        diagnosis=f"{note}: no numerical optimisation",
        **kw,  # type: ignore[arg-type]
    )


def fit_ols(panel: Panel, spec: TFPSpec, starts: FloatArray | None = None) -> Fit:
    """Pooled OLS of y on a constant and the inputs."""
    del spec, starts
    x = np.column_stack([np.ones(panel.n), panel.inputs])
    coef, _ = ols(x, panel.y)
    return closed_form_fit(panel, coef[1:], panel.n, "closed form (OLS)")


def fit_fe(panel: Panel, spec: TFPSpec, starts: FloatArray | None = None) -> Fit:
    """Within (plant fixed-effects) OLS; plants observed once carry no information."""
    del spec, starts
    _, inv, counts = np.unique(panel.plant, return_inverse=True, return_counts=True)
    data = np.column_stack([panel.y, panel.inputs])
    sums = np.zeros((counts.size, data.shape[1]))
    np.add.at(sums, inv, data)
    demeaned = data - (sums / counts[:, None])[inv]
    coef, _ = ols(demeaned[:, 1:], demeaned[:, 0])
    rows = int(counts[counts > 1].sum())
    return closed_form_fit(panel, coef, rows, "closed form (within OLS)")
