"""Deterministic node positions for the cluster network (computed once, embedded in the page).

Three steps, each deterministic:

1. the Fruchterman-Reingold force layout of :func:`networkx.spring_layout`, started from
   positions drawn with the given seed, on the complete graph of clusters whose springs are
   weighted by how related each pair is, ``w_ab = (pct_ab / 100) ** power`` with ``pct_ab``
   the pair's percentile on the layout measure (so the most related pairs pull hardest);
2. a radial spread ``rho -> rho ** spread`` about the centre (``spread < 1`` opens up the
   dense core of service clusters without changing any node's direction);
3. rescaling each axis into the drawing box and pushing overlapping circles apart (a fixed number of
   passes over the pairs in a fixed order).

Positions are rounded to 0.1 (SVG user units) so that the same inputs give byte-identical pages.
"""

from __future__ import annotations

from collections.abc import Sequence

import networkx as nx
import numpy as np
import pandas as pd

from agglomeration.errors import InputError

__all__ = ["cluster_layout", "node_radius"]


def node_radius(employment: pd.Series, r_min: float = 7.0, r_max: float = 34.0) -> pd.Series:
    """Node radius with area proportional to employment: ``r_min + (r_max - r_min) sqrt(E / max E)``.

    Rounded to 0.01; a cluster with no employment gets ``r_min``.
    """
    e = pd.to_numeric(employment).clip(lower=0).fillna(0.0)
    top = float(e.max())
    share = np.sqrt(e / top) if top > 0 else e * 0.0
    return (r_min + (r_max - r_min) * share).round(2)


def _separate(
    xy: np.ndarray, radius: np.ndarray, pad: float, lo: float, hi: float, passes: int = 200
) -> np.ndarray:
    """Push overlapping circles apart (each pair by half the overlap), then clip to the box."""
    xy = xy.copy()
    n = len(xy)
    for _ in range(passes):
        moved = False
        for i in range(n):
            d = xy[i + 1 :] - xy[i]
            dist = np.hypot(d[:, 0], d[:, 1])
            need = radius[i] + radius[i + 1 :] + pad
            over = np.flatnonzero(dist < need)
            for j in over:
                k = i + 1 + j
                # coincident centres are separated along a fixed direction
                u = d[j] / dist[j] if dist[j] > 1e-9 else np.array([1.0, 0.0])
                shift = 0.5 * (need[j] - dist[j]) * u
                xy[i] -= shift
                xy[k] += shift
                moved = True
        xy[:, 0] = np.clip(xy[:, 0], lo + radius, hi - radius)
        xy[:, 1] = np.clip(xy[:, 1], lo + radius, hi - radius)
        if not moved:
            break
    return xy


def cluster_layout(
    links: pd.DataFrame,
    clusters: Sequence[str],
    radius: Sequence[float] | None = None,
    *,
    measure: str = "cr_all",
    power: float = 3.0,
    k: float = 0.3,
    spread: float = 0.5,
    seed: int = 2019,
    size: float = 1000.0,
    margin: float = 20.0,
    pad: float = 6.0,
    iterations: int = 500,
) -> pd.DataFrame:
    """Place the clusters so that related clusters sit close together without overlapping.

    Parameters
    ----------
    links : pandas.DataFrame
        :func:`agglomeration.explorer.cluster_links` output (every pair, with ``<measure>_pct``).
    clusters : sequence of str
        The nodes.
    radius : sequence of float, optional
        Node radii in drawing units (same order as ``clusters``); circles are kept apart by
        ``pad``. Without radii, nodes are treated as points.
    measure : str
        Relatedness measure whose percentile weights the springs.
    power : float
        Spring weight ``(pct / 100) ** power``.
    k : float
        Optimal distance between nodes of :func:`networkx.spring_layout`.
    spread : float
        Exponent of the radial spread, in ``(0, 1]`` (1 = none).
    seed : int
        Seed of the initial positions.
    size, margin : float
        Positions lie in ``[margin, size - margin]`` on both axes (SVG user units).
    pad : float
        Minimum gap between circles.
    iterations : int
        Force-layout iterations.

    Returns
    -------
    pandas.DataFrame
        ``cluster``, ``x``, ``y`` (rounded to 0.1), in the order of ``clusters``.
    """
    if not 0.0 < spread <= 1.0:
        raise InputError(f"spread must lie in (0, 1], got {spread}.")
    nodes = [str(c) for c in clusters]
    r = np.zeros(len(nodes)) if radius is None else np.asarray(radius, dtype=float)
    if len(r) != len(nodes):
        raise InputError(f"radius has {len(r)} values for {len(nodes)} clusters.")
    g = nx.Graph()
    g.add_nodes_from(nodes)
    known = set(nodes)
    pct = links[f"{measure}_pct"].to_numpy(dtype=float)
    for a, b, p in zip(
        links["cluster_a"].astype(str), links["cluster_b"].astype(str), pct, strict=True
    ):
        if a in known and b in known:
            g.add_edge(a, b, weight=float((p / 100.0) ** power))
    pos = nx.spring_layout(g, seed=seed, iterations=iterations, weight="weight", k=k)
    xy = np.array([pos[n] for n in nodes], dtype=float)
    xy -= xy.mean(axis=0)
    rho = np.hypot(xy[:, 0], xy[:, 1])
    top = float(rho.max()) or 1.0
    scale = np.where(rho > 0, (rho / top) ** spread / np.where(rho > 0, rho, 1.0), 0.0)
    xy = xy * scale[:, None]
    # fill the box: each axis scaled to [-1, 1] (directions change a little, neighbours stay)
    xy = xy / np.maximum(np.abs(xy).max(axis=0), 1e-12)
    half = size / 2.0 - margin - float(r.max(initial=0.0))
    xy = size / 2.0 + xy * half
    xy = _separate(xy, r, pad, margin, size - margin)
    return pd.DataFrame({"cluster": nodes, "x": np.round(xy[:, 0], 1), "y": np.round(xy[:, 1], 1)})
