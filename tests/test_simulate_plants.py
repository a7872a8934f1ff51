"""plant_panel (agglomeration.simulate.plants): moments of the plant panel against its truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from agglomeration import simulate
from agglomeration.errors import InputError


def test_plant_panel_schema_determinism_and_identities() -> None:
    a = simulate.plant_panel(300, 6, 3)
    b = simulate.plant_panel(300, 6, 3)
    c = simulate.plant_panel(300, 6, 4)
    pd.testing.assert_frame_equal(a.panel, b.panel)
    assert not np.allclose(a.panel["omega"], c.panel["omega"])
    p, t = a.panel, a.truth
    assert list(p.columns) == ["plant", "year", "y", "l", "k", "m", "i", "omega", "exit"]
    assert len(p) == 300 * 6 and not p["exit"].any()
    # capital accumulation identity k_{t+1} = log((1 - delta) K_t + I_t)
    k = p["k"].to_numpy().reshape(300, 6)
    i = p["i"].to_numpy().reshape(300, 6)
    np.testing.assert_allclose(
        k[:, 1:], np.log((1 - t.delta) * np.exp(k[:, :-1]) + np.exp(i[:, :-1])), atol=1e-12
    )
    # measurement error in y: mean 0, sd sigma_eps, uncorrelated with inputs
    eps = p["y"] - t.beta_0 - t.beta_l * p["l"] - t.beta_k * p["k"] - p["omega"]
    assert abs(eps.mean()) < 4 * t.sigma_eps / np.sqrt(len(p))
    assert abs(eps.std() / t.sigma_eps - 1) < 4 * np.sqrt(0.5 / len(p))
    assert abs(np.corrcoef(eps, p["l"])[0, 1]) < 4 / np.sqrt(len(p))


def test_plant_productivity_ar1_recovered() -> None:
    n, n_t, rho, s = 5000, 8, 0.7, 0.2
    sim = simulate.plant_panel(n, n_t, 7, rho=rho, sigma_xi=s)
    om = sim.panel["omega"].to_numpy().reshape(n, n_t)
    x, y = om[:, :-1].ravel(), om[:, 1:].ravel()
    rho_hat = (x @ y) / (x @ x)
    se = np.sqrt((1 - rho**2) / x.size)
    assert abs(rho_hat - rho) < 4 * se
    xi = y - rho * x
    assert abs(xi.std() / s - 1) < 4 * np.sqrt(0.5 / xi.size)
    # stationary variance from the burn-in
    assert abs(om[:, 0].var() / (s**2 / (1 - rho**2)) - 1) < 4 * np.sqrt(2 / n)


def test_plant_inputs_monotone_in_productivity() -> None:
    sim = simulate.plant_panel(2000, 5, 8, m_omega=1.0, m_omega_sq=0.3)
    p, t = sim.panel, sim.truth
    # i is a deterministic, strictly increasing function of omega given k: a linear fit of
    # i on (1, k, omega) is exact with positive slope on omega
    x = np.column_stack([np.ones(len(p)), p["k"], p["omega"]])
    coef, res, *_ = np.linalg.lstsq(x, p["i"].to_numpy(), rcond=None)
    assert res[0] < 1e-18 * len(p) and coef[2] > 0
    np.testing.assert_allclose(coef[2], t.investment_omega, atol=1e-10)
    # m given (k, l) is strictly increasing in omega: fit of m - b_l l - b_k k on omega, omega^2
    # is exact and the derivative is positive at every observed omega
    mm = p["m"] - t.beta_l * p["l"] - t.beta_k * p["k"]
    x2 = np.column_stack([np.ones(len(p)), p["omega"], p["omega"] ** 2])
    c2, res2, *_ = np.linalg.lstsq(x2, mm.to_numpy(), rcond=None)
    assert res2[0] < 1e-18 * len(p)
    assert np.all(c2[1] + 2 * c2[2] * p["omega"] > 0)
    # numerically: perturbing omega upward at fixed (k, l) raises m
    om = p["omega"].to_numpy()
    m_fn = t.m_intercept + c2[1] * om + c2[2] * om**2
    m_up = t.m_intercept + c2[1] * (om + 1e-6) + c2[2] * (om + 1e-6) ** 2
    assert np.all(m_up > m_fn)


def test_plant_acf_timing_moments() -> None:
    # With labour chosen at t - b (b = 0.5), l_t is correlated with the innovation xi_t but
    # l_{t-1} and k_t are not (ACF 2015 moment conditions E[xi_t (k_t, l_{t-1})] = 0).
    n, n_t = 5000, 6
    sim = simulate.plant_panel(n, n_t, 10, labour_timing=0.5)
    p, t = sim.panel, sim.truth
    om = p["omega"].to_numpy().reshape(n, n_t)
    l_ = p["l"].to_numpy().reshape(n, n_t)
    k = p["k"].to_numpy().reshape(n, n_t)
    xi = (om[:, 1:] - t.rho * om[:, :-1]).ravel()
    bound = 4 / np.sqrt(xi.size)
    assert abs(np.corrcoef(xi, l_[:, :-1].ravel())[0, 1]) < bound
    assert abs(np.corrcoef(xi, k[:, 1:].ravel())[0, 1]) < bound
    assert np.corrcoef(xi, l_[:, 1:].ravel())[0, 1] > 10 * bound


def test_plant_acf_second_stage_identifies_elasticities() -> None:
    # ACF (2015) second stage with the first-stage object Phi = y - eps taken from the truth:
    # omega(b) = Phi - b0 - b_l l - b_k k, xi(b) = residual of omega_t(b) on (1, omega_{t-1}(b)),
    # moments E[xi(b) k_t] = E[xi(b) l_{t-1}] = 0. In this DGP they identify (b_l, b_k): solving
    # them from a poor start returns the truth up to sampling error, and OLS of y on (l, k) is
    # biased upward for b_l (transmission bias), so the design is informative.
    from scipy.optimize import least_squares

    n, n_t = 4000, 6
    sim = simulate.plant_panel(n, n_t, 31)
    p, t = sim.panel, sim.truth
    l_ = p["l"].to_numpy().reshape(n, n_t)
    k = p["k"].to_numpy().reshape(n, n_t)
    phi = t.beta_0 + t.beta_l * l_ + t.beta_k * k + p["omega"].to_numpy().reshape(n, n_t)

    def moments(b: np.ndarray) -> np.ndarray:
        om = phi - b[0] * l_ - b[1] * k
        x = np.column_stack([np.ones(n * (n_t - 1)), om[:, :-1].ravel()])
        yv = om[:, 1:].ravel()
        xi = yv - x @ np.linalg.lstsq(x, yv, rcond=None)[0]
        return np.array([xi @ k[:, 1:].ravel(), xi @ l_[:, :-1].ravel()]) / xi.size

    sol = least_squares(moments, x0=np.array([0.3, 0.6]))
    assert np.allclose(sol.x, [t.beta_l, t.beta_k], atol=0.03), sol.x
    ols = np.linalg.lstsq(
        np.column_stack([np.ones(len(p)), p["l"], p["k"]]), p["y"].to_numpy(), rcond=None
    )[0]
    print(f"ACF second stage {sol.x}, OLS (l, k) {ols[1:]}")
    assert ols[1] > t.beta_l + 0.05


def test_plant_exit_unbalanced_and_selected_on_low_productivity() -> None:
    n, n_t = 4000, 10
    sim = simulate.plant_panel(n, n_t, 12, exit=True)
    p, t = sim.panel, sim.truth
    counts = p.groupby("plant").size()
    assert counts.min() < n_t and counts.max() == n_t  # unbalanced
    assert len(p) < n * n_t
    exits = p[p["exit"]]
    # every exit is below its threshold and is the plant's last observed year
    assert np.all(exits["omega"] < t.exit_omega - t.exit_k * (exits["k"] - t.k_target))
    last = p.groupby("plant")["year"].transform("max")
    assert np.all(exits["year"] == last[exits.index])
    # survivors above the threshold in every observed year
    stay = p[~p["exit"]]
    assert np.all(stay["omega"] >= t.exit_omega - t.exit_k * (stay["k"] - t.k_target))
    assert exits["omega"].mean() < stay["omega"].mean() - 1.0 * np.sqrt(
        t.sigma_xi**2 / (1 - t.rho**2)
    )
    # each plant observed in consecutive years from the first
    first = p.groupby("plant")["year"].min()
    assert (first == 1).all()
    assert (p.groupby("plant")["year"].max() - first + 1 == counts).all()


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"n_plants": 0}, "n_plants"),
        ({"n_plants": 10, "n_years": 0}, "n_years"),
        ({"n_plants": 10, "beta_l": 1.2}, "beta_l"),
        ({"n_plants": 10, "rho": 1.0}, "rho"),
        ({"n_plants": 10, "investment_omega": 0.0}, "investment_omega"),
        ({"n_plants": 10, "m_omega": -0.5}, "m_omega"),
        ({"n_plants": 2000, "m_omega": 1.0, "m_omega_sq": 2.0}, "m_omega_sq"),
        ({"n_plants": 10, "delta": 0.0}, "delta"),
        ({"n_plants": 10, "sigma_xi": -1.0}, "sigma_xi"),
    ],
)
def test_plant_panel_bad_input(kwargs: dict, name: str) -> None:
    with pytest.raises(InputError, match=name):
        simulate.plant_panel(**kwargs)


def test_plant_panel_delta_spread_gives_fixed_plant_specific_depreciation() -> None:
    # Back out delta from k_{t+1} = log((1 - delta) e^k_t + e^i_t):
    # delta = (e^k_t + e^i_t - e^k_{t+1}) / e^k_t, per plant-year.
    def implied(panel: pd.DataFrame) -> pd.DataFrame:
        p = panel.sort_values(["plant", "year"])
        nxt = p.groupby("plant")["k"].shift(-1)
        dl = (np.exp(p["k"]) + np.exp(p["i"]) - np.exp(nxt)) / np.exp(p["k"])
        return pd.DataFrame({"plant": p["plant"], "d": dl}).dropna()

    base = implied(simulate.plant_panel(200, 6, 5).panel)
    np.testing.assert_allclose(base["d"], 0.1, rtol=1e-9)
    sim = simulate.plant_panel(2000, 6, 5, delta_spread=0.05)
    assert sim.truth.delta_spread == 0.05
    d = implied(sim.panel)
    per = d.groupby("plant")["d"].agg(["min", "max"])
    np.testing.assert_allclose(per["min"], per["max"], rtol=1e-8)  # constant within plant
    assert per["min"].min() >= 0.05 - 1e-9 and per["max"].max() <= 0.15 + 1e-9
    # U(0.05, 0.15): mean 0.1, sd 0.1/sqrt(12) = 0.0289; 2000 plants -> se of mean 0.00065
    assert abs(per["min"].mean() - 0.1) < 0.003
    assert abs(per["min"].std() - 0.1 / np.sqrt(12)) < 0.003


def test_plant_panel_delta_spread_default_draws_nothing() -> None:
    a = simulate.plant_panel(100, 5, 9).panel
    b = simulate.plant_panel(100, 5, 9, delta_spread=0.0).panel
    pd.testing.assert_frame_equal(a, b)
    with pytest.raises(InputError, match="delta_spread"):
        simulate.plant_panel(10, 3, 0, delta=0.1, delta_spread=0.1)
