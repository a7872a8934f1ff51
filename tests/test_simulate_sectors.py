"""county_sector_cross_section (agglomeration.simulate.sectors): identities, rings, recovery."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest

from agglomeration import simulate
from agglomeration.errors import InputError
from agglomeration.geo import haversine_km
from agglomeration.simulate.geography import _STATE_CENTRES


def test_schema_identities_and_determinism() -> None:
    sim = simulate.county_sector_cross_section(200, 6, 3)
    d, r, t = sim.data, sim.regions, sim.truth
    assert len(d) == 200 * 6 and len(r) == 200
    assert np.array_equal(d["region"], np.repeat(np.arange(200), 6))
    assert np.array_equal(d["sector"], np.tile(np.arange(6), 200))
    assert d["employment"].dtype == np.int64 and (d["employment"] >= 1).all()
    # region totals, density and diversity recomputed from the sector employment
    e = d["employment"].to_numpy().reshape(200, 6).astype(float)
    np.testing.assert_array_equal(e.sum(1), r["region_employment"])
    np.testing.assert_allclose(r["log_density"], np.log(e.sum(1) / r["land_area_km2"]),
                               atol=1e-12)
    np.testing.assert_allclose(r["diversity"], 1 - ((e / e.sum(1, keepdims=True)) ** 2).sum(1),
                               atol=1e-12)
    # the outcome minus every true term is the error column
    st = pd.Index(t.state_codes).get_indexer(d["state"])
    fit = (t.intercept + t.beta_loc * d["log_employment"] + t.beta_urb * d["log_density"]
           + t.beta_div * d["diversity"] + t.sector_fe[d["sector"]] + t.state_fe[st])
    for k, (c, f) in enumerate(zip(t.ring_columns, t.empty_columns, strict=True)):
        fit = fit + t.gamma_rings[k] * d[c] + t.gamma_empty_rings[k] * d[f]
    np.testing.assert_allclose(d["log_productivity"] - fit, d["error"], atol=1e-12)
    # states: the nearest state centre by great-circle distance
    codes = sorted(_STATE_CENTRES)
    cen = np.array([_STATE_CENTRES[c] for c in codes])
    dist = haversine_km(r["lat"].to_numpy()[:, None], r["lon"].to_numpy()[:, None],
                        cen[None, :, 0], cen[None, :, 1])
    assert list(r["state"]) == [codes[i] for i in dist.argmin(1)]
    again = simulate.county_sector_cross_section(200, 6, np.random.default_rng(3))
    pd.testing.assert_frame_equal(d, again.data)
    other = simulate.county_sector_cross_section(200, 6, 4)
    assert not np.allclose(d["log_productivity"], other.data["log_productivity"])


def test_rings_match_brute_force_double_loop() -> None:
    # Rings by a plain double loop over pairs with haversine_km, against the KD-tree path.
    # Rings (2, 60], (60, 150], (150, 400] with a closed lower bound only for the first.
    edges = (2.0, 60.0, 150.0, 400.0)
    sim = simulate.county_sector_cross_section(300, 3, 8, ring_edges_km=edges,
                                               gamma_rings=(0.1, 0.2, 0.3),
                                               empty_ring_value=-7.0)
    r = sim.regions
    lat, lon = r["lat"].to_numpy(), r["lon"].to_numpy()
    emp, land = r["region_employment"].to_numpy(float), r["land_area_km2"].to_numpy()
    n = len(r)
    num = np.zeros((n, 3))
    den = np.zeros((n, 3))
    for i in range(n):
        for j in range(n):
            if i == j:
                continue
            dij = float(haversine_km(lat[i], lon[i], lat[j], lon[j]))
            for k in range(3):
                lo, hi = edges[k], edges[k + 1]
                if (lo < dij or (k == 0 and dij == lo)) and dij <= hi:
                    num[i, k] += emp[j]
                    den[i, k] += land[j]
    empty = den == 0
    expected = np.where(empty, -7.0, np.log(np.where(empty, 1.0, num / np.where(empty, 1, den))))
    assert sim.truth.ring_columns == ("ring_2_60km", "ring_60_150km", "ring_150_400km")
    got = r[list(sim.truth.ring_columns)].to_numpy()
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-10)
    np.testing.assert_array_equal(r[list(sim.truth.empty_columns)].to_numpy(), empty)
    assert empty[:, 0].any() and not empty[:, 0].all()  # the empty-ring rule is exercised


def test_feols_recovers_every_coefficient_within_c_over_sqrt_n() -> None:
    # N = 3,000 regions x 10 sectors = 30,000 rows. Tolerance c_k / sqrt(N) with c_k stated
    # below, about 4.5x the asymptotic sd sqrt(N) * SE_k of this design (the test also checks
    # that each tolerance lies between 4 and 8 iid standard errors, so it neither fails by
    # chance, p < 1e-4, nor passes a bias of more than ~8 SE).
    sim = simulate.county_sector_cross_section(3000, 10, 1, gamma_empty_rings=(0.05, 0.03, 0.0),
                                               state_fe_density_loading=0.3)
    d, t = sim.data, sim.truth
    n_obs = len(d)
    assert n_obs == 30_000
    rings = list(t.ring_columns)
    flags = [f for f in t.empty_columns if d[f].any()]  # the 100-200 km ring is never empty
    rhs = ["log_employment", "log_density", "diversity", *rings, *flags]
    fit = pf.feols(f"log_productivity ~ {' + '.join(rhs)} | sector + state", data=d, vcov="iid")
    est, se = fit.coef(), fit.se()
    truth = {"log_employment": t.beta_loc, "log_density": t.beta_urb, "diversity": t.beta_div}
    truth.update(dict(zip(rings, t.gamma_rings, strict=True)))
    truth.update({f: t.gamma_empty_rings[list(t.empty_columns).index(f)] for f in flags})
    c = {"log_employment": 0.5, "log_density": 0.55, "diversity": 4.0, "ring_0_50km": 0.65,
         "ring_50_100km": 0.85, "ring_100_200km": 1.25, "ring_0_50km_empty": 2.1,
         "ring_50_100km_empty": 5.6}
    assert set(flags) == {"ring_0_50km_empty", "ring_50_100km_empty"}
    for name in rhs:
        tol = c[name] / math.sqrt(n_obs)
        assert 4 * se[name] <= tol <= 8 * se[name], (name, se[name], tol)
        assert abs(est[name] - truth[name]) < tol, (name, est[name], truth[name], tol)
    # without state effects (which load on state mean density) the urbanisation estimate is
    # biased by more than the tolerance (about 0.018 here)
    biased = pf.feols(f"log_productivity ~ {' + '.join(rhs)} | sector", data=d).coef()
    assert biased["log_density"] - t.beta_urb > 3 * c["log_density"] / math.sqrt(n_obs)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"n_regions": 0}, "n_regions"),
        ({"n_regions": 10, "n_sectors": 1}, "n_sectors"),
        ({"n_regions": 10, "ring_edges_km": (0.0, 50.0, 50.0)}, "ring_edges_km"),
        ({"n_regions": 10, "ring_edges_km": (-1.0, 50.0)}, "ring_edges_km"),
        ({"n_regions": 10, "gamma_rings": (0.1, 0.2)}, "gamma_rings"),
        ({"n_regions": 10, "gamma_empty_rings": (0.1,)}, "gamma_empty_rings"),
        ({"n_regions": 10, "sigma_eps": -1.0}, "sigma_eps"),
        ({"n_regions": 10, "share_dispersion": (1.0, 0.5)}, "share_dispersion"),
        ({"n_regions": 10, "beta_loc": float("nan")}, "beta_loc"),
        ({"n_regions": 10, "metro_share": 2.0}, "metro_share"),
        ({"n_regions": 10, "seed": -1}, "seed"),
    ],
)
def test_bad_input_names_the_argument(kwargs: dict, name: str) -> None:
    with pytest.raises(InputError, match=name):
        simulate.county_sector_cross_section(**kwargs)
