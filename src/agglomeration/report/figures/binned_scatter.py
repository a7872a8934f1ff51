r"""Binned scatter plots with fixed effects partialled out, and the fitted slope.

The binned scatter (Chetverikov, Larsen & Palmer 2016; Cattaneo, Crump, Farrell & Feng 2024,
"On binscatter") shows the conditional mean of :math:`y` given :math:`x` after both are
residualised on the fixed effects and controls
(:func:`~agglomeration.report.figures.partial_out.partial_out`): the residualised :math:`x` is
cut into ``n_bins`` quantile bins with (about) equal numbers of observations (equal total weight
with weights), and each bin is drawn at the (weighted) mean of residualised :math:`x` and
:math:`y`, with the sample means added back so that the axes read in the variables' units. The
line has the slope of the regression of :math:`\tilde y` on :math:`\tilde x`, which by
Frisch-Waugh-Lovell equals the coefficient on :math:`x` in the regression with the fixed
effects and controls, and passes through the means.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from agglomeration.errors import InputError
from agglomeration.report.figures.partial_out import partial_out
from agglomeration.report.figures.style import PALETTE, figure_style, new_figure

__all__ = ["BinnedScatter", "binned_scatter", "binned_scatter_data", "quantile_bins"]


@dataclass(frozen=True)
class BinnedScatter:
    """Data of a binned scatter.

    Attributes
    ----------
    bins : pandas.DataFrame
        One row per bin: ``bin`` (0..n_bins-1), ``n`` (observations), ``weight`` (their total
        weight), ``x``, ``y`` (weighted means of the residualised variables plus the sample
        means: the plotted points), ``x_min``, ``x_max`` (range of ``x`` in the bin, same units).
    slope, intercept : float
        The fitted line ``y = intercept + slope x`` (``slope`` is the FWL coefficient).
    n_obs : int
        Observations used.
    dropped : pandas.DataFrame
        ``reason``, ``n_rows``: rows removed (missing values, singleton groups).
    y, x : str
        Variable names.
    absorb, controls : tuple of str
        What was partialled out.
    """

    bins: pd.DataFrame
    slope: float
    intercept: float
    n_obs: int
    dropped: pd.DataFrame
    y: str
    x: str
    absorb: tuple[str, ...]
    controls: tuple[str, ...]


def quantile_bins(x: np.ndarray, n_bins: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Bin index (0..n_bins-1) of each value: quantile bins of equal count (or total weight).

    Observations are ordered by value (ties by position, a stable sort) and bin ``b`` takes
    those whose cumulative weight before them lies in ``[b W / n_bins, (b + 1) W / n_bins)``.
    With unit weights the bins hold ``floor`` or ``ceil`` of ``n / n_bins`` observations.
    """
    if n_bins < 1:
        raise InputError(f"n_bins must be at least 1, got {n_bins}.")
    w = np.ones(len(x)) if weights is None else np.asarray(weights, dtype=float)
    order = np.argsort(x, kind="stable")
    before = np.concatenate([[0.0], np.cumsum(w[order])[:-1]])
    b = np.floor(before * n_bins / w.sum()).astype(np.int64)
    out = np.empty(len(x), dtype=np.int64)
    out[order] = np.minimum(b, n_bins - 1)
    return out


def binned_scatter_data(
    df: pd.DataFrame,
    y: str,
    x: str,
    absorb: Sequence[str] = (),
    controls: Sequence[str] = (),
    *,
    n_bins: int = 20,
    weights: str | None = None,
) -> BinnedScatter:
    """Compute a binned scatter of ``y`` on ``x`` net of fixed effects and controls.

    Parameters
    ----------
    df : pandas.DataFrame
        Data (e.g. the county x year panel).
    y, x : str
        Outcome and regressor.
    absorb : sequence of str
        Fixed effects (columns or ``"a^b"`` interactions), e.g. ``["state_fips^year"]``.
    controls : sequence of str
        Further regressors partialled out.
    n_bins : int
        Number of quantile bins of residualised ``x``.
    weights : str, optional
        Weights column (weighted regression, bins of equal total weight).

    Returns
    -------
    BinnedScatter
        Bin means, the fitted line and the rows dropped.
    """
    po = partial_out(df, [y, x], absorb, controls, weights)
    ry = po.residuals[y].to_numpy()
    rx = po.residuals[x].to_numpy()
    w = po.weights
    sxx = float(w @ (rx * rx))
    if sxx <= 1e-12 * max(1.0, float(w @ (rx * rx + ry * ry))):
        raise InputError(
            f"{x!r} has no variation left after partialling out {list(absorb) or 'the constant'}"
            f"{' and ' + str(list(controls)) if controls else ''}; nothing to plot."
        )
    slope = float(w @ (rx * ry)) / sxx
    my, mx = float(po.means[y]), float(po.means[x])
    k = quantile_bins(rx, min(n_bins, len(rx)), w)
    g = pd.DataFrame({"bin": k, "w": w, "wx": w * (rx + mx), "wy": w * (ry + my), "x": rx + mx})
    agg = g.groupby("bin", sort=True).agg(
        n=("w", "size"), weight=("w", "sum"), sx=("wx", "sum"), sy=("wy", "sum"),
        x_min=("x", "min"), x_max=("x", "max"),
    )  # fmt: skip
    bins = pd.DataFrame(
        {
            "bin": agg.index.to_numpy(dtype=np.int64),
            "n": agg["n"].to_numpy(dtype=np.int64),
            "weight": agg["weight"].to_numpy(),
            "x": (agg["sx"] / agg["weight"]).to_numpy(),
            "y": (agg["sy"] / agg["weight"]).to_numpy(),
            "x_min": agg["x_min"].to_numpy(),
            "x_max": agg["x_max"].to_numpy(),
        }
    )
    return BinnedScatter(
        bins=bins,
        slope=slope,
        intercept=my - slope * mx,
        n_obs=len(rx),
        dropped=po.dropped,
        y=y,
        x=x,
        absorb=tuple(absorb),
        controls=tuple(controls),
    )


def draw_binned_scatter(
    data: BinnedScatter,
    *,
    xlabel: str | None = None,
    ylabel: str | None = None,
    note: bool = True,
    width: float = 4.5,
    height: float = 3.4,
) -> Figure:
    """Draw a :class:`BinnedScatter`: bin means and the fitted line (slope in the corner)."""
    with figure_style():
        fig = new_figure(width, height)
        ax = fig.add_subplot()
        b = data.bins
        lo, hi = float(b["x"].min()), float(b["x"].max())
        pad = 0.05 * (hi - lo)
        xs = np.array([lo - pad, hi + pad])  # the line spans the bins, not the extreme points
        ax.plot(xs, data.intercept + data.slope * xs, color=PALETTE[1], lw=1.4, zorder=1)
        ax.scatter(b["x"], b["y"], s=22, color=PALETTE[0], zorder=2, edgecolors="white",
                   linewidths=0.5)  # fmt: skip
        ax.set_xlabel(xlabel or data.x)
        ax.set_ylabel(ylabel or data.y)
        if note:
            net = ", ".join([*data.absorb, *data.controls]) or "constant"
            ax.text(
                0.02, 0.97,
                f"slope {data.slope:.3f}\nnet of {net}\n{len(b)} bins, N = {data.n_obs:,}",
                transform=ax.transAxes, va="top", ha="left", fontsize=7.5, color="0.25",
            )  # fmt: skip
    return fig


def binned_scatter(
    df: pd.DataFrame,
    y: str,
    x: str,
    absorb: Sequence[str] = (),
    controls: Sequence[str] = (),
    *,
    n_bins: int = 20,
    weights: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
) -> tuple[Figure, BinnedScatter]:
    """Binned scatter with fixed effects partialled out and the fitted slope.

    See :func:`binned_scatter_data` for the computation; returns the figure and its data.
    """
    data = binned_scatter_data(df, y, x, absorb, controls, n_bins=n_bins, weights=weights)
    return draw_binned_scatter(data, xlabel=xlabel, ylabel=ylabel), data
