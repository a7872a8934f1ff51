"""Everything the explorer page shows, as one frozen bundle of tidy frames."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from agglomeration.errors import InputError
from agglomeration.explorer.frames import (
    MEASURES,
    check_explorer_inputs,
    cluster_links,
    cluster_totals,
    metro_portfolios,
    metro_summary,
    strong_cells,
    top_metros_by_lq,
)
from agglomeration.explorer.layout import cluster_layout, node_radius
from agglomeration.explorer.patent_links import cluster_patent_links, cluster_slug

__all__ = ["ExplorerData", "ExplorerSettings", "build_explorer_data", "cluster_nodes"]


@dataclass(frozen=True)
class ExplorerSettings:
    """Choices of the explorer, all recorded in the page.

    Attributes
    ----------
    measure : str
        Relatedness type shown first (``cr_all``, ``cr_io``, ``cr_occ``, ``cr_lc``).
    min_percentile : float
        Initial link threshold: pairs at or above this percentile of the measure are drawn.
    top_n : int
        Areas listed per cluster by location quotient.
    top_cbsa_types : tuple of str or None
        ``cbsa_type`` values eligible for that list (None: all).
    layout_measure, seed : str, int
        The measure weighting the force layout's springs, and its seed
        (:func:`~agglomeration.explorer.layout.cluster_layout`).
    """

    measure: str = "cr_all"
    min_percentile: float = 95.0
    top_n: int = 10
    top_cbsa_types: tuple[str, ...] | None = ("metro",)
    layout_measure: str = "cr_all"
    seed: int = 2019

    def __post_init__(self) -> None:
        for m in (self.measure, self.layout_measure):
            if m not in MEASURES:
                raise InputError(f"unknown relatedness measure {m!r}; use one of {list(MEASURES)}.")
        if not 0.0 <= self.min_percentile <= 100.0:
            raise InputError(f"min_percentile must lie in [0, 100], got {self.min_percentile}.")


@dataclass(frozen=True)
class ExplorerData:
    """The explorer's data: one tidy frame per thing the page shows.

    Attributes
    ----------
    nodes : pandas.DataFrame
        One row per cluster (:func:`cluster_nodes`).
    links : pandas.DataFrame
        One row per pair of clusters with the four relatedness measures and their percentiles
        (:func:`~agglomeration.explorer.frames.cluster_links`).
    metros : pandas.DataFrame
        One row per CBSA (:func:`~agglomeration.explorer.frames.metro_summary`).
    portfolios : pandas.DataFrame
        Strong clusters of each CBSA (:func:`~agglomeration.explorer.frames.metro_portfolios`).
    top_metros : pandas.DataFrame
        Highest location quotients of each cluster
        (:func:`~agglomeration.explorer.frames.top_metros_by_lq`).
    patent_links : pandas.DataFrame
        Registry rows of the per-cluster patent links
        (:func:`~agglomeration.explorer.patent_links.cluster_patent_links`).
    settings : ExplorerSettings
        The choices used.
    info : dict
        Counts the page reports: ``n_metros``, ``n_clusters``, ``n_pairs``,
        ``n_suppressed_cells`` (metro-clusters without employment),
        ``n_strong_cells``, ``n_strong_flag_without_lq`` (cells flagged strong whose LQ is
        missing, not counted), ``n_areas_without_name`` (CBSAs the crosswalk does not name,
        shown by code).
    """

    nodes: pd.DataFrame
    links: pd.DataFrame
    metros: pd.DataFrame
    portfolios: pd.DataFrame
    top_metros: pd.DataFrame
    patent_links: pd.DataFrame
    settings: ExplorerSettings = field(default_factory=ExplorerSettings)
    info: dict[str, Any] = field(default_factory=dict)


def cluster_nodes(
    panel: pd.DataFrame, links: pd.DataFrame, settings: ExplorerSettings | None = None
) -> pd.DataFrame:
    """One row per cluster: size, colour variable and position of its node.

    Returns
    -------
    pandas.DataFrame
        ``cluster``, ``slug`` (:func:`cluster_slug`), ``employment`` (all-CBSA employment,
        :func:`~agglomeration.explorer.frames.cluster_totals`), ``n_suppressed``, ``n_strong``
        (CBSAs where the cluster is strong), ``n_metros``, ``x``, ``y`` (layout), ``radius``
        (area proportional to employment), sorted by cluster.
    """
    s = settings or ExplorerSettings()
    tot = cluster_totals(panel)
    radius = node_radius(tot["employment"])
    pos = cluster_layout(
        links, tot["cluster"].tolist(), radius.tolist(), measure=s.layout_measure, seed=s.seed
    )
    out = tot.merge(pos, on="cluster", how="left", validate="one_to_one")
    out.insert(1, "slug", out["cluster"].map(cluster_slug))
    out["radius"] = radius.to_numpy()
    return out


def build_explorer_data(
    panel: pd.DataFrame,
    related: pd.DataFrame,
    registry: pd.DataFrame,
    settings: ExplorerSettings | None = None,
) -> ExplorerData:
    """Build the explorer's tidy frames from the panel, the relatedness table and the registry.

    Parameters
    ----------
    panel : pandas.DataFrame
        Metro x cluster panel (2019) with the strong-cluster flag.
    related : pandas.DataFrame
        US Cluster Mapping relatedness (``read_related_clusters``).
    registry : pandas.DataFrame
        Estimate registry (``results/estimates.csv``).
    settings : ExplorerSettings, optional
        Defaults if omitted.

    Returns
    -------
    ExplorerData

    Raises
    ------
    DataIntegrityError
        A cluster or a relatedness row is missing (the message names it), or the registry's
        patent-link rows do not match the clusters.
    """
    s = settings or ExplorerSettings()
    clusters = check_explorer_inputs(panel, related)
    links = cluster_links(related)
    nodes = cluster_nodes(panel, links, s)
    lq = pd.to_numeric(panel["cluster_lq"], errors="coerce").to_numpy(dtype=float)
    flagged = panel["strong"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    info = {
        "n_metros": int(panel["cbsa"].nunique()),
        "n_clusters": len(clusters),
        "n_pairs": len(links),
        "n_suppressed_cells": int(nodes["n_suppressed"].sum()),
        "n_strong_cells": int(strong_cells(panel).sum()),
        "n_strong_flag_without_lq": int((flagged & ~np.isfinite(lq)).sum()),
        "n_areas_without_name": int(panel.drop_duplicates("cbsa")["cbsa_name"].isna().sum()),
    }
    return ExplorerData(
        nodes=nodes,
        links=links,
        metros=metro_summary(panel),
        portfolios=metro_portfolios(panel),
        top_metros=top_metros_by_lq(panel, s.top_n, s.top_cbsa_types),
        patent_links=cluster_patent_links(registry, clusters),
        settings=s,
        info=info,
    )
