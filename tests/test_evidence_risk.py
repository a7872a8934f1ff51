"""The `risk` step: shift-share regressions with AKM inference on simulated regions.

Checks against independent truths: the simulated slope (``beta_hat`` is exactly normal around
``beta`` with the variance ``truth.ols_variance`` given shares and shocks, so the mean of many
redraws must lie within a few of its standard errors), the exact standard deviation of the
slope (AKM must be close to it where EHW is not), and pyfixest through
:func:`agglomeration.estimation.estimate` for the coefficient and the EHW (HC1) standard error.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from agglomeration.errors import DataIntegrityError, InputError, SpecError
from agglomeration.estimation import Hetero, Spec, estimate, load_specs
from agglomeration.estimation.result import REGISTRY_COLUMNS
from agglomeration.simulate import shift_share_regions

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "analysis"))

import risk  # noqa: E402

BETA = 0.7


def _tables(sim, *, control_seed: int = 1):
    """Panel, share and shock tables of a simulated draw, shaped like the build's."""
    rng = np.random.default_rng(control_seed)
    reg = sim.regions
    panel = pd.DataFrame(
        {
            "region": reg["region"].astype(str),
            "y": reg["y"],
            "exposure": reg["exposure"],
            "size": rng.normal(size=len(reg)),
            "group": (reg["region"] % 7).astype(str),
        }
    )
    shares = sim.shares.loc[sim.shares["share"] > 0].assign(
        region=lambda d: d["region"].astype(str), industry=lambda d: "i" + d["industry"].astype(str)
    )
    shocks = sim.industries.assign(industry=lambda d: "i" + d["industry"].astype(str))
    shocks["block"] = shocks["industry"].str[-1]
    return panel, shares[["region", "industry", "share"]], shocks[["industry", "shock", "block"]]


def _spec(**kw) -> risk.ShiftShareSpec:
    base = {
        "outcome": "y",
        "exposure": "exposure",
        "data": "sim",
        "region": "region",
        "shares": "sim_shares",
        "shocks": "sim_shocks",
    }
    return risk.ShiftShareSpec(**{**base, **kw})


# ---------------------------------------------------------------------------- recovery
def test_one_draw_recovers_beta_within_four_exact_sds():
    """``beta_hat - beta ~ N(0, v)`` exactly given the design: |error| < 4 sqrt(v)."""
    sim = shift_share_regions(1000, 40, seed=5, beta=BETA, share_sum=(1.0, 1.0))
    panel, shares, shocks = _tables(sim)
    res, _ = risk.fit(_spec(), panel, shares, shocks)
    assert abs(res.estimate - BETA) < 4 * np.sqrt(sim.truth.ols_variance)
    assert res.n_regions == 1000 and res.n_industries == 40


@pytest.mark.slow
def test_akm_regression_recovers_beta_and_its_exact_sd():
    """Redraw only the errors 60 times around fixed shares and shocks (a fixed design).

    ``beta_hat - beta ~ N(0, v)`` exactly, v = ``truth.ols_variance``: the mean of 60 draws lies
    within 4 sqrt(v / 60) of beta. AKM targets sqrt(v) (its mean over draws within 20% of it)
    while EHW, blind to the correlation through industry mixes, stays far below it.
    """
    first = shift_share_regions(
        800, 40, seed=3, beta=BETA, share_sum=(1.0, 1.0), sigma_nu=1.0, sigma_eps=0.3
    )
    w, g = first.truth.shares, first.truth.shocks
    est, akm, ehw = [], [], []
    for k in range(60):
        sim = shift_share_regions(
            800, 40, seed=100 + k, beta=BETA, shares=w, shocks=g, sigma_nu=1.0, sigma_eps=0.3
        )
        panel, shares, shocks = _tables(sim)
        res, dropped = risk.fit(_spec(), panel, shares, shocks)
        assert dropped == []
        table = res.inference_table().set_index("variance")
        est.append(res.estimate)
        akm.append(table.loc["akm", "std_error"])
        ehw.append(table.loc["hetero", "std_error"])
    sd = np.sqrt(first.truth.ols_variance)
    assert abs(np.mean(est) - BETA) < 4 * sd / np.sqrt(60)
    assert np.mean(akm) == pytest.approx(sd, rel=0.2)
    assert np.mean(ehw) < 0.6 * sd


# ------------------------------------------------------------------- against pyfixest
@pytest.fixture(scope="module")
def sim_tables():
    sim = shift_share_regions(600, 30, seed=7, beta=BETA, share_sum=(1.0, 1.0))
    return _tables(sim)


def test_estimate_and_hc1_equal_estimate_without_fixed_effects(sim_tables):
    panel, shares, shocks = sim_tables
    spec = _spec(controls=("size",), variance="hetero")
    res, _ = risk.fit(spec, panel, shares, shocks)
    ref = estimate(Spec("y", ("exposure", "size"), variance=Hetero()), panel)
    assert res.estimate == pytest.approx(ref.params["exposure"], abs=1e-10)
    assert res.std_errors.iloc[0] == pytest.approx(ref.std_errors["exposure"], rel=1e-8)


def test_estimate_equals_estimate_with_fixed_effects_and_drops_singletons(sim_tables):
    panel, shares, shocks = sim_tables
    panel = panel.copy()
    panel.loc[0, "group"] = "lonely"  # a singleton group: dropped, as estimate() drops it
    panel.loc[1, "y"] = np.nan
    spec = _spec(controls=("size",), fixed_effects=("group",))
    res, dropped = risk.fit(spec, panel, shares, shocks)
    assert dict(dropped) == {"missing y": 1, "singleton in fixed effect(s) group": 1}
    ref = estimate(Spec("y", ("exposure", "size"), fixed_effects=("group",)), panel)
    assert ref.n_obs == res.n_regions == len(panel) - 2
    assert res.estimate == pytest.approx(ref.params["exposure"], abs=1e-10)


def test_registry_rows_have_the_estimates_columns(sim_tables):
    panel, shares, shocks = sim_tables
    specs = [
        _spec(controls=("size",), variance=v, name="sim") for v in ("akm", "akm0", "hetero")
    ]
    res, _ = risk.fit(specs[0], panel, shares, shocks)
    rows = risk.registry_rows(specs, res)
    assert list(rows.columns[: len(REGISTRY_COLUMNS)]) == list(REGISTRY_COLUMNS)
    assert rows["variance_type"].tolist() == ["akm", "akm0", "hetero"]
    assert rows["spec_id"].is_unique
    assert (rows["estimate"] == res.estimate).all()
    akm = rows.set_index("variance_type")
    assert akm.loc["akm", "std_error"] == pytest.approx(res.se_akm, rel=1e-12)
    # AKM0's statistic imposes beta = 0 in the residual: its p-value is that test's
    assert akm.loc["akm0", "p_value"] == pytest.approx(res.test(0.0, "akm0"), rel=1e-12)
    lo, hi = res.akm0_interval(0.95)[:2]
    assert (akm.loc["akm0", "conf_low"], akm.loc["akm0", "conf_high"]) == (lo, hi)


def test_industry_clusters_are_passed_through(sim_tables):
    panel, shares, shocks = sim_tables
    res, _ = risk.fit(_spec(industry_cluster="block"), panel, shares, shocks)
    assert res.n_clusters == shocks["block"].nunique()
    one = shocks.assign(block=shocks["industry"])  # one industry per cluster = no clustering
    plain, _ = risk.fit(_spec(), panel, shares, shocks)
    same, _ = risk.fit(_spec(industry_cluster="block"), panel, shares, one)
    assert same.se_akm == pytest.approx(plain.se_akm, rel=1e-12)


# ----------------------------------------------------------------------------- bad input
def test_exposure_that_differs_from_shares_times_shocks_is_refused(sim_tables):
    panel, shares, shocks = sim_tables
    bad = panel.copy()
    bad.loc[5, "exposure"] += 0.01
    with pytest.raises(DataIntegrityError, match=r"region 5\b"):
        risk.fit(_spec(), bad, shares, shocks)


def test_region_with_shares_above_one_is_named(sim_tables):
    panel, shares, shocks = sim_tables
    bad = shares.copy()
    bad.loc[bad["region"].eq("11"), "share"] *= 1.5
    with pytest.raises(InputError, match=r"more than 1.*'11'"):
        risk.fit(_spec(), panel, bad, shocks)
    neg = shares.copy()
    neg.loc[neg.index[neg["region"].eq("12")][0], "share"] = -0.1
    with pytest.raises(InputError, match=r"non-negative.*'12'"):
        risk.fit(_spec(), panel, neg, shocks)


def test_akm_refuses_more_industries_than_regions():
    sim = shift_share_regions(30, 40, seed=1, share_sum=(1.0, 1.0))
    panel, shares, shocks = _tables(sim)
    with pytest.raises(SpecError, match="40 industries for 30 regions"):
        risk.fit(_spec(), panel, shares, shocks)
    res, _ = risk.fit(_spec(variance="hetero"), panel, shares, shocks)  # EHW does not need it
    assert np.isfinite(res.estimate)


# ------------------------------------------------------------------------ specs and ids
def test_spec_ids_ignore_the_name_and_differ_by_variance():
    t = {
        "name": "a",
        "outcome": "y",
        "exposure": "exposure",
        "data": "sim",
        "region": "region",
        "shares": "s",
        "shocks": "g",
        "controls": ["size"],
        "variances": ["akm", "akm0", "hetero"],
    }
    specs = risk.ShiftShareSpec.from_table(t)
    assert len({s.id for s in specs}) == 3
    renamed = risk.ShiftShareSpec.from_table({**t, "name": "b"})
    assert [s.id for s in renamed] == [s.id for s in specs]
    reordered = risk.ShiftShareSpec.from_table(dict(reversed(list(t.items()))))
    assert [s.id for s in reordered] == [s.id for s in specs]
    other = risk.ShiftShareSpec.from_table({**t, "controls": ["size", "z"]})
    assert not {s.id for s in other} & {s.id for s in specs}
    with pytest.raises(SpecError, match="unknown field.*'instrument'"):
        risk.ShiftShareSpec.from_table({**t, "instrument": "x"})
    with pytest.raises(SpecError, match="variance must be one of"):
        risk.ShiftShareSpec.from_table({**t, "variances": ["cluster"]})
    with pytest.raises(SpecError, match="industry_cluster applies to AKM"):
        risk.ShiftShareSpec.from_table({**t, "industry_cluster": "b"})


def test_project_spec_file_is_read_by_both_loaders():
    """load_specs reads the [[spec]] tables of risk.toml and ignores [[shift_share]]."""
    path = ROOT / "analysis" / "specs" / "risk.toml"
    with path.open("rb") as fh:
        doc = tomllib.load(fh)
    regs = load_specs(path)
    n_var = sum(len(t.get("variances", [t.get("variance")])) for t in doc["spec"])
    assert len(regs) == n_var and all(s.name.startswith("risk_") for s in regs)
    ss = risk.load_shift_share_specs(path)
    assert len(ss) == sum(len(t["variances"]) for t in doc["shift_share"])
    assert len({s.id for s in ss}) == len(ss)


# ------------------------------------------------------------------------------ the step
def test_main_writes_registry_and_drops(sim_tables, tmp_path, monkeypatch):
    panel, shares, shocks = sim_tables
    panels = tmp_path / "panels"
    panels.mkdir()
    panel.to_parquet(panels / "sim.parquet")
    shares.to_parquet(panels / "sim_shares.parquet")
    shocks.to_parquet(panels / "sim_shocks.parquet")
    spec_file = tmp_path / "risk.toml"
    spec_file.write_text(
        '[[shift_share]]\nname = "sim"\ndata = "sim"\nregion = "region"\n'
        'shares = "sim_shares"\nshocks = "sim_shocks"\noutcome = "y"\nexposure = "exposure"\n'
        'controls = ["size"]\nsample = "size < 2"\nvariances = ["akm", "akm0", "hetero"]\n'
    )
    monkeypatch.setattr(risk, "SPEC_FILE", spec_file)
    monkeypatch.setattr(risk, "PANELS", panels)
    monkeypatch.setattr(risk, "ESTIMATES", tmp_path / "estimates")
    risk.main([])
    out = pd.read_csv(tmp_path / "estimates" / "risk.csv")
    assert len(out) == 3 and set(out["variance_type"]) == {"akm", "akm0", "hetero"}
    n_out = int((panel["size"] >= 2).sum())
    assert (out["n_obs"] == len(panel) - n_out).all()
    drops = pd.read_csv(tmp_path / "estimates" / "risk_dropped.csv")
    assert set(drops["rows"]) == {n_out} and len(drops) == 3
