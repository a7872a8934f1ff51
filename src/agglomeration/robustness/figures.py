"""Figures of the robustness checks (matplotlib).

The specification curve and its choices, the standard error against the Conley cutoff, and
the permutation placebo.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

__all__ = ["plot_conley_cutoffs", "plot_permutation"]


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
