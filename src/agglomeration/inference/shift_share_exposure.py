r"""Shift-share (Bartik) exposure: validated region x industry shares times industry shocks.

The exposure of region :math:`r` is :math:`x_r = \sum_s w_{rs} g_s` (Bartik 1991; Adão,
Kolesár & Morales 2019, *QJE* 134(4), eq. (1)), with :math:`w_{rs} \ge 0` the share of industry
:math:`s` in region :math:`r` (:math:`\sum_s w_{rs} \le 1`) and :math:`g_s` the industry shock.
Shares are validated here once (non-negative, at most one per region, no duplicates, no missing
values; the errors name the regions and values) and kept as a sparse matrix. Industries with
shares but no shock are an error unless the caller asks to drop them, and then they are
reported, never set to zero silently. :mod:`agglomeration.inference.shift_share` builds the
regressions on top.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import ArrayLike

from agglomeration.errors import ColumnMissingError, InputError, SpecError

__all__ = [
    "MissingShocks",
    "ShareMatrix",
    "ShiftShareExposure",
    "share_matrix",
    "shift_share_exposure",
]

MissingShocks = Literal["raise", "drop"]


@dataclass(frozen=True)
class ShareMatrix:
    """Region x industry shares in sparse form.

    Attributes
    ----------
    matrix : scipy.sparse.csr_array
        Shares, one row per region and one column per industry.
    regions, industries : pandas.Index
        Labels of the rows and columns.
    rows_without_region : int
        Rows of a long share frame whose region label was missing (dropped).
    """

    matrix: sp.csr_array
    regions: pd.Index
    industries: pd.Index
    rows_without_region: int = 0

    @property
    def share_sum(self) -> pd.Series:
        """Sum of shares of every region."""
        return pd.Series(
            np.asarray(self.matrix.sum(axis=1)).ravel(), index=self.regions, name="share_sum"
        )


@dataclass(frozen=True)
class ShiftShareExposure:
    r"""Exposure of each region to the industry shocks, with what could not be matched.

    Attributes
    ----------
    exposure : pandas.Series
        :math:`x_r = \sum_s w_{rs} g_s`, indexed by region.
    share_sum : pandas.Series
        :math:`\sum_s w_{rs}` over the industries used (after any ``missing_shocks="drop"``).
    shares : ShareMatrix
        The shares used (industries without a shock removed when dropped).
    shocks : pandas.Series
        Shock of every industry of ``shares``, in its column order.
    industries_without_shock : tuple
        Industries with shares but no (or a missing) shock.
    industries_without_shares : tuple
        Industries with a shock but no share in any region (they do not enter).
    dropped_share_mass : pandas.Series
        Per region, the share of the industries dropped for lack of a shock (0 if none).
    rows_without_region : int
        Rows of a long share frame without a region label (dropped).
    """

    exposure: pd.Series
    share_sum: pd.Series
    shares: ShareMatrix
    shocks: pd.Series
    industries_without_shock: tuple[Any, ...]
    industries_without_shares: tuple[Any, ...]
    dropped_share_mass: pd.Series
    rows_without_region: int

    def report(self) -> pd.DataFrame:
        """Return what was not matched, one row per problem (kind, key, detail)."""
        rows: list[dict[str, Any]] = [
            {"kind": "industry without shock", "key": s, "detail": "dropped from the exposure"}
            for s in self.industries_without_shock
        ]
        rows += [
            {"kind": "industry without shares", "key": s, "detail": "shock not used"}
            for s in self.industries_without_shares
        ]
        if self.rows_without_region:
            rows.append(
                {
                    "kind": "share rows without region",
                    "key": None,
                    "detail": f"{self.rows_without_region} rows dropped",
                }
            )
        return pd.DataFrame(rows, columns=["kind", "key", "detail"])


# ------------------------------------------------------------------------------------------
# shares and shocks
# ------------------------------------------------------------------------------------------


def _fmt(items: Any, n: int = 8) -> str:
    items = list(items)
    head = ", ".join(repr(i) for i in items[:n])
    return head + (f", ... ({len(items)} in all)" if len(items) > n else "")


def _fmt_values(keys: Any, values: Any, n: int = 8) -> str:
    pairs = [f"{k!r}: {v:.6g}" for k, v in zip(keys, values, strict=True)]
    return ", ".join(pairs[:n]) + (f", ... ({len(pairs)} in all)" if len(pairs) > n else "")


def share_matrix(
    shares: pd.DataFrame | ArrayLike,
    *,
    region: str = "region",
    industry: str = "industry",
    share: str = "share",
    share_tol: float = 1e-6,
) -> ShareMatrix:
    """Validate region x industry shares and return them as a sparse matrix.

    Parameters
    ----------
    shares : DataFrame or array_like
        Either a long frame with columns ``region``, ``industry`` and ``share`` (one row per
        region-industry pair; absent pairs are zero), or a wide matrix (DataFrame with regions
        as index and industries as columns, or a 2-D array; rows are regions).
    region, industry, share : str
        Column names of the long frame.
    share_tol : float
        Tolerance for share sums above one.

    Returns
    -------
    ShareMatrix

    Raises
    ------
    InputError
        Shares negative, missing, duplicated, or summing to more than ``1 + share_tol`` within a
        region (the message names the regions and the values).
    """
    if isinstance(shares, pd.DataFrame) and {region, industry, share} <= set(shares.columns):
        df = shares
        no_region = df[region].isna()
        n_no_region = int(no_region.sum())
        df = df.loc[~no_region]
        if df[industry].isna().any():
            raise InputError(
                f"shares: {int(df[industry].isna().sum())} rows have no {industry!r} label; "
                "drop or label them."
            )
        dup = df.duplicated([region, industry], keep=False)
        if dup.any():
            pairs = df.loc[dup, [region, industry]].drop_duplicates().itertuples(index=False)
            raise InputError(
                f"shares: duplicated ({region}, {industry}) pairs {_fmt(map(tuple, pairs))}; "
                "aggregate them first (one share per region-industry pair)."
            )
        vals = pd.to_numeric(df[share], errors="coerce").to_numpy(dtype=float)
        r_codes, regions = pd.factorize(df[region], sort=True)
        s_codes, industries = pd.factorize(df[industry], sort=True)
        region_of_value = df[region].to_numpy()
    elif isinstance(shares, pd.DataFrame):
        if not shares.columns.is_unique or not shares.index.is_unique:
            raise InputError("wide shares need unique region index and industry columns.")
        missing = [c for c in (region, industry, share) if c in shares.columns]
        if missing and len(missing) < 3:
            raise ColumnMissingError(
                f"shares looks like a long frame but lacks column(s) "
                f"{sorted({region, industry, share} - set(shares.columns))}; pass region=, "
                "industry=, share= with its column names, or a wide matrix."
            )
        dense = shares.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
        regions, industries = shares.index, shares.columns
        r_codes, s_codes = np.nonzero(np.ones_like(dense, dtype=bool))
        vals = dense.ravel()
        region_of_value = np.asarray(regions)[r_codes]
        n_no_region = 0
    else:
        dense = np.asarray(shares, dtype=float)
        if dense.ndim != 2:
            raise InputError(
                f"shares must be a long frame or a 2-D matrix, got shape {dense.shape}."
            )
        regions, industries = pd.RangeIndex(dense.shape[0]), pd.RangeIndex(dense.shape[1])
        r_codes, s_codes = np.nonzero(np.ones_like(dense, dtype=bool))
        vals = dense.ravel()
        region_of_value = r_codes
        n_no_region = 0
    if not np.all(np.isfinite(vals)):
        bad = ~np.isfinite(vals)
        raise InputError(
            f"shares: {int(bad.sum())} missing or non-numeric share values (regions "
            f"{_fmt(pd.unique(region_of_value[bad]))}); use 0 for an absent industry."
        )
    if (vals < 0).any():
        bad = vals < 0
        detail = _fmt_values(region_of_value[bad], vals[bad])
        raise InputError(
            f"shares must be non-negative; negative shares in region(s) {detail}. "
            "Shares are e.g. base-year employment shares, between 0 and 1."
        )
    n_r, n_s = len(regions), len(industries)
    mat = sp.csr_array((vals, (r_codes, s_codes)), shape=(n_r, n_s))
    mat.eliminate_zeros()
    sums = np.asarray(mat.sum(axis=1)).ravel()
    over = sums > 1.0 + share_tol
    if over.any():
        detail = _fmt_values(np.asarray(regions)[over], sums[over])
        raise InputError(
            f"shares sum to more than 1 (+{share_tol:g}) within region(s) {detail}. Shares of "
            "a region must not exceed 1 in total: check for double-counted industries, or "
            "divide by the region total."
        )
    return ShareMatrix(mat, pd.Index(regions), pd.Index(industries), n_no_region)


def _shock_series(
    shocks: pd.Series | pd.DataFrame | ArrayLike, industry: str, shock: str, industries: pd.Index
) -> pd.Series:
    if isinstance(shocks, pd.DataFrame):
        if industry in shocks.columns:
            if shock not in shocks.columns:
                raise ColumnMissingError(
                    f"shocks has no column {shock!r}; pass shock= with the shock column "
                    f"(columns: {list(shocks.columns)})."
                )
            s = shocks.set_index(industry)[shock]
        elif shocks.shape[1] == 1:
            s = shocks.iloc[:, 0]
        else:
            raise ColumnMissingError(
                f"shocks has no column {industry!r}; give a frame with {industry!r} and "
                f"{shock!r} columns or a Series indexed by industry."
            )
    elif isinstance(shocks, pd.Series):
        s = shocks
    else:
        arr = np.asarray(shocks, dtype=float).ravel()
        if arr.size != len(industries):
            raise InputError(
                f"shocks has {arr.size} values but shares have {len(industries)} industries; "
                "pass a Series indexed by industry."
            )
        s = pd.Series(arr, index=industries)
    if not s.index.is_unique:
        dup = s.index[s.index.duplicated()].unique()
        raise InputError(f"shocks: duplicated industries {_fmt(dup)}; give one shock each.")
    return pd.to_numeric(s, errors="coerce").astype(float)


def shift_share_exposure(
    shares: pd.DataFrame | ArrayLike,
    shocks: pd.Series | pd.DataFrame | ArrayLike,
    *,
    region: str = "region",
    industry: str = "industry",
    share: str = "share",
    shock: str = "shock",
    missing_shocks: MissingShocks = "raise",
    share_tol: float = 1e-6,
) -> ShiftShareExposure:
    r"""Shift-share exposure :math:`x_r = \sum_s w_{rs} g_s` (Bartik 1991; AKM 2019, eq. (1)).

    Parameters
    ----------
    shares : DataFrame or array_like
        Long frame (``region``, ``industry``, ``share``) or wide region x industry matrix;
        see :func:`share_matrix`.
    shocks : Series, DataFrame or array_like
        Industry shocks: a Series indexed by industry, a frame with ``industry`` and ``shock``
        columns, or an array in the column order of a wide ``shares``.
    region, industry, share, shock : str
        Column names.
    missing_shocks : {"raise", "drop"}
        Industries with shares but no (or a NaN) shock: ``"raise"`` (default) names them;
        ``"drop"`` leaves them out of the exposure and reports them (the exposure then sums
        over fewer industries: control for :attr:`ShiftShareExposure.share_sum`).
    share_tol : float
        Tolerance for share sums above one.

    Returns
    -------
    ShiftShareExposure

    Raises
    ------
    InputError
        Bad shares (see :func:`share_matrix`), duplicated shocks, or industries without a shock
        under ``missing_shocks="raise"``.
    """
    if missing_shocks not in ("raise", "drop"):
        raise SpecError(f"missing_shocks must be 'raise' or 'drop', got {missing_shocks!r}.")
    sm = share_matrix(shares, region=region, industry=industry, share=share, share_tol=share_tol)
    g_all = _shock_series(shocks, industry, shock, sm.industries)
    g = g_all.reindex(sm.industries)
    has_mass = np.asarray((sm.matrix != 0).sum(axis=0)).ravel() > 0
    no_shock = g.isna().to_numpy() & has_mass
    without_shock = tuple(sm.industries[no_shock])
    mat = sm.matrix
    dropped_mass = np.zeros(len(sm.regions))
    if without_shock:
        mass = np.asarray(mat[:, np.flatnonzero(no_shock)].sum(axis=1)).ravel()
        if missing_shocks == "raise":
            worst = np.argsort(-mass)[:3]
            raise InputError(
                f"{len(without_shock)} industries have shares but no shock: "
                f"{_fmt(without_shock)} (largest share mass without a shock: "
                + ", ".join(f"{sm.regions[i]!r} {mass[i]:.3g}" for i in worst)
                + "). Give them a shock, or pass missing_shocks='drop' to leave them out of the "
                "exposure (reported, never set to zero silently) and control for the share sum."
            )
        dropped_mass = mass
    keep = ~g.isna().to_numpy()
    mat = sp.csr_array(mat[:, np.flatnonzero(keep)])
    industries = sm.industries[keep]
    used = ShareMatrix(mat, sm.regions, industries, sm.rows_without_region)
    g_used = g[keep]
    x = mat @ g_used.to_numpy()
    with_mass = set(sm.industries[has_mass])
    no_share = [s for s in g_all.index[g_all.notna()] if s not in with_mass]
    return ShiftShareExposure(
        exposure=pd.Series(x, index=sm.regions, name="exposure"),
        share_sum=used.share_sum,
        shares=used,
        shocks=g_used.rename("shock"),
        industries_without_shock=without_shock,
        industries_without_shares=tuple(no_share),
        dropped_share_mass=pd.Series(dropped_mass, index=sm.regions, name="dropped_share_mass"),
        rows_without_region=sm.rows_without_region,
    )
