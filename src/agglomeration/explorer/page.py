"""The self-contained explorer page: the tidy frames as JSON, inlined with the CSS and JavaScript.

The page is one HTML file with no external resource (no network access is needed to open
it): the data are embedded as a JSON block, the style sheet and the vanilla JavaScript in
``static/`` are inlined. Node positions, sizes and colours are computed in Python; the
script draws the SVG and handles interaction only. The output is deterministic: the same
:class:`~agglomeration.explorer.explorer_data.ExplorerData` gives byte-identical HTML.
"""

from __future__ import annotations

import html
import json
import math
import re
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from agglomeration.explorer.explorer_data import ExplorerData
from agglomeration.explorer.frames import MEASURES
from agglomeration.explorer.patent_links import PATENT_SPEC_PREFIX, PATENT_TERM

__all__ = ["PALETTE", "colour_bins", "explorer_payload", "render_explorer_html"]

PALETTE: tuple[str, ...] = ("#fde725", "#5ec962", "#21918c", "#3b528b", "#440154")
"""Node colours (viridis, light = few strong areas, dark = many), one per bin."""

_PLACEHOLDER = re.compile(r"\{\{(TITLE|CSS|JS|DATA)\}\}")


def colour_bins(n_strong: pd.Series, n_bins: int = len(PALETTE)) -> tuple[list[int], list[int]]:
    """Equal-width integer bins of the number of strong areas, and each node's bin.

    Returns
    -------
    edges : list of int
        ``n_bins + 1`` edges; bin ``k`` holds ``edges[k] <= n < edges[k + 1]``.
    bins : list of int
        The bin of each value of ``n_strong``.
    """
    v = pd.to_numeric(n_strong).to_numpy(dtype=float)
    top = float(v.max()) if len(v) else 0.0
    width = max(1, math.ceil((top + 1) / n_bins))
    edges = [k * width for k in range(n_bins + 1)]
    bins = np.minimum(v // width, n_bins - 1).astype(int).tolist()
    return edges, bins


def _num(x: Any) -> int | float | None:
    """Convert to a JSON number: integral floats as int, NaN as null."""
    if x is None or (isinstance(x, float | np.floating) and not np.isfinite(x)):
        return None
    if isinstance(x, bool | np.bool_):
        return int(x)
    f = float(x)
    if f.is_integer() and abs(f) < 2**53:
        return int(f)
    return f


def _registry_text(x: Any) -> str | None:
    """Format a registry value as text that parses back to the same number (shortest repr)."""
    if x is None or (isinstance(x, float | np.floating) and not np.isfinite(x)):
        return None
    if isinstance(x, str):
        return x
    try:
        if pd.isna(x):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(x, int | np.integer):
        return str(int(x))
    f = float(x)
    return str(int(f)) if f.is_integer() and abs(f) < 2**53 else repr(f)


def explorer_payload(data: ExplorerData) -> dict[str, Any]:
    """Build the JSON document the page embeds (lists indexed by row of ``data.nodes``)."""
    nodes = data.nodes.reset_index(drop=True)
    index = {c: i for i, c in enumerate(nodes["cluster"])}
    edges, bins = colour_bins(nodes["n_strong"])
    node_rows = [
        {
            "name": str(r["cluster"]),
            "slug": str(r["slug"]),
            "employment": _num(r["employment"]),
            "n_suppressed": int(r["n_suppressed"]),
            "n_strong": int(r["n_strong"]),
            "x": _num(r["x"]),
            "y": _num(r["y"]),
            "r": _num(r["radius"]),
            "colour": PALETTE[b],
        }
        for r, b in zip(nodes.to_dict("records"), bins, strict=True)
    ]
    lk = data.links
    links: dict[str, list[Any]] = {
        "a": [index[c] for c in lk["cluster_a"]],
        "b": [index[c] for c in lk["cluster_b"]],
    }
    for m in MEASURES:
        links[m] = [_num(v) for v in lk[m]]
        links[f"{m}_pct"] = [_num(v) for v in lk[f"{m}_pct"]]
    strong: dict[str, list[list[Any]]] = {}
    for r in data.portfolios.to_dict("records"):
        strong.setdefault(str(r["cbsa"]), []).append(
            [index[r["cluster"]], _num(r["employment"]), _num(r["cluster_lq"])]
        )
    metros = [
        {
            "cbsa": str(r["cbsa"]),
            "name": str(r["cbsa_name"]),
            "type": str(r["cbsa_type"]),
            "strong": strong.get(str(r["cbsa"]), []),
        }
        for r in data.metros.to_dict("records")
    ]
    top: list[list[dict[str, Any]]] = [[] for _ in index]
    for r in data.top_metros.to_dict("records"):
        top[index[r["cluster"]]].append(
            {
                "cbsa": str(r["cbsa"]),
                "name": str(r["cbsa_name"]),
                "type": str(r["cbsa_type"]),
                "employment": _num(r["employment"]),
                "lq": _num(r["cluster_lq"]),
                "strong": bool(r["strong"]),
            }
        )
    patent: list[list[dict[str, Any]]] = [[] for _ in index]
    fields = ["spec_id", "spec_name", "variance", "estimate", "conf_low", "conf_high",
              "std_error", "p_value", "n_obs", "estimator"]
    for rec in data.patent_links.to_dict("records"):
        patent[index[rec["cluster"]]].append({f: _registry_text(rec.get(f)) for f in fields})
    s = data.settings
    return {
        "measures": [{"key": k, "label": v} for k, v in MEASURES.items()],
        "settings": {
            "measure": s.measure,
            "min_percentile": s.min_percentile,
            "top_n": s.top_n,
            "top_cbsa_types": list(s.top_cbsa_types) if s.top_cbsa_types else None,
        },
        "info": {k: _num(v) for k, v in data.info.items()},
        "legend": {"edges": edges, "colours": list(PALETTE)},
        "patent_convention": {"prefix": PATENT_SPEC_PREFIX, "term": PATENT_TERM},
        "nodes": node_rows,
        "links": links,
        "metros": metros,
        "top": top,
        "patent": patent,
    }


def _static(name: str) -> str:
    return (resources.files("agglomeration.explorer") / "static" / name).read_text("utf-8")


def render_explorer_html(data: ExplorerData, title: str = "Cluster explorer") -> str:
    """Render the explorer as one self-contained HTML document.

    Parameters
    ----------
    data : ExplorerData
        From :func:`~agglomeration.explorer.explorer_data.build_explorer_data`.
    title : str
        Page title.

    Returns
    -------
    str
        The HTML (UTF-8 text, Unix newlines); identical for identical ``data``.
    """
    doc = json.dumps(
        explorer_payload(data), ensure_ascii=True, allow_nan=False, separators=(",", ":")
    )
    # inside <script> the JSON must never contain "<" (e.g. "</script>"): escape it
    doc = doc.replace("<", "\\u003c")
    parts = {
        "TITLE": html.escape(title),
        "CSS": _static("explorer.css"),
        "JS": _static("explorer.js"),
        "DATA": doc,
    }
    return _PLACEHOLDER.sub(lambda m: parts[m.group(1)], _static("template.html"))
