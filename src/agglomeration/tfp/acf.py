"""Ackerberg, Caves & Frazer (2015) estimator for a value-added Cobb-Douglas.

Stage 1 (ACF 2015, eq. 26 / section 4.1): regress y_it on a full polynomial of degree
``poly_degree`` in (free inputs w_it, state k_it, proxy m_it) by OLS; no coefficient is
identified, only Phi_it = E[y_it | w_it, k_it, m_it].

Stage 2 (ACF eq. 27-29): for candidate beta = (beta_w, beta_k),
omega_it(beta) = Phi_it - w_it beta_w - k_it beta_k; xi_it(beta) is the residual of the
regression of omega_it(beta) on a polynomial of degree ``markov_degree`` (with constant)
in omega_{i,t-1}(beta). With instruments Z_it and moments m(beta) = Z'xi(beta)/M over the
M plant-years whose previous year is observed, beta minimises
Q(beta) = M m' W m, W = (Z'Z/M)^{-1}. ``acf_instruments="prodest"``: Z_it = (w_{i,t-1}, k_it),
just identified, the criterion of the R package prodest's ``prodestACF`` (Rovigatti 2017).

Roots of the just-identified moments
------------------------------------
With as many moments as parameters the estimator is a *root* of m(beta) = 0, and Q is zero
there. A point where Q has a positive local minimum is not an estimate: it solves no
moment equation. The size of the moments is measured scale-free,
``moment_norm(beta) = sqrt(m'Wm / s2_xi(beta))``, the norm of the moments in units of the
standard deviations of the instruments and of the innovation (equivalently the square root
of the uncentred R^2 of xi on Z, or sqrt(J / M) with J Hansen's homoskedastic statistic).
A converged end point is an exact root when ``moment_norm <= root_tol`` (default 1e-6;
Levenberg-Marquardt reaches 1e-12 or less at a root, while the spurious stationary points
seen on real data have norms of 1e-3 or more, so the classification does not hinge on the
tolerance). Roots closer than ``root_cluster_tol`` (1e-3) in every elasticity are one root.

Several roots. The just-identified moments can have several exact roots, and the estimates
depend on the starting values and the optimiser (Rovigatti & Mollisi 2018, Stata Journal 18(3),
sec. 5; Kim, Luo & Su 2019, J. Appl. Econometrics 34(4)). On
:func:`agglomeration.simulate.plant_panel` data (1,200 plants x 10 years, true (0.6, 0.3))
the moments vanish at the truth, at a point near pooled OLS (about (0.87, 0.09)), at
(0.60, -2.38) and at (12.6, -9.3). (i) Near OLS: labour, chosen with omega_{t-b}, reveals
most of productivity, so the OLS residual is close to white noise and xi(b_OLS) is close to
the OLS residual, orthogonal to k_t and nearly so to w_{t-1}. (ii) Capital root: k_t is (to
first order) linear in (k_{t-1}, omega_{t-1}), so at b_k = beta_k - (1 - delta (1 - i_k) -
rho) / (delta i_omega) omega(b) is again close to first-order Markov.

The rule. Among the distinct exact roots, the estimate is (1) restricted to *admissible*
roots, all elasticities >= 0 (output does not fall when an input rises), when there is any;
(2) among those, the root with the smallest Hansen J of the over-identified moments of
``acf_instruments="lags"`` evaluated at the root (``j_overid``). Under ACF's timing
assumptions every variable dated t-1 or earlier is orthogonal to xi_it (ACF 2015, sec. 4.1),
so the extra moments hold at the true beta and J_overid is O_p(1) there, while at a spurious
root they fail and J_overid grows linearly with N: the rule picks the consistent root with
probability tending to one. This is choosing among the roots of an estimating equation by an
augmented set of moments (Heyde & Morton 1998, Biometrika 85(4); Small, Wang & Yang 2000,
Statistical Science 15(4), sec. 4). J_overid at a just-identified root is a diagnostic, not an
exact chi-squared test (b is not the over-identified estimate; the first stage is ignored).
Several roots raise :class:`~agglomeration.tfp.MultipleRootsWarning`; no root at all raises
:class:`~agglomeration.errors.ConvergenceError` (or, with ``require_root=False``, returns the
lowest criterion marked ``converged=False`` with :class:`~agglomeration.tfp.NoRootWarning`).

Option ``"lags"`` (over-identified) uses Z_it = (w_{i,t-1}, w_{i,t-2}, k_{i,t-2}, k_it,
k_{i,t-1} and the squares and cross products of (k_it, k_{i,t-1})), all known at t-1, on
plant-years whose two previous years are observed, with the one-step weight (Z'Z/M)^{-1} on
demeaned instruments; the estimate is the lowest converged criterion. On default plant_panel
data (seed 21) the criterion at the spurious roots grows roughly linearly in N (local minimum
near OLS: 10.5 and 41.6 at 2,000 and 8,000 plants; capital root 1.0, 2.7, 10.3 at 500, 2,000,
8,000 plants) while at the minimum near the truth it stays of order 0.1.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from agglomeration.errors import ConvergenceError, EstimationError
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
    MultipleRootsWarning,
    MultiStartResult,
    NoRootWarning,
    describe_minima,
    make_starts,
    solution_of,
    solve_multistart,
    with_chosen,
)
from agglomeration.tfp.spec import TFPSpec


@dataclass(frozen=True)
class AcfMoments:
    """The ACF second-stage moments for one instrument set, as functions of beta."""

    z: FloatArray
    chol_w: FloatArray
    x_c: FloatArray
    x_l: FloatArray
    phi_c: FloatArray
    phi_l: FloatArray
    markov_degree: int

    @property
    def m(self) -> int:
        """Plant-years in the moments."""
        return int(self.z.shape[0])

    @property
    def n_moments(self) -> int:
        """Number of moment conditions."""
        return int(self.z.shape[1])

    def innovation(self, b: FloatArray) -> FloatArray:
        """xi(beta): residual of omega_t(beta) on the law-of-motion polynomial (ACF eq. 28)."""
        omega = self.phi_c - self.x_c @ b
        basis = markov_basis(self.phi_l - self.x_l @ b, self.markov_degree)
        g, *_ = np.linalg.lstsq(basis, omega, rcond=None)
        return np.asarray(omega - basis @ g, dtype=np.float64)

    def residuals(self, b: FloatArray) -> FloatArray:
        """sqrt(M) W^(1/2)' m(beta), whose squared norm is the criterion M m'Wm."""
        mom = self.z.T @ self.innovation(b) / self.m
        return np.asarray(np.sqrt(self.m) * (self.chol_w.T @ mom), dtype=np.float64)

    def objective(self, b: FloatArray) -> float:
        """Return the GMM criterion M m'Wm."""
        r = self.residuals(b)
        return float(r @ r)

    def hansen_j(self, b: FloatArray) -> float:
        """Homoskedastic Hansen J at beta: the criterion over the innovation variance."""
        s2 = float(np.mean(self.innovation(b) ** 2))
        return self.objective(b) / s2 if s2 > 0 else float("nan")

    def moment_norm(self, b: FloatArray) -> float:
        """Scale-free size of the moments, sqrt(m'Wm / s2_xi) = sqrt(J / M)."""
        j = self.hansen_j(b)
        return float(np.sqrt(max(j, 0.0) / self.m)) if np.isfinite(j) else float("nan")


def acf_moments(
    panel: Panel, phi: FloatArray, lag: IntArray, instruments: str, markov_degree: int
) -> AcfMoments | None:
    """Build the moments for ``instruments`` ("prodest" or "lags"); None if too few rows."""
    cur = np.nonzero(lag >= 0)[0]
    prev = lag[cur]
    k = panel.inputs.shape[1]
    if instruments == "lags":
        has2 = lag[prev] >= 0
        cur, prev = cur[has2], prev[has2]
        prev2 = lag[prev]
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
    if cur.size <= k + markov_degree + 1 + z.shape[1]:
        return None
    zz = z.T @ z / cur.size
    try:
        chol = np.linalg.cholesky(np.linalg.inv(zz))
    except np.linalg.LinAlgError:
        return None
    inputs = panel.inputs
    return AcfMoments(
        z=z,
        chol_w=chol,
        x_c=inputs[cur],
        x_l=inputs[prev],
        phi_c=phi[cur],
        phi_l=phi[prev],
        markov_degree=markov_degree,
    )


def fit_acf(
    panel: Panel,
    spec: TFPSpec,
    starts: FloatArray | None = None,
    prepend: FloatArray | None = None,
) -> Fit:
    """Estimate the ACF production function on ``panel`` (see module docstring).

    Parameters
    ----------
    panel : Panel
        Prepared data; ``panel.proxy`` is the intermediate input.
    spec : TFPSpec
        Degrees, instruments, start design, optimiser, root tolerances.
    starts : ndarray, optional
        Rows of starting values for (beta_w, beta_k). Default: pooled OLS, the stage-1
        linear coefficients on the inputs (prodest's start), then a Sobol box of half-width
        ``spec.start_scale`` around OLS (``spec.n_starts`` in all).
    prepend : ndarray, optional
        Rows put before the default design (the bootstrap puts the point estimate first and
        keeps the base starts of the resample, so that a replication applies the same rule).

    Returns
    -------
    Fit
        Parameters ordered free then state; ``solutions`` lists every distinct root (and
        non-root stationary point) reached, with ``j_overid`` and the chosen one.

    Raises
    ------
    ConvergenceError
        Just identified, ``require_root=True``: no start reached an exact root.
    """
    inputs = panel.inputs
    n_par = inputs.shape[1]
    poly = poly_terms(np.column_stack([inputs, panel.proxy]), spec.poly_degree)
    x1 = np.column_stack([np.ones(panel.n), poly])
    coef1, phi = ols(x1, panel.y)
    lag = lag_index(panel.plant, panel.time)
    mom = acf_moments(panel, phi, lag, spec.acf_instruments, spec.markov_degree)
    if mom is None:
        need = "two previous years" if spec.acf_instruments == "lags" else "the previous year"
        raise EstimationError(
            f"ACF (acf_instruments={spec.acf_instruments!r}): too few plant-years with {need} "
            "observed for the second stage; use longer panels"
            + (" or acf_instruments='prodest'." if spec.acf_instruments == "lags" else ".")
        )
    if starts is None:
        # Pooled OLS first (the centre of the Sobol box), then prodest's start: the stage-1
        # linear coefficients (poly_terms lists degree-1 terms first: free, state, proxy).
        ols_coef, _ = ols(np.column_stack([np.ones(panel.n), inputs]), panel.y)
        bases = [ols_coef[1:], coef1[1 : 1 + n_par]]
        starts = make_starts(bases, spec.n_starts, spec.seed, spec.start_scale)
        if prepend is not None:
            starts = np.vstack([np.atleast_2d(prepend), starts])
    ms = solve_multistart(
        mom.residuals,
        starts,
        panel.input_names,
        optimizer=spec.optimizer,
        what="ACF second stage",
        root_measure=mom.moment_norm if spec.just_identified else None,
        root_tol=spec.root_tol,
        cluster_tol=spec.root_cluster_tol,
    )
    if spec.just_identified:
        overid = acf_moments(panel, phi, lag, "lags", spec.markov_degree)
        chosen, solutions, diagnosis, converged = _choose_root(ms, spec, overid, panel)
    else:
        chosen = solution_of(ms, ms.best_start)
        solutions, diagnosis, converged = with_chosen(ms.solutions, chosen), describe_minima(ms), True
    row = solutions.loc[solutions["solution"] == chosen].iloc[0]
    params = row[list(panel.input_names)].to_numpy(dtype=float)
    best_start = int(row["first_start"])
    xi = mom.innovation(params)
    obj = mom.objective(params)
    s2 = float(np.mean(xi**2))
    extra = {
        "n_moments": float(mom.n_moments),
        "sigma2_xi": s2,
        "hansen_j": obj / s2 if s2 > 0 else float("nan"),
        "hansen_j_df": float(mom.n_moments - n_par),
        "moment_norm": mom.moment_norm(params),
        "n_solutions": float(len(solutions)),
        "n_roots": float(solutions["is_root"].sum()),
    }
    if "j_overid" in solutions:
        extra["j_overid"] = float(row["j_overid"])
        extra["j_overid_df"] = float(row["j_overid_df"])
    return Fit(
        params=params,
        objective=obj,
        starts=ms.starts,
        second_stage_rows=mom.m,
        first_stage=pd.Series(coef1, index=["const"] + [f"poly{j}" for j in range(poly.shape[1])]),
        best_start=best_start,
        optimum=params,
        extra=extra,
        solutions=solutions,
        converged=converged,
        diagnosis=diagnosis,
    )


def _choose_root(
    ms: MultiStartResult, spec: TFPSpec, overid: AcfMoments | None, panel: Panel
) -> tuple[int, pd.DataFrame, str, bool]:
    """Apply the documented rule (module docstring) to the distinct solutions of ``ms``."""
    names = list(panel.input_names)
    sol = ms.solutions.copy()
    est = sol[names].to_numpy(dtype=float)
    sol["admissible"] = np.asarray((est >= 0).all(axis=1), dtype=bool).tolist()
    if overid is not None:
        is_root = sol["is_root"].to_numpy(dtype=bool)
        sol["j_overid"] = np.array(
            [overid.hansen_j(b) if r else np.nan for b, r in zip(est, is_root, strict=True)]
        )
        sol["j_overid_df"] = float(overid.n_moments - len(names))
    roots = sol[sol["is_root"]]
    n_st = len(ms.starts)
    if roots.empty:
        best = sol.iloc[int(np.nanargmin(sol["objective"].to_numpy(dtype=float)))]
        smallest = float(np.nanmin(sol["root_measure"]))
        msg = (
            f"ACF: no start of {n_st} reached an exact root of the just-identified moments: "
            f"the smallest moment norm is {smallest:.3g} > root_tol {spec.root_tol:g} "
            f"(lowest criterion {float(best['objective']):.6g} at "
            f"{np.round(best[names].to_numpy(dtype=float), 4).tolist()})"
        )
        if spec.require_root:
            raise ConvergenceError(
                f"{msg}. This point is not an estimate. Use more starts (n_starts), a wider "
                "start box (start_scale) or acf_instruments='lags'."
            )
        warnings.warn(f"{msg}; returned with converged=False.", NoRootWarning, stacklevel=4)
        chosen = int(best["solution"])
        return chosen, with_chosen(sol, chosen), msg + "; not converged", False
    pool = roots[roots["admissible"]] if roots["admissible"].any() else roots
    if overid is not None and len(pool) > 1:
        key = pool.sort_values(["j_overid", "n_starts", "solution"], ascending=[True, False, True])
        rule = "smallest J of the over-identified lag moments"
    else:
        key = pool.sort_values(["n_starts", "solution"], ascending=[False, True])
        rule = "most starts (over-identified moments unavailable)" if len(pool) > 1 else ""
    chosen = int(key.iloc[0]["solution"])
    n_reached = int(ms.starts["is_root"].sum())
    if len(roots) == 1:
        diagnosis = f"unique exact root, reached by {n_reached} of {n_st} starts"
    else:
        adm = "admissible " if roots["admissible"].any() and not roots["admissible"].all() else ""
        listing = "; ".join(
            f"{np.round(r[names].to_numpy(dtype=float), 3).tolist()} "
            f"({int(r['n_starts'])} starts"
            + (f", J_overid {r['j_overid']:.3g}" if "j_overid" in r else "")
            + ")"
            for _, r in roots.iterrows()
        )
        diagnosis = (
            f"{len(roots)} distinct exact roots ({n_reached} of {n_st} starts): {listing}; "
            f"chosen: the {adm}root with the {rule}"
        )
        warnings.warn(f"ACF: {diagnosis}.", MultipleRootsWarning, stacklevel=4)
    if not roots["admissible"].any():
        diagnosis += "; no root has all elasticities >= 0"
    return chosen, with_chosen(sol, chosen), diagnosis, True
