"""IV estimates and diagnostics against linearmodels (a second engine) and closed forms.

The data have a fixed effect with 25 levels that linearmodels estimates as dummies and
pyfixest absorbs; clusters (40 of them) cut across the fixed-effect groups, so both engines
count the same k in the small-sample factor G/(G-1) (N-1)/(N-k) (linearmodels' debiased
clustered covariance). Tolerance 1e-8 relative: both are exact linear algebra.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from linearmodels.iv import IV2SLS, IVGMM

from agglomeration import Spec, Variance, estimate, estimate_variances
from agglomeration.estimation.engine import fit

RTOL = 1e-8


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    rng = np.random.default_rng(20261130)
    n = 1500
    d = pd.DataFrame(
        {
            "g": rng.integers(0, 25, n),
            "cl": rng.integers(0, 40, n),
            "z1": rng.normal(size=n),
            "z2": rng.normal(size=n),
            "w": rng.normal(size=n),
        }
    )
    common = rng.normal(size=40)[d["cl"]]  # clustered errors
    v = rng.normal(size=n) + common
    d["x"] = 0.4 * d["z1"] + 0.25 * d["z2"] + 0.3 * d["w"] + v + 0.1 * d["g"]
    d["y"] = 0.7 * d["x"] - 0.2 * d["w"] + 0.6 * v + rng.normal(size=n) + 0.05 * d["g"]
    return d


def _lm_formula(instruments: str) -> str:
    return f"y ~ 1 + w + C(g) + [x ~ {instruments}]"


@pytest.mark.parametrize("instruments", [("z1",), ("z1", "z2")])
def test_iv_coefficients_and_clustered_se_match_linearmodels(data, instruments):
    spec = Spec(
        outcome="y",
        regressors=("w",),
        fixed_effects=("g",),
        estimator="iv",
        endogenous=("x",),
        instruments=instruments,
        variance=Variance("cluster", cluster=["cl"]),
    )
    res = estimate(spec, data)
    lm = IV2SLS.from_formula(_lm_formula(" + ".join(instruments)), data).fit(
        cov_type="clustered", clusters=data["cl"], debiased=True
    )
    for term in ("x", "w"):
        assert res.params[term] == pytest.approx(lm.params[term], rel=RTOL)
        assert res.std_errors[term] == pytest.approx(lm.std_errors[term], rel=RTOL)


def test_first_stage_f_matches_linearmodels_and_closed_form(data):
    spec = Spec(
        outcome="y",
        regressors=("w",),
        fixed_effects=("g",),
        estimator="iv",
        endogenous=("x",),
        instruments=("z1", "z2"),
        variance=Variance("cluster", cluster=["cl"]),
    )
    res = estimate(spec, data)
    # the first stage by linearmodels' OLS with dummies and the same clustered covariance
    from linearmodels.iv import IV2SLS as OLS_  # IV2SLS without endogenous = OLS

    fs = OLS_.from_formula("x ~ 1 + z1 + z2 + w + C(g)", data).fit(
        cov_type="clustered", clusters=data["cl"], debiased=True
    )
    pi = fs.params[["z1", "z2"]].to_numpy()
    v = fs.cov.loc[["z1", "z2"], ["z1", "z2"]].to_numpy()
    wald = pi @ np.linalg.solve(v, pi) / 2
    assert res.stats["first_stage_f"] == pytest.approx(wald, rel=1e-7)
    # effective F with Q = Z~'Z~: partial z1, z2 on w and the dummies with numpy least squares
    exog = pd.get_dummies(data["g"], dtype=float).assign(w=data["w"]).to_numpy()
    zz = data[["z1", "z2"]].to_numpy()
    zt = zz - exog @ np.linalg.lstsq(exog, zz, rcond=None)[0]
    q = zt.T @ zt
    assert res.stats["effective_f"] == pytest.approx(pi @ q @ pi / np.trace(v @ q), rel=1e-7)
    assert res.stats["weak_instrument"] == float(res.stats["effective_f"] < 10)


def test_effective_f_with_one_instrument_is_squared_t(data):
    spec = Spec(
        outcome="y",
        regressors=("w",),
        fixed_effects=("g",),
        estimator="iv",
        endogenous=("x",),
        instruments=("z1",),
        variance=Variance("hetero"),
    )
    res = estimate(spec, data)
    t = res.stats["first_stage_coef"] / res.stats["first_stage_se"]
    assert res.stats["effective_f"] == pytest.approx(t**2, rel=1e-10)
    assert res.stats["first_stage_f"] == pytest.approx(t**2, rel=1e-10)


def test_effective_f_homoskedastic_equals_engine_first_stage_f(data):
    """Under iid errors F_eff is the classical F of the excluded instruments (pyfixest's)."""
    import pyfixest as pf

    spec = Spec(
        outcome="y",
        regressors=("w",),
        fixed_effects=("g",),
        estimator="iv",
        endogenous=("x",),
        instruments=("z1", "z2"),
        variance=Variance("iid"),
    )
    res = estimate(spec, data)
    iv = pf.feols("y ~ w | g | x ~ z1 + z2", data, vcov="iid")
    iv.IV_Diag()
    assert res.stats["effective_f"] == pytest.approx(float(iv._f_stat_1st_stage), rel=1e-6)


def test_hansen_j_matches_linearmodels_ivgmm(data):
    """Two-step GMM J with a heteroskedasticity-robust weight, against linearmodels' IVGMM.

    Fixed effects are partialled out in both (linearmodels on the demeaned data), since J is
    invariant to partialling out exogenous, exactly identified regressors.
    """
    spec = Spec(
        outcome="y",
        regressors=("w",),
        fixed_effects=("g",),
        estimator="iv",
        endogenous=("x",),
        instruments=("z1", "z2"),
        variance=Variance("hetero"),
    )
    res = estimate(spec, data)
    cols = ["y", "x", "w", "z1", "z2"]
    dm = data[cols] - data.groupby("g")[cols].transform("mean")
    gmm = IVGMM(dm["y"], dm[["w"]], dm[["x"]], dm[["z1", "z2"]], weight_type="robust").fit(
        cov_type="robust"
    )
    assert res.stats["hansen_j"] == pytest.approx(gmm.j_stat.stat, rel=1e-6)
    assert res.stats["hansen_j_df"] == 1.0
    # exactly identified: no J
    just = estimate(spec.__class__(**{**spec.__dict__, "instruments": ("z1",)}), data)
    assert "hansen_j" not in just.stats


def test_iv_with_conley_and_cluster_share_one_fit(data):
    rng = np.random.default_rng(1)
    d = data.assign(lat=rng.uniform(30, 45, len(data)), lon=rng.uniform(-110, -80, len(data)))
    spec = Spec(
        outcome="y",
        regressors=("w",),
        fixed_effects=("g",),
        estimator="iv",
        endogenous=("x",),
        instruments=("z1", "z2"),
    )
    vs = [Variance("cluster", cluster=["cl"]), Variance("conley", cutoff_km=1e-3)]
    res = estimate_variances(spec, d, vs)
    assert res[0].params.equals(res[1].params)
    # a Conley cutoff below every distance reproduces the hetero first-stage statistics
    het = estimate(spec.with_variance(Variance("hetero")), d)
    assert res[1].stats["effective_f"] == pytest.approx(het.stats["effective_f"], rel=1e-9)


def test_weights_column_negative_or_missing_is_named(data):
    spec = Spec(outcome="y", regressors=("x",), weights="wt")
    with pytest.raises(ValueError, match=r"weights column 'wt' has 3 missing"):
        estimate(spec, data.assign(wt=[np.nan] * 3 + [1.0] * (len(data) - 3)))
    with pytest.raises(ValueError, match=r"weights column 'wt' has 2 missing, infinite or negative"):
        estimate(spec, data.assign(wt=[-1.0] * 2 + [1.0] * (len(data) - 2)))


def test_weighted_ols_matches_statsmodels_wls(data):
    import statsmodels.formula.api as smf

    d = data.assign(wt=np.random.default_rng(3).uniform(0.5, 3.0, len(data)))
    spec = Spec(outcome="y", regressors=("x", "w"), fixed_effects=("g",), weights="wt",
                variance=Variance("hetero"))
    res = estimate(spec, d)
    sm = smf.wls("y ~ x + w + C(g)", d, weights=d["wt"]).fit(cov_type="HC1")
    for term in ("x", "w"):
        assert res.params[term] == pytest.approx(sm.params[term], rel=RTOL)
        assert res.std_errors[term] == pytest.approx(sm.bse[term], rel=RTOL)
    assert fit(spec.formula(), d, estimator="ols", weights="wt").n_obs == len(d)
