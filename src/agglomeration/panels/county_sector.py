"""County x 2-digit sector cross-section, 2017, from the Annual Business Survey (ABS).

The unit of the localisation-versus-urbanisation comparison: receipts and payroll per employee
of a sector in a county against the sector's own employment in the county (localisation), the
county's total employment density (urbanisation) and the diversity of the county's sectors.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from agglomeration.data.raw import RawData, as_raw
from agglomeration.measures import employment_density, region_herfindahl
from agglomeration.panels._build import DropLog, PanelBuild
from agglomeration.panels.county import clean_cbp_county
from agglomeration.panels.schemas import COUNTY_SECTOR_SCHEMA, validate

__all__ = ["COUNTY_SECTOR_COLUMNS", "build_county_sector_panel"]

COUNTY_SECTOR_COLUMNS: tuple[str, ...] = (
    "fips",
    "state_fips",
    "state_abbr",
    "county_name",
    "sector",
    "sector_label",
    "firms",
    "receipts",
    "employment",
    "payroll",
    "log_receipts_per_emp",
    "log_payroll_per_emp",
    "log_sector_employment",
    "log_density",
    "diversity",
    "n_sectors_disclosed",
    "abs_county_employment",
    "disclosed_emp_share",
    "pct_baplus",
    "land_area_km2",
    "lat",
    "lon",
    "cell_withheld",
    "receipts_withheld",
    "employment_withheld",
    "never_withheld_county",
)
"""Columns of the county x sector panel, in order."""

_FLAGS = [
    "cell_withheld",
    "firms_withheld",
    "receipts_withheld",
    "employment_withheld",
    "payroll_withheld",
]


def _log_positive(x: pd.Series) -> pd.Series:
    return pd.Series(np.log(x.where(x > 0)), index=x.index)


def build_county_sector_panel(raw: RawData | Path | str) -> PanelBuild:
    """Build the county x 2-digit NAICS 2017 sector cross-section of 2017 (ABS).

    One row per county x sector cell of the ABS file, for the 2-digit sectors only: the
    all-sector totals (``00``) are not a sector and the firms "not classified" (``99``) are
    not one either; both are dropped and counted (``00`` supplies ``abs_county_employment``).
    Cells absent from the file are not added. Withheld values are missing, never zero (see
    :func:`agglomeration.data.readers_county.read_abs_county_naics2`): a withheld cell has
    every value missing (``cell_withheld``); withheld receipts of firms that exist
    (``receipts_withheld``) leave the other values. ``never_withheld_county`` is True in the
    counties none of whose panel cells has a withheld value, so that an analysis can keep the
    counties whose sector mix is fully disclosed; as almost every county has some withheld
    sector, ``disclosed_emp_share`` (the disclosed sector employment over the county's ABS
    total, ``abs_county_employment``; missing where the total is withheld) measures how much
    of the county the disclosed cells cover.

    Derived columns (dollars; the file's $1,000 converted):

    - ``log_receipts_per_emp = log(receipts / employment)``, ``log_payroll_per_emp =
      log(payroll / employment)`` where both are positive. Receipts are sales, not value
      added: compare them within a sector (sector fixed effects), never across sectors.
    - ``log_sector_employment``: log of the sector's employment in the county (localisation).
    - ``log_density``: log of the county's CBP March 2017 employment per km² of 2019 Gazetteer
      land area (urbanisation), computed by :func:`agglomeration.measures.employment_density`.
      CBP rather than the ABS county total: it is the same measure as the county panel's
      ``log_density`` in 2017, it exists where ABS withheld the county total (168 counties),
      and it counts employment by establishment location (the ABS counts a firm in every
      county where it has an establishment). CBP cleaning as in the county panel
      (:func:`agglomeration.panels.county.clean_cbp_county`).
    - ``diversity = 1 - HHI`` of the county's sector employment shares, HHI from
      :func:`agglomeration.measures.region_herfindahl` over the panel's sectors with
      ``missing="drop"``: withheld cells are left out, so the shares are shares of the
      disclosed sector employment (``n_sectors_disclosed`` sectors), and diversity is missing
      where no sector is disclosed.
    - ``pct_baplus``: ACS 2013-2017 share of adults 25+ with a bachelor's degree or more.

    The report reproduces the manifest's counts (cells of the file, cells with both
    employment and receipts and their counties) before sectors ``99`` are dropped, and the
    same counts for the panel after.

    Parameters
    ----------
    raw : RawData or path
        The raw files (a :class:`~agglomeration.data.RawData` or the folder that holds them).

    Returns
    -------
    PanelBuild
        ``data`` with the columns :data:`COUNTY_SECTOR_COLUMNS`: ``firms`` (employer firms),
        ``receipts``, ``payroll`` (dollars), ``employment`` (March 12 pay period), the logs
        above, state, county name, land area, internal point and the flags.
    """
    raw = as_raw(raw)
    log = DropLog("county_sector")
    abs_ = raw.get("abs_county_naics2")
    gaz = raw.get("gazetteer")
    acs = raw.get("acs_county")
    cbp = raw.get("cbp_county")

    total = abs_["sector"].eq("00")
    log.add("abs", "dropped", "all-sector county totals (sector 00), not a sector", total.sum())
    tot = abs_.loc[total].set_index("fips")
    cells = abs_.loc[~total].copy()
    both = cells["employment"].notna() & cells["receipts_k"].notna()
    log.add("abs", "kept", "county x sector cells of the file (sectors 01-99)", len(cells))
    log.add("abs", "kept", "cells with both employment and receipts (sectors 01-99)", both.sum())
    log.add(
        "abs",
        "kept",
        "counties with a cell with both employment and receipts (sectors 01-99)",
        cells.loc[both, "fips"].nunique(),
    )
    unclassified = cells["sector"].eq("99")
    log.add(
        "abs",
        "dropped",
        "establishments not classified (sector 99), not a sector",
        unclassified.sum(),
    )
    cells = cells.loc[~unclassified].copy()
    unknown = ~cells["fips"].isin(gaz["fips"])
    codes = ", ".join(sorted(cells.loc[unknown, "fips"].unique())) or "none"
    log.add("abs", "dropped", f"county not in the 2019 Gazetteer ({codes})", unknown.sum())
    cells = cells.loc[~unknown].copy()
    log.add(
        "abs",
        "missing",
        "cell withheld or without firms (zero in every column): every value missing",
        cells["cell_withheld"].sum(),
    )
    for flag, what in [
        ("receipts_withheld", "receipts"),
        ("employment_withheld", "employment"),
        ("payroll_withheld", "payroll"),
        ("firms_withheld", "firms"),
    ]:
        log.add(
            "abs",
            "missing",
            f"{what} withheld (zero beside positive values): missing",
            cells[flag].sum(),
        )
    both = cells["employment"].notna() & cells["receipts_k"].notna()
    log.add("abs", "kept", "panel cells with both employment and receipts", both.sum())
    log.add(
        "abs",
        "kept",
        "panel counties with a cell with both employment and receipts",
        cells.loc[both, "fips"].nunique(),
    )

    df = cells.rename(columns={"receipts_k": "receipts", "payroll_k": "payroll"})
    df["receipts"] = df["receipts"] * 1000.0
    df["payroll"] = df["payroll"] * 1000.0
    emp = df["employment"].where(df["employment"] > 0)
    df["log_receipts_per_emp"] = _log_positive(df["receipts"] / emp)
    df["log_payroll_per_emp"] = _log_positive(df["payroll"] / emp)
    df["log_sector_employment"] = _log_positive(df["employment"])
    df["abs_county_employment"] = df["fips"].map(tot["employment"])
    disclosed = df.groupby("fips")["employment"].transform("sum")
    df["disclosed_emp_share"] = disclosed / df["abs_county_employment"]
    withheld = df[_FLAGS].any(axis=1)
    df["never_withheld_county"] = ~withheld.groupby(df["fips"]).transform("any")
    log.add(
        "abs",
        "kept",
        "counties none of whose panel cells is withheld (never_withheld_county)",
        df.loc[df["never_withheld_county"], "fips"].nunique(),
    )

    hhi = region_herfindahl(df, region="fips", industry="sector", value="employment")
    h = hhi.table.set_index("fips")
    df["diversity"] = df["fips"].map(1.0 - h["herfindahl"])
    df["n_sectors_disclosed"] = df["fips"].map(h["n_industries"]).astype("int64")
    log.add(
        "measures",
        "kept",
        "withheld cells left out of the sector diversity (shares of disclosed employment)",
        hhi.n_missing,
    )
    no_div = df.loc[df["diversity"].isna(), "fips"].nunique()
    log.add(
        "measures",
        "missing",
        "counties without a disclosed sector: diversity missing (counties)",
        no_div,
    )

    df = df.merge(
        gaz[["fips", "state_abbr", "county_name", "land_area_km2", "lat", "lon"]],
        on="fips",
        how="left",
        validate="many_to_one",
    )
    c17 = clean_cbp_county(cbp.loc[cbp["year"].eq(2017)], gaz, log)
    c17 = c17.merge(gaz[["fips", "land_area_km2"]], on="fips", how="left", validate="one_to_one")
    dens = employment_density(c17, region="fips", value="employment", area="land_area_km2").table
    d = dens.set_index("fips")["density"]
    df["log_density"] = _log_positive(df["fips"].map(d).astype("float64"))
    no_cbp = df["log_density"].isna()
    log.add(
        "cbp", "missing", "county without CBP 2017 employment: log_density missing", no_cbp.sum()
    )
    edu = acs.set_index("fips")["pct_edu_baplus"]
    df["pct_baplus"] = df["fips"].map(edu).astype("float64")
    log.add(
        "acs", "missing", "county without an ACS education share", df["pct_baplus"].isna().sum()
    )

    df = df[list(COUNTY_SECTOR_COLUMNS)].sort_values(["fips", "sector"], kind="stable")
    df = validate(df.reset_index(drop=True), COUNTY_SECTOR_SCHEMA, "county_sector")
    return PanelBuild(df, log.frame())
