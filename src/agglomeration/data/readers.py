"""Readers for the raw data files, one per file, each handling that file's quirks.

Every reader takes the folder that holds the raw files (the project's ``data_raw/``), checks that
the file exists and has the columns the project relies on, reads identifiers as zero-padded
strings (state FIPS 2 digits, county FIPS 5 digits, NAICS as text), and returns a DataFrame with
clean column names. Readers never drop rows: the quirks that call for dropping rows (statewide
"county unknown" records, US-total rows, suppressed cells) are handled by the panel builders,
which report every row they remove. See ``data_raw/MANIFEST.md`` for the files and their quirks.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from agglomeration.errors import RawDataError

__all__ = [
    "RawDataError",
    "read_bea_gdp",
    "read_cbp_cbsa_naics6",
    "read_cbp_county",
    "read_cbp_national_naics3",
    "read_cbp_national_naics6",
    "read_cbp_state_naics3",
    "read_cluster_crosswalk",
    "read_commuting_zones",
    "read_county_cbsa",
    "read_gazetteer",
    "read_patents_county",
    "read_patents_msa",
    "read_prodest_chilean",
    "read_related_clusters",
    "read_state_fips",
]

FILES: dict[str, str] = {
    "cbp_county": "cbp_county_total_2001_2021.csv",
    "cbp_state_naics3": "cbp_state_naics3_2001_2021.csv",
    "cbp_national_naics3": "cbp_national_naics3_2001_2021.csv",
    "cbp_national_naics6": "cbp_national_naics6_2001_2021.csv",
    "cbp_cbsa_naics6": "cbp_cbsa_naics6_2019.csv",
    "bea_gdp": "bea_sagdp_state_industry_gdp_rgdp_1997_2021.csv",
    "patents_county": "uspto_utility_patents_county_2000_2015.csv",
    "patents_msa": "uspto_utility_patents_msa_2000_2015.csv",
    "gazetteer": "census_gazetteer_counties_2019.csv",
    "county_cbsa": "county_cbsa_crosswalk.csv",
    "commuting_zones": "county_commuting_zone_2000.csv",
    "state_fips": "state_fips.csv",
    "cluster_crosswalk": "uscmp_naics_to_cluster_crosswalk.csv",
    "related_clusters": "uscmp_related_clusters_51x51.csv",
    "prodest_chilean": "prodest_chilean.csv",
    "acs_county": "acs5_2017_county.csv",
    "abs_county_naics2": "abs_2017_county_naics2.csv",
    "county_population": "county_population_1790_2010.csv",
}
"""Logical name -> file name of every raw file the project uses."""

PATENT_YEARS: tuple[int, ...] = tuple(range(2000, 2016))


def _path(raw_dir: Path | str, key: str) -> Path:
    path = Path(raw_dir) / FILES[key]
    if not path.is_file():
        raise FileNotFoundError(
            f"raw file {FILES[key]!r} not found in {Path(raw_dir)}; run `nox -s data` to acquire "
            "and verify the raw files (or pass the folder that holds them)."
        )
    return path


def _read_csv(
    raw_dir: Path | str, key: str, required: Sequence[str], **kwargs: object
) -> pd.DataFrame:
    path = _path(raw_dir, key)
    df = pd.read_csv(path, **kwargs)  # type: ignore[call-overload]
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise RawDataError(
            f"{path.name}: missing column(s) {missing}; found {list(df.columns)}. The file differs "
            "from the deposited version: re-acquire it with `nox -s data`."
        )
    return df


def _check_unique(df: pd.DataFrame, keys: Sequence[str], file: str) -> None:
    dup = df.duplicated(list(keys), keep=False)
    if dup.any():
        example = df.loc[dup, list(keys)].head(3).to_dict("records")
        raise RawDataError(
            f"{file}: {int(dup.sum())} rows share a key {list(keys)} (e.g. {example}); each key "
            "must appear once. The file differs from the deposited version: re-acquire it."
        )


def _pad(
    series: pd.Series, width: int, column: str, file: str, nullable: bool = False
) -> pd.Series:
    """Zero-pad integer-like codes to ``width`` characters, as strings (missing kept if nullable)."""
    s = series.astype("string").str.strip()
    bad = ~s.str.fullmatch(r"\d+").fillna(False)
    if nullable:
        bad &= s.notna()
    if bad.any():
        raise RawDataError(
            f"{file}: column {column!r} has {int(bad.sum())} non-numeric codes "
            f"(e.g. {s[bad].head(3).tolist()}); expected integer FIPS codes."
        )
    too_long = (s.str.len() > width).fillna(False)
    if too_long.any():
        raise RawDataError(
            f"{file}: column {column!r} has {int(too_long.sum())} codes longer than {width} digits."
        )
    return s.str.zfill(width).astype("str")


def _to_numeric(df: pd.DataFrame, cols: Sequence[str], file: str) -> pd.DataFrame:
    for c in cols:
        conv = pd.to_numeric(df[c], errors="coerce")
        bad = conv.isna() & df[c].notna()
        if bad.any():
            raise RawDataError(
                f"{file}: column {c!r} has {int(bad.sum())} non-numeric values "
                f"(e.g. {df.loc[bad, c].head(3).tolist()})."
            )
        df[c] = conv
    return df


def read_cbp_county(raw_dir: Path | str) -> pd.DataFrame:
    """Read CBP county totals, 2001-2021.

    Returns columns ``state_fips`` (2-digit string), ``county_fips`` (3-digit string),
    ``fips`` (5-digit string), ``year``, ``employment``, ``establishments``, ``payroll`` (annual
    payroll is not in the file: ``payroll`` is first-quarter payroll in dollars). Statewide
    "county unknown" rows (county 999) are kept; the builder removes them.
    """
    f = FILES["cbp_county"]
    cols = [
        "state_fips",
        "county_fips",
        "employment_march",
        "establishments",
        "payroll_quarter1",
        "year",
    ]
    df = _read_csv(raw_dir, "cbp_county", cols, dtype={"state_fips": str, "county_fips": str})
    df = _to_numeric(df, ["employment_march", "establishments", "payroll_quarter1", "year"], f)
    out = pd.DataFrame(
        {
            "state_fips": _pad(df["state_fips"], 2, "state_fips", f),
            "county_fips": _pad(df["county_fips"], 3, "county_fips", f),
            "year": df["year"].astype("int64"),
            "employment": df["employment_march"].astype("float64"),
            "establishments": df["establishments"].astype("float64"),
            "payroll": df["payroll_quarter1"].astype("float64"),
        }
    )
    out.insert(2, "fips", out["state_fips"] + out["county_fips"])
    _check_unique(out, ["fips", "year"], f)
    return out


def _read_cbp_industry(raw_dir: Path | str, key: str, geo: Sequence[str]) -> pd.DataFrame:
    f = FILES[key]
    cols = [*geo, "naics", "employment_march", "establishments", "payroll_quarter1", "year"]
    dtype = {c: str for c in [*geo, "naics"]}
    df = _read_csv(raw_dir, key, cols, dtype=dtype)
    df = _to_numeric(df, ["employment_march", "establishments", "payroll_quarter1", "year"], f)
    out = pd.DataFrame({"naics": df["naics"].astype(str).str.strip()})
    if "state_fips" in geo:
        out.insert(0, "state_fips", _pad(df["state_fips"], 2, "state_fips", f))
    out["year"] = df["year"].astype("int64")
    out["employment"] = df["employment_march"].astype("float64")
    out["establishments"] = df["establishments"].astype("float64")
    out["payroll"] = df["payroll_quarter1"].astype("float64")
    _check_unique(out, [*(["state_fips"] if "state_fips" in geo else []), "naics", "year"], f)
    return out


def read_cbp_state_naics3(raw_dir: Path | str) -> pd.DataFrame:
    """Read CBP state x 3-digit NAICS x year (employment, establishments, Q1 payroll).

    Zero employment with positive establishments is a disclosure suppression; it is kept as
    read here and set to missing by :func:`agglomeration.panels.build_state_industry_panel`.
    """
    return _read_cbp_industry(raw_dir, "cbp_state_naics3", ["state_fips"])


def read_cbp_national_naics3(raw_dir: Path | str) -> pd.DataFrame:
    """Read CBP US x 3-digit NAICS x year, the benchmark for location quotients."""
    return _read_cbp_industry(raw_dir, "cbp_national_naics3", [])


def read_cbp_national_naics6(raw_dir: Path | str) -> pd.DataFrame:
    """Read CBP US x 6-digit NAICS x year (employment, establishments, Q1 payroll).

    Codes are in the NAICS vintage of each year (1997 in 2001-02, 2002 in 2003-07, 2007 in
    2008-11, 2012 in 2012-16, 2017 from 2017). Suppressed national cells are published as ``NA``
    and read as missing.
    """
    return _read_cbp_industry(raw_dir, "cbp_national_naics6", [])


def read_cbp_cbsa_naics6(raw_dir: Path | str) -> pd.DataFrame:
    """Read CBP metro/micro area (2019 CBSA) x 6-digit NAICS employment and establishments."""
    f = FILES["cbp_cbsa_naics6"]
    df = _read_csv(
        raw_dir,
        "cbp_cbsa_naics6",
        ["cbsa_code", "naics_code", "EMP", "ESTAB"],
        dtype={"cbsa_code": str, "naics_code": str},
    )
    df = _to_numeric(df, ["EMP", "ESTAB"], f)
    out = pd.DataFrame(
        {
            "cbsa": _pad(df["cbsa_code"], 5, "cbsa_code", f),
            "naics": df["naics_code"].astype(str).str.strip(),
            "employment": df["EMP"].astype("float64"),
            "establishments": df["ESTAB"].astype("float64"),
        }
    )
    _check_unique(out, ["cbsa", "naics"], f)
    return out


def read_gazetteer(raw_dir: Path | str) -> pd.DataFrame:
    """Read the 2019 Census Gazetteer: ``fips``, ``state_abbr``, ``name``, land area in km², lat/lon."""
    f = FILES["gazetteer"]
    cols = ["USPS", "GEOID", "NAME", "ALAND", "INTPTLAT", "INTPTLONG"]
    df = _read_csv(raw_dir, "gazetteer", cols, dtype={"GEOID": str})
    df = _to_numeric(df, ["ALAND", "INTPTLAT", "INTPTLONG"], f)
    out = pd.DataFrame(
        {
            "fips": _pad(df["GEOID"], 5, "GEOID", f),
            "state_abbr": df["USPS"].astype(str),
            "county_name": df["NAME"].astype(str),
            "land_area_km2": df["ALAND"].astype("float64") / 1e6,
            "lat": df["INTPTLAT"].astype("float64"),
            "lon": df["INTPTLONG"].astype("float64"),
        }
    )
    _check_unique(out, ["fips"], f)
    return out


def read_patents_county(raw_dir: Path | str) -> pd.DataFrame:
    """Read USPTO utility patents by first-named inventor's county, long by grant year.

    Returns ``fips`` (5-digit string, the file's 4-digit codes zero-padded), ``state``, ``area``
    (the file's area name), ``year`` and ``patents``. The US-total row (``ALL``) is returned with
    ``fips == "ALL"``; undetermined-county, territory and retired rows are kept here and removed
    by the builder.
    """
    f = FILES["patents_county"]
    years = [str(y) for y in PATENT_YEARS]
    cols = ["FIPS Code", "Mail Code", "Regional Area Component", *years]
    df = _read_csv(raw_dir, "patents_county", cols, dtype={"FIPS Code": str})
    code = df["FIPS Code"].astype(str).str.strip()
    is_all = code.eq("ALL")
    fips = code.where(is_all, code.str.zfill(5))
    bad = ~is_all & ~fips.str.fullmatch(r"\d{5}")
    if bad.any():
        raise RawDataError(f"{f}: column 'FIPS Code' has {int(bad.sum())} malformed codes.")
    wide = pd.DataFrame(
        {
            "fips": fips,
            "state": df["Mail Code"].astype(str),
            "area": df["Regional Area Component"].astype(str),
        }
    )
    wide = pd.concat([wide, _to_numeric(df[years].copy(), years, f)], axis=1)
    _check_unique(wide, ["fips"], f)
    long = wide.melt(id_vars=["fips", "state", "area"], var_name="year", value_name="patents")
    long["year"] = long["year"].astype("int64")
    return long.sort_values(["fips", "year"], kind="stable").reset_index(drop=True)


def read_patents_msa(raw_dir: Path | str) -> pd.DataFrame:
    """Read USPTO utility patents by metro/micro area, long by grant year.

    The file's ``ID Code`` is a digit for the area type followed by the 2003-vintage CBSA code
    (``1`` metropolitan, ``2`` micropolitan). It also has subtotal rows without a code, blank
    separator rows, non-metro state remainders (3-digit codes), undetermined areas and a total
    (``---``). All rows are returned with ``row_type`` (``cbsa``, ``subtotal``, ``blank``,
    ``nonmetro``, ``undetermined``, ``total``); ``cbsa`` is the 5-digit code for ``cbsa`` rows.
    """
    f = FILES["patents_msa"]
    years = [str(y) for y in PATENT_YEARS]
    df = _read_csv(
        raw_dir,
        "patents_msa",
        ["GeoType", "ID Code", "U.S. Regional Title", *years],
        dtype={"ID Code": str, "GeoType": str},
    )
    code = df["ID Code"].astype("string").str.strip()
    geo = df["GeoType"].astype("string").str.strip()
    is_cbsa = code.str.fullmatch(r"[12]\d{5}").fillna(False).astype(bool)
    row_type = pd.Series("subtotal", index=df.index, dtype=object)
    row_type[is_cbsa] = "cbsa"
    row_type[geo.isna() & code.isna()] = "blank"
    row_type[geo.str.startswith("Non Metro").fillna(False).astype(bool) & code.notna()] = "nonmetro"
    row_type[geo.str.startswith("Undetermined").fillna(False).astype(bool)] = "undetermined"
    row_type[geo.eq("ALL AREAS").fillna(False).astype(bool)] = "total"
    wide = pd.DataFrame(
        {
            "cbsa": code.str[1:].where(is_cbsa).astype("str"),
            "row_type": row_type.astype(str),
            "geo_type": geo.astype("str"),
            "title": df["U.S. Regional Title"].astype("str"),
        }
    )
    wide = pd.concat([wide, _to_numeric(df[years].copy(), years, f)], axis=1)
    _check_unique(wide.loc[is_cbsa], ["cbsa"], f)
    long = wide.melt(
        id_vars=["cbsa", "row_type", "geo_type", "title"], var_name="year", value_name="patents"
    )
    long["year"] = long["year"].astype("int64")
    return long


def read_county_cbsa(raw_dir: Path | str) -> pd.DataFrame:
    """Read the county -> CBSA crosswalk: ``fips``, ``cbsa``, ``cbsa_name``, ``cbsa_type``."""
    f = FILES["county_cbsa"]
    df = _read_csv(
        raw_dir,
        "county_cbsa",
        ["stco_code", "cbsa_code", "cbsa_name", "cbsa_type"],
        dtype={"stco_code": str, "cbsa_code": str},
    )
    out = pd.DataFrame(
        {
            "fips": _pad(df["stco_code"], 5, "stco_code", f),
            "cbsa": _pad(df["cbsa_code"], 5, "cbsa_code", f, nullable=True),
            "cbsa_name": df["cbsa_name"].astype(str),
            "cbsa_type": df["cbsa_type"].astype(str),
        }
    )
    _check_unique(out, ["fips"], f)
    return out


def read_commuting_zones(raw_dir: Path | str) -> pd.DataFrame:
    """Read the county -> 2000 commuting zone crosswalk: ``fips``, ``cz`` (string)."""
    f = FILES["commuting_zones"]
    df = _read_csv(
        raw_dir,
        "commuting_zones",
        ["state_fips", "county_fips", "cz"],
        dtype={"state_fips": str, "county_fips": str, "cz": str},
    )
    out = pd.DataFrame(
        {
            "fips": _pad(df["state_fips"], 2, "state_fips", f)
            + _pad(df["county_fips"], 3, "county_fips", f),
            "cz": df["cz"].astype(str).str.strip(),
        }
    )
    _check_unique(out, ["fips"], f)
    return out


def read_state_fips(raw_dir: Path | str) -> pd.DataFrame:
    """Read state FIPS codes and names: ``state_fips`` (2-digit string), ``state_name``."""
    f = FILES["state_fips"]
    df = _read_csv(raw_dir, "state_fips", ["state_fips", "state_name"], dtype={"state_fips": str})
    out = pd.DataFrame(
        {
            "state_fips": _pad(df["state_fips"], 2, "state_fips", f),
            "state_name": df["state_name"].astype(str),
        }
    )
    _check_unique(out, ["state_fips"], f)
    return out


def read_bea_gdp(raw_dir: Path | str) -> pd.DataFrame:
    """Read BEA state GDP by industry line, long by year.

    Returns ``measure`` (``gdp`` nominal or ``rgdp`` chained 2012 dollars, both in $ million),
    ``state_abbr``, ``line``, ``indclass`` (NAICS codes of the line as text), ``indname``,
    ``year`` and ``value`` (missing where BEA suppresses or discontinued the line).
    """
    f = FILES["bea_gdp"]
    years = [str(y) for y in range(1997, 2022)]
    df = _read_csv(
        raw_dir,
        "bea_gdp",
        ["vname", "stabbr", "line", "indclass", "indname", *years],
        dtype={"indclass": str},
    )
    df = _to_numeric(df, [*years, "line"], f)
    _check_unique(df, ["vname", "stabbr", "line"], f)
    long = df.melt(
        id_vars=["vname", "stabbr", "line", "indclass", "indname"],
        value_vars=years,
        var_name="year",
        value_name="value",
    )
    long = long.rename(columns={"vname": "measure", "stabbr": "state_abbr"})
    long["year"] = long["year"].astype("int64")
    long["line"] = long["line"].astype("int64")
    long["indname"] = long["indname"].astype(str).str.strip()
    return long


def read_cluster_crosswalk(raw_dir: Path | str) -> pd.DataFrame:
    """Read the US Cluster Mapping NAICS -> cluster crosswalk (Delgado, Porter & Stern 2016).

    Returns every row with ``naics`` (6-digit string), ``traded`` (bool), ``cluster``,
    ``subcluster`` and ``nonstandard`` (the proprietary pseudo-code flag); the builder drops the
    non-standard codes and reports them.
    """
    f = FILES["cluster_crosswalk"]
    df = _read_csv(
        raw_dir,
        "cluster_crosswalk",
        ["naics", "traded_local", "cluster", "subcluster", "emsi_specific_nonstandard"],
        dtype={"naics": str},
    )
    flag = df["emsi_specific_nonstandard"].astype(str).str.strip().str.lower()
    if not flag.isin(["true", "false"]).all():
        raise RawDataError(f"{f}: column 'emsi_specific_nonstandard' must be True/False.")
    out = pd.DataFrame(
        {
            "naics": df["naics"].astype(str).str.strip(),
            "traded": df["traded_local"].astype(str).str.strip().str.lower().eq("traded"),
            "cluster": df["cluster"].astype("string").str.strip().astype(object),
            "subcluster": df["subcluster"].astype("string").str.strip().astype(object),
            "nonstandard": flag.eq("true"),
        }
    )
    return out


def read_related_clusters(raw_dir: Path | str) -> pd.DataFrame:
    """Read the 51 x 51 related-cluster table of the US Cluster Mapping Project.

    Returns ``cluster_a``, ``cluster_b`` (names), the relatedness measures ``cr_all``, ``cr_io``,
    ``cr_occ``, ``cr_lc`` where present, and their percentiles (``*_pc``), as in the file.
    """
    df = _read_csv(
        raw_dir, "related_clusters", ["cluster_name", "cluster_name_2", "cr_all", "cr_all_pc"]
    )
    df = df.rename(columns={"cluster_name": "cluster_a", "cluster_name_2": "cluster_b"})
    df["cluster_a"] = df["cluster_a"].astype(str).str.strip()
    df["cluster_b"] = df["cluster_b"].astype(str).str.strip()
    _check_unique(df, ["cluster_a", "cluster_b"], FILES["related_clusters"])
    return df


def read_prodest_chilean(raw_dir: Path | str) -> pd.DataFrame:
    """Read the Chilean plant panel shipped with R's prodest (INE Chile ENIA subsample).

    Returns the file's columns unchanged (``Y`` log value added, ``sX`` log capital, ``fX1`` /
    ``fX2`` log skilled / unskilled labour, ``pX`` log electricity, ``cX`` and ``inv`` log
    investment, ``idvar`` plant, ``timevar`` year), numeric, one row per plant-year.
    """
    f = FILES["prodest_chilean"]
    cols = ["Y", "sX", "fX1", "fX2", "pX", "cX", "inv", "idvar", "timevar"]
    df = _read_csv(raw_dir, "prodest_chilean", cols)
    df = _to_numeric(df, cols, f)
    _check_unique(df, ["idvar", "timevar"], f)
    return df
