"""Conley spatial HAC: sparse implementation against dense brute force and known special cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest
import statsmodels.api as sm

from agglomeration.estimation.engine import wrap
from agglomeration.geo import haversine_km
from agglomeration.inference import (
    conley_meat,
    conley_vcov,
    conley_vcov_from_fit,
    spatial_neighbors,
)

# --------------------------------------------------------------------------------------------
# Independent dense reference: the n x n kernel matrix, written out from the formula
#   M = sum_{i,j} 1{t_i = t_j} K(d_ij) s_i s_j'
#     + sum_{i,j} 1{u_i = u_j} 1{0 < |t_i - t_j| <= L} (1 - |t_i - t_j| / (L + 1)) s_i s_j'
# --------------------------------------------------------------------------------------------


def dense_meat(s, lat, lon, cutoff, *, time=None, unit=None, kernel="uniform", lags=0, d=None):
    if d is None:
        d = haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    k = (d <= cutoff).astype(float)
    if kernel == "bartlett":
        k = np.where(d <= cutoff, 1.0 - d / cutoff, 0.0)
    t = np.zeros(len(lat)) if time is None else np.asarray(time, dtype=float)
    same_t = t[:, None] == t[None, :]
    w = k * same_t
    if lags:
        lag = np.abs(t[:, None] - t[None, :])
        same_u = unit[:, None] == unit[None, :]
        w = w + same_u * (lag > 0) * (lag <= lags) * (1.0 - lag / (lags + 1.0))
    return s.T @ w @ s


def panel(n_loc=600, n_t=5, seed=0, shared=50):
    """Locations on the US map, ``shared`` of them duplicated (two units at one point)."""
    rng = np.random.default_rng(seed)
    lat = rng.uniform(30, 45, n_loc)
    lon = rng.uniform(-110, -80, n_loc)
    lat[-shared:], lon[-shared:] = lat[:shared], lon[:shared]
    df = pd.DataFrame(
        {"unit": np.repeat(np.arange(n_loc), n_t), "year": np.tile(2000 + np.arange(n_t), n_loc)}
    )
    df["lat"], df["lon"] = lat[df.unit], lon[df.unit]
    n = len(df)
    common = rng.normal(size=(n_t, 1))
    df["x1"] = rng.normal(size=n) + 0.3 * np.sin(df.lat) + common[df.year - 2000, 0]
    df["x2"] = rng.normal(size=n) + 0.01 * df.lon
    df["y"] = 0.5 * df.x1 - 0.2 * df.x2 + rng.normal(size=n) + np.cos(df.lon / 3.0)
    df["c"] = rng.poisson(np.exp(0.2 + 0.3 * df.x1 - 0.1 * df.x2))
    return df


def dummies_ols(df, xcols, fes):
    """OLS with dummy variables: return partialled-out regressors x~, residuals, full design."""
    dummies = [
        pd.get_dummies(df[f], prefix=f, drop_first=i > 0, dtype=float) for i, f in enumerate(fes)
    ]
    dmat = np.column_stack([np.asarray(d) for d in dummies])
    x = df[list(xcols)].to_numpy(float)
    y = df["y"].to_numpy(float)
    full = np.column_stack([x, dmat])
    beta, *_ = np.linalg.lstsq(full, y, rcond=None)
    e = y - full @ beta
    proj, *_ = np.linalg.lstsq(dmat, x, rcond=None)
    xt = x - dmat @ proj
    return xt, e, beta[: x.shape[1]]


@pytest.fixture(scope="module")
def df():
    return panel()


@pytest.fixture(scope="module")
def twoway(df):
    """Dummy-variable FWL pieces and the dense distance matrix of the panel, computed once."""
    xt, e, beta = dummies_ols(df, ["x1", "x2"], ["unit", "year"])
    lat, lon = df.lat.to_numpy(), df.lon.to_numpy()
    d = haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    return xt, e, beta, d


@pytest.mark.parametrize("kernel", ["uniform", "bartlett"])
@pytest.mark.parametrize("lags", [0, 2])
def test_sparse_equals_dense_two_way_fe(df, twoway, kernel, lags):
    # 3,000 observations (600 locations, 50 of them shared by two units, x 5 years), unit and
    # year fixed effects partialled out by dummies (FWL), cutoff 150 km.
    xt, e, _, d = twoway
    s = xt * e[:, None]
    bread = np.linalg.inv(xt.T @ xt)
    lat, lon = df.lat.to_numpy(), df.lon.to_numpy()
    ref = (
        bread
        @ dense_meat(
            s,
            lat,
            lon,
            150.0,
            time=df.year.to_numpy(),
            unit=df.unit.to_numpy(),
            kernel=kernel,
            lags=lags,
            d=d,
        )
        @ bread
    )
    got = conley_vcov(
        s,
        bread,
        lat,
        lon,
        150.0,
        time=df.year.to_numpy(),
        unit=df.unit.to_numpy(),
        kernel=kernel,
        serial_lags=lags,
    )
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-10 * np.abs(ref).max())


def test_sparse_equals_dense_cross_section_with_fixed_effect():
    # 3,000 points in one cross-section, 30 region fixed effects, Bartlett kernel at 200 km.
    rng = np.random.default_rng(7)
    n = 3000
    lat, lon = rng.uniform(25, 48, n), rng.uniform(-120, -70, n)
    region = (lon // 5).astype(int)
    df = pd.DataFrame({"lat": lat, "lon": lon, "region": region, "x1": rng.normal(size=n)})
    df["y"] = df.x1 + rng.normal(size=n)
    xt, e, _ = dummies_ols(df, ["x1"], ["region"])
    s = xt * e[:, None]
    bread = np.linalg.inv(xt.T @ xt)
    ref = bread @ dense_meat(s, lat, lon, 200.0, kernel="bartlett") @ bread
    got = conley_vcov(s, bread, lat, lon, 200.0, kernel="bartlett")
    np.testing.assert_allclose(got, ref, rtol=1e-10)


def test_from_pyfixest_ols_fit_equals_dense_dummies(df, twoway):
    # pyfixest's demeaned scores (tight fixef_tol) against the dummy-variable scores.
    fit = pf.feols("y ~ x1 + x2 | unit + year", df, vcov="hetero", fixef_tol=1e-13)
    xt, e, beta, d = twoway
    np.testing.assert_allclose(fit.coef().to_numpy(), beta, rtol=1e-9)
    s = xt * e[:, None]
    bread = np.linalg.inv(xt.T @ xt)
    lat, lon, t = df.lat.to_numpy(), df.lon.to_numpy(), df.year.to_numpy()
    ref = bread @ dense_meat(s, lat, lon, 300.0, time=t, d=d) @ bread
    got = conley_vcov_from_fit(wrap(fit), lat, lon, 300.0, time=t, ssc=1.0)
    np.testing.assert_allclose(got, ref, rtol=1e-8)


def test_from_pyfixest_poisson_fit_equals_dense_glm_dummies(df):
    # Poisson with unit fixed effects: the x-block of the full sandwich of a statsmodels GLM with
    # dummies equals the sandwich on the weighted-demeaned scores (partitioned inverse), for any
    # kernel weights. Tolerance 1e-6: both fits stop on IRLS criteria of about 1e-8/1e-10.
    sub = df[df.unit < 150].copy()
    zero = sub.groupby("unit").c.transform("sum") == 0
    sub = sub.loc[~zero]
    fit = pf.fepois("c ~ x1 + x2 | unit", sub, vcov="hetero", iwls_tol=1e-12, fixef_tol=1e-13)
    d = pd.get_dummies(sub.unit, prefix="u", dtype=float)
    x_full = np.column_stack([sub[["x1", "x2"]].to_numpy(float), d.to_numpy()])
    glm = sm.GLM(sub.c.to_numpy(float), x_full, family=sm.families.Poisson()).fit(tol=1e-13)
    mu = glm.fittedvalues
    s_full = x_full * (sub.c.to_numpy(float) - mu)[:, None]
    bread_full = np.linalg.inv(x_full.T @ (x_full * mu[:, None]))
    lat, lon, t = sub.lat.to_numpy(), sub.lon.to_numpy(), sub.year.to_numpy()
    ref = (bread_full @ dense_meat(s_full, lat, lon, 400.0, time=t) @ bread_full)[:2, :2]
    np.testing.assert_allclose(fit.coef().to_numpy(), glm.params[:2], rtol=1e-6)
    got = conley_vcov_from_fit(wrap(fit), lat, lon, 400.0, time=t, ssc=1.0)
    np.testing.assert_allclose(got, ref, rtol=1e-6)


def test_cutoff_below_min_distance_equals_hetero(df):
    # With a cutoff below the smallest distance between two distinct locations, only i = j and
    # observations sharing a point (same period) remain; with one observation per point and
    # period that is HC0. Same small-sample factor N / (N - k) as pyfixest's "hetero".
    one = df[df.unit < 550]  # drop the units that share a point with another unit
    fit = pf.feols("y ~ x1 + x2 | unit + year", one, vcov="hetero")
    lat, lon = one.lat.to_numpy(), one.lon.to_numpy()
    nb = spatial_neighbors(lat, lon, 1e-3)
    assert nb.n_pairs == 0 and nb.n_locations == 550
    got = conley_vcov_from_fit(wrap(fit), lat, lon, 1e-3, time=one.year.to_numpy())
    np.testing.assert_allclose(got, fit._vcov, rtol=1e-12)
    # and without any correction, HC0 against pyfixest with k_adj = False
    fit0 = pf.feols("y ~ x1 + x2 | unit + year", one, vcov="hetero", ssc=pf.ssc(k_adj=False))
    got0 = conley_vcov_from_fit(wrap(fit0), lat, lon, 1e-3, time=one.year.to_numpy(), ssc=1.0)
    np.testing.assert_allclose(got0, fit0._vcov, rtol=1e-12)


def test_cutoff_covering_all_pairs_equals_cluster_by_period(df):
    # Correlation only within a period and a cutoff longer than half the Earth's circumference:
    # every pair in a period has K = 1, so the meat is sum_t (sum_i s_it)(sum_i s_it)' = CRV0
    # by period. Compared without small-sample factors (pyfixest ssc k_adj = G_adj = False).
    fit = pf.feols(
        "y ~ x1 + x2 | unit", df, vcov={"CRV1": "year"}, ssc=pf.ssc(k_adj=False, G_adj=False)
    )
    got = conley_vcov_from_fit(wrap(fit), df.lat.to_numpy(), df.lon.to_numpy(), 25_000.0, time=df.year.to_numpy(), ssc=1.0
    )
    np.testing.assert_allclose(got, fit._vcov, rtol=1e-10)


def test_serial_part_hand_computed():
    # Two locations 1,000 km apart (no spatial pairs at 100 km), one unit each, periods 1..3,
    # scalar scores s(a) = (1, 2, 3), s(b) = (1, -1, 2); L = 2 lags, weights 1 - l/3:
    # own terms: 1+4+9 + 1+1+4 = 20
    # lag 1 (w = 2/3): a: 1*2 + 2*3 = 8;  b: 1*-1 + -1*2 = -3  -> 2 * 2/3 * 5  = 20/3
    # lag 2 (w = 1/3): a: 1*3 = 3;        b: 1*2 = 2           -> 2 * 1/3 * 5  = 10/3
    # total 20 + 10 = 30
    s = np.array([1, 2, 3, 1, -1, 2], dtype=float)
    lat = np.array([40.0] * 3 + [49.0] * 3)
    lon = np.zeros(6)
    t = np.array([1, 2, 3, 1, 2, 3])
    nb = spatial_neighbors(lat, lon, 100.0)
    m = conley_meat(s, nb, time=t, serial_lags=2)
    assert m.shape == (1, 1)
    assert m[0, 0] == pytest.approx(30.0, rel=1e-14)
    # uniform spatial kernel at 2,000 km adds 2 * sum_t s_a,t s_b,t = 2 * (1 - 2 + 6) = 10
    nb2 = spatial_neighbors(lat, lon, 2000.0)
    assert conley_meat(s, nb2, time=t, serial_lags=2)[0, 0] == pytest.approx(40.0, rel=1e-14)


def test_neighbors_reused_at_smaller_cutoff_equal_fresh_search(df):
    s = df[["x1", "x2"]].to_numpy() * df.y.to_numpy()[:, None]
    lat, lon, t = df.lat.to_numpy(), df.lon.to_numpy(), df.year.to_numpy()
    big = spatial_neighbors(lat, lon, 500.0)
    for kernel in ("uniform", "bartlett"):
        a = conley_meat(s, big, time=t, kernel=kernel, cutoff_km=120.0)
        b = conley_meat(s, spatial_neighbors(lat, lon, 120.0), time=t, kernel=kernel)
        np.testing.assert_allclose(a, b, rtol=1e-12)
    with pytest.raises(ValueError, match="exceeds"):
        conley_meat(s, spatial_neighbors(lat, lon, 50.0), time=t, cutoff_km=120.0)


def test_period_blocks_do_not_change_result(df, monkeypatch):
    # Force one period per block: same meat as the single-block computation.
    import agglomeration.inference.conley as inf

    s = df[["x1"]].to_numpy() * df.y.to_numpy()[:, None]
    nb = spatial_neighbors(df.lat.to_numpy(), df.lon.to_numpy(), 200.0)
    a = conley_meat(s, nb, time=df.year.to_numpy())
    monkeypatch.setattr(inf, "_BLOCK_ELEMENTS", 1)
    b = conley_meat(s, nb, time=df.year.to_numpy())
    np.testing.assert_allclose(a, b, rtol=1e-12)


@pytest.mark.parametrize("cutoff", [0.0, -5.0, float("nan")])
def test_cutoff_not_positive_is_an_error(cutoff):
    with pytest.raises(ValueError, match="cutoff_km must be a positive"):
        conley_vcov(np.ones((3, 1)), np.eye(1), [40, 41, 42], [0, 0, 0], cutoff)


def test_missing_coordinates_error_gives_count():
    lat = np.array([40.0, np.nan, 41.0, np.nan])
    with pytest.raises(ValueError, match="2 rows have missing"):
        conley_vcov(np.ones((4, 1)), np.eye(1), lat, np.zeros(4), 100.0)


def test_bad_kernel_and_shapes():
    nb = spatial_neighbors([40.0, 41.0], [0.0, 0.0], 100.0)
    with pytest.raises(ValueError, match="kernel"):
        conley_meat(np.ones((2, 1)), nb, kernel="gaussian")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="neighbors were computed for 2 rows"):
        conley_meat(np.ones((3, 1)), nb)
    with pytest.raises(ValueError, match="serial_lags > 0 needs the time"):
        conley_meat(np.ones((2, 1)), nb, serial_lags=1)


@pytest.mark.parametrize("workers", [2, 3])
def test_banded_parallel_search_finds_the_same_pairs(workers):
    # 30,000 points (above the 20,000 threshold for banding), clustered so that many pairs
    # straddle band boundaries; pairs compared as sets of (min, max) location ids.
    rng = np.random.default_rng(3)
    n = 30_000
    lat = np.r_[rng.uniform(25, 49, n // 2), 37 + rng.normal(0, 1.0, n // 2)]
    lon = np.r_[rng.uniform(-124, -67, n // 2), -95 + rng.normal(0, 1.0, n // 2)]
    one = spatial_neighbors(lat, lon, 40.0)
    many = spatial_neighbors(lat, lon, 40.0, workers=workers)
    np.testing.assert_array_equal(one.location, many.location)

    def key(nb):
        a, b = np.minimum(nb.i, nb.j), np.maximum(nb.i, nb.j)
        o = np.lexsort((b, a))
        return a[o], b[o], nb.distance_km[o]

    a1, b1, d1 = key(one)
    a2, b2, d2 = key(many)
    assert one.n_pairs > 100_000
    np.testing.assert_array_equal(a1, a2)
    np.testing.assert_array_equal(b1, b2)
    np.testing.assert_allclose(d1, d2, rtol=1e-12)
    s = rng.normal(size=(n, 2))
    np.testing.assert_allclose(conley_meat(s, one), conley_meat(s, many), rtol=1e-12)


def test_search_without_distances_serves_the_uniform_kernel(df):
    # Same pairs (as sets) and the same uniform-kernel meat without the distance step; the
    # Bartlett kernel or a smaller cutoff need distances and are refused.
    lat, lon, t = df.lat.to_numpy(), df.lon.to_numpy(), df.year.to_numpy()
    s = df[["x1", "x2"]].to_numpy() * df.y.to_numpy()[:, None]
    full = spatial_neighbors(lat, lon, 150.0)
    fast = spatial_neighbors(lat, lon, 150.0, with_distances=False)
    assert fast.distance_km.size == 0 and fast.n_pairs == full.n_pairs
    pairs = {tuple(sorted(p)) for p in zip(full.i.tolist(), full.j.tolist(), strict=True)}
    assert pairs == {tuple(sorted(p)) for p in zip(fast.i.tolist(), fast.j.tolist(), strict=True)}
    np.testing.assert_allclose(
        conley_meat(s, fast, time=t), conley_meat(s, full, time=t), rtol=1e-12
    )
    with pytest.raises(ValueError, match="with_distances=False"):
        conley_meat(s, fast, time=t, kernel="bartlett")
    with pytest.raises(ValueError, match="with_distances=False"):
        conley_meat(s, fast, time=t, cutoff_km=100.0)
