"""County cross-section of the 2019-2021 shock: employment change, 2017 sector mix, Bartik shift.

One row per county: CBP March employment in 2019 and 2021 (cleaned as in the county panel), the
county's 2017 mix of 2-digit NAICS sectors from the Annual Business Survey, its concentration,
and the Bartik predicted change from national sector growth 2019-2021 (CBP). See
:mod:`agglomeration.panels.shocks` for the design and the treatment of withheld cells.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from agglomeration.data.raw import RawData, as_raw
from agglomeration.errors import DataIntegrityError
from agglomeration.panels._build import DropLog, PanelBuild
from agglomeration.panels.county import clean_cbp_county
from agglomeration.panels.schemas import shock_schema, validate
from agglomeration.panels.shocks import (
    abs_sector_of_naics3,
    bartik_exposure,
    census_region,
    disclosed_shares,
    national_log_growth,
    share_concentration,
)

__all__ = ["abs_sector_of_naics3", "build_county_shock", "county_shock_columns"]


def county_shock_columns(t0: int = 2019, t1: int = 2021) -> tuple[str, ...]:
    """Columns of the county shock panel, in order (employment columns named by year)."""
    return (
        "fips",
        "state_fips",
        "state_abbr",
        "county_name",
        "census_region",
        f"employment_{t0}",
        f"employment_{t1}",
        "emp_change",
        f"log_employment_{t0}",
        "herfindahl",
        "top_share",
        "top_sector",
        "n_sectors",
        "abs_employment_2017",
        "disclosed_share",
        "bartik",
        "lat",
        "lon",
    )

def build_county_shock(
    raw: RawData | Path | str, *, t0: int = 2019, t1: int = 2021, mix_year: int = 2017
) -> PanelBuild:
    """Build the county cross-section of the 2019-2021 shock.

    - ``emp_change = log(employment_2021 / employment_2019)``: CBP March employment, cleaned as
      the county panel's (:func:`agglomeration.panels.county.clean_cbp_county`: statewide
      county-999 rows dropped, renamed counties recoded, suppressions missing); missing where
      either year is missing or zero.
    - Sector shares ``w_rs``: the county's 2017 ABS employment by 2-digit NAICS 2017 sector over
      its *disclosed* sectors (withheld cells and "not classified", 99, left out; see
      :func:`agglomeration.panels.shocks.disclosed_shares`). ``disclosed_share`` is the disclosed
      sector employment over the county's ABS total (sector 00); missing where ABS withheld the
      total. ``herfindahl = sum_s w_rs**2``, ``top_share = max_s w_rs`` (``top_sector``),
      ``n_sectors``; missing for a county without a disclosed sector.
    - ``bartik = sum_s w_rs g_s`` with ``g_s = log(E_s,2021 / E_s,2019)`` national sector growth
      from the national CBP 3-digit file summed to ABS sectors (:func:`abs_sector_of_naics3`;
      NAICS 2017 in both years). The county's own employment is not left out of ``g_s`` (the
      data have no county x sector employment in 2019 or 2021); the largest county share of a
      national sector's employment is under 6% (Los Angeles County in information, ABS 2017
      against national CBP 2017), so leaving it out would change ``g_s`` little.

    Parameters
    ----------
    raw : RawData or path
        The raw files.
    t0, t1 : int
        Years before and after the shock.
    mix_year : int
        Year of the sector mix (the ABS file's reference year, 2017); a label check only.

    Returns
    -------
    PanelBuild
        ``data``: :func:`county_shock_columns`, one row per county with CBP employment in ``t0``;
        ``tables``: ``county_shock_shares`` (``region`` = fips, ``industry`` = sector,
        ``share``, ``employment``) and ``county_shock_shocks`` (``industry``, ``shock``,
        national employment in ``t0`` and ``t1``, ``naics3_codes``).
    """
    if mix_year != 2017:
        raise DataIntegrityError(f"the ABS county x sector file is for 2017, not {mix_year}.")
    raw = as_raw(raw)
    log = DropLog("county_shock")
    gaz = raw.get("gazetteer")
    abs_ = raw.get("abs_county_naics2")
    nat = raw.get("cbp_national_naics3")
    cbp = raw.get("cbp_county")

    # --- employment change (CBP) ------------------------------------------------------------
    cbp = clean_cbp_county(cbp.loc[cbp["year"].isin([t0, t1])], gaz, log)
    wide = cbp.pivot_table(index="fips", columns="year", values="employment", aggfunc="first")
    wide = wide.reindex(columns=[t0, t1])
    df = pd.DataFrame(
        {
            "fips": wide.index.astype(str),
            f"employment_{t0}": wide[t0].to_numpy(dtype=float),
            f"employment_{t1}": wide[t1].to_numpy(dtype=float),
        }
    )
    no_base = df[f"employment_{t0}"].isna()
    log.add("cbp", "dropped", f"county without CBP employment in {t0}", no_base.sum())
    df = df.loc[~no_base].reset_index(drop=True)
    e0, e1 = df[f"employment_{t0}"], df[f"employment_{t1}"]
    ok = e0.gt(0) & e1.gt(0)
    df["emp_change"] = np.log(e1.where(ok) / e0.where(ok))
    df[f"log_employment_{t0}"] = np.log(e0.where(e0 > 0))
    log.add(
        "cbp",
        "missing",
        f"employment missing or zero in {t0} or {t1}: emp_change missing",
        (~ok).sum(),
    )

    # --- 2017 sector mix (ABS) --------------------------------------------------------------
    total = abs_.loc[abs_["sector"].eq("00")].set_index("fips")["employment"]
    cells = abs_.loc[~abs_["sector"].isin(["00", "99"])]
    log.add(
        "abs",
        "dropped",
        "establishments not classified (sector 99): no national counterpart, not a sector",
        abs_["sector"].eq("99").sum(),
    )
    outside = ~cells["fips"].isin(df["fips"])
    log.add(
        "abs",
        "dropped",
        f"county x sector cells of counties without CBP {t0} employment",
        outside.sum(),
    )
    cells = cells.loc[~outside]
    withheld = cells["employment"].isna()
    log.add(
        "abs",
        "missing",
        "sector employment withheld or no firms: left out of the shares (shares of disclosed "
        "sector employment)",
        withheld.sum(),
    )
    shares = disclosed_shares(cells, region="fips", industry="sector", value="employment")
    conc = share_concentration(shares)

    # --- national sector growth and the Bartik shift ----------------------------------------
    nat = nat.assign(sector=abs_sector_of_naics3(nat["naics"]))
    unknown = sorted(set(nat["sector"]) - set(cells["sector"]))
    if unknown:
        raise DataIntegrityError(
            f"national 3-digit NAICS codes map to sectors {unknown} that the ABS file does not "
            "have; extend abs_sector_of_naics3."
        )
    nat_sec = (
        nat.groupby(["sector", "year"])["employment"].sum(min_count=1).reset_index()
    )
    shocks = national_log_growth(nat_sec, industry="sector", t0=t0, t1=t1)
    codes = nat.loc[nat["year"].isin([t0, t1])].groupby("sector")["naics"]
    shocks["naics3_codes"] = shocks["industry"].map(
        codes.agg(lambda s: " ".join(sorted(set(s))))
    )
    ex = bartik_exposure(shares, shocks, log, "county sectors")

    df["state_fips"] = df["fips"].str[:2]
    df = df.merge(
        gaz[["fips", "state_abbr", "county_name", "lat", "lon"]],
        on="fips",
        how="left",
        validate="one_to_one",
    )
    df["census_region"] = census_region(df["state_fips"])
    df["herfindahl"] = df["fips"].map(conc["herfindahl"]).astype(float)
    df["top_share"] = df["fips"].map(conc["top_share"]).astype(float)
    df["top_sector"] = df["fips"].map(conc["top_industry"])
    df["n_sectors"] = df["fips"].map(conc["n_industries"]).fillna(0).astype("int64")
    df["abs_employment_2017"] = df["fips"].map(total).astype(float)
    df["disclosed_share"] = df["fips"].map(conc["disclosed_employment"]) / df[
        "abs_employment_2017"
    ].where(df["abs_employment_2017"] > 0)
    df["bartik"] = df["fips"].map(ex.exposure).astype(float)
    no_mix = df["herfindahl"].isna()
    log.add(
        "abs",
        "missing",
        "county without a disclosed 2017 sector: shares, herfindahl, top_share, bartik missing",
        no_mix.sum(),
    )
    log.add(
        "abs",
        "missing",
        "ABS county total withheld: disclosed_share missing",
        (~no_mix & df["disclosed_share"].isna()).sum(),
    )
    log.add(
        "abs",
        "kept",
        "counties with disclosed shares covering at least half of ABS employment",
        df["disclosed_share"].ge(0.5).sum(),
    )
    cols = list(county_shock_columns(t0, t1))
    df = df[cols].sort_values("fips", kind="stable").reset_index(drop=True)
    df = validate(df, shock_schema("fips", r"^\d{5}$", t0, t1), "county shock")
    share_table = shares.rename(columns={"value": "employment"})
    return PanelBuild(
        df,
        log.frame(),
        tables={"county_shock_shares": share_table, "county_shock_shocks": shocks},
    )
