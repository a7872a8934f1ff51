"""Specs, tidy estimation and variance options against published values and other engines."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest
import statsmodels.formula.api as smf
from linearmodels import IV2SLS, PanelOLS
from linearmodels.datasets import munnell

from agglomeration.estimation import (
    Spec,
    Variance,
    compare_variances,
    estimate,
    load_specs,
    standard_variances,
)

X = ["lpcap", "lpc", "lemp", "unemp"]


@pytest.fixture(scope="module")
def mun() -> pd.DataFrame:
    d = munnell.load()
    return d.assign(
        lgsp=np.log(d.GSP),
        lpcap=np.log(d.P_CAP),
        lpc=np.log(d.PC),
        lemp=np.log(d.EMP),
        unemp=d.UNEMP,
        state=d.STATE,
        year=d.YR,
    )


# ---------------------------------------------------------------------------------------------
# Published values
# ---------------------------------------------------------------------------------------------


def test_munnell_within_matches_published(mun):
    # tests/reference/munnell_within.csv: Baltagi, Table 3.1 (within), as printed there;
    # tolerance: half a unit of the last printed decimal.
    spec = Spec("lgsp", tuple(X), ("state",), variance=Variance("iid"))
    res = estimate(spec, mun)
    t = res.table.set_index("term")
    ref = pd.read_csv(
        Path(__file__).parent / "reference" / "munnell_within.csv", dtype=str
    ).set_index("term")
    published_b = [ref.loc[x, "estimate"] for x in X]
    published_se = [ref.loc[x, "std_error"] for x in X]

    def tol(printed: str) -> float:
        return 0.5 * 10.0 ** -len(printed.split(".")[1])

    for term, b, se in zip(X, published_b, published_se, strict=True):
        assert t.loc[term, "estimate"] == pytest.approx(float(b), abs=tol(b))
        assert t.loc[term, "std_error"] == pytest.approx(float(se), abs=tol(se))
    assert res.n_obs == 816
    assert (t["df"] == 816 - 48 - 4).all()  # conventional SEs: df = N - states - k
    assert res.dropped.empty and res.collinear == ()


# ---------------------------------------------------------------------------------------------
# Three engines
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def engines(mun):
    """Two-way (state, year) FE model, clustered by state, in pyfixest, linearmodels, statsmodels.

    All three are asked for the uncorrected CRV0 sandwich; their defaults are checked below
    against CRV0 times the correction each one states.
    """
    fml = "lgsp ~ lpcap + lpc + lemp + unemp"
    no_ssc = pf.ssc(k_adj=False, G_adj=False)
    pyf = pf.feols(f"{fml} | state + year", mun, vcov={"CRV1": "state"}, ssc=no_ssc)
    pyf_default = pf.feols(f"{fml} | state + year", mun, vcov={"CRV1": "state"})
    groups = pd.factorize(mun.state)[0]
    sm_model = smf.ols(f"{fml} + C(state) + C(year)", mun)
    sm0 = sm_model.fit(cov_type="cluster", cov_kwds={"groups": groups, "use_correction": False})
    sm1 = sm_model.fit(cov_type="cluster", cov_kwds={"groups": groups})
    p = mun.set_index(["state", "year"])
    lm_model = PanelOLS(p.lgsp, p[X], entity_effects=True, time_effects=True)
    lm0 = lm_model.fit(
        cov_type="clustered",
        cluster_entity=True,
        debiased=False,
        group_debias=False,
        auto_df=False,
        count_effects=False,
    )
    lm1 = lm_model.fit(cov_type="clustered", cluster_entity=True)
    return {
        "pyf": pyf,
        "pyf_default": pyf_default,
        "sm0": sm0,
        "sm1": sm1,
        "lm0": lm0,
        "lm1": lm1,
    }


def test_three_engines_agree_on_coefficients(engines, mun):
    b_pf = engines["pyf"].coef()[X].to_numpy()
    b_sm = engines["sm0"].params[X].to_numpy()
    b_lm = engines["lm0"].params[X].to_numpy()
    np.testing.assert_allclose(b_pf, b_sm, rtol=1e-8, atol=0)
    np.testing.assert_allclose(b_pf, b_lm, rtol=1e-8, atol=0)
    # and our tidy layer reports pyfixest's numbers
    spec = Spec("lgsp", tuple(X), ("state", "year"), variance=Variance("cluster", cluster="state"))
    t = estimate(spec, mun).table.set_index("term")
    np.testing.assert_allclose(t.loc[X, "estimate"].to_numpy(), b_sm, rtol=1e-8)


def test_three_engines_agree_on_crv0(engines):
    se_pf = engines["pyf"].se()[X].to_numpy()
    se_sm = engines["sm0"].bse[X].to_numpy()
    se_lm = engines["lm0"].std_errors[X].to_numpy()
    np.testing.assert_allclose(se_pf, se_sm, rtol=1e-8)
    np.testing.assert_allclose(se_pf, se_lm, rtol=1e-8)


def test_default_cluster_corrections_as_stated(engines, mun):
    # N = 816, G = 48 states, T = 17 years, k = 4 slopes.
    n, g = 816, 48
    crv0 = engines["sm0"].bse[X].to_numpy() ** 2
    # statsmodels with dummies: G/(G-1) (N-1)/(N-K), K = 4 + intercept + 47 + 16 = 68.
    np.testing.assert_allclose(
        engines["sm1"].bse[X].to_numpy() ** 2, crv0 * g / (g - 1) * (n - 1) / (n - 68), rtol=1e-8
    )
    # linearmodels default (debiased, effects counted): N / (N - d - k), d = 47 + 16 = 63 + 1.
    np.testing.assert_allclose(
        engines["lm1"].std_errors[X].to_numpy() ** 2, crv0 * n / (n - 64 - 4), rtol=1e-8
    )
    # pyfixest default CRV1: G/(G-1) (N-1)/(N-k'), with the state effects nested in the state
    # clusters not counted: k' = 4 slopes + 17 year levels = 21.
    np.testing.assert_allclose(
        engines["pyf_default"].se()[X].to_numpy() ** 2,
        crv0 * g / (g - 1) * (n - 1) / (n - 21),
        rtol=1e-8,
    )
    # our estimate(): pyfixest's default, stated in the module docstring.
    spec = Spec("lgsp", tuple(X), ("state", "year"), variance=Variance("cluster", cluster="state"))
    res = estimate(spec, mun)
    np.testing.assert_allclose(
        res.table.std_error.to_numpy() ** 2, crv0 * g / (g - 1) * (n - 1) / (n - 21), rtol=1e-8
    )
    assert res.n_clusters == 48 and (res.table.df == 47).all()


def test_driscoll_kraay_matches_linearmodels_kernel(mun):
    # pyfixest DK (lag 3) with no small-sample factor equals linearmodels' Bartlett kernel
    # covariance with bandwidth 3 (debiased=False), divided by linearmodels' N / (N - d) with
    # d = 47 + 16 + 1 = 64 absorbed effects.
    n = 816
    p = mun.set_index(["state", "year"])
    lm = PanelOLS(p.lgsp, p[X], entity_effects=True, time_effects=True).fit(
        cov_type="kernel", kernel="bartlett", bandwidth=3, debiased=False
    )
    spec = Spec(
        "lgsp",
        tuple(X),
        ("state", "year"),
        variance=Variance("driscoll_kraay", time="year", unit="state", lags=3),
    )
    res = estimate(spec, mun)
    # estimate() uses pyfixest's DK factor T/(T-1) (N-1)/(N-k'), k' = 4 + 48 + 17 - 1 = 68
    t_, kp = 17, 68
    ours_v0 = res.table.std_error.to_numpy() ** 2 / (t_ / (t_ - 1) * (n - 1) / (n - kp))
    np.testing.assert_allclose(ours_v0 * n / (n - 64), lm.std_errors[X].to_numpy() ** 2, rtol=1e-8)
    assert res.n_clusters == 17


def test_iv_matches_linearmodels(mun):
    # 2SLS, no fixed effects: lemp instrumented by lpcap and unemp, lpc exogenous.
    spec = Spec(
        "lgsp",
        ("lpc",),
        estimator="iv",
        endogenous=("lemp",),
        instruments=("lpcap", "unemp"),
        variance=Variance("hetero"),
    )
    res = estimate(spec, mun)
    lm = IV2SLS.from_formula("lgsp ~ 1 + lpc + [lemp ~ lpcap + unemp]", mun).fit(
        cov_type="robust", debiased=False
    )
    t = res.table.set_index("term")
    for term in ("lemp", "lpc"):
        assert t.loc[term, "estimate"] == pytest.approx(lm.params[term], rel=1e-8)
    # pyfixest hetero = HC0 * N/(N-k), k = 3 (intercept, lpc, lemp); linearmodels robust = HC0.
    n, k = 816, 3
    for term in ("lemp", "lpc"):
        assert t.loc[term, "std_error"] ** 2 == pytest.approx(
            lm.std_errors[term] ** 2 * n / (n - k), rel=1e-8
        )


# ---------------------------------------------------------------------------------------------
# Spec ids and files
# ---------------------------------------------------------------------------------------------


def test_spec_id_is_sha256_of_canonical_json():
    spec = Spec(
        "log_pay",
        ("log_density",),
        ("state^year",),
        sample="year >= 2001",
        variance=Variance("cluster", cluster=("state",)),
        name="baseline",
    )
    # Canonical JSON written out by hand: sorted keys, no spaces, name excluded.
    canonical = (
        '{"data":null,"endogenous":[],"estimator":"ols","fixed_effects":["state^year"],'
        '"instruments":[],'
        '"outcome":"log_pay","regressors":["log_density"],"sample":"year >= 2001",'
        '"variance":{"cluster":["state"],"cutoff_km":null,"kernel":"uniform","lags":null,'
        '"lat":"lat","lon":"lon","time":null,"type":"cluster","unit":null}}'
    )
    assert spec.canonical_json() == canonical
    assert spec.id == hashlib.sha256(canonical.encode()).hexdigest()[:12]
    # a different name keeps the id; a different variance changes it
    assert Spec(**{**spec.__dict__, "name": "other"}).id == spec.id
    assert spec.with_variance(Variance("hetero")).id != spec.id


def test_spec_id_stable_across_sessions():
    code = (
        "from agglomeration.estimation import Spec, Variance;"
        "print(Spec('y', ('x',), ('g',), variance=Variance('conley', cutoff_km=100,"
        " time='year')).id)"
    )
    ids = set()
    for seed in ("123",):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        ids.add(out.stdout.strip())
    here = Spec("y", ("x",), ("g",), variance=Variance("conley", cutoff_km=100.0, time="year")).id
    assert ids == {here}


def test_load_specs_from_toml(tmp_path: Path):
    (tmp_path / "a.toml").write_text(
        """
[spec]
name = "county_baseline"
outcome = "log_pay_per_emp"
regressors = ["log_density"]
fixed_effects = ["state^year"]
estimator = "ols"
sample = "year >= 2001"
[spec.variance]
type = "conley"
cutoff_km = 100
kernel = "bartlett"
time = "year"
"""
    )
    (tmp_path / "b.toml").write_text(
        """
[[spec]]
outcome = "patents"
regressors = ["log_density"]
fixed_effects = ["county", "year"]
estimator = "poisson"
variance = {type = "cluster", cluster = ["county", "year"]}

[[spec]]
outcome = "y"
endogenous = ["x"]
instruments = ["z"]
estimator = "iv"
"""
    )
    specs = load_specs(tmp_path)
    assert [s.estimator for s in specs] == ["ols", "poisson", "iv"]
    a = specs[0]
    expected = Spec(
        "log_pay_per_emp",
        ("log_density",),
        ("state^year",),
        sample="year >= 2001",
        variance=Variance("conley", cutoff_km=100.0, kernel="bartlett", time="year"),
        name="county_baseline",
    )
    assert a == expected and a.id == expected.id
    assert specs[1].variance.cluster == ("county", "year")
    assert specs[2].formula() == "y ~ 1 | x ~ z"
    (tmp_path / "bad.toml").write_text('[spec]\noutcome = "y"\nregressors = ["x"]\ncolour = 1\n')
    with pytest.raises(ValueError, match=r"bad.toml.*unknown spec field"):
        load_specs(tmp_path / "bad.toml")


# ---------------------------------------------------------------------------------------------
# Bad input and reported drops
# ---------------------------------------------------------------------------------------------


def small_panel(seed=0):
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(40), 5)
    t = np.tile(np.arange(5), 40)
    df = pd.DataFrame({"g": g, "t": t, "x": rng.normal(size=200), "z": rng.normal(size=200)})
    df["y"] = df.x + rng.normal(size=200)
    df["c"] = rng.poisson(np.exp(0.5 * df.x))
    df["lat"] = 30 + g * 0.3
    df["lon"] = -100 + (g % 7)
    return df


def test_missing_column_is_named():
    with pytest.raises(ValueError, match=r"\['w'\].*not in the data"):
        estimate(Spec("y", ("x", "w"), ("g",)), small_panel())
    with pytest.raises(ValueError, match=r"variance.*\['region'\]"):
        estimate(
            Spec("y", ("x",), ("g",), variance=Variance("cluster", cluster="region")),
            small_panel(),
        )


def test_missing_coordinates_error_says_how_many():
    df = small_panel()
    df.loc[[3, 50, 51], "lat"] = np.nan
    spec = Spec("y", ("x",), ("g",), variance=Variance("conley", cutoff_km=50, time="t"))
    with pytest.raises(ValueError, match="3 rows of the sample have no coordinates"):
        estimate(spec, df)


@pytest.mark.parametrize("cutoff", [0, -10, None])
def test_cutoff_not_positive(cutoff):
    with pytest.raises(ValueError, match="positive cutoff_km"):
        Variance("conley", cutoff_km=cutoff)


def test_singletons_dropped_and_reported():
    df = small_panel()
    # Leave group 0 with one row and group 1 with one row: 8 rows removed first, then 2
    # singletons. Also one missing x.
    df = df.drop(index=[1, 2, 3, 4, 6, 7, 8, 9])
    df.loc[20, "x"] = np.nan
    res = estimate(Spec("y", ("x",), ("g",)), df)
    dropped = dict(zip(res.dropped.reason, res.dropped.n_rows, strict=True))
    assert dropped == {"missing or non-finite x": 1, "singleton in fixed effect g": 2}
    assert res.n_obs == 200 - 8 - 1 - 2
    # the estimate equals pyfixest's on the hand-cleaned sample
    clean = df.drop(index=[0, 5, 20])
    ref = pf.feols("y ~ x | g", clean, vcov="hetero")
    assert res.table.estimate.iloc[0] == pytest.approx(ref.coef().iloc[0], rel=1e-12)


def test_poisson_all_zero_groups_dropped_and_reported():
    df = small_panel()
    df.loc[df.g.isin([3, 4]), "c"] = 0  # 2 groups x 5 rows
    res = estimate(Spec("c", ("x",), ("g",), estimator="poisson"), df)
    dropped = dict(zip(res.dropped.reason, res.dropped.n_rows, strict=True))
    zero_groups = int((df.groupby("g").c.sum() == 0).sum())
    assert dropped == {"all-zero outcome in fixed effect g": 5 * zero_groups}
    assert res.n_obs == 200 - 5 * zero_groups
    ref = pf.fepois(
        "c ~ x | g", df[~df.g.isin(df.groupby("g").c.sum().loc[lambda s: s == 0].index)]
    )
    assert res.table.estimate.iloc[0] == pytest.approx(ref.coef().iloc[0], rel=1e-10)


def test_collinear_regressor_reported():
    df = small_panel()
    df["x2"] = 2 * df.x
    df["gconst"] = df.g * 3.0  # collinear with the fixed effect
    res = estimate(Spec("y", ("x", "x2", "gconst"), ("g",)), df)
    assert set(res.collinear) == {"x2", "gconst"}
    assert list(res.table.term) == ["x"]


def test_sample_filter_reported_and_bad_filter_named():
    df = small_panel()
    res = estimate(Spec("y", ("x",), ("g",), sample="t >= 1"), df)
    assert res.dropped.iloc[0].tolist() == ["outside sample (t >= 1)", 40]
    assert res.n_obs == 160
    with pytest.raises(ValueError, match="sample filter 'nope > 1'"):
        estimate(Spec("y", ("x",), ("g",), sample="nope > 1"), df)


def test_poisson_negative_outcome_and_bad_spec_fields():
    df = small_panel()
    df.loc[0, "c"] = -1
    with pytest.raises(ValueError, match="1 negative values"):
        estimate(Spec("c", ("x",), ("g",), estimator="poisson"), df)
    with pytest.raises(ValueError, match="estimator must be one of"):
        Spec("y", ("x",), estimator="probit")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="kernel must be one of"):
        Variance("conley", cutoff_km=10, kernel="gauss")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="one or two cluster columns"):
        Variance("cluster")


# ---------------------------------------------------------------------------------------------
# Conley through estimate() and the variance comparison
# ---------------------------------------------------------------------------------------------


def test_conley_option_limits_through_estimate():
    df = small_panel()  # 40 distinct points, >= 30 km apart, 5 periods
    base = Spec("y", ("x", "z"), ("g",))
    het = estimate(base.with_variance(Variance("hetero")), df)
    tiny = estimate(base.with_variance(Variance("conley", cutoff_km=1.0, time="t")), df)
    # same small-sample factor N/(N-k): cutoff below the smallest distance equals HC1
    np.testing.assert_allclose(tiny.vcov.to_numpy(), het.vcov.to_numpy(), rtol=1e-12)
    assert tiny.table.df.isna().all() and tiny.variance_label == "conley(1 km, uniform)"


def test_compare_variances_rows_equal_single_estimates():
    df = small_panel()
    df["s"] = df.g // 4
    spec = Spec("y", ("x", "z"), ("g",))
    vs = standard_variances(unit="g", group="s", time="t", cutoffs_km=(100.0, 400.0))
    cmp = compare_variances(spec, df, vs, term="z")
    assert list(cmp.variance) == [v.label for v in vs]
    for v, row in zip(vs, cmp.itertuples(), strict=True):
        single = estimate(spec.with_variance(v), df).table.set_index("term").loc["z"]
        assert row.std_error == pytest.approx(single.std_error, rel=1e-12)
        assert row.spec_id == spec.with_variance(v).id
    assert cmp.estimate.nunique() == 1 and (cmp.n_obs == 200).all()


def test_project_spec_files_load():
    # Every spec file of the project parses (analysis/specs/ is the paper's declaration).
    folder = Path(__file__).resolve().parents[1] / "analysis" / "specs"
    if not any(folder.glob("*.toml")):
        pytest.skip("no spec files yet")
    for spec in load_specs(folder):
        assert len(spec.id) == 12 and int(spec.id, 16) >= 0


def test_iv_conley_tiny_cutoff_equals_hetero():
    # IV meat is mapped through X'Z (Z'Z)^-1 as for pyfixest's own variances, so a cutoff below
    # the smallest distance reproduces its heteroskedasticity-robust IV variance.
    df = small_panel()
    df["w"] = df.z + 0.5 * df.x + np.random.default_rng(1).normal(size=len(df))
    base = Spec("y", ("x",), ("g",), estimator="iv", endogenous=("w",), instruments=("z",))
    het = estimate(base.with_variance(Variance("hetero")), df)
    tiny = estimate(base.with_variance(Variance("conley", cutoff_km=1.0, time="t")), df)
    np.testing.assert_allclose(tiny.vcov.to_numpy(), het.vcov.to_numpy(), rtol=1e-12)
    wide = estimate(base.with_variance(Variance("conley", cutoff_km=300.0, time="t")), df)
    assert not np.allclose(wide.vcov.to_numpy(), het.vcov.to_numpy(), rtol=1e-3)


def test_negative_two_way_variance_warns_and_gives_nan():
    # Poisson, 40 groups x 5 periods, two-way clustering by group and period: in this sample
    # V_g + V_t - V_gt has a negative diagonal (checked against pyfixest's own matrix below).
    df = small_panel()
    spec = Spec("c", ("x",), ("g",), estimator="poisson")
    ref = pf.fepois("c ~ x | g", df, vcov={"CRV1": "g+t"})
    assert ref._vcov[0, 0] < 0
    with pytest.warns(RuntimeWarning, match="negative variance"):
        res = estimate(spec.with_variance(Variance("cluster", cluster=("g", "t"))), df)
    assert np.isnan(res.table.std_error.iloc[0])
