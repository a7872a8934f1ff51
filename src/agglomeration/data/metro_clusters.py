"""Metro (2019 CBSA) x traded cluster table, 2019, with metro patents.

Cluster employment follows the benchmark cluster definitions of Delgado, Porter & Stern (2016):
6-digit NAICS industries are assigned to 51 traded clusters by the US Cluster Mapping crosswalk,
and a metro's cluster employment is the sum of its employment in the cluster's industries.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from agglomeration.data import readers
from agglomeration.data._log import DropLog
from agglomeration.data.county_panel import COUNTY_RECODES, PanelBuild, _sum_strict
from agglomeration.data.schemas import METRO_CLUSTER_SCHEMA, validate

__all__ = ["build_metro_clusters"]


def build_metro_clusters(raw_dir: Path | str) -> PanelBuild:
    """Build the metro x traded-cluster table for 2019.

    Steps, each reported: drop the crosswalk's proprietary non-standard codes; set CBP cells
    with zero employment and positive establishments to missing (suppressed); assign 6-digit
    industries to clusters (local and unassigned industries count toward metro totals only);
    complete the metro x cluster grid with zeros where CBP lists no establishment of the
    cluster; compute the cluster location quotient

    ``LQ_rc = (E_rc / E_r) / (E_c / E)``

    with ``E_r`` the metro's total employment over all 6-digit industries and ``E_c``, ``E``
    totals of disclosed cells over all CBSAs (the benchmark is the CBSA universe, not the whole
    US). A cluster
    with a suppressed industry in a metro is missing. Metro patents sum county patents through
    the county -> CBSA crosswalk and are compared with the USPTO metro file where the (2003
    vintage) area code equals a 2019 CBSA code.

    Parameters
    ----------
    raw_dir : path
        Folder with the raw files.

    Returns
    -------
    PanelBuild
        ``data``: ``cbsa``, ``cbsa_name``, ``cbsa_type``, ``cluster``, ``employment``,
        ``establishments``, ``metro_employment``, ``cluster_lq``, ``patents_2000_2015``,
        ``patents_2011_2015`` (metro-level, repeated on each cluster row).
        ``checks``: one row per 2019 CBSA compared with the USPTO metro file
        (``patents_from_counties``, ``patents_uspto_metro``, ``ratio``) plus unmatched areas.
    """
    log = DropLog("metro_clusters")
    cw = readers.read_cluster_crosswalk(raw_dir)
    cbp = readers.read_cbp_cbsa_naics6(raw_dir)
    county_cbsa = readers.read_county_cbsa(raw_dir)
    pat = readers.read_patents_county(raw_dir)
    pat_msa = readers.read_patents_msa(raw_dir)

    log.add(
        "crosswalk",
        "dropped",
        "proprietary non-standard pseudo-code (emsi_specific_nonstandard)",
        cw["nonstandard"].sum(),
    )
    cw = cw.loc[~cw["nonstandard"]]
    dup = cw["naics"].duplicated(keep=False)
    if dup.any():
        raise readers.RawDataError(
            f"{readers.FILES['cluster_crosswalk']}: {int(dup.sum())} NAICS codes map to more than one "
            "cluster; each code must belong to one cluster."
        )
    traded = cw.loc[cw["traded"], ["naics", "cluster"]]

    sup = cbp["employment"].eq(0) & cbp["establishments"].gt(0)
    log.add(
        "cbp", "missing", "employment 0 with establishments > 0: disclosure suppression", sup.sum()
    )
    cbp.loc[sup, "employment"] = np.nan
    not_in_cw = ~cbp["naics"].isin(cw["naics"])
    log.add(
        "cbp",
        "recoded",
        "6-digit code not in the cluster crosswalk (counts toward metro total only)",
        not_in_cw.sum(),
    )

    metro = cbp.groupby("cbsa", sort=True)["employment"].sum().rename("metro_employment")
    cells = cbp.merge(traded, on="naics", how="inner", validate="many_to_one")
    ce = _sum_strict(cells, ["cbsa", "cluster"], ["employment", "establishments"])
    clusters = sorted(traded["cluster"].unique())
    grid = pd.MultiIndex.from_product([metro.index, clusters], names=["cbsa", "cluster"]).to_frame(
        index=False
    )
    df = grid.merge(ce, on=["cbsa", "cluster"], how="left", validate="one_to_one")
    absent = df["establishments"].isna()
    log.add(
        "cbp",
        "recoded",
        "metro x cluster with no establishment in CBP: employment set to 0",
        absent.sum(),
    )
    df.loc[absent, ["employment", "establishments"]] = 0.0
    log.add(
        "cbp",
        "missing",
        "cluster employment missing (an industry of the cluster is suppressed)",
        df["employment"].isna().sum(),
    )
    df = df.merge(metro, left_on="cbsa", right_index=True, how="left")
    # national (all-CBSA) cluster totals count every disclosed 6-digit cell, including the
    # disclosed parts of metro-clusters that are missing because another part is suppressed
    e_c = df["cluster"].map(cells.groupby("cluster")["employment"].sum())
    e_tot = float(metro.sum())
    df["cluster_lq"] = (df["employment"] / df["metro_employment"]) / (e_c / e_tot)

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
        "cluster_lq",
        "patents_2000_2015",
        "patents_2011_2015",
    ]
    df = df[cols].sort_values(["cbsa", "cluster"], kind="stable").reset_index(drop=True)
    df = validate(df, METRO_CLUSTER_SCHEMA, "metro x cluster")
    return PanelBuild(
        df, log.frame(), checks=chk.sort_values("cbsa", kind="stable").reset_index(drop=True)
    )
