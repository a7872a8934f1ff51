"""Recovery of known elasticities from agglomeration.simulate.plant_panel.

Tolerances shrink with the number of plant-years NT as C / sqrt(NT): 2.5 / sqrt(NT) for
beta_l and 5 / sqrt(NT) for beta_k (0.046 and 0.091 at NT = 3,000; 0.023 and 0.046 at
NT = 12,000). Errors seen in exploratory draws at these sizes were below 0.005 (beta_l)
and 0.02 (beta_k) for OP and Wooldridge, while OLS is off by +0.26 on labour.

The simulated materials are Leontief in value added (m moves one for one with l), so the
intermediate input cannot serve as the LP/Wooldridge proxy (the Ackerberg-Caves-Frazer
functional-dependence problem: LP's labour coefficient goes to zero); investment, which
depends only on (k, omega), is the proxy for OP, LP and Wooldridge here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from agglomeration import simulate
from agglomeration.tfp import TFPSpec, estimate

C_L, C_K = 2.5, 5.0


def sim_spec(method: str, **kw: Any) -> TFPSpec:
    """A spec on plant_panel's columns."""
    base: dict[str, Any] = dict(output="y", free=("l",), state=("k",), unit="plant", time="year")
    return TFPSpec(method=method, **{**base, **kw})  # type: ignore[arg-type]


def _panel(n_plants: int, seed: int):
    sim = simulate.plant_panel(n_plants, 10, seed)
    return sim.panel, sim.truth


@pytest.mark.parametrize("n_plants", [300, 1200])
@pytest.mark.parametrize(("method", "proxy"), [("op", "i"), ("lp", "i"), ("wrdg", "i")])
def test_recovers_true_elasticities(method: str, proxy: str, n_plants: int) -> None:
    d, truth = _panel(n_plants, seed=11)
    nt = len(d)
    r = estimate(sim_spec(method, proxy=proxy, n_starts=6), d)
    assert abs(r.params["l"] - truth.beta_l) < C_L / np.sqrt(nt), r.params
    assert abs(r.params["k"] - truth.beta_k) < C_K / np.sqrt(nt), r.params


def test_ols_is_biased_upwards_on_the_free_input() -> None:
    d, truth = _panel(1200, seed=11)
    ols = estimate(sim_spec("ols"), d)
    op = estimate(sim_spec("op", proxy="i"), d)
    # labour responds to productivity: OLS overstates beta_l by far more than sampling error
    assert ols.params["l"] - truth.beta_l > 0.1
    assert abs(op.params["l"] - truth.beta_l) < 0.02


def test_lp_with_leontief_materials_loses_labour() -> None:
    # Functional dependence (ACF 2015, sec. 3): with m = c + b_l l + b_k k + omega the
    # first stage cannot separate l from phi(k, m), so LP's labour coefficient is ~0.
    d, truth = _panel(1200, seed=11)
    r = estimate(sim_spec("lp", proxy="m"), d)
    assert abs(r.params["l"]) < 0.05 < truth.beta_l


def test_op_with_exit_correction_on_unbalanced_panel() -> None:
    sim = simulate.plant_panel(1200, 10, 11, exit=True)
    d, truth = sim.panel, sim.truth
    r = estimate(sim_spec("op", proxy="i", exit_correction=True, n_starts=6), d)
    nt = len(d)
    assert abs(r.params["l"] - truth.beta_l) < C_L / np.sqrt(nt)
    assert abs(r.params["k"] - truth.beta_k) < C_K / np.sqrt(nt)


# --- ACF -------------------------------------------------------------------------------------
# The just-identified ACF moments E[xi_t (l_{t-1}, k_t)] (acf_instruments="prodest") have
# several exact roots on plant_panel data (see agglomeration.tfp.acf): near OLS, about
# (0.87, 0.09), and at beta_k near -2.4, besides the truth; from the default starts they return
# the near-OLS root. The over-identified moments (acf_instruments="lags": l_{t-1}, l_{t-2},
# k_{t-2}, k_t, k_{t-1} and squares/cross product of (k_t, k_{t-1})) reject both.
# ACF is noisier than OP: over seeds 11-18 at 300 and 1,200 plants (16 draws) the RMS of
# |error| * sqrt(NT) was 1.5 for beta_l (max 3.2) and 1.7 for beta_k (max 3.6), so the
# tolerances are C / sqrt(NT) with C about 3.4 RMS: 5 and 6 (0.091 and 0.110 at NT = 3,000;
# 0.046 and 0.055 at NT = 12,000), still far below the distance to the spurious roots
# (0.27 in beta_l, 2.7 in beta_k).
C_L_ACF, C_K_ACF = 5.0, 6.0


@pytest.mark.parametrize("n_plants", [300, 1200])
def test_acf_recovers_true_elasticities(n_plants: int) -> None:
    d, truth = _panel(n_plants, seed=11)
    nt = len(d)
    r = estimate(sim_spec("acf", proxy="m", acf_instruments="lags", n_starts=6), d)
    assert abs(r.params["l"] - truth.beta_l) < C_L_ACF / np.sqrt(nt), r.params
    assert abs(r.params["k"] - truth.beta_k) < C_K_ACF / np.sqrt(nt), r.params


def test_acf_recovers_with_plant_specific_depreciation() -> None:
    # ACF's own DGP has plant-specific depreciation and labour optimisation error (their DGP3)
    sim = simulate.plant_panel(1200, 10, 11, sigma_l_opt=0.3, delta_spread=0.05)
    d, truth = sim.panel, sim.truth
    nt = len(d)
    r = estimate(sim_spec("acf", proxy="m", acf_instruments="lags", n_starts=6), d)
    assert abs(r.params["l"] - truth.beta_l) < C_L_ACF / np.sqrt(nt), r.params
    assert abs(r.params["k"] - truth.beta_k) < C_K_ACF / np.sqrt(nt), r.params


def test_acf_data_ols_biased_upwards_on_labour() -> None:
    d, truth = _panel(1200, seed=11)
    ols = estimate(sim_spec("ols"), d)
    acf = estimate(sim_spec("acf", proxy="m", acf_instruments="lags", n_starts=6), d)
    nt = len(d)
    # OLS overstates beta_l by ~0.27 (0.866 in the exploratory draw), > 5 times C_L_ACF/sqrt(NT)
    assert ols.params["l"] - truth.beta_l > 0.2
    assert abs(acf.params["l"] - truth.beta_l) < C_L_ACF / np.sqrt(nt)


def test_acf_over_identified_moments_reject_the_spurious_roots() -> None:
    # The just-identified moments vanish at the truth, near OLS and near beta_k = -2.4 (see
    # test_tfp_roots). Over-identified: from the near-OLS start the optimiser reaches the
    # truth, and the local minimum near the capital root has a criterion far above the global
    # one (2.37 vs 0.046 in the exploratory draw).
    d, truth = _panel(1200, seed=11)
    cap = np.array([[0.6, -2.4]])
    lags = sim_spec("acf", proxy="m", acf_instruments="lags")
    over_ols = estimate(lags, d, starts=np.array([[0.9, 0.07]]))
    assert abs(over_ols.params["l"] - truth.beta_l) < C_L_ACF / np.sqrt(len(d))
    over_cap = estimate(lags, d, starts=cap)
    assert over_cap.params["k"] < -2
    assert over_cap.objective > 10 * over_ols.objective
    # Hansen's J (8 moments, 2 parameters): chi2(6) 99.9% point is 22.46. Exploratory draw:
    # J = 1.2 at the estimate near the truth, 61 at the capital-root local minimum.
    crit = 22.46
    assert over_ols.extra["hansen_j_df"] == 6
    assert over_ols.extra["hansen_j"] < crit < over_cap.extra["hansen_j"]
