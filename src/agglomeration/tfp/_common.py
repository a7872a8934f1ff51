"""Shared building blocks for the production-function estimators.

Panel validation and preparation, lags built from the time variable, polynomial
control functions, least squares and the multi-start optimiser.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import optimize

from agglomeration.errors import ConvergenceError

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class Panel:
    """A validated plant panel sorted by plant and time, as plain arrays.

    Attributes
    ----------
    y : ndarray, shape (n,)
        Log output (value added).
    free, state, proxy : ndarray, shape (n, F), (n, S), (n, P)
        Log free inputs, log state inputs, log proxy variable(s).
    plant : ndarray of int, shape (n,)
        Integer plant codes (0..n_plants-1 in order of first appearance after sorting).
    time : ndarray of int, shape (n,)
        Integer time periods.
    row : ndarray of int, shape (n,)
        Position of each row in the caller's frame (to map results back).
    free_names, state_names, proxy_names : tuple of str
        Column names, in order.
    """

    y: FloatArray
    free: FloatArray
    state: FloatArray
    proxy: FloatArray
    plant: IntArray
    time: IntArray
    row: IntArray
    free_names: tuple[str, ...]
    state_names: tuple[str, ...]
    proxy_names: tuple[str, ...]

    @property
    def n(self) -> int:
        """Number of plant-years."""
        return int(self.y.shape[0])

    @property
    def input_names(self) -> tuple[str, ...]:
        """Free then state input names (the order of every parameter vector)."""
        return self.free_names + self.state_names

    @property
    def inputs(self) -> FloatArray:
        """Free then state inputs as one (n, F+S) matrix."""
        return np.column_stack([self.free, self.state])

    def take(self, rows: IntArray, plant: IntArray) -> Panel:
        """Return the panel restricted to ``rows`` with new plant codes ``plant``.

        ``rows`` must keep every plant's rows contiguous and sorted by time.
        """
        return replace(
            self,
            y=self.y[rows],
            free=self.free[rows],
            state=self.state[rows],
            proxy=self.proxy[rows],
            plant=plant,
            time=self.time[rows],
            row=self.row[rows],
        )


def _as_names(value: str | Sequence[str], what: str) -> tuple[str, ...]:
    names = (value,) if isinstance(value, str) else tuple(value)
    if len(names) == 0:
        raise ValueError(f"`{what}` must name at least one column; got an empty list.")
    return names


def prepare_panel(
    data: pd.DataFrame,
    *,
    output: str,
    free: str | Sequence[str],
    state: str | Sequence[str],
    proxy: str | Sequence[str] | None,
    id: str,
    time: str,
) -> Panel:
    """Validate a plant-year frame and convert it to a sorted :class:`Panel`.

    Raises
    ------
    ValueError
        If a column is absent, non-numeric or has missing/infinite values, if the
        time variable is not integer-valued, or if (id, time) keys are duplicated.
    """
    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"`data` must be a pandas DataFrame; got {type(data).__name__}.")
    free_n = _as_names(free, "free")
    state_n = _as_names(state, "state")
    proxy_n = () if proxy is None else _as_names(proxy, "proxy")
    numeric_cols = [output, *free_n, *state_n, *proxy_n, time]
    for col in [*numeric_cols, id]:
        if col not in data.columns:
            raise ValueError(
                f"column {col!r} is not in the data; available columns: {list(data.columns)}."
            )
    for col in numeric_cols:
        s = data[col]
        if not (pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)):
            raise ValueError(
                f"column {col!r} must be numeric; it has dtype {s.dtype}. "
                "Convert it with pd.to_numeric before estimating."
            )
        values = s.to_numpy(dtype=float, na_value=np.nan)
        bad = int((~np.isfinite(values)).sum())
        if bad:
            raise ValueError(
                f"column {col!r} has {bad} missing or infinite value(s); "
                "drop or impute those plant-years before estimating (nothing is dropped silently)."
            )
    if data[id].isna().any():
        raise ValueError(
            f"id column {id!r} has {int(data[id].isna().sum())} missing value(s); drop them first."
        )
    tvals = data[time].to_numpy(dtype=float)
    if not np.all(tvals == np.round(tvals)):
        raise ValueError(f"time column {time!r} must hold integer periods (e.g. years).")
    dup = data.duplicated([id, time], keep=False)
    if dup.any():
        example = data.loc[dup, [id, time]].head(3).to_dict("records")
        raise ValueError(
            f"{int(dup.sum())} rows share a duplicated ({id!r}, {time!r}) key, e.g. {example}; "
            "each plant-year must appear once. Aggregate or drop the duplicates."
        )
    codes, _ = pd.factorize(data[id], sort=True)
    t_int = tvals.astype(np.int64)
    order = np.lexsort((t_int, codes))
    # Re-code plants 0..G-1 in sorted order.
    plant = codes[order].astype(np.int64)

    def mat(cols: tuple[str, ...]) -> FloatArray:
        if not cols:
            return np.empty((len(order), 0))
        return np.column_stack([data[c].to_numpy(dtype=float)[order] for c in cols])

    return Panel(
        y=data[output].to_numpy(dtype=float)[order],
        free=mat(free_n),
        state=mat(state_n),
        proxy=mat(proxy_n),
        plant=plant,
        time=t_int[order],
        row=order.astype(np.int64),
        free_names=free_n,
        state_names=state_n,
        proxy_names=proxy_n,
    )


def lag_index(plant: IntArray, time: IntArray) -> IntArray:
    """Position of each row's previous period (same plant, time - 1), or -1.

    Rows must be sorted by (plant, time) with unique keys, so the previous period, when
    it exists, is the preceding row. A gap in a plant's years gives -1 (no lag), never
    the previous observed row.

    Examples
    --------
    Plant 0 observed in 2000, 2001, 2003; plant 1 in 2000, 2001:

    >>> lag_index(np.array([0, 0, 0, 1, 1]), np.array([2000, 2001, 2003, 2000, 2001]))
    array([-1,  0, -1, -1,  3])
    """
    n = plant.shape[0]
    out = np.full(n, -1, dtype=np.int64)
    if n > 1:
        ok = (plant[1:] == plant[:-1]) & (time[1:] == time[:-1] + 1)
        idx = np.nonzero(ok)[0]
        out[idx + 1] = idx
    return out


def poly_terms(x: FloatArray, degree: int) -> FloatArray:
    """All monomials of the columns of ``x`` of total degree 1..``degree`` (no constant).

    For two columns and degree 2 this is (a, b, a^2, ab, b^2): the "full polynomial"
    used as the control function in Olley & Pakes (1996, eq. 6) and its successors.
    """
    if degree < 1:
        raise ValueError(f"polynomial degree must be >= 1; got {degree}.")
    n, p = x.shape
    cols: list[FloatArray] = []
    for d in range(1, degree + 1):
        for combo in itertools.combinations_with_replacement(range(p), d):
            col = np.ones(n)
            for j in combo:
                col = col * x[:, j]
            cols.append(col)
    return np.column_stack(cols)


def ols(x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Least-squares coefficients and fitted values (minimum-norm if rank deficient)."""
    coef = np.asarray(np.linalg.lstsq(x, y, rcond=None)[0], dtype=np.float64)
    return coef, np.asarray(x @ coef, dtype=np.float64)


def markov_basis(omega_lag: FloatArray, degree: int, extra: FloatArray | None = None) -> FloatArray:
    """Polynomial basis (with constant) for the law of motion g(omega_{t-1}).

    With ``extra`` (fitted survival/exit probabilities, Olley & Pakes 1996 eq. 12), the
    basis is the full polynomial of degree ``degree`` in (omega_lag, extra).
    """
    if extra is None:
        cols = [np.ones_like(omega_lag)] + [omega_lag**d for d in range(1, degree + 1)]
        return np.column_stack(cols)
    xy = np.column_stack([omega_lag, extra])
    return np.column_stack([np.ones_like(omega_lag), poly_terms(xy, degree)])


@dataclass(frozen=True)
class MultiStartResult:
    """Outcome of a multi-start minimisation.

    Attributes
    ----------
    x : ndarray
        Parameters at the best converged start.
    fun : float
        Objective at ``x``.
    best_start : int
        Index (0-based) of the start that was chosen.
    starts : pandas.DataFrame
        One row per start: start values, end values, objective, converged flag, message.
    """

    x: FloatArray
    fun: float
    best_start: int
    starts: pd.DataFrame


def _converged(res: optimize.OptimizeResult) -> bool:
    if not np.all(np.isfinite(res.x)) or not np.isfinite(res.fun):
        return False
    if res.success:
        return True
    # BFGS often stops with "precision loss" at a genuine optimum of a flat objective:
    # accept it when the gradient is small relative to the objective.
    jac = getattr(res, "jac", None)
    if jac is None:
        return False
    return bool(np.max(np.abs(jac)) <= 1e-5 * (1.0 + abs(float(res.fun))))


def _nelder_mead(
    fun: Callable[[FloatArray], float], x0: FloatArray, tol: float
) -> optimize.OptimizeResult:
    return optimize.minimize(
        fun,
        x0,
        method="Nelder-Mead",
        options={"xatol": 1e-7, "fatol": tol, "maxiter": 1000 * max(1, len(x0))},
    )


def multistart_minimize(
    fun: Callable[[FloatArray], float],
    starts: FloatArray,
    names: Sequence[str],
    *,
    method: str = "BFGS",
    what: str = "second stage",
    tol: float = 1e-9,
) -> MultiStartResult:
    """Minimise ``fun`` from every row of ``starts`` and keep the best converged run.

    With ``method="BFGS"`` (default) a start whose BFGS run stalls without a small
    gradient is polished by Nelder-Mead from where BFGS stopped.

    The choice is deterministic: the lowest objective among converged starts; objectives
    within ``1e-9 * (1 + |f|)`` of the minimum count as ties, broken by the lowest start
    index.

    Raises
    ------
    ConvergenceError
        If no start converges (never returns NaN silently).
    """
    starts = np.atleast_2d(np.asarray(starts, dtype=float))
    rows = []
    results: list[optimize.OptimizeResult] = []
    for s, x0 in enumerate(starts):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            try:
                if method == "BFGS":
                    res = optimize.minimize(fun, x0, method="BFGS", options={"gtol": 1e-8})
                    if not _converged(res) and np.all(np.isfinite(res.x)):
                        # Polish a BFGS run that stalled (finite-difference gradients of a
                        # criterion with an inner regression) with Nelder-Mead.
                        bfgs_msg = str(res.message)
                        res = _nelder_mead(fun, np.asarray(res.x), tol)
                        res.message = f"BFGS: {bfgs_msg} -> Nelder-Mead: {res.message}"
                elif method == "Nelder-Mead":
                    res = _nelder_mead(fun, x0, tol)
                else:
                    res = optimize.minimize(fun, x0, method=method)
            except (np.linalg.LinAlgError, ValueError, FloatingPointError) as exc:
                res = optimize.OptimizeResult(
                    x=np.full_like(x0, np.nan), fun=np.nan, success=False, message=str(exc)
                )
        ok = _converged(res)
        results.append(res)
        row: dict[str, object] = {"start": s}
        for nm, v in zip(names, x0, strict=True):
            row[f"start_{nm}"] = float(v)
        for nm, v in zip(names, np.asarray(res.x, dtype=float), strict=True):
            row[nm] = float(v)
        row["objective"] = float(res.fun) if np.isfinite(res.fun) else np.nan
        row["converged"] = ok
        row["message"] = str(res.message)
        rows.append(row)
    table = pd.DataFrame(rows)
    good = table[table["converged"]]
    if good.empty:
        raise ConvergenceError(
            f"{what}: the optimisation ({method}) failed to converge from all {len(starts)} "
            f"starting values; messages: {sorted(set(table['message']))}. Supply other "
            "starting values (`starts=`), more starts (`n_starts=`) or another optimiser."
        )
    fmin = float(good["objective"].min())
    tied = good[good["objective"] <= fmin + 1e-9 * (1.0 + abs(fmin))]
    best = int(tied["start"].min())
    res = results[best]
    return MultiStartResult(
        x=np.asarray(res.x, dtype=float), fun=float(res.fun), best_start=best, starts=table
    )


def make_starts(
    bases: Sequence[FloatArray], n_starts: int, rng: np.random.Generator, scale: float = 0.2
) -> FloatArray:
    """Build ``n_starts`` starting values: the ``bases`` in order, then perturbations.

    Start ``j >= len(bases)`` is ``bases[j % len(bases)]`` plus N(0, ``scale``^2) noise
    drawn from ``rng``. With ``n_starts < len(bases)`` only the first bases are used.
    """
    if n_starts < 1:
        raise ValueError(f"`n_starts` must be >= 1; got {n_starts}.")
    b = np.vstack([np.asarray(x, dtype=float).ravel() for x in bases])
    rows = [b[j % len(b)] for j in range(n_starts)]
    out = np.vstack(rows)
    extra = max(0, n_starts - len(b))
    if extra:
        out[len(b) :] += rng.normal(0.0, scale, size=(extra, b.shape[1]))
    return out
