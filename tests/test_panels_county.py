"""County panel additions against numbers computed independently from the raw files.

Fixed characteristics (ACS 2013-17 education, historical population density, ABS 2017 annual
pay) and the densities of the neighbouring counties by distance ring. The independent side reads
the raw CSVs with the csv module and recomputes every number with plain Python loops and
:func:`agglomeration.geo.haversine_km`.
"""

from __future__ import annotations

import csv
import math
import shutil
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from agglomeration.data import RawDataError
from agglomeration.data.readers import FILES
from agglomeration.geo import haversine_km
from agglomeration.panels import PanelSchemaError, build_county_panel
from agglomeration.panels.county import ring_column
from agglomeration.panels.schemas import county_schema, validate

# 2010 counties of the population file that are other 2019 counties (renamed or merged)
POP_TO_2019 = {"02270": "02158", "46113": "46102", "51515": "51019"}
# CBP codes of 2001-2021 onto 2019 counties (renamed or merged), as documented in the manifest
CBP_TO_2019 = {**POP_TO_2019, "12025": "12086", "51560": "51005"}
RINGS = [(0.0, 50.0), (50.0, 100.0), (100.0, 200.0)]


def _rows(raw_dir: Path, key: str) -> list[dict[str, str]]:
    with open(raw_dir / FILES[key], newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def county(raw_dir: Path):
    return build_county_panel(raw_dir)


@pytest.fixture(scope="module")
def gaz(raw_dir: Path) -> dict[str, dict[str, str]]:
    return {r["GEOID"].zfill(5): r for r in _rows(raw_dir, "gazetteer")}


def _reason(build, start: str) -> int:
    rep = build.report
    hit = rep.loc[rep["reason"].str.startswith(start), "rows"]
    assert len(hit) == 1, (start, rep["reason"].tolist())
    return int(hit.iloc[0])


# --- fixed characteristics -------------------------------------------------------------------


def test_pct_baplus_is_the_acs_share_in_every_year(county, raw_dir):
    acs = {r["stco_code"].zfill(5): r["pct_edu_baplus"] for r in _rows(raw_dir, "acs_county")}
    d = county.data
    expected = d["fips"].map(lambda f: float(acs[f]) if acs[f] != "NA" else math.nan)
    np.testing.assert_array_equal(d["pct_baplus"].to_numpy(), expected.to_numpy())
    assert d.groupby("fips")["pct_baplus"].nunique(dropna=False).eq(1).all()
    assert d["pct_baplus"].between(0, 1).all()


def test_historical_density_matches_raw_population_and_2019_area(county, raw_dir, gaz):
    pop: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    for r in _rows(raw_dir, "county_population"):
        code = POP_TO_2019.get(r["GEOID10"].zfill(5), r["GEOID10"].zfill(5))
        for y in (1850, 1900):
            pop[code][y] += float(r[f"epop{y}"])  # Bedford city + Bedford County summed
    d = county.data.drop_duplicates("fips").set_index("fips")
    zeros = {1850: 0, 1900: 0}
    for fips, row in d.iterrows():
        area = float(gaz[fips]["ALAND"]) / 1e6
        for y in (1850, 1900):
            p = pop[fips][y]
            got = row[f"log_popdens_{y}"]
            if p == 0:
                zeros[y] += 1
                assert np.isnan(got), (fips, y)
            else:
                assert got == pytest.approx(math.log(p / area), rel=1e-12, abs=1e-12), (fips, y)
    assert zeros[1850] == 755 and zeros[1900] == 0  # the file's zeros, all in panel counties
    assert _reason(county, "zero population in 1850") == zeros[1850]
    assert _reason(county, "zero population in 1900") == zeros[1900]
    # the recoded 2010 counties all have a value; Bedford (51019) is the sum of both parts
    assert d.loc[["02158", "46102", "51019", "02261"], "log_popdens_1900"].notna().all()
    assert _reason(county, "panel county absent from the population file (none)") == 0
    # never -inf, and constant within county
    for c in ("log_popdens_1850", "log_popdens_1900"):
        v = county.data[c].dropna()
        assert np.isfinite(v).all()
        assert county.data.groupby("fips")[c].nunique(dropna=False).eq(1).all()


def test_abs_annual_pay_on_2017_rows_only(county, raw_dir):
    tot = {
        r["stco_code"].zfill(5): r
        for r in _rows(raw_dir, "abs_county_naics2")
        if r["NAICS2017"] == "00"
    }
    d = county.data
    assert d.loc[d["year"].ne(2017), "abs_payroll_per_emp_2017"].isna().all()
    y17 = d.loc[d["year"].eq(2017)]
    withheld = unlisted = 0
    for fips, got in zip(y17["fips"], y17["abs_payroll_per_emp_2017"], strict=True):
        r = tot.get(fips)
        if r is None:
            unlisted += 1
            assert np.isnan(got)
        elif float(r["EMP"]) == 0:
            withheld += 1
            assert np.isnan(got)
        else:
            assert got == pytest.approx(float(r["PAYANN"]) * 1000 / float(r["EMP"]), rel=1e-12)
    assert withheld > 100 and unlisted >= 1
    assert _reason(county, "ABS 2017 county total (sector 00) withheld") == withheld
    assert _reason(county, "county not in ABS 2017") == unlisted
    # annual payroll per employee is of the order of four first-quarter payrolls
    ratio = y17["abs_payroll_per_emp_2017"] / y17["pay_per_emp"]
    assert 3.0 < ratio.median() < 5.0


# --- ring densities --------------------------------------------------------------------------


def _cbp_year(raw_dir: Path, year: int, gaz: dict[str, dict[str, str]]) -> dict[str, float | None]:
    """County -> employment in ``year`` from the raw CBP rows (None = suppressed)."""
    emp: dict[str, float | None] = {}
    for r in _rows(raw_dir, "cbp_county"):
        if int(r["year"]) != year or r["county_fips"] == "999":
            continue
        code = r["state_fips"].zfill(2) + r["county_fips"].zfill(3)
        code = CBP_TO_2019.get(code, code)
        if code not in gaz:
            continue
        e = r["employment_march"]
        value = None if e in ("", "NA") else float(e)
        if value == 0 and float(r["establishments"]) > 0:
            value = None
        if code in emp:  # merged county: a sum with a suppressed part stays unknown
            prev = emp[code]
            value = None if prev is None or value is None else prev + value
        emp[code] = value
    return emp


@pytest.mark.parametrize("year", [2002, 2017])
def test_ring_density_equals_brute_force_double_loop(county, raw_dir, gaz, year):
    emp = _cbp_year(raw_dir, year, gaz)
    units = sorted(county.data["fips"].unique())  # the counties of the panel (any year)
    lat = np.array([float(gaz[f]["INTPTLAT"]) for f in units])
    lon = np.array([float(gaz[f]["INTPTLONG"]) for f in units])
    area = [float(gaz[f]["ALAND"]) / 1e6 for f in units]
    got = county.data.loc[county.data["year"].eq(year)].set_index("fips")
    sample = units[::10] + ["51019", "46102", "02158", "17031", "06085"]
    checked = 0
    for f in sample:
        if f not in got.index:
            continue
        i = units.index(f)
        d = haversine_km(lat[i], lon[i], lat, lon)
        for inner, outer in RINGS:
            num = den = 0.0
            for j in range(len(units)):
                if j == i or not (inner < d[j] <= outer or (inner == 0 and d[j] == 0)):
                    continue
                e = emp.get(units[j])
                if e is None:  # suppressed or no CBP row that year: left out
                    continue
                num += e
                den += area[j]
            value = got.at[f, ring_column(inner, outer)]
            if den == 0 or num == 0:
                assert np.isnan(value), (f, inner, outer)
            else:
                assert value == pytest.approx(math.log(num / den), rel=1e-12, abs=1e-12)
                checked += 1
    assert checked > 600


def test_ring_report_counts_counties_without_neighbours(county, gaz):
    # dense great-circle matrix over the panel counties: a county-year has no neighbour in a
    # ring when no other panel county lies in it
    units = sorted(county.data["fips"].unique())
    lat = np.array([float(gaz[f]["INTPTLAT"]) for f in units])
    lon = np.array([float(gaz[f]["INTPTLONG"]) for f in units])
    d = haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    np.fill_diagonal(d, np.inf)
    years = county.data.groupby("fips")["year"].size().reindex(units).to_numpy()
    for inner, outer in RINGS:
        card = ((d > inner) & (d <= outer)).sum(axis=1)
        expected = int(years[card == 0].sum())
        assert (
            _reason(county, f"ring ({inner:g}, {outer:g}] km: no neighbouring county") == expected
        )
        col = county.data[ring_column(inner, outer)]
        assert np.isfinite(col.dropna()).all()
    del d


def test_rings_are_options(raw_dir):
    b = build_county_panel(raw_dir, rings_km=((0.0, 30.0),), popdens_years=(1900,))
    assert "log_ring_density_0_30" in b.data.columns
    assert "log_ring_density_0_50" not in b.data.columns
    assert "log_popdens_1900" in b.data.columns and "log_popdens_1850" not in b.data.columns


def test_bad_options_are_refused_with_the_fix(raw_dir):
    from agglomeration.data import RawData
    from agglomeration.errors import InputError

    raw = RawData(raw_dir)
    with pytest.raises(InputError, match=r"popdens_years \[1905\].*1790, 1800"):
        build_county_panel(raw, popdens_years=(1850, 1905))
    with pytest.raises(InputError, match="0 <= inner_km < outer_km"):
        build_county_panel(raw, rings_km=((100.0, 50.0),))


# --- bad input -------------------------------------------------------------------------------


def _copy_raw(raw_dir: Path, dest: Path) -> Path:
    for name in FILES.values():
        shutil.copy(raw_dir / name, dest / name)
    return dest


def _edit_population(path: Path, fips: str, column: str, value: str) -> None:
    with open(path, newline="", encoding="utf-8") as fh:
        records = list(csv.reader(fh))
    k, g = records[0].index(column), records[0].index("GEOID10")
    hit = [r for r in records[1:] if r[g] == fips]
    assert len(hit) == 1
    hit[0][k] = value
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(records)


def test_zero_population_in_1900_gives_missing_density_and_a_count(raw_dir, tmp_path):
    d = _copy_raw(raw_dir, tmp_path)
    _edit_population(d / FILES["county_population"], "01001", "epop1900", "0")
    b = build_county_panel(d)
    v = b.data.loc[b.data["fips"].eq("01001"), "log_popdens_1900"]
    assert len(v) == 21 and v.isna().all()
    assert np.isfinite(b.data["log_popdens_1900"].dropna()).all()  # never -inf
    assert _reason(b, "zero population in 1900") == 1
    # the other characteristics of the county are untouched
    assert b.data.loc[b.data["fips"].eq("01001"), "log_popdens_1850"].notna().all()


def test_renamed_population_column_names_file_and_column(raw_dir, tmp_path):
    d = _copy_raw(raw_dir, tmp_path)
    p = d / FILES["county_population"]
    p.write_text(p.read_text().replace(",epop1900,", ",epop_1900,", 1))
    with pytest.raises(RawDataError, match=r"county_population_1790_2010\.csv.*epop1900"):
        build_county_panel(d)


def test_renamed_acs_column_names_file_and_column(raw_dir, tmp_path):
    d = _copy_raw(raw_dir, tmp_path)
    p = d / FILES["acs_county"]
    p.write_text(p.read_text().replace(",pct_edu_baplus,", ",pct_baplus,", 1))
    with pytest.raises(RawDataError, match=r"acs5_2017_county\.csv.*pct_edu_baplus"):
        build_county_panel(d)


def test_schema_refuses_infinite_logs_and_annual_pay_outside_2017(county):
    cols = ["log_popdens_1850", "log_popdens_1900", *[ring_column(*r) for r in RINGS]]
    df = county.data.copy()
    df.loc[0, "log_ring_density_50_100"] = -np.inf
    with pytest.raises(PanelSchemaError, match="log_ring_density_50_100"):
        validate(df, county_schema(cols), "county")
    df = county.data.copy()
    row = df.index[df["year"].eq(2016)][0]
    df.loc[row, "abs_payroll_per_emp_2017"] = 50_000.0
    with pytest.raises(PanelSchemaError, match="only on 2017 rows"):
        validate(df, county_schema(cols), "county")
    with pytest.raises(PanelSchemaError, match="log_popdens_1900"):
        validate(county.data.drop(columns="log_popdens_1900"), county_schema(cols), "county")
    assert isinstance(validate(county.data, county_schema(cols), "county"), pd.DataFrame)
