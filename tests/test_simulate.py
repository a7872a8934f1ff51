"""Tests for agglomeration.simulate: moments of the generated data against the true parameters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from agglomeration import simulate
from agglomeration.geo import haversine_km, neighbor_pairs

# ----------------------------------------------------------------------------------------------
# regional_panel
# ----------------------------------------------------------------------------------------------


def test_regional_panel_schema_and_truth_shapes() -> None:
    sim = simulate.regional_panel(50, 4, 6, 0, beta_spillover=0.02)
    p = sim.panel
    assert len(p) == 50 * 6
    for col in [
        "region", "year", "lat", "lon", "land_area_km2", "employment", "log_density",
        "spatial_lag_log_density", "cluster_employment", "log_cluster_employment",
        "log_wage", "error", "patents",
    ]:
        assert col in p.columns, col
    assert p["region"].dtype == np.int64 and p["patents"].dtype == np.int64
    assert p["employment"].dtype == np.int64
    assert (p["employment"] >= 1).all() and (p["patents"] >= 0).all()
    # sorted region-major, codes 0..n-1, years first_year..
    assert np.array_equal(p["region"].to_numpy(), np.repeat(np.arange(50), 6))
    assert np.array_equal(p["year"].to_numpy(), np.tile(np.arange(2001, 2007), 50))
    # log density is exactly log(employment / area)
    np.testing.assert_allclose(
        p["log_density"], np.log(p["employment"] / p["land_area_km2"]), rtol=0, atol=1e-12
    )
    t = sim.truth
    assert t.region_fe.shape == (50,) and t.year_fe.shape == (6,)
    with pytest.raises(ValueError):
        t.region_fe[0] = 1.0  # read-only
    with pytest.raises(AttributeError):
        t.beta_density = 1.0  # type: ignore[misc]
    assert sim.industries is None


def test_regional_panel_points_inside_continental_us_and_clustered() -> None:
    sim = simulate.regional_panel(3000, 2, 1, 3)
    lat = sim.panel["lat"].to_numpy()
    lon = sim.panel["lon"].to_numpy()
    assert lat.min() > 24.0 and lat.max() < 49.5
    assert lon.min() > -125.0 and lon.max() < -66.5
    # clustered, not uniform: the nearest-neighbour distance is much shorter than under
    # complete spatial randomness on ~8.1 million km2, where the NN distance has CDF
    # 1 - exp(-lambda pi d^2), median sqrt(ln 2 / (pi lambda)) (~24 km here).
    pairs = neighbor_pairs(lat, lon, 200.0)
    nn = np.full(lat.size, np.inf)
    np.minimum.at(nn, pairs.i, pairs.distance_km)
    np.minimum.at(nn, pairs.j, pairs.distance_km)
    csr_median = np.sqrt(np.log(2) / (np.pi * lat.size / 8.1e6))
    assert np.median(nn) < 0.8 * csr_median
    # and the uniform-only variant is close to complete spatial randomness
    uni = simulate.regional_panel(3000, 2, 1, 3, metro_share=0.0).panel
    pu = neighbor_pairs(uni["lat"], uni["lon"], 200.0)
    nnu = np.full(lat.size, np.inf)
    np.minimum.at(nnu, pu.i, pu.distance_km)
    np.minimum.at(nnu, pu.j, pu.distance_km)
    assert 0.85 * csr_median < np.median(nnu) < 1.15 * csr_median
    # some regions are dense: log density spreads over several orders of magnitude
    ld = sim.panel["log_density"].to_numpy()
    assert np.quantile(ld, 0.99) - np.quantile(ld, 0.01) > 4.0


def test_regional_panel_deterministic_and_seed_sensitive() -> None:
    a = simulate.regional_panel(80, 3, 5, 11, with_industries=True)
    b = simulate.regional_panel(80, 3, 5, 11, with_industries=True)
    c = simulate.regional_panel(80, 3, 5, 12, with_industries=True)
    pd.testing.assert_frame_equal(a.panel, b.panel)
    assert a.industries is not None and b.industries is not None and c.industries is not None
    pd.testing.assert_frame_equal(a.industries, b.industries)
    np.testing.assert_array_equal(a.truth.region_fe, b.truth.region_fe)
    assert not np.allclose(a.panel["log_wage"], c.panel["log_wage"])
    assert not np.allclose(a.panel["lat"], c.panel["lat"])
    # a Generator is accepted and gives the same draw as the int that seeded it
    d = simulate.regional_panel(80, 3, 5, np.random.default_rng(11), with_industries=True)
    pd.testing.assert_frame_equal(a.panel, d.panel)


def _exact_error_cov(sim: simulate.SimulatedRegions) -> np.ndarray:
    """Dense covariance of the error (region-major), from the truth: sigma^2 rho^|t-s| C_ij."""
    t = sim.truth
    n, n_t = t.n_regions, t.n_years
    idx = np.arange(n)
    c = t.exact_error_correlation(idx[:, None], idx[None, :])
    lags = np.abs(np.arange(n_t)[:, None] - np.arange(n_t)[None, :])
    ar = t.rho_serial**lags
    return t.sigma_eps**2 * np.kron(c, ar)


def test_beta_density_recovered_with_true_fixed_effects() -> None:
    # log_wage - a - mu_i - lambda_t - b_s * lag = beta * log_density + e. OLS through the origin:
    # beta_hat - beta = x'e / x'x with Var = x' Sigma x / (x'x)^2, Sigma the exact error
    # covariance (spatial x serial), computed densely here (n*T = 2400).
    sim = simulate.regional_panel(
        300, 3, 8, 5, beta_density=0.05, beta_spillover=0.03, spatial_range_km=150.0,
        rho_serial=0.6, sigma_eps=0.2,
    )
    p, t = sim.panel, sim.truth
    reg = p["region"].to_numpy()
    yr = p["year"].to_numpy() - t.first_year
    ystar = (
        p["log_wage"].to_numpy() - t.wage_intercept - t.region_fe[reg] - t.year_fe[yr]
        - t.beta_spillover * p["spatial_lag_log_density"].to_numpy()
    )
    x = p["log_density"].to_numpy()
    beta_hat = x @ ystar / (x @ x)
    sigma = _exact_error_cov(sim)
    se = np.sqrt(x @ sigma @ x) / (x @ x)
    assert abs(beta_hat - t.beta_density) < 4 * se, (beta_hat, se)
    # the error column is exactly the residual
    np.testing.assert_allclose(ystar - t.beta_density * x, p["error"], atol=1e-10)


@pytest.mark.slow
def test_beta_density_sampling_variance_matches_exact_covariance() -> None:
    # Monte Carlo over 40 seeds: z = (beta_hat - beta) / sqrt(x' Sigma x) * x'x must be ~N(0, 1)
    # if the error has the documented spatial x serial covariance (a wrong range or rho would
    # scale the sd of z away from 1).
    zs = []
    for seed in range(40):
        sim = simulate.regional_panel(150, 2, 6, 500 + seed, spatial_range_km=250.0,
                                      rho_serial=0.7, sigma_eps=0.3, n_centres=5)
        p = sim.panel
        x = p["log_density"].to_numpy() - p["log_density"].mean()
        e = p["error"].to_numpy()
        zs.append((x @ e) / np.sqrt(x @ _exact_error_cov(sim) @ x))
    z = np.asarray(zs)
    assert abs(z.mean()) < 4 / np.sqrt(z.size), z
    assert 0.65 < z.std(ddof=1) < 1.4, z


def test_beta_density_and_spillover_recovered_with_dummies() -> None:
    # Region and year dummies (within transformation) instead of the true effects; identification
    # comes from within-region changes in density. SE from the exact error covariance.
    sim = simulate.regional_panel(
        400, 2, 12, 8, beta_density=0.05, beta_spillover=0.04, spatial_range_km=0.0,
        rho_serial=0.0, sigma_eps=0.02, employment_growth_sd=0.15,
    )
    p = sim.panel.copy()
    cols = ["log_wage", "log_density", "spatial_lag_log_density"]
    for c in cols:
        p[c] = (
            p[c] - p.groupby("region")[c].transform("mean")
            - p.groupby("year")[c].transform("mean") + p[c].mean()
        )
    x = p[["log_density", "spatial_lag_log_density"]].to_numpy()
    y = p["log_wage"].to_numpy()
    b = np.linalg.solve(x.T @ x, x.T @ y)
    # iid errors with variance sigma^2; dof-corrected classical SE is exact in expectation
    n_obs, k = len(p), 2 + 400 + 12 - 1
    s2 = np.sum((y - x @ b) ** 2) / (n_obs - k)
    se = np.sqrt(np.diag(s2 * np.linalg.inv(x.T @ x)))
    truth = np.array([sim.truth.beta_density, sim.truth.beta_spillover])
    assert np.all(np.abs(b - truth) < 4 * se), (b, se)
    # and the estimated error variance matches sigma_eps^2 (chi-square, 4 sd band)
    assert abs(s2 / 0.02**2 - 1) < 4 * np.sqrt(2 / (n_obs - k))


def test_serial_correlation_of_error() -> None:
    # No spatial correlation: pooled AR(1) estimate has SE sqrt((1 - rho^2) / (n (T-1))).
    n, n_t, rho = 2000, 20, 0.5
    sim = simulate.regional_panel(n, 2, n_t, 4, spatial_range_km=0.0, rho_serial=rho,
                                  sigma_eps=0.3)
    e = sim.panel["error"].to_numpy().reshape(n, n_t)
    rho_hat = np.sum(e[:, 1:] * e[:, :-1]) / np.sum(e[:, :-1] ** 2)
    se = np.sqrt((1 - rho**2) / (n * (n_t - 1)))
    assert abs(rho_hat - rho) < 4 * se, (rho_hat, se)
    # stationary variance sigma_eps^2 in every year (first year included)
    v0 = e[:, 0].var()
    assert abs(v0 / 0.09 - 1) < 4 * np.sqrt(2 / n)


@pytest.mark.parametrize("kernel", ["circular", "exponential"])
def test_spatial_correlation_decays_as_documented(kernel: str) -> None:
    # rho_serial = 0 so years are independent replications. For each distance bin the mean over
    # pairs and years of e_i e_j / sigma^2 is compared with (a) the exact realised correlation
    # (C at the snapped grid distance) with an SE derived from Gaussian fourth moments,
    # Var(mean_p e_ip e_jp) = (1/P^2) sum_pq (C_{ip iq} C_{jp jq} + C_{ip jq} C_{jp iq}) / T,
    # and (b) the nominal C(great-circle d) within the discretisation error of the grid.
    n, n_t, r = 400, 300, 300.0
    sim = simulate.regional_panel(n, 2, n_t, 22, spatial_range_km=r, spatial_kernel=kernel,
                                  rho_serial=0.0, sigma_eps=1.0, n_centres=15)
    t = sim.truth
    e = sim.panel["error"].to_numpy().reshape(n, n_t)
    lat = sim.panel["lat"].to_numpy()[::n_t]
    lon = sim.panel["lon"].to_numpy()[::n_t]
    pairs = neighbor_pairs(lat, lon, 2.0 * r)
    idx = np.arange(n)
    cmat = t.exact_error_correlation(idx[:, None], idx[None, :])
    prod = (e[pairs.i] * e[pairs.j]).mean(axis=1)
    edges = np.array([0, 50, 100, 150, 200, 250, 300, 400, 600.0])
    which = np.digitize(pairs.distance_km, edges) - 1
    for b in range(edges.size - 1):
        sel = np.flatnonzero(which == b)
        if sel.size < 30:
            continue
        sel = sel[:: max(1, sel.size // 1500)]  # keep the P^2 moment sum small
        ii, jj = pairs.i[sel], pairs.j[sel]
        emp = prod[sel].mean()
        exact = cmat[ii, jj].mean()
        var = (cmat[np.ix_(ii, ii)] * cmat[np.ix_(jj, jj)]
               + cmat[np.ix_(ii, jj)] * cmat[np.ix_(jj, ii)]).sum() / sel.size**2 / n_t
        se = np.sqrt(var)
        assert abs(emp - exact) < 4 * se + 2e-3, (kernel, edges[b], emp, exact, se)
        nominal = t.error_correlation(pairs.distance_km[sel]).mean()
        assert abs(exact - nominal) < 0.03, (kernel, edges[b], exact, nominal)
    # years are independent fields (two per complex FFT): the pooled lag-1 product is 0 up to
    # its SE sqrt(sum_ij C_ij^2 / (n^2 (T - 1)))
    lag1 = (e[:, 1:] * e[:, :-1]).mean()
    assert abs(lag1) < 4 * np.sqrt((cmat**2).sum() / n**2 / (n_t - 1))
    if kernel == "circular":
        # compact support: exactly independent beyond the stated distance
        far = haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
        mask = far > t.independence_distance_km
        assert np.all(cmat[mask] == 0.0)
        assert t.independence_distance_km <= (r + np.sqrt(2) * t.grid_km) / 0.985 + 1e-9


@pytest.mark.slow
@pytest.mark.parametrize("kernel", ["circular", "exponential"])
def test_error_variance_zscores_calibrated_across_seeds(kernel: str) -> None:
    # Monte Carlo over 30 seeds: z = (mean e^2 - 1) / SE with SE^2 = 2 sum_ij C_ij^2 / (n^2 T)
    # (Gaussian fourth moments, independent years). If the field had the documented covariance
    # the z's are ~N(0, 1): mean within 4/sqrt(30) of 0 and sd within [0.6, 1.5].
    zs = []
    n, n_t = 300, 60
    for seed in range(30):
        sim = simulate.regional_panel(n, 2, n_t, 1000 + seed, spatial_range_km=300.0,
                                      spatial_kernel=kernel, rho_serial=0.0, sigma_eps=1.0,
                                      n_centres=10)
        e = sim.panel["error"].to_numpy().reshape(n, n_t)
        idx = np.arange(n)
        c = sim.truth.exact_error_correlation(idx[:, None], idx[None, :])
        zs.append(((e**2).mean() - 1) / np.sqrt(2 * (c**2).sum() / n**2 / n_t))
    z = np.asarray(zs)
    assert abs(z.mean()) < 4 / np.sqrt(z.size), z
    assert 0.6 < z.std(ddof=1) < 1.5, z


def test_error_correlation_function_values() -> None:
    # circular model by hand: C(R/2) = (2/pi)(acos(0.5) - 0.5*sqrt(0.75))
    #                              = (2/pi)(1.047198 - 0.433013) = 0.391002
    c = simulate.error_correlation([0.0, 50.0, 100.0, 150.0], 100.0, "circular")
    np.testing.assert_allclose(c, [1.0, 0.3910022189, 0.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(
        simulate.error_correlation([0.0, 100.0], 100.0, "exponential"), [1.0, np.exp(-1)]
    )
    np.testing.assert_array_equal(simulate.error_correlation([0.0, 5.0], 0.0), [1.0, 0.0])


def test_albers_distances_close_to_great_circle() -> None:
    sim = simulate.regional_panel(600, 2, 1, 9)
    lat, lon = sim.panel["lat"].to_numpy(), sim.panel["lon"].to_numpy()
    pairs = neighbor_pairs(lat, lon, 800.0)
    x, y = simulate.albers_us_km(lat, lon)
    ratio = np.hypot(x[pairs.i] - x[pairs.j], y[pairs.i] - y[pairs.j]) / pairs.distance_km
    assert ratio.min() > 0.985 and ratio.max() < 1.015


def test_patents_poisson_coefficients_recovered() -> None:
    sim = simulate.regional_panel(3000, 10, 5, 13, patent_intercept=-5.0,
                                  patent_beta_density=0.3, patent_beta_cluster=0.45)
    p = sim.panel
    x = sm.add_constant(p[["log_density", "log_cluster_employment"]].to_numpy())
    fit = sm.GLM(p["patents"].to_numpy(), x, family=sm.families.Poisson()).fit()
    truth = np.array([-5.0, 0.3, 0.45])
    z = (fit.params - truth) / fit.bse
    assert np.all(np.abs(z) < 4), (fit.params, fit.bse)


def test_industries_sum_to_region_employment_and_some_concentrate() -> None:
    sim = simulate.regional_panel(500, 12, 3, 17, with_industries=True)
    ind = sim.industries
    assert ind is not None and len(ind) == 500 * 12 * 3
    tot = ind.groupby(["region", "year"])["employment"].sum().to_numpy()
    np.testing.assert_allclose(tot, sim.panel["employment"].to_numpy(), rtol=1e-10)
    # concentration relative to size: EG raw concentration G_k = sum_r (s_kr - x_r)^2, with
    # s_kr the region's share of industry k and x_r its share of all employment (base year)
    base = ind[ind["year"] == 2001]
    e = base.pivot(index="industry", columns="region", values="employment").to_numpy()
    s = e / e.sum(1, keepdims=True)
    x = e.sum(0) / e.sum()
    g = ((s - x) ** 2).sum(1)
    kappa = sim.truth.industry_localisation
    assert g.max() > 5 * g.min()
    # more localised industries are more concentrated (rank correlation)
    assert stats.spearmanr(kappa, g).statistic > 0.6
    # cluster employment: employment in industries with LQ >= threshold (base year), by hand
    emp_rk = base.pivot(index="region", columns="industry", values="employment").to_numpy()
    lq = (emp_rk / emp_rk.sum(1, keepdims=True)) / (emp_rk.sum(0) / emp_rk.sum())
    ce = (emp_rk * (lq >= sim.truth.cluster_lq_threshold)).sum(1)
    np.testing.assert_allclose(
        ce, sim.panel.loc[sim.panel["year"] == 2001, "cluster_employment"], rtol=1e-9
    )


def test_spatial_lag_is_band_mean_of_neighbours() -> None:
    sim = simulate.regional_panel(120, 2, 3, 23, with_spatial_lag=True, spillover_band_km=150.0)
    p = sim.panel
    lat, lon = p["lat"].to_numpy()[::3], p["lon"].to_numpy()[::3]
    ld = p["log_density"].to_numpy().reshape(120, 3)
    d = haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    w = ((d <= 150.0) & ~np.eye(120, dtype=bool)).astype(float)
    deg = w.sum(1, keepdims=True)
    lag = np.divide(w @ ld, deg, out=np.zeros_like(ld), where=deg > 0)
    np.testing.assert_allclose(p["spatial_lag_log_density"].to_numpy().reshape(120, 3), lag,
                               atol=1e-10)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"n_regions": 0}, "n_regions"),
        ({"n_regions": 10, "n_years": -1}, "n_years"),
        ({"n_regions": 10, "n_industries": 0}, "n_industries"),
        ({"n_regions": 10, "spatial_range_km": -5.0}, "spatial_range_km"),
        ({"n_regions": 10, "rho_serial": 1.0}, "rho_serial"),
        ({"n_regions": 10, "sigma_eps": -0.1}, "sigma_eps"),
        ({"n_regions": 10, "spillover_band_km": 0.0}, "spillover_band_km"),
        ({"n_regions": 10, "spatial_kernel": "gaussian"}, "spatial_kernel"),
        ({"n_regions": 10, "seed": 1.5}, "seed"),
        ({"n_regions": 10, "spatial_range_km": 0.5}, "spatial_range_km"),
    ],
)
def test_regional_panel_bad_input(kwargs: dict, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        simulate.regional_panel(**kwargs)


# ----------------------------------------------------------------------------------------------
# plant_panel
# ----------------------------------------------------------------------------------------------


def test_plant_panel_schema_determinism_and_identities() -> None:
    a = simulate.plant_panel(300, 6, 3)
    b = simulate.plant_panel(300, 6, 3)
    c = simulate.plant_panel(300, 6, 4)
    pd.testing.assert_frame_equal(a.panel, b.panel)
    assert not np.allclose(a.panel["omega"], c.panel["omega"])
    p, t = a.panel, a.truth
    assert list(p.columns) == ["plant", "year", "y", "l", "k", "m", "i", "omega", "exit"]
    assert len(p) == 300 * 6 and not p["exit"].any()
    # capital accumulation identity k_{t+1} = log((1 - delta) K_t + I_t)
    k = p["k"].to_numpy().reshape(300, 6)
    i = p["i"].to_numpy().reshape(300, 6)
    np.testing.assert_allclose(
        k[:, 1:], np.log((1 - t.delta) * np.exp(k[:, :-1]) + np.exp(i[:, :-1])), atol=1e-12
    )
    # measurement error in y: mean 0, sd sigma_eps, uncorrelated with inputs
    eps = p["y"] - t.beta_0 - t.beta_l * p["l"] - t.beta_k * p["k"] - p["omega"]
    assert abs(eps.mean()) < 4 * t.sigma_eps / np.sqrt(len(p))
    assert abs(eps.std() / t.sigma_eps - 1) < 4 * np.sqrt(0.5 / len(p))
    assert abs(np.corrcoef(eps, p["l"])[0, 1]) < 4 / np.sqrt(len(p))


def test_plant_productivity_ar1_recovered() -> None:
    n, n_t, rho, s = 5000, 8, 0.7, 0.2
    sim = simulate.plant_panel(n, n_t, 7, rho=rho, sigma_xi=s)
    om = sim.panel["omega"].to_numpy().reshape(n, n_t)
    x, y = om[:, :-1].ravel(), om[:, 1:].ravel()
    rho_hat = (x @ y) / (x @ x)
    se = np.sqrt((1 - rho**2) / x.size)
    assert abs(rho_hat - rho) < 4 * se
    xi = y - rho * x
    assert abs(xi.std() / s - 1) < 4 * np.sqrt(0.5 / xi.size)
    # stationary variance from the burn-in
    assert abs(om[:, 0].var() / (s**2 / (1 - rho**2)) - 1) < 4 * np.sqrt(2 / n)


def test_plant_inputs_monotone_in_productivity() -> None:
    sim = simulate.plant_panel(2000, 5, 8, m_omega=1.0, m_omega_sq=0.3)
    p, t = sim.panel, sim.truth
    # i is a deterministic, strictly increasing function of omega given k: a linear fit of
    # i on (1, k, omega) is exact with positive slope on omega
    x = np.column_stack([np.ones(len(p)), p["k"], p["omega"]])
    coef, res, *_ = np.linalg.lstsq(x, p["i"].to_numpy(), rcond=None)
    assert res[0] < 1e-18 * len(p) and coef[2] > 0
    np.testing.assert_allclose(coef[2], t.investment_omega, atol=1e-10)
    # m given (k, l) is strictly increasing in omega: fit of m - b_l l - b_k k on omega, omega^2
    # is exact and the derivative is positive at every observed omega
    mm = p["m"] - t.beta_l * p["l"] - t.beta_k * p["k"]
    x2 = np.column_stack([np.ones(len(p)), p["omega"], p["omega"] ** 2])
    c2, res2, *_ = np.linalg.lstsq(x2, mm.to_numpy(), rcond=None)
    assert res2[0] < 1e-18 * len(p)
    assert np.all(c2[1] + 2 * c2[2] * p["omega"] > 0)
    # numerically: perturbing omega upward at fixed (k, l) raises m
    om = p["omega"].to_numpy()
    m_fn = t.m_intercept + c2[1] * om + c2[2] * om**2
    m_up = t.m_intercept + c2[1] * (om + 1e-6) + c2[2] * (om + 1e-6) ** 2
    assert np.all(m_up > m_fn)


def test_plant_acf_timing_moments() -> None:
    # With labour chosen at t - b (b = 0.5), l_t is correlated with the innovation xi_t but
    # l_{t-1} and k_t are not (ACF 2015 moment conditions E[xi_t (k_t, l_{t-1})] = 0).
    n, n_t = 5000, 6
    sim = simulate.plant_panel(n, n_t, 10, labour_timing=0.5)
    p, t = sim.panel, sim.truth
    om = p["omega"].to_numpy().reshape(n, n_t)
    l_ = p["l"].to_numpy().reshape(n, n_t)
    k = p["k"].to_numpy().reshape(n, n_t)
    xi = (om[:, 1:] - t.rho * om[:, :-1]).ravel()
    bound = 4 / np.sqrt(xi.size)
    assert abs(np.corrcoef(xi, l_[:, :-1].ravel())[0, 1]) < bound
    assert abs(np.corrcoef(xi, k[:, 1:].ravel())[0, 1]) < bound
    assert np.corrcoef(xi, l_[:, 1:].ravel())[0, 1] > 10 * bound


def test_plant_acf_second_stage_identifies_elasticities() -> None:
    # ACF (2015) second stage with the first-stage object Phi = y - eps taken from the truth:
    # omega(b) = Phi - b0 - b_l l - b_k k, xi(b) = residual of omega_t(b) on (1, omega_{t-1}(b)),
    # moments E[xi(b) k_t] = E[xi(b) l_{t-1}] = 0. In this DGP they identify (b_l, b_k): solving
    # them from a poor start returns the truth up to sampling error, and OLS of y on (l, k) is
    # biased upward for b_l (transmission bias), so the design is informative.
    from scipy.optimize import least_squares

    n, n_t = 4000, 6
    sim = simulate.plant_panel(n, n_t, 31)
    p, t = sim.panel, sim.truth
    l_ = p["l"].to_numpy().reshape(n, n_t)
    k = p["k"].to_numpy().reshape(n, n_t)
    phi = t.beta_0 + t.beta_l * l_ + t.beta_k * k + p["omega"].to_numpy().reshape(n, n_t)

    def moments(b: np.ndarray) -> np.ndarray:
        om = phi - b[0] * l_ - b[1] * k
        x = np.column_stack([np.ones(n * (n_t - 1)), om[:, :-1].ravel()])
        yv = om[:, 1:].ravel()
        xi = yv - x @ np.linalg.lstsq(x, yv, rcond=None)[0]
        return np.array([xi @ k[:, 1:].ravel(), xi @ l_[:, :-1].ravel()]) / xi.size

    sol = least_squares(moments, x0=np.array([0.3, 0.6]))
    assert np.allclose(sol.x, [t.beta_l, t.beta_k], atol=0.03), sol.x
    ols = np.linalg.lstsq(
        np.column_stack([np.ones(len(p)), p["l"], p["k"]]), p["y"].to_numpy(), rcond=None
    )[0]
    print(f"ACF second stage {sol.x}, OLS (l, k) {ols[1:]}")
    assert ols[1] > t.beta_l + 0.05


def test_plant_exit_unbalanced_and_selected_on_low_productivity() -> None:
    n, n_t = 4000, 10
    sim = simulate.plant_panel(n, n_t, 12, exit=True)
    p, t = sim.panel, sim.truth
    counts = p.groupby("plant").size()
    assert counts.min() < n_t and counts.max() == n_t  # unbalanced
    assert len(p) < n * n_t
    exits = p[p["exit"]]
    # every exit is below its threshold and is the plant's last observed year
    assert np.all(exits["omega"] < t.exit_omega - t.exit_k * (exits["k"] - t.k_target))
    last = p.groupby("plant")["year"].transform("max")
    assert np.all(exits["year"] == last[exits.index])
    # survivors above the threshold in every observed year
    stay = p[~p["exit"]]
    assert np.all(stay["omega"] >= t.exit_omega - t.exit_k * (stay["k"] - t.k_target))
    assert exits["omega"].mean() < stay["omega"].mean() - 1.0 * np.sqrt(
        t.sigma_xi**2 / (1 - t.rho**2)
    )
    # each plant observed in consecutive years from the first
    first = p.groupby("plant")["year"].min()
    assert (first == 1).all()
    assert (p.groupby("plant")["year"].max() - first + 1 == counts).all()


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"n_plants": 0}, "n_plants"),
        ({"n_plants": 10, "n_years": 0}, "n_years"),
        ({"n_plants": 10, "beta_l": 1.2}, "beta_l"),
        ({"n_plants": 10, "rho": 1.0}, "rho"),
        ({"n_plants": 10, "investment_omega": 0.0}, "investment_omega"),
        ({"n_plants": 10, "m_omega": -0.5}, "m_omega"),
        ({"n_plants": 2000, "m_omega": 1.0, "m_omega_sq": 2.0}, "m_omega_sq"),
        ({"n_plants": 10, "delta": 0.0}, "delta"),
        ({"n_plants": 10, "sigma_xi": -1.0}, "sigma_xi"),
    ],
)
def test_plant_panel_bad_input(kwargs: dict, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        simulate.plant_panel(**kwargs)


# ----------------------------------------------------------------------------------------------
# dartboard
# ----------------------------------------------------------------------------------------------


def test_dartboard_region_shares_match_sizes() -> None:
    rng = np.random.default_rng(0)
    sizes = rng.lognormal(8, 1.2, 60)
    plants = simulate.dartboard(sizes, 2000, 5, n_industries=20)
    assert len(plants) == 40_000
    assert list(plants.columns) == ["plant", "industry", "region", "employment"]
    counts = np.bincount(plants["region"], minlength=60)
    expected = 40_000 * sizes / sizes.sum()
    chi2 = ((counts - expected) ** 2 / expected).sum()
    assert stats.chi2.sf(chi2, 59) > 1e-4
    # per-industry counts are exactly as requested
    assert (plants.groupby("industry").size() == 2000).all()


def test_dartboard_plant_size_distributions() -> None:
    pl = simulate.dartboard([1.0, 2.0], 20_000, 1, plant_size="lognormal", size_mean_log=2.5,
                            size_sigma_log=0.8, integer_sizes=False)
    assert stats.kstest(np.log(pl["employment"]), "norm", args=(2.5, 0.8)).pvalue > 1e-4
    pa = simulate.dartboard([1.0, 2.0], 20_000, 2, plant_size="pareto", pareto_shape=1.7,
                            size_min=5.0, integer_sizes=False)
    assert stats.kstest(pa["employment"], "pareto", args=(1.7, 0, 5.0)).pvalue > 1e-4
    # integer sizes: P(size = k) = F(k + 1/2) - F(k - 1/2), floored at 1; chi-square over k
    pi_ = simulate.dartboard([1.0], 50_000, 3, size_mean_log=1.5, size_sigma_log=0.6)
    assert pi_["employment"].dtype == np.int64 and pi_["employment"].min() >= 1
    ks = np.arange(1, 16)
    cdf = stats.lognorm(s=0.6, scale=np.exp(1.5)).cdf
    prob = cdf(ks + 0.5) - cdf(ks - 0.5)
    prob[0] = cdf(1.5)
    prob = np.append(prob, 1 - cdf(15.5))
    obs = np.bincount(np.minimum(pi_["employment"], 16), minlength=17)[1:]
    chi2 = ((obs - 50_000 * prob) ** 2 / (50_000 * prob)).sum()
    assert stats.chi2.sf(chi2, prob.size - 1) > 1e-4


def test_dartboard_ellison_glaeser_gamma_mean_zero() -> None:
    # EG (1997) gamma = (G - (1 - sum x^2) H) / ((1 - sum x^2)(1 - H)); E[gamma] = 0 under the
    # dartboard when x are the region probabilities. 400 industries of 50 plants each.
    rng = np.random.default_rng(1)
    sizes = rng.lognormal(0, 1, 30)
    x = sizes / sizes.sum()
    plants = simulate.dartboard(sizes, 50, 9, n_industries=400, size_sigma_log=1.2)
    cells = simulate.dartboard_region_industry(plants, 30)
    assert len(cells) == 400 * 30
    e = cells["employment"].to_numpy().reshape(400, 30)
    s = e / e.sum(1, keepdims=True)
    g = ((s - x) ** 2).sum(1)
    emp = plants["employment"].to_numpy().reshape(400, 50)
    h = ((emp / emp.sum(1, keepdims=True)) ** 2).sum(1)
    sx = 1 - (x**2).sum()
    gamma = (g - sx * h) / (sx * (1 - h))
    assert abs(gamma.mean()) < 4 * gamma.std(ddof=1) / np.sqrt(400)
    # aggregation preserves totals and plant counts
    assert cells["employment"].sum() == plants["employment"].sum()
    assert cells["n_plants"].sum() == len(plants)


def test_dartboard_deterministic_and_bad_input() -> None:
    a = simulate.dartboard([3, 1, 0], [5, 7], 4)
    b = simulate.dartboard([3, 1, 0], [5, 7], 4)
    pd.testing.assert_frame_equal(a, b)
    assert (a["region"] != 2).all()  # zero-size region never receives a plant
    assert list(a.groupby("industry").size()) == [5, 7]
    with pytest.raises(ValueError, match="region_sizes"):
        simulate.dartboard([-1.0, 2.0], 5, 0)
    with pytest.raises(ValueError, match="region_sizes"):
        simulate.dartboard([0.0, 0.0], 5, 0)
    with pytest.raises(ValueError, match="n_plants"):
        simulate.dartboard([1.0], 0, 0)
    with pytest.raises(ValueError, match="n_plants"):
        simulate.dartboard([1.0], [3, 0], 0)
    with pytest.raises(ValueError, match="plant_size"):
        simulate.dartboard([1.0], 3, 0, plant_size="weibull")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="pareto_shape"):
        simulate.dartboard([1.0], 3, 0, plant_size="pareto", pareto_shape=0.0)


def test_plant_panel_delta_spread_gives_fixed_plant_specific_depreciation() -> None:
    # Back out delta from k_{t+1} = log((1 - delta) e^k_t + e^i_t):
    # delta = (e^k_t + e^i_t - e^k_{t+1}) / e^k_t, per plant-year.
    def implied(panel: pd.DataFrame) -> pd.DataFrame:
        p = panel.sort_values(["plant", "year"])
        nxt = p.groupby("plant")["k"].shift(-1)
        dl = (np.exp(p["k"]) + np.exp(p["i"]) - np.exp(nxt)) / np.exp(p["k"])
        return pd.DataFrame({"plant": p["plant"], "d": dl}).dropna()

    base = implied(simulate.plant_panel(200, 6, 5).panel)
    np.testing.assert_allclose(base["d"], 0.1, rtol=1e-9)
    sim = simulate.plant_panel(2000, 6, 5, delta_spread=0.05)
    assert sim.truth.delta_spread == 0.05
    d = implied(sim.panel)
    per = d.groupby("plant")["d"].agg(["min", "max"])
    np.testing.assert_allclose(per["min"], per["max"], rtol=1e-8)  # constant within plant
    assert per["min"].min() >= 0.05 - 1e-9 and per["max"].max() <= 0.15 + 1e-9
    # U(0.05, 0.15): mean 0.1, sd 0.1/sqrt(12) = 0.0289; 2000 plants -> se of mean 0.00065
    assert abs(per["min"].mean() - 0.1) < 0.003
    assert abs(per["min"].std() - 0.1 / np.sqrt(12)) < 0.003


def test_plant_panel_delta_spread_default_draws_nothing() -> None:
    a = simulate.plant_panel(100, 5, 9).panel
    b = simulate.plant_panel(100, 5, 9, delta_spread=0.0).panel
    pd.testing.assert_frame_equal(a, b)
    with pytest.raises(ValueError, match="delta_spread"):
        simulate.plant_panel(10, 3, 0, delta=0.1, delta_spread=0.1)
