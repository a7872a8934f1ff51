"""Figures of the robustness checks (matplotlib).

The specification curve and its choices, the standard error against the Conley cutoff, and
the permutation placebo.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

__all__ = ["plot_conley_cutoffs", "plot_permutation", "plot_specification_curve"]


def plot_specification_curve(
    curve: pd.DataFrame,
    axes: Sequence[str] | Mapping[str, Sequence[str]],
    *,
    title: str = "",
    null_median: float | None = None,
) -> Figure:
    """Sorted estimates with intervals (top) and the indicator panel of choices (bottom).

    Follows Simonsohn, Simmons & Nelson (2020, Fig. 2): significant estimates are dark, the
    others light; each row of the lower panel is an option of an axis, marked for every
    specification that uses it.

    Parameters
    ----------
    curve : pandas.DataFrame
        From :func:`agglomeration.robustness.curve.specification_curve`.
    axes : sequence of str, or mapping of str to sequence of str
        Axis columns of ``curve`` to show in the indicator panel, top to bottom; a mapping
        also gives the order of each axis's options (e.g. as declared in the grid).
    title : str
        Figure title.
    null_median : float, optional
        Draw the median estimate under the null as a reference line.
    """
    order = (
        {a: list(v) for a, v in axes.items()}
        if isinstance(axes, Mapping)
        else {a: list(pd.unique(curve[a])) for a in axes}
    )
    labels = [(a, str(o)) for a, opts in order.items() for o in opts]
    n_rows = max(len(labels), 1)
    fig = Figure(figsize=(10, 3.5 + 0.18 * n_rows))
    gs = fig.add_gridspec(2, 1, height_ratios=[3.0, 0.25 + 0.18 * n_rows], hspace=0.05)
    top, bottom = fig.add_subplot(gs[0]), fig.add_subplot(gs[1])
    x = curve["rank"].to_numpy()
    sig = curve["significant"].to_numpy(bool)
    for mask, colour in ((~sig, "#9ecae1"), (sig, "#08519c")):
        top.vlines(
            x[mask], curve["conf_low"][mask], curve["conf_high"][mask], colors=colour, lw=0.6
        )
        top.scatter(x[mask], curve["estimate"][mask], s=4, color=colour, zorder=3)
    top.axhline(0.0, color="black", lw=0.6)
    top.axhline(
        float(np.median(curve["estimate"])),
        color="#cb181d",
        lw=0.8,
        ls="--",
        label="median estimate",
    )
    if null_median is not None:
        top.axhline(null_median, color="grey", lw=0.8, ls=":", label="median under the null")
    top.set_ylabel("estimate (95% interval)")
    top.set_xticks([])
    top.legend(loc="upper left", fontsize=7, frameon=False)
    if title:
        top.set_title(title, fontsize=10)
    for row, (a, o) in enumerate(labels):
        hit = (curve[a].astype(str) == o).to_numpy()
        bottom.scatter(
            x[hit],
            np.full(hit.sum(), row),
            marker="|",
            s=12,
            color=np.where(sig[hit], "#08519c", "#9ecae1"),
        )
    bottom.set_yticks(range(len(labels)))
    bottom.set_yticklabels([f"{a}: {o}" for a, o in labels], fontsize=6)
    bottom.set_ylim(len(labels) - 0.5, -0.5)
    bottom.set_xlim(top.get_xlim())
    bottom.set_xlabel("specification (sorted by estimate)")
    fig.subplots_adjust(left=0.22, right=0.98, top=0.94, bottom=0.08)
    return fig


def plot_conley_cutoffs(table: pd.DataFrame, *, title: str = "") -> Figure:
    """Plot the standard error against the Conley cutoff, with the reference variances as lines."""
    fig = Figure(figsize=(6, 3.5))
    ax = fig.add_subplot()
    c = table.loc[table["variance_type"] == "conley"]
    colours = ("#08519c", "#cb181d", "#238b45")
    for (lags, part), colour in zip(c.groupby("lags", sort=True), colours, strict=False):
        n_lags = int(float(lags))  # type: ignore[arg-type]
        label = "Conley, within period" if not n_lags else f"Conley + serial ({n_lags} lags)"
        ax.plot(part["cutoff_km"], part["std_error"], marker="o", ms=3, color=colour, label=label)
    refs = table.loc[table["variance_type"] != "conley"].drop_duplicates("variance")
    for r, ls in zip(refs.itertuples(), ("--", ":", "-."), strict=False):
        ax.axhline(
            float(r.std_error),  # type: ignore[arg-type]
            ls=ls,
            color="grey",
            lw=0.9,
            label=str(r.variance),
        )
    ax.set_xlabel("Conley cutoff (km)")
    ax.set_ylabel("standard error")
    ax.legend(fontsize=7, frameon=False)
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def plot_permutation(draws: pd.Series, observed: float, *, title: str = "") -> Figure:
    """Histogram of the placebo estimates with the real estimate marked."""
    fig = Figure(figsize=(6, 3.5))
    ax = fig.add_subplot()
    ax.hist(draws.dropna(), bins=40, color="#9ecae1", edgecolor="white")
    ax.axvline(observed, color="#cb181d", lw=1.2, label=f"estimate {observed:.4f}")
    ax.set_xlabel("placebo estimate")
    ax.set_ylabel("draws")
    ax.legend(fontsize=7, frameon=False)
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig
