"""Fixed county characteristics: ACS education, historical population density, ABS 2017 pay."""

from __future__ import annotations

import numpy as np
import pandas as pd

from agglomeration.data.readers_county import CENSUS_YEARS
from agglomeration.errors import InputError
from agglomeration.measures import employment_density
from agglomeration.panels._build import DropLog
from agglomeration.panels._recodes import COUNTY_RECODES

__all__ = ["DEFAULT_POPDENS_YEARS", "add_county_characteristics"]

DEFAULT_POPDENS_YEARS: tuple[int, ...] = (1850, 1900)
"""Census years of the historical population densities (instruments for current density)."""


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
    - ``pop_<year>``: the population estimate itself (persons), so that an analysis can
      restrict an instrument to counties that were settled (e.g. ``pop_1850 >= 100``).
    - ``abs_payroll_per_emp_2017`` and its log ``log_abs_payroll_per_emp_2017``: ABS 2017
      annual payroll per employee (dollars) of all sectors (``00``), on the 2017 rows only (missing in other years: it is a 2017
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
        out[f"pop_{y}"] = out["fips"].map(pop.set_index("fips")[c]).astype("float64")

    tot = abs_sectors.loc[abs_sectors["sector"].eq("00")].set_index("fips")
    per_emp = tot["payroll_k"] * 1000.0 / tot["employment"]
    in_2017 = out["year"].eq(2017)
    out["abs_payroll_per_emp_2017"] = out["fips"].map(per_emp).where(in_2017).astype("float64")
    pos = out["abs_payroll_per_emp_2017"].where(out["abs_payroll_per_emp_2017"] > 0)
    out["log_abs_payroll_per_emp_2017"] = np.log(pos)
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


