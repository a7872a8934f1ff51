import numpy as np
import pytest

from agglomeration.geo import EARTH_RADIUS_KM, haversine_km, neighbor_pairs


def test_haversine_known_distances():
    # a quarter of a great circle along the equator: pi/2 * R
    assert haversine_km(0, 0, 0, 90) == pytest.approx(np.pi / 2 * EARTH_RADIUS_KM, rel=1e-12)
    # pole to pole: pi * R
    assert haversine_km(90, 0, -90, 0) == pytest.approx(np.pi * EARTH_RADIUS_KM, rel=1e-12)
    # one degree of latitude: 2 pi R / 360 = 111.195 km
    assert haversine_km(40, -100, 41, -100) == pytest.approx(
        2 * np.pi * EARTH_RADIUS_KM / 360, rel=1e-12
    )


@pytest.mark.parametrize("cutoff", [25.0, 150.0, 800.0])
def test_neighbor_pairs_equal_dense_brute_force(cutoff):
    rng = np.random.default_rng(7)
    n = 600
    lat = rng.uniform(25, 49, n)
    lon = rng.uniform(-124, -67, n)
    lat[:5] = lat[5:10]  # duplicated locations are pairs at distance 0
    lon[:5] = lon[5:10]
    d = haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    iu, ju = np.triu_indices(n, 1)
    keep = d[iu, ju] <= cutoff
    expected = set(zip(iu[keep].tolist(), ju[keep].tolist(), strict=True))
    pairs = neighbor_pairs(lat, lon, cutoff)
    got = set(zip(pairs.i.tolist(), pairs.j.tolist(), strict=True))
    assert got == expected
    np.testing.assert_allclose(pairs.distance_km, d[pairs.i, pairs.j], rtol=0, atol=1e-8)
    assert (pairs.i < pairs.j).all()


def test_neighbor_pairs_across_dateline():
    # 179.9 E and 179.9 W are 0.2 degrees of longitude apart at the equator (about 22 km)
    p = neighbor_pairs([0.0, 0.0], [179.9, -179.9], 30)
    assert p.n_pairs == 1
    assert p.distance_km[0] == pytest.approx(0.2 * 2 * np.pi * EARTH_RADIUS_KM / 360, rel=1e-9)


@pytest.mark.parametrize(
    ("lat", "lon", "cutoff", "match"),
    [
        ([0.0, np.nan], [0.0, 1.0], 10, "1 rows have missing"),
        ([0.0, 95.0], [0.0, 1.0], 10, "1 latitudes lie outside"),
        ([0.0, 1.0], [0.0, 1.0], 0, "cutoff_km must be a positive"),
        ([0.0, 1.0], [0.0], 10, "lat has 2 values but lon has 1"),
    ],
)
def test_neighbor_pairs_bad_input(lat, lon, cutoff, match):
    with pytest.raises(ValueError, match=match):
        neighbor_pairs(lat, lon, cutoff)


def test_neighbor_pairs_without_distances_same_pairs():
    rng = np.random.default_rng(3)
    lat, lon = rng.uniform(30, 45, 800), rng.uniform(-110, -80, 800)
    full = neighbor_pairs(lat, lon, 120.0)
    bare = neighbor_pairs(lat, lon, 120.0, with_distances=False)
    assert bare.distance_km.size == 0
    assert set(zip(bare.i.tolist(), bare.j.tolist(), strict=True)) == set(
        zip(full.i.tolist(), full.j.tolist(), strict=True)
    )
    none = neighbor_pairs(lat[:2], lon[:2], 1e-6, with_distances=False)
    assert none.n_pairs == 0
