"""County x year panel, 2001-2021: CBP, Gazetteer, crosswalks, USPTO patents, county characteristics."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from agglomeration.data.raw import RawData, as_raw
from agglomeration.panels._build import DropLog, PanelBuild, sum_strict
from agglomeration.panels._recodes import COUNTY_RECODES
from agglomeration.panels.county_characteristics import (
    DEFAULT_POPDENS_YEARS,
    add_county_characteristics,
)
from agglomeration.panels.county_rings import DEFAULT_RINGS_KM, add_ring_densities, ring_column
from agglomeration.panels.schemas import county_schema, validate
from agglomeration.spatial import distance_band_weights, spatial_lag

__all__ = [
    "COUNTY_RECODES",
    "DEFAULT_POPDENS_YEARS",
    "DEFAULT_RINGS_KM",
    "add_county_characteristics",
    "add_county_lags",
    "add_ring_densities",
    "build_county_panel",
    "clean_cbp_county",
    "ring_column",
]




def build_county_panel(
    raw: RawData | Path | str,
    *,
    lag_band_km: float = 100.0,
    rings_km: tuple[tuple[float, float], ...] = DEFAULT_RINGS_KM,
    popdens_years: tuple[int, ...] = DEFAULT_POPDENS_YEARS,
) -> PanelBuild:
    """Build the county x year panel 2001-2021.

    Steps, each reported in ``report``: drop statewide "county unknown" rows (county 999);
    recode renamed and merged counties onto their 2019 codes (:data:`COUNTY_RECODES`; merged
    counties are summed, a sum with a suppressed part stays missing); drop county codes that
    split and cannot be matched to the 2019 Gazetteer (Alaska 02201, 02232, 02280); keep
    suppressed employment and payroll as missing; attach land area and internal point from the
    2019 Gazetteer, the 2019 CBSA and the 2000 commuting zone; attach utility patents
    2001-2015 from the USPTO county file (missing outside 2001-2015 and for counties the file
    does not list; zero only where the file says zero).

    Then the fixed county characteristics of :func:`add_county_characteristics` (ACS
    2013-2017 education share, historical population densities, ABS 2017 annual payroll per
    employee), the spatial lags of :func:`add_county_lags` and the densities of the
    neighbouring counties by distance ring of :func:`add_ring_densities` are added, and the
    result is checked against its schema.

    Parameters
    ----------
    raw : RawData or path
        The raw files (a :class:`~agglomeration.data.RawData` or the folder that holds them).
    lag_band_km : float
        Distance band of the spatial lags.
    rings_km : tuple of (float, float)
        Distance rings ``(inner, outer]`` in km of the neighbours' density.
    popdens_years : tuple of int
        Census years (1790-2000) of the historical population densities.

    Returns
    -------
    PanelBuild
        ``data`` with columns ``fips``, ``state_fips``, ``state_abbr``, ``county_name``,
        ``year``, ``employment``, ``establishments``, ``payroll`` (first-quarter payroll,
        dollars), ``pay_per_emp`` (first-quarter payroll per March employee, dollars),
        ``log_pay_per_emp``, ``land_area_km2``, ``density`` (employees per km² of land),
        ``log_density``, ``lat``, ``lon``, ``cbsa``, ``cz``, ``patents``, the fixed
        characteristics ``pct_baplus``, ``log_popdens_1850``, ``log_popdens_1900`` (one per
        ``popdens_years``), ``abs_payroll_per_emp_2017`` (2017 rows only), the lags
        ``log_density_lag100``, ``patents_lag100`` (suffix from ``lag_band_km``) and
        ``log_ring_density_0_50``, ``log_ring_density_50_100``, ``log_ring_density_100_200``
        (one per ring, see :func:`ring_column`).
    """
    raw = as_raw(raw)
    log = DropLog("county")
    cbp = raw.get("cbp_county")
    gaz = raw.get("gazetteer")
    cbsa = raw.get("county_cbsa")
    cz = raw.get("commuting_zones")
    pat = raw.get("patents_county")

    cbp = clean_cbp_county(cbp, gaz, log)

    df = cbp.merge(gaz, on="fips", how="left", validate="many_to_one")
    df = df.merge(cbsa[["fips", "cbsa"]], on="fips", how="left", validate="many_to_one")
    log.add(
        "crosswalk", "missing", "county outside any CBSA (cbsa missing)", df["cbsa"].isna().sum()
    )
    cz = cz.assign(fips=cz["fips"].map(lambda f: COUNTY_RECODES.get(f, (f, ""))[0]))
    cz = cz.drop_duplicates("fips")
    df = df.merge(cz, on="fips", how="left", validate="many_to_one")
    log.add(
        "crosswalk",
        "missing",
        "county without a 2000 commuting zone (cz missing)",
        df["cz"].isna().sum(),
    )

    # patents: keep county rows of the 50 states + DC that the Gazetteer knows
    is_all = pat["fips"].eq("ALL")
    undetermined = ~is_all & pat["fips"].str[2:].eq("000")
    states = set(df["state_fips"])  # the 50 states and DC of CBP (Puerto Rico is not in CBP)
    not_county = (
        ~is_all
        & ~undetermined
        & (~pat["fips"].isin(gaz["fips"]) | ~pat["fips"].str[:2].isin(states))
    )
    n_years = pat["year"].nunique()
    log.add("patents", "dropped", "US-total row (ALL)", is_all.sum() // n_years)
    log.add(
        "patents",
        "dropped",
        "'Undetermined County' rows (county part 000)",
        undetermined.sum() // n_years,
    )
    log.add(
        "patents",
        "dropped",
        "territory (incl. Puerto Rico) or retired county code, not a 2019 county of the 50 states and DC",
        not_county.sum() // n_years,
    )
    pat = pat.loc[~is_all & ~undetermined & ~not_county]
    in_years = pat["year"].between(2001, 2021)
    log.add("patents", "dropped", "grant year 2000 (before the panel starts)", (~in_years).sum())
    pat = pat.loc[in_years, ["fips", "year", "patents"]]
    no_cbp = ~pat.set_index(["fips", "year"]).index.isin(df.set_index(["fips", "year"]).index)
    log.add(
        "patents",
        "dropped",
        "county-year with patents but no CBP row (county absent from CBP that year)",
        no_cbp.sum(),
    )
    df = df.merge(pat, on=["fips", "year"], how="left", validate="one_to_one")
    no_pat = df["year"].le(2015) & df["patents"].isna()
    log.add(
        "patents",
        "missing",
        "county-year 2001-2015 not listed in the USPTO county file",
        no_pat.sum(),
    )

    df["pay_per_emp"] = df["payroll"] / df["employment"].where(df["employment"] > 0)
    df["log_pay_per_emp"] = np.log(df["pay_per_emp"].where(df["pay_per_emp"] > 0))
    df["density"] = df["employment"] / df["land_area_km2"]
    df["log_density"] = np.log(df["density"].where(df["density"] > 0))
    # density = employment / area: the two parts, to test that they enter as a ratio
    df["log_employment"] = np.log(df["employment"].where(df["employment"] > 0))
    df["log_land_area"] = np.log(df["land_area_km2"])
    df["patents"] = df["patents"].astype("float64")

    cols = [
        "fips",
        "state_fips",
        "state_abbr",
        "county_name",
        "year",
        "employment",
        "establishments",
        "payroll",
        "pay_per_emp",
        "log_pay_per_emp",
        "land_area_km2",
        "density",
        "log_density",
        "log_employment",
        "log_land_area",
        "lat",
        "lon",
        "cbsa",
        "cz",
        "patents",
    ]
    df = df[cols].sort_values(["fips", "year"], kind="stable").reset_index(drop=True)
    df = add_county_characteristics(
        df,
        acs=raw.get("acs_county"),
        population=raw.get("county_population"),
        abs_sectors=raw.get("abs_county_naics2"),
        log=log,
        popdens_years=popdens_years,
    )
    popdens = [f"log_popdens_{y}" for y in popdens_years]
    # checked before the spatial steps (which need valid coordinates), then with their columns
    df = validate(df, county_schema(popdens), "county")
    df = add_county_lags(df, log, band_km=lag_band_km)
    df = add_ring_densities(df, log, rings_km=rings_km)
    df = validate(df, county_schema(popdens + [ring_column(*r) for r in rings_km]), "county")
    return PanelBuild(df, log.frame())


def clean_cbp_county(cbp: pd.DataFrame, gaz: pd.DataFrame, log: DropLog) -> pd.DataFrame:
    """Clean CBP county rows onto the 2019 counties, recording every rule in ``log``.

    Drops statewide "county unknown" rows (county 999); recodes renamed and merged counties
    onto their 2019 codes (:data:`COUNTY_RECODES`; merged counties are summed, a sum with a
    suppressed part stays missing); drops codes the 2019 Gazetteer ``gaz`` does not know
    (split counties); sets zero employment with establishments (a suppression) to missing.
    """
    unknown = cbp["county_fips"].eq("999")
    log.add(
        "cbp",
        "dropped",
        "statewide 'county unknown' record (county 999), not a county",
        unknown.sum(),
    )
    cbp = cbp.loc[~unknown].copy()

    for old, (new, why) in COUNTY_RECODES.items():
        hit = cbp["fips"].eq(old)
        if hit.any():
            log.add("cbp", "recoded", why, hit.sum())
            cbp.loc[hit, "fips"] = new
    value_cols = ["employment", "establishments", "payroll"]
    if cbp.duplicated(["fips", "year"]).any():
        dup = cbp.duplicated(["fips", "year"], keep=False)
        merged = sum_strict(cbp.loc[dup], ["fips", "year"], value_cols)
        merged["state_fips"] = merged["fips"].str[:2]
        merged["county_fips"] = merged["fips"].str[2:]
        log.add(
            "cbp",
            "recoded",
            "county-years of merged counties summed into one row",
            int(dup.sum()) - len(merged),
        )
        cbp = pd.concat([cbp.loc[~dup], merged[cbp.columns]], ignore_index=True)

    unmatched = ~cbp["fips"].isin(gaz["fips"])
    if unmatched.any():
        codes = sorted(cbp.loc[unmatched, "fips"].unique())
        log.add(
            "cbp",
            "dropped",
            f"county code not in the 2019 Gazetteer (split or retired: {', '.join(codes)})",
            unmatched.sum(),
        )
        cbp = cbp.loc[~unmatched]

    log.add(
        "cbp",
        "missing",
        "employment suppressed in CBP (left missing)",
        cbp["employment"].isna().sum(),
    )
    log.add(
        "cbp", "missing", "payroll suppressed in CBP (left missing)", cbp["payroll"].isna().sum()
    )
    zero_emp = cbp["employment"].eq(0) & cbp["establishments"].gt(0)
    if zero_emp.any():
        log.add(
            "cbp", "missing", "zero employment with establishments (suppressed)", zero_emp.sum()
        )
        cbp.loc[zero_emp, ["employment", "payroll"]] = np.nan
    return cbp


def add_county_lags(county: pd.DataFrame, log: DropLog, *, band_km: float) -> pd.DataFrame:
    """Add spatial lags (SLX) of log density and patents over a distance band, within year.

    The lag of a county is the mean over the other counties whose internal points lie within
    ``band_km`` (row-standardised distance-band weights, own county excluded), computed by
    :func:`agglomeration.spatial.spatial_lag` over the neighbours observed that year. Columns
    ``log_density_lag<band>`` and ``patents_lag<band>``; the log records the county-years
    with a missing neighbour value and those with no neighbour at all (lag 0).
    """
    loc = county.drop_duplicates("fips")[["fips", "lat", "lon"]]
    w = distance_band_weights(
        loc["lat"], loc["lon"], band_km, ids=loc["fips"], row_standardize=True
    )
    suffix = f"_lag{band_km:g}"
    res = spatial_lag(
        county, w, unit="fips", columns=["log_density", "patents"], time="year", suffix=suffix
    )
    out = county.copy()
    for col in ("log_density", "patents"):
        out[col + suffix] = res.table[col + suffix].to_numpy()
    log.add(
        "measures",
        "missing",
        f"spatial lag ({band_km:g} km) computed over observed neighbours only",
        res.n_missing,
    )
    log.add(
        "measures",
        "missing",
        "county-years without a neighbour within the band (island: lag set to 0)",
        res.info["islands"],
    )
    return out
