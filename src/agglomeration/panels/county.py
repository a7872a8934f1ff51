"""County x year panel, 2001-2021: CBP, Gazetteer, crosswalks, USPTO patents, county characteristics."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from agglomeration.data.raw import RawData, as_raw
from agglomeration.data.readers_county import CENSUS_YEARS
from agglomeration.errors import InputError
from agglomeration.measures import employment_density
from agglomeration.panels._build import DropLog, PanelBuild, sum_strict
from agglomeration.panels.schemas import county_schema, validate
from agglomeration.spatial import distance_band_weights, distance_ring_weights, spatial_lag

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

DEFAULT_RINGS_KM: tuple[tuple[float, float], ...] = ((0.0, 50.0), (50.0, 100.0), (100.0, 200.0))
"""Distance rings (inner, outer] in km of the neighbours' density (the paper's)."""

DEFAULT_POPDENS_YEARS: tuple[int, ...] = (1850, 1900)
"""Census years of the historical population densities (instruments for current density)."""


COUNTY_RECODES: dict[str, tuple[str, str]] = {
    # old code: (2019 code, reason)
    "12025": ("12086", "Dade County FL renamed Miami-Dade (12086)"),
    "46113": ("46102", "Shannon County SD renamed Oglala Lakota (46102) in 2015"),
    "02270": ("02158", "Wade Hampton AK renamed Kusilvak (02158) in 2015"),
    "51515": ("51019", "Bedford city VA merged into Bedford County (51019) in 2013"),
    "51560": ("51005", "Clifton Forge city VA merged into Alleghany County (51005) in 2001"),
}
"""County codes of 2001-2021 that map one to one (or by merger) onto a 2019 county."""


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


def add_county_characteristics(
    county: pd.DataFrame,
    *,
    acs: pd.DataFrame,
    population: pd.DataFrame,
    abs_sectors: pd.DataFrame,
    log: DropLog,
    popdens_years: tuple[int, ...] = DEFAULT_POPDENS_YEARS,
) -> pd.DataFrame:
    """Add the fixed county characteristics to the county x year panel.

    - ``pct_baplus``: share (0-1) of adults 25 and over with a bachelor's degree or more, ACS
      2013-2017 5-year estimates. A 2013-2017 characteristic repeated in every year of the
      panel (a sorting control, not an annual series).
    - ``log_popdens_<year>``: log of the population estimated inside the county's 2010
      boundaries in that census (Schroeder 2016) per km² of the 2019 Gazetteer land area, the
      long-lag instrument for current density (Ciccone & Hall 1996; Combes et al. 2008),
      repeated in every year. The population file is on 2010 counties: renamed counties are
      recoded (02270 -> 02158, 46113 -> 46102) and Bedford city (51515) is added to Bedford
      County (51019), as in :data:`COUNTY_RECODES`; a county of the panel absent from the file,
      or a file county that is not in the panel, is reported with its code. The 2019 Gazetteer
      still lists Valdez-Cordova (02261, split into 02063 and 02066 in 2019), so it matches
      the file; a later Gazetteer with the two successors would report both as absent. A
      zero population (nobody enumerated inside today's borders) gives a missing log
      density, never ``log 0``; the report counts these counties per census year. Positive
      estimates are kept however small (the report counts those below one person).
    - ``abs_payroll_per_emp_2017``: ABS 2017 annual payroll per employee (dollars) of all
      sectors (``00``), on the 2017 rows only (missing in other years: it is a 2017
      cross-section of annual pay, to compare with the first-quarter ``pay_per_emp`` of 2017);
      missing where ABS withheld the county total or does not list the county.
    """
    bad_years = [y for y in popdens_years if y not in CENSUS_YEARS[:-1]]
    if bad_years:
        raise InputError(
            f"popdens_years {bad_years} are not census years of the population file; use "
            f"years among 1790, 1800, ..., 2000 (e.g. (1850, 1900))."
        )
    out = county.copy()
    counties = pd.Index(out["fips"].unique())
    n_years = out.groupby("fips")["year"].size()

    def county_years(codes: pd.Index) -> int:
        return int(n_years.reindex(codes).fillna(0).sum())

    edu = acs.set_index("fips")["pct_edu_baplus"]
    out["pct_baplus"] = out["fips"].map(edu).astype("float64")
    no_acs = counties[~counties.isin(edu.dropna().index)]
    log.add(
        "acs", "missing", "county without an ACS 2013-2017 education share", county_years(no_acs)
    )

    cols = [f"epop{y}" for y in popdens_years]
    pop = population[["fips", *cols]].copy()
    for old, (new, why) in COUNTY_RECODES.items():
        hit = pop["fips"].eq(old)
        if hit.any():
            log.add(
                "population", "recoded", f"{why} (2010 county of the population file)", hit.sum()
            )
            pop.loc[hit, "fips"] = new
    pop = pop.groupby("fips", as_index=False, sort=True)[cols].sum(min_count=1)
    extra = sorted(set(pop["fips"]) - set(counties))
    log.add(
        "population",
        "dropped",
        f"population-file county not in the panel ({', '.join(extra) or 'none'})",
        len(extra),
    )
    absent = counties[~counties.isin(pop["fips"])]
    log.add(
        "population",
        "missing",
        f"panel county absent from the population file ({', '.join(absent) or 'none'}): "
        "historical densities missing",
        county_years(absent),
    )
    area = out.drop_duplicates("fips").set_index("fips")["land_area_km2"]
    pop = pop.loc[pop["fips"].isin(counties)].assign(land_area_km2=lambda d: d["fips"].map(area))
    for y, c in zip(popdens_years, cols, strict=True):
        zero = pop[c].eq(0)
        log.add(
            "population",
            "missing",
            f"zero population in {y} (counties; log density missing in all their years)",
            zero.sum(),
        )
        tiny = pop[c].gt(0) & pop[c].lt(1)
        log.add(
            "population",
            "kept",
            f"population estimate in {y} below one person (counties)",
            tiny.sum(),
        )
        dens = employment_density(pop, region="fips", value=c, area="land_area_km2").table
        d = dens["density"].where(dens["density"] > 0)
        out[f"log_popdens_{y}"] = out["fips"].map(
            pd.Series(np.log(d).to_numpy(), index=dens["fips"])
        )

    tot = abs_sectors.loc[abs_sectors["sector"].eq("00")].set_index("fips")
    per_emp = tot["payroll_k"] * 1000.0 / tot["employment"]
    in_2017 = out["year"].eq(2017)
    out["abs_payroll_per_emp_2017"] = out["fips"].map(per_emp).where(in_2017).astype("float64")
    listed = out["fips"].isin(tot.index)
    withheld = in_2017 & listed & out["abs_payroll_per_emp_2017"].isna()
    log.add(
        "abs",
        "missing",
        "ABS 2017 county total (sector 00) withheld: annual pay missing",
        withheld.sum(),
    )
    unlisted = in_2017 & ~listed
    codes = ", ".join(sorted(out.loc[unlisted, "fips"])) or "none"
    log.add(
        "abs", "missing", f"county not in ABS 2017 ({codes}): annual pay missing", unlisted.sum()
    )
    return out


def ring_column(inner_km: float, outer_km: float) -> str:
    """Name of the log ring density column, e.g. ``log_ring_density_50_100``."""
    return f"log_ring_density_{inner_km:g}_{outer_km:g}"


def add_ring_densities(
    county: pd.DataFrame,
    log: DropLog,
    *,
    rings_km: tuple[tuple[float, float], ...] = DEFAULT_RINGS_KM,
) -> pd.DataFrame:
    """Add the employment density of the neighbouring counties in each distance ring.

    For county ``i``, ring ``(a, b]`` and year ``t``:

    ``log_ring_density_a_b = log( sum_j w_ij E_jt o_jt / sum_j w_ij A_j o_jt )``

    with ``w_ij = 1`` if the internal points of ``j != i`` lie ``a < d_ij <= b`` km apart
    (:func:`agglomeration.spatial.distance_ring_weights`; the first ring includes 0), ``E``
    March employment, ``A`` land area and ``o_jt = 1`` if ``j``'s employment is observed that
    year. The county itself is excluded, so the ring density enters beside the county's own
    density. The two sums are spatial lags (:func:`agglomeration.spatial.spatial_lag` with
    ``missing="zero"``). A neighbour with missing (suppressed) employment or no CBP row that
    year is left out of both sums; the county-years so affected are counted. A county with no
    neighbour in the ring, or whose ring neighbours are all missing that year, gets a missing
    value (counted); so does a ring with zero employment (never ``log 0``).
    """
    out = county.copy()
    loc = out.drop_duplicates("fips")[["fips", "lat", "lon"]]
    base = out[["fips", "year"]].copy()
    base["employment"] = out["employment"]
    base["area_observed"] = out["land_area_km2"].where(out["employment"].notna())
    for inner, outer in rings_km:
        w = distance_ring_weights(loc["lat"], loc["lon"], inner, outer, ids=loc["fips"])
        res = spatial_lag(
            base,
            w,
            unit="fips",
            time="year",
            columns=["employment", "area_observed"],
            missing="zero",
            suffix="_sum",
        )
        emp = res.table["employment_sum"].to_numpy()
        area = res.table["area_observed_sum"].to_numpy()
        card = pd.Series(w.cardinalities, index=w.ids).reindex(out["fips"]).to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            dens = np.where(area > 0, emp / area, np.nan)
        name = ring_column(inner, outer)
        out[name] = np.log(np.where(dens > 0, dens, np.nan))
        ring = f"ring ({inner:g}, {outer:g}] km"
        log.add(
            "spatial",
            "missing",
            f"{ring}: no neighbouring county in the ring (county-years)",
            (card == 0).sum(),
        )
        log.add(
            "spatial",
            "kept",
            f"{ring}: density over the observed neighbours only (county-years with a neighbour "
            "whose employment is missing or absent that year)",
            res.info["employment"]["touched_lags"],
        )
        log.add(
            "spatial",
            "missing",
            f"{ring}: every neighbour's employment missing that year (county-years)",
            ((card > 0) & ~(area > 0)).sum(),
        )
        log.add(
            "spatial",
            "missing",
            f"{ring}: zero employment in the ring (county-years)",
            ((area > 0) & (emp == 0)).sum(),
        )
    return out
