"""Readers of the county characteristics files (ACS 2013-17, ABS 2017, population 1790-2010).

The independent side reads the raw CSVs with the standard library's csv module, so a bug in a
reader cannot cancel out; counts are those of data_raw/MANIFEST.md, recomputed from the file.
"""

from __future__ import annotations

import csv
import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from agglomeration.data import RawData, RawDataError
from agglomeration.data.raw import READERS
from agglomeration.data.readers import FILES

ABS_COLS = ("FIRMPDEMP", "RCPPDEMP", "EMP", "PAYANN")


def _rows(raw_dir: Path, key: str) -> list[dict[str, str]]:
    with open(raw_dir / FILES[key], newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def raw(raw_dir: Path) -> RawData:
    return RawData(raw_dir)


def _one_file(raw_dir: Path, dest: Path, key: str) -> Path:
    shutil.copy(raw_dir / FILES[key], dest / FILES[key])
    return dest / FILES[key]


def test_new_readers_are_registered():
    assert {"acs_county", "abs_county_naics2", "county_population"} <= set(READERS)
    assert set(READERS) <= set(FILES)


# --- ACS 2013-2017 ---------------------------------------------------------------------------


def test_acs_values_and_codes_match_raw_file(raw, raw_dir):
    rows = _rows(raw_dir, "acs_county")
    acs = raw.get("acs_county")
    assert len(acs) == len(rows) == 3220
    assert acs["fips"].str.fullmatch(r"\d{5}").all()
    got = acs.set_index("fips")
    for r in rows:
        for col in ("pct_edu_baplus", "pct_edu_ba", "pct_edu_grad", "unemp_total"):
            v = got.at[r["stco_code"].zfill(5), col]
            if r[col] == "NA":
                assert np.isnan(v)
            else:
                assert v == float(r[col])
    # shares are fractions: the degree shares add up, and nothing lies outside [0, 1]
    both = acs["pct_edu_ba"] + acs["pct_edu_grad"]
    np.testing.assert_allclose(acs["pct_edu_baplus"], both, atol=1e-12)
    assert acs["pct_edu_baplus"].between(0, 1).all()


def test_acs_renamed_column_names_file_and_column(raw_dir, tmp_path):
    p = _one_file(raw_dir, tmp_path, "acs_county")
    p.write_text(p.read_text().replace(",pct_edu_baplus,", ",pct_edu_baplus2,", 1))
    with pytest.raises(RawDataError, match=r"acs5_2017_county\.csv.*pct_edu_baplus"):
        READERS["acs_county"](tmp_path)


def test_acs_percent_instead_of_fraction_is_refused(raw_dir, tmp_path):
    p = _one_file(raw_dir, tmp_path, "acs_county")
    with open(p, newline="", encoding="utf-8") as fh:
        records = list(csv.reader(fh))
    k = records[0].index("pct_edu_baplus")
    records[1][k] = "25.0"  # Autauga County in percent, not as a fraction
    with open(p, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(records)
    with pytest.raises(
        RawDataError, match=r"acs5_2017_county\.csv: column 'pct_edu_baplus'.*\[0, 1\]"
    ):
        READERS["acs_county"](tmp_path)


# --- ABS 2017 --------------------------------------------------------------------------------


def test_abs_withheld_cells_are_missing_never_zero(raw, raw_dir):
    rows = _rows(raw_dir, "abs_county_naics2")
    abs_ = raw.get("abs_county_naics2")
    assert len(abs_) == len(rows) == 58_175
    all_zero = [r for r in rows if all(float(r[c]) == 0 for c in ABS_COLS)]
    rcp_withheld = [r for r in rows if float(r["FIRMPDEMP"]) > 0 and float(r["RCPPDEMP"]) == 0]
    assert len(rcp_withheld) == 288  # the manifest's count
    assert int(abs_["cell_withheld"].sum()) == len(all_zero)
    assert int(abs_["receipts_withheld"].sum()) == len(rcp_withheld)
    # no value is zero: every zero of the file is either a withheld cell or a withheld value
    for c in ("firms", "receipts_k", "employment", "payroll_k"):
        assert (abs_[c].dropna() > 0).all(), c
    assert (
        abs_.loc[abs_["cell_withheld"], ["firms", "receipts_k", "employment", "payroll_k"]]
        .isna()
        .all()
        .all()
    )
    assert abs_.loc[abs_["receipts_withheld"], "receipts_k"].isna().all()
    assert abs_.loc[abs_["receipts_withheld"], ["firms", "employment"]].notna().all().all()
    # the values that are kept are the file's, unit unchanged ($1,000)
    got = abs_.set_index(["fips", "sector"])
    for r in rows[::97]:
        key = (r["stco_code"].zfill(5), r["NAICS2017"])
        for col, name in zip(
            ABS_COLS, ("firms", "receipts_k", "employment", "payroll_k"), strict=True
        ):
            v = got.at[key, name]
            assert (np.isnan(v) and float(r[col]) == 0) or v == float(r[col])


def test_abs_codes_keep_total_and_unclassified(raw, raw_dir):
    abs_ = raw.get("abs_county_naics2")
    rows = _rows(raw_dir, "abs_county_naics2")
    assert abs_["fips"].str.fullmatch(r"\d{5}").all()
    assert (abs_["state_fips"] == abs_["fips"].str[:2]).all()
    n00 = sum(r["NAICS2017"] == "00" for r in rows)
    n99 = sum(r["NAICS2017"] == "99" for r in rows)
    assert int(abs_["sector"].eq("00").sum()) == n00 == 3140
    assert int(abs_["sector"].eq("99").sum()) == n99 == 2175
    assert {"31-33", "44-45", "48-49"} <= set(abs_["sector"])
    # the manifest: of 55,035 county x sector cells (sector 00 excluded), 19,757 in 2,658
    # counties have both employment and receipts
    cells = abs_.loc[abs_["sector"].ne("00")]
    assert len(cells) == 55_035
    both = cells.loc[cells["employment"].notna() & cells["receipts_k"].notna()]
    assert len(both) == 19_757 and both["fips"].nunique() == 2_658


def test_abs_renamed_column_names_file_and_column(raw_dir, tmp_path):
    p = _one_file(raw_dir, tmp_path, "abs_county_naics2")
    p.write_text(p.read_text().replace(",RCPPDEMP,", ",RCPTOT,", 1))
    with pytest.raises(RawDataError, match=r"abs_2017_county_naics2\.csv.*RCPPDEMP"):
        READERS["abs_county_naics2"](tmp_path)


# --- historical population -------------------------------------------------------------------


def test_population_codes_values_and_zeros(raw, raw_dir):
    rows = _rows(raw_dir, "county_population")
    pop = raw.get("county_population")
    assert len(pop) == len(rows) == 3143
    assert pop["fips"].str.fullmatch(r"\d{5}").all() and pop["fips"].is_unique
    got = pop.set_index("fips")
    for r in rows:
        for y in (1790, 1850, 1900):
            assert got.at[r["GEOID10"].zfill(5), f"epop{y}"] == float(r[f"epop{y}"])
    # zero kept as a value (the builder decides): 755 counties had nobody in 1850
    zeros_1850 = sum(float(r["epop1850"]) == 0 for r in rows)
    assert int(pop["epop1850"].eq(0).sum()) == zeros_1850 == 755
    assert not pop.filter(like="pop").lt(0).any().any()
    assert math.isclose(pop["pop2010"].sum(), sum(float(r["pop2010"]) for r in rows))


def test_population_gets_zero_padded_codes(raw_dir, tmp_path):
    # a copy written with integer codes (leading zero lost) reads back padded
    p = _one_file(raw_dir, tmp_path, "county_population")
    lines = p.read_text().splitlines(keepends=True)
    lines[1] = lines[1].replace(",01001,", ",1001,", 1)
    p.write_text("".join(lines))
    pop = READERS["county_population"](tmp_path)
    assert pop["fips"].iloc[0] == "01001"


def test_population_renamed_column_names_file_and_column(raw_dir, tmp_path):
    p = _one_file(raw_dir, tmp_path, "county_population")
    p.write_text(p.read_text().replace(",epop1850,", ",pop1850,", 1))
    with pytest.raises(RawDataError, match=r"county_population_1790_2010\.csv.*epop1850"):
        READERS["county_population"](tmp_path)
