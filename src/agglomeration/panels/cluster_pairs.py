"""Pairs of the 51 traded clusters: coagglomeration across metros and the Marshallian links.

The dyadic data of Ellison, Glaeser & Kerr (2010, "What causes industry agglomeration?",
AER 100(3)): for every unordered pair of clusters, how much the two co-locate across metros
(their coagglomeration index, computed here from CBP 2019) and how strongly they are linked by
each of Marshall's channels, from the US Cluster Mapping relatedness measures of Delgado,
Porter & Stern (2016): input-output links (shared suppliers and customers, ``cr_io``) and
occupational similarity (shared workers, ``cr_occ``). Knowledge flows (shared ideas) are not
measured in these data. The Cluster Mapping's co-location relatedness (``cr_lc``) is itself a
coagglomeration measure: it is kept to compare with the index computed here, never to explain
it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from agglomeration.errors import DataIntegrityError
from agglomeration.measures import coagglomeration
from agglomeration.panels._build import DropLog, PanelBuild

__all__ = ["LINKS", "build_cluster_pairs"]

LINKS: tuple[str, ...] = ("cr_io", "cr_occ", "cr_lc", "cr_all")
"""The Cluster Mapping relatedness measures carried into the pair panel."""


def _zscore(x: pd.Series) -> pd.Series:
    return (x - x.mean()) / x.std(ddof=0)


def build_cluster_pairs(metro_clusters: pd.DataFrame, related: pd.DataFrame) -> PanelBuild:
    """Build the pair panel: one row per unordered pair of traded clusters.

    Columns: ``cluster_a`` < ``cluster_b`` (names), ``coagglomeration`` (EGK 2010 index across
    metros, :func:`agglomeration.measures.coagglomeration`, with metro x cluster cells of
    unknown employment left out), the relatedness measures :data:`LINKS` (the mean of the two
    directions of the Cluster Mapping table, which is not exactly symmetric; the largest
    asymmetry is reported) and their standardised versions ``z_<name>`` (mean 0, standard
    deviation 1 over the pairs, as in EGK's main table, so that coefficients compare channels
    in standard deviations).

    Raises
    ------
    DataIntegrityError
        If a cluster of the panel has no relatedness row, or a pair misses a measure.
    """
    log = DropLog("cluster_pairs")
    mc = metro_clusters[["cbsa", "cluster", "employment"]]
    log.add(
        "metro_clusters",
        "missing",
        "metro x cluster cells of unknown employment left out of the coagglomeration shares",
        mc["employment"].isna().sum(),
    )
    co = coagglomeration(
        mc, region="cbsa", industry="cluster", value="employment", pairs="upper"
    ).table.rename(columns={"cluster_i": "cluster_a", "cluster_j": "cluster_b"})
    rel = related[["cluster_a", "cluster_b", *LINKS]].copy()
    clusters = set(mc["cluster"])
    missing = sorted(clusters - set(rel["cluster_a"]))
    if missing:
        raise DataIntegrityError(
            f"clusters {missing} of the metro panel have no row in the relatedness table."
        )
    # symmetrise: the mean of (a, b) and (b, a)
    swapped = rel.rename(columns={"cluster_a": "cluster_b", "cluster_b": "cluster_a"})
    both = rel.merge(swapped, on=["cluster_a", "cluster_b"], suffixes=("", "_rev"))
    asym = max(float(np.nanmax(np.abs(both[m] - both[f"{m}_rev"]))) for m in LINKS)
    for m in LINKS:
        both[m] = 0.5 * (both[m] + both[f"{m}_rev"])
    sym = both.loc[both["cluster_a"] < both["cluster_b"], ["cluster_a", "cluster_b", *LINKS]]
    out = co.merge(sym, on=["cluster_a", "cluster_b"], how="left", validate="one_to_one")
    bad = out[list(LINKS)].isna().any(axis=1)
    if bad.any():
        ex = out.loc[bad, ["cluster_a", "cluster_b"]].head(3).to_dict("records")
        raise DataIntegrityError(
            f"{int(bad.sum())} cluster pairs have no relatedness measure (e.g. {ex})."
        )
    log.add(
        "relatedness",
        "recoded",
        f"relatedness symmetrised as the mean of both directions (largest asymmetry {asym:.3g})",
        len(out),
    )
    for m in ("coagglomeration", *LINKS):
        out[f"z_{m}"] = _zscore(out[m])
    out = out.sort_values(["cluster_a", "cluster_b"], kind="stable").reset_index(drop=True)
    return PanelBuild(out, log.frame())
