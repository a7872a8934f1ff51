"""Wooldridge (2009) one-step system GMM for a value-added Cobb-Douglas.

With the control function g(k, m) = lambda_0 + c(k, m) lambda, c a full polynomial of
degree ``poly_degree`` in (state, proxy), and a linear law of motion for productivity,
Wooldridge (2009, eq. 2.9-2.10 and section 3) gives two equations on the same plant-years:

(1)  y_it = a_1 + w_it beta_w + c_it pi_1 + e_it,             E[(1, w_it, c_it)' e_it] = 0
(2)  y_it = a_2 + w_it beta_w + k_it beta_k + c_i,t-1 pi_2 + u_it,
                                          E[(1, w_i,t-1, k_it, c_i,t-1)' u_it] = 0

The free-input coefficients beta_w are common to both equations; (1) cannot separate
beta_k from the linear term of c and leaves it free. The law-of-motion restriction
pi_2 = rho * lambda is not imposed (a consistent, slightly less efficient version), which
makes the estimator linear: two-step GMM, first with the block-diagonal 2SLS weight
((Z'Z)/N)^{-1}, then with the inverse of the plant-clustered moment covariance. Being
linear, it needs no starting values and has a unique minimum.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from agglomeration.tfp._common import FloatArray, Panel, lag_index, poly_terms
from agglomeration.tfp._fit import Fit, Options


def _gmm(x: FloatArray, z: FloatArray, y: FloatArray, w: FloatArray) -> FloatArray:
    zx = z.T @ x
    zy = z.T @ y
    a = zx.T @ w @ zx
    return np.asarray(np.linalg.solve(a, zx.T @ w @ zy), dtype=np.float64)


def fit_wrdg(panel: Panel, opts: Options, rng: np.random.Generator | None = None) -> Fit:
    """Estimate Wooldridge's (2009) system on ``panel`` (see module docstring).

    Parameters
    ----------
    panel : Panel
        Prepared data; ``panel.proxy`` is the intermediate input.
    opts : Options
        ``poly_degree`` sets the degree of c(k, m).
    rng : numpy.random.Generator, optional
        Unused (the estimator is closed form); accepted for a uniform interface.

    Returns
    -------
    Fit
        Parameters ordered free then state; ``objective`` is Hansen's J statistic and
        ``extra`` holds its degrees of freedom.
    """
    del rng
    n_f = panel.free.shape[1]
    n_s = panel.state.shape[1]
    c = poly_terms(np.column_stack([panel.state, panel.proxy]), opts.poly_degree)
    lag = lag_index(panel.plant, panel.time)
    cur = np.nonzero(lag >= 0)[0]
    prev = lag[cur]
    m = cur.size
    q = c.shape[1]
    if m <= 2 * (q + n_f + n_s + 2):
        raise ValueError(
            f"WRDG: only {m} plant-years have the previous year observed, too few for "
            f"{2 * (q + 1) + n_f + n_s} parameters; lower `poly_degree`."
        )
    one = np.ones((m, 1))
    w, k, cc, cl = panel.free[cur], panel.state[cur], c[cur], c[prev]
    y = panel.y[cur]
    # Parameter order: beta_w (F), beta_k (S), a1, pi1 (q), a2, pi2 (q).
    zeros_s = np.zeros((m, n_s))
    x1 = np.hstack([w, zeros_s, one, cc, np.zeros((m, 1 + q))])
    x2 = np.hstack([w, k, np.zeros((m, 1 + q)), one, cl])
    z1 = np.hstack([one, w, cc])
    z2 = np.hstack([one, panel.free[prev], k, cl])
    x = np.vstack([x1, x2])
    z = np.block([[z1, np.zeros((m, z2.shape[1]))], [np.zeros((m, z1.shape[1])), z2]])
    yy = np.r_[y, y]
    w1 = np.asarray(np.linalg.pinv(z.T @ z / m), dtype=np.float64)
    theta1 = _gmm(x, z, yy, w1)
    resid = yy - x @ theta1
    # Per-plant sums of the stacked moment contributions (plant-clustered S).
    g_i = np.hstack([z1 * resid[:m, None], z2 * resid[m:, None]])
    plant = panel.plant[cur]
    _, inv = np.unique(plant, return_inverse=True)
    g_plant = np.zeros((int(inv.max()) + 1, g_i.shape[1]))
    np.add.at(g_plant, inv, g_i)
    s = g_plant.T @ g_plant / m
    w2 = np.asarray(np.linalg.pinv(s), dtype=np.float64)
    theta = _gmm(x, z, yy, w2)
    gbar = z.T @ (yy - x @ theta) / m
    j_stat = float(m * gbar @ w2 @ gbar)
    df = z.shape[1] - x.shape[1]
    est = dict(zip(panel.input_names, theta[: n_f + n_s].tolist(), strict=True))
    starts = pd.DataFrame(
        [
            {
                "start": 0,
                **est,
                "objective": j_stat,
                "converged": True,
                "message": "closed form (linear two-step GMM): no starting values needed",
            }
        ]
    )
    return Fit(
        params=theta[: n_f + n_s],
        objective=j_stat,
        starts=starts,
        second_stage_rows=int(m),
        extra={"hansen_j": j_stat, "hansen_j_df": float(df)},
    )
