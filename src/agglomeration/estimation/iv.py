r"""Instrumental-variables diagnostics: first-stage strength and over-identification.

First stage (one endogenous regressor :math:`x`, excluded instruments :math:`z`, ``k`` of them).
The first stage regresses :math:`x` on the instruments, the included exogenous regressors and
the fixed effects, on the IV sample; :math:`\hat\pi` are the instruments' coefficients and
:math:`\hat V` their variance under the spec's variance estimator (clustered, Conley, ...).

- Wald first-stage F: :math:`F = \hat\pi' \hat V^{-1} \hat\pi / k`. Under a cluster-robust
  :math:`\hat V` and one endogenous regressor this is the Kleibergen-Paap (2006) Wald rk F.
- Effective F of Montiel Olea & Pflueger (2013, eq. 5),
  :math:`F_{\text{eff}} = \hat\pi' Q \hat\pi / \operatorname{tr}(\hat V Q)` with
  :math:`Q = \tilde Z'\tilde Z` the cross-product of the instruments after the exogenous
  regressors and fixed effects are partialled out (the scale of :math:`Q` cancels). With one
  instrument both equal the squared t statistic of :math:`\hat\pi`; under homoskedasticity
  :math:`F_{\text{eff}}` is the classical first-stage F. The rule of thumb flags instruments
  with :math:`F_{\text{eff}} < 10` as weak (``weak_instrument``).

Over-identification (``L`` instruments including the exogenous regressors, ``K`` regressors,
``L > K``): Hansen's (1982) J at the two-step efficient GMM estimator,
:math:`J = (Z'\hat u)' \hat S^{-1} (Z'\hat u)`, where :math:`\hat S` is the meat of the spec's
variance (:meth:`~agglomeration.estimation.variance.Variance.meat`) on the 2SLS scores
:math:`z_i \hat u_i^{2SLS}` and :math:`\hat u` are the residuals of
:math:`\hat\beta_{GMM} = (X'Z \hat S^{-1} Z'X)^{-1} X'Z \hat S^{-1} Z'y`; ``J`` is
:math:`\chi^2_{L-K}` under the null that every instrument is valid. Fixed effects are
partialled out first (they are exogenous and exactly identified).
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from agglomeration.estimation import engine
from agglomeration.estimation.spec import Spec
from agglomeration.estimation.variance import Variance

__all__ = ["first_stage_statistics", "hansen_j"]


def first_stage_statistics(
    spec: Spec,
    data: pd.DataFrame,
    variance: Variance,
    cache: MutableMapping[Any, Any] | None = None,
) -> dict[str, float]:
    """First-stage coefficient, Wald F and effective F of a one-endogenous IV spec.

    Parameters
    ----------
    spec : Spec
        An IV spec with one endogenous regressor.
    data : pandas.DataFrame
        The IV estimation sample (after every drop), so that both stages use the same rows.
    variance : Variance
        The variance of the first-stage coefficients.
    cache : mapping, optional
        Shared with the second stage's variances (e.g. Conley neighbours).

    Returns
    -------
    dict
        ``first_stage_coef`` (with one instrument), ``first_stage_f``, ``effective_f``,
        ``weak_instrument`` (1.0 if ``effective_f < 10``); empty if the spec is not IV with
        one endogenous regressor.
    """
    if spec.estimator != "iv" or len(spec.endogenous) != 1:
        return {}
    fs = replace(
        spec,
        estimator="ols",
        outcome=spec.endogenous[0],
        regressors=(*spec.instruments, *spec.regressors),
        endogenous=(),
        instruments=(),
        variance=variance,
    )
    model = engine.fit(fs.formula(), data, estimator="ols", weights=spec.weights)
    cov = variance.compute(model, data, cache)
    names = model.names
    idx = [names.index(z) for z in spec.instruments if z in names]
    if len(idx) != len(spec.instruments):
        return {"first_stage_f": np.nan, "effective_f": np.nan, "weak_instrument": 1.0}
    pi = model.coef.to_numpy()[idx]
    v = cov.vcov[np.ix_(idx, idx)]
    q = np.linalg.inv(model.bread()[np.ix_(idx, idx)])
    k = len(idx)
    f_wald = float(pi @ np.linalg.solve(v, pi) / k)
    f_eff = float(pi @ q @ pi / np.trace(v @ q))
    out = {"first_stage_f": f_wald, "effective_f": f_eff, "weak_instrument": float(f_eff < 10)}
    if k == 1:
        out["first_stage_coef"] = float(pi[0])
        out["first_stage_se"] = float(np.sqrt(v[0, 0]))
    return out


def hansen_j(
    model: engine.FittedModel,
    data: pd.DataFrame,
    variance: Variance,
    cache: MutableMapping[Any, Any] | None = None,
) -> dict[str, float]:
    """Hansen's J over-identification statistic (module docstring), robust as ``variance``.

    Returns
    -------
    dict
        ``hansen_j``, ``hansen_j_df``, ``hansen_j_p``; empty if the model is exactly
        identified or the variance defines no meat (e.g. two-way clustering).
    """
    if not model.is_iv:
        return {}
    y, x, z, _, _ = model.iv_arrays()
    n_over = z.shape[1] - x.shape[1]
    if n_over <= 0:
        return {}
    zx, zy = z.T @ x, z.T @ y
    zz_inv = np.linalg.inv(z.T @ z)
    b_2sls = np.linalg.solve(zx.T @ zz_inv @ zx, zx.T @ zz_inv @ zy)
    u = y - x @ b_2sls
    s = variance.meat(z * u[:, None], data, cache)
    if s is None:
        return {}
    w = np.linalg.inv(s)
    b_gmm = np.linalg.solve(zx.T @ w @ zx, zx.T @ w @ zy)
    g = z.T @ (y - x @ b_gmm)
    j = float(g @ w @ g)
    return {"hansen_j": j, "hansen_j_df": float(n_over), "hansen_j_p": float(stats.chi2.sf(j, n_over))}
