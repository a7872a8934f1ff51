r"""Number formatting, significance stars and escaping for LaTeX, Markdown and HTML.

Labels, captions and notes are written as plain Unicode text (``"State × year FE"``,
``"p<0.10"``, ``"R²"``); each output format escapes them itself, so that one table object gives
correct LaTeX, Markdown and HTML. In LaTeX the characters that the default OT1 font encoding
cannot print (``<``, ``>``, ``|``, ``×``, Greek letters, ...) are set in math mode, so that
``p<0.10`` prints as ``p<0.10`` and not as ``p¡0.10``, with or without ``\usepackage[T1]{fontenc}``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

import numpy as np

__all__ = [
    "DEFAULT_STAR_LEVELS",
    "escape_html",
    "escape_latex",
    "escape_markdown",
    "format_count",
    "format_number",
    "star_legend",
    "stars",
]

DEFAULT_STAR_LEVELS: tuple[float, ...] = (0.10, 0.05, 0.01)
"""p-value thresholds of one, two and three stars."""

_LATEX_ESCAPES = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"$<$",
    ">": r"$>$",
    "|": r"$|$",
    "×": r"$\times$",
    "·": r"$\cdot$",
    "±": r"$\pm$",
    "≤": r"$\leq$",
    "≥": r"$\geq$",
    "≈": r"$\approx$",
    "−": r"$-$",
    "–": "--",
    "—": "---",
    "…": r"\dots{}",
    "‘": "`",
    "’": "'",
    "“": "``",
    "”": "''",
    "²": r"\textsuperscript{2}",
    "³": r"\textsuperscript{3}",
    "\u00a0": "~",
    "α": r"$\alpha$",
    "β": r"$\beta$",
    "γ": r"$\gamma$",
    "δ": r"$\delta$",
    "ε": r"$\varepsilon$",
    "θ": r"$\theta$",
    "λ": r"$\lambda$",
    "μ": r"$\mu$",
    "ρ": r"$\rho$",
    "σ": r"$\sigma$",
    "τ": r"$\tau$",
    "χ": r"$\chi$",
}


def escape_latex(text: object) -> str:
    """Escape plain text for LaTeX text mode (OT1-safe; see the module docstring)."""
    return "".join(_LATEX_ESCAPES.get(ch, ch) for ch in str(text))


def escape_html(text: object) -> str:
    """Escape plain text for HTML element content and attribute values."""
    return html.escape(str(text), quote=True)


_MD_SPECIAL = re.compile(r"([|\\])")


def escape_markdown(text: object) -> str:
    """Escape plain text for a Markdown (GFM) table cell: pipes and backslashes, newlines."""
    return _MD_SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")


def format_number(x: float | None, digits: int = 3) -> str:
    """Format a number with fixed decimals and thousands separators; NaN/None as an empty string.

    Examples
    --------
    >>> format_number(65410.123, 1)
    '65,410.1'
    >>> format_number(float("nan"))
    ''
    """
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return ""
    return f"{x:,.{digits}f}"


def format_count(x: object) -> str:
    """Format a count with thousands separators (``65,410``); missing values as ``""``."""
    try:
        v = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""
    if not np.isfinite(v):
        return ""
    return f"{round(v):,d}"


def stars(p: float, levels: Sequence[float] = DEFAULT_STAR_LEVELS) -> str:
    """Significance stars: one per threshold in ``levels`` that ``p`` lies strictly below.

    With the default levels: ``*`` p < 0.10, ``**`` p < 0.05, ``***`` p < 0.01; a missing
    p-value gets none.
    """
    try:
        pv = float(p)
    except (TypeError, ValueError):
        return ""
    if not np.isfinite(pv):
        return ""
    return "*" * sum(pv < lv for lv in levels)


def star_legend(levels: Sequence[float] = DEFAULT_STAR_LEVELS) -> str:
    """Plain-text legend, e.g. ``"* p<0.10, ** p<0.05, *** p<0.01."``."""
    parts = [f"{'*' * (k + 1)} p<{lv:g}" for k, lv in enumerate(levels)]
    # print two decimals for the usual levels (0.10 rather than 0.1)
    parts = [re.sub(r"p<0\.(\d)$", r"p<0.\g<1>0", s) for s in parts]
    return ", ".join(parts) + "."
