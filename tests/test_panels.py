"""Panel builders checked against numbers computed independently from the raw files.

The independent side reads the raw CSVs with the standard library's csv module (no project
reader), so that a bug in a reader or builder cannot cancel out.
"""

from __future__ import annotations

import csv
import shutil
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from agglomeration.data import RawData, RawDataError
from agglomeration.data.concordance import bea_industry_map, bea_line_codes
from agglomeration.data.readers import FILES
from agglomeration.panels import (
    PanelSchemaError,
    build_county_panel,
    build_metro_clusters,
    build_panels,
    build_state_industry_panel,
)


def _rows(raw_dir: Path, key: str) -> list[dict[str, str]]:
    with open(raw_dir / FILES[key], newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def county(raw_dir: Path):
    return build_county_panel(raw_dir)


@pytest.fixture(scope="module")
def state(raw_dir: Path):
    return build_state_industry_panel(raw_dir)


@pytest.fixture(scope="module")
def metro(raw_dir: Path):
    return build_metro_clusters(raw_dir)


# --- county panel --------------------------------------------------------------------------


def test_county_keys_types_ranges(county):
    d = county.data
    assert not d.duplicated(["fips", "year"]).any()
    assert d["fips"].str.fullmatch(r"\d{5}").all()
    assert d["year"].between(2001, 2021).all() and d["year"].nunique() == 21
    assert (d["land_area_km2"] > 0).all()
    assert d["lat"].between(18, 72).all()
    # US counties lie west of -60; the Aleutians West internal point is across the 180th meridian
    assert (d["lon"].between(-180, -60) | d["fips"].eq("02016")).all()
    assert ~d["fips"].str.endswith("999").any()
    # 50 states + DC; the 2019 Gazetteer lists 3,142 such counties, 3,141 of them in CBP
    assert d["state_fips"].nunique() == 51
    assert 3_100 <= d["fips"].nunique() <= 3_142


def test_county_patents_match_raw_file(county, raw_dir):
    rows = {r["FIPS Code"]: r for r in _rows(raw_dir, "patents_county")}
    d = county.data.set_index(["fips", "year"])
    # Santa Clara (6085) and a small county, several years, straight from the raw file
    for code, year in [("6085", 2010), ("6085", 2001), ("1001", 2015), ("54071", 2007)]:
        expected = float(rows[code][str(year)])
        assert d.loc[(code.zfill(5), year), "patents"] == expected
    # outside 2001-2015 patents are missing, never zero
    assert d.loc[d.index.get_level_values("year") > 2015, "patents"].isna().all()
    # the panel's total over 2001-2015 equals the raw total over the county-years in the panel;
    # the patents of county-years without a CBP row are reported as dropped
    present = set(zip(county.data["fips"], county.data["year"], strict=True))
    gazetteer = {r["GEOID"] for r in _rows(raw_dir, "gazetteer")}
    raw_total = lost = 0.0
    for code, r in rows.items():
        if code == "ALL" or code.zfill(5) not in gazetteer or int(code.zfill(5)[:2]) > 56:
            continue
        for y in range(2001, 2016):
            if (code.zfill(5), y) in present:
                raw_total += float(r[str(y)])
            else:
                lost += 1
    assert county.data["patents"].sum() == raw_total
    rep = county.report.set_index("reason")["rows"]
    assert rep["county-year with patents but no CBP row (county absent from CBP that year)"] == lost


def test_county_employment_totals_preserved(county, raw_dir):
    # Independent: state x year employment summed over the raw county rows, leaving out the
    # statewide county-999 records and the three Alaska codes that split in 2008. Recoding and
    # merging renamed counties must preserve these totals exactly.
    dropped = {"02201", "02232", "02280"}
    tot: dict[tuple[str, int], float] = defaultdict(float)
    nan: dict[tuple[str, int], bool] = defaultdict(bool)
    for r in _rows(raw_dir, "cbp_county"):
        fips = r["state_fips"].zfill(2) + r["county_fips"].zfill(3)
        if r["county_fips"] == "999" or fips in dropped:
            continue
        key = (fips[:2], int(r["year"]))
        if r["employment_march"] in ("", "NA"):
            nan[key] = True
        else:
            tot[key] += float(r["employment_march"])
    mine = county.data.groupby(["state_fips", "year"])["employment"].agg(
        ["sum", lambda s: s.isna().any()]
    )
    mine.columns = ["sum", "has_nan"]
    checked = 0
    for key, value in tot.items():
        if nan[key]:
            assert mine.loc[key, "has_nan"]
            continue
        assert mine.loc[key, "sum"] == value
        checked += 1
    assert checked > 800


def test_density_and_pay_definitions(county, raw_dir):
    gaz = {r["GEOID"]: r for r in _rows(raw_dir, "gazetteer")}
    cbp = {
        (r["state_fips"].zfill(2) + r["county_fips"].zfill(3), int(r["year"])): r
        for r in _rows(raw_dir, "cbp_county")
    }
    d = county.data.set_index(["fips", "year"])
    for key in [("01001", 2001), ("06037", 2019), ("48201", 2010)]:
        emp = float(cbp[key]["employment_march"])
        pay = float(cbp[key]["payroll_quarter1"])
        area = float(gaz[key[0]]["ALAND"]) / 1e6
        assert d.loc[key, "density"] == pytest.approx(emp / area, rel=1e-12)
        assert d.loc[key, "log_pay_per_emp"] == pytest.approx(np.log(pay / emp), rel=1e-12)


def test_county_report_accounts_for_quirks(county):
    rep = county.report.set_index("reason")["rows"]
    assert rep["statewide 'county unknown' record (county 999), not a county"] == 1049
    assert (
        county.data["employment"].isna().sum() == rep["employment suppressed in CBP (left missing)"]
    )


# --- state x industry panel ------------------------------------------------------------------


def test_state_industry_keys_and_concordance(state):
    d = state.data
    assert not d.duplicated(["state_fips", "industry", "year"]).any()
    # every industry code means the same thing in every year: each appears in all 21 years
    years_per_industry = d.groupby("industry")["year"].nunique()
    assert (years_per_industry == 21).all(), years_per_industry[years_per_industry < 21]
    assert {"23", "42", "515-519"} <= set(d["industry"])
    assert not {"233", "236", "421", "423", "513", "516", "519"} & set(d["industry"])


def test_suppressed_cells_are_missing_not_zero(state, raw_dir):
    n_sup = sum(
        1
        for r in _rows(raw_dir, "cbp_state_naics3")
        if float(r["employment_march"]) == 0 and float(r["establishments"]) > 0
    )
    assert n_sup == 7310  # the manifest's count
    rep = state.report.set_index("reason")["rows"]
    assert rep["employment 0 with establishments > 0: disclosure suppression"] == n_sup
    assert (state.data["employment"].dropna() > 0).all()


def test_location_quotient_direct(state, raw_dir):
    # Direct LQ for California (06), 334 (computers and electronics), 2019, from the raw rows:
    # state denominator = sum of the state's disclosed cells, national from the national file.
    st = [
        r
        for r in _rows(raw_dir, "cbp_state_naics3")
        if r["state_fips"] == "6" and r["year"] == "2019"
    ]
    nat = [r for r in _rows(raw_dir, "cbp_national_naics3") if r["year"] == "2019"]
    e_ri = next(float(r["employment_march"]) for r in st if r["naics"] == "334")
    e_r = sum(float(r["employment_march"]) for r in st if float(r["employment_march"]) != 0)
    e_i = next(float(r["employment_march"]) for r in nat if r["naics"] == "334")
    e = sum(float(r["employment_march"]) for r in nat if r["employment_march"] not in ("", "NA"))
    lq = (e_ri / e_r) / (e_i / e)
    got = state.data.set_index(["state_fips", "industry", "year"]).loc[("06", "334", 2019), "lq"]
    assert got == pytest.approx(lq, rel=1e-12)
    assert got > 1  # California is specialised in computers and electronics


def test_lq_identity_employment_weighted_mean_is_one(state):
    # Sum_r e_ri / e_r * LQ_ri * e_r / sum_r e_r ... the identity holds exactly when the national
    # benchmark equals the sum of the states; check it approximately on fully disclosed years.
    d = state.data.dropna(subset=["employment", "lq"])
    g = d.groupby(["industry", "year"]).apply(
        lambda x: np.average(x["lq"], weights=x["state_employment"]), include_groups=False
    )
    # the CBP national file and the sum of states differ by undisclosed cells: within 15%
    assert g.median() == pytest.approx(1.0, abs=0.05)


def test_bea_line_parser_and_map():
    universe = [
        "321",
        "327",
        "331",
        "336",
        "541",
        "511",
        "512",
        "515",
        "517",
        "518",
        "519",
        "113",
        "114",
        "115",
    ]
    full3, part4, sectors = bea_line_codes("321,327-339", universe)
    assert full3 == {"321", "327", "331", "336"} and not part4 and not sectors
    assert bea_line_codes("3361-3363", universe)[1] == {"3361", "3362", "3363"}
    assert bea_line_codes("...", universe) == (frozenset(), frozenset(), frozenset())
    assert bea_line_codes("11", universe)[2] == {"11"}
    lines = pd.DataFrame(
        {
            "line": [3, 5, 13, 21, 22, 45, 46, 47, 48, 49],
            "indclass": [
                "11",
                "113-115",
                "321,327-339",
                "3361-3363",
                "3364-3369",
                "51",
                "511",
                "512",
                "515, 517",
                "518, 519",
            ],
        }
    )
    inds = {
        "113": ["113"],
        "114": ["114"],
        "115": ["115"],
        "336": ["336"],
        "511": ["511"],
        "512": ["512"],
        "515-519": ["515", "517", "518", "519"],
    }
    m = bea_industry_map(lines, inds).set_index("industry")
    assert (
        m.loc["113", "bea_unit"] == "5"
    )  # the explicit 113-115 line, not sector 11 (which has farms)
    assert m.loc["113", "bea_unit_industries"] == ("113", "114", "115")
    assert m.loc["336", "bea_unit"] == "21+22"  # the two 4-digit lines together cover 3361-3369
    assert m.loc["515-519", "bea_unit"] == "48+49"
    assert m.loc["511", "bea_unit"] == "46"


def test_gdp_per_worker_direct(state, raw_dir):
    # Texas (48) 325 chemicals 2015: BEA line 32 nominal GDP ($ million) / CBP employment.
    bea = next(
        r
        for r in _rows(raw_dir, "bea_gdp")
        if r["vname"] == "gdp" and r["stabbr"] == "TX" and r["line"] == "32"
    )
    emp = next(
        float(r["employment_march"])
        for r in _rows(raw_dir, "cbp_state_naics3")
        if r["state_fips"] == "48" and r["naics"] == "325" and r["year"] == "2015"
    )
    got = state.data.set_index(["state_fips", "industry", "year"]).loc[
        ("48", "325", 2015), "gdp_per_worker"
    ]
    assert got == pytest.approx(float(bea["2015"]) * 1e6 / emp, rel=1e-12)


def test_real_gdp_flagged_when_identical_to_nominal(state, raw_dir):
    # In the deposited BEA file the 'rgdp' rows repeat the nominal 'gdp' rows (US 2019 total
    # 21,372,582 in both, which is nominal GDP); the builder must not pass them off as real GDP.
    rows = [r for r in _rows(raw_dir, "bea_gdp") if r["stabbr"] == "US" and r["line"] == "1"]
    by = {r["vname"]: r["2019"] for r in rows}
    if by["gdp"] == by["rgdp"]:
        assert state.data["rgdp_per_worker"].isna().all()
        assert state.report["reason"].str.contains("rgdp").any()


# --- metro x cluster -------------------------------------------------------------------------


def test_metro_cluster_employment_direct(metro, raw_dir):
    cw = {r["naics"]: r for r in _rows(raw_dir, "cluster_crosswalk")}
    assert sum(r["emsi_specific_nonstandard"] == "True" for r in cw.values()) == 37
    rows = _rows(raw_dir, "cbp_cbsa_naics6")
    # San Jose (41940), cluster 'Information Technology and Analytical Instruments'
    target = "Information Technology and Analytical Instruments"
    emp = sum(
        float(r["EMP"])
        for r in rows
        if r["cbsa_code"] == "41940"
        and r["naics_code"] in cw
        and cw[r["naics_code"]]["cluster"] == target
        and cw[r["naics_code"]]["traded_local"] == "Traded"
        and cw[r["naics_code"]]["emsi_specific_nonstandard"] == "False"
    )
    d = metro.data.set_index(["cbsa", "cluster"])
    if not np.isnan(d.loc[("41940", target), "employment"]):
        assert d.loc[("41940", target), "employment"] == emp
    assert d.loc[("41940", target), "cluster_lq"] > 3


def test_metro_grid_and_lq_identity(metro):
    d = metro.data
    assert d["cluster"].nunique() == 51
    assert len(d) == d["cbsa"].nunique() * 51
    # employment-weighted mean of cluster LQs across metros is exactly 1 for complete clusters
    full = d.groupby("cluster").filter(lambda x: x["employment"].notna().all())
    g = full.groupby("cluster").apply(
        lambda x: np.average(x["cluster_lq"], weights=x["metro_employment"]), include_groups=False
    )
    np.testing.assert_allclose(g.to_numpy(), 1.0, rtol=1e-10)


def test_metro_patents_against_uspto_metro_file(metro):
    chk = metro.checks
    matched = chk[chk["match"] == "matched"]
    assert len(matched) > 800
    # county sums through the crosswalk reproduce the USPTO metro totals closely where codes match
    total_ratio = matched["patents_from_counties"].sum() / matched["patents_uspto_metro"].sum()
    assert total_ratio == pytest.approx(1.0, abs=0.02)
    assert (np.abs(matched["ratio"] - 1) < 0.01).mean() > 0.8


# --- bad input -------------------------------------------------------------------------------


def _copy_raw(raw_dir: Path, dest: Path) -> Path:
    for name in FILES.values():
        shutil.copy(raw_dir / name, dest / name)
    return dest


def test_renamed_column_names_file_and_column(raw_dir, tmp_path):
    d = _copy_raw(raw_dir, tmp_path)
    p = d / FILES["gazetteer"]
    p.write_text(p.read_text().replace("ALAND,", "LANDAREA,", 1))
    with pytest.raises(RawDataError, match=r"census_gazetteer_counties_2019\.csv.*ALAND"):
        build_county_panel(d)


def test_duplicated_key_is_an_error(raw_dir, tmp_path):
    d = _copy_raw(raw_dir, tmp_path)
    p = d / FILES["cbp_county"]
    lines = p.read_text().splitlines(keepends=True)
    p.write_text("".join([*lines, lines[1]]))
    with pytest.raises(RawDataError, match=r"cbp_county_total_2001_2021\.csv.*share a key"):
        build_county_panel(d)


def test_missing_file_is_an_error(raw_dir, tmp_path):
    d = _copy_raw(raw_dir, tmp_path)
    (d / FILES["cbp_cbsa_naics6"]).unlink()
    with pytest.raises(FileNotFoundError, match="cbp_cbsa_naics6_2019.csv.*nox -s data"):
        build_metro_clusters(d)


def test_schema_violation_is_reported(raw_dir, tmp_path):
    d = _copy_raw(raw_dir, tmp_path)
    p = d / FILES["gazetteer"]
    text = p.read_text().splitlines(keepends=True)
    # a latitude of 95 degrees for Autauga County, AL
    text[1] = text[1].replace("32.532237", "95.0")
    p.write_text("".join(text))
    with pytest.raises(PanelSchemaError, match="lat"):
        build_county_panel(d)


# --- builders against the measures library (two implementations of the same formula) ----------


def test_state_lq_equals_measures_library(state):
    from agglomeration.measures import location_quotient

    d = state.data
    nat = d.drop_duplicates(["industry", "year"])[["industry", "year", "us_employment"]]
    nat = nat.dropna().rename(columns={"us_employment": "employment"})
    ok = d["industry"].isin(nat["industry"]) & d["us_employment"].notna()
    sub = d.loc[ok & d.groupby(["industry", "year"])["us_employment"].transform("size").gt(0)]
    # the builder's national total E_t is the sum over the national file's industries, which
    # equals the benchmark total when no national cell is missing: compare those years
    full_years = d.groupby("year")["us_employment"].apply(lambda s: s.notna().all())
    sub = sub.loc[sub["year"].isin(full_years[full_years].index)]
    res = location_quotient(
        sub,
        region="state_fips",
        industry="industry",
        value="employment",
        time="year",
        benchmark=nat.loc[nat["year"].isin(sub["year"].unique())],
    )
    np.testing.assert_allclose(res.table["lq"].to_numpy(), sub["lq"].to_numpy(), rtol=1e-12)


def test_metro_cluster_lq_equals_measures_library(metro, raw_dir):
    from agglomeration.measures import cluster_strength, prepare_cluster_crosswalk

    cbp = pd.read_csv(
        raw_dir / FILES["cbp_cbsa_naics6"], dtype={"cbsa_code": str, "naics_code": str}
    )
    cbp = cbp.rename(columns={"cbsa_code": "cbsa", "naics_code": "naics", "EMP": "employment"})
    cbp["employment"] = (
        cbp["employment"].astype(float).where(~(cbp["employment"].eq(0) & cbp["ESTAB"].gt(0)))
    )
    cw = prepare_cluster_crosswalk(
        pd.read_csv(raw_dir / FILES["cluster_crosswalk"], dtype={"naics": str})
    )
    lib = cluster_strength(cbp, cw.table, region="cbsa", industry="naics", value="employment").table
    both = metro.data.merge(lib, on=["cbsa", "cluster"], suffixes=("", "_lib"))
    # the builder leaves a cluster missing when one of its industries is suppressed; the
    # library drops the suppressed cell from the sums. They agree wherever nothing is suppressed.
    clean = both.dropna(subset=["cluster_lq"])
    assert len(clean) > 47_000
    lq_lib = [c for c in lib.columns if c.endswith("lq")][0]
    np.testing.assert_allclose(clean["cluster_lq"], clean[lq_lib], rtol=1e-9)


# --- the panels stage as a whole -------------------------------------------------------------


def test_county_spatial_lag_matches_brute_force(county):
    from agglomeration.geo import haversine_km

    out = county.data
    y2010 = out.loc[out["year"].eq(2010)].reset_index(drop=True)
    # Cook County IL (17031) and Santa Clara CA (06085): mean over the other counties within
    # 100 km (great-circle) of their observed log density that year
    for fips in ["17031", "06085"]:
        me = y2010.loc[y2010["fips"].eq(fips)].iloc[0]
        d = haversine_km(me["lat"], me["lon"], y2010["lat"], y2010["lon"])
        nb = y2010.loc[(d <= 100) & y2010["fips"].ne(fips)]
        assert me["log_density_lag100"] == pytest.approx(np.nanmean(nb["log_density"]), rel=1e-12)
        assert me["patents_lag100"] == pytest.approx(np.nanmean(nb["patents"]), rel=1e-12)
    assert "spatial lag (100 km) computed over observed neighbours only" in set(
        county.report["reason"]
    )


def test_each_raw_file_is_opened_once_per_build(raw_dir, monkeypatch):
    """Count the files pandas opens during a whole build: each raw file exactly once."""
    opened: list[str] = []
    real = pd.read_csv

    def counting(path, *args, **kwargs):
        opened.append(Path(path).name)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(pd, "read_csv", counting)
    builds = build_panels(RawData(raw_dir))
    assert set(builds) == {
        "county",
        "county_sector",
        "state_industry",
        "metro_clusters",
        "plants",
        "metros",
        "cluster_pairs",
        "state_growth",
        "county_shock",
        "metro_shock",
        "state_shock",
    }
    counts = pd.Series(opened).value_counts()
    assert (counts == 1).all(), counts[counts > 1]
    # every raw file is used but the state names; the ACS, ABS and CBP county files feed the
    # county, county x sector and shock panels, once
    assert {FILES["acs_county"], FILES["abs_county_naics2"], FILES["county_population"]} <= set(
        opened
    )
    assert set(opened) == set(FILES.values()) - {FILES["state_fips"]}


def test_strong_agrees_with_cluster_lq_on_real_metro_panel(metro, raw_dir):
    """strong is defined exactly where cluster_lq is, and is the top quartile of the known LQs.

    The cells with unknown LQ are recounted from the raw files with the csv module (a traded
    6-digit industry of the cluster with EMP 0 and ESTAB > 0 in the metro), and the quartile is
    recomputed with numpy's own quantile over each cluster's finite LQs.
    """
    d = metro.data
    assert (d["strong"].isna() == d["cluster_lq"].isna()).all()
    cluster_of = {
        r["naics"].strip(): r["cluster"]
        for r in _rows(raw_dir, "cluster_crosswalk")
        if r["traded_local"].strip().lower() == "traded"
        and r["emsi_specific_nonstandard"].strip().lower() == "false"
    }
    suppressed = {
        (r["cbsa_code"].zfill(5), cluster_of[r["naics_code"].strip()])
        for r in _rows(raw_dir, "cbp_cbsa_naics6")
        if r["naics_code"].strip() in cluster_of
        and float(r["EMP"]) == 0
        and float(r["ESTAB"]) > 0
    }
    unknown = set(map(tuple, d.loc[d["cluster_lq"].isna(), ["cbsa", "cluster"]].to_numpy()))
    assert unknown == suppressed and len(unknown) > 0
    for cluster, g in d.groupby("cluster"):
        lq = g["cluster_lq"].to_numpy(dtype=float)
        known = np.isfinite(lq)
        q75 = np.quantile(lq[known], 0.75)
        expected = (lq[known] >= q75) & (lq[known] > 0)
        got = g["strong"].to_numpy()[known].astype(bool)
        assert (got == expected).all(), cluster


def test_every_state_panel_industry_has_a_title(state):
    from agglomeration.data.concordance import INDUSTRY_TITLES, NAICS3_CONCORDANCE

    assert set(state.data["industry"]) == set(INDUSTRY_TITLES)
    # pooled industries carry the concordance's own names
    for _, (code, name) in NAICS3_CONCORDANCE.items():
        assert INDUSTRY_TITLES[code] == name
