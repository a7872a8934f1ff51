"""shift_share_regions (agglomeration.simulate.shift_share): identities, exact variance, recovery."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from agglomeration import simulate
from agglomeration.errors import InputError


def test_identities_shares_and_types() -> None:
    sim = simulate.shift_share_regions(200, 25, 3, beta=0.7, intercept=0.2, n_types=3)
    r, t = sim.regions, sim.truth
    w = sim.shares["share"].to_numpy().reshape(200, 25)
    np.testing.assert_array_equal(w, t.shares)
    g = sim.industries["shock"].to_numpy()
    nu = sim.industries["industry_error"].to_numpy()
    np.testing.assert_allclose(r["exposure"], w @ g, atol=1e-12)
    np.testing.assert_allclose(r["error"], w @ nu + r["idiosyncratic_error"], atol=1e-12)
    np.testing.assert_allclose(r["y"], 0.2 + 0.7 * r["exposure"] + r["error"], atol=1e-12)
    s = w.sum(1)
    assert (w >= 0).all() and s.min() >= 0.6 - 1e-12 and s.max() <= 1.0 + 1e-12
    # regions of a type have similar mixes: share profiles correlate more within types
    c = np.corrcoef(w)
    same = r["type"].to_numpy()[:, None] == r["type"].to_numpy()[None, :]
    off = ~np.eye(200, dtype=bool)
    assert c[same & off].mean() > 0.6 and c[~same].mean() < 0.2
    again = simulate.shift_share_regions(200, 25, np.random.default_rng(3), beta=0.7,
                                         intercept=0.2, n_types=3)
    pd.testing.assert_frame_equal(r, again.regions)


def test_ols_variance_equals_dense_sandwich() -> None:
    # Var(beta_hat | w, g) = xt' Sigma xt / (xt' xt)^2 with Sigma = s_nu^2 W W' + s_eps^2 I,
    # formed densely here; and the independent-errors variant with diag(Sigma) only.
    sim = simulate.shift_share_regions(120, 15, 4, sigma_nu=0.8, sigma_eps=0.5)
    t = sim.truth
    w = t.shares
    x = sim.regions["exposure"].to_numpy()
    xt = x - x.mean()
    sigma = 0.8**2 * w @ w.T + 0.5**2 * np.eye(120)
    np.testing.assert_allclose(t.ols_variance, xt @ sigma @ xt / (xt @ xt) ** 2, rtol=1e-12)
    np.testing.assert_allclose(t.ols_variance_independent,
                               (xt**2) @ np.diag(sigma) / (xt @ xt) ** 2, rtol=1e-12)


def test_conditional_variance_by_redrawing_the_errors() -> None:
    # Fixed shares and shocks, 500 draws of the errors. beta_hat (OLS slope with a constant,
    # by hand) is exactly N(beta, V) given (w, g): the mean is within 4 sd of beta and
    # (R - 1) s^2 / V ~ chi2(R - 1), checked at the 1e-4 two-sided level.
    base = simulate.shift_share_regions(300, 30, 5)
    w, g = base.truth.shares, base.truth.shocks
    est = []
    for rep in range(500):
        r = simulate.shift_share_regions(300, 30, 1000 + rep, shares=w, shocks=g).regions
        xt = r["exposure"].to_numpy() - r["exposure"].mean()
        est.append(xt @ r["y"].to_numpy() / (xt @ xt))
    b = np.asarray(est)
    v = base.truth.ols_variance
    assert abs(b.mean() - base.truth.beta) < 4 * math.sqrt(v / b.size), (b.mean(), v)
    q = (b.size - 1) * b.var(ddof=1) / v
    assert stats.chi2.ppf(5e-5, b.size - 1) < q < stats.chi2.ppf(1 - 5e-5, b.size - 1), q / b.size
    # AKM (2019): robust standard errors ignore the correlation through similar mixes; here
    # their variance is below a quarter of the true one
    r = simulate.shift_share_regions(300, 30, 77, shares=w, shocks=g).regions
    hc1 = sm.OLS(r["y"], sm.add_constant(r["exposure"])).fit(cov_type="HC1").bse["exposure"]
    assert hc1**2 < 0.25 * v


def test_statsmodels_ols_recovers_beta_on_average_over_seeds() -> None:
    # 30 independent designs (fresh shares, shocks and errors). beta_hat_j ~ N(beta, V_j) given
    # design j, so mean_j beta_hat_j - beta has sd sqrt(sum_j V_j) / 30; tolerance 4 sd.
    est, var = [], []
    for seed in range(30):
        sim = simulate.shift_share_regions(400, 40, seed, beta=1.5)
        r = sim.regions
        fit = sm.OLS(r["y"], sm.add_constant(r["exposure"])).fit()
        est.append(fit.params["exposure"])
        var.append(sim.truth.ols_variance)
    sd = math.sqrt(sum(var)) / len(var)
    assert abs(np.mean(est) - 1.5) < 4 * sd, (np.mean(est), sd)
    # and the spread across designs matches the average conditional variance (within 2x)
    z = (np.asarray(est) - 1.5) / np.sqrt(var)
    assert 0.5 < z.std(ddof=1) < 1.5, z


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"n_regions": 2}, "n_regions"),
        ({"n_industries": 0}, "n_industries"),
        ({"n_types": 0}, "n_types"),
        ({"type_concentration": 0.0}, "type_concentration"),
        ({"share_sum": (0.5, 1.2)}, "share_sum"),
        ({"sigma_nu": -1.0}, "sigma_nu"),
        ({"n_regions": 3, "n_industries": 2, "shares": [[0.5, 0.6], [0, 1], [0, 0]]}, "shares"),
        ({"n_regions": 3, "n_industries": 2, "shares": [[0.5, -0.1], [0, 1], [0, 0]]}, "shares"),
        ({"n_regions": 3, "n_industries": 2, "shares": np.ones((2, 2)) / 2}, "shares"),
        ({"n_industries": 3, "shocks": [1.0, 2.0]}, "shocks"),
        ({"n_regions": 3, "n_industries": 2, "shares": np.ones((3, 2)) / 2}, "exposure"),
    ],
)
def test_bad_input_names_the_argument(kwargs: dict, name: str) -> None:
    with pytest.raises(InputError, match=name):
        simulate.shift_share_regions(**kwargs)
