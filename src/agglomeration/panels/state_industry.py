"""State x 3-digit NAICS x year panel, 2001-2021, from CBP and BEA GDP by state and industry."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from agglomeration.data.concordance import bea_industry_map, concord_naics3
from agglomeration.data.raw import RawData, as_raw
from agglomeration.geo import weighted_centres
from agglomeration.measures import (
    colocation_relatedness,
    ellison_glaeser_gamma,
    krugman_specialisation,
    location_quotient,
    mark_suppressed,
    plant_herfindahl_from_counts,
    region_herfindahl,
    related_employment,
)
from agglomeration.panels._build import DropLog, PanelBuild, sum_strict
from agglomeration.panels.schemas import STATE_INDUSTRY_SCHEMA, validate

__all__ = ["add_state_industry_measures", "build_state_industry_panel", "eg_gamma_table"]

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
    return sum_strict(df, [*keys, "industry"], _VALUES)


def build_state_industry_panel(
    raw: RawData | Path | str,
    *,
    related_base_year: int = 2001,
    related_threshold: float = 0.3,
) -> PanelBuild:
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

    The measures of :func:`add_state_industry_measures` are then added, and the
    Ellison-Glaeser gammas by industry and year are returned in ``tables["eg_gamma"]``.

    Parameters
    ----------
    raw : RawData or path
        The raw files (a :class:`~agglomeration.data.RawData` or the folder that holds them).
    related_base_year, related_threshold : int, float
        Base year and threshold of the co-location relatedness (see
        :func:`add_state_industry_measures`).

    Returns
    -------
    PanelBuild
        ``data`` with ``state_fips``, ``state_abbr``, ``industry``, ``naics_vintage_codes``,
        ``year``, ``employment``, ``establishments``, ``payroll``, ``us_employment``,
        ``state_employment``, ``lq``, ``bea_unit``, ``gdp_per_worker``, ``rgdp_per_worker``
        (missing: see the report), and the measures; ``checks`` holds the BEA line ->
        industry map; ``tables["eg_gamma"]`` the Ellison-Glaeser gammas.
    """
    raw = as_raw(raw)
    log = DropLog("state_industry")
    st = raw.get("cbp_state_naics3")
    us = raw.get("cbp_national_naics3")
    bea = raw.get("bea_gdp")
    gaz = raw.get("gazetteer")

    marked = mark_suppressed(st, value="employment", establishments="establishments")
    sup = st["employment"].eq(0) & st["establishments"].gt(0)
    log.add(
        "cbp",
        "missing",
        "employment 0 with establishments > 0: disclosure suppression",
        marked.n_missing,
    )
    st = marked.table
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
    # LQ against the national file: industries without a national benchmark get NaN
    bench = nat.dropna(subset=["us_employment"])[["year", "industry", "us_employment"]]
    lq = location_quotient(
        panel.loc[~no_nat],
        region="state_fips",
        industry="industry",
        value="employment",
        time="year",
        benchmark=bench.rename(columns={"us_employment": "employment"}),
    )
    panel["lq"] = np.nan
    panel.loc[~no_nat, "lq"] = lq.table["lq"].to_numpy()

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
    unit_gdp = sum_strict(gdp, ["measure", "state_abbr", "year", "bea_unit"], ["value"])
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
    unit_emp = sum_strict(
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
    panel = panel.merge(state_geography(gaz), on="state_fips", how="left", validate="many_to_one")
    panel["log_state_density"] = np.log(panel["state_employment"] / panel["state_land_km2"])
    panel["log_gdp_per_worker"] = np.log(panel["gdp_per_worker"])
    panel["log_lq"] = np.log(panel["lq"].where(panel["lq"] > 0))
    # one id per state x industry: the panel unit (e.g. of serial correlation)
    panel["state_industry"] = panel["state_fips"] + "_" + panel["industry"]
    # own employment in the first year, an instrument for own employment measured with
    # transitory error (division bias in GDP per worker on employment)
    first = panel.loc[panel["year"].eq(panel["year"].min())].set_index("state_industry")
    panel["log_employment_base"] = panel["state_industry"].map(
        np.log(first["employment"].where(first["employment"] > 0))
    )
    ever = panel.groupby(["state_fips", "industry"])["employment"].transform(
        lambda e: e.isna().any()
    )
    panel["never_suppressed"] = ~ever.astype(bool)
    log.add(
        "cbp",
        "kept",
        "state x industry cells with employment suppressed in at least one year (all their "
        "years flagged never_suppressed = False)",
        (~panel["never_suppressed"]).sum(),
    )
    panel = validate(panel, STATE_INDUSTRY_SCHEMA, "state x industry")
    bmap = bmap.assign(
        bea_lines=bmap["bea_lines"].map(lambda t: "+".join(map(str, t))),
        bea_unit_industries=bmap["bea_unit_industries"].map(" ".join),
    )
    gamma = eg_gamma_table(panel, log)
    panel = add_state_industry_measures(
        panel, log, base_year=related_base_year, threshold=related_threshold
    )
    return PanelBuild(panel, log.frame(), checks=bmap, tables={"eg_gamma": gamma})


def state_geography(gaz: pd.DataFrame) -> pd.DataFrame:
    """Land area and a centre of every state from the 2019 Gazetteer counties.

    ``state_land_km2`` sums the counties' land; ``lat``, ``lon`` is the land-weighted mean of
    the counties' internal points, taken on the unit sphere (so that Alaska, which spans the
    180th meridian, gets a centre inside the state) and mapped back to degrees.
    """
    g = gaz.assign(state_fips=gaz["fips"].str[:2])
    c = weighted_centres(g["lat"], g["lon"], g["land_area_km2"], g["state_fips"])
    return pd.DataFrame(
        {
            "state_fips": c["group"].astype(str),
            "state_land_km2": c["weight"],
            "lat": c["lat"],
            "lon": c["lon"],
        }
    )


def add_state_industry_measures(
    state: pd.DataFrame, log: DropLog, *, base_year: int, threshold: float
) -> pd.DataFrame:
    """Add the state's specialisation and own- and related-industry employment.

    - ``state_herfindahl``, ``state_krugman``: Herfindahl of the state's industry shares and
      Krugman's specialisation index against the other states
      (:func:`agglomeration.measures.region_herfindahl`, :func:`~agglomeration.measures.krugman_specialisation`);
    - ``log_employment``: log own-industry employment;
    - ``related_employment``, ``n_related``, ``log_related_employment``: employment of the
      state's industries related to the industry, relatedness being the correlation of the
      industries' location quotients across states in ``base_year`` above ``threshold``
      (:func:`agglomeration.measures.colocation_relatedness`,
      :func:`~agglomeration.measures.related_employment`).

    Suppressed cells are left out of each total; the log records how many.
    """
    keys: dict[str, str] = {
        "region": "state_fips",
        "industry": "industry",
        "value": "employment",
        "time": "year",
    }
    hhi = region_herfindahl(state, **keys)
    kru = krugman_specialisation(
        state, region="state_fips", industry="industry", value="employment", time="year"
    )
    out = state.merge(
        hhi.table[["state_fips", "year", "herfindahl"]].rename(
            columns={"herfindahl": "state_herfindahl"}
        ),
        on=["state_fips", "year"],
        how="left",
        validate="many_to_one",
    )
    kcol = [c for c in kru.table.columns if c not in ("state_fips", "year")][0]
    out = out.merge(
        kru.table[["state_fips", "year", kcol]].rename(columns={kcol: "state_krugman"}),
        on=["state_fips", "year"],
        how="left",
        validate="many_to_one",
    )
    out["log_employment"] = np.log(out["employment"].where(out["employment"] > 0))
    base = state.loc[state["year"].eq(base_year)]
    rel = colocation_relatedness(base, region="state_fips", industry="industry", value="employment")
    remp = related_employment(state, rel.table, **keys, threshold=threshold)
    keep = ["state_fips", "industry", "year", "related_employment", "n_related"]
    out = out.merge(
        remp.table[keep], on=["state_fips", "industry", "year"], how="left", validate="one_to_one"
    )
    out["log_related_employment"] = np.log(
        out["related_employment"].where(out["related_employment"] > 0)
    )
    for reason, n in (
        ("suppressed cells left out of state Herfindahl/Krugman totals", hhi.n_missing),
        (f"suppressed cells left out of {base_year} co-location relatedness", rel.n_missing),
        ("suppressed cells left out of related-industry employment", remp.n_missing),
    ):
        log.add("measures", "missing", reason, n)
    return out


def eg_gamma_table(state: pd.DataFrame, log: DropLog) -> pd.DataFrame:
    """Ellison-Glaeser (1997) gamma by industry and year across states.

    The plant Herfindahl is approximated from establishment counts, assuming equal plants
    within a state-industry cell (:func:`agglomeration.measures.plant_herfindahl_from_counts`,
    a lower bound on H); suppressed cells are left out, and the log records how many.
    """
    keys = {"region": "state_fips", "industry": "industry", "time": "year"}
    ph = plant_herfindahl_from_counts(
        state,
        industry="industry",
        establishments="establishments",
        value="employment",
        region="state_fips",
        time="year",
    )
    eg = ellison_glaeser_gamma(state, **keys, value="employment", plant_herfindahl=ph.table)
    log.add("measures", "missing", "suppressed state x industry cells left out of EG gamma", eg.n_missing)
    return eg.table
