"""metro_cluster_patents (agglomeration.simulate.cluster_patents): DPS definitions and recovery."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from agglomeration import simulate
from agglomeration.errors import InputError
from agglomeration.measures.clusters import cluster_strength, related_cluster_strength


def test_strong_clusters_and_related_strength_match_the_measures_module() -> None:
    # An independent implementation of the DPS (2014) definitions: agglomeration.measures,
    # fed the long metro x cluster employment plus each metro's local (non-cluster) employment
    # as an unmapped industry, so that E_m counts all employment.
    sim = simulate.metro_cluster_patents(300, 12, 4)
    m, c = sim.metros, sim.clusters
    local = m.assign(industry="local", value=m["employment"] - m["traded_employment"])
    long = pd.concat([
        pd.DataFrame({"metro": c["metro"], "industry": "c" + c["cluster"].astype(str),
                      "value": c["cluster_employment"].astype(float)}),
        local[["metro", "industry", "value"]].astype({"value": float}),
    ], ignore_index=True)
    cw = pd.DataFrame({"naics": [f"c{k}" for k in range(12)],
                       "cluster": [f"c{k:02d}" for k in range(12)]})
    cs = cluster_strength(long, cw, region="metro", industry="industry", value="value").table
    cs = cs.sort_values(["metro", "cluster"]).reset_index(drop=True)
    np.testing.assert_allclose(cs["lq"], c["lq"], rtol=1e-12)
    np.testing.assert_array_equal(cs["strong"], c["strong"])
    assert 0.2 < c["strong"].mean() <= 0.26  # a quarter, less metros with the cluster absent
    pairs = sim.relatedness.assign(cluster=lambda p: p["cluster"].map("c{:02d}".format),
                                   related_cluster=lambda p: p["related_cluster"].map(
                                       "c{:02d}".format))
    rel = related_cluster_strength(cs, pairs, region="metro").table
    half_sum = (rel["n_strong_related"] * cs["strong"]).groupby(cs["metro"]).sum() / 2
    np.testing.assert_array_equal(half_sum.to_numpy(), m["related_cluster_strength"])
    np.testing.assert_array_equal(cs.groupby("metro")["strong"].sum(), m["n_strong_clusters"])
    # employment identity and the linear predictor
    np.testing.assert_array_equal(c.groupby("metro")["cluster_employment"].sum(),
                                  m["traded_employment"])
    t = sim.truth
    eta = (t.patent_intercept + t.b_size * np.log(m["employment"])
           + t.b_strong * m["n_strong_clusters"] + t.b_related * m["related_cluster_strength"])
    np.testing.assert_allclose(m["log_mean_patents"], eta, atol=1e-12)


def test_given_relatedness_and_determinism() -> None:
    a = np.zeros((5, 5))
    a[0, 1] = a[1, 0] = a[2, 3] = a[3, 2] = a[3, 4] = a[4, 3] = 1.0
    sim = simulate.metro_cluster_patents(40, 5, 7, relatedness=a)
    s = sim.clusters["strong"].to_numpy().reshape(40, 5)
    # count of related pairs both strong, by hand
    by_hand = (s[:, 0] & s[:, 1]).astype(int) + (s[:, 2] & s[:, 3]) + (s[:, 3] & s[:, 4])
    np.testing.assert_array_equal(sim.metros["related_cluster_strength"], by_hand)
    again = simulate.metro_cluster_patents(40, 5, np.random.default_rng(7), relatedness=a)
    pd.testing.assert_frame_equal(sim.metros, again.metros)
    pd.testing.assert_frame_equal(sim.clusters, again.clusters)


def test_poisson_glm_recovers_coefficients_within_c_over_sqrt_n() -> None:
    # N = 3,000 metros. Tolerances c / sqrt(N) with c = (6.2, 0.47, 0.32, 0.2) for (intercept,
    # b_size, b_strong, b_related), about 4.7x the asymptotic sd sqrt(N) * SE of this design;
    # checked to lie between 4 and 8 model-based standard errors.
    sim = simulate.metro_cluster_patents(3000, 51, 1)
    m, t = sim.metros, sim.truth
    n_obs = len(m)
    x = sm.add_constant(m[["log_employment", "n_strong_clusters",
                           "related_cluster_strength"]].to_numpy())
    fit = sm.GLM(m["patents"].to_numpy(), x, family=sm.families.Poisson()).fit()
    truth = np.array([t.patent_intercept, t.b_size, t.b_strong, t.b_related])
    tol = np.array([6.2, 0.47, 0.32, 0.2]) / math.sqrt(n_obs)
    assert np.all((4 * fit.bse <= tol) & (tol <= 8 * fit.bse)), (fit.bse, tol)
    assert np.all(np.abs(fit.params - truth) < tol), (fit.params, truth, tol)
    # strong clusters and related strength are strongly correlated, yet both are identified:
    # dropping related strength shifts b_strong by far more than its tolerance
    short = sm.GLM(m["patents"].to_numpy(), x[:, :3], family=sm.families.Poisson()).fit()
    assert short.params[2] - t.b_strong > 4 * tol[2]


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"n_metros": 3}, "n_metros"),
        ({"n_clusters": 1}, "n_clusters"),
        ({"strong_quantile": 1.0}, "strong_quantile"),
        ({"traded_share": (0.5, 1.5)}, "traded_share"),
        ({"traded_share": (0.6, 0.5)}, "traded_share"),
        ({"n_clusters": 3, "relatedness": np.eye(3)}, "relatedness"),
        ({"b_strong": float("nan")}, "b_strong"),
        ({"size_sd_log": -1.0}, "size_sd_log"),
        ({"mean_related": 0.0}, "mean_related"),
    ],
)
def test_bad_input_names_the_argument(kwargs: dict, name: str) -> None:
    with pytest.raises(InputError, match=name):
        simulate.metro_cluster_patents(**kwargs)
