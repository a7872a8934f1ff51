"""Wooldridge (2009) as the R package prodest computes it (``wrdg_form="prodest"`` and ``"prodest_gmm"``).

Both forms keep Wooldridge's two equations but replace his law of motion and his instruments
by simplifications; they are closed-form linear estimators, on the plant-years whose previous
year is observed (prodest's ``model.frame`` drops rows with a missing lag). With c(k, m) the
full polynomial of degree ``poly_degree`` in (state, proxy) (prodest: degree 2, the formula
``~ .^2`` plus squares) and w the free inputs:

``"prodest"`` (``prodestWRDG``; Rovigatti 2017, vignette eq. 24-25 and 31-32). The law of
motion is a random walk (polynomial order G = 1 with slope delta_1 = 1), so both equations
share *all* coefficients, including those of the polynomial:

    (1) y_it = a + w_it beta_w + k_it beta_k + c(k_it, m_it) lambda + e_it
    (2) y_it = a + w_it beta_w + k_it beta_k + c(k_i,t-1, m_i,t-1) lambda + eta_it

The two equations are stacked into one regression of (y; y) on (w; w), (k; k) and
(c_t; c_t-1), estimated by two-stage least squares with the instruments (w_t-1; w_t-1),
(k; k), (c_t; c_t-1): the free inputs are instrumented by their lags in *both* equations
(Wooldridge instruments them only in (2)). As in prodest's code, the first stage is run
without a constant and the second stage with one common constant. The level of k_t appears
twice in (1) (alone and inside c); it is identified only through the stacking.

``"prodest_gmm"`` (``prodestWRDG_GMM``; vignette eq. 33). The polynomial coefficients are
equation-specific (equation (2) also gets its own intercept) and only (1, beta_w, beta_k) are
common; instruments (1, w_t, c_t) for (1) and (1, w_t-1, k_t, c_t-1) for (2). prodest's
second-step weight is (u'u Z'Z)^{-1} with u'u a scalar (the stacked sum of squared
first-step residuals), which is proportional to (Z'Z)^{-1}: the estimate is system 2SLS
and does not depend on the first step, so it is computed directly here.

Differences from ``"joint"`` (:mod:`agglomeration.tfp.wrdg`, the project's formulation):
``"joint"`` estimates the persistence rho of an AR(1) law of motion
(omega_t = rho_0 + rho omega_t-1 + u_t; prodest fixes rho = 1 in ``"prodest"`` and leaves
the lagged polynomial unrestricted in ``"prodest_gmm"``), shares the polynomial
coefficients between equations scaled by rho (Wooldridge 2009, eq. 3.4), keeps w_t as its
own instrument in (1), uses equation-specific constants and the two-step efficient weight
(the plant-clustered covariance of the moments), and reports Hansen's J.

Published values on the Chilean plants (prodest vignette 1.0.1, section 3.3, the table after
``printProd(list(WRDG, WRDG.GMM, ROB))``): ``prodestWRDG`` with investment as the proxy gives
(0.375, 0.309, 0.180) for (skilled, unskilled, capital); ``prodestWRDG_GMM`` with
electricity gives (0.247, 0.217, 0.058).
"""

from __future__ import annotations

import numpy as np

from agglomeration.errors import EstimationError
from agglomeration.tfp._common import FloatArray, Panel, lag_index, ols, poly_terms
from agglomeration.tfp._fit import Fit
from agglomeration.tfp.baseline import closed_form_fit
from agglomeration.tfp.spec import TFPSpec


def _rows(panel: Panel, spec: TFPSpec) -> tuple[np.ndarray, np.ndarray, FloatArray]:
    lag = lag_index(panel.plant, panel.time)
    cur = np.nonzero(lag >= 0)[0]
    c = poly_terms(np.column_stack([panel.state, panel.proxy]), spec.poly_degree)
    if cur.size <= 4 * (panel.inputs.shape[1] + 2 * c.shape[1] + 2):
        raise EstimationError(
            f"WRDG ({spec.wrdg_form}): only {cur.size} plant-years have the previous year "
            "observed; lower poly_degree or use longer panels."
        )
    return cur, lag[cur], c


def wrdg_prodest_2sls(panel: Panel, spec: TFPSpec) -> FloatArray:
    """Elasticities of prodest's ``prodestWRDG`` (stacked 2SLS, random-walk productivity)."""
    cur, prev, c = _rows(panel, spec)
    w, k = panel.free[cur], panel.state[cur]
    x1 = np.hstack([w, k, c[cur]])
    x2 = np.hstack([w, k, c[prev]])
    z1 = np.hstack([panel.free[prev], k, c[cur]])
    z2 = np.hstack([panel.free[prev], k, c[prev]])
    x, z = np.vstack([x1, x2]), np.vstack([z1, z2])
    y = np.r_[panel.y[cur], panel.y[cur]]
    # First stage without a constant (lm.fit(ivZ, ivX)), second stage with one (lm()).
    _, fitted = ols(z, x)
    coef, _ = ols(np.column_stack([np.ones(y.size), fitted]), y)
    return np.asarray(coef[1 : 1 + panel.inputs.shape[1]], dtype=np.float64)


def wrdg_prodest_gmm(panel: Panel, spec: TFPSpec) -> FloatArray:
    """Elasticities of prodest's ``prodestWRDG_GMM`` (system 2SLS, unrestricted lag polynomial)."""
    cur, prev, c = _rows(panel, spec)
    m = cur.size
    one = np.ones((m, 1))
    w, k = panel.free[cur], panel.state[cur]
    n_s = k.shape[1]
    # Common: (1, w, k); equation 1 only: the rest of c_t (its first n_s columns are k_t);
    # equation 2 only: a second intercept and c_{t-1}.
    own1 = c[cur][:, n_s:]
    own2 = np.hstack([one, c[prev]])
    common = np.hstack([one, w, k])
    x = np.vstack(
        [
            np.hstack([common, own1, np.zeros((m, own2.shape[1]))]),
            np.hstack([common, np.zeros((m, own1.shape[1])), own2]),
        ]
    )
    z1 = np.hstack([one, w, c[cur]])
    z2 = np.hstack([one, panel.free[prev], k, c[prev]])
    z = np.zeros((2 * m, z1.shape[1] + z2.shape[1]))
    z[:m, : z1.shape[1]] = z1
    z[m:, z1.shape[1] :] = z2
    y = np.r_[panel.y[cur], panel.y[cur]]
    zx, zy = z.T @ x, z.T @ y
    weight = np.linalg.inv(z.T @ z)
    theta = np.linalg.solve(zx.T @ weight @ zx, zx.T @ weight @ zy)
    return np.asarray(theta[1 : 1 + panel.inputs.shape[1]], dtype=np.float64)


def fit_wrdg_prodest(panel: Panel, spec: TFPSpec, starts: FloatArray | None = None) -> Fit:
    """Estimate Wooldridge's model in prodest's formulation ``spec.wrdg_form``."""
    del starts
    if spec.wrdg_form == "prodest":
        params = wrdg_prodest_2sls(panel, spec)
        note = "closed form (prodest WRDG: stacked 2SLS)"
    else:
        params = wrdg_prodest_gmm(panel, spec)
        note = "closed form (prodest WRDG_GMM: system 2SLS)"
    rows = int((lag_index(panel.plant, panel.time) >= 0).sum())
    return closed_form_fit(panel, params, rows, note)
