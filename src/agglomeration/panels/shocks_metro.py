"""Metro (CBSA) cross-section of the 2019-2021 shock: employment change, 6-digit mix, Bartik.

One row per metropolitan or micropolitan area (2019 CBSA): CBP March employment in 2019 and 2021
summed over the area's counties, its 2019 mix of 6-digit NAICS industries (CBP metro file), the
Herfindahl index of that mix and the share of its largest traded cluster (Delgado, Porter &
Stern 2016 definitions, from the metro x cluster panel), and the Bartik predicted change from
national 6-digit growth 2019-2021. See :mod:`agglomeration.panels.shocks` for the design.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from agglomeration.data.raw import RawData, as_raw
from agglomeration.errors import InputError
from agglomeration.geo import to_unit_sphere
from agglomeration.measures import mark_suppressed
from agglomeration.panels._build import DropLog, PanelBuild, sum_strict
from agglomeration.panels.county import clean_cbp_county
from agglomeration.panels.metro_clusters import build_metro_clusters
from agglomeration.panels.schemas import shock_schema, validate
from agglomeration.panels.shocks import (
    bartik_exposure,
    census_region,
    coarser_shares,
    disclosed_shares,
    national_log_growth,
    share_concentration,
)

__all__ = ["build_metro_shock", "metro_shock_columns"]


def metro_shock_columns(t0: int = 2019, t1: int = 2021) -> tuple[str, ...]:
    """Columns of the metro shock panel, in order (employment columns named by year)."""
    return (
        "cbsa",
        "cbsa_name",
        "cbsa_type",
        "state_fips",
        "census_region",
        "n_counties",
        f"employment_{t0}",
        f"employment_{t1}",
        "emp_change",
        f"log_employment_{t0}",
        "herfindahl",
        "top_industry_share",
        "top_industry",
        "n_industries",
        "top_share",
        "top_cluster",
        "clusters_complete",
        "disclosed_share",
        "bartik",
        "bartik_naics4",
        "lat",
        "lon",
    )


def _centre(counties: pd.DataFrame, weight: str) -> pd.DataFrame:
    """Weighted centre of each CBSA's county internal points, averaged on the unit sphere."""
    xyz = to_unit_sphere(counties["lat"], counties["lon"]) * counties[weight].to_numpy()[:, None]
    s = pd.DataFrame(xyz, columns=["x", "y", "z"]).groupby(counties["cbsa"].to_numpy()).sum()
    norm = np.sqrt((s**2).sum(axis=1))
    return pd.DataFrame(
        {
            "lat": np.degrees(np.arcsin(s["z"] / norm)),
            "lon": np.degrees(np.arctan2(s["y"], s["x"])),
        },
        index=s.index,
    )


def build_metro_shock(
    raw: RawData | Path | str,
    *,
    clusters: pd.DataFrame | None = None,
    t0: int = 2019,
    t1: int = 2021,
) -> PanelBuild:
    """Build the metro (CBSA) cross-section of the 2019-2021 shock.

    - Employment: CBP March county employment (cleaned as the county panel's) summed over the
      CBSA's counties of the county -> CBSA crosswalk; a crosswalk county absent from CBP
      (no employer establishment, or a retired code) counts as absent and is reported; a county
      with suppressed employment makes the CBSA's total missing (none in 2019 and 2021).
      ``emp_change = log(employment_2021 / employment_2019)``.
    - 6-digit shares ``w_rs``: 2019 CBP metro employment by 6-digit NAICS 2017 industry over the
      *disclosed* cells (employment 0 with establishments is a suppression, left out; cells the
      file does not list are absent), so they sum to one over the disclosed industries;
      ``disclosed_share`` is the disclosed 6-digit employment over the county-based total
      (it exceeds one in a few areas whose delineation differs between the two files).
      ``herfindahl = sum_s w_rs**2``; ``top_industry_share = max_s w_rs``.
    - ``top_share``: the largest traded cluster's share of the metro's employment, from the
      metro x cluster panel (:func:`agglomeration.panels.build_metro_clusters`: cluster
      employment over all disclosed 6-digit employment), over the clusters whose employment is
      known; ``clusters_complete`` is False where some cluster's employment is unknown (an
      industry of it suppressed), so that the largest cluster may be missed.
    - ``bartik = sum_s w_rs g_s``, ``g_s = log(E_s,2021 / E_s,2019)`` from the national CBP
      6-digit file (NAICS 2017 in both years). National growth includes the area itself (the
      data have no metro x industry employment in 2021). ``bartik_naics4`` is the same shift
      at the 4-digit level (the 6-digit shares summed within 4-digit industries, times national
      4-digit growth from the 6-digit file): 288 industries for about 900 areas, where the
      6-digit shares (961 industries) have more industries than areas, which AKM inference
      cannot use (the shares must have full column rank, AKM 2019, Section IV).
    - The area's centre is the 2019-employment-weighted mean of its counties' internal points;
      ``state_fips`` (and ``census_region``) is that of its largest county in 2019.

    The sample is the CBSAs in both the CBP metro file and the crosswalk; the others are
    reported.

    Parameters
    ----------
    raw : RawData or path
        The raw files.
    clusters : DataFrame, optional
        The metro x cluster panel (``build_metro_clusters(raw).data``); built when not given.
    t0, t1 : int
        Years before and after the shock (``t0`` must be 2019, the CBP metro file's year).

    Returns
    -------
    PanelBuild
        ``data``: :func:`metro_shock_columns`; ``tables``: ``metro_shock_shares`` (``region`` =
        cbsa, ``industry`` = 6-digit NAICS, ``share``, ``employment``) and
        ``metro_shock_shocks`` (``industry``, ``shock``, national employment in ``t0`` and
        ``t1``, ``naics3``: the 3-digit parent, for industry clusters in AKM inference), and
        the same at the 4-digit level (``metro_shock_shares_naics4``,
        ``metro_shock_shocks_naics4``).
    """
    if t0 != 2019:
        raise InputError(
            f"the metro shock starts in {t0}, but the 6-digit metro mix is CBP 2019: pass t0=2019."
        )
    raw = as_raw(raw)
    log = DropLog("metro_shock")
    gaz = raw.get("gazetteer")
    xwalk = raw.get("county_cbsa")
    cbp = raw.get("cbp_county")
    six = raw.get("cbp_cbsa_naics6")
    nat = raw.get("cbp_national_naics6")
    if clusters is None:
        clusters = build_metro_clusters(raw).data

    # --- county employment summed to CBSAs --------------------------------------------------
    cbp = clean_cbp_county(cbp.loc[cbp["year"].isin([t0, t1])], gaz, log)
    xw = xwalk.dropna(subset=["cbsa"])[["fips", "cbsa", "cbsa_name", "cbsa_type"]]
    log.add(
        "crosswalk",
        "dropped",
        "county outside any CBSA",
        xwalk["cbsa"].isna().sum(),
    )
    counties = xw.merge(
        cbp[["fips", "year", "employment"]], on="fips", how="left", validate="one_to_many"
    )
    absent = counties["year"].isna()
    codes = ", ".join(sorted(counties.loc[absent, "fips"])) or "none"
    log.add(
        "cbp",
        "dropped",
        f"CBSA county without a CBP row in {t0}-{t1} (counted as no employment: {codes})",
        absent.sum(),
    )
    counties = counties.loc[~absent]
    emp = sum_strict(counties, ["cbsa", "year"], ["employment"])
    wide = emp.pivot_table(index="cbsa", columns="year", values="employment", aggfunc="first")
    wide = wide.reindex(columns=[t0, t1])
    log.add(
        "cbp",
        "missing",
        f"CBSA with a suppressed county employment in {t0} or {t1} (total missing)",
        wide.isna().any(axis=1).sum(),
    )

    # --- 2019 6-digit mix ---------------------------------------------------------------------
    marked = mark_suppressed(six, value="employment", establishments="establishments")
    log.add(
        "cbp_metro",
        "missing",
        "6-digit cell with employment 0 and establishments > 0 (suppressed): left out of the "
        "shares",
        marked.n_missing,
    )
    six = marked.table
    in_both = set(six["cbsa"]) & set(wide.index)
    only_six = sorted(set(six["cbsa"]) - in_both)
    only_xw = sorted(set(wide.index) - in_both)
    log.add(
        "crosswalk",
        "dropped",
        "CBSA of the CBP metro file without counties in the crosswalk (delineations differ: "
        f"{', '.join(only_six) or 'none'})",
        len(only_six),
    )
    log.add(
        "crosswalk",
        "dropped",
        f"crosswalk CBSA without rows in the CBP metro file ({', '.join(only_xw) or 'none'})",
        len(only_xw),
    )
    six = six.loc[six["cbsa"].isin(in_both)]
    shares = disclosed_shares(six, region="cbsa", industry="naics", value="employment")
    conc = share_concentration(shares)
    shocks = national_log_growth(nat, industry="naics", t0=t0, t1=t1)
    shocks["naics3"] = shocks["industry"].str[:3]
    ex = bartik_exposure(shares, shocks, log, "metro 6-digit industries")
    six_codes = pd.Series(sorted(set(shares["industry"])))
    shares4 = coarser_shares(shares, pd.Series(six_codes.str[:4].to_numpy(), index=six_codes))
    nat4 = nat.assign(naics4=nat["naics"].str[:4])
    nat4 = nat4.groupby(["naics4", "year"])["employment"].sum(min_count=1).reset_index()
    shocks4 = national_log_growth(nat4, industry="naics4", t0=t0, t1=t1)
    shocks4["naics3"] = shocks4["industry"].str[:3]
    ex4 = bartik_exposure(shares4, shocks4, log, "metro 4-digit industries")

    # --- largest traded cluster (metro x cluster panel) -------------------------------------
    cl = clusters.loc[clusters["cbsa"].isin(in_both)]
    known = cl.dropna(subset=["employment"])
    known = known.assign(cshare=known["employment"] / known["metro_employment"])
    top = known.sort_values(["cbsa", "cshare", "cluster"], ascending=[True, False, True])
    top = top.drop_duplicates("cbsa").set_index("cbsa")
    complete = ~cl["employment"].isna().groupby(cl["cbsa"]).any()
    log.add(
        "measures",
        "kept",
        "CBSA with a traded cluster of unknown employment: top_share over the known clusters "
        "(clusters_complete False)",
        (~complete).sum(),
    )

    df = pd.DataFrame(index=pd.Index(sorted(in_both), name="cbsa"))
    names = xw.drop_duplicates("cbsa").set_index("cbsa")
    df["cbsa_name"] = names["cbsa_name"].reindex(df.index).astype(str)
    df["cbsa_type"] = names["cbsa_type"].reindex(df.index).astype(str)
    c0 = counties.loc[counties["year"].eq(t0)].merge(
        gaz[["fips", "lat", "lon"]], on="fips", how="left", validate="one_to_one"
    )
    c0 = c0.assign(state_fips=c0["fips"].str[:2])
    biggest = c0.sort_values(["cbsa", "employment", "fips"], ascending=[True, False, True])
    df["state_fips"] = biggest.drop_duplicates("cbsa").set_index("cbsa")["state_fips"]
    df["census_region"] = census_region(df["state_fips"])
    df["n_counties"] = c0.groupby("cbsa").size().reindex(df.index).astype("int64")
    df[f"employment_{t0}"] = wide[t0].reindex(df.index).astype(float)
    df[f"employment_{t1}"] = wide[t1].reindex(df.index).astype(float)
    e0, e1 = df[f"employment_{t0}"], df[f"employment_{t1}"]
    ok = e0.gt(0) & e1.gt(0)
    df["emp_change"] = np.log(e1.where(ok) / e0.where(ok))
    df[f"log_employment_{t0}"] = np.log(e0.where(e0 > 0))
    df["herfindahl"] = conc["herfindahl"].reindex(df.index).astype(float)
    df["top_industry_share"] = conc["top_share"].reindex(df.index).astype(float)
    df["top_industry"] = conc["top_industry"].reindex(df.index)
    df["n_industries"] = conc["n_industries"].reindex(df.index).fillna(0).astype("int64")
    df["top_share"] = top["cshare"].reindex(df.index).astype(float)
    df["top_cluster"] = top["cluster"].reindex(df.index)
    df["clusters_complete"] = complete.reindex(df.index).fillna(False).astype(bool)
    df["disclosed_share"] = conc["disclosed_employment"].reindex(df.index) / e0.where(e0 > 0)
    log.add(
        "cbp_metro",
        "kept",
        "CBSA whose disclosed 6-digit employment exceeds the county-based total "
        "(disclosed_share > 1: delineations differ)",
        df["disclosed_share"].gt(1).sum(),
    )
    df["bartik"] = ex.exposure.reindex(df.index).astype(float)
    df["bartik_naics4"] = ex4.exposure.reindex(df.index).astype(float)
    df = df.join(_centre(c0.dropna(subset=["employment"]), "employment"))
    df = df.reset_index()
    df = df[list(metro_shock_columns(t0, t1))]
    schema = shock_schema("cbsa", r"^\d{5}$", t0, t1, top="top_industry_share")
    df = validate(df, schema, "metro shock")
    tables = {
        "metro_shock_shares": shares.rename(columns={"value": "employment"}),
        "metro_shock_shocks": shocks,
        "metro_shock_shares_naics4": shares4.rename(columns={"value": "employment"}),
        "metro_shock_shocks_naics4": shocks4,
    }
    return PanelBuild(df, log.frame(), tables=tables)
