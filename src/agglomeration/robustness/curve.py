r"""Specification curve and inference on it (Simonsohn, Simmons & Nelson 2020).

:func:`specification_curve` sorts the focal estimates of every specification of a grid, with
their intervals and the choices that produced each one (the curve's indicator panel), as tidy
data. :func:`curve_inference` asks whether the curve as a whole could have arisen if the focal
effect were zero in every specification (Simonsohn, Simmons & Nelson 2020, *Nature Human
Behaviour* 4, section "Inference with the specification curve"). Three summaries of the curve
are compared with their distribution under the null: the median estimate, the share of
estimates that are significant and positive, and the share significant and negative.

The null is imposed by a wild cluster bootstrap with restricted residuals, drawn once for all
specifications so that their dependence is kept. For specification :math:`s` with demeaned
regressors :math:`\tilde X_s` (focal column :math:`f`), restricted residuals
:math:`\hat e^r_s` from the regression without the focal regressor, and bread
:math:`B_s = (\tilde X_s'\tilde X_s)^{-1}`, a draw of Rademacher weights :math:`v_g` per
cluster gives the outcome :math:`y^* = \tilde W_s \hat\gamma_s + v_{g(i)} \hat e^r_{s,i}`, whose
focal estimate is (Frisch-Waugh-Lovell; the fixed-effect projection drops out of
:math:`\tilde X_s' D`)

.. math::

    \hat b^*_s = \sum_g v_g\, a_{s,g}, \qquad
    a_{s,g} = \Big[B_s \sum_{i \in g} \tilde x_{s,i} \hat e^r_{s,i}\Big]_f ,

so a draw of the whole curve is one matrix product ``V A`` (draws x clusters times clusters x
specifications); the contributions :math:`a_{s,g}` are computed by
:func:`~agglomeration.robustness.run.run_grid` with ``boot_cluster``. A bootstrap estimate is
called significant when :math:`|\hat b^*_s| / \widehat{se}_s` exceeds the critical value of the
specification's own test, with the standard error held at its sample value (the curve's
significance rule applied to the null draws; Simonsohn et al. re-estimate it in every draw).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as st

from agglomeration.errors import InputError
from agglomeration.robustness.run import GridResult
from agglomeration.robustness.runner import task_generators

__all__ = ["CurveInference", "curve_inference", "specification_curve"]


def specification_curve(result: GridResult, *, alpha: float = 0.05) -> pd.DataFrame:
    """Tidy specification curve: one row per estimated spec, sorted by the focal estimate.

    Returns
    -------
    pandas.DataFrame
        ``rank`` (1 = smallest), ``spec_id``, ``spec_name``, ``focal``, ``estimate``,
        ``std_error``, ``conf_low``, ``conf_high``, ``p_value``, ``significant``
        (``p_value < alpha``), ``sign`` (-1, 0, 1), ``n_obs``, ``estimator``, then one column
        per axis of the grid with the option label.
    """
    t = result.focal_table()
    if t.empty:
        raise InputError("the grid has no estimated specification with its focal term.")
    axes = [c for c in result.choices.columns if c not in ("spec_id", "focal")]
    keep = [
        "spec_id",
        "spec_name",
        "focal",
        "estimate",
        "std_error",
        "conf_low",
        "conf_high",
        "p_value",
        "n_obs",
        "estimator",
        *axes,
    ]
    out = t[keep].sort_values(["estimate", "spec_id"], kind="mergesort").reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    out["significant"] = out["p_value"] < alpha
    out["sign"] = np.sign(out["estimate"]).astype(int)
    return out


@dataclass(frozen=True)
class CurveInference:
    """Inference on a specification curve under the null of no effect.

    Attributes
    ----------
    summary : pandas.DataFrame
        One row per statistic (``median_estimate``, ``share_significant_positive``,
        ``share_significant_negative``): ``observed``, ``null_mean``, ``null_q025``,
        ``null_q975``, ``p_value`` (share of null draws at least as extreme as observed: for
        the median in the observed direction, for the shares at least as large).
    null : pandas.DataFrame
        One row per bootstrap draw with the three statistics.
    n_specs : int
        Specifications in the inference (OLS specs with bootstrap contributions).
    n_boot : int
        Draws.
    """

    summary: pd.DataFrame
    null: pd.DataFrame
    n_specs: int
    n_boot: int


def _critical(df: np.ndarray, alpha: float) -> np.ndarray:
    q = 1.0 - alpha / 2.0
    crit = np.full(df.shape, float(st.norm.ppf(q)))
    has = np.isfinite(df)
    crit[has] = st.t.ppf(q, df[has])
    return crit


def curve_inference(
    result: GridResult,
    *,
    n_boot: int = 1000,
    seed: int = 0,
    alpha: float = 0.05,
    chunk: int = 250,
    progress: bool = False,
) -> CurveInference:
    """Compare the curve's median and shares of significant estimates with the null.

    Parameters
    ----------
    result : GridResult
        From :func:`run_grid` with ``boot_cluster`` set.
    n_boot : int
        Bootstrap draws (Rademacher weights per cluster).
    seed : int
        Root seed; block ``j`` of draws uses the ``j``-th child seed, so the draws are fixed
        by ``(seed, chunk)``.
    alpha : float
        Significance level of each specification's test.
    chunk : int
        Draws per block (memory: ``chunk x n_specs`` floats).
    progress : bool
        Show a progress bar over the blocks of draws.

    Returns
    -------
    CurveInference
    """
    if not result.boot:
        raise InputError(
            "no bootstrap contributions: run the grid with run_grid(..., boot_cluster='state')."
        )
    if n_boot < 1:
        raise InputError(f"n_boot must be positive, got {n_boot!r}.")
    t = result.focal_table()
    t = t.loc[t["spec_id"].isin(result.boot.keys())].reset_index(drop=True)
    a = np.column_stack([result.boot[s] for s in t["spec_id"]])  # clusters x specs
    est = t["estimate"].to_numpy(float)
    se = t["std_error"].to_numpy(float)
    crit = _critical(t["df"].to_numpy(float), alpha)
    sig = t["p_value"].to_numpy(float) < alpha
    observed = {
        "median_estimate": float(np.median(est)),
        "share_significant_positive": float(np.mean(sig & (est > 0))),
        "share_significant_negative": float(np.mean(sig & (est < 0))),
    }
    rows = []
    sizes = [min(chunk, n_boot - i) for i in range(0, n_boot, chunk)]
    from tqdm import tqdm

    blocks = zip(task_generators(seed, len(sizes)), sizes, strict=True)
    for child, m in tqdm(blocks, total=len(sizes), disable=not progress, desc="null bootstrap"):
        v = np.random.default_rng(child).choice([-1.0, 1.0], size=(m, a.shape[0]))
        b = v @ a
        s = np.abs(b) / se > crit
        rows.append(
            np.column_stack(
                [np.median(b, axis=1), np.mean(s & (b > 0), axis=1), np.mean(s & (b < 0), axis=1)]
            )
        )
    null = pd.DataFrame(np.vstack(rows), columns=list(observed))
    null.insert(0, "draw", np.arange(n_boot))
    out = []
    for k, obs in observed.items():
        x = null[k].to_numpy()
        if k == "median_estimate":
            direction = 1.0 if obs >= 0 else -1.0
            p = float(np.mean(direction * x >= direction * obs))
        else:
            p = float(np.mean(x >= obs))
        out.append(
            {
                "statistic": k,
                "observed": obs,
                "null_mean": float(x.mean()),
                "null_q025": float(np.quantile(x, 0.025)),
                "null_q975": float(np.quantile(x, 0.975)),
                "p_value": p,
                "n_specs": len(t),
                "n_boot": n_boot,
                "cluster": result.boot_cluster,
            }
        )
    return CurveInference(pd.DataFrame(out), null, len(t), n_boot)
