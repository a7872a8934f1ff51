"""Metro (2019 CBSA) x traded cluster table, 2019, with metro patents.

Cluster employment follows the benchmark cluster definitions of Delgado, Porter & Stern (2016):
6-digit NAICS industries are assigned to 51 traded clusters by the US Cluster Mapping crosswalk,
and a metro's cluster employment is the sum of its employment in the cluster's industries.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from agglomeration.data.raw import RawData, as_raw
from agglomeration.measures import (
    cluster_strength,
    mark_suppressed,
    prepare_cluster_crosswalk,
    related_cluster_pairs,
    related_cluster_strength,
)
from agglomeration.panels._build import DropLog, PanelBuild
from agglomeration.panels.county import COUNTY_RECODES
from agglomeration.panels.schemas import METRO_CLUSTER_SCHEMA, validate

__all__ = ["build_metro_clusters"]


def build_metro_clusters(
    raw: RawData | Path | str,
    *,
    strong_quantile: float = 0.75,
    related_flag: str = "rel_all_90_v3",
) -> PanelBuild:
    """Build the metro x traded-cluster table for 2019.

    Steps, each reported: drop the crosswalk's proprietary non-standard codes and keep the
    traded clusters (:func:`agglomeration.measures.prepare_cluster_crosswalk`); set CBP cells
    with zero employment and positive establishments to missing
    (:func:`~agglomeration.measures.mark_suppressed`); then
    :func:`~agglomeration.measures.cluster_strength` assigns 6-digit industries to clusters
    (local and unassigned industries count toward metro totals only), completes the metro x
    cluster grid with zeros where CBP lists no establishment of the cluster, and computes the
    cluster location quotient (Delgado, Porter & Stern 2014)

    ``LQ_rc = (E_rc / E_r) / (E_c / E)``

    with ``E_r`` the metro's total employment over all 6-digit industries and ``E_c``, ``E``
    totals of disclosed cells over all CBSAs (the benchmark is the CBSA universe, not the whole
    US), and the strong-cluster flag (top quartile of ``LQ_rc`` across metros). A cluster with a
    suppressed industry in a metro has unknown employment: its ``employment``, ``cluster_lq``
    and ``strong`` are missing (``incomplete="missing"``), so ``strong`` is defined exactly
    where ``cluster_lq`` is. Related-cluster strength uses the Cluster Mapping relatedness flag
    ``related_flag`` (:func:`~agglomeration.measures.related_cluster_strength`). Metro patents
    sum county patents through the county -> CBSA crosswalk and are compared with the USPTO
    metro file where the (2003 vintage) area code equals a 2019 CBSA code.

    Parameters
    ----------
    raw : RawData or path
        The raw files (a :class:`~agglomeration.data.RawData` or the folder that holds them).
    strong_quantile : float
        Quantile of the cluster LQ across metros above which a cluster is strong.
    related_flag : str
        Column of the relatedness table marking related cluster pairs (value >= 1).

    Returns
    -------
    PanelBuild
        ``data``: ``cbsa``, ``cbsa_name``, ``cbsa_type``, ``cluster``, ``employment``,
        ``establishments``, ``metro_employment``, ``cluster_lq``, ``strong``,
        ``related_employment``, ``n_strong_related``, ``n_related``, ``patents_2000_2015``,
        ``patents_2011_2015`` (metro-level, repeated on each cluster row).
        ``checks``: one row per 2019 CBSA compared with the USPTO metro file
        (``patents_from_counties``, ``patents_uspto_metro``, ``ratio``) plus unmatched areas.
    """
    raw = as_raw(raw)
    log = DropLog("metro_clusters")
    cw_raw = raw.get("cluster_crosswalk")
    cbp = raw.get("cbp_cbsa_naics6")
    county_cbsa = raw.get("county_cbsa")
    pat = raw.get("patents_county")
    pat_msa = raw.get("patents_msa")
    related = raw.get("related_clusters")

    cw = prepare_cluster_crosswalk(
        cw_raw, traded_local="traded", nonstandard="nonstandard", traded_only=False
    )
    log.add(
        "crosswalk",
        "dropped",
        "proprietary non-standard pseudo-code (emsi_specific_nonstandard)",
        cw.info.get("emsi_specific_nonstandard", 0),
    )
    log.add(
        "crosswalk", "dropped", "industry without a cluster", cw.info.get("no cluster", 0)
    )
    traded_codes = set(cw_raw.loc[cw_raw["traded"], "naics"])
    traded = cw.table.loc[cw.table["naics"].isin(traded_codes)]

    marked = mark_suppressed(cbp, value="employment", establishments="establishments")
    log.add(
        "cbp",
        "missing",
        "employment 0 with establishments > 0: disclosure suppression",
        marked.n_missing,
    )
    cbp = marked.table
    not_in_cw = ~cbp["naics"].isin(cw.table["naics"])
    log.add(
        "cbp",
        "recoded",
        "6-digit code not in the cluster crosswalk (counts toward metro total only)",
        not_in_cw.sum(),
    )

    strength = cluster_strength(
        cbp,
        traded,
        region="cbsa",
        industry="naics",
        value="employment",
        strong_quantile=strong_quantile,
        incomplete="missing",
    )
    st = strength.table
    # establishments of the cluster (CBP counts establishments even where employment is
    # suppressed); zero where CBP lists none
    cells = cbp.merge(traded, on="naics", how="inner", validate="many_to_one")
    est = cells.groupby(["cbsa", "cluster"])["establishments"].sum()
    df = st.rename(
        columns={
            "cluster_employment": "employment",
            "region_employment": "metro_employment",
            "lq": "cluster_lq",
        }
    )
    df = df.join(est, on=["cbsa", "cluster"])
    df["log_metro_employment"] = np.log(df["metro_employment"])
    absent = df["establishments"].isna()
    log.add(
        "cbp",
        "recoded",
        "metro x cluster with no establishment in CBP: employment set to 0",
        absent.sum(),
    )
    df["establishments"] = df["establishments"].fillna(0.0)
    log.add(
        "cbp",
        "missing",
        "cluster employment, LQ and strong flag missing (an industry of the cluster is "
        "suppressed)",
        strength.info["incomplete_cells"],
    )
    pairs = related_cluster_pairs(
        related, column=related_flag, cluster="cluster_a", related_cluster="cluster_b"
    )
    rel = related_cluster_strength(st, pairs, region="cbsa")
    df = df.merge(
        rel.table[["cbsa", "cluster", "related_employment", "n_strong_related", "n_related"]],
        on=["cbsa", "cluster"],
        how="left",
        validate="one_to_one",
    )
    log.add(
        "measures",
        "missing",
        "related-cluster employment missing (a related cluster's employment is suppressed)",
        rel.info["unknown_related_employment"],
    )
    log.add(
        "measures",
        "recoded",
        "related cluster of unknown strength (suppressed) not counted in n_strong_related",
        rel.info["unknown_strength_pairs"],
    )

    names = county_cbsa.dropna(subset=["cbsa"]).drop_duplicates("cbsa")[
        ["cbsa", "cbsa_name", "cbsa_type"]
    ]
    df = df.merge(names, on="cbsa", how="left", validate="many_to_one")
    log.add(
        "crosswalk",
        "missing",
        "CBSA without a name/type in the county crosswalk",
        df.drop_duplicates("cbsa")["cbsa_name"].isna().sum(),
    )

    # metro patents from county patents
    cc = county_cbsa.dropna(subset=["cbsa"])[["fips", "cbsa"]]
    pat = pat.loc[pat["fips"].ne("ALL")].copy()
    pat["fips"] = pat["fips"].map(lambda f: COUNTY_RECODES.get(f, (f, ""))[0])
    pm = pat.merge(cc, on="fips", how="inner")
    by_year = pm.groupby(["cbsa", "year"])["patents"].sum().unstack("year")
    metro_pat = pd.DataFrame(
        {
            "patents_2000_2015": by_year.sum(axis=1),
            "patents_2011_2015": by_year.loc[:, 2011:2015].sum(axis=1),
        }
    )
    df = df.merge(metro_pat, left_on="cbsa", right_index=True, how="left")
    no_pat = df.drop_duplicates("cbsa")["patents_2000_2015"].isna()
    log.add("patents", "missing", "metro with no county in the USPTO county file", no_pat.sum())

    n_years = pat_msa["year"].nunique()
    for kind in ["subtotal", "blank", "nonmetro", "undetermined", "total"]:
        log.add(
            "patents_msa",
            "dropped",
            f"USPTO metro file row that is not a CBSA ({kind})",
            pat_msa["row_type"].eq(kind).sum() // n_years,
        )
    usp = (
        pat_msa.loc[pat_msa["row_type"].eq("cbsa")]
        .groupby(["cbsa", "title"], as_index=False)
        .agg(patents_uspto_metro=("patents", "sum"))
    )
    mine = metro_pat["patents_2000_2015"].rename("patents_from_counties").reset_index()
    chk = mine.merge(
        usp,
        on="cbsa",
        how="outer",
        indicator=True,
    )
    chk["match"] = (
        chk["_merge"]
        .map(
            {"both": "matched", "left_only": "only_2019_cbsa", "right_only": "only_uspto_2003_area"}
        )
        .astype(str)
    )
    chk = chk.drop(columns="_merge")
    chk["ratio"] = chk["patents_from_counties"] / chk["patents_uspto_metro"]

    cols = [
        "cbsa",
        "cbsa_name",
        "cbsa_type",
        "cluster",
        "employment",
        "establishments",
        "metro_employment",
        "log_metro_employment",
        "cluster_lq",
        "strong",
        "related_employment",
        "n_strong_related",
        "n_related",
        "patents_2000_2015",
        "patents_2011_2015",
    ]
    df = df[cols].sort_values(["cbsa", "cluster"], kind="stable").reset_index(drop=True)
    df = validate(df, METRO_CLUSTER_SCHEMA, "metro x cluster")
    return PanelBuild(
        df, log.frame(), checks=chk.sort_values("cbsa", kind="stable").reset_index(drop=True)
    )
