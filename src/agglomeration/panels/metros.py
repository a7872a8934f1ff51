"""Metro (2019 CBSA) cross-section: patents and the metro's cluster portfolio in 2019.

One row per CBSA of the metro x cluster panel, for the innovation regressions of the paper
(Delgado, Porter & Stern 2014, 2016; Carlino, Chatterjee & Hunt 2007). Timing: the patents are
grants of 2011-2015 and the cluster portfolio is measured in 2019, after them; the cross-section
says whether metros with strong clusters patent more, not that clusters came first.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from agglomeration.errors import InputError
from agglomeration.geo import weighted_centres
from agglomeration.panels._build import DropLog, PanelBuild
from agglomeration.panels.schemas import METRO_SCHEMA, validate

__all__ = ["build_metros"]


def _related_strong_pairs(
    panel: pd.DataFrame, pairs: pd.DataFrame
) -> pd.Series:
    """Count the related cluster pairs (c, c') with both clusters strong in the metro."""
    strong = panel.loc[panel["strong"].fillna(False).astype(bool), ["cbsa", "cluster"]]
    p = pairs.loc[pairs["cluster"] < pairs["related_cluster"], ["cluster", "related_cluster"]]
    m = strong.merge(p, on="cluster").merge(
        strong.rename(columns={"cluster": "related_cluster"}), on=["cbsa", "related_cluster"]
    )
    return m.groupby("cbsa").size()


def build_metros(
    metro_clusters: pd.DataFrame,
    county: pd.DataFrame,
    pairs: pd.DataFrame,
    *,
    patent_years: tuple[int, int] = (2011, 2015),
    centre_year: int = 2019,
) -> PanelBuild:
    """Build the metro cross-section from the metro x cluster panel and the county panel.

    Columns, per CBSA:

    - ``metro_employment`` and its log: 2019 employment over all 6-digit industries;
    - ``patents``: average yearly utility patents granted in ``patent_years`` (2011-2015) to
      inventors in the CBSA's counties (missing where the USPTO county file lists none of them);
    - ``n_strong``: number of strong traded clusters (DPS 2014: top quartile of the cluster LQ
      across metros), ``n_strong_unknown``: clusters whose strength is unknown (a suppressed
      industry); ``strong_share``: employment in strong clusters / metro employment;
    - ``related_strong_pairs``: pairs of related clusters (the Cluster Mapping flag) that are
      both strong in the metro, the metro-level count of related-cluster strength;
    - ``lat``, ``lon``: the 2019-employment-weighted centre of the CBSA's counties
      (:func:`agglomeration.geo.weighted_centres`).

    Parameters
    ----------
    metro_clusters : pandas.DataFrame
        The metro x cluster panel (:func:`~agglomeration.panels.build_metro_clusters`).
    county : pandas.DataFrame
        The county x year panel (for the centres).
    pairs : pandas.DataFrame
        Related cluster pairs, columns ``cluster``, ``related_cluster``
        (:func:`agglomeration.measures.related_cluster_pairs`).
    patent_years : (int, int)
        First and last grant year averaged (within 2001-2015).
    centre_year : int
        Year of the county employment weighting the centres.
    """
    log = DropLog("metros")
    mc = metro_clusters
    first, last = patent_years
    if not 2000 <= first <= last <= 2015:
        raise InputError(f"patent_years must lie within 2000-2015, got {patent_years!r}.")
    strong = mc["strong"].fillna(False).astype(bool)
    g = mc.assign(
        strong_emp=mc["employment"].where(strong, 0.0),
        is_strong=strong.astype(int),
        unknown=mc["strong"].isna().astype(int),
    ).groupby("cbsa", sort=True)
    out = g.agg(
        cbsa_name=("cbsa_name", "first"),
        cbsa_type=("cbsa_type", "first"),
        metro_employment=("metro_employment", "first"),
        n_strong=("is_strong", "sum"),
        n_strong_unknown=("unknown", "sum"),
        strong_employment=("strong_emp", "sum"),
        patents_total=(f"patents_{first}_{last}", "first"),
    ).reset_index()
    if f"patents_{first}_{last}" not in mc.columns:
        raise InputError(f"the metro panel has no column patents_{first}_{last}.")
    out["patents"] = out["patents_total"] / (last - first + 1)
    out = out.drop(columns="patents_total")
    out["log_metro_employment"] = np.log(out["metro_employment"])
    out["strong_share"] = out["strong_employment"] / out["metro_employment"]
    rel = _related_strong_pairs(mc, pairs)
    out["related_strong_pairs"] = out["cbsa"].map(rel).fillna(0).astype("int64")
    log.add(
        "metro_clusters",
        "kept",
        "metros with a cluster of unknown strength (suppressed industry; counted as not strong)",
        (out["n_strong_unknown"] > 0).sum(),
    )
    log.add(
        "patents", "missing", "metro with no county in the USPTO county file", out["patents"].isna().sum()
    )
    c = county.loc[county["year"].eq(centre_year) & county["cbsa"].notna()]
    c = c.loc[c["employment"].gt(0)]
    centres = weighted_centres(c["lat"], c["lon"], c["employment"], c["cbsa"]).rename(
        columns={"group": "cbsa"}
    )
    out = out.merge(centres[["cbsa", "lat", "lon"]], on="cbsa", how="left", validate="one_to_one")
    no_centre = out["lat"].isna()
    log.add(
        "county",
        "dropped",
        f"CBSA without a county with {centre_year} employment in the county panel (no centre)",
        no_centre.sum(),
    )
    out = out.loc[~no_centre].reset_index(drop=True)
    out = validate(out, METRO_SCHEMA, "metro")
    return PanelBuild(out, log.frame())
