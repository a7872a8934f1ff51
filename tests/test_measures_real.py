"""The measures on the real CBP and USCMP files (skipped when the raw data are absent)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import agglomeration.measures as m

STATE = {"region": "state_fips", "industry": "naics", "value": "employment_march",
         "time": "year"}


@pytest.fixture(scope="module")
def state_cbp(raw_dir: Path) -> pd.DataFrame:
    d = pd.read_csv(raw_dir / "cbp_state_naics3_2001_2021.csv",
                    dtype={"state_fips": str, "naics": str})
    return d


def test_cbp_suppressions_and_lq_identity(state_cbp: pd.DataFrame) -> None:
    sup = m.mark_suppressed(state_cbp, value="employment_march", establishments="establishments")
    assert sup.n_missing == 7310  # MANIFEST: 7,310 suppressed state x industry cells
    res = m.location_quotient(sup.table, **STATE)
    assert res.n_missing == 7310
    t = res.table.dropna(subset=["lq"])
    # identity on observed cells: sum_r (E_r/E) LQ_ri = 1 for every industry-year, with E_r
    # and E the totals of the observed cells (the drop rule)
    er_all = sup.table.groupby(["state_fips", "year"])["employment_march"].sum()
    e_all = sup.table.groupby("year")["employment_march"].sum()
    w = t.join(er_all.rename("er"), on=["state_fips", "year"]).join(e_all.rename("e"), on="year")
    mean_lq = (w["er"] / w["e"] * w["lq"]).groupby([w["naics"], w["year"]]).sum()
    np.testing.assert_allclose(mean_lq.to_numpy(), 1.0, rtol=1e-9)


def test_state_gammas_2019_are_plausible(state_cbp: pd.DataFrame) -> None:
    d = m.mark_suppressed(state_cbp, value="employment_march",
                          establishments="establishments").table
    d = d[d["year"] == 2019]
    ph = m.plant_herfindahl_from_counts(d, industry="naics", establishments="establishments",
                                        value="employment_march", region="state_fips")
    g = m.ellison_glaeser_gamma(d, **{k: v for k, v in STATE.items() if k != "time"},
                                plant_herfindahl=ph.table).table.dropna(subset=["gamma"])
    assert len(g) >= 80
    ranked = g.sort_values("gamma")["naics"].tolist()
    # oil and gas extraction (211) and mining support (213) are among the most localised
    # industries; restaurants (722) and food stores (445) follow population
    assert {"211", "213"} <= set(ranked[-5:])
    assert {"722", "445"} <= set(ranked[:10])
    assert 0.0 < g["gamma"].median() < 0.05


def test_metro_cluster_strength(raw_dir: Path) -> None:
    c = pd.read_csv(raw_dir / "cbp_cbsa_naics6_2019.csv",
                    dtype={"cbsa_code": str, "naics_code": str})
    cw = m.prepare_cluster_crosswalk(
        pd.read_csv(raw_dir / "uscmp_naics_to_cluster_crosswalk.csv", dtype=str)).table
    sup = m.mark_suppressed(c, value="EMP", establishments="ESTAB")
    res = m.cluster_strength(sup.table, cw, region="cbsa_code", industry="naics_code",
                             value="EMP")
    t = res.table
    n_regions = t["cbsa_code"].nunique()
    assert len(t) == n_regions * 51
    # at most a quarter of regions (plus ties) are strong in any cluster
    assert (t.groupby("cluster")["strong"].sum() <= np.ceil(0.25 * n_regions) + 1).all()
    # identity: sum_r (E_r/E) LQ_rc = 1 per cluster
    e = t.drop_duplicates("cbsa_code")["region_employment"].sum()
    wmean = (t["region_employment"] / e * t["lq"]).groupby(t["cluster"]).sum()
    np.testing.assert_allclose(wmean.to_numpy(), 1.0, rtol=1e-9)
    # traded clusters hold a minority of employment (USCMP: about a third)
    assert 0.2 < 1.0 - res.info["unmapped_employment_share"] < 0.5
    rel = m.related_cluster_pairs(pd.read_csv(raw_dir / "uscmp_related_clusters_51x51.csv"))
    rs = m.related_cluster_strength(t, rel, region="cbsa_code")
    assert rs.info["pairs_unknown_cluster"] == 0
    assert (rs.table["n_strong_related"] <= rs.table["n_related"]).all()
