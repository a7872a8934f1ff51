"""Wooldridge (2009) one-step system GMM for a value-added Cobb-Douglas.

Productivity is omega_it = phi(k_it, m_it) - k_it beta_k with the control function
phi(k, m) = a + c(k, m) pi, c a full polynomial of degree ``poly_degree`` in
(state, proxy), and follows the linear law of motion omega_it = rho_0 + rho omega_i,t-1 + u_it.
Wooldridge (2009, eq. 2.9-2.10 and 3.2-3.4) estimates both equations at once on the
plant-years whose previous year is observed:

(1)  y_it = w_it beta_w + a + c_it pi + e_it,                E[(1, w_it, c_it)' e_it] = 0
(2)  y_it = w_it beta_w + (k_it - rho k_i,t-1) beta_k + alpha + rho c_i,t-1 pi + u_it,
                                        E[(1, w_i,t-1, k_it, c_i,t-1)' u_it] = 0

with beta_w and pi common to both equations (alpha = rho_0 + rho a). Given rho the system
is linear in the other parameters, so GMM is solved in closed form for each rho and the
criterion is minimised over the scalar rho from several starting values. Two steps: the
block-diagonal 2SLS weight ((Z'Z)/N)^{-1}, then the inverse of the plant-clustered
covariance of the moments at the first-step estimate. The reported objective is Hansen's J.
This is ``wrdg_form="joint"``, the project's formulation; ``"prodest"`` and ``"prodest_gmm"``
reproduce the R package prodest (see :mod:`agglomeration.tfp.wrdg_prodest`, which explains
the differences).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from agglomeration.errors import EstimationError
from agglomeration.tfp._common import (
    FloatArray,
    Panel,
    lag_index,
    poly_terms,
)
from agglomeration.tfp._fit import Fit
from agglomeration.tfp._multistart import (
    describe_minima,
    make_starts,
    solution_of,
    solve_multistart,
    with_chosen,
)
from agglomeration.tfp.spec import TFPSpec

#: Base starting values for the persistence rho (then random perturbations).
RHO_STARTS = (0.7, 0.3, 0.95, 0.0, 0.5)


def _sqrt_psd(w: FloatArray) -> FloatArray:
    """Return L with L L' = w for a symmetric positive semi-definite weight w."""
    vals, vecs = np.linalg.eigh((w + w.T) / 2.0)
    return np.asarray(vecs * np.sqrt(np.clip(vals, 0.0, None)), dtype=np.float64)


def fit_wrdg(panel: Panel, spec: TFPSpec, starts: FloatArray | None = None) -> Fit:
    """Estimate Wooldridge's (2009) system on ``panel`` (see module docstring).

    Parameters
    ----------
    panel : Panel
        Prepared data; ``panel.proxy`` is the intermediate input (or investment).
    spec : TFPSpec
        ``poly_degree`` sets the degree of c(k, m); ``markov_degree`` is not used (the law
        of motion is linear); ``wrdg_form`` other than ``"joint"`` dispatches to
        :func:`agglomeration.tfp.wrdg_prodest.fit_wrdg_prodest`.
    starts : ndarray, optional
        Starting values for rho (one per row); default ``RHO_STARTS`` then a Sobol box of
        half-width ``spec.start_scale`` around 0.7.

    Returns
    -------
    Fit
        Parameters ordered free then state; ``objective`` is Hansen's J; ``extra`` holds
        rho, J and its degrees of freedom; ``optimum`` is rho.
    """
    if spec.wrdg_form != "joint":
        from agglomeration.tfp.wrdg_prodest import fit_wrdg_prodest

        return fit_wrdg_prodest(panel, spec)
    n_f = panel.free.shape[1]
    n_s = panel.state.shape[1]
    c = poly_terms(np.column_stack([panel.state, panel.proxy]), spec.poly_degree)
    lag = lag_index(panel.plant, panel.time)
    cur = np.nonzero(lag >= 0)[0]
    prev = lag[cur]
    m = cur.size
    q = c.shape[1]
    n_par = n_f + n_s + q + 2
    if m <= 4 * n_par:
        raise EstimationError(
            f"WRDG: only {m} plant-years have the previous year observed, too few for "
            f"{n_par} parameters; lower `poly_degree`."
        )
    one = np.ones((m, 1))
    w, k, k_lag, cc, cl = panel.free[cur], panel.state[cur], panel.state[prev], c[cur], c[prev]
    y = panel.y[cur]
    z1 = np.hstack([one, w, cc])
    z2 = np.hstack([one, panel.free[prev], k, cl])
    p1, p2 = z1.shape[1], z2.shape[1]
    # Parameter order: beta_w (F), beta_k (S), a, pi (q), alpha.
    x1 = np.hstack([w, np.zeros((m, n_s)), one, cc, np.zeros((m, 1))])
    z1y, z2y = z1.T @ y, z2.T @ y

    def design2(rho: float) -> FloatArray:
        return np.hstack([w, k - rho * k_lag, np.zeros((m, 1)), rho * cl, one])

    z1x1 = z1.T @ x1
    # Z2'X2(rho) = A + rho B: precompute both so that each evaluation is small.
    z2x_a = z2.T @ design2(0.0)
    z2x_b = z2.T @ design2(1.0) - z2x_a

    def solve(rho: float, weight: FloatArray) -> tuple[FloatArray, FloatArray]:
        """GMM estimate of the linear parameters given rho, and the mean moments."""
        zx = np.vstack([z1x1, z2x_a + rho * z2x_b]) / m
        zy = np.r_[z1y, z2y] / m
        a = zx.T @ weight @ zx
        theta = np.linalg.lstsq(a, zx.T @ weight @ zy, rcond=None)[0]
        return theta, zy - zx @ theta

    def residuals_for(weight: FloatArray) -> Callable[[FloatArray], FloatArray]:
        root = _sqrt_psd(weight)

        def residuals(r: FloatArray) -> FloatArray:
            # criterion m gbar' W gbar = r'r
            return np.asarray(np.sqrt(m) * (root.T @ solve(float(r[0]), weight)[1]))

        return residuals

    zz = np.zeros((p1 + p2, p1 + p2))
    zz[:p1, :p1] = z1.T @ z1 / m
    zz[p1:, p1:] = z2.T @ z2 / m
    w1 = np.asarray(np.linalg.pinv(zz), dtype=np.float64)

    # Levenberg-Marquardt's finite-difference Jacobian of this concentrated criterion (an
    # inner GMM solve per rho) is unreliable and it stops early; BFGS, polished by
    # Nelder-Mead, is used for optimizer="least_squares".
    optimizer = "BFGS" if spec.optimizer == "least_squares" else spec.optimizer
    if starts is None:
        starts = make_starts(
            [np.array([r]) for r in RHO_STARTS], spec.n_starts, spec.seed, spec.start_scale
        )
    step1 = solve_multistart(
        residuals_for(w1),
        starts,
        ["rho"],
        optimizer=optimizer,
        what="WRDG first-step GMM",
        cluster_tol=spec.root_cluster_tol,
    )
    rho1 = float(step1.x[0])
    theta1, _ = solve(rho1, w1)
    x2 = design2(rho1)
    e1 = y - x1 @ theta1
    e2 = y - x2 @ theta1
    g_i = np.hstack([z1 * e1[:, None], z2 * e2[:, None]])
    _, inv = np.unique(panel.plant[cur], return_inverse=True)
    g_plant = np.zeros((int(inv.max()) + 1, g_i.shape[1]))
    np.add.at(g_plant, inv, g_i)
    s = g_plant.T @ g_plant / m
    w2 = np.asarray(np.linalg.pinv(s), dtype=np.float64)
    starts2 = np.vstack([step1.x[None, :], np.atleast_2d(starts)])
    step2 = solve_multistart(
        residuals_for(w2),
        starts2,
        ["rho"],
        optimizer=optimizer,
        what="WRDG second-step GMM",
        cluster_tol=spec.root_cluster_tol,
    )
    rho = float(step2.x[0])
    theta, gbar = solve(rho, w2)
    j_stat = float(m * gbar @ w2 @ gbar)
    df = p1 + p2 - n_par
    params = theta[: n_f + n_s]
    # Input elasticities reached from every start (the spread over starting values).
    per_start = [
        solve(float(r), w2)[0][: n_f + n_s] if np.isfinite(r) else np.full(n_f + n_s, np.nan)
        for r in step2.starts["rho"].to_numpy()
    ]
    table = pd.concat(
        [step2.starts, pd.DataFrame(np.vstack(per_start), columns=list(panel.input_names))],
        axis=1,
    )
    return Fit(
        params=params,
        objective=j_stat,
        starts=table,
        second_stage_rows=int(m),
        best_start=step2.best_start,
        extra={"rho": rho, "hansen_j": j_stat, "hansen_j_df": float(df)},
        optimum=np.array([rho]),
        solutions=with_chosen(step2.solutions, solution_of(step2, step2.best_start)),
        diagnosis=describe_minima(step2),
    )
