r"""Partial fixed effects and controls out of variables (Frisch-Waugh-Lovell), for figures.

By the Frisch-Waugh-Lovell theorem, the coefficient on :math:`x` in
:math:`y = \beta x + C\gamma + \alpha_{g_1} + \dots + \alpha_{g_K} + \varepsilon` equals the
slope of a regression of :math:`\tilde y` on :math:`\tilde x`, where the tilde denotes the
residual after projecting on the fixed effects and the controls. Fixed effects are projected
out by alternating projections (the method of alternating projections of Gaure 2013 that
fixed-effects engines use): subtract group means of each effect in turn until nothing changes;
with one effect a single pass is exact. Controls are then projected out by least squares on the
demeaned controls. With weights every mean and projection is weighted.

As the estimation engine does, rows missing any variable and observations alone in a fixed-effect
group (singletons, whose residual is zero) are removed first, repeatedly, and reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from agglomeration.errors import ColumnMissingError, ConvergenceError, InputError

__all__ = ["PartialOut", "absorb_codes", "demean", "partial_out"]


@dataclass(frozen=True)
class PartialOut:
    """Residuals of :func:`partial_out`.

    Attributes
    ----------
    residuals : pandas.DataFrame
        One column per variable, indexed by the input rows kept.
    means : pandas.Series
        (Weighted) means of the variables over the rows kept, to add back for display.
    weights : numpy.ndarray
        Weights of the rows kept (ones without weights).
    dropped : pandas.DataFrame
        ``reason``, ``n_rows``: rows removed, in order.
    """

    residuals: pd.DataFrame
    means: pd.Series
    weights: np.ndarray
    dropped: pd.DataFrame


def absorb_codes(df: pd.DataFrame, absorb: Sequence[str]) -> list[np.ndarray]:
    """Integer group codes (0..G-1, sorted by key) of each fixed effect; ``"a^b"`` interacts."""
    out = []
    for fe in absorb:
        cols = fe.split("^")
        missing = [c for c in cols if c not in df.columns]
        if missing:
            raise ColumnMissingError(
                f"fixed effect {fe!r} names column(s) {missing} that are not in the data."
            )
        out.append(df.groupby(cols, sort=True, dropna=False).ngroup().to_numpy(dtype=np.int64))
    return out


def demean(
    values: np.ndarray,
    groups: Sequence[np.ndarray],
    weights: np.ndarray | None = None,
    *,
    tol: float = 1e-13,
    max_iter: int = 10_000,
) -> np.ndarray:
    """Residuals of ``values`` (n x k) after projecting on the fixed effects ``groups``.

    Parameters
    ----------
    values : numpy.ndarray
        Variables in columns.
    groups : sequence of numpy.ndarray
        Integer codes 0..G-1 of each fixed effect; empty: subtract the (weighted) mean.
    weights : numpy.ndarray, optional
        Positive weights.
    tol : float
        Stop when no residual changes by more than ``tol`` times the largest absolute value.
    max_iter : int
        Passes over the fixed effects before giving up.

    Raises
    ------
    ConvergenceError
        The alternating projections did not converge in ``max_iter`` passes.
    """
    x = np.array(values, dtype=np.float64, copy=True)
    if x.ndim == 1:
        x = x[:, None]
    w = np.ones(len(x)) if weights is None else np.asarray(weights, dtype=np.float64)
    if not groups:
        return x - (w @ x) / w.sum()
    wsum = [np.bincount(g, weights=w) for g in groups]
    scale = max(float(np.abs(x).max(initial=0.0)), 1.0)
    for _ in range(max_iter):
        change = 0.0
        for g, ws in zip(groups, wsum, strict=True):
            for j in range(x.shape[1]):
                means = np.bincount(g, weights=w * x[:, j], minlength=len(ws)) / ws
                step = means[g]
                x[:, j] -= step
                change = max(change, float(np.abs(step).max(initial=0.0)))
        if change <= tol * scale:
            return x
    raise ConvergenceError(
        f"alternating projections on {len(groups)} fixed effects did not converge in {max_iter} "
        "passes; check for fixed effects that are (nearly) collinear."
    )


def _singletons(codes: list[np.ndarray]) -> np.ndarray:
    bad = np.zeros(len(codes[0]) if codes else 0, dtype=bool)
    for g in codes:
        bad |= np.bincount(g)[g] == 1
    return bad


def partial_out(
    df: pd.DataFrame,
    columns: Sequence[str],
    absorb: Sequence[str] = (),
    controls: Sequence[str] = (),
    weights: str | None = None,
) -> PartialOut:
    """Residualise ``columns`` on fixed effects and controls (Frisch-Waugh-Lovell).

    Parameters
    ----------
    df : pandas.DataFrame
        The data.
    columns : sequence of str
        Variables to residualise (e.g. the outcome and the regressor of a binned scatter).
    absorb : sequence of str
        Fixed effects: columns or interactions ``"a^b"`` (as in :class:`agglomeration.Spec`);
        none: the constant only.
    controls : sequence of str
        Further regressors to partial out.
    weights : str, optional
        Column of positive weights.

    Returns
    -------
    PartialOut
        Residuals, means, weights and the rows dropped (missing values, singletons).
    """
    needed = [*columns, *controls, *(c for fe in absorb for c in fe.split("^"))]
    if weights:
        needed.append(weights)
    missing = sorted({c for c in needed if c not in df.columns})
    if missing:
        raise ColumnMissingError(
            f"column(s) {missing} are not in the data; available: {list(df.columns)}."
        )
    data = df[list(dict.fromkeys(needed))]
    numeric = [*columns, *controls, *([weights] if weights else [])]
    values = data[numeric].apply(pd.to_numeric, errors="coerce")
    bad = values.isna().any(axis=1) | ~np.isfinite(values.to_numpy(dtype=float)).all(axis=1)
    bad |= data[[c for c in needed if c not in numeric]].isna().any(axis=1)
    dropped = [("missing or non-finite value in " + ", ".join(needed), int(bad.sum()))]
    if weights:
        nonpos = ~bad & (values[weights] <= 0)
        if nonpos.any():
            raise InputError(
                f"weights column {weights!r} has {int(nonpos.sum())} non-positive value(s); "
                "drop those rows or use positive weights."
            )
    data = data.loc[~bad]
    n_single = 0
    while absorb:
        codes = absorb_codes(data, absorb)
        single = _singletons(codes)
        if not single.any():
            break
        n_single += int(single.sum())
        data = data.loc[~single]
    dropped.append(("singleton fixed-effect group", n_single))
    if len(data) < 2:
        raise InputError(
            f"only {len(data)} row(s) left after removing missing values and singletons."
        )
    w = (
        pd.to_numeric(data[weights]).to_numpy(dtype=float)
        if weights
        else np.ones(len(data), dtype=float)
    )
    codes = absorb_codes(data, absorb) if absorb else []
    cols = [*columns, *controls]
    raw = data[cols].apply(pd.to_numeric).to_numpy(dtype=float)
    res = demean(raw, codes, w)
    y = res[:, : len(columns)]
    if controls:
        c = res[:, len(columns) :]
        sw = np.sqrt(w)[:, None]
        coef, *_ = np.linalg.lstsq(c * sw, y * sw, rcond=None)
        y = y - c @ coef
    means = pd.Series((w @ raw[:, : len(columns)]) / w.sum(), index=list(columns))
    return PartialOut(
        residuals=pd.DataFrame(y, index=data.index, columns=list(columns)),
        means=means,
        weights=w,
        dropped=pd.DataFrame(dropped, columns=["reason", "n_rows"]),
    )
