"""Industry relatedness from the Cluster Mapping's cluster relatedness (measures.cluster_relatedness).

Checked against hand-computed values on a toy (2 clusters, 3 industries with traded jobs, one
without), against a dense numpy computation ``W r W'`` on the real CBP 2017 and Cluster
Mapping tables (the function itself works in long form, by merges and group sums), and the
placebo permutation against its definition.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from agglomeration.data import RawData
from agglomeration.data.concordance import concord_naics3
from agglomeration.errors import InputError
from agglomeration.measures import (
    industry_cluster_weights,
    industry_relatedness_from_clusters,
    permute_industries,
    prepare_cluster_crosswalk,
)

CROSSWALK = pd.DataFrame(
    {"naics": ["x1", "x2", "y1", "z1", "z2"], "cluster": ["A", "B", "B", "A", "B"]}
)
# industry x: 30 jobs in A, 10 in B, 40 local (x9); y: 20 in B; z: 5 in A, 5 in B, one
# suppressed code (z9); w: only a local code
NATIONAL = pd.DataFrame(
    {
        "naics": ["x1", "x2", "x9", "y1", "z1", "z2", "z9", "w1"],
        "industry": ["x", "x", "x", "y", "z", "z", "z", "w"],
        "employment": [30.0, 10.0, 40.0, 20.0, 5.0, 5.0, np.nan, 7.0],
        "year": 2017,
    }
)


def _related(rab: float = 0.2, rba: float = 0.4) -> pd.DataFrame:
    # r = [[0.8, rab], [rba, 0.6]], row = cluster_a (focal)
    return pd.DataFrame(
        {
            "cluster_a": ["A", "A", "B", "B"],
            "cluster_b": ["A", "B", "A", "B"],
            "cr_io": [0.8, rab, rba, 0.6],
        }
    )


def _as_dict(table: pd.DataFrame, col: str = "relatedness") -> dict[tuple[str, str], float]:
    return {(i, j): v for i, j, v in table[["industry_i", "industry_j", col]].itertuples(index=False)}


def test_toy_traded_shares_by_hand() -> None:
    # w_x = (0.75, 0.25), w_y = (0, 1), w_z = (0.5, 0.5); R_ij = w_i' r w_j
    res = industry_relatedness_from_clusters(
        CROSSWALK, NATIONAL, _related(), year=2017, industry="industry", shares="traded"
    )
    got = _as_dict(res.table)
    want = {
        ("x", "y"): 0.75 * 0.2 + 0.25 * 0.6,  # 0.30
        ("y", "x"): 0.4 * 0.75 + 0.6 * 0.25,  # 0.45: r is read with the focal cluster as row
        ("x", "z"): 0.75 * 0.5 + 0.25 * 0.5,  # r w_z = (0.5, 0.5)
        ("z", "x"): 0.5 * (0.8 * 0.75 + 0.2 * 0.25) + 0.5 * (0.4 * 0.75 + 0.6 * 0.25),
        ("y", "z"): 0.5,
        ("z", "y"): 0.5 * 0.2 + 0.5 * 0.6,
    }
    assert set(got) == set(want)  # no self-pairs, nothing for w
    for k, v in want.items():
        assert got[k] == pytest.approx(v, abs=1e-15), k
    assert res.info["industries_without_traded"] == ("w",)
    assert res.n_missing == 1 and res.dropped["naics"].tolist() == ["z9"]
    top = _as_dict(res.table, "related_top")
    assert [k for k, v in top.items() if v] == [("x", "z"), ("y", "z"), ("z", "x")]


def test_toy_total_shares_scale_by_traded_share() -> None:
    # total shares: w_x = (30/80, 10/80) (x is half local), w_y, w_z unchanged (z9 suppressed:
    # left out of z's total)
    res = industry_relatedness_from_clusters(
        CROSSWALK, NATIONAL, _related(), year=2017, industry="industry"
    )
    got = _as_dict(res.table)
    assert got[("x", "y")] == pytest.approx(0.375 * 0.2 + 0.125 * 0.6, abs=1e-15)
    assert got[("y", "x")] == pytest.approx(0.4 * 0.375 + 0.6 * 0.125, abs=1e-15)
    assert got[("y", "z")] == pytest.approx(0.5, abs=1e-15)
    w = industry_cluster_weights(NATIONAL, CROSSWALK, industry="industry").table
    assert w.set_index(["industry", "cluster"])["weight"].to_dict() == pytest.approx(
        {("x", "A"): 0.375, ("x", "B"): 0.125, ("y", "B"): 1.0, ("z", "A"): 0.5, ("z", "B"): 0.5}
    )
    tot = res.info["industry_totals"].set_index("industry")
    assert tot.loc["x", "traded_share"] == 0.5 and tot.loc["w", "traded_share"] == 0.0


def test_toy_exclude_within_and_negative_links() -> None:
    res = industry_relatedness_from_clusters(
        CROSSWALK, NATIONAL, _related(), year=2017, industry="industry", shares="traded",
        within="exclude",
    )
    got = _as_dict(res.table)
    assert got[("x", "y")] == pytest.approx(0.75 * 0.2, abs=1e-15)
    assert got[("y", "x")] == pytest.approx(0.4 * 0.75, abs=1e-15)
    neg = industry_relatedness_from_clusters(
        CROSSWALK, NATIONAL, _related(rab=-0.1), year=2017, industry="industry", shares="traded"
    )
    assert neg.info["negative_set_to_zero"] == 1
    assert _as_dict(neg.table)[("x", "y")] == pytest.approx(0.25 * 0.6, abs=1e-15)


def test_bad_input_names_the_problem() -> None:
    two_years = pd.concat([NATIONAL, NATIONAL.assign(year=2018)])
    with pytest.raises(InputError, match="year="):
        industry_relatedness_from_clusters(CROSSWALK, two_years, _related(), industry="industry")
    with pytest.raises(InputError, match="cr_occ"):
        industry_relatedness_from_clusters(
            CROSSWALK, NATIONAL, _related(), measure="cr_occ", industry="industry"
        )
    with pytest.raises(InputError, match="no row in the relatedness table"):
        industry_relatedness_from_clusters(
            CROSSWALK.replace({"B": "C"}), NATIONAL, _related(), industry="industry"
        )
    with pytest.raises(InputError, match="repeated codes"):
        industry_cluster_weights(pd.concat([NATIONAL, NATIONAL]), CROSSWALK)
    with pytest.raises(InputError, match="within"):
        industry_relatedness_from_clusters(
            CROSSWALK, NATIONAL, _related(), industry="industry", within="max"  # type: ignore[arg-type]
        )


def test_permutation_relabels_industries() -> None:
    rel = industry_relatedness_from_clusters(
        CROSSWALK, NATIONAL, _related(), year=2017, industry="industry", shares="traded"
    ).table
    p1 = permute_industries(rel, np.random.default_rng(3))
    p2 = permute_industries(rel, np.random.default_rng(3))
    pd.testing.assert_frame_equal(p1.table, p2.table)
    pi = p1.info["permutation"]
    assert sorted(pi) == sorted(pi.values()) == ["x", "y", "z"]
    orig, perm = _as_dict(rel), _as_dict(p1.table)
    for (i, j), v in perm.items():
        assert v == orig[(pi[i], pi[j])]


@pytest.fixture(scope="module")
def real(raw_dir):
    raw = RawData(raw_dir)
    cw = raw.get("cluster_crosswalk")
    nat = raw.get("cbp_national_naics6")
    nat = nat.assign(industry=concord_naics3(nat["naics"].str[:3]))
    cw = cw.loc[~cw["nonstandard"] | cw["naics"].isin(set(nat.loc[nat["year"].eq(2017), "naics"]))]
    traded = prepare_cluster_crosswalk(cw, traded_local="traded", nonstandard=None).table
    return traded, nat, raw.get("related_clusters")


@pytest.mark.parametrize("measure", ["cr_lc", "cr_io", "cr_occ"])
def test_real_data_equals_dense_w_r_wt(real, measure) -> None:
    traded, nat, related = real
    res = industry_relatedness_from_clusters(
        traded, nat, related, measure=measure, year=2017, industry="industry"
    )
    # dense: W (industries x clusters) from the raw codes, r (clusters x clusters), W r W'
    n17 = nat.loc[nat["year"].eq(2017)]
    clusters = sorted(set(related["cluster_a"]))
    inds = sorted(set(n17["industry"]))
    cl_of = dict(zip(traded["naics"], traded["cluster"], strict=True))
    w = np.zeros((len(inds), len(clusters)))
    tot = np.zeros(len(inds))
    for code, ind, e in n17[["naics", "industry", "employment"]].itertuples(index=False):
        if np.isnan(e):
            continue
        k = inds.index(ind)
        tot[k] += e
        if code in cl_of:
            w[k, clusters.index(cl_of[code])] += e
    w = w / tot[:, None]
    r = related.pivot(index="cluster_a", columns="cluster_b", values=measure)
    r = np.clip(r.loc[clusters, clusters].to_numpy(), 0.0, None)
    dense = w @ r @ w.T
    has = w.sum(axis=1) > 0
    assert set(res.info["industries_without_traded"]) == {i for i, h in zip(inds, has, strict=True) if not h}
    keep = [i for i, h in zip(inds, has, strict=True) if h]
    got = res.table.pivot(index="industry_i", columns="industry_j", values="relatedness")
    got = got.loc[keep, keep].to_numpy()
    idx = [inds.index(i) for i in keep]
    want = dense[np.ix_(idx, idx)]
    off = ~np.eye(len(keep), dtype=bool)
    assert len(res.table) == len(keep) * (len(keep) - 1)
    np.testing.assert_allclose(got[off], want[off], rtol=1e-12, atol=0)
    assert np.isnan(np.diag(got)).all()  # no self-pairs


def test_real_table_diagonal_above_off_diagonal(real) -> None:
    """The within-cluster choice: the table's (c, c) entries exceed its typical (c, c') entry."""
    related = real[2]
    diag = related["cluster_a"].eq(related["cluster_b"])
    for m in ("cr_lc", "cr_io", "cr_occ"):
        assert diag.sum() == 51
        assert related.loc[diag, m].mean() > related.loc[~diag, m].mean() + 0.1, m
        assert related.loc[diag, m].median() > related.loc[~diag, m].quantile(0.75), m


def test_real_base_year_changes_coverage_not_composition(real) -> None:
    """Why the weights' base year is 2017, the crosswalk's NAICS vintage, not 2001.

    In 2001 (NAICS 1997 codes) whole industries match no crosswalk code, and total-share
    relatedness falls where part of an industry's codes changed; the traded composition of
    the industries defined in both years barely moves, and 2012 (NAICS 2012) agrees with 2017.
    """
    traded, nat, related = real
    kw = {"measure": "cr_io", "industry": "industry"}
    r17, r12, r01 = (
        industry_relatedness_from_clusters(traded, nat, related, year=y, **kw)
        for y in (2017, 2012, 2001)
    )
    lost = set(r01.info["industries_without_traded"]) - set(r17.info["industries_without_traded"])
    assert {"42", "315", "515-519", "23"} <= lost

    def corr(a: pd.DataFrame, b: pd.DataFrame) -> float:
        m = a.merge(b, on=["industry_i", "industry_j"])
        return float(np.corrcoef(m["relatedness_x"], m["relatedness_y"])[0, 1])

    assert corr(r17.table, r12.table) > 0.99
    assert corr(r17.table, r01.table) < 0.95
    t17, t01 = (
        industry_relatedness_from_clusters(traded, nat, related, year=y, shares="traded", **kw)
        for y in (2017, 2001)
    )
    assert corr(t17.table, t01.table) > 0.99
