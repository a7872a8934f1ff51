"""Points on the US map and the Albers projection (agglomeration.simulate.geography)."""

from __future__ import annotations

import numpy as np

from agglomeration import simulate
from agglomeration.geo import neighbor_pairs


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


def test_albers_distances_close_to_great_circle() -> None:
    sim = simulate.regional_panel(600, 2, 1, 9)
    lat, lon = sim.panel["lat"].to_numpy(), sim.panel["lon"].to_numpy()
    pairs = neighbor_pairs(lat, lon, 800.0)
    x, y = simulate.albers_us_km(lat, lon)
    ratio = np.hypot(x[pairs.i] - x[pairs.j], y[pairs.i] - y[pairs.j]) / pairs.distance_km
    assert ratio.min() > 0.985 and ratio.max() < 1.015
