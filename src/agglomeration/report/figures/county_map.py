"""A county map without a shapefile: Gazetteer internal points on an equal-area projection.

Each county is a dot at its internal point (Census Gazetteer ``INTPTLAT``/``INTPTLONG``),
projected with the Albers equal-area conic for the continental US
(:func:`agglomeration.simulate.geography.albers_us_km`), with area proportional to the county's
land area so that the dots tile the map roughly as the counties do, and coloured by a value
(employment density, a location quotient), on a log scale when asked.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.colors import LogNorm, Normalize
from matplotlib.figure import Figure

from agglomeration.errors import ColumnMissingError, InputError
from agglomeration.report.figures.style import TEXT_WIDTH_IN, figure_style, new_figure
from agglomeration.simulate.geography import albers_us_km

__all__ = ["CONTIGUOUS_US", "CountyMap", "county_map", "county_map_data"]

CONTIGUOUS_US = (24.0, 50.0, -125.0, -66.0)
"""Latitude and longitude box (south, north, west, east) of the contiguous United States."""


_MAP_BOX = (0.0, 0.0, 0.86, 1.0)  # axes box (left, bottom, width, height), figure fractions
_BAR_BOX = (0.88, 0.2, 0.02, 0.6)


@dataclass(frozen=True)
class CountyMap:
    """Data of a county map.

    Attributes
    ----------
    points : pandas.DataFrame
        One row per county drawn, in the input order (input index kept): ``x_km``, ``y_km``
        (Albers), ``value``, ``area_km2`` (the size column, or NaN without one) and
        ``marker_area_pt2``, the scatter marker size (squared diameter in points): a dot whose
        area on the page equals the county's land area at the map's scale,
        ``4 / pi * area_km2 * pt_per_km**2``, or a constant without a size column.
    pt_per_km : float
        Map scale (points of page per km), the same on both axes.
    xlim, ylim : tuple of float
        Axis limits in km.
    dropped : pandas.DataFrame
        ``reason``, ``n_rows``: counties not drawn (missing value or coordinates, outside the
        contiguous US, non-positive value on a log scale).
    """

    points: pd.DataFrame
    pt_per_km: float
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    dropped: pd.DataFrame


def county_map_data(
    df: pd.DataFrame,
    value: str,
    lat: str = "lat",
    lon: str = "lon",
    *,
    size: str | None = "land_area_km2",
    log: bool = False,
    contiguous: bool = True,
    width: float = TEXT_WIDTH_IN,
    height: float = 4.0,
    margin: float = 0.02,
) -> CountyMap:
    """Project the counties of ``df`` (one row per county) and size their dots for the page.

    The map fills the axes box of a ``width`` x ``height`` inch figure at the largest scale
    that shows every county with a margin of ``margin`` of the extent, the same scale on both
    axes; dot areas then equal the counties' land areas at that scale.
    """
    cols = [value, lat, lon, *([size] if size else [])]
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ColumnMissingError(
            f"county_map: column(s) {missing} are not in the data; available: {list(df.columns)}."
        )
    num = df[cols].apply(pd.to_numeric, errors="coerce")
    dropped = []
    bad = ~np.isfinite(num.to_numpy(dtype=float)).all(axis=1)
    dropped.append((f"missing {', '.join(cols)}", int(bad.sum())))
    keep = ~bad
    if contiguous:
        s, n, w, e = CONTIGUOUS_US
        inside = (num[lat].between(s, n) & num[lon].between(w, e)).to_numpy()
        dropped.append(
            ("outside the contiguous US (Alaska, Hawaii, territories)", int((keep & ~inside).sum()))
        )
        keep &= inside
    if log:
        nonpos = keep & (num[value] <= 0).to_numpy()
        dropped.append((f"{value} <= 0 on a log scale", int(nonpos.sum())))
        keep &= ~nonpos
    d = num.loc[keep]
    if d.empty:
        raise InputError(f"county_map: no county left to draw (see the reasons: {dropped}).")
    x, y = albers_us_km(d[lat].to_numpy(), d[lon].to_numpy())
    x0, x1, y0, y1 = float(x.min()), float(x.max()), float(y.min()), float(y.max())
    span_x = max(x1 - x0, 1.0) * (1 + 2 * margin)
    span_y = max(y1 - y0, 1.0) * (1 + 2 * margin)
    box_w = _MAP_BOX[2] * width * 72.0
    box_h = _MAP_BOX[3] * height * 72.0
    scale = min(box_w / span_x, box_h / span_y)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    xlim = (cx - box_w / scale / 2, cx + box_w / scale / 2)
    ylim = (cy - box_h / scale / 2, cy + box_h / scale / 2)
    if size:
        area = d[size].clip(lower=0).to_numpy(dtype=float)
        marker = 4.0 / np.pi * area * scale**2
    else:
        area = np.full(len(d), np.nan)
        marker = np.full(len(d), 4.0)
    points = pd.DataFrame(
        {
            "x_km": x,
            "y_km": y,
            "value": d[value].to_numpy(dtype=float),
            "area_km2": area,
            "marker_area_pt2": marker,
        },
        index=d.index,
    )
    return CountyMap(
        points=points,
        pt_per_km=float(scale),
        xlim=xlim,
        ylim=ylim,
        dropped=pd.DataFrame(dropped, columns=["reason", "n_rows"]),
    )


def county_map(
    df: pd.DataFrame,
    value: str,
    lat: str = "lat",
    lon: str = "lon",
    *,
    size: str | None = "land_area_km2",
    log: bool = False,
    contiguous: bool = True,
    label: str | None = None,
    cmap: str = "viridis",
    width: float = TEXT_WIDTH_IN,
    height: float = 4.0,
) -> tuple[Figure, CountyMap]:
    """Map counties as dots coloured by ``value`` (e.g. employment density, log scale).

    Parameters
    ----------
    df : pandas.DataFrame
        One row per county with ``value``, ``lat``, ``lon`` (internal point) and ``size``.
    value : str
        Column coding the colour.
    lat, lon : str
        Coordinates in decimal degrees.
    size : str or None
        Column of land areas (km²) giving each dot the county's area at the map's scale;
        None: equal small dots.
    log : bool
        Logarithmic colour scale (non-positive values are not drawn, and reported).
    contiguous : bool
        Draw the contiguous US only.
    label : str, optional
        Colour bar label (default: ``value``).
    cmap : str
        Matplotlib colour map.
    width, height : float
        Figure size in inches.

    Returns
    -------
    (Figure, CountyMap)
        The figure and its data (projected points, marker sizes, counties not drawn and why).
    """
    data = county_map_data(
        df, value, lat, lon, size=size, log=log, contiguous=contiguous, width=width,
        height=height,
    )  # fmt: skip
    # large counties first, so that small ones are drawn on top
    p = data.points.sort_values("marker_area_pt2", ascending=False, kind="stable")
    v = p["value"].to_numpy()
    norm = LogNorm(v.min(), v.max()) if log else Normalize(v.min(), v.max())
    with figure_style():
        fig = new_figure(width, height, layout=None)
        ax = fig.add_axes(_MAP_BOX)
        sc = ax.scatter(p["x_km"], p["y_km"], s=p["marker_area_pt2"], c=v, cmap=cmap,
                        norm=norm, linewidths=0)  # fmt: skip
        ax.set_xlim(*data.xlim)
        ax.set_ylim(*data.ylim)
        ax.set_axis_off()
        cb = fig.colorbar(sc, cax=fig.add_axes(_BAR_BOX))
        cb.set_label(label or value)
    return fig, data
