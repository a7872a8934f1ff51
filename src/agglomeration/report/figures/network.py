"""The network of the 51 traded clusters, linked by relatedness, for the paper (static PDF).

It draws what the cluster explorer computes: node positions and radii from
:func:`agglomeration.explorer.cluster_nodes` (a deterministic force layout, radius with area
proportional to employment) and the links at a relatedness threshold from
:func:`agglomeration.explorer.links_above`; nothing is re-computed here.
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Circle

from agglomeration.errors import ColumnMissingError, InputError
from agglomeration.explorer import links_above
from agglomeration.report.figures.style import figure_style, new_figure

__all__ = ["ClusterNetwork", "cluster_network_plot"]

_NET_BOX = (0.0, 0.0, 0.87, 1.0)
_BAR_BOX = (0.89, 0.3, 0.02, 0.4)
_LABEL_PT = 5.5
_CHAR_EM = 0.6  # average character width of DejaVu Sans, in em (generous)


def _wrap(name: str, width: int = 22) -> str:
    """Break a long name into two lines at the space nearest its middle."""
    if len(name) <= width or " " not in name:
        return name
    spaces = [i for i, ch in enumerate(name) if ch == " "]
    cut = min(spaces, key=lambda i: abs(i - len(name) / 2))
    return name[:cut] + "\n" + name[cut + 1 :]


def _place_labels(
    candidates: list[int],
    names: list[str],
    xs: np.ndarray,
    ys: np.ndarray,
    rs: np.ndarray,
    scale: float,
) -> dict[int, tuple[float, float, str]]:
    """Greedy label placement: below, above, right or left of the node, else no label.

    A label's box (estimated from its characters at :data:`_LABEL_PT`) may not overlap a label
    already placed or any node's circle; candidates are tried in the given order (largest
    employment first). Returns node index -> (x, y, text) of the labels placed.
    """
    placed: list[tuple[float, float, float, float]] = []
    out: dict[int, tuple[float, float, str]] = {}
    for k in candidates:
        text = _wrap(names[k])
        lines = text.split("\n")
        w = max(len(s) for s in lines) * _CHAR_EM * _LABEL_PT / scale
        h = len(lines) * 1.15 * _LABEL_PT / scale
        gap = 2.0 / scale
        r = rs[k]
        spots = [
            (xs[k], ys[k] - r - gap - h / 2),
            (xs[k], ys[k] + r + gap + h / 2),
            (xs[k] + r + gap + w / 2, ys[k]),
            (xs[k] - r - gap - w / 2, ys[k]),
        ]
        for lx, ly in spots:
            box = (lx - w / 2, lx + w / 2, ly - h / 2, ly + h / 2)
            hits_label = any(
                box[0] < b[1] and b[0] < box[1] and box[2] < b[3] and b[2] < box[3] for b in placed
            )
            # distance from each circle centre to the box
            dx = np.maximum(np.maximum(box[0] - xs, 0.0), xs - box[1])
            dy = np.maximum(np.maximum(box[2] - ys, 0.0), ys - box[3])
            hits_node = bool((np.hypot(dx, dy) < rs).any())
            if not hits_label and not hits_node:
                placed.append(box)
                out[k] = (float(lx), float(ly), text)
                break
    return out


@dataclass(frozen=True)
class ClusterNetwork:
    """Data of the cluster network figure.

    Attributes
    ----------
    nodes : pandas.DataFrame
        ``cluster``, ``x``, ``y`` (layout units, y upwards), ``radius`` (layout units),
        ``employment``, ``colour_value``, ``labelled`` (name printed: among the ``n_labels``
        largest and with room for it), sorted by cluster.
    edges : pandas.DataFrame
        The links drawn (:func:`agglomeration.explorer.links_above`): ``cluster_a``,
        ``cluster_b``, ``value``, ``pct``, strongest first.
    measure : str
        Relatedness measure.
    min_percentile : float
        Threshold on the pair percentile.
    """

    nodes: pd.DataFrame
    edges: pd.DataFrame
    measure: str
    min_percentile: float


def cluster_network_plot(
    nodes: pd.DataFrame,
    links: pd.DataFrame,
    *,
    measure: str = "cr_all",
    min_percentile: float = 95.0,
    colour: str = "n_strong",
    colour_label: str = "Metros where the cluster is strong",
    n_labels: int = 20,
    cmap: str = "viridis",
    size: float = 6.5,
) -> tuple[Figure, ClusterNetwork]:
    """Draw the clusters as circles (area = employment) linked by relatedness.

    Parameters
    ----------
    nodes : pandas.DataFrame
        :func:`agglomeration.explorer.cluster_nodes` output: ``cluster``, ``x``, ``y``,
        ``radius``, ``employment`` and the ``colour`` column.
    links : pandas.DataFrame
        :func:`agglomeration.explorer.cluster_links` output (every pair with its percentiles).
    measure : {"cr_all", "cr_io", "cr_occ", "cr_lc"}
        Relatedness measure of the links.
    min_percentile : float
        Links at or above this percentile of the measure are drawn.
    colour : str
        Node column coding the fill colour.
    n_labels : int
        Names are printed for the largest clusters by employment, up to this many, where a
        label fits without covering a node or another label.
    size : float
        Width and height in inches.

    Returns
    -------
    (Figure, ClusterNetwork)
        The figure and the nodes and edges it draws.
    """
    need = ["cluster", "x", "y", "radius", "employment", colour]
    missing = [c for c in need if c not in nodes.columns]
    if missing:
        raise ColumnMissingError(
            f"cluster_network_plot: nodes lack {missing}; pass "
            "agglomeration.explorer.cluster_nodes output."
        )
    edges = links_above(links, measure, min_percentile)
    known = set(nodes["cluster"].astype(str))
    unknown = sorted((set(edges["cluster_a"]) | set(edges["cluster_b"])) - known)
    if unknown:
        raise InputError(
            f"cluster_network_plot: links name clusters {unknown[:5]} that are not nodes."
        )
    nd = nodes[need].copy()
    nd["cluster"] = nd["cluster"].astype(str)
    nd = nd.sort_values("cluster", kind="stable").reset_index(drop=True)
    nd["y"] = -pd.to_numeric(nd["y"])  # the layout's y axis points down (SVG)
    nd = nd.rename(columns={colour: "colour_value"})
    xs, ys = nd["x"].to_numpy(dtype=float), nd["y"].to_numpy(dtype=float)
    rs = nd["radius"].to_numpy(dtype=float)
    pad = float(rs.max()) + 10.0
    x0, x1, y0, y1 = xs.min() - pad, xs.max() + pad, ys.min() - pad, ys.max() + pad
    box_w, box_h = _NET_BOX[2] * size * 72.0, _NET_BOX[3] * size * 72.0
    scale = min(box_w / (x1 - x0), box_h / (y1 - y0))  # points per layout unit
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    xlim = (cx - box_w / scale / 2, cx + box_w / scale / 2)
    ylim = (cy - box_h / scale / 2, cy + box_h / scale / 2)
    order = nd.sort_values(["employment", "cluster"], ascending=[False, True], kind="stable")
    labels = _place_labels(
        order.index[:n_labels].tolist(), nd["cluster"].tolist(), xs, ys, rs, scale
    )
    nd["labelled"] = nd.index.isin(list(labels))
    pos = nd.set_index("cluster")[["x", "y"]]
    v = pd.to_numeric(nd["colour_value"]).to_numpy(dtype=float)
    norm = Normalize(np.nanmin(v), np.nanmax(v))
    cmap_obj = mpl.colormaps[cmap]
    with figure_style():
        fig = new_figure(size, size, layout=None)
        ax = fig.add_axes(_NET_BOX)
        if len(edges):
            seg = np.stack(
                [pos.loc[edges["cluster_a"]].to_numpy(), pos.loc[edges["cluster_b"]].to_numpy()],
                axis=1,
            )
            alpha = 0.25 + 0.6 * (edges["pct"].to_numpy() - min_percentile) / max(
                100.0 - min_percentile, 1e-9
            )
            lc = LineCollection(list(seg), colors=[(0.3, 0.3, 0.3, a) for a in alpha],
                                linewidths=0.7, zorder=1)  # fmt: skip
            ax.add_collection(lc)
        for k in range(len(nd)):
            ax.add_patch(Circle((xs[k], ys[k]), rs[k], facecolor=cmap_obj(norm(v[k])),
                                edgecolor="white", linewidth=0.6, zorder=2))  # fmt: skip
        for lx, ly, text in labels.values():
            ax.text(lx, ly, text, ha="center", va="center", fontsize=_LABEL_PT,
                    color="0.1", zorder=3, linespacing=1.0)  # fmt: skip
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
        ax.set_axis_off()
        sm = mpl.cm.ScalarMappable(norm=norm, cmap=cmap_obj)
        cb = fig.colorbar(sm, cax=fig.add_axes(_BAR_BOX))
        cb.set_label(colour_label)
    return fig, ClusterNetwork(
        nodes=nd, edges=edges, measure=measure, min_percentile=float(min_percentile)
    )
