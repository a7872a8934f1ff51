"""Coefficient plots: one estimate with several variances or specifications, and ring decay.

Both take tidy rows with ``estimate``, ``conf_low`` and ``conf_high`` (registry rows, e.g. from
:func:`agglomeration.report.select_estimates`) and return the figure with the frame it draws.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from agglomeration.errors import ColumnMissingError, InputError
from agglomeration.report.figures.style import PALETTE, TEXT_WIDTH_IN, figure_style, new_figure

__all__ = ["coefficient_plot", "ring_decay_plot"]

_EST = ("estimate", "conf_low", "conf_high")


def _require(frame: pd.DataFrame, cols: list[str], what: str) -> None:
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise ColumnMissingError(
            f"{what}: column(s) {missing} are missing; available: {list(frame.columns)}."
        )
    if frame.empty:
        raise InputError(f"{what}: no rows to draw.")
    vals = frame[list(_EST)].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    if not np.isfinite(vals).all():
        bad = frame.index[~np.isfinite(vals).all(axis=1)].tolist()
        raise InputError(
            f"{what}: rows {bad[:10]} have a missing estimate or interval; drop them or fill them."
        )


def coefficient_plot(
    frame: pd.DataFrame,
    *,
    label: str = "label",
    group: str | None = None,
    reference: float | None = 0.0,
    xlabel: str = "Estimate and 95% confidence interval",
    width: float = TEXT_WIDTH_IN,
    height: float | None = None,
) -> tuple[Figure, pd.DataFrame]:
    """Point estimates with confidence intervals, one row per estimate, top to bottom.

    Use it across variance estimators (one estimate, several intervals: labels from
    :func:`agglomeration.report.describe_variance`) or across the identification ladder
    (state x year FE, + sorting control, IV, within county: labels naming the specification).

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per estimate, in display order: ``label``, ``estimate``, ``conf_low``,
        ``conf_high`` and optionally ``group``.
    label : str
        Column with the row labels.
    group : str, optional
        Column whose values colour the rows (with a legend), e.g. the variance family.
    reference : float or None
        Vertical reference line (``None``: none).
    xlabel : str
        Axis label.
    width, height : float
        Size in inches (height default: 0.3 in per row plus margins).

    Returns
    -------
    (Figure, pandas.DataFrame)
        The figure and the drawn frame: ``position`` (0 = top row), ``label``, ``group`` (or
        empty), ``estimate``, ``conf_low``, ``conf_high``.
    """
    _require(frame, [label, *_EST, *([group] if group else [])], "coefficient_plot")
    n = len(frame)
    data = pd.DataFrame(
        {
            "position": np.arange(n, dtype=np.int64),
            "label": frame[label].astype(str).to_numpy(),
            "group": frame[group].astype(str).to_numpy() if group else np.array([""] * n),
            **{c: pd.to_numeric(frame[c]).to_numpy(dtype=float) for c in _EST},
        }
    )
    groups = list(dict.fromkeys(data["group"]))
    colour = {g: PALETTE[k % len(PALETTE)] for k, g in enumerate(groups)}
    with figure_style():
        fig = new_figure(width, height or 0.8 + 0.3 * n)
        ax = fig.add_subplot()
        y = -data["position"].to_numpy(dtype=float)
        for g in groups:
            m = (data["group"] == g).to_numpy()
            ax.hlines(y[m], data["conf_low"][m], data["conf_high"][m], color=colour[g], lw=1.6)
            ax.plot(data["estimate"][m], y[m], "o", color=colour[g], ms=4.5,
                    label=g if group else None)  # fmt: skip
        if reference is not None:
            ax.axvline(reference, color="0.5", lw=0.8, ls="--", zorder=0)
        ax.set_yticks(y, data["label"].tolist())
        ax.set_ylim(-n + 0.4, 0.6)
        ax.set_xlabel(xlabel)
        ax.spines["left"].set_visible(False)
        ax.tick_params(axis="y", length=0)
        if group:
            handles, names = ax.get_legend_handles_labels()
            fig.legend(handles, names, loc="outside upper center", ncol=min(len(groups), 5),
                       frameon=False, handletextpad=0.3)  # fmt: skip
    return fig, data


def ring_decay_plot(
    frame: pd.DataFrame,
    rings: Mapping[str, tuple[float, float]] | None = None,
    *,
    reference: float | None = 0.0,
    xlabel: str = "Distance ring (km)",
    ylabel: str = "Coefficient on ring density",
    width: float = 4.5,
    height: float = 3.2,
) -> tuple[Figure, pd.DataFrame]:
    """Spatial decay of spillovers: one coefficient per distance ring, drawn over the ring.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per ring with ``estimate``, ``conf_low``, ``conf_high`` and either
        ``ring_low_km`` and ``ring_high_km``, or ``term`` (then ``rings`` maps each term to its
        ring, e.g. ``{"log_density_ring_0_50": (0, 50)}``).
    rings : mapping, optional
        Term -> (inner, outer) radius in km; terms of ``frame`` not in it are an error.
    reference : float or None
        Horizontal reference line.

    Returns
    -------
    (Figure, pandas.DataFrame)
        The drawn frame sorted by ring: ``ring_low_km``, ``ring_high_km``, ``midpoint_km``,
        ``estimate``, ``conf_low``, ``conf_high`` (and ``term`` when given).
    """
    if rings is not None:
        _require(frame, ["term", *_EST], "ring_decay_plot")
        terms = frame["term"].astype(str)
        unknown = sorted(set(terms) - set(rings))
        if unknown:
            raise InputError(
                f"ring_decay_plot: terms {unknown} have no ring; add them to rings as "
                "term = (inner_km, outer_km)."
            )
        low = terms.map(lambda t: float(rings[t][0]))
        high = terms.map(lambda t: float(rings[t][1]))
    else:
        _require(frame, ["ring_low_km", "ring_high_km", *_EST], "ring_decay_plot")
        low = pd.to_numeric(frame["ring_low_km"]).astype(float)
        high = pd.to_numeric(frame["ring_high_km"]).astype(float)
    data = pd.DataFrame(
        {
            "ring_low_km": low.to_numpy(dtype=float),
            "ring_high_km": high.to_numpy(dtype=float),
            **{c: pd.to_numeric(frame[c]).to_numpy(dtype=float) for c in _EST},
        }
    )
    if "term" in frame.columns:
        data.insert(0, "term", frame["term"].astype(str).to_numpy())
    if (data["ring_high_km"] <= data["ring_low_km"]).any() or (data["ring_low_km"] < 0).any():
        raise InputError("ring_decay_plot: every ring needs 0 <= inner < outer radius.")
    data["midpoint_km"] = (data["ring_low_km"] + data["ring_high_km"]) / 2.0
    first = [c for c in ("term", "ring_low_km", "ring_high_km", "midpoint_km") if c in data]
    data = data[first + list(_EST)]
    data = data.sort_values(["ring_low_km", "ring_high_km"], kind="stable").reset_index(drop=True)
    with figure_style():
        fig = new_figure(width, height)
        ax = fig.add_subplot()
        if reference is not None:
            ax.axhline(reference, color="0.5", lw=0.8, ls="--", zorder=0)
        ax.hlines(data["estimate"], data["ring_low_km"], data["ring_high_km"],
                  color=PALETTE[0], lw=1.0, alpha=0.5)  # fmt: skip
        ax.vlines(data["midpoint_km"], data["conf_low"], data["conf_high"], color=PALETTE[0],
                  lw=1.6)  # fmt: skip
        ax.plot(data["midpoint_km"], data["estimate"], "o-", color=PALETTE[0], ms=5, lw=1.0)
        ax.set_xlim(0, float(data["ring_high_km"].max()) * 1.03)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
    return fig, data
