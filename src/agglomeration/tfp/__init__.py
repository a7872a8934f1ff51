"""Production-function (TFP) estimation for plant panels.

:func:`estimate` fits a value-added Cobb-Douglas production function by Olley & Pakes
(1996), Levinsohn & Petrin (2003), Ackerberg, Caves & Frazer (2015) or Wooldridge (2009),
with OLS and plant fixed effects as benchmarks, plant-bootstrap standard errors, multiple
starting values and log TFP per plant-year.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from agglomeration.tfp._common import ConvergenceError, Panel, lag_index, prepare_panel
from agglomeration.tfp._fit import Fit, Options
from agglomeration.tfp.acf import fit_acf
from agglomeration.tfp.baseline import fit_fe, fit_ols
from agglomeration.tfp.bootstrap import bootstrap
from agglomeration.tfp.lp import fit_lp
from agglomeration.tfp.op import fit_oplp
from agglomeration.tfp.result import METHOD_LABELS, TFPResult
from agglomeration.tfp.wrdg import fit_wrdg

__all__ = ["METHOD_LABELS", "ConvergenceError", "Options", "TFPResult", "estimate"]

Method = Literal["op", "lp", "acf", "wrdg", "ols", "fe"]
_FITTERS: dict[str, Callable[..., Fit]] = {
    "op": fit_oplp,
    "lp": fit_lp,
    "acf": fit_acf,
    "wrdg": fit_wrdg,
    "ols": fit_ols,
    "fe": fit_fe,
}
_NEEDS_PROXY = ("op", "lp", "acf", "wrdg")
_NUMERICAL = ("op", "lp", "acf", "wrdg")


def _dropped(
    panel: Panel, method: str, id_values: np.ndarray, acf_instruments: str = "prodest"
) -> pd.DataFrame:
    counts = np.bincount(panel.plant)
    single = counts[panel.plant] == 1
    reasons = np.full(panel.n, "", dtype=object)
    if method in _NEEDS_PROXY:
        lag = lag_index(panel.plant, panel.time)
        reasons[(lag < 0) & ~single] = (
            "previous year not observed (first year or after a gap): used only as a lag"
        )
        reasons[single] = "plant observed once: cannot enter the second stage"
        if method == "acf" and acf_instruments == "lags":
            lag2 = np.where(lag >= 0, lag[np.maximum(lag, 0)], -1)
            reasons[(lag >= 0) & (lag2 < 0)] = (
                "year t-2 not observed: used only as a lag (acf_instruments='lags')"
            )
        if method == "wrdg":
            reasons[single] = "plant observed once: cannot enter either equation"
    elif method == "fe":
        reasons[single] = "plant observed once: no within-plant variation"
    keep = reasons != ""
    return pd.DataFrame(
        {
            "id": id_values[panel.row[keep]],
            "time": panel.time[keep],
            "reason": reasons[keep].astype(str),
        }
    )


def estimate(
    data: pd.DataFrame,
    method: Method,
    *,
    output: str,
    free: str | Sequence[str],
    state: str | Sequence[str],
    proxy: str | None = None,
    id: str,
    time: str,
    poly_degree: int = 3,
    markov_degree: int = 3,
    exit: bool = False,
    n_starts: int = 5,
    start_scale: float = 0.2,
    starts: np.ndarray | None = None,
    optimizer: str = "BFGS",
    n_boot: int = 0,
    seed: int = 0,
    n_jobs: int = 1,
    acf_instruments: Literal["prodest", "lags"] = "prodest",
) -> TFPResult:
    """Estimate a value-added Cobb-Douglas production function on a plant panel.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per plant-year, variables in logs.
    method : {"op", "lp", "acf", "wrdg", "ols", "fe"}
        Olley & Pakes (1996, eq. 6 and 12); Levinsohn & Petrin (2003, eq. 4-6);
        Ackerberg, Caves & Frazer (2015, section 4.1); Wooldridge (2009, eq. 2.9-2.10,
        linear law of motion); pooled OLS; plant fixed effects.
    output : str
        Log output (value added).
    free, state : str or sequence of str
        Log free inputs (e.g. labour) and log state inputs (capital).
    proxy : str, optional
        Investment (OP) or an intermediate input (LP, ACF, Wooldridge); required for
        those methods.
    id, time : str
        Plant identifier and integer period. Lags are taken from ``time`` (t - 1), so a
        gap in a plant's years means no lag, never the previous observed row.
    poly_degree : int, default 3
        Degree of the full control-function polynomial. The R package prodest uses 2.
    markov_degree : int, default 3
        Degree of the polynomial for the law of motion of productivity (OP, LP, ACF;
        Wooldridge uses a linear law of motion).
    exit : bool, default False
        OP/LP attrition correction: a probit of exit on the lagged polynomial enters the
        law of motion (Olley & Pakes 1996, eq. 11-12).
    n_starts : int, default 5
        Starting values per numerical optimisation: method-specific base starts (stage-1
        and pooled-OLS coefficients; a grid for Wooldridge's rho), then Gaussian
        perturbations (sd ``start_scale``) drawn from ``seed``.
    start_scale : float, default 0.2
        Standard deviation of the start perturbations.
    starts : ndarray, optional
        Explicit starting values, one row per start (overrides ``n_starts``): state
        elasticities for OP/LP, free and state elasticities for ACF, rho for Wooldridge.
    optimizer : str, default "BFGS"
        ``scipy.optimize.minimize`` method; BFGS runs that stall are polished by
        Nelder-Mead.
    n_boot : int, default 0
        Plant-bootstrap replications for standard errors (0: none).
    seed : int, default 0
        Seed for the start perturbations and the bootstrap.
    n_jobs : int, default 1
        Worker processes for the bootstrap.
    acf_instruments : {"prodest", "lags"}, default "prodest"
        ACF only. ``"prodest"``: the just-identified moments ``E[xi_t (w_{t-1}, k_t)] = 0``
        of ACF (2015, eq. 28) as in prodest. ``"lags"``: instruments ``w_{t-1}, w_{t-2}, k_{t-2}``, ``k_t, k_{t-1}``
        and their squares and cross products (over-identified, one-step GMM with weight
        ``(Z'Z)^{-1}``; needs two consecutive lags, so each plant's first two years are used
        only as lags). The just-identified
        moments can have several exact roots (see :mod:`agglomeration.tfp.acf`); the extra
        moments make the spurious ones local minima with a criterion that grows with N.
        ``result.extra`` holds Hansen's J (homoskedastic, ``hansen_j``, ``hansen_j_df``) and
        the innovation variance ``sigma2_xi`` for ACF.

    Returns
    -------
    TFPResult

    Raises
    ------
    ValueError
        For bad input (missing or non-numeric columns, duplicate plant-year keys, a
        missing proxy, bad options).
    ConvergenceError
        If the optimisation fails from every starting value.
    """
    if method not in _FITTERS:
        raise ValueError(f"`method` must be one of {sorted(_FITTERS)}; got {method!r}.")
    if method in _NEEDS_PROXY and proxy is None:
        raise ValueError(f"method {method!r} needs a `proxy` column (investment or materials).")
    if exit and method not in ("op", "lp"):
        raise ValueError(f"`exit=True` is available for 'op' and 'lp' only; got {method!r}.")
    for nm, v in (("poly_degree", poly_degree), ("markov_degree", markov_degree)):
        if not isinstance(v, int) or v < 1:
            raise ValueError(f"`{nm}` must be a positive integer; got {v!r}.")
    if acf_instruments not in ("prodest", "lags"):
        raise ValueError(
            f"`acf_instruments` must be 'prodest' or 'lags'; got {acf_instruments!r}."
        )
    if n_boot < 0 or n_boot == 1:
        raise ValueError(f"`n_boot` must be 0 or >= 2; got {n_boot}.")
    opts = Options(
        poly_degree=poly_degree,
        markov_degree=markov_degree,
        exit=exit,
        n_starts=n_starts,
        start_scale=start_scale,
        optimizer=optimizer,
        acf_instruments=acf_instruments,
    )
    panel = prepare_panel(
        data,
        output=output,
        free=free,
        state=state,
        proxy=proxy if method in _NEEDS_PROXY else None,
        id=id,
        time=time,
    )
    k = len(panel.input_names)
    rng = np.random.default_rng(seed)
    fitter = _FITTERS[method]
    fit: Fit
    if method in _NUMERICAL:
        st = None
        if starts is not None:
            st = np.atleast_2d(np.asarray(starts, dtype=float))
            need, what = {
                "acf": (k, "free and state input elasticities"),
                "wrdg": (1, "the persistence rho"),
            }.get(method, (len(panel.state_names), "state input elasticities"))
            if st.shape[1] != need:
                raise ValueError(
                    f"`starts` must have {need} column(s) for method {method!r} ({what}); "
                    f"got {st.shape[1]}."
                )
        fit = fitter(panel, opts, rng, starts=st)
    else:
        fit = fitter(panel, opts, rng)
    names = list(panel.input_names)
    params = pd.Series(fit.params, index=names, name=method)

    std_errors = None
    boot_params = None
    n_failed = 0
    messages: tuple[str, ...] = ()
    if n_boot:
        start = fit.optimum if method in _NUMERICAL else None
        boot = bootstrap(fitter, panel, opts, start=start, n_boot=n_boot, seed=seed, n_jobs=n_jobs)
        ok = ~np.isnan(boot.draws).any(axis=1)
        if ok.sum() < 2:
            raise ConvergenceError(
                f"{method}: {boot.failed} of {n_boot} bootstrap replications failed; "
                f"no standard errors. Messages: {boot.messages}"
            )
        boot_params = pd.DataFrame(boot.draws[ok], columns=names)
        std_errors = boot_params.std(ddof=1).rename(method)
        n_failed = boot.failed
        messages = boot.messages

    logtfp = panel.y - panel.inputs @ fit.params
    by_row = np.empty(panel.n)
    by_row[panel.row] = logtfp
    tfp = pd.Series(by_row, index=data.index, name="log_tfp")
    id_values = data[id].to_numpy()
    return TFPResult(
        method=method,
        params=params,
        std_errors=std_errors,
        boot_params=boot_params,
        n_boot=n_boot,
        n_boot_failed=n_failed,
        boot_messages=messages,
        starts=fit.starts,
        best_start=fit.best_start,
        objective=fit.objective,
        tfp=tfp,
        n_obs=panel.n,
        n_plants=int(panel.plant.max()) + 1,
        n_second_stage=fit.second_stage_rows,
        dropped=_dropped(panel, method, id_values, acf_instruments),
        options=opts,
        first_stage=fit.first_stage,
        extra=dict(fit.extra),
    )
