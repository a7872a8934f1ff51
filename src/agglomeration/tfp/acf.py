"""Ackerberg, Caves & Frazer (2015) estimator for a value-added Cobb-Douglas.

Stage 1 (ACF 2015, eq. 26 / section 4.1): regress y_it on a full polynomial of degree
``poly_degree`` in (free inputs w_it, state k_it, proxy m_it) by OLS; no coefficient is
identified, only Phi_it = E[y_it | w_it, k_it, m_it].

Stage 2 (ACF eq. 27-29): for candidate beta = (beta_w, beta_k),
omega_it(beta) = Phi_it - w_it beta_w - k_it beta_k; xi_it(beta) is the residual of the
regression of omega_it(beta) on a polynomial of degree ``markov_degree`` (with constant)
in omega_{i,t-1}(beta). beta minimises the GMM criterion
N (Z'xi/N)' (Z'Z/N)^{-1} (Z'xi/N) with instruments Z_it = (w_{i,t-1}, k_it) (exactly
identified), over plant-years whose previous year is observed. This is the criterion of
the R package prodest's ``prodestACF`` (Rovigatti 2017).

Multiple roots and ``acf_instruments="lags"``. The just-identified moments can have several
exact roots. On :func:`agglomeration.simulate.plant_panel` data (defaults, 1,500-2,000 plants
x 10 years, true (0.6, 0.3)) the criterion is exactly 0 at the truth, at a point near pooled
OLS (about (0.87, 0.10)) and at a capital elasticity near -2.4; from the default starts
(pooled OLS first) the optimiser returns the near-OLS root. (i) Near OLS: labour, chosen with
omega_{t-b}, reveals most of productivity, so the OLS residual omega(b_OLS) is close to white
noise; the fitted law of motion is then nearly flat and xi(b_OLS) is close to the OLS
residual, orthogonal to k_t by the OLS normal equations and nearly so to w_{t-1}. (ii)
Capital root: k_t is (to first order) linear in (k_{t-1}, omega_{t-1}), so at b_k = beta_k -
(1 - delta (1 - i_k) - rho) / (delta i_omega) omega(b) is again close to first-order Markov
and xi(b) close to xi; only the curvature of log capital accumulation separates it.
Plant-specific depreciation rates alone do not remove this root of the just-identified
moments (a scalar moment crossing zero twice).

Option ``"lags"`` (over-identified) uses Z_it = (w_{i,t-1}, w_{i,t-2}, k_{i,t-2}, k_it,
k_{i,t-1} and the squares and cross products of (k_it, k_{i,t-1})), all known at t-1 and so
orthogonal to xi_it under ACF's timing assumptions (ACF 2015, sec. 4.1, footnote on further
lags as instruments), on plant-years whose two previous years are observed, with the
one-step weight (Z'Z/M)^{-1} on demeaned instruments. The lags of the second year reject the
near-OLS root, the quadratic capital terms reject the capital root: on default plant_panel
data (seed 21) the criterion at the spurious roots grows roughly linearly in N (local
minimum near OLS: 10.5 and 41.6 at 2,000 and 8,000 plants, absent at 500; capital root 1.0,
2.7, 10.3 at 500, 2,000, 8,000 plants) while at the minimum near the truth it stays of
order 0.1 (0.02, 0.04, 0.11).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from agglomeration.tfp._common import (
    FloatArray,
    Panel,
    lag_index,
    make_starts,
    markov_basis,
    multistart_minimize,
    ols,
    poly_terms,
)
from agglomeration.tfp._fit import Fit, Options


def fit_acf(
    panel: Panel,
    opts: Options,
    rng: np.random.Generator,
    starts: FloatArray | None = None,
) -> Fit:
    """Estimate the ACF production function on ``panel`` (see module docstring).

    Parameters
    ----------
    panel : Panel
        Prepared data; ``panel.proxy`` is the intermediate input.
    opts : Options
        Polynomial degrees, number of starts, optimiser.
    rng : numpy.random.Generator
        Source of the start perturbations.
    starts : ndarray, optional
        Rows of starting values for (beta_w, beta_k). Default: pooled OLS, the stage-1
        linear coefficients on the inputs (prodest's start), then perturbations of these.

    Returns
    -------
    Fit
        Parameters ordered free then state.
    """
    inputs = panel.inputs
    n_par = inputs.shape[1]
    poly = poly_terms(np.column_stack([inputs, panel.proxy]), opts.poly_degree)
    x1 = np.column_stack([np.ones(panel.n), poly])
    coef1, phi = ols(x1, panel.y)
    lag = lag_index(panel.plant, panel.time)
    cur = np.nonzero(lag >= 0)[0]
    prev = lag[cur]
    if cur.size <= n_par + opts.markov_degree + 1:
        raise ValueError(
            f"ACF: only {cur.size} plant-years have the previous year observed; "
            "the second stage needs consecutive years for many plants."
        )
    if opts.acf_instruments == "lags":
        has2 = lag[prev] >= 0
        cur, prev = cur[has2], prev[has2]
        prev2 = lag[prev]
        if cur.size <= n_par + opts.markov_degree + 1 + inputs.shape[1]:
            raise ValueError(
                f"ACF with acf_instruments='lags': only {cur.size} plant-years have the two "
                "previous years observed; use acf_instruments='prodest' or longer panels."
            )
        z = np.column_stack(
            [
                panel.free[prev],
                panel.free[prev2],
                panel.state[prev2],
                # k_t, k_{t-1} and their squares and cross products
                poly_terms(np.column_stack([panel.state[cur], panel.state[prev]]), 2),
            ]
        )
        z = z - z.mean(axis=0)
    else:
        z = np.column_stack([panel.free[prev], panel.state[cur]])
    x_c, x_l = inputs[cur], inputs[prev]
    phi_c, phi_l = phi[cur], phi[prev]
    m = cur.size
    w = np.linalg.inv(z.T @ z / m)

    def innovation(b: FloatArray) -> FloatArray:
        omega = phi_c - x_c @ b
        basis = markov_basis(phi_l - x_l @ b, opts.markov_degree)
        g, *_ = np.linalg.lstsq(basis, omega, rcond=None)
        return np.asarray(omega - basis @ g, dtype=np.float64)

    def objective(b: FloatArray) -> float:
        mom = z.T @ innovation(b) / m
        return float(m * (mom @ w @ mom))

    if starts is None:
        # Pooled OLS first (so that, among exact roots of the just-identified moments, ties
        # go to the root reached from OLS), then prodest's start: the stage-1 linear
        # coefficients (poly_terms lists degree-1 terms first: free, state, proxy).
        ols_coef, _ = ols(np.column_stack([np.ones(panel.n), inputs]), panel.y)
        bases = [ols_coef[1:], coef1[1 : 1 + n_par]]
        starts = make_starts(bases, opts.n_starts, rng, opts.start_scale)
    ms = multistart_minimize(
        objective, starts, panel.input_names, method=opts.optimizer, what="ACF second stage"
    )
    return Fit(
        params=ms.x,
        objective=ms.fun,
        starts=ms.starts,
        second_stage_rows=int(m),
        first_stage=pd.Series(coef1, index=["const"] + [f"poly{j}" for j in range(poly.shape[1])]),
        best_start=ms.best_start,
        optimum=ms.x,
        extra=_overid_stats(ms.fun, innovation(ms.x), z.shape[1], n_par),
    )


def _overid_stats(obj: float, xi: FloatArray, n_moments: int, n_par: int) -> dict[str, float]:
    """Hansen's J under homoskedasticity: the criterion divided by the innovation variance.

    With weight (Z'Z/M)^{-1}, J = obj / sigma^2_xi is asymptotically chi-squared with
    ``n_moments - n_par`` degrees of freedom at the truth (Hansen 1982; the first-stage and
    law-of-motion estimation are ignored, so treat it as a diagnostic, not an exact test).
    """
    s2 = float(np.mean(xi**2))
    return {
        "n_moments": float(n_moments),
        "sigma2_xi": s2,
        "hansen_j": obj / s2 if s2 > 0 else float("nan"),
        "hansen_j_df": float(n_moments - n_par),
    }
