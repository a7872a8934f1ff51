"""State x 3-digit NAICS x year panel, 2001-2021, from CBP and BEA GDP by state and industry."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from agglomeration.data import readers
from agglomeration.data._log import DropLog
from agglomeration.data.concordance import bea_industry_map, concord_naics3
from agglomeration.data.county_panel import PanelBuild, _sum_strict
from agglomeration.data.schemas import STATE_INDUSTRY_SCHEMA, validate

__all__ = ["build_state_industry_panel"]

_VALUES = ["employment", "establishments", "payroll"]


def _concord(df: pd.DataFrame, keys: list[str], log: DropLog, step: str) -> pd.DataFrame:
    df = df.assign(industry=concord_naics3(df["naics"]))
    pooled = df["industry"].ne(df["naics"])
    log.add(
        step,
        "recoded",
        "NAICS code pooled into a vintage-consistent industry (concordance)",
        pooled.sum(),
    )
    return _sum_strict(df, [*keys, "industry"], _VALUES)


def build_state_industry_panel(raw_dir: Path | str) -> PanelBuild:
    """Build the state x industry x year panel 2001-2021.

    Steps, each reported: CBP cells with zero employment but positive establishments are
    disclosure suppressions and are set to missing (payroll too when it is zero); raw NAICS codes
    are pooled into vintage-consistent industries (:mod:`agglomeration.data.concordance`; an
    industry whose parts include a suppressed cell is missing); the national benchmark comes
    from the national CBP file under the same concordance; the location quotient is

    ``LQ_rit = (e_rit / e_rt) / (E_it / E_t)``

    with ``e_rt`` the state's total over its non-suppressed industries and ``E`` national totals
    (suppressed cells are therefore excluded from the state denominator; the report counts
    them). Real and nominal GDP per worker come from BEA lines mapped to industries
    (:func:`agglomeration.data.concordance.bea_industry_map`): the unit's GDP ($ million,
    converted to dollars) over the pooled CBP employment of the industries in the unit; missing
    when BEA suppresses the line or CBP suppresses any pooled industry.

    Parameters
    ----------
    raw_dir : path
        Folder with the raw files.

    Returns
    -------
    PanelBuild
        ``data`` with ``state_fips``, ``state_abbr``, ``industry``, ``naics_vintage_codes``,
        ``year``, ``employment``, ``establishments``, ``payroll``, ``us_employment``,
        ``state_employment``, ``lq``, ``bea_unit``, ``gdp_per_worker``, ``rgdp_per_worker``
        (chained 2012 dollars); ``checks`` holds the BEA line -> industry map.
    """
    log = DropLog("state_industry")
    st = readers.read_cbp_state_naics3(raw_dir)
    us = readers.read_cbp_national_naics3(raw_dir)
    bea = readers.read_bea_gdp(raw_dir)
    gaz = readers.read_gazetteer(raw_dir)

    sup = st["employment"].eq(0) & st["establishments"].gt(0)
    log.add(
        "cbp", "missing", "employment 0 with establishments > 0: disclosure suppression", sup.sum()
    )
    st.loc[sup, "employment"] = np.nan
    sup_pay = sup & st["payroll"].eq(0)
    log.add("cbp", "missing", "payroll 0 in a suppressed cell", sup_pay.sum())
    st.loc[sup_pay, "payroll"] = np.nan
    vintage = (
        st.assign(industry=concord_naics3(st["naics"]))
        .groupby("industry")["naics"]
        .agg(lambda s: ",".join(sorted(set(s))))
        .rename("naics_vintage_codes")
    )
    panel = _concord(st, ["state_fips", "year"], log, "cbp")
    n_sup_ind = panel["employment"].isna().sum()
    log.add(
        "cbp",
        "missing",
        "industry employment missing (suppressed cell, or a suppressed part of a pooled industry)",
        n_sup_ind,
    )

    log.add(
        "cbp_us", "missing", "national employment missing in source", us["employment"].isna().sum()
    )
    nat = _concord(us, ["year"], log, "cbp_us").rename(columns={"employment": "us_employment"})
    nat["us_total"] = nat.groupby("year")["us_employment"].transform("sum")
    panel = panel.merge(
        nat[["year", "industry", "us_employment", "us_total"]],
        on=["year", "industry"],
        how="left",
        validate="many_to_one",
    )
    no_nat = panel["us_employment"].isna()
    log.add(
        "cbp_us",
        "missing",
        "no national benchmark for the industry-year (LQ missing)",
        no_nat.sum(),
    )
    panel["state_employment"] = panel.groupby(["state_fips", "year"])["employment"].transform("sum")
    panel["lq"] = (panel["employment"] / panel["state_employment"]) / (
        panel["us_employment"] / panel["us_total"]
    )

    # BEA GDP per worker. The deposited file's ``rgdp`` rows must differ from ``gdp`` (real vs
    # nominal); where they coincide the real series is unusable and is reported, not used.
    wide = bea.pivot_table(index=["state_abbr", "line", "year"], columns="measure", values="value")
    both = wide.dropna()
    same = float((both["gdp"] == both["rgdp"]).mean()) if len(both) else 0.0
    if same > 0.99:
        n_real = int(bea["measure"].eq("rgdp").sum())
        log.add(
            "bea",
            "missing",
            f"BEA 'rgdp' rows equal nominal 'gdp' in {same:.2%} of cells (mislabelled in the "
            "deposited file): real GDP per worker set missing",
            n_real,
        )
        bea = bea.loc[bea["measure"].ne("rgdp")]
    abbr = gaz.assign(state_fips=gaz["fips"].str[:2]).drop_duplicates("state_fips")[
        ["state_fips", "state_abbr"]
    ]
    panel = panel.merge(abbr, on="state_fips", how="left", validate="many_to_one")
    current = st.loc[st["year"].eq(st["year"].max())].assign(
        industry=lambda d: concord_naics3(d["naics"])
    )
    codes: dict[str, list[str]] = {
        str(k): sorted(set(v)) for k, v in current.groupby("industry")["naics"]
    }
    lines = bea.loc[bea["state_abbr"].eq("US"), ["line", "indclass"]].drop_duplicates()
    bmap = bea_industry_map(lines, codes)
    unmapped = sorted(set(codes) - set(bmap["industry"]))
    if unmapped:
        log.add(
            "bea",
            "missing",
            f"no BEA line maps to industries {', '.join(unmapped)}",
            panel["industry"].isin(unmapped).sum(),
        )
    line_unit = bmap[["bea_unit", "bea_lines"]].drop_duplicates("bea_unit").explode("bea_lines")
    line_unit = line_unit.rename(columns={"bea_lines": "line"}).astype({"line": "int64"})
    gdp = bea.loc[bea["state_abbr"].ne("US") & bea["year"].between(2001, 2021)].merge(
        line_unit, on="line"
    )
    unit_gdp = _sum_strict(gdp, ["measure", "state_abbr", "year", "bea_unit"], ["value"])
    unit_gdp = unit_gdp.pivot_table(
        index=["state_abbr", "year", "bea_unit"], columns="measure", values="value", dropna=False
    ).reset_index()
    unit_gdp = unit_gdp.reindex(columns=["state_abbr", "year", "bea_unit", "gdp", "rgdp"])
    log.add(
        "bea",
        "missing",
        "BEA unit-state-years with suppressed or discontinued GDP (nominal)",
        unit_gdp["gdp"].isna().sum(),
    )
    panel = panel.merge(
        bmap[["industry", "bea_unit"]], on="industry", how="left", validate="many_to_one"
    )
    unit_emp = _sum_strict(
        panel.dropna(subset=["bea_unit"]), ["state_fips", "year", "bea_unit"], ["employment"]
    )
    unit_emp = unit_emp.rename(columns={"employment": "bea_unit_employment"})
    panel = panel.merge(
        unit_emp, on=["state_fips", "year", "bea_unit"], how="left", validate="many_to_one"
    )
    panel = panel.merge(
        unit_gdp, on=["state_abbr", "year", "bea_unit"], how="left", validate="many_to_one"
    )
    nonpos = panel["rgdp"].le(0) | panel["gdp"].le(0)
    log.add(
        "bea",
        "missing",
        "BEA GDP zero or negative while CBP reports employment (GDP per worker missing)",
        nonpos.sum(),
    )
    panel.loc[nonpos, ["gdp", "rgdp"]] = np.nan
    denom = panel["bea_unit_employment"].where(panel["bea_unit_employment"] > 0)
    panel["gdp_per_worker"] = panel["gdp"] * 1e6 / denom
    panel["rgdp_per_worker"] = panel["rgdp"] * 1e6 / denom
    has_unit = panel["bea_unit"].notna()
    log.add(
        "bea",
        "missing",
        "nominal GDP per worker missing for a mapped industry (BEA or CBP suppression)",
        (has_unit & panel["gdp_per_worker"].isna()).sum(),
    )
    panel = panel.merge(vintage, left_on="industry", right_index=True, how="left")

    cols = [
        "state_fips",
        "state_abbr",
        "industry",
        "naics_vintage_codes",
        "year",
        "employment",
        "establishments",
        "payroll",
        "us_employment",
        "state_employment",
        "lq",
        "bea_unit",
        "bea_unit_employment",
        "gdp",
        "rgdp",
        "gdp_per_worker",
        "rgdp_per_worker",
    ]
    panel = (
        panel[cols]
        .sort_values(["state_fips", "industry", "year"], kind="stable")
        .reset_index(drop=True)
    )
    panel = validate(panel, STATE_INDUSTRY_SCHEMA, "state x industry")
    bmap = bmap.assign(
        bea_lines=bmap["bea_lines"].map(lambda t: "+".join(map(str, t))),
        bea_unit_industries=bmap["bea_unit_industries"].map(" ".join),
    )
    return PanelBuild(panel, log.frame(), checks=bmap)
