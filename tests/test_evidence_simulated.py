"""The paper's productivity specifications recover known effects from simulated data.

`agglomeration.simulate.county_sector_cross_section` draws county x sector productivity with
known localisation (own-sector employment), urbanisation (density), diversity and ring
effects. The specs are estimated with the project's own path (`agglomeration.estimate`, the
same Spec form as analysis/specs/localisation.toml and county_spillovers.toml), and the ring
densities of the panels stage (`agglomeration.panels.county_rings.add_ring_densities`, sparse
ring weights and spatial lags) are compared with the simulator's (a KD-tree pair search), two
independent implementations of the same definition.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from agglomeration import Spec, Variance, estimate
from agglomeration.panels._build import DropLog
from agglomeration.panels.county_rings import add_ring_densities
from agglomeration.simulate import county_sector_cross_section

N_REGIONS = 3000
N_SECTORS = 10


@pytest.fixture(scope="module")
def sim():
    return county_sector_cross_section(N_REGIONS, N_SECTORS, seed=20261130)


def test_localisation_urbanisation_diversity_and_rings_recovered(sim):
    d = sim.data.assign(**{c: sim.data[c].astype(float) for c in sim.truth.empty_columns})
    spec = Spec(
        outcome="log_productivity",
        regressors=(
            "log_employment",
            "log_density",
            "diversity",
            *sim.truth.ring_columns,
            *sim.truth.empty_columns,
        ),
        fixed_effects=("sector", "state"),
        variance=Variance("cluster", cluster=["region"]),
    )
    res = estimate(spec, d)
    n = res.n_obs
    truth = {
        "log_employment": sim.truth.beta_loc,
        "log_density": sim.truth.beta_urb,
        "diversity": sim.truth.beta_div,
        **dict(zip(sim.truth.ring_columns, sim.truth.gamma_rings, strict=True)),
    }
    # c/sqrt(N) with c set from the design (errors sd 0.1, regressor spreads): 4 to 8 times
    # the estimated standard errors, so the check fails if a coefficient is biased
    c = {"log_employment": 0.3, "log_density": 0.5, "diversity": 3.0}
    for term, b in truth.items():
        tol = c.get(term, 1.0) / np.sqrt(n)
        assert abs(res.params[term] - b) < tol, (term, res.params[term], b, tol)
        assert tol > 3 * res.std_errors[term], (term, tol, res.std_errors[term])


def test_panel_ring_densities_equal_the_simulators(sim):
    """The panels stage's rings on the simulated regions equal the simulator's own rings."""
    r = sim.regions
    county = pd.DataFrame(
        {
            "fips": r["region"].astype(str),
            "year": 2017,
            "lat": r["lat"],
            "lon": r["lon"],
            "land_area_km2": r["land_area_km2"],
            "employment": r["region_employment"].astype(float),
        }
    )
    edges = sim.truth.ring_edges_km
    rings = tuple(zip(edges[:-1], edges[1:], strict=True))
    out = add_ring_densities(county, DropLog("sim"), rings_km=rings)
    for (a, b), col, empty in zip(
        rings, sim.truth.ring_columns, sim.truth.empty_columns, strict=True
    ):
        mine = out[f"log_ring_density_{a:g}_{b:g}"].to_numpy()
        theirs = r[col].to_numpy()
        has = ~r[empty].to_numpy(bool)
        np.testing.assert_allclose(mine[has], theirs[has], rtol=1e-10)
        assert np.isnan(mine[~has]).all()
        assert (out[f"ring_empty_{a:g}_{b:g}"].to_numpy() == (~has)).all()


def test_patent_density_elasticity_recovered_by_poisson_with_fixed_effects():
    """The county patent spec's form (PPML, period effects) on a panel with a known elasticity."""
    from agglomeration.simulate import regional_panel

    sim = regional_panel(n_regions=2000, n_years=4, seed=7)
    spec = Spec(
        outcome="patents",
        regressors=("log_density", "log_cluster_employment"),
        fixed_effects=("year",),
        estimator="poisson",
        variance=Variance("cluster", cluster=["region"]),
    )
    res = estimate(spec, sim.panel)
    n = res.n_obs
    for term, b in (
        ("log_density", sim.truth.patent_beta_density),
        ("log_cluster_employment", sim.truth.patent_beta_cluster),
    ):
        # patents are sparse (mean about 0.5), so sqrt(N) x SE is about 2.5: c = 10 is 4 SEs
        tol = 10.0 / np.sqrt(n)
        assert abs(res.params[term] - b) < tol, (term, res.params[term], b, tol)
        assert 3 * res.std_errors[term] < tol < 6 * res.std_errors[term]


def test_related_cluster_effect_on_metro_patents_recovered():
    """The metro portfolio spec's form (Poisson, robust) recovers size, strong and related effects."""
    from agglomeration.simulate import metro_cluster_patents

    sim = metro_cluster_patents(n_metros=6000, seed=3)
    spec = Spec(
        outcome="patents",
        regressors=("n_strong_clusters", "related_cluster_strength", "log_employment"),
        estimator="poisson",
        variance=Variance("hetero"),
    )
    res = estimate(spec, sim.metros)
    n = res.n_obs
    c = {"log_employment": 3.0, "n_strong_clusters": 1.0, "related_cluster_strength": 0.6}
    for term, b in (
        ("log_employment", sim.truth.b_size),
        ("n_strong_clusters", sim.truth.b_strong),
        ("related_cluster_strength", sim.truth.b_related),
    ):
        tol = c[term] / np.sqrt(n)
        assert abs(res.params[term] - b) < tol, (term, res.params[term], b, tol)
        assert tol > 3 * res.std_errors[term], (term, tol, res.std_errors[term])
