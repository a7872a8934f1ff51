"""The cluster explorer: tidy frames of the cluster network and a self-contained HTML view.

The "Interactive Cluster Network Map" of the project's design: the 51 traded clusters as
nodes linked by relatedness, node size = employment, colour = number of areas where the
cluster is strong, with each cluster's related clusters, top metros by location quotient and
link to patenting, and each metro's strong clusters. The frames are the data; the page
(:func:`render_explorer_html`) is only a view of them.

Typical use (the analysis step ``analysis/explorer.py`` does this)::

    data = build_explorer_data(panel, related, registry)
    html = render_explorer_html(data)
"""

from agglomeration.explorer.explorer_data import (
    ExplorerData,
    ExplorerSettings,
    build_explorer_data,
    cluster_nodes,
)
from agglomeration.explorer.frames import (
    MEASURES,
    check_explorer_inputs,
    cluster_links,
    cluster_totals,
    links_above,
    metro_portfolios,
    metro_summary,
    related_clusters,
    strong_cells,
    top_metros_by_lq,
)
from agglomeration.explorer.layout import cluster_layout, node_radius
from agglomeration.explorer.page import colour_bins, explorer_payload, render_explorer_html
from agglomeration.explorer.patent_links import (
    PATENT_SPEC_PREFIX,
    PATENT_TERM,
    cluster_patent_links,
    cluster_slug,
    patent_spec_name,
)

__all__ = [
    "MEASURES",
    "PATENT_SPEC_PREFIX",
    "PATENT_TERM",
    "ExplorerData",
    "ExplorerSettings",
    "build_explorer_data",
    "check_explorer_inputs",
    "cluster_layout",
    "cluster_links",
    "cluster_nodes",
    "cluster_patent_links",
    "cluster_slug",
    "cluster_totals",
    "colour_bins",
    "explorer_payload",
    "links_above",
    "metro_portfolios",
    "metro_summary",
    "node_radius",
    "patent_spec_name",
    "related_clusters",
    "render_explorer_html",
    "strong_cells",
    "top_metros_by_lq",
]
