"""The explorer's tidy frames, checked against the raw files recomputed with plain pandas/scipy,
against hand-made cases, and on bad input."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import percentileofscore

from agglomeration.data.readers import read_related_clusters
from agglomeration.errors import ColumnMissingError, DataIntegrityError, InputError
from agglomeration.explorer import (
    MEASURES,
    ExplorerSettings,
    build_explorer_data,
    check_explorer_inputs,
    cluster_layout,
    cluster_links,
    cluster_patent_links,
    cluster_slug,
    links_above,
    node_radius,
    patent_spec_name,
    related_clusters,
    strong_cells,
    top_metros_by_lq,
)
from agglomeration.panels import build_metro_clusters

CBP = "cbp_cbsa_naics6_2019.csv"
CROSSWALK = "uscmp_naics_to_cluster_crosswalk.csv"
RELATED = "uscmp_related_clusters_51x51.csv"
COUNTY_CBSA = "county_cbsa_crosswalk.csv"


@pytest.fixture(scope="module")
def panel(raw_dir: Path) -> pd.DataFrame:
    return build_metro_clusters(raw_dir).data


@pytest.fixture(scope="module")
def related(raw_dir: Path) -> pd.DataFrame:
    return read_related_clusters(raw_dir)


@pytest.fixture(scope="module")
def data(panel: pd.DataFrame, related: pd.DataFrame):
    registry = pd.DataFrame(
        {"spec_name": ["county_baseline"], "term": ["log_density"], "estimate": [0.07],
         "conf_low": [0.06], "conf_high": [0.08]}
    )
    return build_explorer_data(panel, related, registry)


@pytest.fixture(scope="module")
def raw_cells(raw_dir: Path) -> pd.DataFrame:
    """Metro x traded-cluster employment from the 6-digit CBP file, in plain pandas."""
    cbp = pd.read_csv(raw_dir / CBP, dtype={"cbsa_code": str, "naics_code": str})
    cbp["cbsa"] = cbp["cbsa_code"].str.zfill(5)
    cbp["suppressed"] = (cbp["EMP"] == 0) & (cbp["ESTAB"] > 0)
    cw = pd.read_csv(raw_dir / CROSSWALK, dtype={"naics": str})
    cw = cw[(cw["traded_local"] == "Traded")
            & (cw["emsi_specific_nonstandard"].astype(str).str.lower() != "true")]
    m = cbp.merge(cw[["naics", "cluster"]], left_on="naics_code", right_on="naics")
    cells = m.groupby(["cbsa", "cluster"], as_index=False).agg(
        emp=("EMP", "sum"), sup=("suppressed", "any"))
    metro_total = cbp.groupby("cbsa")["EMP"].sum()
    cluster_total = m.groupby("cluster")["EMP"].sum()  # every disclosed cell (suppressed are 0)
    grand = cbp["EMP"].sum()
    cells["lq"] = (cells["emp"] / cells["cbsa"].map(metro_total)) / (
        cells["cluster"].map(cluster_total) / grand)
    cells.loc[cells["sup"], "lq"] = np.nan
    return cells


# ---------------------------------------------------------------- nodes vs raw CBP

def test_node_employment_equals_cbp_6digit_through_crosswalk(data, raw_cells):
    ok = raw_cells[~raw_cells["sup"]]
    want = ok.groupby("cluster")["emp"].sum()
    got = data.nodes.set_index("cluster")["employment"]
    assert len(got) == 51
    pd.testing.assert_series_equal(got.sort_index(), want.astype(float).sort_index(),
                                   check_names=False, rtol=0, atol=0)
    n_sup = raw_cells.groupby("cluster")["sup"].sum()
    assert (data.nodes.set_index("cluster")["n_suppressed"] == n_sup.reindex(got.index)).all()
    assert data.nodes["n_suppressed"].sum() == data.info["n_suppressed_cells"] > 0


def test_node_strong_counts_ignore_flags_without_lq(data, panel):
    flag = panel["strong"].astype("boolean").fillna(False).astype(bool)
    finite = np.isfinite(panel["cluster_lq"].to_numpy(float))
    want = panel.assign(s=flag & finite).groupby("cluster")["s"].sum()
    got = data.nodes.set_index("cluster")["n_strong"]
    assert (got == want.reindex(got.index)).all()
    assert data.info["n_strong_flag_without_lq"] == int((flag & ~finite).sum())


# ---------------------------------------------------------------- links vs raw relatedness

def _raw_pairs(raw_dir: Path) -> pd.DataFrame:
    r = pd.read_csv(raw_dir / RELATED)
    r["cluster_name"] = r["cluster_name"].str.strip()
    r["cluster_name_2"] = r["cluster_name_2"].str.strip()
    return r[r["cluster_name"] < r["cluster_name_2"]]  # one row per pair (the explorer's choice)


# thresholds p with p * 1275 / 100 not an integer, so no pair sits exactly on the cut
@pytest.mark.parametrize("measure", list(MEASURES))
@pytest.mark.parametrize("p", [0.0, 50.0, 90.0, 95.0, 99.0])
def test_link_counts_equal_raw_relatedness_file(raw_dir, data, measure, p):
    pairs = _raw_pairs(raw_dir)
    v = pairs[measure].to_numpy(float)
    want = sum(percentileofscore(v, x, kind="strict") >= p for x in v)
    assert len(data.links) == 51 * 50 // 2
    assert len(links_above(data.links, measure, p)) == want
    if p == 0.0:
        assert want == 1275


def test_related_clusters_equal_raw_pairs(raw_dir, data):
    pairs = _raw_pairs(raw_dir)
    v = pairs["cr_io"].to_numpy(float)
    cut = np.sort(v)[int(np.ceil(0.9 * len(v)))]  # smallest value with >= 90 % of pairs below
    both = pd.concat([pairs.rename(columns={"cluster_name": "a", "cluster_name_2": "b"}),
                      pairs.rename(columns={"cluster_name": "b", "cluster_name_2": "a"})])
    want = both[(both["a"] == "Automotive") & (both["cr_io"] >= cut)]
    got = related_clusters(data.links, "Automotive", "cr_io", 90.0)
    assert set(got["related_cluster"]) == set(want["b"])
    assert got["value"].is_monotonic_decreasing
    assert np.allclose(np.sort(got["value"]), np.sort(want["cr_io"]), rtol=0, atol=0)


def test_links_use_one_direction_and_the_file_is_symmetric(related):
    lk = cluster_links(related)
    assert (lk["cluster_a"] < lk["cluster_b"]).all()
    r = related.set_index(["cluster_a", "cluster_b"])
    for row in lk.sample(20, random_state=np.random.default_rng(1).integers(1 << 31)).itertuples():
        assert abs(r.loc[(row.cluster_b, row.cluster_a), "cr_all"] - row.cr_all) < 1e-5


# ---------------------------------------------------------------- portfolios and top metros

def test_top_metros_by_lq_equal_raw_recomputation(raw_dir, data, raw_cells):
    cc = pd.read_csv(raw_dir / COUNTY_CBSA, dtype={"cbsa_code": str})
    kind = cc.dropna(subset=["cbsa_code"]).assign(cbsa=lambda d: d["cbsa_code"].str.zfill(5))
    metros = set(kind.loc[kind["cbsa_type"] == "metro", "cbsa"])
    for cluster in ["Automotive", "Biopharmaceuticals", "Tobacco"]:
        c = raw_cells[(raw_cells["cluster"] == cluster) & raw_cells["cbsa"].isin(metros)]
        c = c.dropna(subset=["lq"]).sort_values(["lq", "cbsa"], ascending=[False, True]).head(10)
        got = data.top_metros[data.top_metros["cluster"] == cluster]
        assert got["cbsa"].tolist() == c["cbsa"].tolist()
        assert got["rank"].tolist() == list(range(1, 11))
        assert np.allclose(got["cluster_lq"], c["lq"], rtol=1e-12, atol=0)
        assert np.array_equal(got["employment"].to_numpy(float), c["emp"].to_numpy(float))


@pytest.mark.parametrize("cbsa", ["19820", "12420"])  # Detroit, Austin
def test_metro_portfolio_employment_and_lq_equal_raw(data, raw_cells, panel, cbsa):
    port = data.portfolios[data.portfolios["cbsa"] == cbsa]
    p = panel[panel["cbsa"] == cbsa]
    flag = p["strong"].astype("boolean").fillna(False).astype(bool)
    assert set(port["cluster"]) == set(p.loc[flag & p["cluster_lq"].notna(), "cluster"])
    assert len(port) > 5
    raw = raw_cells[raw_cells["cbsa"] == cbsa].set_index("cluster")
    assert np.array_equal(port["employment"].to_numpy(float),
                          raw.loc[port["cluster"], "emp"].to_numpy(float))
    assert np.allclose(port["cluster_lq"], raw.loc[port["cluster"], "lq"], rtol=1e-12, atol=0)
    assert port["cluster_lq"].is_monotonic_decreasing


def test_unnamed_cbsas_are_kept_and_named_by_code(data, panel):
    unnamed = panel.loc[panel["cbsa_name"].isna(), "cbsa"].unique()
    assert data.info["n_areas_without_name"] == len(unnamed) > 0
    m = data.metros.set_index("cbsa")
    assert len(m) == panel["cbsa"].nunique()
    for c in unnamed:
        assert m.loc[c, "cbsa_name"] == f"CBSA {c}"
        assert m.loc[c, "cbsa_type"] == "unknown"


# ---------------------------------------------------------------- hand-made cases

def tiny_panel() -> pd.DataFrame:
    rows = []
    for cbsa, name in [("00001", "A"), ("00002", "B")]:
        for cl, emp, lq, strong in [("X", 10.0, 2.0, True), ("Y", np.nan, np.nan, True),
                                    ("Z", 5.0, 0.5, None)]:
            rows.append({"cbsa": cbsa, "cbsa_name": name, "cbsa_type": "metro", "cluster": cl,
                         "employment": emp, "cluster_lq": lq, "strong": strong})
    return pd.DataFrame(rows)


def tiny_related(clusters=("X", "Y", "Z")) -> pd.DataFrame:
    vals = {("X", "Y"): 0.9, ("X", "Z"): 0.1, ("Y", "Z"): 0.5}
    rows = []
    for a in clusters:
        for b in clusters:
            v = 1.0 if a == b else vals[tuple(sorted((a, b)))]
            rows.append({"cluster_a": a, "cluster_b": b, "cr_io": v, "cr_occ": v, "cr_lc": v,
                         "cr_all": v})
    return pd.DataFrame(rows)


def test_strong_is_counted_only_where_lq_is_finite():
    p = tiny_panel()
    assert strong_cells(p).tolist() == [True, False, False] * 2


def test_percentiles_of_three_pairs_by_hand():
    lk = cluster_links(tiny_related())
    # values 0.9, 0.1, 0.5 for (X,Y), (X,Z), (Y,Z): pairs strictly below = 2, 0, 1 of 3
    assert lk[["cluster_a", "cluster_b"]].values.tolist() == [["X", "Y"], ["X", "Z"], ["Y", "Z"]]
    assert np.allclose(lk["cr_all_pct"], [200 / 3, 0.0, 100 / 3])
    assert len(links_above(lk, "cr_all", 50)) == 1
    assert len(links_above(lk, "cr_all", 30)) == 2
    assert related_clusters(lk, "Z", "cr_all", 0)["related_cluster"].tolist() == ["Y", "X"]


def test_cluster_slug_examples_and_convention():
    assert cluster_slug("Marketing, Design, and Publishing") == "marketing_design_and_publishing"
    assert cluster_slug("Trailers, Motor Homes, and Appliances") == (
        "trailers_motor_homes_and_appliances")
    assert cluster_slug("  Oil and Gas Production and Transportation ") == (
        "oil_and_gas_production_and_transportation")
    assert cluster_slug("--A&B--(c)") == "a_b_c"
    assert patent_spec_name("Apparel") == "metro_patents_strong__apparel"


def test_slugs_of_the_51_clusters_are_unique_and_well_formed(data):
    s = data.nodes["slug"]
    assert s.is_unique and len(s) == 51
    assert all(re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)*", x) for x in s)


def test_node_radius_by_hand():
    r = node_radius(pd.Series([0.0, 25.0, 100.0]), r_min=5, r_max=25)
    assert r.tolist() == [5.0, 15.0, 25.0]


def test_layout_is_deterministic_inside_the_box_and_without_overlap(data):
    nodes = data.nodes
    a = cluster_layout(data.links, nodes["cluster"], nodes["radius"], seed=7)
    b = cluster_layout(data.links, nodes["cluster"], nodes["radius"], seed=7)
    c = cluster_layout(data.links, nodes["cluster"], nodes["radius"], seed=8)
    pd.testing.assert_frame_equal(a, b)
    assert not a[["x", "y"]].equals(c[["x", "y"]])
    xy, r = a[["x", "y"]].to_numpy(), nodes["radius"].to_numpy()
    assert (xy - r[:, None] >= 20 - 0.1).all() and (xy + r[:, None] <= 980 + 0.1).all()
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    gap = d - (r[:, None] + r[None, :])
    np.fill_diagonal(gap, np.inf)
    assert gap.min() > 0  # circles never overlap (pad 6, less rounding)


def test_related_clusters_of_real_pairs_are_nearer_in_the_layout(data):
    xy = data.nodes.set_index("cluster")[["x", "y"]]
    lk = data.links

    def dist(frame):
        a, b = xy.loc[frame["cluster_a"]].to_numpy(), xy.loc[frame["cluster_b"]].to_numpy()
        return np.hypot(*(a - b).T).mean()

    assert dist(lk[lk["cr_all_pct"] >= 95]) < 0.6 * dist(lk[lk["cr_all_pct"] < 50])


# ---------------------------------------------------------------- patent links

def registry(ci_names=("conf_low", "conf_high")) -> pd.DataFrame:
    lo, hi = ci_names
    return pd.DataFrame(
        {
            "spec_id": ["a1", "a2", "b1", "c1"],
            "spec_name": ["metro_patents_strong__automotive", "metro_patents_strong__automotive",
                          "metro_patents_strong__biopharmaceuticals", "county_baseline"],
            "term": ["strong", "strong", "strong", "log_density"],
            "estimate": [0.1234567890123, 0.1234567890123, -0.05, 0.07],
            "std_error": [0.01, 0.02, 0.03, 0.005],
            lo: [0.1, 0.08, -0.11, 0.06],
            hi: [0.15, 0.16, 0.01, 0.08],
            "variance": ["cluster(state)", "iid", "iid", "iid"],
            "n_obs": [380, 380, 380, 65410],
        }
    )


@pytest.mark.parametrize("names", [("conf_low", "conf_high"), ("ci_low", "ci_high")])
def test_patent_links_select_the_convention_rows_exactly(names):
    out = cluster_patent_links(registry(names), ["Automotive", "Biopharmaceuticals", "Tobacco"])
    assert out["cluster"].tolist() == ["Automotive", "Automotive", "Biopharmaceuticals"]
    assert out["estimate"].tolist() == [0.1234567890123, 0.1234567890123, -0.05]
    assert out["conf_low"].tolist() == [0.1, 0.08, -0.11]
    assert out["conf_high"].tolist() == [0.15, 0.16, 0.01]
    assert out["variance"].tolist() == ["cluster(state)", "iid", "iid"]


def test_patent_link_with_unknown_slug_fails_naming_it():
    reg = registry()
    reg.loc[2, "spec_name"] = "metro_patents_strong__biopharma"
    with pytest.raises(DataIntegrityError, match="metro_patents_strong__biopharma"):
        cluster_patent_links(reg, ["Automotive", "Biopharmaceuticals"])


def test_registry_without_interval_fails_naming_the_columns():
    with pytest.raises(ColumnMissingError, match="conf_low/conf_high"):
        cluster_patent_links(registry().drop(columns=["conf_low"]), ["Automotive"])


# ---------------------------------------------------------------- bad input

def test_panel_missing_a_metro_cluster_row_fails_naming_it():
    p = tiny_panel()
    p = p[~((p["cbsa"] == "00002") & (p["cluster"] == "Z"))]
    with pytest.raises(DataIntegrityError, match=r"metro 00002 \(B\) has no row for cluster 'Z'"):
        check_explorer_inputs(p, tiny_related())


def test_panel_missing_a_cluster_fails_naming_it(panel, related):
    p = panel[panel["cluster"] != "Footwear"]
    with pytest.raises(DataIntegrityError, match="'Footwear'.*no row in the metro x cluster"):
        build_explorer_data(p, related, registry())


def test_relatedness_missing_a_pair_fails_naming_it(panel, related):
    r = related[~((related["cluster_a"] == "Apparel") & (related["cluster_b"] == "Footwear"))]
    with pytest.raises(DataIntegrityError, match="'Apparel' -> 'Footwear'"):
        build_explorer_data(panel, r, registry())


def test_relatedness_missing_a_cluster_fails_naming_it():
    with pytest.raises(DataIntegrityError, match="'Z'.*no row in the relatedness table"):
        check_explorer_inputs(tiny_panel(), tiny_related(("X", "Y")))


def test_relatedness_missing_value_fails_naming_pair_and_column():
    r = tiny_related()
    r.loc[(r["cluster_a"] == "Y") & (r["cluster_b"] == "X"), "cr_occ"] = np.nan
    with pytest.raises(DataIntegrityError, match="'cr_occ'.*'Y' -> 'X'"):
        check_explorer_inputs(tiny_panel(), r)


def test_panel_without_strong_flag_fails_with_the_fix():
    with pytest.raises(ColumnMissingError, match="strong"):
        check_explorer_inputs(tiny_panel().drop(columns="strong"), tiny_related())


def test_bad_settings_and_thresholds_are_refused():
    with pytest.raises(InputError, match="cr_foo"):
        ExplorerSettings(measure="cr_foo")
    with pytest.raises(InputError, match="min_percentile"):
        links_above(cluster_links(tiny_related()), "cr_all", 120)


def test_top_metros_needs_a_positive_n():
    with pytest.raises(InputError):
        top_metros_by_lq(tiny_panel(), n=0)
