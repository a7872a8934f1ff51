"""Delgado-Porter-Stern cluster measures: a hand-computed example and the real USCMP tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import agglomeration.measures as m

# Crosswalk: 111111 and 222222 -> C1, 333333 -> C2; 999999 is in no traded cluster.
#
#   region  111111  222222  333333  999999   E_r    cluster employment
#   R1        10               10      80    100    C1 10, C2 10
#   R2                 30              70    100    C1 30
#   R3                         50     150    200    C2 50
#   R4                                100    100    -
#   E = 500, E_C1 = 40, E_C2 = 60
#
# cluster LQ = (E_rc/E_r)/(E_c/E):
#   C1: R1 (10/100)/(40/500) = 0.1/0.08 = 1.25, R2 0.3/0.08 = 3.75, R3 0, R4 0
#   C2: R1 0.1/0.12 = 0.8333, R2 0, R3 0.25/0.12 = 2.0833, R4 0
# top quartile (75th percentile, linear): C1 sorted (0, 0, 1.25, 3.75): position 2.25 ->
#   1.25 + 0.25 * 2.5 = 1.875 -> only R2 strong; C2 (0, 0, 0.833, 2.083): 0.833 + 0.25 * 1.25
#   = 1.146 -> only R3 strong.
CW = pd.DataFrame({"naics": ["111111", "222222", "333333"], "cluster": ["C1", "C1", "C2"]})
DF = pd.DataFrame(
    {
        "reg": ["R1", "R1", "R1", "R2", "R2", "R3", "R3", "R4"],
        "naics": [111111, 333333, 999999, 222222, 999999, 333333, 999999, 999999],
        "emp": [10.0, 10, 80, 30, 70, 50, 150, 100],
    }
)
KW = {"region": "reg", "industry": "naics", "value": "emp"}


def test_cluster_strength_hand() -> None:
    res = m.cluster_strength(DF, CW, **KW)
    t = res.table.set_index(["reg", "cluster"])
    assert len(t) == 8  # full grid: 4 regions x 2 clusters
    np.testing.assert_allclose(t["cluster_employment"].to_numpy(), [10, 10, 30, 0, 0, 50, 0, 0])
    lq = t["lq"]
    np.testing.assert_allclose(
        lq.to_numpy(), [1.25, 0.1 / 0.12, 3.75, 0.0, 0.0, 0.25 / 0.12, 0.0, 0.0], rtol=1e-12)
    assert t.index[t["strong"]].tolist() == [("R2", "C1"), ("R3", "C2")]
    assert res.info["unmapped_industries"] == 1
    assert res.info["unmapped_employment_share"] == pytest.approx(400 / 500)
    # identity: sum_r (E_r/E) LQ_rc = share of employment in clusters / cluster share = 1
    er = t["region_employment"]
    for c in ("C1", "C2"):
        assert (er.xs(c, level="cluster") / 500 * lq.xs(c, level="cluster")).sum() == (
            pytest.approx(1.0))


def test_related_cluster_strength_hand() -> None:
    strength = m.cluster_strength(DF, CW, **KW).table
    pairs = pd.DataFrame({"cluster": ["C1", "C2"], "related_cluster": ["C2", "C1"]})
    t = m.related_cluster_strength(strength, pairs, region="reg").table.set_index(
        ["reg", "cluster"])
    # related employment of (r, C1) = E_r,C2 and of (r, C2) = E_r,C1:
    #   R1: C1 10, C2 10;  R2: C1 0, C2 30;  R3: C1 50, C2 0;  R4: 0, 0
    np.testing.assert_allclose(t["related_employment"].to_numpy(), [10, 10, 0, 30, 50, 0, 0, 0])
    # strong related: (R2, C2) has C1 strong in R2; (R3, C1) has C2 strong in R3
    assert t.index[t["n_strong_related"] == 1].tolist() == [("R2", "C2"), ("R3", "C1")]
    assert (t["n_related"] == 1).all()


def test_cluster_strength_by_period() -> None:
    panel = pd.concat([DF.assign(yr=2019), DF.assign(yr=2020, emp=DF["emp"] * 2)])
    t = m.cluster_strength(panel, CW, **KW, time="yr").table
    a = t[t["yr"] == 2019].drop(columns="yr").reset_index(drop=True)
    b = m.cluster_strength(DF, CW, **KW).table
    pd.testing.assert_frame_equal(a, b)
    # doubling all employment changes no LQ
    np.testing.assert_allclose(t.loc[t["yr"] == 2020, "lq"].to_numpy(), b["lq"].to_numpy())


def test_prepare_crosswalk_small() -> None:
    cw = pd.DataFrame({
        "naics": ["336411", "111000", "445110", "42"],
        "traded_local": ["Traded", "Traded", "Local", "Traded"],
        "cluster": ["Aero", "Agri", "Food retail", "Distribution"],
        "emsi_specific_nonstandard": ["False", "True", "False", "False"],
    })
    res = m.prepare_cluster_crosswalk(cw)
    assert res.table["naics"].tolist() == ["000042", "336411"]
    assert res.info == {"emsi_specific_nonstandard": 1, "local (not traded)": 1}
    with pytest.raises(ValueError, match="twice"):
        m.prepare_cluster_crosswalk(pd.concat([cw, cw.iloc[[0]]]))


def test_real_uscmp_tables(raw_dir: Path) -> None:
    cw_raw = pd.read_csv(raw_dir / "uscmp_naics_to_cluster_crosswalk.csv", dtype=str)
    res = m.prepare_cluster_crosswalk(cw_raw)
    # MANIFEST: 992 rows, 37 nonstandard; 660 traded standard rows in 51 traded clusters
    assert res.info["emsi_specific_nonstandard"] == 37
    assert len(res.table) == 660 and res.table["cluster"].nunique() == 51
    rel = pd.read_csv(raw_dir / "uscmp_related_clusters_51x51.csv")
    pairs = m.related_cluster_pairs(rel)
    # the file's flag: 256 ordered related pairs; nrel_all_c1_90_v3 counts them per cluster
    assert len(pairs) == 256
    per = pairs.groupby("cluster").size()
    ref = rel[rel.clustera != rel.clusterb].groupby("cluster_name")["nrel_all_c1_90_v3"].first()
    pd.testing.assert_series_equal(per.reindex(ref.index, fill_value=0), ref,
                                   check_names=False, check_dtype=False)
    assert set(pairs["cluster"]) | set(pairs["related_cluster"]) <= set(res.table["cluster"])
    pc = m.related_cluster_pairs(rel, column="cr_all_pc", threshold=90)
    assert len(pc) == 256  # 250 + 6 pairs: the percentile cut and the flag differ on 12
