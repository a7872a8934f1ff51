"""Regional design of a shift-share regression: outcome, regressors, controls, weights, shares.

Private helper of :mod:`agglomeration.inference.shift_share`: matches every regional input to
the regions of the outcome (by label for Series, by position for arrays), validates them (the
errors name the regions), and records the regions and industries left out and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import NDArray

from agglomeration.errors import InputError, SpecError
from agglomeration.inference.shift_share_exposure import (
    MissingShocks,
    ShiftShareExposure,
    _fmt,
    share_matrix,
    shift_share_exposure,
)

# ------------------------------------------------------------------------------------------
# regional data
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Design:
    y: NDArray[np.float64]
    d: NDArray[np.float64] | None
    x: NDArray[np.float64]
    z: NDArray[np.float64]
    z_names: tuple[str, ...]
    wgt: NDArray[np.float64]
    w: sp.csr_array
    regions: pd.Index
    industries: pd.Index
    regions_dropped: pd.DataFrame
    industries_dropped: pd.DataFrame
    exposure: ShiftShareExposure | None


def _region_vector(v: Any, name: str, regions: pd.Index, positional: bool) -> NDArray[np.float64]:
    if isinstance(v, pd.DataFrame):
        if v.shape[1] != 1:
            raise InputError(f"{name} must be one column, got {v.shape[1]}.")
        v = v.iloc[:, 0]
    if isinstance(v, pd.Series) and not positional:
        missing = regions.difference(v.index)
        if len(missing):
            raise InputError(f"{name} has no value for region(s) {_fmt(missing)}.")
        arr = pd.to_numeric(v.reindex(regions), errors="coerce").to_numpy(dtype=float)
    else:
        arr = np.asarray(v, dtype=float).ravel()
        if arr.size != len(regions):
            raise InputError(f"{name} has {arr.size} values but there are {len(regions)} regions.")
    bad = ~np.isfinite(arr)
    if bad.any():
        raise InputError(
            f"{name} has {int(bad.sum())} missing or infinite values (regions "
            f"{_fmt(regions[bad])}); drop those regions first."
        )
    return arr


def regional_design(
    y: Any,
    shares: Any,
    shocks: Any,
    controls: Any,
    weights: Any,
    endog: Any,
    exposure: Any,
    add_constant: bool,
    names: dict[str, str],
    missing_shocks: MissingShocks,
    share_tol: float,
) -> Design:
    if (shocks is None) == (exposure is None):
        raise SpecError("give exactly one of shocks= (industry shocks) and exposure= (x_r).")
    if shocks is not None:
        ex = shift_share_exposure(
            shares, shocks, missing_shocks=missing_shocks, share_tol=share_tol, **names
        )
        sm = ex.shares
    else:
        ex = None
        sm = share_matrix(
            shares, share_tol=share_tol, **{k: names[k] for k in ("region", "industry", "share")}
        )
    positional = not isinstance(y, pd.Series)
    if positional:
        regions = sm.regions
        rows = np.arange(len(regions))
        dropped_r = pd.DataFrame(columns=["region", "reason"])
    else:
        if y.index.has_duplicates:
            raise InputError(f"y has duplicated regions {_fmt(y.index[y.index.duplicated()])}.")
        absent = y.index.difference(sm.regions)
        if len(absent):
            raise InputError(
                f"y has region(s) {_fmt(absent)} that are not in the shares; every region of "
                "the regression needs its shares (a region with no industry gets share rows "
                "of 0)."
            )
        regions = y.index
        rows = sm.regions.get_indexer(regions)
        extra = sm.regions.difference(regions)
        dropped_r = pd.DataFrame({"region": extra, "reason": "in shares, not in y"})
    w = sp.csr_array(sm.matrix[rows])
    yv = _region_vector(y, "y", regions, positional)
    if ex is not None:
        xv = ex.exposure.to_numpy()[rows]
    else:
        xv = _region_vector(exposure, "exposure", regions, positional)
    dv = None if endog is None else _region_vector(endog, "endog", regions, positional)
    wv = (
        np.ones(len(regions))
        if weights is None
        else _region_vector(weights, "weights", regions, positional)
    )
    if (wv <= 0).any():
        raise InputError(
            f"weights must be positive; {int((wv <= 0).sum())} are not (regions "
            f"{_fmt(regions[wv <= 0])}). Drop those regions."
        )
    cols: list[NDArray[np.float64]] = []
    z_names: list[str] = []
    if add_constant:
        cols.append(np.ones(len(regions)))
        z_names.append("const")
    if controls is not None:
        c = (
            controls
            if isinstance(controls, pd.DataFrame)
            else pd.DataFrame(np.asarray(controls, dtype=float).reshape(len(regions), -1))
        )
        for col in c.columns:
            cols.append(
                _region_vector(
                    c[col],
                    f"controls[{col!r}]",
                    regions,
                    positional or not isinstance(controls, pd.DataFrame),
                )
            )
            z_names.append(str(col))
    z = np.column_stack(cols) if cols else np.empty((len(regions), 0))
    # industries with no share in the estimation sample carry no information
    present = np.asarray((w != 0).sum(axis=0)).ravel() > 0
    dropped_s = pd.DataFrame(
        {"industry": sm.industries[~present], "reason": "no share in the sample"}
    )
    if ex is not None and ex.industries_without_shock:
        dropped_s = pd.concat(
            [
                dropped_s,
                pd.DataFrame({"industry": list(ex.industries_without_shock), "reason": "no shock"}),
            ],
            ignore_index=True,
        )
    w = sp.csr_array(w[:, np.flatnonzero(present)])
    return Design(
        yv,
        dv,
        xv,
        z,
        tuple(z_names),
        wv,
        w,
        regions,
        sm.industries[present],
        dropped_r,
        dropped_s,
        ex,
    )


def residualise(
    v: NDArray[np.float64], z: NDArray[np.float64], sq: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Residual of the regression of ``v`` on ``z`` with weights ``sq**2``."""
    if z.shape[1] == 0:
        return v.copy()
    coef, *_ = np.linalg.lstsq(z * sq[:, None], v * sq, rcond=None)
    return v - z @ coef
