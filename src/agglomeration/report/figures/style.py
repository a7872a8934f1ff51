"""One look for every figure, and deterministic vector files.

Figures are :class:`matplotlib.figure.Figure` objects created without :mod:`matplotlib.pyplot`
(no global state, no interactive backend, nothing to close), drawn inside :func:`figure_style`
(seaborn's ``ticks`` style and ``paper`` context, a colour-blind-safe palette, TrueType fonts
embedded in PDFs) and written by :func:`save_figure`, which removes every date and fixes the
SVG hash salt so that the same figure gives byte-identical files.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import matplotlib as mpl
import seaborn as sns
from cycler import cycler
from matplotlib.figure import Figure
from matplotlib.layout_engine import PlaceHolderLayoutEngine

from agglomeration.errors import InputError

__all__ = ["PALETTE", "TEXT_WIDTH_IN", "figure_style", "new_figure", "save_figure"]

TEXT_WIDTH_IN = 6.5
"""Text width of the paper (US letter, 1-inch margins), in inches: the default figure width."""

PALETTE: tuple[str, ...] = tuple(sns.color_palette("colorblind").as_hex())
"""seaborn's colour-blind-safe palette (blue, orange, green, red, ...)."""

_HASH_SALT = "agglomeration"
_FORMATS = ("pdf", "svg", "png")


def _rc() -> dict[str, Any]:
    rc: dict[str, Any] = {**sns.axes_style("ticks"), **sns.plotting_context("paper")}
    rc.update(
        {
            "font.family": ["sans-serif"],
            "font.sans-serif": ["DejaVu Sans"],  # ships with matplotlib: same glyphs everywhere
            "axes.spines.right": False,
            "axes.spines.top": False,
            "axes.prop_cycle": cycler(color=list(PALETTE)),
            "pdf.fonttype": 42,
            "svg.fonttype": "path",
            "svg.hashsalt": _HASH_SALT,
            "path.simplify": False,
            "figure.dpi": 100,
            "savefig.dpi": 300,
        }
    )
    return rc


@contextmanager
def figure_style() -> Iterator[None]:
    """Context in which figures are drawn with the project's style (rc parameters only)."""
    with mpl.rc_context(_rc()):  # type: ignore[arg-type]
        yield


def new_figure(
    width: float = TEXT_WIDTH_IN,
    height: float = 3.6,
    layout: Literal["constrained"] | None = "constrained",
) -> Figure:
    """Return a ``width`` x ``height`` inch figure, by default with constrained layout."""
    return Figure(figsize=(width, height), layout=layout)


def save_figure(fig: Figure, path: str | Path) -> Path:
    """Write ``fig`` to ``path`` (``.pdf``, ``.svg`` or ``.png``) with no dates in the file.

    The file is written to a temporary file in the same folder (created if needed) and renamed
    into place, so a failure never leaves a half-written figure.

    The same figure gives byte-identical files: PDF creation and modification dates are left
    out, SVG ids use a fixed hash salt and no date, PNG carries no timestamp. A figure with
    constrained layout is laid out once and its layout frozen on the first save (the layout
    engine shifts axes slightly on every draw), so later saves repeat the first.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    InputError
        The suffix is not one of ``.pdf``, ``.svg``, ``.png``.
    """
    p = Path(path)
    fmt = p.suffix.lower().lstrip(".")
    if fmt not in _FORMATS:
        raise InputError(f"cannot save a figure as {p.name!r}: use a .pdf, .svg or .png file.")
    metadata: dict[str, Any] = {
        "pdf": {"CreationDate": None, "ModDate": None},
        "svg": {"Date": None},
        "png": {},
    }[fmt]
    if fig.get_layout_engine() is not None and not isinstance(
        fig.get_layout_engine(), PlaceHolderLayoutEngine
    ):
        # constrained layout moves the axes a little on every draw: lay out once, then freeze
        fig.draw_without_rendering()
        fig.set_layout_engine("none")
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with mpl.rc_context({"svg.hashsalt": _HASH_SALT, "pdf.fonttype": 42}):
            fig.savefig(tmp, format=fmt, metadata=metadata)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)
        os.replace(tmp, p)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return p
