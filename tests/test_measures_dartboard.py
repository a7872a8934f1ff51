"""EG gamma under the dartboard null of agglomeration.simulate (EG 1997: E[gamma] = 0)."""

from __future__ import annotations

import numpy as np
import pandas as pd

import agglomeration.measures as m
from agglomeration.simulate import dartboard, dartboard_region_industry

KW = {"region": "region", "industry": "industry", "value": "employment"}


def _gammas(plant_size: str, seed: int, n_industries: int = 1500) -> tuple[pd.DataFrame,
                                                                            pd.DataFrame]:
    rng = np.random.default_rng(seed)
    sizes = rng.lognormal(0.0, 1.0, 40)
    plants = dartboard(sizes, 30, rng, n_industries=n_industries, plant_size=plant_size)
    cells = dartboard_region_industry(plants, len(sizes))
    ph = m.plant_herfindahl(plants, industry="industry", value="employment").table
    g = m.ellison_glaeser_gamma(cells, **KW, plant_herfindahl=ph).table
    return g, cells


def test_mean_gamma_is_zero_under_dartboard() -> None:
    g, _ = _gammas("lognormal", seed=11)
    n = len(g)
    mean = g["gamma"].mean()
    se = g["gamma"].std(ddof=1) / np.sqrt(n)
    # EG (1997): E[gamma] = 0 when plants land with the region-size probabilities. The mean
    # over n independent industries has standard error sd/sqrt(n); 4 SE bounds a false alarm
    # at ~6e-5. (Estimating x_r from the aggregate instead of the true probabilities biases
    # gamma by O(H/n_industries), far below the SE here.)
    assert abs(mean) < 4 * se, (mean, se)
    # power: ignoring H (H = 0) must show spurious agglomeration of about mean(H) > 0
    g0 = m.ellison_glaeser_gamma(_gammas("lognormal", seed=11)[1], **KW).table
    assert g0["gamma"].mean() > 10 * se
    assert abs(g0["gamma"].mean() - g["H"].mean()) < 4 * se * 2


def test_mean_gamma_zero_with_heavy_tailed_plants() -> None:
    g, _ = _gammas("pareto", seed=12)
    se = g["gamma"].std(ddof=1) / np.sqrt(len(g))
    assert abs(g["gamma"].mean()) < 4 * se


def test_equal_size_approximation_exact_for_equal_plants_and_lower_bound_otherwise() -> None:
    rng = np.random.default_rng(3)
    sizes = rng.lognormal(0.0, 1.0, 25)
    for plant_size in ("constant", "lognormal"):
        plants = dartboard(sizes, 20, rng, n_industries=200, plant_size=plant_size)
        cells = dartboard_region_industry(plants, len(sizes))
        true_h = m.plant_herfindahl(plants, industry="industry", value="employment").table
        approx = m.plant_herfindahl_from_counts(cells, industry="industry",
                                                establishments="n_plants",
                                                value="employment", region="region").table
        if plant_size == "constant":
            # all plants equal: sum_c n_c (E_c/(n_c E))^2 = sum_c n_c (1/N)^2 = 1/N = true H
            np.testing.assert_allclose(approx["herfindahl"], true_h["herfindahl"], rtol=1e-12)
        else:
            # equal sizes minimise sum z^2 given cell totals: approximation <= truth
            assert (approx["herfindahl"] <= true_h["herfindahl"] + 1e-15).all()
            assert (approx["herfindahl"] >= approx["herfindahl_equal_size"] - 1e-15).all()
            assert (approx["herfindahl"] < true_h["herfindahl"]).mean() > 0.9
