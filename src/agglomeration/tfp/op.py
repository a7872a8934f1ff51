"""Olley & Pakes (1996) and Levinsohn & Petrin (2003) two-step control-function estimators.

Both share one implementation; they differ only in the proxy (investment for OP, an
intermediate input for LP) and in OP's optional attrition correction.

Stage 1 (OP 1996, eq. 6; LP 2003, eq. 5): regress y_it on the free inputs w_it and a full
polynomial phi(k_it, p_it) of degree ``poly_degree`` by OLS. This gives beta_w and
Phi_it = phi(k_it, p_it) (the fitted value net of w_it beta_w).

Stage 2 (OP eq. 12; LP eq. 6): for a candidate beta_k,
omega_it(beta_k) = Phi_it - k_it beta_k, and the law of motion
omega_it = g(omega_{i,t-1}) + xi_it is approximated by a polynomial of degree
``markov_degree`` in omega_{i,t-1}(beta_k) (and, with ``exit=True``, in the fitted exit
probability P_it, OP eq. 12). beta_k minimises the mean of squared residuals
(y_it - w_it beta_w - k_it beta_k - g_hat)^2 over plant-years whose previous year is
observed (non-linear least squares, as in the R package prodest; Rovigatti 2017), from the
multi-start design of :mod:`agglomeration.tfp._multistart`; the lowest criterion among the
converged starts is the estimate.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from agglomeration.errors import EstimationError
from agglomeration.tfp._common import (
    FloatArray,
    IntArray,
    Panel,
    lag_index,
    markov_basis,
    ols,
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


def exit_indicator(panel: Panel) -> FloatArray:
    """1 in a plant's last observed year when that year precedes the sample's last year.

    This is the exit definition used by prodest's ``exit = TRUE``; a plant that leaves
    the sample before its final year "exits" after that year.
    """
    last = np.r_[panel.plant[1:] != panel.plant[:-1], True]
    return (last & (panel.time < panel.time.max())).astype(float)


def exit_probability(panel: Panel, poly: FloatArray, lag: IntArray) -> FloatArray:
    """Probit of the exit indicator on the lagged control-function polynomial (OP eq. 11).

    Returns fitted probabilities for rows with a lag (``lag >= 0``), NaN elsewhere.

    Raises
    ------
    EstimationError
        If no plant (or every plant) exits among the rows with a lag.
    """
    import statsmodels.api as sm

    has = lag >= 0
    exit_ = exit_indicator(panel)[has]
    if exit_.min() == exit_.max():
        raise EstimationError(
            "exit_correction=True but the exit indicator is constant "
            f"({int(exit_.sum())} exits among {exit_.size} plant-years with a lag); "
            "run without the attrition correction."
        )
    x = np.column_stack([np.ones(int(has.sum())), poly[lag[has]]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = sm.Probit(exit_, x).fit(disp=0, method="newton", maxiter=200)
    out = np.full(panel.n, np.nan)
    out[has] = np.asarray(fit.predict(x))
    return out


def fit_oplp(
    panel: Panel,
    spec: TFPSpec,
    starts: FloatArray | None = None,
    label: str = "OP",
) -> Fit:
    """Estimate an OP/LP production function on ``panel`` (see module docstring).

    Parameters
    ----------
    panel : Panel
        Prepared data; ``panel.proxy`` is investment (OP) or an intermediate input (LP).
    spec : TFPSpec
        Polynomial degrees, attrition correction, start design, optimiser.
    starts : ndarray, optional
        Starting values for beta_k (rows); default: pooled OLS, the stage-1 linear
        coefficient(s) on the state variable(s) (prodest's choice), then a Sobol box around
        OLS (``spec.n_starts`` in all).
    label : str
        Method label used in error messages.

    Returns
    -------
    Fit
        Parameters ordered free then state.
    """
    n_f = panel.free.shape[1]
    n_s = panel.state.shape[1]
    poly = poly_terms(np.column_stack([panel.state, panel.proxy]), spec.poly_degree)
    x1 = np.column_stack([np.ones(panel.n), panel.free, poly])
    coef1, fitted = ols(x1, panel.y)
    beta_free = coef1[1 : 1 + n_f]
    phi = fitted - panel.free @ beta_free
    res = panel.y - panel.free @ beta_free
    lag = lag_index(panel.plant, panel.time)
    cur = np.nonzero(lag >= 0)[0]
    prev = lag[cur]
    if cur.size <= n_s + spec.markov_degree + 1:
        raise EstimationError(
            f"{label}: only {cur.size} plant-years have the previous year observed; "
            "the second stage needs consecutive years for many plants."
        )
    prob = exit_probability(panel, poly, lag)[cur] if spec.exit_correction else None
    k, k_lag = panel.state[cur], panel.state[prev]
    phi_c, phi_l, res_c = phi[cur], phi[prev], res[cur]

    scale = 1.0 / np.sqrt(cur.size)

    def residuals(b: FloatArray) -> FloatArray:
        # criterion: mean of squared second-stage residuals = r'r
        omega = phi_c - k @ b
        basis = markov_basis(phi_l - k_lag @ b, spec.markov_degree, prob)
        g, *_ = np.linalg.lstsq(basis, omega, rcond=None)
        return np.asarray((res_c - k @ b - basis @ g) * scale, dtype=np.float64)

    if starts is None:
        # Pooled OLS (the centre of the Sobol box), then prodest's start (the stage-1 linear
        # coefficient on the state).
        ols_coef, _ = ols(np.column_stack([np.ones(panel.n), panel.inputs]), panel.y)
        bases = [ols_coef[1 + n_f :], coef1[1 + n_f : 1 + n_f + n_s]]
        starts = make_starts(bases, spec.n_starts, spec.seed, spec.start_scale)
    ms = solve_multistart(
        residuals,
        starts,
        panel.state_names,
        optimizer=spec.optimizer,
        what=f"{label} second stage",
        cluster_tol=spec.root_cluster_tol,
    )
    chosen = solution_of(ms, ms.best_start)
    names = ["const", *panel.free_names] + [f"poly{j}" for j in range(poly.shape[1])]
    return Fit(
        params=np.r_[beta_free, ms.x],
        objective=ms.fun,
        starts=ms.starts,
        second_stage_rows=int(cur.size),
        first_stage=pd.Series(coef1, index=names),
        best_start=ms.best_start,
        optimum=ms.x,
        solutions=with_chosen(ms.solutions, chosen),
        diagnosis=describe_minima(ms),
    )
