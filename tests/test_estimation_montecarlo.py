"""Coverage of Conley intervals on simulated spatially correlated data (slow: 5-10 min)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "analysis" / "montecarlo_conley.py"


def load_script():
    spec = importlib.util.spec_from_file_location("montecarlo_conley", SCRIPT)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.slow
def test_conley_covers_and_iid_cluster_undercover():
    # 500 replications of the design in analysis/montecarlo_conley.py (truth: beta = 0.04), with
    # the script's seed, so this reruns the committed table analysis/montecarlo_conley_coverage.csv.
    # Monte Carlo standard error of a 95% coverage rate: sqrt(.95 * .05 / 500) = 0.0097, so
    # the band 93-97% is about +-2 MC standard errors around the nominal rate. In this
    # design Conley coverage is about 1 point below nominal (finite-sample downward bias of the
    # HAC variance; rms SE / SD about 0.93 +- 0.03), so another seed can fall just below 93%.
    mc = load_script()
    table = mc.summarise(mc.replications(500, seed=mc.DEFAULT_SEED)).set_index("variance")
    conley = [v for v in table.index if v.startswith("conley") and "uniform" in v]
    assert len(conley) == 2
    for v in conley:
        assert 0.93 <= table.loc[v, "coverage"] <= 0.97, table.loc[v].to_dict()
    for v in ("iid", "hetero (HC1)", "cluster(region)"):
        # undercoverage: at least 5 points below nominal (observed in the design: ~65%)
        assert table.loc[v, "coverage"] < 0.90, table.loc[v].to_dict()
    # the estimator itself is unbiased: mean within 4 MC standard errors of the truth
    est = table.iloc[0]
    assert abs(est.mean_estimate - est.truth) < 4 * est.sd_estimate / 500**0.5


@pytest.mark.slow
def test_serial_design_needs_serial_or_state_clustered_errors():
    # Design serial_county_effects (AR(1) 0.6 spatial errors plus county effects): errors of a
    # county, and of its neighbours, are correlated across years. 200 replications, MC s.e. of
    # a coverage rate about 0.025 at 80%. Committed 500-replication table: within-year Conley
    # ~57%, serial Conley (Bartlett, 20 lags) ~85%, cluster by state (33 boxes) ~92%.
    mc = load_script()
    reps = mc.replications(200, seed=mc.DEFAULT_SEED, design="serial_county_effects")
    table = mc.summarise(reps).set_index("variance")
    within = table.loc["conley(182.3 km, uniform)", "coverage"]
    serial = table.loc["conley(182.3 km, uniform, serial lags 20)", "coverage"]
    state = table.loc["cluster(state)", "coverage"]
    assert within < 0.75
    assert serial > within + 0.15
    assert state > 0.88
    est = table.iloc[0]
    assert abs(est.mean_estimate - est.truth) < 4 * est.sd_estimate / 200**0.5
