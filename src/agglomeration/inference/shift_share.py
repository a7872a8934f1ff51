r"""Shift-share exposure and regressions with Adão-Kolesár-Morales (2019) standard errors.

A shift-share (Bartik) variable is the exposure of region :math:`r` to industry shocks,

.. math::

    x_r = \sum_s w_{rs} g_s ,

with :math:`w_{rs} \ge 0` the (e.g. base-year employment) share of industry :math:`s` in region
:math:`r` (:math:`\sum_s w_{rs} \le 1`) and :math:`g_s` the shock to industry :math:`s`
(:func:`shift_share_exposure`). Regions with similar industry mixes receive similar exposures,
and, if unobserved industry-level shocks also move the outcome, their errors are correlated
whatever their distance: heteroskedasticity-robust (EHW) and region-clustered standard errors
then understate the variability of the estimate (Adão, Kolesár & Morales 2019, *QJE* 134(4),
"Shift-Share Designs: Theory and Inference", Sections II-III).

:func:`shift_share_regression` fits, by (weighted) least squares with regression weights
:math:`e_r` and regional controls :math:`Z` (a constant by default),

.. math::

    y_r = \beta\, d_r + Z_r'\delta + \varepsilon_r ,

with :math:`d_r = x_r` (OLS) or an endogenous regressor instrumented by :math:`x_r` (IV). Write
:math:`\ddot v` for a variable residualised on :math:`Z` (weights :math:`e`),
:math:`\hat\varepsilon = \ddot y - \ddot d \hat\beta` and :math:`R_X = \sum_r e_r \ddot d_r
\ddot x_r`, so that :math:`\hat\beta = \sum_r e_r \ddot x_r \ddot y_r / R_X`. The AKM standard
error (AKM 2019, Section IV: Remark 6 and eq. (36); the IV form in Section IV.C) is

.. math::

    \widehat{se}_{AKM} = \frac{\sqrt{\sum_s \hat{\mathcal X}_s^2 \hat R_s^2}}{|R_X|},\qquad
    \hat R_s = \sum_r e_r w_{rs} \hat\varepsilon_r ,\qquad
    \hat{\mathcal X} = (W'EW)^{-1} W'E \ddot x ,

where :math:`\hat{\mathcal X}_s` are the shocks net of the controls, recovered by regressing
:math:`\ddot x` on the share matrix :math:`W` (weights :math:`E = \mathrm{diag}(e)`). With
industry clusters (shocks correlated within groups of industries) the terms
:math:`\hat{\mathcal X}_s \hat R_s` are summed within a cluster before squaring. AKM0 imposes
the null :math:`\beta = \beta_0` in the residual, :math:`\hat\varepsilon(\beta_0) = \ddot y -
\ddot d \beta_0`, and its confidence set collects the :math:`\beta_0` the test does not reject
(Remark 6, step (iv)): with :math:`c_s = \hat{\mathcal X}_s \hat R_s`,
:math:`a_s = \hat{\mathcal X}_s \sum_r e_r w_{rs} \ddot d_r`, :math:`z` the normal quantile and
:math:`\Delta = \hat\beta - \beta_0`, the test accepts when

.. math::

    \Delta^2 \big(R_X^2 / z^2 - \textstyle\sum_s a_s^2\big) - 2 \Delta \sum_s c_s a_s
    - \sum_s c_s^2 \le 0 ,

a quadratic inequality whose solution is an interval, the complement of an interval, or the
real line (weak identification).

Small-sample factors, as in the reference implementation (the R package ShiftShareSE of
Kolesár, which reproduces Stata): none for AKM and AKM0 (the paper states none); EHW uses
:math:`N/(N-p)` (``p`` the rank of :math:`[x, Z]`) for OLS, as Stata's ``regress, robust``, and
none for IV, as ``ivregress 2sls, robust``. Inference is normal (``df_resid`` is ``None``).

Incomplete shares. The design takes the shocks as good as randomly assigned around a mean that
the controls absorb (AKM 2019, Assumption 2 with shock-level covariates :math:`\mathcal Z_s` and
regional controls :math:`Z_r = \sum_s w_{rs} \mathcal Z_s`; Borusyak, Hull & Jaravel 2022,
*REStud* 89(1), Section 4.2). With the constant shock-level covariate the regional control is
the sum of shares :math:`\sum_s w_{rs}`: when shares do not sum to one, the controls must
include it (with complete shares the constant does it). :func:`shift_share_regression` checks
that the controls span the share sum and raises otherwise (``share_sum_check``).

Collinear shares (e.g. more industries than regions) leave :math:`\hat{\mathcal X}` undefined;
as ShiftShareSE, the columns of a rank-revealing (pivoted) QR factorisation of :math:`E^{1/2} W`
beyond its rank are dropped, which keeps :math:`x` and :math:`\hat\beta` and implicitly
redefines the shocks; the dropped industries are reported.

:func:`shock_level_regression` gives the equivalent industry-level regression of Borusyak, Hull
& Jaravel (2022, Proposition 1).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.linalg
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from agglomeration.errors import InputError, SpecError
from agglomeration.inference._shift_share_design import Design, regional_design, residualise
from agglomeration.inference.shift_share_exposure import (
    MissingShocks,
    ShareMatrix,
    ShiftShareExposure,
    _fmt,
    share_matrix,
    shift_share_exposure,
)
from agglomeration.inference.shift_share_result import ShiftShareResult

__all__ = [
    "ShareMatrix",
    "ShiftShareExposure",
    "ShockLevelResult",
    "share_matrix",
    "shift_share_exposure",
    "shift_share_regression",
    "shock_level_regression",
]

ShareSumCheck = Literal["raise", "warn", "ignore"]


def _shocks_net_of_controls(
    w: sp.csr_array, dd_x: NDArray[np.float64], sq: NDArray[np.float64], tol: float
) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.int64]]:
    """``(W'EW)^-1 W'E ddx`` on the columns a pivoted QR keeps; returns (hX, kept, dropped)."""
    a = w.toarray() * sq[:, None]
    q, r, piv = scipy.linalg.qr(a, mode="economic", pivoting=True)
    diag = np.abs(np.diag(r))
    rank = int((diag > tol * diag[0]).sum()) if diag.size and diag[0] > 0 else 0
    kept, dropped = piv[:rank], piv[rank:]
    h = scipy.linalg.solve_triangular(r[:rank, :rank], q[:, :rank].T @ (dd_x * sq))
    out = np.zeros(w.shape[1])
    out[kept] = h
    return out, np.sort(kept), np.sort(dropped)


def _check_share_sum(
    des: Design, sq: NDArray[np.float64], action: ShareSumCheck, tol: float
) -> bool:
    total = np.asarray(des.w.sum(axis=1)).ravel()
    resid = residualise(total, des.z, sq)
    spanned = bool(
        np.sqrt(np.mean((resid * sq) ** 2))
        <= 1e-8 * max(1.0, float(np.sqrt(np.mean((total * sq) ** 2))))
    )
    if not spanned and action != "ignore":
        complete = bool(np.all(np.abs(total - 1.0) <= tol))
        what = (
            "the shares sum to one but there is no constant"
            if complete
            else f"the shares do not sum to one (share sums from {total.min():.3g} to {total.max():.3g})"
        )
        msg = (
            f"{what}, and the controls do not span the sum of shares. The shocks' mean is then "
            "not absorbed and AKM inference is not valid (AKM 2019, Assumption 2; Borusyak, "
            "Hull & Jaravel 2022, Section 4.2). Add the sum of shares to the controls (e.g. "
            "controls['share_sum'] = shift_share_exposure(...).share_sum), or pass "
            "share_sum_check='warn' or 'ignore' if a control proxies it."
        )
        if action == "raise":
            raise SpecError(msg)
        warnings.warn(msg, UserWarning, stacklevel=3)
    return spanned


def shift_share_regression(
    y: pd.Series | ArrayLike,
    shares: pd.DataFrame | ArrayLike,
    shocks: pd.Series | pd.DataFrame | ArrayLike | None = None,
    controls: pd.DataFrame | ArrayLike | None = None,
    weights: pd.Series | ArrayLike | None = None,
    *,
    endog: pd.Series | ArrayLike | None = None,
    exposure: pd.Series | ArrayLike | None = None,
    industry_cluster: pd.Series | ArrayLike | None = None,
    variance: Literal["akm", "akm0", "hetero"] = "akm",
    add_constant: bool = True,
    share_sum_check: ShareSumCheck = "raise",
    missing_shocks: MissingShocks = "raise",
    region: str = "region",
    industry: str = "industry",
    share: str = "share",
    shock: str = "shock",
    share_tol: float = 1e-6,
    collinear_tol: float = 1e-7,
    term: str | None = None,
) -> ShiftShareResult:
    """OLS or IV regression on a shift-share variable with AKM, AKM0 and EHW inference.

    Implements the module-level formulas (AKM 2019, Section IV, Remark 6; IV: Section IV.C).

    Parameters
    ----------
    y : Series or array_like
        Regional outcome. A Series is matched to the shares by region (its index is the
        estimation sample; share regions not in it are reported and left out); an array must
        follow the rows of a wide ``shares``.
    shares : DataFrame or array_like
        Region x industry shares (long or wide, see :func:`share_matrix`).
    shocks : Series, DataFrame or array_like, optional
        Industry shocks; the exposure is built with :func:`shift_share_exposure`. Give either
        ``shocks`` or ``exposure``.
    controls : DataFrame or array_like, optional
        Regional controls (a constant is added unless ``add_constant=False``). With shares that
        do not sum to one they must span the sum of shares (see ``share_sum_check``).
    weights : Series or array_like, optional
        Positive regression weights :math:`e_r` (weighted least squares).
    endog : Series or array_like, optional
        Endogenous regressor: then the exposure is its instrument (2SLS, just identified).
    exposure : Series or array_like, optional
        A shift-share variable computed elsewhere from these shares (e.g. a published
        instrument), instead of ``shocks``.
    industry_cluster : Series or array_like, optional
        Cluster of each industry (Series indexed by industry, or an array in the column order
        of the shares): AKM sums the industry terms within a cluster.
    variance : {"akm", "akm0", "hetero"}
        Variance reported by ``std_errors``, ``conf_int`` and ``tidy``; the others are in
        :meth:`ShiftShareResult.inference_table` and :meth:`ShiftShareResult.with_variance`.
    add_constant : bool
        Add a constant to the controls.
    share_sum_check : {"raise", "warn", "ignore"}
        What to do when the controls do not span the sum of shares (incomplete shares).
    missing_shocks : {"raise", "drop"}
        See :func:`shift_share_exposure`.
    region, industry, share, shock : str
        Column names of long ``shares`` and of a ``shocks`` frame.
    share_tol : float
        Tolerance for share sums above one.
    collinear_tol : float
        Relative tolerance on the pivoted-QR diagonal for collinear share columns.
    term : str, optional
        Name of the coefficient (default ``"exposure"`` for OLS, ``"endog"`` for IV, or the
        Series name of ``endog``).

    Returns
    -------
    ShiftShareResult

    Raises
    ------
    InputError
        Bad shares, shocks, outcomes, weights or controls (names the regions / values).
    SpecError
        Controls that do not span the share sum (``share_sum_check="raise"``), or no variation
        in the exposure after the controls.
    """
    if variance not in ("akm", "akm0", "hetero"):
        raise SpecError(f"variance must be 'akm', 'akm0' or 'hetero', got {variance!r}.")
    if share_sum_check not in ("raise", "warn", "ignore"):
        raise SpecError(
            f"share_sum_check must be 'raise', 'warn' or 'ignore', got {share_sum_check!r}."
        )
    names = {"region": region, "industry": industry, "share": share, "shock": shock}
    des = regional_design(
        y,
        shares,
        shocks,
        controls,
        weights,
        endog,
        exposure,
        add_constant,
        names,
        missing_shocks,
        share_tol,
    )
    sq = np.sqrt(des.wgt)
    spanned = _check_share_sum(des, sq, share_sum_check, share_tol)
    dd_y = residualise(des.y, des.z, sq)
    dd_x = residualise(des.x, des.z, sq)
    if np.sqrt(np.mean((dd_x * sq) ** 2)) <= 1e-12 * max(1.0, float(np.sqrt(np.mean(des.x**2)))):
        raise SpecError("the shift-share variable has no variation left after the controls.")
    h, kept, dropped = _shocks_net_of_controls(des.w, dd_x, sq, collinear_tol)
    ind_dropped = des.industries_dropped
    if dropped.size:
        ind_dropped = pd.concat(
            [
                ind_dropped,
                pd.DataFrame({"industry": des.industries[dropped], "reason": "collinear shares"}),
            ],
            ignore_index=True,
        )
    clusters = _clusters(industry_cluster, des.industries, kept)
    rank = int(np.linalg.matrix_rank(np.column_stack([des.x, des.z]) * sq[:, None]))
    first = None
    if des.d is None:
        dd_d = dd_x
        default_term = "exposure"
    else:
        dd_d = residualise(des.d, des.z, sq)
        default_term = str(getattr(endog, "name", None) or "endog")
        first = _fit(
            dd_d,
            dd_x,
            dd_x,
            des,
            h,
            kept,
            clusters,
            rank,
            "ols",
            spanned,
            "exposure",
            ind_dropped,
            variance,
        )
    return _fit(
        dd_y,
        dd_d,
        dd_x,
        des,
        h,
        kept,
        clusters,
        rank,
        "ols" if des.d is None else "iv",
        spanned,
        term or default_term,
        ind_dropped,
        variance,
        first,
    )


def _clusters(
    industry_cluster: Any, industries: pd.Index, kept: NDArray[np.int64]
) -> NDArray[np.int64] | None:
    if industry_cluster is None:
        return None
    if isinstance(industry_cluster, pd.Series):
        missing = industries.difference(industry_cluster.index)
        if len(missing):
            raise InputError(f"industry_cluster has no cluster for industries {_fmt(missing)}.")
        cl = industry_cluster.reindex(industries).to_numpy()
    else:
        cl = np.asarray(industry_cluster).ravel()
        if cl.size != len(industries):
            raise InputError(
                f"industry_cluster has {cl.size} values but {len(industries)} industries are "
                "used; pass a Series indexed by industry."
            )
    if pd.isna(cl).any():
        raise InputError("industry_cluster has missing values; give every industry a cluster.")
    codes, _ = pd.factorize(cl[kept], sort=True)
    return codes.astype(np.int64)


def _fit(
    dd_y: NDArray[np.float64],
    dd_d: NDArray[np.float64],
    dd_x: NDArray[np.float64],
    des: Design,
    h: NDArray[np.float64],
    kept: NDArray[np.int64],
    clusters: NDArray[np.int64] | None,
    rank: int,
    kind: str,
    spanned: bool,
    term: str,
    ind_dropped: pd.DataFrame,
    variance: str,
    first: ShiftShareResult | None = None,
) -> ShiftShareResult:
    wgt = des.wgt
    rx = float(np.sum(wgt * dd_d * dd_x))
    if abs(rx) <= 1e-14 * np.sqrt(np.sum(wgt * dd_d**2) * np.sum(wgt * dd_x**2)):
        raise SpecError(
            "the exposure is uncorrelated with the regressor after the controls (first stage is zero)."
        )
    beta = float(np.sum(wgt * dd_x * dd_y) / rx)
    e = dd_y - dd_d * beta
    n = e.size
    u = wgt * e * dd_x
    hetero_ssc = n / (n - rank) if kind == "ols" else 1.0
    se_hetero = float(np.sqrt(hetero_ssc * np.sum(u**2)) / abs(rx))
    wt = des.w.T
    c = (h * (wt @ (wgt * e)))[kept]
    a = (h * (wt @ (wgt * dd_d)))[kept]
    if clusters is not None:
        c = np.bincount(clusters, weights=c)
        a = np.bincount(clusters, weights=a)
    s_cc, s_ca, s_aa = float(c @ c), float(c @ a), float(a @ a)
    ex = des.exposure
    exposure = pd.Series(des.x, index=des.regions, name="exposure")
    return ShiftShareResult.build(
        term=term,
        estimate=beta,
        variance=variance,
        kind=kind,
        rx=rx,
        s_cc=s_cc,
        s_ca=s_ca,
        s_aa=s_aa,
        se_hetero=se_hetero,
        hetero_ssc=hetero_ssc,
        n_regions=n,
        n_industries=int(kept.size),
        n_clusters=None if clusters is None else int(clusters.max() + 1),
        controls=des.z_names,
        share_sum_spanned=spanned,
        exposure=exposure,
        shocks_net=pd.Series(h[kept], index=des.industries[kept], name="shock_net_of_controls"),
        regions_dropped=des.regions_dropped,
        industries_dropped=ind_dropped,
        industries_without_shares=() if ex is None else ex.industries_without_shares,
        first_stage=first,
    )


# ------------------------------------------------------------------------------------------
# Borusyak, Hull & Jaravel (2022): the equivalent shock-level regression
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShockLevelResult:
    r"""Shock-level regression of Borusyak, Hull & Jaravel (2022, Proposition 1).

    Attributes
    ----------
    estimate : float
        IV coefficient of :math:`\bar y^\perp_s` on :math:`\bar d^\perp_s` instrumented by
        :math:`g_s`, weights :math:`s_s` (equal to the region-level estimate).
    std_error : float
        Heteroskedasticity-robust (HC0) standard error of the shock-level regression (BHJ
        2022, Section 4.1).
    data : pandas.DataFrame
        One row per industry: ``share_weight`` :math:`s_s = \sum_r e_r w_{rs}`, ``shock``
        :math:`g_s`, ``y_bar`` and ``d_bar`` (exposure-weighted averages of the residualised
        outcome and regressor).
    shock_constant : bool
        Whether the shock-level regression has a constant.
    industries_dropped : tuple
        Industries with zero share weight in the sample (no shock-level observation).
    """

    estimate: float
    std_error: float
    data: pd.DataFrame
    shock_constant: bool
    industries_dropped: tuple[Any, ...]


def shock_level_regression(
    y: pd.Series | ArrayLike,
    shares: pd.DataFrame | ArrayLike,
    shocks: pd.Series | pd.DataFrame | ArrayLike,
    controls: pd.DataFrame | ArrayLike | None = None,
    weights: pd.Series | ArrayLike | None = None,
    *,
    endog: pd.Series | ArrayLike | None = None,
    add_constant: bool = True,
    shock_constant: bool = False,
    missing_shocks: MissingShocks = "raise",
    region: str = "region",
    industry: str = "industry",
    share: str = "share",
    shock: str = "shock",
    share_tol: float = 1e-6,
) -> ShockLevelResult:
    r"""Equivalent shock-level IV regression (Borusyak, Hull & Jaravel 2022, Proposition 1).

    With :math:`v^\perp` a regional variable residualised on the controls (weights
    :math:`e_r`), :math:`s_s = \sum_r e_r w_{rs}` and
    :math:`\bar v_s = \sum_r e_r w_{rs} v^\perp_r / s_s`, the shift-share IV (or OLS, where
    the regressor is the exposure itself) coefficient equals

    .. math::

        \hat\beta = \frac{\sum_s s_s g_s \bar y_s}{\sum_s s_s g_s \bar d_s},

    the IV regression of :math:`\bar y_s` on :math:`\bar d_s` instrumented by :math:`g_s`
    with weights :math:`s_s` (an exact identity:
    :math:`\sum_r e_r x_r v^\perp_r = \sum_s s_s g_s \bar v_s`). With
    ``shock_constant=True`` a constant is added at the shock level (BHJ's recommendation);
    the coefficient then still equals the regional one when the regional controls span the sum
    of shares.

    Parameters
    ----------
    y, shares, shocks, controls, weights, endog, add_constant, missing_shocks
        As in :func:`shift_share_regression` (``shocks`` required).
    shock_constant : bool
        Include a constant in the shock-level regression.
    region, industry, share, shock, share_tol
        As in :func:`shift_share_regression`.

    Returns
    -------
    ShockLevelResult
    """
    names = {"region": region, "industry": industry, "share": share, "shock": shock}
    des = regional_design(
        y,
        shares,
        shocks,
        controls,
        weights,
        endog,
        None,
        add_constant,
        names,
        missing_shocks,
        share_tol,
    )
    assert des.exposure is not None
    sq = np.sqrt(des.wgt)
    y_perp = residualise(des.y, des.z, sq)
    d_perp = residualise(des.x if des.d is None else des.d, des.z, sq)
    g = des.exposure.shocks.reindex(des.industries).to_numpy()
    wt = des.w.T
    s = wt @ des.wgt
    y_bar = (wt @ (des.wgt * y_perp)) / s
    d_bar = (wt @ (des.wgt * d_perp)) / s
    gi = g.copy()
    if shock_constant:
        gi = g - np.sum(s * g) / np.sum(s)
        y_c = y_bar - np.sum(s * y_bar) / np.sum(s)
        d_c = d_bar - np.sum(s * d_bar) / np.sum(s)
    else:
        y_c, d_c = y_bar, d_bar
    beta = float(np.sum(s * gi * y_c) / np.sum(s * gi * d_c))
    eps = y_c - beta * d_c
    se = float(np.sqrt(np.sum((s * gi * eps) ** 2)) / abs(np.sum(s * gi * d_c)))
    data = pd.DataFrame(
        {"industry": des.industries, "share_weight": s, "shock": g, "y_bar": y_bar, "d_bar": d_bar}
    )
    return ShockLevelResult(
        beta, se, data, shock_constant, tuple(des.industries_dropped["industry"])
    )
