"""dartboard (agglomeration.simulate.dartboard): the Ellison-Glaeser (1997) null of no agglomeration."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from agglomeration import simulate
from agglomeration.errors import InputError


def test_dartboard_region_shares_match_sizes() -> None:
    rng = np.random.default_rng(0)
    sizes = rng.lognormal(8, 1.2, 60)
    plants = simulate.dartboard(sizes, 2000, 5, n_industries=20)
    assert len(plants) == 40_000
    assert list(plants.columns) == ["plant", "industry", "region", "employment"]
    counts = np.bincount(plants["region"], minlength=60)
    expected = 40_000 * sizes / sizes.sum()
    chi2 = ((counts - expected) ** 2 / expected).sum()
    assert stats.chi2.sf(chi2, 59) > 1e-4
    # per-industry counts are exactly as requested
    assert (plants.groupby("industry").size() == 2000).all()


def test_dartboard_plant_size_distributions() -> None:
    pl = simulate.dartboard([1.0, 2.0], 20_000, 1, plant_size="lognormal", size_mean_log=2.5,
                            size_sigma_log=0.8, integer_sizes=False)
    assert stats.kstest(np.log(pl["employment"]), "norm", args=(2.5, 0.8)).pvalue > 1e-4
    pa = simulate.dartboard([1.0, 2.0], 20_000, 2, plant_size="pareto", pareto_shape=1.7,
                            size_min=5.0, integer_sizes=False)
    assert stats.kstest(pa["employment"], "pareto", args=(1.7, 0, 5.0)).pvalue > 1e-4
    # integer sizes: P(size = k) = F(k + 1/2) - F(k - 1/2), floored at 1; chi-square over k
    pi_ = simulate.dartboard([1.0], 50_000, 3, size_mean_log=1.5, size_sigma_log=0.6)
    assert pi_["employment"].dtype == np.int64 and pi_["employment"].min() >= 1
    ks = np.arange(1, 16)
    cdf = stats.lognorm(s=0.6, scale=np.exp(1.5)).cdf
    prob = cdf(ks + 0.5) - cdf(ks - 0.5)
    prob[0] = cdf(1.5)
    prob = np.append(prob, 1 - cdf(15.5))
    obs = np.bincount(np.minimum(pi_["employment"], 16), minlength=17)[1:]
    chi2 = ((obs - 50_000 * prob) ** 2 / (50_000 * prob)).sum()
    assert stats.chi2.sf(chi2, prob.size - 1) > 1e-4


def test_dartboard_ellison_glaeser_gamma_mean_zero() -> None:
    # EG (1997) gamma = (G - (1 - sum x^2) H) / ((1 - sum x^2)(1 - H)); E[gamma] = 0 under the
    # dartboard when x are the region probabilities. 400 industries of 50 plants each.
    rng = np.random.default_rng(1)
    sizes = rng.lognormal(0, 1, 30)
    x = sizes / sizes.sum()
    plants = simulate.dartboard(sizes, 50, 9, n_industries=400, size_sigma_log=1.2)
    cells = simulate.dartboard_region_industry(plants, 30)
    assert len(cells) == 400 * 30
    e = cells["employment"].to_numpy().reshape(400, 30)
    s = e / e.sum(1, keepdims=True)
    g = ((s - x) ** 2).sum(1)
    emp = plants["employment"].to_numpy().reshape(400, 50)
    h = ((emp / emp.sum(1, keepdims=True)) ** 2).sum(1)
    sx = 1 - (x**2).sum()
    gamma = (g - sx * h) / (sx * (1 - h))
    assert abs(gamma.mean()) < 4 * gamma.std(ddof=1) / np.sqrt(400)
    # aggregation preserves totals and plant counts
    assert cells["employment"].sum() == plants["employment"].sum()
    assert cells["n_plants"].sum() == len(plants)


def test_dartboard_deterministic_and_bad_input() -> None:
    a = simulate.dartboard([3, 1, 0], [5, 7], 4)
    b = simulate.dartboard([3, 1, 0], [5, 7], 4)
    pd.testing.assert_frame_equal(a, b)
    assert (a["region"] != 2).all()  # zero-size region never receives a plant
    assert list(a.groupby("industry").size()) == [5, 7]
    with pytest.raises(InputError, match="region_sizes"):
        simulate.dartboard([-1.0, 2.0], 5, 0)
    with pytest.raises(InputError, match="region_sizes"):
        simulate.dartboard([0.0, 0.0], 5, 0)
    with pytest.raises(InputError, match="n_plants"):
        simulate.dartboard([1.0], 0, 0)
    with pytest.raises(InputError, match="n_plants"):
        simulate.dartboard([1.0], [3, 0], 0)
    with pytest.raises(InputError, match="plant_size"):
        simulate.dartboard([1.0], 3, 0, plant_size="weibull")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="pareto_shape"):
        simulate.dartboard([1.0], 3, 0, plant_size="pareto", pareto_shape=0.0)
