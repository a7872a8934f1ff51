"""Regions exposed to industry shocks, with errors correlated through their industry mix.

:func:`shift_share_akm_design` generates the design behind the inference problem of Adão,
Kolesár & Morales (2019, Sections II-III): a regional outcome regressed on a shift-share
variable, where unobserved industry shocks also reach the outcome through the same shares, so
that regions with similar industry mixes have correlated errors wherever they are. Standard
errors that treat regions as independent (heteroskedasticity-robust, EHW) are then too small;
the AKM standard errors of :func:`agglomeration.inference.shift_share_regression` are not.

Model, for regions ``r`` and industries ``s``::

    p ~ Dirichlet(size_concentration, ..., size_concentration)      national industry shares
    w_r = t_r * v_r,  v_r ~ Dirichlet(mix_concentration * S * p),   t_r ~ U(share_sum_range)
    g_s ~ N(0, sigma_shock**2)                                       observed shocks
    nu_s ~ N(0, sigma_industry_error**2)                             unobserved industry shocks
    x_r = sum_s w_rs g_s                                             exposure
    z_r = z_loading * x_r + N(0, 1)                                  a regional control
    e_r = sum_s w_rs nu_s + N(0, sigma_region_error**2)             error
    y_r = alpha + beta * x_r + gamma * z_r + e_r

so that ``Cov(e_r, e_q | W) = sigma_industry_error**2 * sum_s w_rs w_qs + sigma_region_error**2
* 1{r = q}``. A small ``mix_concentration`` makes regions specialised (few large industries), a
small ``size_concentration`` makes industries unequal in size; both reduce the effective number
of independent shocks and widen the gap between EHW and AKM. With ``share_sum_range`` below one
the shares are incomplete (as for manufacturing shares of total employment) and the regression
must control for the share sum (see :mod:`agglomeration.inference.shift_share`).

This is the Monte Carlo design of ``analysis/montecarlo_shift_share.py`` (incomplete share sums
and a regional control, as in the paper's state shift-share regressions). The general generator
is :func:`agglomeration.simulate.shift_share_regions` (region types, given shares or shocks);
the two draw differently and are kept apart so that the committed Monte Carlo results stay
reproducible.

References
----------
Adão, R., Kolesár, M. and Morales, E. (2019). Shift-share designs: theory and inference.
Quarterly Journal of Economics 134(4), 1949-2010.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from agglomeration.errors import InputError
from agglomeration.simulate._validate import _finite, _nonneg, _pos_int, _positive, _readonly, _rng

__all__ = ["AKMDesignTruth", "SimulatedAKMDesign", "shift_share_akm_design"]


@dataclass(frozen=True)
class AKMDesignTruth:
    """Every true parameter of a :func:`shift_share_akm_design` draw (model in the module).

    Attributes
    ----------
    industry_error : numpy.ndarray
        ``nu_s``, the unobserved industry shocks of this draw (read-only).
    national_share : numpy.ndarray
        ``p``, the centre of the industry mix (read-only).
    """

    n_regions: int
    n_industries: int
    alpha: float
    beta: float
    gamma: float
    sigma_shock: float
    sigma_industry_error: float
    sigma_region_error: float
    mix_concentration: float
    size_concentration: float
    share_sum_range: tuple[float, float]
    z_loading: float
    industry_error: NDArray[np.float64] = field(repr=False)
    national_share: NDArray[np.float64] = field(repr=False)


@dataclass(frozen=True)
class SimulatedAKMDesign:
    """Output of :func:`shift_share_akm_design`.

    Attributes
    ----------
    regions : pandas.DataFrame
        One row per region (index ``region``, 0..n-1): ``y``, ``exposure`` (``x_r``), ``z``,
        ``share_sum`` (``t_r``) and ``error`` (``e_r``).
    shares : pandas.DataFrame
        Long shares: ``region``, ``industry``, ``share`` (the pairs with a positive share).
    shocks : pandas.Series
        ``g_s`` indexed by industry (0..S-1), named ``shock``.
    share_matrix : numpy.ndarray
        The ``(n_regions, n_industries)`` share matrix (read-only).
    truth : AKMDesignTruth
    """

    regions: pd.DataFrame
    shares: pd.DataFrame
    shocks: pd.Series
    share_matrix: NDArray[np.float64] = field(repr=False)
    truth: AKMDesignTruth = field(repr=False)

    def error_covariance(self) -> NDArray[np.float64]:
        """Covariance of the errors given the shares, ``s_nu^2 W W' + s_eta^2 I`` (n x n)."""
        t = self.truth
        w = self.share_matrix
        return t.sigma_industry_error**2 * (w @ w.T) + t.sigma_region_error**2 * np.eye(w.shape[0])


def shift_share_akm_design(
    n_regions: int = 1000,
    n_industries: int = 200,
    seed: int | np.random.Generator = 0,
    *,
    alpha: float = 0.0,
    beta: float = 1.0,
    gamma: float = 0.5,
    sigma_shock: float = 1.0,
    sigma_industry_error: float = 3.0,
    sigma_region_error: float = 0.5,
    mix_concentration: float = 0.3,
    size_concentration: float = 20.0,
    share_sum_range: tuple[float, float] = (1.0, 1.0),
    z_loading: float = 0.5,
) -> SimulatedAKMDesign:
    """Simulate a shift-share design with errors correlated through industry shares.

    See the module docstring for the model (the setting of Adão, Kolesár & Morales 2019,
    Section III, with an added regional control).

    Parameters
    ----------
    n_regions, n_industries : int
        Positive sizes (``n_industries >= 2``).
    seed : int or numpy.random.Generator
        Seed or generator; the result is a deterministic function of it.
    alpha, beta, gamma : float
        Intercept, coefficient on the exposure, coefficient on the control ``z``.
    sigma_shock, sigma_industry_error, sigma_region_error : float
        Standard deviations of the observed shocks (> 0), the unobserved industry shocks and
        the idiosyncratic regional error (>= 0).
    mix_concentration : float
        Dirichlet concentration per industry of the regional mixes (> 0; small: specialised).
    size_concentration : float
        Dirichlet concentration of the national industry shares (> 0; small: unequal sizes).
    share_sum_range : tuple of float
        Range ``(lo, hi)`` of the uniform sum of shares of a region, ``0 < lo <= hi <= 1``;
        ``(1, 1)`` gives complete shares.
    z_loading : float
        Loading of the control on the exposure.

    Returns
    -------
    SimulatedAKMDesign

    Raises
    ------
    InputError
        Naming the argument: non-positive sizes or concentrations, negative standard
        deviations, a share-sum range outside (0, 1].
    """
    n = _pos_int("n_regions", n_regions)
    n_s = _pos_int("n_industries", n_industries)
    if n_s < 2:
        raise InputError(f"n_industries must be >= 2, got {n_s}.")
    rng = _rng(seed)
    a, b, c = _finite("alpha", alpha), _finite("beta", beta), _finite("gamma", gamma)
    sg = _positive("sigma_shock", sigma_shock)
    snu = _nonneg("sigma_industry_error", sigma_industry_error)
    seta = _nonneg("sigma_region_error", sigma_region_error)
    mix = _positive("mix_concentration", mix_concentration)
    size = _positive("size_concentration", size_concentration)
    zl = _finite("z_loading", z_loading)
    try:
        lo, hi = (float(v) for v in share_sum_range)
    except (TypeError, ValueError):
        raise InputError(
            f"share_sum_range must be a pair (lo, hi), got {share_sum_range!r}."
        ) from None
    if not (0.0 < lo <= hi <= 1.0):
        raise InputError(
            f"share_sum_range must satisfy 0 < lo <= hi <= 1, got {share_sum_range!r}."
        )

    p = rng.dirichlet(np.full(n_s, size))
    # Dirichlet rows through normalised gammas (vectorised); tiny shapes may give exact zeros
    v = rng.gamma(np.maximum(mix * n_s * p, 1e-3)[None, :], size=(n, n_s))
    tot = v.sum(axis=1, keepdims=True)
    v = np.where(tot > 0, v / np.where(tot > 0, tot, 1.0), p[None, :])
    t = rng.uniform(lo, hi, size=n) if hi > lo else np.full(n, lo)
    w = v * t[:, None]
    g = rng.normal(0.0, sg, n_s)
    nu = rng.normal(0.0, snu, n_s) if snu > 0 else np.zeros(n_s)
    x = w @ g
    z = zl * x + rng.standard_normal(n)
    err = w @ nu + (rng.normal(0.0, seta, n) if seta > 0 else 0.0)
    y = a + b * x + c * z + err

    regions = pd.DataFrame(
        {"y": y, "exposure": x, "z": z, "share_sum": t, "error": err},
        index=pd.RangeIndex(n, name="region"),
    )
    rr, ss = np.nonzero(w)
    shares = pd.DataFrame(
        {"region": rr.astype(np.int64), "industry": ss.astype(np.int64), "share": w[rr, ss]}
    )
    truth = AKMDesignTruth(
        n_regions=n,
        n_industries=n_s,
        alpha=a,
        beta=b,
        gamma=c,
        sigma_shock=sg,
        sigma_industry_error=snu,
        sigma_region_error=seta,
        mix_concentration=mix,
        size_concentration=size,
        share_sum_range=(lo, hi),
        z_loading=zl,
        industry_error=_readonly(nu),
        national_share=_readonly(p),
    )
    return SimulatedAKMDesign(
        regions=regions,
        shares=shares,
        shocks=pd.Series(g, index=pd.RangeIndex(n_s, name="industry"), name="shock"),
        share_matrix=_readonly(w),
        truth=truth,
    )
