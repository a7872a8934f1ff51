"""A shift-share regional design with errors correlated across regions with similar industry mixes.

:func:`shift_share_regions` generates the design that motivates the standard errors of Adão,
Kolesár & Morales (2019): a regional outcome regressed on a shift-share exposure ``x_r = sum_s
w_rs g_s``, with a residual that itself has a shift-share structure, ``u_r = sum_s w_rs nu_s +
eps_r``, so that regions with similar industry mixes have correlated residuals wherever they are.

References
----------
Adão, R., Kolesár, M. and Morales, E. (2019). Shift-share designs: theory and inference.
Quarterly Journal of Economics 134(4), 1949-2010.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from agglomeration.errors import InputError
from agglomeration.simulate._validate import (
    _finite,
    _finite_vector,
    _interval,
    _nonneg,
    _pos_int,
    _positive,
    _readonly,
    _readonly_int,
    _rng,
)

__all__ = ["ShiftShareTruth", "SimulatedShiftShare", "shift_share_regions"]


@dataclass(frozen=True)
class ShiftShareTruth:
    """Every true parameter of a :func:`shift_share_regions` draw.

    ``y_r = intercept + beta * x_r + u_r``, ``x_r = sum_s w_rs g_s``, ``u_r = sum_s w_rs nu_s
    + eps_r``, ``nu_s ~ N(0, sigma_nu**2)``, ``eps_r ~ N(0, sigma_eps**2)``, all independent of
    each other and of ``(w, g)``.

    Attributes
    ----------
    shares : numpy.ndarray
        ``(n_regions, n_industries)`` shares ``w_rs`` (read-only).
    shocks : numpy.ndarray
        Industry shocks ``g_s``.
    industry_errors : numpy.ndarray
        The realised ``nu_s`` of this draw.
    n_types : int
        Number of region types (0 when ``shares`` were given).
    region_type : numpy.ndarray
        Type of each region (-1 when ``shares`` were given).
    type_means : numpy.ndarray
        ``(n_types, n_industries)`` mean industry mix of each type (empty when ``shares`` were
        given).
    ols_variance : float
        Exact ``Var(beta_hat | w, g)`` of the OLS slope of ``y`` on ``(1, x)``:
        ``(sigma_nu**2 * ||w' xt||**2 + sigma_eps**2 * ||xt||**2) / (xt' xt)**2`` with ``xt =
        x - mean(x)``. Because ``beta_hat - beta = xt' u / xt' xt`` and ``Cov(u | w, g) =
        sigma_nu**2 w w' + sigma_eps**2 I``; ``beta_hat`` is exactly normal given ``(w, g)``.
    ols_variance_independent : float
        What the variance would be if the ``u_r`` were independent with the same variances
        (``sum_r xt_r**2 Var(u_r) / (xt' xt)**2``, ``Var(u_r) = sigma_nu**2 ||w_r||**2 +
        sigma_eps**2``): the target of heteroskedasticity-robust standard errors, which ignore
        the correlation across regions with similar mixes (AKM 2019).
    """

    n_regions: int
    n_industries: int
    beta: float
    intercept: float
    sigma_nu: float
    sigma_eps: float
    ols_variance: float
    ols_variance_independent: float
    n_types: int
    type_concentration: float
    type_sparsity: float
    share_sum: tuple[float, float]
    shock_mean: float
    shock_sd: float
    shares: NDArray[np.float64] = field(repr=False)
    shocks: NDArray[np.float64] = field(repr=False)
    industry_errors: NDArray[np.float64] = field(repr=False)
    region_type: NDArray[np.int64] = field(repr=False)
    type_means: NDArray[np.float64] = field(repr=False)


@dataclass(frozen=True)
class SimulatedShiftShare:
    """Output of :func:`shift_share_regions`.

    Attributes
    ----------
    regions : pandas.DataFrame
        One row per region: ``region`` (int64), ``type``, ``share_sum`` (``sum_s w_rs``),
        ``exposure`` (``x_r``), ``y``, ``error`` (``u_r``), ``idiosyncratic_error``
        (``eps_r``).
    shares : pandas.DataFrame
        Long region x industry: ``region``, ``industry``, ``share`` (every cell, zeros
        included).
    industries : pandas.DataFrame
        ``industry``, ``shock`` (``g_s``), ``industry_error`` (``nu_s``).
    truth : ShiftShareTruth
    """

    regions: pd.DataFrame
    shares: pd.DataFrame
    industries: pd.DataFrame
    truth: ShiftShareTruth


def _check_shares(shares: ArrayLike, n: int, n_s: int) -> NDArray[np.float64]:
    try:
        w = np.array(shares, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError("shares must be a numeric (n_regions, n_industries) array.") from None
    if w.shape != (n, n_s):
        raise InputError(f"shares must have shape (n_regions, n_industries) = {(n, n_s)}, got "
                         f"{w.shape}.")
    if not np.isfinite(w).all() or (w < 0).any():
        raise InputError("shares must be finite and non-negative.")
    over = np.flatnonzero(w.sum(axis=1) > 1.0 + 1e-12)
    if over.size:
        raise InputError(f"shares rows must sum to at most 1; rows {over[:10].tolist()} exceed it.")
    return w


def shift_share_regions(
    n_regions: int = 700,
    n_industries: int = 50,
    seed: int | np.random.Generator = 0,
    *,
    beta: float = 1.0,
    intercept: float = 0.0,
    n_types: int = 4,
    type_concentration: float = 50.0,
    type_sparsity: float = 0.5,
    share_sum: tuple[float, float] = (0.6, 1.0),
    shock_mean: float = 0.0,
    shock_sd: float = 1.0,
    sigma_nu: float = 1.0,
    sigma_eps: float = 0.3,
    shares: ArrayLike | None = None,
    shocks: ArrayLike | None = None,
) -> SimulatedShiftShare:
    """Simulate a shift-share regression whose errors are correlated through industry mixes.

    Shares: each region draws a type ``k`` uniformly from ``n_types``; type means are ``m_k =
    0.95 d_k + 0.05 / n_industries`` with ``d_k ~ Dirichlet(type_sparsity, ...)`` (small
    ``type_sparsity``: distinct, concentrated mixes); the region's mix is ``Dirichlet(
    type_concentration * m_k)`` scaled by ``share_sum_r ~ U(share_sum)``, so rows sum to at most
    1 (the rest is employment outside the ``n_industries``) and regions of one type have similar
    mixes. Shocks ``g_s ~ N(shock_mean, shock_sd**2)``. The outcome and its error are those of
    :class:`ShiftShareTruth`: the error has the shift-share structure of AKM (2019), ``u_r =
    sum_s w_rs nu_s + eps_r``, so ``Cov(u_r, u_q) = sigma_nu**2 sum_s w_rs w_qs`` for ``r !=
    q``. Given ``shares`` and/or ``shocks`` are used as they are (a fixed design; only the
    errors, and whatever is not given, are drawn), which is how the exact conditional variance
    ``truth.ols_variance`` can be checked by redrawing the errors.

    Parameters
    ----------
    n_regions, n_industries : int
        Positive sizes (``n_regions >= 3``).
    seed : int or numpy.random.Generator
        Seed or generator; the result is a deterministic function of it (and of the given
        ``shares``/``shocks``).
    beta, intercept : float
        Slope on exposure and level.
    n_types : int
        Number of region types (>= 1).
    type_concentration, type_sparsity : float
        Dirichlet concentration around the type mean (> 0; large = regions close to their type)
        and of the type means themselves (> 0).
    share_sum : (float, float)
        Range of ``sum_s w_rs`` within [0, 1].
    shock_mean, shock_sd : float
        Distribution of ``g_s`` (``shock_sd >= 0``).
    sigma_nu, sigma_eps : float
        Standard deviations (>= 0) of the industry and region error components.
    shares : array_like, optional
        Given ``(n_regions, n_industries)`` shares: non-negative, rows summing to at most 1.
    shocks : array_like, optional
        Given ``n_industries`` shocks.

    Returns
    -------
    SimulatedShiftShare

    Raises
    ------
    InputError
        Naming the argument, for non-positive sizes, bad given shares or shocks, share sums
        outside [0, 1], negative standard deviations; also when the exposure has no variation
        (the OLS slope is then not defined).
    """
    n = _pos_int("n_regions", n_regions)
    if n < 3:
        raise InputError(f"n_regions must be >= 3 for a regression with a constant, got {n}.")
    n_s = _pos_int("n_industries", n_industries)
    rng = _rng(seed)
    b = _finite("beta", beta)
    a0 = _finite("intercept", intercept)
    n_k = _pos_int("n_types", n_types)
    conc = _positive("type_concentration", type_concentration)
    sparse = _positive("type_sparsity", type_sparsity)
    ss_lo, ss_hi = _interval("share_sum", share_sum, lower=0.0)
    if ss_hi > 1:
        raise InputError(f"share_sum must lie within [0, 1], got {share_sum!r}.")
    g_mu = _finite("shock_mean", shock_mean)
    g_sd = _nonneg("shock_sd", shock_sd)
    s_nu = _nonneg("sigma_nu", sigma_nu)
    s_eps = _nonneg("sigma_eps", sigma_eps)

    if shares is None:
        d = rng.dirichlet(np.full(n_s, sparse), size=n_k)
        type_means = 0.95 * d + 0.05 / n_s
        region_type = rng.integers(0, n_k, n)
        w = np.empty((n, n_s))
        for k in range(n_k):  # loop over types, vectorised over regions
            members = np.flatnonzero(region_type == k)
            w[members] = rng.dirichlet(conc * type_means[k], size=members.size)
        w *= rng.uniform(ss_lo, ss_hi, n)[:, None]
    else:
        w = _check_shares(shares, n, n_s)
        type_means = np.empty((0, n_s))
        region_type = np.full(n, -1)
    g = (rng.normal(g_mu, g_sd, n_s) if shocks is None
         else _finite_vector("shocks", shocks, n_s))
    nu = s_nu * rng.standard_normal(n_s)
    eps = s_eps * rng.standard_normal(n)

    x = w @ g
    u = w @ nu + eps
    y = a0 + b * x + u
    xt = x - x.mean()
    sxx = float(xt @ xt)
    if not sxx > 0:
        raise InputError("the exposure x = shares @ shocks has no variation across regions; "
                         "pass shocks or shares that differ across industries/regions.")
    wx = w.T @ xt
    var_ols = (s_nu**2 * float(wx @ wx) + s_eps**2 * sxx) / sxx**2
    var_u = s_nu**2 * (w**2).sum(axis=1) + s_eps**2
    var_indep = float((xt**2) @ var_u) / sxx**2

    regions = pd.DataFrame(
        {
            "region": np.arange(n, dtype=np.int64),
            "type": region_type.astype(np.int64),
            "share_sum": w.sum(axis=1),
            "exposure": x,
            "y": y,
            "error": u,
            "idiosyncratic_error": eps,
        }
    )
    long = pd.DataFrame(
        {
            "region": np.repeat(np.arange(n, dtype=np.int64), n_s),
            "industry": np.tile(np.arange(n_s, dtype=np.int64), n),
            "share": w.ravel(),
        }
    )
    industries = pd.DataFrame(
        {"industry": np.arange(n_s, dtype=np.int64), "shock": g, "industry_error": nu}
    )
    truth = ShiftShareTruth(
        n_regions=n, n_industries=n_s, beta=b, intercept=a0, sigma_nu=s_nu, sigma_eps=s_eps,
        ols_variance=float(var_ols), ols_variance_independent=var_indep,
        n_types=n_k if shares is None else 0, type_concentration=conc, type_sparsity=sparse,
        share_sum=(ss_lo, ss_hi), shock_mean=g_mu, shock_sd=g_sd, shares=_readonly(w),
        shocks=_readonly(g), industry_errors=_readonly(nu),
        region_type=_readonly_int(region_type), type_means=_readonly(type_means),
    )
    return SimulatedShiftShare(regions=regions, shares=long, industries=industries, truth=truth)
