"""The error process of regional_panel (agglomeration.simulate.random_fields): its moments against
the documented spatial x serial covariance."""

from __future__ import annotations

import numpy as np
import pytest

from agglomeration import simulate
from agglomeration.geo import haversine_km, neighbor_pairs


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
