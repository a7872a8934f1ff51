"""State cross-section of the 2007-2010 recession: employment change, 2006 3-digit mix, Bartik.

One row per state (50 and DC): CBP March employment in 2007 and 2010 from the county file, the
state's 2006 mix of 3-digit NAICS industries (CBP state file, vintage-consistent industries of
:func:`agglomeration.data.concordance.concord_naics3`), its concentration, and the Bartik
predicted change from national industry growth 2007-2010, with and without the state itself.
N is 51: the cross-section is small, and the specifications say so. See
:mod:`agglomeration.panels.shocks` for the design.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from agglomeration.data.concordance import concord_naics3
from agglomeration.data.raw import RawData, as_raw
from agglomeration.measures import mark_suppressed
from agglomeration.panels._build import DropLog, PanelBuild, sum_strict
from agglomeration.panels.schemas import shock_schema, validate
from agglomeration.panels.shocks import (
    abs_sector_of_naics3,
    bartik_exposure,
    census_region,
    coarser_shares,
    disclosed_shares,
    national_log_growth,
    share_concentration,
)
from agglomeration.panels.state_industry import state_geography

__all__ = ["build_state_shock", "state_shock_columns"]


def state_shock_columns(t0: int = 2007, t1: int = 2010) -> tuple[str, ...]:
    """Columns of the state shock panel, in order (employment columns named by year)."""
    return (
        "state_fips",
        "state_abbr",
        "census_region",
        f"employment_{t0}",
        f"employment_{t1}",
        "emp_change",
        f"log_employment_{t0}",
        "herfindahl",
        "top_share",
        "top_industry",
        "n_industries",
        "disclosed_share",
        "bartik",
        "bartik_loo",
        "bartik_sector",
        "lat",
        "lon",
    )


def _concorded(cbp: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Employment summed into vintage-consistent industries; a suppressed part leaves it missing."""
    df = cbp.assign(industry=concord_naics3(cbp["naics"]))
    return sum_strict(df, [*keys, "industry"], ["employment"])


def build_state_shock(
    raw: RawData | Path | str, *, mix_year: int = 2006, t0: int = 2007, t1: int = 2010
) -> PanelBuild:
    """Build the state cross-section of the 2007-2010 recession.

    - State employment in ``t0`` and ``t1``: CBP March employment summed over the county file's
      rows of the state, statewide "county unknown" records (county 999) included (they are
      employment of the state). A county code with suppressed employment in any of
      ``mix_year``, ``t0``, ``t1`` is left out of the state's totals in every year, so that the
      change compares the same counties (the report counts them). The 3-digit state file is not
      used for totals: its suppressed cells hide about 15% of employment.
      ``emp_change = log(employment_2010 / employment_2007)``.
    - 3-digit shares ``w_rs`` in ``mix_year`` (2006): CBP state employment by vintage-consistent
      3-digit industry (:func:`~agglomeration.data.concordance.concord_naics3`) over the state's
      *disclosed* industries (employment 0 with establishments is a suppression; an industry
      with a suppressed part is left out); ``disclosed_share`` is the disclosed 3-digit
      employment over the county-based state total of ``mix_year``. ``herfindahl``,
      ``top_share`` (``top_industry``), ``n_industries``.
    - ``bartik = sum_s w_rs g_s`` with ``g_s = log(E_s,2010 / E_s,2007)`` national growth from
      the national 3-digit file under the same concordance; ``bartik_loo`` uses leave-one-out
      growth ``g_s^(-r) = log((E_s,2010 - e_rs,2010) / (E_s,2007 - e_rs,2007))``, falling back to
      ``g_s`` where the state's cell is suppressed in either year (reported).
    - ``bartik_sector``: the same shift over 2-digit sectors (the 3-digit shares summed within
      ABS sectors, :func:`agglomeration.panels.shocks.abs_sector_of_naics3`, times national
      sector growth): 19 sectors for 51 states, where the 3-digit shares (79 industries) have
      more industries than states, which AKM inference cannot use (AKM 2019, Section IV).
    - Centre: the land-weighted centre of the state's counties
      (:func:`agglomeration.panels.state_industry.state_geography`).

    Parameters
    ----------
    raw : RawData or path
        The raw files.
    mix_year, t0, t1 : int
        Year of the industry mix; years before and after the shock.

    Returns
    -------
    PanelBuild
        ``data``: :func:`state_shock_columns`; ``tables``: ``state_shock_shares`` (``region`` =
        state_fips, ``industry``, ``share``, ``employment``) and ``state_shock_shocks``
        (``industry``, ``shock``, national employment in ``t0`` and ``t1``), and the same by
        sector (``state_shock_shares_sector``, ``state_shock_shocks_sector``).
    """
    raw = as_raw(raw)
    log = DropLog("state_shock")
    gaz = raw.get("gazetteer")
    st = raw.get("cbp_state_naics3")
    nat = raw.get("cbp_national_naics3")
    cbp = raw.get("cbp_county")
    years = sorted({mix_year, t0, t1})

    # --- state totals from the county file --------------------------------------------------
    cbp = cbp.loc[cbp["year"].isin(years)]
    sup = cbp["employment"].isna() | (cbp["employment"].eq(0) & cbp["establishments"].gt(0))
    bad_codes = set(cbp.loc[sup, "fips"])
    left_out = cbp["fips"].isin(bad_codes)
    log.add(
        "cbp",
        "dropped",
        f"county-years of county codes with suppressed employment in {'/'.join(map(str, years))}"
        " (left out of the state totals in every year)",
        left_out.sum(),
    )
    totals = (
        cbp.loc[~left_out]
        .groupby(["state_fips", "year"])["employment"]
        .sum()
        .unstack("year")
        .reindex(columns=years)
    )
    log.add(
        "cbp",
        "kept",
        "statewide 'county unknown' rows (county 999) counted in the state totals",
        (cbp.loc[~left_out, "county_fips"].eq("999")).sum(),
    )

    # --- 2006 3-digit mix ---------------------------------------------------------------------
    marked = mark_suppressed(st, value="employment", establishments="establishments")
    st = marked.table
    log.add(
        "cbp_state",
        "missing",
        "employment 0 with establishments > 0: disclosure suppression (every year of the file)",
        marked.n_missing,
    )
    cells = _concorded(st.loc[st["year"].eq(mix_year)], ["state_fips"])
    log.add(
        "cbp_state",
        "missing",
        f"{mix_year} state x industry cells suppressed (a suppressed part of a pooled industry "
        "included): left out of the shares",
        cells["employment"].isna().sum(),
    )
    shares = disclosed_shares(cells, region="state_fips", industry="industry", value="employment")
    conc = share_concentration(shares)

    # --- national growth and the Bartik shifts ------------------------------------------------
    nat_c = _concorded(nat, ["year"])
    shocks = national_log_growth(nat_c, industry="industry", t0=t0, t1=t1)
    ex = bartik_exposure(shares, shocks, log, "state 3-digit industries")
    sector_of = abs_sector_of_naics3(shocks["industry"]).set_axis(shocks["industry"])
    shares_sec = coarser_shares(shares, sector_of)
    nat_s = nat_c.assign(industry=abs_sector_of_naics3(nat_c["industry"]))
    nat_s = nat_s.groupby(["industry", "year"])["employment"].sum(min_count=1).reset_index()
    shocks_sec = national_log_growth(nat_s, industry="industry", t0=t0, t1=t1)
    ex_sec = bartik_exposure(shares_sec, shocks_sec, log, "state sectors")
    own = _concorded(st.loc[st["year"].isin([t0, t1])], ["state_fips", "year"])
    own = own.pivot_table(
        index=["state_fips", "industry"], columns="year", values="employment", dropna=False
    ).reindex(columns=[t0, t1])
    g = shocks.set_index("industry")
    s = shares.set_index(["region", "industry"])
    own = own.reindex(pd.MultiIndex.from_arrays([s.index.get_level_values(0),
                                                  s.index.get_level_values(1)]))
    ind = s.index.get_level_values("industry")
    rest0 = g[f"employment_{t0}"].reindex(ind).to_numpy() - own[t0].to_numpy()
    rest1 = g[f"employment_{t1}"].reindex(ind).to_numpy() - own[t1].to_numpy()
    known = np.isfinite(rest0) & np.isfinite(rest1) & (rest0 > 0) & (rest1 > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        g_loo = np.where(known, np.log(rest1 / rest0), g["shock"].reindex(ind).to_numpy())
    log.add(
        "bartik",
        "recoded",
        f"state x industry cells suppressed in {t0} or {t1}: leave-one-out growth falls back to "
        "national growth",
        (~known).sum(),
    )
    loo = pd.Series(s["share"].to_numpy() * g_loo, index=s.index.get_level_values("region"))
    loo = loo.groupby(level=0).sum()

    df = pd.DataFrame(index=pd.Index(sorted(totals.index), name="state_fips"))
    abbr = gaz.assign(state_fips=gaz["fips"].str[:2]).drop_duplicates("state_fips")
    df["state_abbr"] = abbr.set_index("state_fips")["state_abbr"].reindex(df.index).astype(str)
    df["census_region"] = census_region(df.index.to_series())
    df[f"employment_{t0}"] = totals[t0].astype(float)
    df[f"employment_{t1}"] = totals[t1].astype(float)
    e0, e1 = df[f"employment_{t0}"], df[f"employment_{t1}"]
    df["emp_change"] = np.log(e1 / e0)
    df[f"log_employment_{t0}"] = np.log(e0)
    for col in ("herfindahl", "top_share", "n_industries"):
        df[col] = conc[col].reindex(df.index)
    df["top_industry"] = conc["top_industry"].reindex(df.index).astype(str)
    df["n_industries"] = df["n_industries"].astype("int64")
    df["disclosed_share"] = conc["disclosed_employment"].reindex(df.index) / totals[mix_year]
    df["bartik"] = ex.exposure.reindex(df.index).astype(float)
    df["bartik_loo"] = loo.reindex(df.index).astype(float)
    df["bartik_sector"] = ex_sec.exposure.reindex(df.index).astype(float)
    df = df.join(state_geography(gaz).set_index("state_fips")[["lat", "lon"]])
    df = df.reset_index()[list(state_shock_columns(t0, t1))]
    df = validate(df, shock_schema("state_fips", r"^\d{2}$", t0, t1), "state shock")
    tables = {
        "state_shock_shares": shares.rename(columns={"value": "employment"}),
        "state_shock_shocks": shocks,
        "state_shock_shares_sector": shares_sec.rename(columns={"value": "employment"}),
        "state_shock_shocks_sector": shocks_sec,
    }
    return PanelBuild(df, log.frame(), tables=tables)
