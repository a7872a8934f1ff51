"""The related-growth specs recover known effects from simulated data.

`agglomeration.simulate.related_industry_growth` draws region x industry growth with known
convergence (``b_own``) and related-employment (``b_rel``) effects and region and industry
effects. Two periods are drawn (the same relatedness, fresh effects and errors each period),
stacked and named like the state_growth panel, and the main spec of
analysis/specs/related_growth.toml (its outcome, regressors and industry x period and state x
period fixed effects, as read from the file) is estimated with `agglomeration.estimate`.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from agglomeration import estimate
from agglomeration.estimation import Cluster, Spec, load_specs
from agglomeration.simulate import related_industry_growth

SPECS = Path(__file__).resolve().parents[1] / "analysis" / "specs" / "related_growth.toml"
N_REGIONS = 400
N_INDUSTRIES = 60  # the real panel has 60 industries with traded-cluster employment
B_OWN, B_REL = -0.3, 0.2  # near the real estimates


def _specs() -> dict[str, Spec]:
    return {s.name: s for s in load_specs(SPECS)}


def test_spec_file_declares_every_measure_and_variance():
    specs = load_specs(SPECS)
    names = {s.name for s in specs}
    for m in ("colocation", "input_output", "occupation"):
        assert {f"rg_{m}", f"rg_{m}_weighted", f"rg_{m}_placebo",
                f"rg_{m}_2001_2010", f"rg_{m}_2010_2019"} <= names
    assert all(s.data == "state_growth" and s.outcome == "growth" for s in specs)
    main = [s for s in specs if s.name == "rg_input_output"]
    assert [v.label for v in (s.variance for s in main)] == [
        "cluster(state_fips)", "conley(500 km, uniform)", "conley(1000 km, uniform)"
    ]
    assert all(getattr(s.variance, "time", "period") == "period" for s in specs)
    assert all(not getattr(s.variance, "lags", None) for s in specs)


@pytest.fixture(scope="module")
def simulated() -> pd.DataFrame:
    first = related_industry_growth(
        N_REGIONS, N_INDUSTRIES, 20140, b_own=B_OWN, b_rel=B_REL, mean_related=6.0
    )
    second = related_industry_growth(
        N_REGIONS, N_INDUSTRIES, 20141, b_own=B_OWN, b_rel=B_REL,
        relatedness=first.truth.relatedness,
    )
    frames = []
    for sim, period in ((first, "2001-2010"), (second, "2010-2019")):
        d = sim.data
        frames.append(
            pd.DataFrame(
                {
                    "state_fips": d["region"].astype(str).str.zfill(3),
                    "industry": d["industry"].astype(str),
                    "period": period,
                    "growth": d["log_growth"],
                    "log_employment_start": d["log_employment_0"],
                    "log_related_employment_input_output_top10_start": d[
                        "log_related_employment_0"
                    ],
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def test_main_spec_recovers_convergence_and_related_employment(simulated):
    spec = _specs()["rg_input_output"]
    res = estimate(spec.with_variance(Cluster(cluster=("state_fips",))), simulated)
    n = res.n_obs
    assert n == 2 * N_REGIONS * N_INDUSTRIES
    rel = "log_related_employment_input_output_top10_start"
    # c / sqrt(N), N = 48,000, with c = 0.5 (b_own) and 1.0 (b_rel): about 5 times the
    # region-clustered standard errors (sqrt(N) * SE is about 0.106 and 0.20 in this design,
    # over seeds 1-3 and 20140), so a bias of that size fails
    for term, truth, c in (("log_employment_start", B_OWN, 0.5), (rel, B_REL, 1.0)):
        tol = c / np.sqrt(n)
        assert abs(res.params[term] - truth) < tol, (term, res.params[term], truth, tol)
        assert 3 * res.std_errors[term] < tol < 8 * res.std_errors[term], (
            term, tol, res.std_errors[term]
        )


def test_without_period_interactions_the_effects_are_biased(simulated):
    """The fixed effects matter: region and industry effects differ across the two draws."""
    spec = _specs()["rg_input_output"]
    pooled = replace(spec, fixed_effects=(), variance=Cluster(cluster=("state_fips",)))
    full = estimate(spec.with_variance(Cluster(cluster=("state_fips",))), simulated)
    res = estimate(pooled, simulated)
    term = "log_employment_start"
    assert abs(res.params[term] - B_OWN) > 5 * full.std_errors[term]
