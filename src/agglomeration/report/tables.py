"""A regression table as data: panels of rows of cells, rendered to LaTeX, Markdown and HTML.

:func:`agglomeration.report.build_table` fills a :class:`Table` from a table spec and the
registry; the three renderers read the same object, so the formats cannot disagree. Cells hold
plain text (formatted numbers, ``Yes``/``No``, counts, descriptions) and, for estimates, their
significance stars separately, so that each format sets them its own way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from agglomeration.report.format import star_legend

__all__ = ["Cell", "Panel", "Row", "Table"]

RowKind = Literal["estimate", "below", "model"]


@dataclass(frozen=True)
class Cell:
    """One cell.

    Attributes
    ----------
    text : str
        Plain text: a formatted number (``"0.074"``, ``"(0.005)"``), a count, ``Yes``/``No`` or
        a description; empty where the column has nothing.
    stars : str
        Significance stars of an estimate (``""``, ``"*"``, ...).
    numeric : bool
        Whether the cell is a decimal number to align on the decimal point.
    """

    text: str = ""
    stars: str = ""
    numeric: bool = False


@dataclass(frozen=True)
class Row:
    """A labelled row of cells, one per column.

    ``kind`` is ``"estimate"`` (a term's coefficient), ``"below"`` (its standard error or
    interval, unlabelled) or ``"model"`` (fixed effects, N, clusters, fit, variance); ``key``
    is the term or the model-row key it shows.
    """

    label: str
    cells: tuple[Cell, ...]
    kind: RowKind
    key: str


@dataclass(frozen=True)
class Panel:
    """A block of the table: a title, column headers, coefficient rows and model rows.

    ``spec_ids`` gives, for each column, the registry ``spec_id`` of the estimate shown, so that
    every number traces to one estimate.
    """

    title: str
    headers: tuple[str, ...]
    groups: tuple[tuple[str, int], ...]
    coef_rows: tuple[Row, ...]
    model_rows: tuple[Row, ...]
    spec_ids: tuple[str, ...]

    @property
    def n_columns(self) -> int:
        """Number of model columns."""
        return len(self.headers)


@dataclass(frozen=True)
class Table:
    """A regression table built from the registry (:func:`agglomeration.report.build_table`).

    Attributes
    ----------
    name, caption, label : str
        Identifier, caption and LaTeX label (empty: none).
    notes : str
        The notes as declared; :attr:`notes_text` appends the star legend.
    panels : tuple of Panel
        The blocks, top to bottom.
    star_levels : tuple of float
        p-value thresholds of the stars (empty: no stars).
    size : str
        LaTeX font size of the tabular (``small``, ...).
    width : {"natural", "full"}
        Natural width, or spread across the text width.
    wrap : int
        LaTeX only: text cells longer than this many characters are broken into lines at
        spaces (0: never).
    """

    name: str
    caption: str
    label: str
    notes: str
    panels: tuple[Panel, ...]
    star_levels: tuple[float, ...]
    size: str = "normalsize"
    width: Literal["natural", "full"] = "natural"
    wrap: int = 22

    @property
    def n_columns(self) -> int:
        """Model columns of the widest panel."""
        return max(p.n_columns for p in self.panels)

    @property
    def shared_header(self) -> bool:
        """Whether every panel has the same column headers and groups (printed once on top)."""
        first = self.panels[0]
        return all(p.headers == first.headers and p.groups == first.groups for p in self.panels)

    @property
    def notes_text(self) -> str:
        """The notes followed by the star legend (when stars are shown)."""
        parts = [self.notes.strip()] if self.notes.strip() else []
        if self.star_levels:
            parts.append(star_legend(self.star_levels))
        return " ".join(parts)

    def to_latex(self, *, float_env: bool = True) -> str:
        """Render as LaTeX (booktabs rules, ``dcolumn`` decimal alignment).

        Parameters
        ----------
        float_env : bool
            Wrap in a ``table`` float with the caption and label (default); ``False`` gives
            the tabular and its notes only, for a float written by hand.

        Notes
        -----
        The document must load ``booktabs``, ``dcolumn`` (and ``graphicx``, used only when
        a table is wider than the text and must be scaled down).
        """
        from agglomeration.report.render_latex import render_latex

        return render_latex(self, float_env=float_env)

    def to_markdown(self) -> str:
        """Render as a GitHub-flavoured Markdown table with the caption above and notes below."""
        from agglomeration.report.render_text import render_markdown

        return render_markdown(self)

    def to_html(self) -> str:
        """Render as an HTML ``<table>`` (caption, header, one ``<tbody>`` per panel, notes)."""
        from agglomeration.report.render_text import render_html

        return render_html(self)
