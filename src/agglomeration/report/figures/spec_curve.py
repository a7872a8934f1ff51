"""The specification curve: every estimate, ranked, with the choices that produced it.

Simonsohn, Simmons & Nelson (2020, *Nature Human Behaviour*), "Specification curve analysis".

Input contract (what the robustness engine hands over; two tidy frames):

``curve``: one row per specification,

- ``spec_id`` (str, unique);
- ``estimate``, ``conf_low``, ``conf_high`` (float, the interval shown; e.g. 95%);
- ``rank`` (int, optional): position from left, 1 = smallest estimate; computed when absent
  (ascending estimate, ties by ``spec_id``);
- ``highlight`` (bool, optional): specifications drawn in a contrasting colour (e.g. the
  paper's baseline).

``choices``: one row per specification, ``spec_id`` plus one column per choice axis (the axes
of the grid, e.g. ``fixed_effects``, ``sample``, ``variance``, ``controls``), in the order the
axes are drawn top to bottom. A value is the option the specification uses: text or pandas
categorical (options drawn in category order, else sorted), or boolean (drawn as one row,
"axis", marked where True). A missing value means the axis does not apply to that
specification (no mark). Every ``spec_id`` must appear in both frames exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from agglomeration.errors import ColumnMissingError, InputError
from agglomeration.report.figures.style import PALETTE, TEXT_WIDTH_IN, figure_style, new_figure

__all__ = ["SpecCurve", "specification_curve_data", "specification_curve_plot"]


@dataclass(frozen=True)
class SpecCurve:
    """Data of a specification curve.

    Attributes
    ----------
    curve : pandas.DataFrame
        Sorted by ``rank``: ``spec_id``, ``rank``, ``estimate``, ``conf_low``, ``conf_high``,
        ``significant`` (the interval excludes zero), ``highlight``.
    indicators : pandas.DataFrame
        One row per specification and axis that applies: ``spec_id``, ``rank``, ``axis``,
        ``option``, ``row`` (0 = top row of the lower panel).
    rows : pandas.DataFrame
        The lower panel's rows: ``row``, ``axis``, ``option``, ``label``.
    """

    curve: pd.DataFrame
    indicators: pd.DataFrame
    rows: pd.DataFrame


def _options(col: pd.Series) -> list[Any]:
    if isinstance(col.dtype, pd.CategoricalDtype):
        return [c for c in col.cat.categories if (col == c).any()]
    if pd.api.types.is_bool_dtype(col.dtype):
        return [True]
    return sorted({str(v) for v in col.dropna()})


def specification_curve_data(curve: pd.DataFrame, choices: pd.DataFrame) -> SpecCurve:
    """Check the two frames (module docstring) and lay out the curve and the choice matrix."""
    missing = [c for c in ("spec_id", "estimate", "conf_low", "conf_high") if c not in curve]
    if missing:
        raise ColumnMissingError(f"curve frame lacks column(s) {missing}; see the contract.")
    if "spec_id" not in choices.columns:
        raise ColumnMissingError("choices frame lacks column 'spec_id'; see the contract.")
    axes = [c for c in choices.columns if c != "spec_id"]
    if not axes:
        raise InputError("choices frame has no choice columns besides 'spec_id'.")
    for name, f in (("curve", curve), ("choices", choices)):
        dup = f["spec_id"].astype(str).duplicated()
        if dup.any():
            raise InputError(
                f"{name} frame lists spec_id(s) {sorted(f.loc[dup, 'spec_id'].astype(str))[:10]} "
                "more than once."
            )
    a, b = set(curve["spec_id"].astype(str)), set(choices["spec_id"].astype(str))
    if a != b:
        raise InputError(
            f"curve and choices frames disagree: spec_id(s) {sorted(a - b)[:10]} have no "
            f"choices and {sorted(b - a)[:10]} have no estimate."
        )
    c = pd.DataFrame(
        {
            "spec_id": curve["spec_id"].astype(str).to_numpy(),
            **{
                k: pd.to_numeric(curve[k], errors="coerce").to_numpy(dtype=float)
                for k in ("estimate", "conf_low", "conf_high")
            },
        }
    )
    if not np.isfinite(c["estimate"]).all():
        bad = c.loc[~np.isfinite(c["estimate"]), "spec_id"].tolist()
        raise InputError(f"curve frame: spec_id(s) {bad[:10]} have no estimate.")
    if "rank" in curve.columns:
        rank = pd.to_numeric(curve["rank"], errors="coerce").to_numpy()
        if sorted(rank.tolist()) != list(range(1, len(c) + 1)):
            raise InputError(f"curve frame: 'rank' must be a permutation of 1..{len(c)}.")
        c["rank"] = rank.astype(np.int64)
    else:
        order = c.sort_values(["estimate", "spec_id"], kind="stable").index
        c["rank"] = 0
        c.loc[order, "rank"] = np.arange(1, len(c) + 1)
        c["rank"] = c["rank"].astype(np.int64)
    c["significant"] = (c["conf_low"] > 0) | (c["conf_high"] < 0)
    c["highlight"] = (
        curve["highlight"].fillna(False).astype(bool).to_numpy()
        if "highlight" in curve.columns
        else False
    )
    c = c.sort_values("rank", kind="stable").reset_index(drop=True)
    rank_of = dict(zip(c["spec_id"], c["rank"], strict=True))
    ch = choices.assign(spec_id=choices["spec_id"].astype(str))
    rows: list[tuple[int, str, str, str]] = []
    ind: list[tuple[str, int, str, str, int]] = []
    for ax in axes:
        col = ch[ax]
        for opt in _options(col):
            r = len(rows)
            is_bool = pd.api.types.is_bool_dtype(col.dtype)
            rows.append((r, ax, str(opt), ax if is_bool else f"{ax}: {opt}"))
            hit = col.fillna(False).astype(bool) if is_bool else col.astype("string").eq(str(opt))
            for sid in ch.loc[hit.fillna(False).to_numpy(dtype=bool), "spec_id"]:
                ind.append((sid, rank_of[sid], ax, str(opt), r))
    indicators = pd.DataFrame(ind, columns=["spec_id", "rank", "axis", "option", "row"])
    indicators = indicators.sort_values(["row", "rank"], kind="stable").reset_index(drop=True)
    return SpecCurve(
        curve=c[["spec_id", "rank", "estimate", "conf_low", "conf_high", "significant",
                 "highlight"]],
        indicators=indicators,
        rows=pd.DataFrame(rows, columns=["row", "axis", "option", "label"]),
    )  # fmt: skip


def specification_curve_plot(
    curve: pd.DataFrame,
    choices: pd.DataFrame,
    *,
    ylabel: str = "Estimate",
    reference: float | None = 0.0,
    null_median: float | None = None,
    title: str = "",
    width: float = TEXT_WIDTH_IN,
    height: float | None = None,
) -> tuple[Figure, SpecCurve]:
    """Draw the specification curve: ranked estimates above, the choices behind each below.

    Parameters
    ----------
    curve, choices : pandas.DataFrame
        See the module docstring for the contract.
    ylabel : str
        Label of the estimates' axis.
    reference : float or None
        Horizontal reference line in the upper panel.
    null_median : float, optional
        The median estimate under the null (e.g. from the bootstrap of
        :func:`agglomeration.robustness.curve_inference`), drawn as a second reference line.
    title : str
        Title of the upper panel.
    width, height : float
        Size in inches (height default: 2.4 in plus 0.17 in per choice row).

    Returns
    -------
    (Figure, SpecCurve)
        The figure and the data it draws.
    """
    data = specification_curve_data(curve, choices)
    c, ind, rows = data.curve, data.indicators, data.rows
    n = len(c)
    ms = float(np.clip(300.0 / n, 1.0, 4.0))
    with figure_style():
        fig = new_figure(width, height or 2.4 + 0.17 * len(rows))
        top, bottom = fig.subplots(
            2, 1, sharex=True, gridspec_kw={"height_ratios": [2.0, max(1.0, 0.12 * len(rows))]}
        )
        colour = np.where(c["significant"], PALETTE[0], "0.6")
        top.vlines(c["rank"], c["conf_low"], c["conf_high"], colors=colour, lw=max(0.3, ms / 4),
                   alpha=0.5)  # fmt: skip
        top.scatter(c["rank"], c["estimate"], s=ms**2, c=colour, zorder=2, linewidths=0)
        hl = c.loc[c["highlight"]]
        if not hl.empty:
            top.scatter(hl["rank"], hl["estimate"], s=(ms * 2.2) ** 2, facecolors="none",
                        edgecolors=PALETTE[3], linewidths=1.0, zorder=3)  # fmt: skip
        if reference is not None:
            top.axhline(reference, color="0.4", lw=0.8, ls="--", zorder=0)
        top.axhline(float(c["estimate"].median()), color=PALETTE[1], lw=0.8, zorder=0,
                    label="median estimate")  # fmt: skip
        if null_median is not None:
            top.axhline(null_median, color=PALETTE[3], lw=0.8, ls=":", zorder=0,
                        label="median under the null")  # fmt: skip
        top.legend(loc="upper left", frameon=False, fontsize=7)
        if title:
            top.set_title(title)
        top.set_ylabel(ylabel)
        bottom.scatter(ind["rank"], -ind["row"], s=ms**2, color="0.2", marker="s", linewidths=0)
        bottom.set_yticks(-rows["row"].to_numpy(), rows["label"].tolist())
        for r in rows.groupby("axis", sort=False)["row"].max().iloc[:-1]:
            bottom.axhline(-r - 0.5, color="0.85", lw=0.6)
        bottom.set_ylim(-len(rows) + 0.5, 0.5)
        bottom.set_xlim(0.5 - 0.01 * n, n + 0.5 + 0.01 * n)
        bottom.set_xlabel(f"Specification (ranked by estimate; {n:,} in all)")
        bottom.tick_params(axis="y", length=0, labelsize=7)
        bottom.spines["left"].set_visible(False)
    return fig, data
