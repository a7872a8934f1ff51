"""regional_panel: the region x year panel (agglomeration.simulate.regions) against its truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from agglomeration import simulate
from agglomeration.errors import InputError
from agglomeration.geo import haversine_km


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
    with pytest.raises(InputError, match=name):
        simulate.regional_panel(**kwargs)
