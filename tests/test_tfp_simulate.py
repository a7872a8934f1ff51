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

import numpy as np
import pytest

simulate = pytest.importorskip("agglomeration.simulate")
from agglomeration.tfp import estimate  # noqa: E402

KW = dict(output="y", free="l", state="k", id="plant", time="year")
C_L, C_K = 2.5, 5.0


def _panel(n_plants: int, seed: int):
    sim = simulate.plant_panel(n_plants, 10, seed)
    return sim.panel, sim.truth


@pytest.mark.parametrize("n_plants", [300, 1200])
@pytest.mark.parametrize(("method", "proxy"), [("op", "i"), ("lp", "i"), ("wrdg", "i")])
def test_recovers_true_elasticities(method: str, proxy: str, n_plants: int) -> None:
    d, truth = _panel(n_plants, seed=11)
    nt = len(d)
    r = estimate(d, method, proxy=proxy, n_starts=6, **KW)
    assert abs(r.params["l"] - truth.beta_l) < C_L / np.sqrt(nt), r.params
    assert abs(r.params["k"] - truth.beta_k) < C_K / np.sqrt(nt), r.params


def test_ols_is_biased_upwards_on_the_free_input() -> None:
    d, truth = _panel(1200, seed=11)
    ols = estimate(d, "ols", **KW)
    op = estimate(d, "op", proxy="i", **KW)
    # labour responds to productivity: OLS overstates beta_l by far more than sampling error
    assert ols.params["l"] - truth.beta_l > 0.1
    assert abs(op.params["l"] - truth.beta_l) < 0.02


def test_lp_with_leontief_materials_loses_labour() -> None:
    # Functional dependence (ACF 2015, sec. 3): with m = c + b_l l + b_k k + omega the
    # first stage cannot separate l from phi(k, m), so LP's labour coefficient is ~0.
    d, truth = _panel(1200, seed=11)
    r = estimate(d, "lp", proxy="m", **KW)
    assert abs(r.params["l"]) < 0.05 < truth.beta_l


def test_op_with_exit_correction_on_unbalanced_panel() -> None:
    sim = simulate.plant_panel(1200, 10, 11, exit=True)
    d, truth = sim.panel, sim.truth
    r = estimate(d, "op", proxy="i", exit=True, n_starts=6, **KW)
    nt = len(d)
    assert abs(r.params["l"] - truth.beta_l) < C_L / np.sqrt(nt)
    assert abs(r.params["k"] - truth.beta_k) < C_K / np.sqrt(nt)
