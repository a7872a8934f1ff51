"""A region x year panel with agglomeration, spillover and innovation effects of known size.

The wage equation is the log-linear density model of Ciccone & Hall (1996, eq. 8) with region and
year fixed effects, an optional SLX spillover and the spatially and serially correlated error of
:mod:`agglomeration.simulate.random_fields`; patents are Poisson with a log link.

References
----------
Ciccone, A. and Hall, R. (1996). Productivity and the density of economic activity. AER 86(1).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import sparse

from agglomeration.errors import InputError
from agglomeration.geo import EARTH_RADIUS_KM, neighbor_pairs, to_unit_sphere
from agglomeration.simulate._validate import (
    _finite,
    _nonneg,
    _pos_int,
    _positive,
    _readonly,
    _readonly_int,
    _rng,
)
from agglomeration.simulate.geography import _region_geography
from agglomeration.simulate.random_fields import SpatialKernel, _panel_error, error_correlation


@dataclass(frozen=True)
class RegionTruth:
    """Every true parameter of a :func:`regional_panel` draw.

    The outcome equation is, for region ``i`` and year ``t`` (year index ``t = 0..T-1``),

    ``log_wage_it = wage_intercept + beta_density * log_density_it
    + beta_spillover * spatial_lag_log_density_it + region_fe[i] + year_fe[t] + error_it``

    and patents are ``Poisson(exp(patent_intercept + patent_beta_density * log_density_it
    + patent_beta_cluster * log_cluster_employment_it))`` independently given the covariates.
    ``error`` has the covariance stated in :mod:`agglomeration.simulate.random_fields`.

    Attributes
    ----------
    region_fe, year_fe : numpy.ndarray
        True fixed effects (read-only), indexed by region code and by ``year - first_year``.
    sigma_eps, rho_serial, spatial_range_km, spatial_kernel : float, float, float, str
        ``Cov(e_it, e_js) = sigma_eps**2 rho_serial**|t-s| C(d_ij)``, ``C`` from
        :func:`error_correlation`.
    grid_km : float
        Step of the grid the field was drawn on (0 when ``spatial_range_km = 0``).
    independence_distance_km : float
        Great-circle distance beyond which errors of two regions are exactly independent
        (circular kernel: ``(R + sqrt(2) grid_km) / 0.985``; exponential: ``inf``; no spatial
        correlation: 0).
    embedding_clipped_share : float
        Share of the absolute eigenvalue mass of the circulant embedding that was negative and
        set to 0 (0 for the circular kernel, whose embedding is exact; 0 or negligible for the
        exponential with the default padding of 6 ranges).
    industry_localisation, industry_national_share, industry_hub : numpy.ndarray
        ``kappa_k``, ``nat_k`` and the hub region of each industry.
    industry_shares : numpy.ndarray
        ``(n_regions, n_industries)`` fixed industry composition of each region.
    grid_node_xy_km : numpy.ndarray
        ``(n_regions, 2)`` planar position of the grid node each region was snapped to.
    """

    n_regions: int
    n_industries: int
    n_years: int
    first_year: int
    beta_density: float
    beta_spillover: float
    spillover_band_km: float
    wage_intercept: float
    region_fe: NDArray[np.float64]
    year_fe: NDArray[np.float64]
    sigma_eps: float
    rho_serial: float
    spatial_range_km: float
    spatial_kernel: SpatialKernel
    grid_km: float
    independence_distance_km: float
    embedding_clipped_share: float
    patent_intercept: float
    patent_beta_density: float
    patent_beta_cluster: float
    cluster_lq_threshold: float
    sigma_region_fe: float
    region_fe_density_loading: float
    sigma_year_fe: float
    year_trend: float
    employment_growth_sd: float
    industry_localisation: NDArray[np.float64]
    industry_national_share: NDArray[np.float64]
    industry_hub: NDArray[np.int64]
    industry_shares: NDArray[np.float64] = field(repr=False)
    grid_node_xy_km: NDArray[np.float64] = field(repr=False)

    def error_correlation(self, d_km: ArrayLike) -> NDArray[np.float64]:
        """Nominal spatial correlation ``C(d)`` of ``error`` within a year (:func:`error_correlation`)."""
        return error_correlation(d_km, self.spatial_range_km, self.spatial_kernel)

    def exact_error_correlation(self, i: ArrayLike, j: ArrayLike) -> NDArray[np.float64]:
        """Exact within-year correlation of ``error`` between regions ``i`` and ``j``.

        ``C`` evaluated at the planar distance between the grid nodes the two regions were
        snapped to (``grid_node_xy_km``), which is what the simulation realises up to the tiny
        embedding clip of the exponential kernel (``embedding_clipped_share``). With
        ``spatial_range_km=0`` it is ``1[i == j]``.
        """
        a = self.grid_node_xy_km[np.asarray(i, dtype=np.int64)]
        b = self.grid_node_xy_km[np.asarray(j, dtype=np.int64)]
        if self.spatial_range_km == 0 or self.sigma_eps == 0:
            return (np.asarray(i) == np.asarray(j)).astype(np.float64)
        d = np.hypot(a[..., 0] - b[..., 0], a[..., 1] - b[..., 1])
        return self.error_correlation(d)

    def error_covariance(self, d_km: ArrayLike, lag: ArrayLike = 0) -> NDArray[np.float64]:
        """``Cov(e_it, e_j,t+lag) = sigma_eps**2 * rho_serial**|lag| * C(d_ij)``."""
        lag_a = np.abs(np.asarray(lag))
        return np.asarray(
            self.sigma_eps**2 * self.rho_serial**lag_a * self.error_correlation(d_km)
        )


@dataclass(frozen=True)
class SimulatedRegions:
    """Output of :func:`regional_panel`: the panel, the industry detail and the truth.

    Attributes
    ----------
    panel : pandas.DataFrame
        Region x year, sorted by region then year. Columns: ``region`` (int64 code 0..n-1),
        ``year`` (int64), ``lat``, ``lon``, ``land_area_km2``, ``employment`` (int64),
        ``log_density`` (log employment per km²), ``spatial_lag_log_density`` (mean of
        ``log_density`` over the other regions within ``spillover_band_km``; 0 for regions with
        none; only when computed), ``cluster_employment`` (employment in the region's industries
        with location quotient >= ``cluster_lq_threshold``), ``log_cluster_employment``
        (``log(1 + cluster_employment)``, the patent covariate), ``log_wage``, ``error`` (the true
        composite error), ``patents`` (int64).
    industries : pandas.DataFrame or None
        Long region x industry x year frame (``region``, ``industry``, ``year``,
        ``employment`` as float64 = region employment times the region's industry share) when
        ``with_industries=True``; ``None`` otherwise.
    truth : RegionTruth
        Every true parameter.
    """

    panel: pd.DataFrame
    industries: pd.DataFrame | None
    truth: RegionTruth


def regional_panel(
    n_regions: int,
    n_industries: int = 20,
    n_years: int = 10,
    seed: int | np.random.Generator = 0,
    *,
    first_year: int = 2001,
    beta_density: float = 0.04,
    spatial_range_km: float = 100.0,
    spatial_kernel: SpatialKernel = "exponential",
    spatial_grid_km: float | None = None,
    rho_serial: float = 0.5,
    sigma_eps: float = 0.1,
    beta_spillover: float = 0.0,
    spillover_band_km: float = 100.0,
    with_spatial_lag: bool | None = None,
    wage_intercept: float = 10.8,
    sigma_region_fe: float = 0.1,
    region_fe_density_loading: float = 0.05,
    sigma_year_fe: float = 0.02,
    year_trend: float = 0.01,
    employment_growth_sd: float = 0.03,
    patent_intercept: float = -6.0,
    patent_beta_density: float = 0.3,
    patent_beta_cluster: float = 0.5,
    cluster_lq_threshold: float = 1.25,
    n_centres: int | None = None,
    metro_share: float = 0.6,
    metro_spread_km: float = 60.0,
    with_industries: bool = False,
) -> SimulatedRegions:
    """Simulate a region x year panel with agglomeration, spillover and innovation effects.

    The productivity equation is the log-linear density model of Ciccone & Hall (1996, eq. 8):
    ``log_wage_it = a + beta_density * log_density_it + beta_spillover * W log_density_it
    + mu_i + lambda_t + e_it`` (see :class:`RegionTruth`), where ``W`` is the row-standardised
    distance-band spatial weight matrix (SLX spillover) and ``e`` has the covariance stated in
    :mod:`agglomeration.simulate.random_fields`. Density is exogenous: employment does not respond to ``e``, but the
    region effects ``mu_i`` load on base-year density (``region_fe_density_loading``), so that
    omitting them biases pooled OLS, as sorting would.

    Geography: regions lie inside the continental US, a share ``metro_share`` of them scattered
    around ``n_centres`` metro centres (Gaussian spread ``metro_spread_km``), the rest uniform.
    Regions near a centre have more employment and smaller areas, hence high density.
    Industries and employment: a base size ``B_r = exp(log 5000 + 2.5 * proximity + N(0, 0.8))``;
    industry ``k`` (national share ``nat_k ~ Dirichlet(2)``) employs ``B_r * nat_k * m_rk`` in
    region ``r`` in the base year, with ``log m_rk = kappa_k * (2 exp(-d(r, hub_k) / 250 km) +
    0.5 z_rk) - c_k``, ``z ~ N(0, 1)``, the hub drawn in proportion to ``B_r`` and ``c_k`` making
    ``sum_r B_r m_rk = sum_r B_r``. Localisation ``kappa_k ~ U(0, 3)`` is returned as
    ``truth.industry_localisation``: ``kappa_k = 0`` spreads the industry in proportion to size,
    large values concentrate it in few regions. A region's employment is the sum over its
    industries; its industry composition is then fixed while the total follows a region-specific
    trend and random-walk growth shocks (sd ``employment_growth_sd``), rounded to an integer >= 1.
    Patents: Poisson with a log link in log density and ``log(1 + cluster_employment)``.

    Parameters
    ----------
    n_regions, n_industries, n_years : int
        Positive sizes; the panel has ``n_regions * n_years`` rows.
    seed : int or numpy.random.Generator
        Seed or generator; the result is a deterministic function of it.
    first_year : int
        Calendar year of ``t = 0``.
    beta_density : float
        Elasticity of the wage with respect to employment density.
    spatial_range_km : float
        Range of the spatial correlation of the error (>= 0; 0 means none); see
        :func:`error_correlation`.
    spatial_kernel : {"exponential", "circular"}
        Spatial correlation model; ``"circular"`` has compact support ``spatial_range_km``.
    spatial_grid_km : float, optional
        Grid step of the field; default ``spatial_range_km / 16``.
    rho_serial : float
        AR(1) coefficient of the error within a region, in (-1, 1).
    sigma_eps : float
        Standard deviation of the error (stationary), >= 0.
    beta_spillover : float
        Coefficient on the spatial lag of log density.
    spillover_band_km : float
        Distance band of the spatial lag (> 0).
    with_spatial_lag : bool, optional
        Compute the ``spatial_lag_log_density`` column; default: only when
        ``beta_spillover != 0`` (the neighbour search costs memory with many regions).
    wage_intercept, sigma_region_fe, region_fe_density_loading, sigma_year_fe, year_trend : float
        Level, region effects ``mu_i = sigma_region_fe * N(0, 1) + loading * z_i`` with ``z_i``
        standardised base-year log density, year effects ``lambda_t = year_trend * t +
        sigma_year_fe * N(0, 1)``.
    employment_growth_sd : float
        Standard deviation of yearly log employment growth shocks.
    patent_intercept, patent_beta_density, patent_beta_cluster : float
        Coefficients of the Poisson patent model.
    cluster_lq_threshold : float
        Location-quotient threshold that defines a region's cluster industries (> 0).
    n_centres : int, optional
        Number of metro centres; default ``max(3, n_regions // 40)``.
    metro_share : float
        Share of regions placed around centres, in [0, 1].
    metro_spread_km : float
        Spread of regions around their centre.
    with_industries : bool
        Also return the long region x industry x year frame.

    Returns
    -------
    SimulatedRegions

    Raises
    ------
    InputError
        Naming the parameter, for non-positive sizes, a negative range, ``|rho_serial| >= 1``,
        a negative ``sigma_eps`` and other out-of-domain values.

    Examples
    --------
    >>> from agglomeration.simulate import regional_panel
    >>> sim = regional_panel(n_regions=100, n_years=5, seed=0)
    >>> sim.panel.shape, sim.truth.beta_density
    ((500, 12), 0.04)
    >>> sim.panel.equals(regional_panel(n_regions=100, n_years=5, seed=0).panel)  # deterministic
    True
    """
    n = _pos_int("n_regions", n_regions)
    n_ind = _pos_int("n_industries", n_industries)
    n_t = _pos_int("n_years", n_years)
    rng = _rng(seed)
    r_km = _finite("spatial_range_km", spatial_range_km)
    if r_km < 0:
        raise InputError(
            f"spatial_range_km must be >= 0 (0 = no spatial correlation), got {spatial_range_km!r}."
        )
    if spatial_kernel not in ("exponential", "circular"):
        raise InputError(
            f"spatial_kernel must be 'exponential' or 'circular', got {spatial_kernel!r}."
        )
    rho = _finite("rho_serial", rho_serial)
    if not -1 < rho < 1:
        raise InputError(f"rho_serial must lie in (-1, 1) for a stationary AR(1), got {rho!r}.")
    sig = _nonneg("sigma_eps", sigma_eps)
    b_d = _finite("beta_density", beta_density)
    b_s = _finite("beta_spillover", beta_spillover)
    band = _positive("spillover_band_km", spillover_band_km)
    for nm, val in (
        ("sigma_region_fe", sigma_region_fe),
        ("sigma_year_fe", sigma_year_fe),
        ("employment_growth_sd", employment_growth_sd),
    ):
        _nonneg(nm, val)
    for nm, val in (
        ("wage_intercept", wage_intercept),
        ("region_fe_density_loading", region_fe_density_loading),
        ("year_trend", year_trend),
        ("patent_intercept", patent_intercept),
        ("patent_beta_density", patent_beta_density),
        ("patent_beta_cluster", patent_beta_cluster),
    ):
        _finite(nm, val)
    lq_thr = _positive("cluster_lq_threshold", cluster_lq_threshold)
    m_share = _finite("metro_share", metro_share)
    if not 0 <= m_share <= 1:
        raise InputError(f"metro_share must lie in [0, 1], got {metro_share!r}.")
    spread = _positive("metro_spread_km", metro_spread_km)
    n_c = max(3, n // 40) if n_centres is None else _pos_int("n_centres", n_centres)
    if not isinstance(first_year, int | np.integer) or isinstance(first_year, bool):
        raise InputError(f"first_year must be an int, got {first_year!r}.")

    # geography ---------------------------------------------------------------------------
    lat, lon, prox, area = _region_geography(rng, n, n_c, m_share, spread)

    # industries: region x industry multipliers, then region employment --------------------
    # Base employment B_r (metro proximity + noise); industry k's employment in r is
    # B_r * nat_k * m_rk with log m_rk = kappa_k * (2 exp(-d(r, hub_k) / 250 km) + 0.5 z_rk)
    # - c_k, c_k such that sum_r B_r m_rk = sum_r B_r (so nat_k is k's national share). An
    # industry with kappa_k = 0 is spread in proportion to B_r; a large kappa_k concentrates it
    # around its hub and in a few lucky regions. Region employment is the sum over industries.
    log_b = np.log(5000.0) + 2.5 * prox + rng.normal(0.0, 0.8, n)
    nat = rng.dirichlet(np.full(n_ind, 2.0))
    kappa = rng.uniform(0.0, 3.0, n_ind)
    bw = np.exp(log_b - log_b.max())  # base weights, scaled for numerical safety
    hub = rng.choice(n, size=n_ind, p=bw / bw.sum())
    # great-circle distance to each hub from the unit-vector dot product (one BLAS call)
    xyz = to_unit_sphere(lat, lon)
    mult = xyz @ xyz[hub].T
    del xyz
    np.clip(mult, -1.0, 1.0, out=mult)
    np.arccos(mult, out=mult)  # angle in radians
    mult *= -EARTH_RADIUS_KM / 250.0
    np.exp(mult, out=mult)
    mult *= 2.0
    mult += 0.5 * rng.standard_normal((n, n_ind))
    mult *= kappa[None, :]
    mult -= mult.max(axis=0, keepdims=True)
    np.exp(mult, out=mult)
    mult *= (bw.sum() / (bw @ mult))[None, :]  # sum_r B_r m_rk = sum_r B_r
    mult *= nat[None, :]  # nat_k * m_rk
    comp = mult.sum(axis=1)
    shares = mult
    shares /= comp[:, None]  # fixed composition s_rk of region r
    log_e0 = log_b + np.log(comp)

    # employment over time ----------------------------------------------------------------
    trend = rng.normal(0.01, 0.01, n)
    shocks = rng.normal(0.0, employment_growth_sd, (n, n_t))
    shocks[:, 0] = 0.0
    t_idx = np.arange(n_t, dtype=np.float64)
    log_e = log_e0[:, None] + trend[:, None] * t_idx[None, :] + np.cumsum(shocks, axis=1)
    del shocks
    emp = np.maximum(np.rint(np.exp(log_e)), 1.0).astype(np.int64)
    del log_e
    log_density = np.log(emp / area[:, None])

    # cluster employment: industries with base-year location quotient >= threshold ------------
    base = emp[:, 0].astype(np.float64)
    nat_share = (base @ shares) / base.sum()
    lq_cut = lq_thr * nat_share  # s_rk / S_k >= thr  <=>  s_rk >= thr * S_k
    cluster_share = np.where(shares >= lq_cut[None, :], shares, 0.0).sum(axis=1)
    cluster_emp = emp * cluster_share[:, None]
    log_cluster = np.log1p(cluster_emp)

    # fixed effects -------------------------------------------------------------------------
    z0 = log_density[:, 0] - log_density[:, 0].mean()
    sd0 = z0.std()
    z0 = z0 / sd0 if sd0 > 0 else z0
    region_fe = sigma_region_fe * rng.standard_normal(n) + region_fe_density_loading * z0
    year_fe = year_trend * t_idx + sigma_year_fe * rng.standard_normal(n_t)

    # spatially and serially correlated error -------------------------------------------------
    pe = _panel_error(rng, lat, lon, n_t, sig, rho, r_km, spatial_kernel, spatial_grid_km)
    err = pe.values

    # spillover -----------------------------------------------------------------------------
    do_lag = (b_s != 0.0) if with_spatial_lag is None else bool(with_spatial_lag)
    lag: NDArray[np.float64] | None = None
    if do_lag:
        pairs = neighbor_pairs(lat, lon, band)
        ii = np.concatenate([pairs.i, pairs.j])
        jj = np.concatenate([pairs.j, pairs.i])
        w = sparse.csr_matrix((np.ones(ii.size), (ii, jj)), shape=(n, n))
        deg = np.asarray(w.sum(axis=1)).ravel()
        inv = np.divide(1.0, deg, out=np.zeros(n), where=deg > 0)
        lag = np.asarray(sparse.diags(inv) @ (w @ log_density))
        del w, ii, jj, pairs
    elif b_s != 0.0:
        raise InputError(
            f"beta_spillover={b_s} needs the spatial lag; do not pass with_spatial_lag=False."
        )

    log_wage = wage_intercept + b_d * log_density + region_fe[:, None] + year_fe[None, :] + err
    if lag is not None:
        log_wage += b_s * lag

    # patents -------------------------------------------------------------------------------
    eta = patent_intercept + patent_beta_density * log_density + patent_beta_cluster * log_cluster
    patents = rng.poisson(np.exp(eta)).astype(np.int64)
    del eta

    cols: dict[str, NDArray[np.generic]] = {
        "region": np.repeat(np.arange(n, dtype=np.int64), n_t),
        "year": np.tile(np.arange(n_t, dtype=np.int64) + int(first_year), n),
        "lat": np.repeat(lat, n_t),
        "lon": np.repeat(lon, n_t),
        "land_area_km2": np.repeat(area, n_t),
        "employment": emp.ravel(),
        "log_density": log_density.ravel(),
    }
    if lag is not None:
        cols["spatial_lag_log_density"] = lag.ravel()
    cols.update(
        {
            "cluster_employment": cluster_emp.ravel(),
            "log_cluster_employment": log_cluster.ravel(),
            "log_wage": log_wage.ravel(),
            "error": err.ravel(),
            "patents": patents.ravel(),
        }
    )
    panel = pd.DataFrame(cols, copy=False)

    industries = None
    if with_industries:
        # (n, K, T) in region-major order
        ind_emp = shares[:, :, None] * emp[:, None, :].astype(np.float64)
        industries = pd.DataFrame(
            {
                "region": np.repeat(np.arange(n, dtype=np.int64), n_ind * n_t),
                "industry": np.tile(np.repeat(np.arange(n_ind, dtype=np.int64), n_t), n),
                "year": np.tile(np.arange(n_t, dtype=np.int64) + int(first_year), n * n_ind),
                "employment": ind_emp.ravel(),
            },
            copy=False,
        )

    truth = RegionTruth(
        n_regions=n,
        n_industries=n_ind,
        n_years=n_t,
        first_year=int(first_year),
        beta_density=b_d,
        beta_spillover=b_s,
        spillover_band_km=band,
        wage_intercept=float(wage_intercept),
        region_fe=_readonly(region_fe),
        year_fe=_readonly(year_fe),
        sigma_eps=sig,
        rho_serial=rho,
        spatial_range_km=r_km,
        spatial_kernel=spatial_kernel,
        grid_km=pe.grid_km,
        independence_distance_km=pe.independence_distance_km,
        embedding_clipped_share=pe.clipped_share,
        patent_intercept=float(patent_intercept),
        patent_beta_density=float(patent_beta_density),
        patent_beta_cluster=float(patent_beta_cluster),
        cluster_lq_threshold=lq_thr,
        sigma_region_fe=float(sigma_region_fe),
        region_fe_density_loading=float(region_fe_density_loading),
        sigma_year_fe=float(sigma_year_fe),
        year_trend=float(year_trend),
        employment_growth_sd=float(employment_growth_sd),
        industry_localisation=_readonly(kappa),
        industry_national_share=_readonly(nat),
        industry_hub=_readonly_int(hub),
        industry_shares=_readonly(shares),
        grid_node_xy_km=_readonly(pe.node_xy_km),
    )
    return SimulatedRegions(panel=panel, industries=industries, truth=truth)


