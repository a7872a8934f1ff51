"""Property-based tests: the vectorised long-format measures against dense brute force."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import agglomeration.measures as m

KW = {"region": "r", "industry": "i", "value": "e"}


@st.composite
def tables(draw: st.DrawFn) -> tuple[np.ndarray, pd.DataFrame]:
    """A dense region x industry matrix and a long frame of it (zero cells maybe absent)."""
    n_r = draw(st.integers(2, 7))
    n_i = draw(st.integers(2, 5))
    e = draw(arrays(np.int64, (n_r, n_i), elements=st.integers(0, 60)))
    assume((e.sum(axis=1) > 0).all() and (e.sum(axis=0) > 0).all())
    keep_zero = draw(arrays(np.bool_, (n_r, n_i)))
    rr, ii = np.nonzero((e > 0) | keep_zero)
    order = draw(st.permutations(list(range(rr.size))))
    rr, ii = rr[list(order)], ii[list(order)]
    df = pd.DataFrame({"r": [f"R{k}" for k in rr], "i": [f"I{k}" for k in ii],
                       "e": e[rr, ii].astype(float)})
    return e.astype(float), df


def dense_lq(e: np.ndarray) -> np.ndarray:
    return (e / e.sum(axis=1, keepdims=True)) / (e.sum(axis=0) / e.sum())


def labels_r(n: int) -> list[str]:
    return sorted(f"R{k}" for k in range(n))


@settings(max_examples=120, deadline=None)
@given(tables())
def test_lq_matches_dense_and_weighted_mean_is_one(t: tuple[np.ndarray, pd.DataFrame]) -> None:
    e, df = t
    res = m.location_quotient(df, **KW).table
    rr = res["r"].str[1:].astype(int).to_numpy()
    ii = res["i"].str[1:].astype(int).to_numpy()
    lq = dense_lq(e)
    np.testing.assert_allclose(res["lq"].to_numpy(), lq[rr, ii], rtol=1e-12)
    # identity: sum_r (E_r / E) LQ_ri = 1 for every industry (absent cells have LQ 0)
    x = e.sum(axis=1) / e.sum()
    np.testing.assert_allclose(x @ lq, np.ones(e.shape[1]), rtol=1e-12)
    w = res["r"].map(dict(zip([f"R{k}" for k in range(len(x))], x, strict=True)))
    got = (w * res["lq"]).groupby(res["i"]).sum()
    np.testing.assert_allclose(got.to_numpy(), 1.0, rtol=1e-12)


@settings(max_examples=120, deadline=None)
@given(tables())
def test_region_measures_match_dense(t: tuple[np.ndarray, pd.DataFrame]) -> None:
    e, df = t
    sh = e / e.sum(axis=1, keepdims=True)
    nat = e.sum(axis=0) / e.sum()
    idx = [int(s[1:]) for s in labels_r(e.shape[0])]
    k = m.krugman_specialisation(df, **KW).table
    np.testing.assert_allclose(k["krugman"], np.abs(sh - nat).sum(axis=1)[idx], atol=1e-12)
    h = m.region_herfindahl(df, **KW).table
    np.testing.assert_allclose(h["herfindahl"], (sh**2).sum(axis=1)[idx], rtol=1e-12)


def dense_gini(e: np.ndarray, col: int) -> float:
    x = e.sum(axis=1) / e.sum()
    s = e[:, col] / e[:, col].sum()
    order = np.argsort(s / x, kind="stable")
    xx = np.concatenate([[0.0], np.cumsum(x[order])])
    ss = np.concatenate([[0.0], np.cumsum(s[order])])
    return float(1.0 - 2.0 * np.trapezoid(ss, xx))


@settings(max_examples=120, deadline=None)
@given(tables())
def test_industry_measures_match_dense(t: tuple[np.ndarray, pd.DataFrame]) -> None:
    e, df = t
    n_i = e.shape[1]
    idx = sorted(range(n_i), key=lambda j: f"I{j}")
    x = e.sum(axis=1) / e.sum()
    s = e / e.sum(axis=0)
    hv = m.hoover_localisation(df, **KW).table
    np.testing.assert_allclose(hv["hoover"], 0.5 * np.abs(s - x[:, None]).sum(axis=0)[idx],
                               atol=1e-12)
    gi = m.locational_gini(df, **KW).table
    np.testing.assert_allclose(gi["gini"], [dense_gini(e, j) for j in idx], atol=1e-12)
    # EG gamma with a given H, dense: G = sum_r (s_r - x_r)^2
    hh = np.linspace(0.01, 0.5, n_i)
    ph = pd.DataFrame({"i": [f"I{j}" for j in range(n_i)], "herfindahl": hh})
    g = m.ellison_glaeser_gamma(df, **KW, plant_herfindahl=ph).table
    big_g = ((s - x[:, None]) ** 2).sum(axis=0)
    gamma = (big_g / (1 - (x**2).sum()) - hh) / (1 - hh)
    np.testing.assert_allclose(g["G"], big_g[idx], atol=1e-12)
    np.testing.assert_allclose(g["gamma"], gamma[idx], atol=1e-12)


@settings(max_examples=100, deadline=None)
@given(tables())
def test_coagglomeration_matches_loops_and_is_symmetric(t: tuple[np.ndarray, pd.DataFrame]
                                                        ) -> None:
    e, df = t
    n_r, n_i = e.shape
    x = e.sum(axis=1) / e.sum()
    s = e / e.sum(axis=0)
    tab = m.coagglomeration(df, **KW).table.set_index(["i_i", "i_j"])["coagglomeration"]
    assert len(tab) == n_i * (n_i - 1)
    for a in range(n_i):
        for b in range(n_i):
            if a == b:
                continue
            ref = sum((s[r, a] - x[r]) * (s[r, b] - x[r]) for r in range(n_r)) / (
                1 - sum(x[r] ** 2 for r in range(n_r)))
            assert abs(tab[(f"I{a}", f"I{b}")] - ref) < 1e-12
            assert tab[(f"I{a}", f"I{b}")] == tab[(f"I{b}", f"I{a}")]


@settings(max_examples=80, deadline=None)
@given(tables(), st.floats(0.001, 1000.0))
def test_scaling_all_employment_changes_nothing(t: tuple[np.ndarray, pd.DataFrame],
                                               c: float) -> None:
    _, df = t
    scaled = df.assign(e=df["e"] * c)
    n_i = df["i"].nunique()
    ph = pd.DataFrame({"i": sorted(df["i"].unique()), "herfindahl": np.full(n_i, 0.05)})
    for fn, col, extra in (
        (m.location_quotient, "lq", {}),
        (m.ellison_glaeser_gamma, "gamma", {"plant_herfindahl": ph}),
        (m.krugman_specialisation, "krugman", {}),
        (m.locational_gini, "gini", {}),
        (m.coagglomeration, "coagglomeration", {}),
    ):
        a = fn(df, **KW, **extra).table[col].to_numpy()
        b = fn(scaled, **KW, **extra).table[col].to_numpy()
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12, err_msg=fn.__name__)


@settings(max_examples=60, deadline=None)
@given(tables(), st.data())
def test_drop_rule_equals_removing_rows(t: tuple[np.ndarray, pd.DataFrame],
                                        data: st.DataObject) -> None:
    _, df = t
    k = data.draw(st.integers(0, len(df) - 1))
    sup = df.copy()
    sup.loc[k, "e"] = np.nan
    rest = df.drop(index=k)
    # keep only cases where no group is emptied (then both frames define the same measures)
    assume((rest.groupby("r")["e"].sum() > 0).all() and (rest.groupby("i")["e"].sum() > 0).all())
    assume(rest["i"].nunique() == df["i"].nunique() and rest["r"].nunique() == df["r"].nunique())
    res = m.ellison_glaeser_gamma(sup, **KW)
    assert res.n_missing == 1
    ref = m.ellison_glaeser_gamma(rest, **KW).table
    pd.testing.assert_frame_equal(res.table.drop(columns="n_regions"),
                                  ref.drop(columns="n_regions"), rtol=1e-12)


@settings(max_examples=60, deadline=None)
@given(tables(), st.floats(-0.5, 0.9))
def test_relatedness_and_related_employment_match_dense(t: tuple[np.ndarray, pd.DataFrame],
                                                        thr: float) -> None:
    e, df = t
    n_i = e.shape[1]
    rel = m.colocation_relatedness(df, **KW).table
    lq = dense_lq(e)
    with np.errstate(invalid="ignore", divide="ignore"):
        ref = np.corrcoef(lq, rowvar=False)
    got = rel.set_index(["i_i", "i_j"])["relatedness"]
    for a in range(n_i):
        for b in range(n_i):
            if a != b:
                np.testing.assert_allclose(got[(f"I{a}", f"I{b}")], ref[a, b], atol=1e-9)
    # related employment with binary relatedness: R_ri = sum_{j != i, phi_ij >= thr} E_rj
    pool = m.related_employment(df, rel, **KW, threshold=thr).table
    w = (np.nan_to_num(ref, nan=-np.inf) >= thr).astype(float)
    np.fill_diagonal(w, 0.0)
    dense_pool = e @ w.T
    rr = pool["r"].str[1:].astype(int).to_numpy()
    ii = pool["i"].str[1:].astype(int).to_numpy()
    np.testing.assert_allclose(pool["related_employment"].to_numpy(), dense_pool[rr, ii],
                               rtol=1e-12)
