"""Sparse spatial weights against dense brute force, hand-computed lags, and bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agglomeration import spatial as sp
from agglomeration.geo import EARTH_RADIUS_KM, haversine_km

KM_PER_DEG = EARTH_RADIUS_KM * np.pi / 180.0  # 111.195 km per degree on a great circle


def dense_distances(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    d = haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    np.fill_diagonal(d, np.inf)
    return d


@pytest.fixture(scope="module")
def pts() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(20260101)
    n = 400
    return rng.uniform(25.0, 49.0, n), rng.uniform(-124.0, -67.0, n)


# ---------------------------------------------------------------------------- dense brute force
@pytest.mark.parametrize("band", [50.0, 300.0, 1000.0])
@pytest.mark.parametrize("row_standardize", [False, True])
def test_distance_band_equals_dense(pts, band: float, row_standardize: bool) -> None:  # type: ignore[no-untyped-def]
    lat, lon = pts
    w = sp.distance_band_weights(lat, lon, band, row_standardize=row_standardize)
    ref = (dense_distances(lat, lon) <= band).astype(float)
    if row_standardize:
        rs = ref.sum(axis=1, keepdims=True)
        ref = np.divide(ref, rs, out=np.zeros_like(ref), where=rs > 0)
    np.testing.assert_allclose(w.matrix.toarray(), ref, rtol=1e-14, atol=0)
    assert w.n_islands == int((ref.sum(axis=1) == 0).sum())
    assert w.matrix.has_sorted_indices


@pytest.mark.parametrize("power", [1.0, 2.0])
def test_inverse_distance_equals_dense(pts, power: float) -> None:  # type: ignore[no-untyped-def]
    lat, lon = pts
    d = dense_distances(lat, lon)
    ref = np.where(d <= 400.0, d ** (-power), 0.0)
    w = sp.inverse_distance_weights(lat, lon, 400.0, power=power)
    np.testing.assert_allclose(w.matrix.toarray(), ref, rtol=1e-9, atol=0)
    ws = sp.inverse_distance_weights(lat, lon, 400.0, power=power, row_standardize=True)
    rs = ref.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(ws.matrix.toarray(),
                               np.divide(ref, rs, out=np.zeros_like(ref), where=rs > 0),
                               rtol=1e-9, atol=1e-300)


@pytest.mark.parametrize("k", [1, 5, 12])
def test_knn_equals_dense(pts, k: int) -> None:  # type: ignore[no-untyped-def]
    lat, lon = pts
    d = dense_distances(lat, lon)
    ref = np.zeros_like(d)
    nearest = np.argsort(d, axis=1, kind="stable")[:, :k]
    np.put_along_axis(ref, nearest, 1.0, axis=1)
    w = sp.knn_weights(lat, lon, k)
    np.testing.assert_array_equal(w.matrix.toarray(), ref)
    assert (w.cardinalities == k).all()
    assert w.parameters["max_distance_km"] == pytest.approx(
        np.take_along_axis(d, nearest, axis=1).max(), rel=1e-9)
    wr = sp.knn_weights(lat, lon, k, row_standardize=True)
    np.testing.assert_allclose(wr.matrix.sum(axis=1), 1.0)


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 60), st.floats(1.0, 3000.0), st.integers(0, 2**32 - 1))
def test_band_property(n: int, band: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    lat = rng.uniform(-80, 80, n)
    lon = rng.uniform(-180, 180, n)
    w = sp.distance_band_weights(lat, lon, band)
    d = dense_distances(lat, lon)
    ref = d <= band
    got = w.matrix.toarray() > 0
    # pairs within 1e-9 km of the band may fall either side of it in floating point
    ambiguous = np.abs(d - band) < 1e-9
    assert ((got == ref) | ambiguous).all()
    assert (w.matrix != w.matrix.T).nnz == 0


# ---------------------------------------------------------------------------- hand examples
def test_hand_weights_on_the_equator() -> None:
    # points on the equator at lon 0, 1, 3 degrees: d01 = 111.195, d12 = 222.39, d02 = 333.58 km
    lat, lon = np.zeros(3), np.array([0.0, 1.0, 3.0])
    w150 = sp.distance_band_weights(lat, lon, 150.0).matrix.toarray()
    np.testing.assert_array_equal(w150, [[0, 1, 0], [1, 0, 0], [0, 0, 0]])
    w = sp.inverse_distance_weights(lat, lon, 250.0, row_standardize=True).matrix.toarray()
    # row 1: (1/111.2) / (1/111.2 + 1/222.4) = 2/3 and 1/3; rows 0 and 2 have one neighbour
    np.testing.assert_allclose(w, [[0, 1, 0], [2 / 3, 0, 1 / 3], [0, 1, 0]], rtol=1e-12)
    raw = sp.inverse_distance_weights(lat, lon, 250.0).matrix.toarray()
    assert raw[0, 1] == pytest.approx(1 / KM_PER_DEG, rel=1e-12)
    assert raw[1, 2] == pytest.approx(1 / (2 * KM_PER_DEG), rel=1e-12)
    k1 = sp.knn_weights(lat, lon, 1).matrix.toarray()
    # nearest of 0 is 1, of 1 is 0, of 2 is 1
    np.testing.assert_array_equal(k1, [[0, 1, 0], [1, 0, 0], [0, 1, 0]])


def test_spatial_lag_hand() -> None:
    # units a, b, c on the equator at lon 0, 1, 3 with a 250 km band: a-b, b-c neighbours.
    #   t=1: x = (1, 2, 4)    -> W x = (2, 1+4, 2) = (2, 5, 2)
    #   t=2: x = (10, NaN, 40) -> unit b missing
    #        renormalize: a: no observed neighbour -> NaN; b: 10 + 40 = 50; c: NaN
    #        zero:        a: 0; b: 50; c: 0
    w = sp.distance_band_weights(np.zeros(3), [0.0, 1.0, 3.0], 250.0, ids=["a", "b", "c"])
    panel = pd.DataFrame({"u": ["a", "b", "c", "a", "b", "c"], "t": [1, 1, 1, 2, 2, 2],
                          "x": [1.0, 2, 4, 10, np.nan, 40]})
    res = sp.spatial_lag(panel, w, unit="u", time="t", columns="x")
    np.testing.assert_allclose(res.table["x_lag"], [2, 5, 2, np.nan, 50, np.nan])
    assert res.n_missing == 2 and res.info["x"]["missing_cells"] == 1
    z = sp.spatial_lag(panel, w, unit="u", time="t", columns=["x"], missing="zero")
    np.testing.assert_allclose(z.table["x_lag"], [2, 5, 2, 0, 50, 0])
    with pytest.raises(ValueError, match="2 lags of 'x' involve missing"):
        sp.spatial_lag(panel, w, unit="u", time="t", columns="x", missing="raise")
    # row-standardised: b's lag at t=1 is the mean (1 + 4)/2 = 2.5
    wr = sp.distance_band_weights(np.zeros(3), [0.0, 1.0, 3.0], 250.0, ids=["a", "b", "c"],
                                  row_standardize=True)
    r = sp.spatial_lag(panel, wr, unit="u", time="t", columns="x")
    np.testing.assert_allclose(r.table["x_lag"], [2, 2.5, 2, np.nan, 25, np.nan])


def test_spatial_lag_rows_missing_and_shuffled_and_renormalised() -> None:
    # a unit absent from a period is a missing neighbour value; row order does not matter.
    # 4 units on the equator at lon 0, 1, 2, 3 with a 150 km band (a chain a-b-c-d),
    # row-standardised. t=1 complete: x = (1, 2, 3, 4) -> lag (2, 2, 3, 3)
    # t=2: c absent, x = (5, 6, -, 8) -> renormalised lag a: 6; b: 5 (c missing);
    #      c: (6 + 8)/2 = 7 (c's own row is not in the panel, so not in the output); d: NaN
    w = sp.distance_band_weights(np.zeros(4), [0.0, 1.0, 2.0, 3.0], 150.0,
                                 ids=[10, 11, 12, 13], row_standardize=True)
    panel = pd.DataFrame({"u": [13, 10, 11, 12, 10, 11, 13], "t": [1, 1, 1, 1, 2, 2, 2],
                          "x": [4.0, 1, 2, 3, 5, 6, 8]})
    res = sp.spatial_lag(panel, w, unit="u", time="t", columns="x")
    np.testing.assert_allclose(res.table["x_lag"], [3, 2, 2, 3, 6, 5, np.nan])
    assert res.table["u"].tolist() == panel["u"].tolist()


def test_spatial_lag_matches_dense_product(pts) -> None:  # type: ignore[no-untyped-def]
    lat, lon = pts
    n = lat.size
    rng = np.random.default_rng(5)
    w = sp.inverse_distance_weights(lat, lon, 500.0, ids=np.arange(n) * 7,
                                    row_standardize=True)
    x = rng.normal(size=(n, 3))
    panel = pd.DataFrame({"id": np.tile(np.arange(n) * 7, 3), "year": np.repeat([1, 2, 3], n),
                          "v": x.T.ravel()}).sample(frac=1.0, random_state=1)
    res = sp.spatial_lag(panel, w, unit="id", time="year", columns="v")
    dense = w.matrix.toarray() @ x  # (n, 3)
    ref = dense[panel["id"].to_numpy() // 7, panel["year"].to_numpy() - 1]
    np.testing.assert_allclose(res.table["v_lag"], ref, rtol=1e-12, atol=1e-14)
    assert res.n_missing == 0


def test_duplicate_points() -> None:
    # two identical points: band neighbours (distance 0), inverse distance refuses,
    # knn never lists a point as its own neighbour
    lat, lon = np.array([40.0, 40.0, 41.0]), np.array([-80.0, -80.0, -80.0])
    assert sp.distance_band_weights(lat, lon, 10.0).matrix.toarray()[0, 1] == 1
    with pytest.raises(ValueError, match="1 pairs of units are at distance 0"):
        sp.inverse_distance_weights(lat, lon, 10.0)
    k = sp.knn_weights(lat, lon, 1).matrix.toarray()
    np.testing.assert_array_equal(np.diag(k), 0)
    np.testing.assert_array_equal(k[0], [0, 1, 0])


# ---------------------------------------------------------------------------- bad input
def test_bad_coordinates_and_parameters() -> None:
    with pytest.raises(ValueError, match="1 rows have missing"):
        sp.distance_band_weights([40.0, np.nan], [-80.0, -81.0], 100.0)
    with pytest.raises(ValueError, match="2 latitudes lie outside"):
        sp.distance_band_weights([95.0, -91.0, 10.0], [0.0, 0.0, 0.0], 100.0)
    with pytest.raises(ValueError, match="cutoff_km must be a positive"):
        sp.distance_band_weights([40.0, 41.0], [-80.0, -81.0], -5.0)
    with pytest.raises(ValueError, match="k must be an integer"):
        sp.knn_weights([40.0, 41.0], [-80.0, -81.0], 2)
    with pytest.raises(ValueError, match="ids has 1 duplicated"):
        sp.distance_band_weights([40.0, 41.0], [-80.0, -81.0], 100.0, ids=["a", "a"])
    with pytest.raises(ValueError, match="power must be"):
        sp.inverse_distance_weights([40.0, 41.0], [-80.0, -81.0], 100.0, power=0.0)


def test_spatial_lag_bad_input() -> None:
    w = sp.distance_band_weights([0.0, 0.0], [0.0, 1.0], 200.0, ids=["a", "b"])
    panel = pd.DataFrame({"u": ["a", "b", "z"], "x": [1.0, 2.0, 3.0]})
    with pytest.raises(ValueError, match="1 rows of panel have a 'u' that is not a unit"):
        sp.spatial_lag(panel, w, unit="u", columns="x")
    with pytest.raises(ValueError, match=r"columns\[0\]='y'"):
        sp.spatial_lag(panel.iloc[:2], w, unit="u", columns="y")
    with pytest.raises(ValueError, match="1 rows duplicate"):
        sp.spatial_lag(pd.DataFrame({"u": ["a", "a"], "x": [1.0, 2.0]}), w, unit="u",
                       columns="x")


# ---------------------------------------------------------------------------- distance rings
@pytest.mark.parametrize(("inner", "outer"), [(0.0, 50.0), (50.0, 300.0), (300.0, 1000.0)])
@pytest.mark.parametrize("row_standardize", [False, True])
def test_distance_ring_equals_dense(pts, inner: float, outer: float,  # type: ignore[no-untyped-def]
                                    row_standardize: bool) -> None:
    lat, lon = pts
    d = dense_distances(lat, lon)  # diagonal inf: never its own neighbour
    ref = ((d > inner) & (d <= outer)).astype(float)
    w = sp.distance_ring_weights(lat, lon, inner, outer, row_standardize=row_standardize)
    if row_standardize:
        rs = ref.sum(axis=1, keepdims=True)
        ref = np.divide(ref, rs, out=np.zeros_like(ref), where=rs > 0)
    assert (np.abs(d - inner) > 1e-6).all() and (np.abs(d - outer) > 1e-6).all()  # no tie
    np.testing.assert_allclose(w.matrix.toarray(), ref, rtol=1e-14, atol=0)
    assert w.kind == "distance_ring" and w.parameters == {"inner_km": inner, "outer_km": outer}
    assert w.matrix.has_sorted_indices and ref.sum() > 0


def test_rings_partition_the_band(pts) -> None:  # type: ignore[no-untyped-def]
    # (0, 50] + (50, 100] + (100, 200] is the 200 km band, each pair exactly once; a ring
    # starting at 0 is the band itself
    lat, lon = pts
    rings = [sp.distance_ring_weights(lat, lon, a, b).matrix for a, b in
             [(0, 50), (50, 100), (100, 200)]]
    total = (rings[0] + rings[1] + rings[2]).toarray()
    np.testing.assert_array_equal(total, sp.distance_band_weights(lat, lon, 200.0).matrix.toarray())
    np.testing.assert_array_equal(
        rings[0].toarray(), sp.distance_band_weights(lat, lon, 50.0).matrix.toarray())


def test_ring_bounds_open_below_closed_above() -> None:
    # on the equator: unit 0 at lon 0; units 1-4 at 50 km -/+ 1 mm and 100 km -/+ 1 mm
    # (great-circle arc = R * dlon in radians); unit 5 on top of unit 0
    eps = 1e-6
    d_km = np.array([0.0, 50 - eps, 50 + eps, 100 - eps, 100 + eps, 0.0])
    lon = d_km / KM_PER_DEG
    lat = np.zeros(6)
    np.testing.assert_allclose(haversine_km(0.0, 0.0, lat, lon), d_km, atol=1e-9)
    w1 = sp.distance_ring_weights(lat, lon, 0.0, 50.0).matrix.toarray()
    w2 = sp.distance_ring_weights(lat, lon, 50.0, 100.0).matrix.toarray()
    assert w1[0].tolist() == [0, 1, 0, 0, 0, 1]  # [0, 50]: the co-located unit counts
    assert w2[0].tolist() == [0, 0, 1, 1, 0, 0]  # (50, 100]
    # a ring starting above 0 never holds co-located units
    assert sp.distance_ring_weights(lat, lon, 1e-9, 50.0).matrix.toarray()[0, 5] == 0


def test_ring_bad_bounds() -> None:
    from agglomeration.errors import InputError

    lat, lon = [40.0, 41.0], [-80.0, -81.0]
    for inner, outer in [(50.0, 50.0), (100.0, 50.0), (-1.0, 50.0), (0.0, np.inf),
                         (np.nan, 10.0)]:
        with pytest.raises(InputError, match="0 <= inner_km < outer_km"):
            sp.distance_ring_weights(lat, lon, inner, outer)


def test_ring_weights_on_real_counties_equal_dense_haversine(raw_dir) -> None:  # type: ignore[no-untyped-def]
    """Rings on 400 real county internal points (2019 Gazetteer, read with the csv module)."""
    import csv

    with open(raw_dir / "census_gazetteer_counties_2019.csv", newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if int(r["GEOID"][:2]) <= 56]
    # every 8th county: a few hundred spread over the country, dense in the east
    rows = rows[::8]
    lat = np.array([float(r["INTPTLAT"]) for r in rows])
    lon = np.array([float(r["INTPTLONG"]) for r in rows])
    d = dense_distances(lat, lon)
    for inner, outer in [(0.0, 50.0), (50.0, 100.0), (100.0, 200.0)]:
        ref = (d > inner) & (d <= outer)
        assert (np.abs(d - inner) > 1e-6).all() and (np.abs(d - outer) > 1e-6).all()
        w = sp.distance_ring_weights(lat, lon, inner, outer, ids=[r["GEOID"] for r in rows])
        np.testing.assert_array_equal(w.matrix.toarray() > 0, ref)
        assert ref.sum() > 100
