"""Multi-start optimisation: start design, local solves, distinct solutions and roots.

Every numerical criterion of the package is a sum of squares ``Q(x) = r(x)'r(x)``: the
non-linear least-squares criterion of OP/LP (r = innovations / sqrt(n)) and the GMM
criteria of ACF and Wooldridge (r = M^(1/2) W^(1/2) m(x), so that ``Q = M m'Wm``). Writing
them as residual vectors lets one solver serve them all:
``scipy.optimize.least_squares`` (Levenberg-Marquardt), which converges quadratically to an
exact root of just-identified moments, where BFGS on the squared criterion stalls.

Start design
------------
:func:`make_starts`: the method's base starts (pooled OLS, the first-stage coefficients, ...)
first, then a scrambled Sobol sequence (seeded) filling the box ``centre +- start_scale`` in
every parameter, centred on the first base start. The design is deterministic given the seed.

Distinct solutions
------------------
:func:`solve_multistart` runs the local solver from every start and groups the end points of
converged starts into distinct solutions: in order of increasing objective, an end point joins
the first solution whose representative (its lowest-objective end point) lies within
``cluster_tol`` of it in every coordinate (max-norm), otherwise it starts a new solution.
Exact roots and other end points are grouped separately (a start reaches a root only if its
own end point is one); the other end points, which lie in flat valleys of the criterion
where the solver stops on its step tolerance, are grouped at ``10 * cluster_tol``.
When a ``root_measure`` is given (just-identified GMM), a solution is an exact *root* when its
measure, the norm of the moments in units of their standard deviations, is at most
``root_tol``; see :mod:`agglomeration.tfp.acf` for the measure.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

from agglomeration.errors import ConvergenceError, InputError
from agglomeration.tfp._common import FloatArray, IntArray

__all__ = [
    "MultiStartResult",
    "MultipleRootsWarning",
    "NoRootWarning",
    "make_starts",
    "solve_multistart",
]

Residuals = Callable[[FloatArray], FloatArray]


class MultipleRootsWarning(UserWarning):
    """Just-identified moments have several distinct exact roots; one was chosen by a rule."""


class NoRootWarning(UserWarning):
    """No start reached an exact root of just-identified moments (estimate not converged)."""


@dataclass(frozen=True)
class MultiStartResult:
    """Outcome of a multi-start solve.

    Attributes
    ----------
    x : ndarray
        End point of the lowest-objective converged start (callers may choose another
        solution, e.g. among several roots).
    fun : float
        Objective at ``x``.
    best_start : int
        Index (0-based) of that start.
    starts : pandas.DataFrame
        One row per start: ``start``, ``start_<name>``, end values ``<name>``,
        ``objective``, ``converged``, ``root_measure``, ``is_root``, ``solution`` (id of the
        distinct solution it reached, -1 if it did not converge), ``message``.
    solutions : pandas.DataFrame
        One row per distinct solution, by increasing objective: ``solution``, ``<name>``
        (representative end point), ``objective``, ``root_measure``, ``is_root``,
        ``n_starts`` (starts that reached it), ``first_start``.
    """

    x: FloatArray
    fun: float
    best_start: int
    starts: pd.DataFrame
    solutions: pd.DataFrame


def make_starts(
    bases: Sequence[FloatArray], n_starts: int, seed: int | np.random.Generator, scale: float
) -> FloatArray:
    """Return ``n_starts`` starting values: the ``bases``, then a scrambled Sobol box.

    Start ``j < len(bases)`` is ``bases[j]``; the others are the first points of a scrambled
    Sobol sequence (``scipy.stats.qmc.Sobol``, seeded by ``seed``) mapped to the box
    ``bases[0] +- scale`` in every coordinate. With ``n_starts < len(bases)`` only the first
    bases are used.
    """
    if n_starts < 1:
        raise InputError(f"n_starts must be >= 1; got {n_starts}.")
    b = np.vstack([np.asarray(x, dtype=float).ravel() for x in bases])
    out = b[: min(n_starts, len(b))]
    extra = n_starts - out.shape[0]
    if extra > 0:
        with warnings.catch_warnings():
            # Sobol balance properties need a power-of-2 sample; a prefix is still a
            # low-discrepancy design, which is all a start design needs.
            warnings.simplefilter("ignore", UserWarning)
            u = stats.qmc.Sobol(b.shape[1], scramble=True, seed=seed).random(extra)
        out = np.vstack([out, b[0] - scale + 2.0 * scale * u])
    return np.asarray(out, dtype=float)


def _finite(x: FloatArray, f: float) -> bool:
    return bool(np.all(np.isfinite(x)) and np.isfinite(f))


def _solve_least_squares(res: Residuals, x0: FloatArray) -> optimize.OptimizeResult:
    n_res = np.asarray(res(x0)).size
    out = optimize.least_squares(
        res,
        x0,
        method="lm" if n_res >= x0.size else "trf",
        xtol=1e-12,
        ftol=1e-14,
        gtol=1e-14,
        max_nfev=200 * (x0.size + 1),
    )
    fun = float(2.0 * out.cost)
    if out.status <= 0 and np.all(np.isfinite(out.x)):
        # Levenberg-Marquardt ran out of evaluations (a criterion whose finite-difference
        # Jacobian is noisy, e.g. an inner regression with near-collinear terms): polish with
        # Nelder-Mead from where it stopped, as for BFGS.
        polished = _nelder_mead(lambda x: float(np.sum(res(x) ** 2)), np.asarray(out.x))
        polished.message = f"least_squares: {out.message} -> Nelder-Mead: {polished.message}"
        return polished
    return optimize.OptimizeResult(
        x=np.asarray(out.x, dtype=float),
        fun=fun,
        success=bool(out.status > 0) and _finite(out.x, fun),
        message=f"least_squares: {out.message}",
    )


def _nelder_mead(fun: Callable[[FloatArray], float], x0: FloatArray) -> optimize.OptimizeResult:
    # Absolute tolerances scaled by the criterion's size (its evaluation carries rounding
    # noise of about 1e-13 relative).
    f0 = fun(x0)
    scale = max(1.0, abs(f0)) if np.isfinite(f0) else 1.0
    opts = {"xatol": 1e-10, "fatol": 1e-12 * scale, "maxiter": 1000 * max(1, len(x0))}
    out = optimize.minimize(fun, x0, method="Nelder-Mead", options=opts)
    out.success = bool(out.success) and _finite(np.asarray(out.x), float(out.fun))
    return out


def _bfgs_converged(res: optimize.OptimizeResult) -> bool:
    if not _finite(np.asarray(res.x), float(res.fun)):
        return False
    if res.success:
        return True
    # BFGS often stops with "precision loss" at a genuine optimum of a flat objective:
    # accept it when the gradient is small relative to the objective.
    jac = getattr(res, "jac", None)
    return jac is not None and bool(np.max(np.abs(jac)) <= 1e-5 * (1.0 + abs(float(res.fun))))


def _solve_minimize(res: Residuals, x0: FloatArray, method: str) -> optimize.OptimizeResult:
    def fun(x: FloatArray) -> float:
        r = res(x)
        return float(r @ r)

    if method == "Nelder-Mead":
        return _nelder_mead(fun, x0)
    out = optimize.minimize(fun, x0, method="BFGS", options={"gtol": 1e-8})
    if not _bfgs_converged(out) and np.all(np.isfinite(out.x)):
        # Polish a BFGS run that stalled (finite-difference gradients of a criterion with an
        # inner regression) with Nelder-Mead from where BFGS stopped.
        msg = str(out.message)
        out = _nelder_mead(fun, np.asarray(out.x))
        out.message = f"BFGS: {msg} -> Nelder-Mead: {out.message}"
    else:
        out.success = _bfgs_converged(out)
    return out


def _cluster(x: FloatArray, order: Sequence[int], tol: float) -> IntArray:
    """Solution id of each row of ``x`` (visited in ``order``); -1 for rows not in order."""
    label = np.full(x.shape[0], -1, dtype=np.int64)
    reps: list[FloatArray] = []
    for i in order:
        for j, rep in enumerate(reps):
            if np.max(np.abs(x[i] - rep)) <= tol:
                label[i] = j
                break
        else:
            label[i] = len(reps)
            reps.append(x[i])
    return label


def solve_multistart(
    residuals: Residuals,
    starts: FloatArray,
    names: Sequence[str],
    *,
    optimizer: str = "least_squares",
    what: str = "second stage",
    root_measure: Callable[[FloatArray], float] | None = None,
    root_tol: float = 1e-6,
    cluster_tol: float = 1e-3,
) -> MultiStartResult:
    """Minimise ``r(x)'r(x)`` from every row of ``starts``; group the end points.

    Parameters
    ----------
    residuals : callable
        ``r(x) -> ndarray``; the objective is ``r @ r``.
    starts : ndarray, shape (n_starts, k)
        Starting values.
    names : sequence of str
        Parameter names (columns of the tables).
    optimizer : {"least_squares", "BFGS", "Nelder-Mead"}
        Local solver: ``scipy.optimize.least_squares`` (Levenberg-Marquardt) on ``r``, or
        ``scipy.optimize.minimize`` on ``r'r`` (BFGS runs that stall are polished by
        Nelder-Mead).
    what : str
        Label for error messages.
    root_measure : callable, optional
        ``x -> float``, scale-free size of the moments at ``x``; a converged end point with
        ``root_measure(x) <= root_tol`` is an exact root. ``None``: no root classification
        (minimisation problems; ``is_root`` is then False everywhere).
    root_tol, cluster_tol : float
        Root tolerance and the max-norm distance within which end points are one solution.

    Raises
    ------
    ConvergenceError
        If no start converges (never returns NaN silently).
    """
    starts = np.atleast_2d(np.asarray(starts, dtype=float))
    k = starts.shape[1]
    ends = np.full_like(starts, np.nan)
    obj = np.full(starts.shape[0], np.nan)
    ok = np.zeros(starts.shape[0], dtype=bool)
    msgs: list[str] = []
    for s, x0 in enumerate(starts):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            try:
                if optimizer == "least_squares":
                    out = _solve_least_squares(residuals, x0)
                else:
                    out = _solve_minimize(residuals, x0, optimizer)
            except (np.linalg.LinAlgError, ValueError, FloatingPointError) as exc:
                out = optimize.OptimizeResult(
                    x=np.full(k, np.nan), fun=np.nan, success=False, message=str(exc)
                )
        ends[s] = np.asarray(out.x, dtype=float)
        obj[s] = float(out.fun) if np.isfinite(out.fun) else np.nan
        ok[s] = bool(out.success)
        msgs.append(str(out.message))
    measure = np.full(starts.shape[0], np.nan)
    if root_measure is not None:
        for i in np.nonzero(ok)[0]:
            measure[i] = float(root_measure(ends[i]))
    is_root = ok & (measure <= root_tol) if root_measure is not None else np.zeros_like(ok)
    if not ok.any():
        raise ConvergenceError(
            f"{what}: the optimisation ({optimizer}) failed to converge from all "
            f"{len(starts)} starting values; messages: {sorted(set(msgs))}. Supply other "
            "starting values (`starts=`), more starts (`n_starts=`) or another optimiser."
        )
    # Roots first, then by objective, then by start index (stable, deterministic).
    # Roots and non-root end points are grouped separately (a start reaches a root only if
    # its own end point is a root); roots get the first ids; within each, by objective.
    order = sorted((int(i) for i in np.nonzero(ok)[0]), key=lambda i: (not is_root[i], obj[i], i))
    label = _cluster(ends, [i for i in order if is_root[i]], cluster_tol)
    rest = _cluster(ends, [i for i in order if not is_root[i]], 10.0 * cluster_tol)
    n_root_sol = int(label.max()) + 1
    label = np.where(rest >= 0, rest + n_root_sol, label)
    table = pd.DataFrame({"start": np.arange(len(starts))})
    for j, nm in enumerate(names):
        table[f"start_{nm}"] = starts[:, j]
    for j, nm in enumerate(names):
        table[nm] = ends[:, j]
    table["objective"] = obj
    table["converged"] = ok
    table["root_measure"] = measure
    table["is_root"] = is_root
    table["solution"] = label
    table["message"] = msgs
    rows = []
    for sol in range(int(label.max()) + 1):
        members = [i for i in order if label[i] == sol]
        rep = members[0]
        row: dict[str, object] = {"solution": sol}
        row.update({nm: float(ends[rep, j]) for j, nm in enumerate(names)})
        row.update(
            objective=float(obj[rep]),
            root_measure=float(measure[rep]),
            is_root=bool(is_root[rep]),
            n_starts=len(members),
            first_start=int(min(members)),
        )
        rows.append(row)
    solutions = pd.DataFrame(rows)
    fmin = float(np.nanmin(obj[ok]))
    tied = [int(i) for i in np.nonzero(ok)[0] if obj[i] <= fmin + 1e-12 * (1.0 + abs(fmin))]
    best = int(min(tied))
    return MultiStartResult(
        x=ends[best].copy(), fun=float(obj[best]), best_start=best, starts=table, solutions=solutions
    )


def solution_of(ms: MultiStartResult, start: int) -> int:
    """Id of the distinct solution reached from ``start``."""
    return int(ms.starts["solution"].to_numpy()[start])


def with_chosen(solutions: pd.DataFrame, chosen: int) -> pd.DataFrame:
    """Return ``solutions`` with a boolean ``chosen`` column flagging solution ``chosen``."""
    out = solutions.copy()
    out["chosen"] = out["solution"] == chosen
    return out


def describe_minima(ms: MultiStartResult) -> str:
    """Diagnosis of a minimisation problem: distinct local minima, the lowest one chosen."""
    n_conv = int(ms.starts["converged"].sum())
    n_sol = len(ms.solutions)
    head = f"{n_conv} of {len(ms.starts)} starts converged"
    if n_sol == 1:
        return f"{head}, all to one minimum"
    return (
        f"{head} to {n_sol} distinct local minima; the lowest objective "
        f"({ms.fun:.6g}, start #{ms.best_start}) was chosen"
    )
