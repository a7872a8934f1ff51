"""Production-function (TFP) estimation for plant panels.

:func:`estimate` runs a :class:`TFPSpec` on a plant panel: a value-added Cobb-Douglas
production function by Olley & Pakes (1996), Levinsohn & Petrin (2003), Ackerberg, Caves &
Frazer (2015) or Wooldridge (2009), with OLS and plant fixed effects as benchmarks,
plant-bootstrap standard errors, a multi-start search that reports every distinct root or
local minimum it reaches, and log TFP per plant-year::

    spec = TFPSpec(method="acf", output="Y", free=("fX1", "fX2"), state=("sX",),
                   proxy="pX", unit="idvar", time="timevar", poly_degree=2, n_boot=200)
    res = estimate(spec, chilean)
    res.tidy(); res.roots; print(res.summary())
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from agglomeration.errors import ConvergenceError, InputError, SpecError
from agglomeration.tfp._common import Panel, lag_index, prepare_panel
from agglomeration.tfp._fit import Fit
from agglomeration.tfp._multistart import MultipleRootsWarning, NoRootWarning
from agglomeration.tfp.acf import fit_acf
from agglomeration.tfp.baseline import fit_fe, fit_ols
from agglomeration.tfp.bootstrap import bootstrap
from agglomeration.tfp.lp import fit_lp
from agglomeration.tfp.op import fit_oplp
from agglomeration.tfp.result import METHOD_LABELS, TFPResult
from agglomeration.tfp.spec import NEEDS_PROXY, TFPSpec, load_tfp_specs
from agglomeration.tfp.wrdg import fit_wrdg

__all__ = [
    "METHOD_LABELS",
    "ConvergenceError",
    "MultipleRootsWarning",
    "NoRootWarning",
    "TFPResult",
    "TFPSpec",
    "load_tfp_specs",
    "estimate",
]

_FITTERS: dict[str, Callable[..., Fit]] = {
    "op": fit_oplp,
    "lp": fit_lp,
    "acf": fit_acf,
    "wrdg": fit_wrdg,
    "ols": fit_ols,
    "fe": fit_fe,
}


def _dropped(panel: Panel, spec: TFPSpec, unit_values: np.ndarray) -> pd.DataFrame:
    """Rows excluded from (a stage of) the estimation, with the reason."""
    counts = np.bincount(panel.plant)
    single = counts[panel.plant] == 1
    reasons = np.full(panel.n, "", dtype=object)
    if spec.method in NEEDS_PROXY:
        lag = lag_index(panel.plant, panel.time)
        reasons[(lag < 0) & ~single] = (
            "previous year not observed (first year or after a gap): used only as a lag"
        )
        reasons[single] = "plant observed once: cannot enter the second stage"
        if spec.method == "acf" and spec.acf_instruments == "lags":
            lag2 = np.where(lag >= 0, lag[np.maximum(lag, 0)], -1)
            reasons[(lag >= 0) & (lag2 < 0)] = (
                "year t-2 not observed: used only as a lag (acf_instruments='lags')"
            )
        if spec.method == "wrdg":
            reasons[single] = "plant observed once: cannot enter either equation"
    elif spec.method == "fe":
        reasons[single] = "plant observed once: no within-plant variation"
    keep = reasons != ""
    return pd.DataFrame(
        {
            "unit": unit_values[panel.row[keep]],
            "time": panel.time[keep],
            "reason": reasons[keep].astype(str),
        }
    )


def _check_starts(starts: Any, spec: TFPSpec, panel: Panel) -> np.ndarray | None:
    if starts is None:
        return None
    if not spec.numerical:
        raise InputError(
            f"starts= is only used by numerical estimators; method {spec.method!r}"
            + (f" with wrdg_form={spec.wrdg_form!r}" if spec.method == "wrdg" else "")
            + " is closed form."
        )
    st = np.atleast_2d(np.asarray(starts, dtype=float))
    need, what = {
        "acf": (len(panel.input_names), "free and state input elasticities"),
        "wrdg": (1, "the persistence rho"),
    }.get(spec.method, (len(panel.state_names), "state input elasticities"))
    if st.shape[1] != need:
        raise InputError(
            f"starts must have {need} column(s) for method {spec.method!r} ({what}); "
            f"got {st.shape[1]}."
        )
    return st


def _legacy_spec(data: pd.DataFrame, method: Any, fields: dict[str, Any]) -> TFPSpec:
    warnings.warn(
        "estimate(data, method, **options) is deprecated and will be removed in the next "
        "release; use estimate(TFPSpec(method=..., ...), data).",
        DeprecationWarning,
        stacklevel=3,
    )
    if method is None and "method" not in fields:
        raise SpecError("estimate(data, ...) needs a method, e.g. estimate(data, 'acf', ...).")
    d = dict(fields)
    if method is not None:
        d["method"] = method
    return TFPSpec.from_dict(d)


def estimate(
    spec: TFPSpec | pd.DataFrame,
    data: pd.DataFrame | str | None = None,
    *,
    starts: np.ndarray | None = None,
    n_jobs: int = 1,
    scheduler: Any = None,
    **fields: Any,
) -> TFPResult:
    """Estimate a value-added Cobb-Douglas production function on a plant panel.

    Parameters
    ----------
    spec : TFPSpec
        What to estimate and how (see :class:`TFPSpec`).
    data : pandas.DataFrame
        One row per plant-year, variables in logs.
    starts : ndarray, optional
        Explicit starting values, one row per start (overrides the start design): state
        elasticities for OP/LP, free and state elasticities for ACF, rho for Wooldridge
        ("joint").
    n_jobs : int, default 1
        Worker processes for the bootstrap (results do not depend on it).
    scheduler : str or distributed.Client, optional
        Run the bootstrap on this Dask cluster (results do not depend on it).
    **fields
        Deprecated keyword form, kept for one release: ``estimate(data, method, output=...,
        free=..., state=..., proxy=..., unit=..., time=..., ...)`` with the field names of
        :class:`TFPSpec` (``id`` is now ``unit``, ``exit`` is now ``exit_correction``).

    Returns
    -------
    TFPResult

    Raises
    ------
    SpecError
        Invalid or unknown options (named).
    InputError
        Bad data (missing or non-numeric columns, missing values, duplicate plant-years).
    ConvergenceError
        The optimisation failed from every start, or (just-identified ACF with
        ``require_root=True``) no start reached an exact root; the bootstrap failed.

    Examples
    --------
    On simulated plants whose true elasticities are 0.6 (labour) and 0.3 (capital), Olley-Pakes
    recovers them, while OLS overstates labour, which responds to productivity:

    >>> from agglomeration.simulate import plant_panel
    >>> from agglomeration.tfp import TFPSpec, estimate
    >>> plants = plant_panel(300, 8, seed=3).panel
    >>> kw = dict(output="y", free=("l",), state=("k",), unit="plant", time="year")
    >>> op = estimate(TFPSpec(method="op", proxy="i", n_starts=4, **kw), plants)
    >>> bool(abs(op.params["l"] - 0.6) < 0.02 and abs(op.params["k"] - 0.3) < 0.05)
    True
    >>> bool(estimate(TFPSpec(method="ols", **kw), plants).params["l"] > 0.8)
    True
    """
    if isinstance(spec, pd.DataFrame):
        if data is not None and not isinstance(data, str):
            raise SpecError("estimate(data, method, ...): method must be a string.")
        frame: pd.DataFrame = spec
        spec = _legacy_spec(frame, data, fields)
        data = frame
    elif fields:
        raise SpecError(
            f"estimate(spec, data) takes its options from the spec; unexpected keyword(s) "
            f"{sorted(fields)}. Use dataclasses.replace(spec, ...) to change them."
        )
    if not isinstance(spec, TFPSpec):
        raise SpecError(f"estimate needs a TFPSpec; got {type(spec).__name__}.")
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"data must be a pandas DataFrame; got {type(data).__name__}.")
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs < 1:
        raise InputError(f"n_jobs must be a positive integer; got {n_jobs!r}.")
    panel = prepare_panel(
        data,
        output=spec.output,
        free=spec.free,
        state=spec.state,
        proxy=spec.proxy if spec.method in NEEDS_PROXY else None,
        unit=spec.unit,
        time=spec.time,
    )
    fitter = _FITTERS[spec.method]
    fit = fitter(panel, spec, _check_starts(starts, spec, panel))
    names = list(panel.input_names)
    params = pd.Series(fit.params, index=names, name=spec.method)

    std_errors = pd.Series(np.nan, index=names, name="std_error")
    boot_params = None
    n_failed = 0
    messages: tuple[str, ...] = ()
    if spec.n_boot:
        start = fit.optimum if spec.numerical else None
        boot = bootstrap(
            fitter,
            panel,
            spec,
            start=start,
            n_boot=spec.n_boot,
            seed=spec.seed,
            n_jobs=n_jobs,
            scheduler=scheduler,
        )
        ok = ~np.isnan(boot.draws).any(axis=1)
        if ok.sum() < 2:
            raise ConvergenceError(
                f"{spec.method}: {boot.failed} of {spec.n_boot} bootstrap replications failed; "
                f"no standard errors. Messages: {boot.messages}"
            )
        boot_params = pd.DataFrame(boot.draws[ok], columns=names)
        std_errors = boot_params.std(ddof=1).rename("std_error")
        n_failed = boot.failed
        messages = boot.messages

    logtfp = panel.y - panel.inputs @ fit.params
    by_row = np.empty(panel.n)
    by_row[panel.row] = logtfp
    return TFPResult(
        spec=spec,
        params=params,
        std_errors=std_errors,
        boot_params=boot_params,
        n_boot_failed=n_failed,
        boot_messages=messages,
        starts=fit.starts,
        solutions=fit.solutions,
        best_start=fit.best_start,
        objective=fit.objective,
        converged=fit.converged,
        diagnosis=fit.diagnosis,
        tfp=pd.Series(by_row, index=data.index, name="log_tfp"),
        n_obs=panel.n,
        n_plants=int(panel.plant.max()) + 1,
        n_second_stage=fit.second_stage_rows,
        dropped=_dropped(panel, spec, data[spec.unit].to_numpy()),
        first_stage=fit.first_stage,
        extra=dict(fit.extra),
    )
