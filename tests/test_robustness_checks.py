"""Specification-curve inference, leave-one-out, permutation placebo, Oster bounds, Conley curve."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from agglomeration.estimation import Spec, Variance, estimate
from agglomeration.report.figures import specification_curve_plot
from agglomeration.robustness import (
    conley_cutoff_curve,
    curve_inference,
    leave_one_out,
    oster_bounds,
    permutation_placebo,
    run_grid,
    specification_curve,
)
from agglomeration.robustness.grid import Grid
from agglomeration.simulate import regional_panel


def panel(beta: float, seed: int) -> pd.DataFrame:
    # errors nearly independent across regions (short spatial range), so that the "states"
    # below (regions taken in turn, not on the map) are valid clusters
    d = regional_panel(
        n_regions=240,
        n_years=5,
        seed=seed,
        beta_density=beta,
        sigma_region_fe=0.0,
        region_fe_density_loading=0.0,
        spatial_range_km=0.0,
    ).panel.copy()
    rng = np.random.default_rng(seed)
    d["state"] = (d["region"] % 24).astype(str)
    d["w1"] = rng.normal(size=len(d))
    d["w2"] = 0.5 * d["log_density"] + rng.normal(size=len(d))
    return d


def small_grid() -> Grid:
    return Grid.from_dict(
        {
            "name": "g",
            "focal": "log_density",
            "base": {
                "outcome": "log_wage",
                "regressors": ["log_density"],
                "fixed_effects": ["year"],
                "variance": {"type": "cluster", "cluster": ["state"]},
            },
            "axes": {
                "controls": {
                    "none": {},
                    "w1": {"controls": ["w1"]},
                    "w2": {"controls": ["w2"]},
                    "both": {"controls": ["w1", "w2"]},
                },
                "fe": {"year": {}, "state_year": {"fixed_effects": ["state^year"]}},
                "sample": {"all": {}, "late": {"sample": "year >= 2002"}},
            },
        }
    )


def test_bootstrap_contributions_match_dense_restricted_regression():
    d = panel(0.04, 1)
    spec = Spec(
        "log_wage",
        ("log_density", "w1"),
        ("year",),
        variance=Variance("cluster", cluster=["state"]),
    )
    res = run_grid([spec], d, focal="log_density", boot_cluster="state", progress=False)
    # brute force with dummies: restricted residuals without log_density, full bread
    dummies = pd.get_dummies(d["year"], dtype=float)
    x_full = np.column_stack([d[["log_density", "w1"]].to_numpy(), dummies.to_numpy()])
    x_r = np.column_stack([d[["w1"]].to_numpy(), dummies.to_numpy()])
    e_r = sm.OLS(d["log_wage"].to_numpy(), x_r).fit().resid
    bread = np.linalg.inv(x_full.T @ x_full)
    codes = pd.factorize(d["state"])[0]
    a = np.array([(bread @ (x_full[codes == g].T @ e_r[codes == g]))[0] for g in range(24)])
    np.testing.assert_allclose(res.boot[spec.id], a, rtol=1e-8, atol=1e-12)


def test_curve_is_sorted_and_carries_the_choices():
    d = panel(0.04, 2)
    res = run_grid(small_grid(), d, boot_cluster="state", progress=False)
    curve = specification_curve(res)
    assert len(curve) == 16 and curve["estimate"].is_monotonic_increasing
    assert {"controls", "fe", "sample"} <= set(curve.columns)
    choices = curve[["spec_id", "controls", "fe", "sample"]]
    fig, data = specification_curve_plot(
        curve[["spec_id", "rank", "estimate", "conf_low", "conf_high"]], choices
    )
    assert len(fig.axes) == 2
    # the drawn ranks are the curve's, and every spec has one mark per axis
    assert data.curve["rank"].tolist() == list(range(1, 17))
    assert (data.indicators.groupby("spec_id").size() == 3).all()


def test_curve_inference_rejects_a_real_effect_and_not_a_null_one():
    strong = run_grid(small_grid(), panel(0.08, 3), boot_cluster="state", progress=False)
    inf = curve_inference(strong, n_boot=400, seed=1).summary.set_index("statistic")
    assert inf.loc["median_estimate", "p_value"] < 0.01
    assert inf.loc["share_significant_positive", "observed"] > 0.9
    null = run_grid(small_grid(), panel(0.0, 3), boot_cluster="state", progress=False)
    ninf = curve_inference(null, n_boot=400, seed=1)
    s = ninf.summary.set_index("statistic")
    # one data set drawn under the null (fixed seed): nothing is significant at 5%
    assert (s["p_value"] > 0.05).all(), s
    # the null draws are centred on zero: mean within 4 Monte Carlo standard errors
    m = ninf.null["median_estimate"]
    assert abs(m.mean()) < 4 * m.std() / np.sqrt(len(m))


def test_leave_one_out_equals_estimate_without_the_group():
    d = panel(0.04, 4)
    spec = Spec(
        "log_wage", ("log_density",), ("year",), variance=Variance("cluster", cluster=["state"])
    )
    loo = leave_one_out(spec, d, by="state")
    assert len(loo) == 25 and (loo["status"] == "ok").all()
    row = loo.set_index("left_out").loc["7"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = estimate(spec, d.loc[d["state"] != "7"]).table.set_index("term").loc["log_density"]
    assert row["estimate"] == pytest.approx(ref["estimate"], rel=1e-10)
    assert row["std_error"] == pytest.approx(ref["std_error"], rel=1e-10)
    assert row["n_obs"] == ref["n_obs"]


def test_permutation_placebo_ranks_a_real_effect_first():
    d = panel(0.1, 5)
    spec = Spec("log_wage", ("log_density",), ("state^year",))
    pp = permutation_placebo(
        spec,
        d,
        column="log_density",
        unit="region",
        within="state",
        n_draws=60,
        seed=2,
        progress=False,
    )
    assert pp.rank == 1 and pp.p_value == pytest.approx(1 / 61)
    b = pp.draws["estimate"]
    assert b.notna().all() and abs(b.mean()) < 4 * b.std() / np.sqrt(len(b))
    again = permutation_placebo(
        spec,
        d,
        column="log_density",
        unit="region",
        within="state",
        n_draws=60,
        seed=2,
        progress=False,
    )
    pd.testing.assert_frame_equal(pp.draws, again.draws)


def test_oster_bounds_recover_the_truth_under_proportional_selection():
    # y = 1.0 x + w1 + w2 + e; x loads equally on w1 and w2 (same variance): observing w1 only,
    # delta = 1 with R_max the R2 of the full regression (Oster 2019, section 3)
    rng = np.random.default_rng(0)
    n = 200_000
    w1, w2 = rng.normal(size=n), rng.normal(size=n)
    x = 0.5 * w1 + 0.5 * w2 + rng.normal(size=n)
    y = 1.0 * x + w1 + w2 + rng.normal(size=n)
    d = pd.DataFrame({"y": y, "x": x, "w1": w1, "w2": w2, "g": rng.integers(0, 5, n)})
    full = sm.OLS(y, sm.add_constant(np.column_stack([x, w1, w2]))).fit()
    spec = Spec("y", ("x", "w1"), ("g",))
    ob = oster_bounds(spec, d, controls=["w1"], r_max=float(full.rsquared))
    short = sm.OLS(y, sm.add_constant(x)).fit()
    assert ob.beta_short == pytest.approx(short.params[1], abs=0.01)  # the g effects are null
    assert ob.beta_long < ob.beta_short
    assert ob.beta_adjusted == pytest.approx(1.0, abs=0.03)
    assert ob.delta_for_zero > 1.0
    # delta_for_zero is the delta at which the adjusted coefficient is zero
    at0 = oster_bounds(
        spec, d, controls=["w1"], r_max=float(full.rsquared), delta=ob.delta_for_zero
    )
    assert at0.beta_adjusted == pytest.approx(0.0, abs=1e-10)


def test_conley_curve_rows_equal_estimate():
    d = panel(0.04, 6)
    spec = Spec(
        "log_wage", ("log_density",), ("year",), variance=Variance("cluster", cluster=["state"])
    )
    t = conley_cutoff_curve(spec, d, cutoffs_km=(50, 200, 800))
    assert list(t["variance_type"]) == ["conley"] * 3 + ["hetero", "cluster"]
    for c in (50, 800):
        v = Variance("conley", cutoff_km=c, time="year")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = estimate(spec.with_variance(v), d).table.set_index("term").loc["log_density"]
        row = t.loc[t["cutoff_km"] == c].iloc[0]
        assert row["std_error"] == pytest.approx(ref["std_error"], rel=1e-10)
