"""Tests for agglomeration.tfp: published values, hand-computed cases, bad input, bootstrap."""

from __future__ import annotations

import warnings
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from agglomeration.errors import ColumnTypeError, InputError, SpecError
from agglomeration.tfp import ConvergenceError, TFPSpec, estimate
from agglomeration.tfp._common import lag_index, poly_terms, prepare_panel
from agglomeration.tfp._multistart import solve_multistart
from agglomeration.tfp.bootstrap import resample_plants


def prodest_published(method: str) -> dict[str, float]:
    """Published prodest estimates (tests/reference/prodest_chilean.csv, with citations)."""
    ref = pd.read_csv(Path(__file__).parent / "reference" / "prodest_chilean.csv")
    rows = ref.loc[ref["method"].eq(method)]
    return dict(zip(rows["term"], rows["value"].astype(float), strict=True))


KW: dict[str, Any] = dict(
    output="Y", free=("fX1", "fX2"), state=("sX",), unit="idvar", time="timevar"
)


def chile(method: str, **kw: Any) -> TFPSpec:
    """A spec on the Chilean plants (column names of prodest's data)."""
    return TFPSpec(method=method, **{**KW, **kw})  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def chilean(raw_dir: Path) -> pd.DataFrame:
    return pd.read_csv(raw_dir / "prodest_chilean.csv")


# --- published values (prodest vignette, Rovigatti & Mollisi 2018) -----------------------
# prodest's first stage is a full 2nd-degree polynomial (its `~ .^2` formula plus squares)
# and its law of motion is a cubic in omega_{t-1}: poly_degree=2, markov_degree=3.


def test_olley_pakes_matches_prodest(chilean: pd.DataFrame) -> None:
    r = estimate(chile("op", proxy="inv", poly_degree=2), chilean)
    published = prodest_published("op")
    for term, value in published.items():
        assert abs(r.params[term] - value) < 0.01, (term, r.params[term])
    # every start converges to the same optimum on these data
    conv = r.starts[r.starts["converged"]]
    assert len(conv) == len(r.starts)
    assert conv["sX"].max() - conv["sX"].min() < 1e-4


def test_levinsohn_petrin_matches_prodest(chilean: pd.DataFrame) -> None:
    r = estimate(chile("lp", proxy="pX", poly_degree=2), chilean)
    published = prodest_published("lp")
    for term, value in published.items():
        assert abs(r.params[term] - value) < 0.01, (term, r.params[term])


def test_first_stage_free_coefficients_equal_ols_with_polynomial(chilean: pd.DataFrame) -> None:
    # Second engine: statsmodels OLS of Y on fX1, fX2 and the degree-2 polynomial in (sX, pX).
    import statsmodels.formula.api as smf

    f = "Y ~ fX1 + fX2 + sX + pX + I(sX**2) + I(sX*pX) + I(pX**2)"
    sm = smf.ols(f, data=chilean).fit()
    r = estimate(chile("lp", proxy="pX", poly_degree=2), chilean)
    assert abs(r.params["fX1"] - sm.params["fX1"]) < 1e-8
    assert abs(r.params["fX2"] - sm.params["fX2"]) < 1e-8


def test_ols_and_fe_against_statsmodels(chilean: pd.DataFrame) -> None:
    import statsmodels.formula.api as smf

    ols = smf.ols("Y ~ fX1 + fX2 + sX", data=chilean).fit()
    fe = smf.ols("Y ~ fX1 + fX2 + sX + C(idvar)", data=chilean).fit()
    r_ols = estimate(chile("ols"), chilean)
    r_fe = estimate(chile("fe"), chilean)
    for t in ("fX1", "fX2", "sX"):
        assert abs(r_ols.params[t] - ols.params[t]) < 1e-8
        assert abs(r_fe.params[t] - fe.params[t]) < 1e-8
    # 91 plants observed once carry no within variation: reported, not silently lost
    assert (r_fe.dropped["reason"].str.contains("observed once")).sum() == 91


def test_log_tfp_and_dispersion(chilean: pd.DataFrame) -> None:
    r = estimate(chile("lp", proxy="pX", poly_degree=2), chilean)
    expected = chilean["Y"] - chilean[["fX1", "fX2", "sX"]].to_numpy() @ r.params.to_numpy()
    np.testing.assert_allclose(r.tfp.to_numpy(), expected.to_numpy(), atol=1e-12)
    q90, q10 = np.quantile(expected, [0.9, 0.1])
    assert abs(r.tfp_ratio_90_10() - np.exp(q90 - q10)) < 1e-12


# --- hand-computed building blocks ------------------------------------------------------


def test_lag_index_respects_gaps() -> None:
    # plant 0: 2000, 2001, 2003 -> lags: none, row 0, none (2002 missing)
    # plant 1: 2000, 2001      -> lags: none, row 3
    plant = np.array([0, 0, 0, 1, 1])
    time = np.array([2000, 2001, 2003, 2000, 2001])
    np.testing.assert_array_equal(lag_index(plant, time), [-1, 0, -1, -1, 3])


def test_prepare_panel_sorts_and_lags_by_time_not_row_order() -> None:
    df = pd.DataFrame(
        {
            "id": ["b", "a", "a", "a"],
            "t": [1, 3, 1, 2],
            "y": [1.0, 2.0, 3.0, 4.0],
            "l": 0.0,
            "k": 0.0,
            "m": 0.0,
        }
    )
    p = prepare_panel(df, output="y", free="l", state="k", proxy="m", unit="id", time="t")
    # sorted: a1 (y=3), a2 (y=4), a3 (y=2), b1 (y=1)
    np.testing.assert_array_equal(p.y, [3.0, 4.0, 2.0, 1.0])
    np.testing.assert_array_equal(lag_index(p.plant, p.time), [-1, 0, 1, -1])


def test_poly_terms_degree2_by_hand() -> None:
    x = np.array([[2.0, 3.0]])
    # a, b, a^2, ab, b^2 = 2, 3, 4, 6, 9
    np.testing.assert_array_equal(poly_terms(x, 2), [[2.0, 3.0, 4.0, 6.0, 9.0]])
    # number of monomials of degree 1..3 in 4 variables: C(7, 3) - 1 = 34
    assert poly_terms(np.ones((1, 4)), 3).shape[1] == 34


def test_multistart_picks_lowest_objective_deterministically() -> None:
    # r(x) = ((x^2 - 1), sqrt(0.1) (x - 1)): r'r = (x^2 - 1)^2 + 0.1 (x - 1)^2 has minima
    # near -1 (f ~ 0.4) and at 1 (f = 0).
    def r(x: np.ndarray) -> np.ndarray:
        return np.array([x[0] ** 2 - 1, np.sqrt(0.1) * (x[0] - 1)])

    for optimizer in ("least_squares", "BFGS", "Nelder-Mead"):
        res = solve_multistart(r, np.array([[-1.5], [2.0], [-0.8]]), ["x"], optimizer=optimizer)
        assert res.best_start == 1
        assert abs(res.x[0] - 1.0) < 1e-5
        assert res.starts["objective"].iloc[0] > 0.3  # the start that found the other minimum
        # two distinct minima, the global one first; starts 0 and 2 reach the other one
        assert len(res.solutions) == 2
        assert list(res.solutions["n_starts"]) == [1, 2]


def test_convergence_failure_raises() -> None:
    def r(x: np.ndarray) -> np.ndarray:
        return np.array([np.nan, np.nan])

    with pytest.raises(ConvergenceError, match="failed to converge from all 2"):
        solve_multistart(r, np.array([[0.0], [1.0]]), ["x"])


# --- bad input --------------------------------------------------------------------------


def _small() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 60
    return pd.DataFrame(
        {
            "id": np.repeat(np.arange(12), 5),
            "t": np.tile(np.arange(5), 12),
            "y": rng.normal(size=n),
            "l": rng.normal(size=n),
            "k": rng.normal(size=n),
            "m": rng.normal(size=n),
        }
    )


SMALL: dict[str, Any] = dict(
    output="y", free=("l",), state=("k",), proxy="m", unit="id", time="t"
)


def small(method: str, **kw: Any) -> TFPSpec:
    return TFPSpec(method=method, **{**SMALL, **kw})  # type: ignore[arg-type]


def test_missing_proxy_value_is_an_error() -> None:
    df = _small()
    df.loc[3, "m"] = np.nan
    with pytest.raises(InputError, match=r"'m' has 1 missing"):
        estimate(small("lp"), df)


def test_non_numeric_proxy_is_an_error() -> None:
    df = _small()
    df["m"] = df["m"].astype(str)
    with pytest.raises(ColumnTypeError, match=r"'m' must be numeric"):
        estimate(small("lp"), df)


def test_missing_proxy_argument_is_an_error() -> None:
    with pytest.raises(SpecError, match="needs a proxy"):
        small("acf", proxy=None)


def test_duplicate_keys_are_an_error() -> None:
    df = pd.concat([_small(), _small().iloc[[0]]], ignore_index=True)
    with pytest.raises(InputError, match=r"2 rows share a duplicated"):
        estimate(small("op"), df)


def test_unknown_method_and_bad_options() -> None:
    with pytest.raises(SpecError, match="method must be one of"):
        small("gmm")
    with pytest.raises(SpecError, match="exit_correction=True"):
        small("acf", exit_correction=True)
    with pytest.raises(SpecError, match="n_boot must be 0"):
        small("ols", n_boot=1)


def test_plant_observed_once_is_reported(chilean: pd.DataFrame) -> None:
    r = estimate(chile("lp", proxy="pX", poly_degree=2), chilean)
    once = r.dropped[r.dropped["reason"].str.startswith("plant observed once")]
    counts = chilean.groupby("idvar").size()
    assert set(once["unit"]) == set(counts[counts == 1].index)
    assert len(once) == 91
    # second stage = rows whose previous year is observed
    d = chilean.sort_values(["idvar", "timevar"])
    has_lag = (d.groupby("idvar")["timevar"].diff() == 1).sum()
    assert r.n_second_stage == has_lag == 1944


# --- bootstrap --------------------------------------------------------------------------


def test_resample_plants_keeps_blocks_and_new_ids() -> None:
    kw = {k: v for k, v in SMALL.items()}
    p = prepare_panel(_small(), **kw)
    b = resample_plants(p, np.random.default_rng(3))
    assert b.n == p.n  # balanced panel: 12 plants x 5 years
    for g in np.unique(b.plant):
        rows = b.row[b.plant == g]
        assert len(set(p.plant[rows])) == 1  # one original plant per new id
        np.testing.assert_array_equal(b.time[b.plant == g], np.arange(5))


def test_bootstrap_seeded_and_independent_of_workers(chilean: pd.DataFrame) -> None:
    spec = chile("lp", proxy="pX", poly_degree=2, n_boot=6, seed=7)
    a = estimate(spec, chilean, n_jobs=1)
    b = estimate(spec, chilean, n_jobs=2)
    assert a.boot_params is not None and b.boot_params is not None
    np.testing.assert_allclose(a.boot_params.to_numpy(), b.boot_params.to_numpy(), atol=1e-10)
    assert a.n_boot_failed == 0
    # Wald test of CRS uses the bootstrap variance of the sum of elasticities
    t = a.crs_test()
    var = a.boot_params.sum(axis=1).var(ddof=1)
    assert abs(t["wald"] - (a.returns_to_scale - 1) ** 2 / var) < 1e-10
    tidy = a.tidy()
    assert list(tidy["term"]) == ["fX1", "fX2", "sX", "returns_to_scale"]
    # shared interface: SE = sd of the draws; normal intervals; p-values from the normal
    sd = a.boot_params.std(ddof=1)
    np.testing.assert_allclose(tidy["std_error"].iloc[:3], sd.to_numpy(), rtol=1e-12)
    z = 1.959963984540054
    np.testing.assert_allclose(tidy["conf_high"] - tidy["estimate"], z * tidy["std_error"], rtol=1e-9)
    from scipy import stats

    p = 2 * stats.norm.sf(np.abs(a.params / sd))
    np.testing.assert_allclose(a.pvalues.to_numpy(), p, rtol=1e-12)
    assert set(tidy["spec_id"]) == {spec.id}
    assert list(tidy.columns[:7]) == [
        "term", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"
    ]


def test_no_bootstrap_gives_nan_standard_errors(chilean: pd.DataFrame) -> None:
    r = estimate(chile("ols"), chilean)
    assert r.std_errors.isna().all() and list(r.std_errors.index) == ["fX1", "fX2", "sX"]
    assert r.conf_int(0.9).isna().all().all()
    with pytest.raises(InputError, match="n_boot"):
        r.crs_test()
    text = r.summary()
    assert "OLS production function" in text and "no standard errors" in text


def test_result_is_frozen(chilean: pd.DataFrame) -> None:
    import dataclasses

    r = estimate(chile("ols"), chilean)
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.objective = 1.0  # type: ignore[misc]


def test_acf_instruments_option_is_validated() -> None:
    with pytest.raises(SpecError, match="acf_instruments"):
        small("acf", acf_instruments="all")


def test_acf_lags_uses_years_with_two_lags_and_reports_the_rest() -> None:
    # 12 plants x 5 years: "prodest" moments use years 2-5 (48 rows), "lags" years 3-5 (36);
    # the dropped frame names every row used only as a lag (12 first years + 12 second years).
    df = _small()
    r = estimate(small("acf", acf_instruments="lags"), df)
    assert r.n_second_stage == 36
    assert len(r.dropped) == 24
    assert (r.dropped["reason"].str.contains("t-2 not observed")).sum() == 12
    # pure noise: the just-identified moments need not have a unique root; do not require one
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        just = estimate(small("acf", require_root=False), df)
    assert just.n_second_stage == 48


# --- the deprecated keyword form ----------------------------------------------------------


def test_keyword_form_is_a_deprecated_wrapper(chilean: pd.DataFrame) -> None:
    with pytest.deprecated_call():
        old = estimate(
            chilean, "lp", output="Y", free=["fX1", "fX2"], state="sX", proxy="pX",
            unit="idvar", time="timevar", poly_degree=2,
        )
    new = estimate(chile("lp", proxy="pX", poly_degree=2), chilean)
    pd.testing.assert_series_equal(old.params, new.params)
    assert old.spec == new.spec
    with pytest.deprecated_call(), pytest.raises(SpecError, match=r"'id' is now 'unit'"):
        estimate(chilean, "ols", output="Y", free="fX1", state="sX", id="idvar", time="timevar")
    with pytest.raises(SpecError, match="options from the spec"):
        estimate(chile("ols"), chilean, poly_degree=2)
    assert replace(chile("ols"), name="x").id == chile("ols").id
