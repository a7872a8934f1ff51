"""Shared building blocks for the production-function estimators.

Panel validation and preparation, lags built from the time variable, polynomial
control functions and least squares. The multi-start optimiser is in
:mod:`agglomeration.tfp._multistart`.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from agglomeration.errors import ColumnMissingError, ColumnTypeError, InputError

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
        raise InputError(f"`{what}` must name at least one column; got an empty list.")
    return names


def prepare_panel(
    data: pd.DataFrame,
    *,
    output: str,
    free: str | Sequence[str],
    state: str | Sequence[str],
    proxy: str | Sequence[str] | None,
    unit: str,
    time: str,
) -> Panel:
    """Validate a plant-year frame and convert it to a sorted :class:`Panel`.

    Raises
    ------
    ColumnMissingError
        If a column is absent.
    ColumnTypeError
        If a column is not numeric.
    InputError
        If a column has missing/infinite values, the time variable is not integer-valued,
        or (unit, time) keys are duplicated.
    """
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"`data` must be a pandas DataFrame; got {type(data).__name__}.")
    free_n = _as_names(free, "free")
    state_n = _as_names(state, "state")
    proxy_n = () if proxy is None else _as_names(proxy, "proxy")
    numeric_cols = [output, *free_n, *state_n, *proxy_n, time]
    for col in [*numeric_cols, unit]:
        if col not in data.columns:
            raise ColumnMissingError(
                f"column {col!r} is not in the data; available columns: {list(data.columns)}."
            )
    for col in numeric_cols:
        s = data[col]
        if not (pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)):
            raise ColumnTypeError(
                f"column {col!r} must be numeric; it has dtype {s.dtype}. "
                "Convert it with pd.to_numeric before estimating."
            )
        values = s.to_numpy(dtype=float, na_value=np.nan)
        bad = int((~np.isfinite(values)).sum())
        if bad:
            raise InputError(
                f"column {col!r} has {bad} missing or infinite value(s); "
                "drop or impute those plant-years before estimating (nothing is dropped silently)."
            )
    if data[unit].isna().any():
        raise InputError(
            f"unit column {unit!r} has {int(data[unit].isna().sum())} missing value(s); "
            "drop them first."
        )
    tvals = data[time].to_numpy(dtype=float)
    if not np.all(tvals == np.round(tvals)):
        raise InputError(f"time column {time!r} must hold integer periods (e.g. years).")
    dup = data.duplicated([unit, time], keep=False)
    if dup.any():
        example = data.loc[dup, [unit, time]].head(3).to_dict("records")
        raise InputError(
            f"{int(dup.sum())} rows share a duplicated ({unit!r}, {time!r}) key, e.g. {example}; "
            "each plant-year must appear once. Aggregate or drop the duplicates."
        )
    codes, _ = pd.factorize(data[unit], sort=True)
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
        raise InputError(f"polynomial degree must be >= 1; got {degree}.")
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
