"""County x year panel, 2001-2021, from CBP, the Gazetteer, crosswalks and USPTO patents."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from agglomeration.data.raw import RawData, as_raw
from agglomeration.panels._build import DropLog, PanelBuild, sum_strict
from agglomeration.panels.schemas import COUNTY_SCHEMA, validate
from agglomeration.spatial import distance_band_weights, spatial_lag

__all__ = ["COUNTY_RECODES", "add_county_lags", "build_county_panel"]


COUNTY_RECODES: dict[str, tuple[str, str]] = {
    # old code: (2019 code, reason)
    "12025": ("12086", "Dade County FL renamed Miami-Dade (12086)"),
    "46113": ("46102", "Shannon County SD renamed Oglala Lakota (46102) in 2015"),
    "02270": ("02158", "Wade Hampton AK renamed Kusilvak (02158) in 2015"),
    "51515": ("51019", "Bedford city VA merged into Bedford County (51019) in 2013"),
    "51560": ("51005", "Clifton Forge city VA merged into Alleghany County (51005) in 2001"),
}
"""County codes of 2001-2021 that map one to one (or by merger) onto a 2019 county."""


def build_county_panel(raw: RawData | Path | str, *, lag_band_km: float = 100.0) -> PanelBuild:
    """Build the county x year panel 2001-2021.

    Steps, each reported in ``report``: drop statewide "county unknown" rows (county 999);
    recode renamed and merged counties onto their 2019 codes (:data:`COUNTY_RECODES`; merged
    counties are summed, a sum with a suppressed part stays missing); drop county codes that
    split and cannot be matched to the 2019 Gazetteer (Alaska 02201, 02232, 02280); keep
    suppressed employment and payroll as missing; attach land area and internal point from the
    2019 Gazetteer, the 2019 CBSA and the 2000 commuting zone; attach utility patents
    2001-2015 from the USPTO county file (missing outside 2001-2015 and for counties the file
    does not list; zero only where the file says zero).

    Finally the spatial lags of :func:`add_county_lags` are added.

    Parameters
    ----------
    raw : RawData or path
        The raw files (a :class:`~agglomeration.data.RawData` or the folder that holds them).
    lag_band_km : float
        Distance band of the spatial lags.

    Returns
    -------
    PanelBuild
        ``data`` with columns ``fips``, ``state_fips``, ``state_abbr``, ``county_name``,
        ``year``, ``employment``, ``establishments``, ``payroll`` (first-quarter payroll,
        dollars), ``pay_per_emp`` (first-quarter payroll per March employee, dollars),
        ``log_pay_per_emp``, ``land_area_km2``, ``density`` (employees per km² of land),
        ``log_density``, ``lat``, ``lon``, ``cbsa``, ``cz``, ``patents``, and the lags
        ``log_density_lag100``, ``patents_lag100`` (suffix from ``lag_band_km``).
    """
    raw = as_raw(raw)
    log = DropLog("county")
    cbp = raw.get("cbp_county")
    gaz = raw.get("gazetteer")
    cbsa = raw.get("county_cbsa")
    cz = raw.get("commuting_zones")
    pat = raw.get("patents_county")

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
        "lat",
        "lon",
        "cbsa",
        "cz",
        "patents",
    ]
    df = df[cols].sort_values(["fips", "year"], kind="stable").reset_index(drop=True)
    df = validate(df, COUNTY_SCHEMA, "county")
    df = add_county_lags(df, log, band_km=lag_band_km)
    return PanelBuild(df, log.frame())


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
