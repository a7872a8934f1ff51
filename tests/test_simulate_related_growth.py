"""related_industry_growth (agglomeration.simulate.related_growth): identities and recovery."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest

from agglomeration import simulate
from agglomeration.errors import InputError


def test_identities_with_a_given_weighted_matrix() -> None:
    w = np.array([[0.0, 2.0, 0.0, 0.5],
                  [2.0, 0.0, 1.0, 0.0],
                  [0.0, 1.0, 0.0, 0.0],
                  [0.5, 0.0, 0.0, 0.0]])
    sim = simulate.related_industry_growth(50, 4, 2, relatedness=w, b_own=-0.1, b_rel=0.2)
    d, t = sim.data, sim.truth
    assert len(d) == 200 and (d["employment_0"] >= 1).all()
    e0 = d["employment_0"].to_numpy().reshape(50, 4)
    # related employment by an explicit loop over industry pairs j != i
    rel = np.zeros((50, 4))
    for i in range(4):
        for j in range(4):
            if j != i:
                rel[:, i] += w[i, j] * e0[:, j]
    np.testing.assert_allclose(d["related_employment_0"], rel.ravel(), rtol=1e-14)
    np.testing.assert_allclose(np.log(d["employment_1"] / d["employment_0"]), d["log_growth"],
                               atol=1e-12)
    fit = (t.b_own * np.log(d["employment_0"]) + t.b_rel * np.log(rel.ravel())
           + t.region_fe[d["region"]] + t.industry_fe[d["industry"]])
    np.testing.assert_allclose(d["log_growth"] - fit, d["error"], atol=1e-12)
    np.testing.assert_array_equal(t.relatedness, w)
    assert len(sim.relatedness) == 6 and set(sim.relatedness["weight"]) == {0.5, 1.0, 2.0}
    again = simulate.related_industry_growth(50, 4, np.random.default_rng(2), relatedness=w,
                                             b_own=-0.1, b_rel=0.2)
    pd.testing.assert_frame_equal(d, again.data)


def test_default_relatedness_is_symmetric_with_the_stated_mean_degree() -> None:
    a = simulate.related_industry_growth(2, 200, 5, mean_related=6.0).truth.relatedness
    assert np.array_equal(a, a.T) and not np.diag(a).any() and set(np.unique(a)) == {0.0, 1.0}
    deg = a.sum(1)
    assert deg.min() >= 2  # the cycle links
    # 2 cycle links + Binomial(197, 4/197) others: mean 6, sd of the mean over 200 rows ~0.14
    # (rows are dependent through shared pairs; 2x allowance)
    assert abs(deg.mean() - 6.0) < 4 * 2 * math.sqrt(4 * (1 - 4 / 197) / 200)


def test_feols_recovers_b_own_and_b_rel_within_c_over_sqrt_n() -> None:
    # N = 1,000 regions x 30 industries = 30,000. Tolerances c / sqrt(N) with c = 0.5 (b_own)
    # and 0.85 (b_rel), about 4.7x the asymptotic sd sqrt(N) * SE (0.107 and 0.18); checked to
    # lie between 4 and 8 iid standard errors.
    sim = simulate.related_industry_growth(1000, 30, 1)
    d, t = sim.data, sim.truth
    n_obs = len(d)
    assert n_obs == 30_000
    fit = pf.feols("log_growth ~ log_employment_0 + log_related_employment_0 | region + industry",
                   data=d, vcov="iid")
    est, se = fit.coef(), fit.se()
    for name, truth, c in (("log_employment_0", t.b_own, 0.5),
                           ("log_related_employment_0", t.b_rel, 0.85)):
        tol = c / math.sqrt(n_obs)
        assert 4 * se[name] <= tol <= 8 * se[name], (name, se[name], tol)
        assert abs(est[name] - truth) < tol, (name, est[name], truth, tol)
    # own and related employment are correlated (co-location), so omitting related
    # employment biases the convergence coefficient by more than the tolerance
    short = pf.feols("log_growth ~ log_employment_0 | region + industry", data=d).coef()
    assert short["log_employment_0"] - t.b_own > 2 * 0.5 / math.sqrt(n_obs)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"n_regions": 0}, "n_regions"),
        ({"n_regions": 5, "n_industries": 1}, "n_industries"),
        ({"n_regions": 5, "n_industries": 3, "relatedness": np.ones((2, 2))}, "relatedness"),
        ({"n_regions": 5, "n_industries": 2, "relatedness": [[0, 1], [0, 0]]}, "relatedness"),
        ({"n_regions": 5, "n_industries": 2, "relatedness": [[1, 1], [1, 0]]}, "relatedness"),
        ({"n_regions": 5, "n_industries": 2, "relatedness": [[0, -1], [-1, 0]]}, "relatedness"),
        ({"n_regions": 5, "n_industries": 3,
          "relatedness": [[0, 1, 0], [1, 0, 0], [0, 0, 0]]}, "relatedness"),
        ({"n_regions": 5, "mean_related": 0.5}, "mean_related"),
        ({"n_regions": 5, "sigma_eps": -0.1}, "sigma_eps"),
        ({"n_regions": 5, "specialisation_sd": 0.0}, "specialisation_sd"),
        ({"n_regions": 5, "b_rel": float("inf")}, "b_rel"),
    ],
)
def test_bad_input_names_the_argument(kwargs: dict, name: str) -> None:
    with pytest.raises(InputError, match=name):
        simulate.related_industry_growth(**kwargs)
