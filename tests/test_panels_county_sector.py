"""County x sector panel (ABS 2017) against counts and values recomputed from the raw file.

The independent side reads the raw CSVs with the csv module (never the project's readers): the
manifest's counts, the withheld cells, receipts and payroll per employee, sector diversity
(1 - Herfindahl over the disclosed sectors) and the CBP 2017 county density.
"""

from __future__ import annotations

import csv
import math
import shutil
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from agglomeration.data import RawData, RawDataError
from agglomeration.data.readers import FILES
from agglomeration.panels import (
    COUNTY_SECTOR_COLUMNS,
    PANELS,
    PanelSchemaError,
    build_county_sector_panel,
)
from agglomeration.panels.schemas import COUNTY_SECTOR_SCHEMA, validate

VALUES = ("FIRMPDEMP", "RCPPDEMP", "EMP", "PAYANN")


def _rows(raw_dir: Path, key: str) -> list[dict[str, str]]:
    with open(raw_dir / FILES[key], newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def sector(raw_dir: Path):
    return build_county_sector_panel(RawData(raw_dir))


@pytest.fixture(scope="module")
def abs_rows(raw_dir: Path) -> list[dict[str, str]]:
    return _rows(raw_dir, "abs_county_naics2")


def _reason(build, text: str) -> int:
    rep = build.report
    hit = rep.loc[rep["reason"].eq(text), "rows"]
    assert len(hit) == 1, (text, rep["reason"].tolist())
    return int(hit.iloc[0])


def _f(r: dict[str, str], c: str) -> float:
    return float(r[c])


def test_registered_and_columns(sector):
    assert "county_sector" in PANELS
    assert tuple(sector.data.columns) == COUNTY_SECTOR_COLUMNS
    assert not sector.data.duplicated(["fips", "sector"]).any()
    assert not {"00", "99"} & set(sector.data["sector"])


def test_report_reproduces_manifest_counts(sector, abs_rows):
    cells = [r for r in abs_rows if r["NAICS2017"] != "00"]
    both = [r for r in cells if _f(r, "EMP") > 0 and _f(r, "RCPPDEMP") > 0]
    # the manifest: "Of 55,035 county x sector cells, 19,757 in 2,658 counties have both
    # employment and receipts"
    assert (len(cells), len(both), len({r["stco_code"] for r in both})) == (55_035, 19_757, 2_658)
    assert _reason(sector, "county x sector cells of the file (sectors 01-99)") == len(cells)
    assert _reason(sector, "cells with both employment and receipts (sectors 01-99)") == len(both)
    assert (
        _reason(sector, "counties with a cell with both employment and receipts (sectors 01-99)")
        == 2_658
    )
    n99 = sum(r["NAICS2017"] == "99" for r in abs_rows)
    assert _reason(sector, "establishments not classified (sector 99), not a sector") == n99
    assert _reason(sector, "all-sector county totals (sector 00), not a sector") == len(
        abs_rows
    ) - len(cells)
    panel = [r for r in cells if r["NAICS2017"] != "99"]
    assert len(sector.data) == len(panel)
    all_zero = sum(all(_f(r, c) == 0 for c in VALUES) for r in panel)
    rcp = sum(_f(r, "FIRMPDEMP") > 0 and _f(r, "RCPPDEMP") == 0 for r in panel)
    assert (
        _reason(
            sector, "cell withheld or without firms (zero in every column): every value missing"
        )
        == all_zero
        == int(sector.data["cell_withheld"].sum())
    )
    assert _reason(sector, "receipts withheld (zero beside positive values): missing") == rcp
    assert int(sector.data["receipts_withheld"].sum()) == rcp
    both_panel = [r for r in both if r["NAICS2017"] != "99"]
    assert _reason(sector, "panel cells with both employment and receipts") == len(both_panel)
    known = sector.data["log_receipts_per_emp"].notna()
    assert int(known.sum()) == len(both_panel)
    assert sector.data.loc[known, "fips"].nunique() == len({r["stco_code"] for r in both_panel})


def test_values_and_per_employee_logs(sector, abs_rows):
    d = sector.data.set_index(["fips", "sector"]).to_dict("index")
    n = 0
    for r in abs_rows:
        if r["NAICS2017"] in ("00", "99"):
            continue
        key = (r["stco_code"], r["NAICS2017"])
        firms, rcp, emp, pay = (_f(r, c) for c in VALUES)
        row = d[key]
        if firms == rcp == emp == pay == 0:
            assert (
                row["cell_withheld"] and np.isnan(row["employment"]) and np.isnan(row["receipts"])
            )
            assert np.isnan(row["log_sector_employment"])  # never log 0
            continue
        assert row["firms"] == firms and row["payroll"] == pay * 1000
        if rcp > 0:
            assert row["receipts"] == rcp * 1000
        else:
            assert np.isnan(row["receipts"]) and row["receipts_withheld"]
        if emp > 0 and rcp > 0:
            assert row["log_receipts_per_emp"] == pytest.approx(
                math.log(rcp * 1000 / emp), rel=1e-12
            )
            assert row["log_payroll_per_emp"] == pytest.approx(
                math.log(pay * 1000 / emp), rel=1e-12
            )
            assert row["log_sector_employment"] == pytest.approx(math.log(emp), rel=1e-12)
            n += 1
    assert n == 19_748


def test_diversity_is_one_minus_herfindahl_of_disclosed_sectors(sector, abs_rows):
    emp: dict[str, list[float]] = defaultdict(list)
    counties = set()
    for r in abs_rows:
        if r["NAICS2017"] in ("00", "99"):
            continue
        counties.add(r["stco_code"])
        if _f(r, "EMP") > 0:
            emp[r["stco_code"]].append(_f(r, "EMP"))
    got = sector.data.drop_duplicates("fips").set_index("fips")
    n_missing = 0
    for c in counties:
        e = emp.get(c, [])
        if not e:
            n_missing += 1
            assert np.isnan(got.at[c, "diversity"]) and got.at[c, "n_sectors_disclosed"] == 0
            continue
        total = sum(e)
        hhi = sum((x / total) ** 2 for x in e)
        assert got.at[c, "diversity"] == pytest.approx(1 - hhi, rel=1e-12, abs=1e-14)
        assert got.at[c, "n_sectors_disclosed"] == len(e)
    assert n_missing == _reason(
        sector, "counties without a disclosed sector: diversity missing (counties)"
    )


def test_never_withheld_and_disclosed_share(sector, abs_rows):
    cells: dict[str, list[dict[str, str]]] = defaultdict(list)
    totals = {}
    for r in abs_rows:
        if r["NAICS2017"] == "00":
            totals[r["stco_code"]] = _f(r, "EMP")
        elif r["NAICS2017"] != "99":
            cells[r["stco_code"]].append(r)
    clean = {c for c, rs in cells.items() if all(_f(r, v) > 0 for r in rs for v in VALUES)}
    got = sector.data.drop_duplicates("fips").set_index("fips")
    assert set(got.index[got["never_withheld_county"]]) == clean
    for c, rs in cells.items():
        disclosed = sum(_f(r, "EMP") for r in rs)
        share = got.at[c, "disclosed_emp_share"]
        if totals[c] == 0:
            assert np.isnan(share)
        else:
            assert share == pytest.approx(disclosed / totals[c], rel=1e-12)


def test_log_density_is_cbp_2017_over_gazetteer_area(sector, raw_dir):
    gaz = {r["GEOID"].zfill(5): float(r["ALAND"]) / 1e6 for r in _rows(raw_dir, "gazetteer")}
    cbp = {
        r["state_fips"].zfill(2) + r["county_fips"].zfill(3): r
        for r in _rows(raw_dir, "cbp_county")
        if r["year"] == "2017"
    }
    got = sector.data.drop_duplicates("fips").set_index("fips")["log_density"]
    n = 0
    for fips, value in got.items():
        r = cbp.get(fips)
        if r is None or r["employment_march"] in ("", "NA") or float(r["employment_march"]) == 0:
            assert np.isnan(value)
            continue
        assert value == pytest.approx(
            math.log(float(r["employment_march"]) / gaz[fips]), rel=1e-12, abs=1e-12
        )
        n += 1
    assert n > 3000


def test_schema_rejects_bad_panels(sector):
    d = sector.data
    bad = d.copy()
    bad.loc[bad.index[0], "sector"] = "99"
    with pytest.raises(PanelSchemaError, match="sector"):
        validate(bad, COUNTY_SECTOR_SCHEMA, "county_sector")
    bad = d.copy()
    row = bad.index[bad["cell_withheld"]][0]
    bad.loc[row, "employment"] = 0.0  # a withheld cell must stay missing, never zero
    with pytest.raises(PanelSchemaError, match="employment"):
        validate(bad, COUNTY_SECTOR_SCHEMA, "county_sector")
    bad = d.copy()
    bad.loc[bad["log_sector_employment"].notna().idxmax(), "log_sector_employment"] = -np.inf
    with pytest.raises(PanelSchemaError, match="finite"):
        validate(bad, COUNTY_SECTOR_SCHEMA, "county_sector")


def test_renamed_abs_column_names_file_and_column(raw_dir, tmp_path):
    for name in FILES.values():
        shutil.copy(raw_dir / name, tmp_path / name)
    p = tmp_path / FILES["abs_county_naics2"]
    p.write_text(p.read_text().replace(",EMP,", ",EMPLOYEES,", 1))
    with pytest.raises(RawDataError, match=r"abs_2017_county_naics2\.csv.*'EMP'"):
        build_county_sector_panel(tmp_path)
