r"""LaTeX rendering of a :class:`~agglomeration.report.tables.Table`.

Layout: booktabs rules; estimates and standard errors aligned on the decimal point with
``dcolumn``'s ``D`` columns (``siunitx`` is not part of TeX Live's ``latex-base`` /
``latex-recommended`` collections, ``dcolumn`` is); text cells (headers, ``Yes``/``No``, counts,
variance descriptions) centred with ``\multicolumn``; stars as math superscripts; notes in a
``\footnotesize`` paragraph as wide as the table. The tabular is set in a box first: if it is
wider than the text it is scaled down to ``\linewidth`` with ``\resizebox`` (the last resort;
graphicx is then needed), and the notes take the width of the table as printed.

Required packages: ``booktabs``, ``dcolumn`` (which loads ``array``); ``graphicx`` only for the
scaling fallback.
"""

from __future__ import annotations

import math

from agglomeration.report.format import escape_latex
from agglomeration.report.tables import Cell, Panel, Table

__all__ = ["render_latex"]

# widths in units of a digit (0.5em in Computer Modern): the math minus is 0.78em
_WIDE = {"-": 1.6, "(": 0.8, ")": 0.8, "[": 0.6, "]": 0.6}
_STAR = 0.7  # a superscript asterisk


def _width(text: str) -> float:
    return sum(_WIDE.get(ch, 0.6 if ch == "," else 1.0) for ch in text)


def _dcolumn_spec(cells: list[Cell]) -> str:
    """``D{.}{.}{x.y}`` with room for the widest integer part and decimal part (with stars)."""
    left, right = 1.0, 0.0
    for c in cells:
        if not (c.numeric and c.text):
            continue
        whole, dot, frac = c.text.partition(".")
        left = max(left, _width(whole))
        right = max(right, (_width(frac) if dot else 0.0) + _STAR * len(c.stars))
    return f"D{{.}}{{.}}{{{math.ceil(left)}.{math.ceil(right)}}}"


def _numeric(c: Cell) -> str:
    body = c.text.replace(",", "{,}")
    return body + (f"^{{{c.stars}}}" if c.stars else "")


def _lines(text: str, wrap: int) -> list[str]:
    """Break ``text`` at spaces into lines of at most ``wrap`` characters (a longer word alone)."""
    if wrap <= 0 or len(text) <= wrap:
        return [text]
    out: list[str] = []
    for word in text.split(" "):
        if out and len(out[-1]) + 1 + len(word) <= wrap:
            out[-1] += " " + word
        else:
            out.append(word)
    return out


def _cell(c: Cell, wrap: int) -> str:
    if not c.text:
        return ""
    if c.numeric:
        return _numeric(c)
    star = f"$^{{{c.stars}}}$" if c.stars else ""
    lines = [escape_latex(s) for s in _lines(c.text, wrap)]
    text = (
        lines[0]
        if len(lines) == 1
        else r"\begin{tabular}[t]{@{}c@{}}" + r" \\ ".join(lines) + r"\end{tabular}"
    )
    return rf"\multicolumn{{1}}{{c}}{{{text}{star}}}"


def _row(label: str, cells: tuple[Cell, ...], n: int, wrap: int = 0) -> str:
    parts = [escape_latex(label)] + [_cell(c, wrap) for c in cells] + [""] * (n - len(cells))
    return " & ".join(parts) + r" \\"


def _header_lines(panel: Panel, n: int) -> list[str]:
    lines = []
    if panel.groups:
        parts, rules, col = [""], [], 2
        for title, span in panel.groups:
            parts.append(rf"\multicolumn{{{span}}}{{c}}{{{escape_latex(title)}}}")
            rules.append(rf"\cmidrule(lr){{{col}-{col + span - 1}}}")
            col += span
        if col - 2 < n:
            parts += [""] * (n - (col - 2))
        lines.append(" & ".join(parts) + r" \\")
        lines.append("".join(rules))
    heads = [rf"\multicolumn{{1}}{{c}}{{{escape_latex(h)}}}" for h in panel.headers]
    lines.append(" & ".join(["", *heads] + [""] * (n - len(heads))) + r" \\")
    return lines


def _panel_lines(table: Table, panel: Panel, n: int, first: bool) -> list[str]:
    lines: list[str] = []
    if not first:
        lines.append(r"\midrule")
    if panel.title:
        lines.append(
            rf"\multicolumn{{{n + 1}}}{{@{{}}l}}{{\textit{{{escape_latex(panel.title)}}}}} \\"
        )
    if not table.shared_header:
        lines += _header_lines(panel, n)
        lines.append(rf"\cmidrule(l){{2-{n + 1}}}")
    elif panel.title:
        lines.append(r"\addlinespace[2pt]")
    lines += [_row(r.label, r.cells, n, table.wrap) for r in panel.coef_rows]
    if panel.model_rows:
        lines.append(r"\addlinespace")
        lines += [_row(r.label, r.cells, n, table.wrap) for r in panel.model_rows]
    return lines


def _column_specs(table: Table) -> str:
    n = table.n_columns
    specs = []
    for j in range(n):
        cells = [
            r.cells[j]
            for p in table.panels
            for r in (*p.coef_rows, *p.model_rows)
            if j < len(r.cells)
        ]
        specs.append(_dcolumn_spec(cells))
    return "".join(specs)


def render_latex(table: Table, *, float_env: bool = True) -> str:
    """Render ``table`` as LaTeX (see the module docstring for the layout and packages)."""
    n = table.n_columns
    cols = "@{}l" + _column_specs(table) + "@{}"
    if table.width == "full":
        begin = r"\begin{tabular*}{\linewidth}{@{\extracolsep{\fill}}l" + cols[4:] + "}"
        end = r"\end{tabular*}"
    else:
        begin, end = r"\begin{tabular}{" + cols + "}", r"\end{tabular}"
    body = [begin, r"\toprule"]
    if table.shared_header:
        body += _header_lines(table.panels[0], n)
        body.append(r"\midrule")
    for k, p in enumerate(table.panels):
        body += _panel_lines(table, p, n, first=k == 0)
    body += [r"\bottomrule", end + "%"]
    out = [
        f"% generated by agglomeration.report from table spec {table.name!r}: do not edit",
        r"\ifdefined\AgglTableBox\else\newsavebox{\AgglTableBox}\fi",
        r"\ifdefined\AgglTableWidth\else\newlength{\AgglTableWidth}\fi",
    ]
    if float_env:
        out += [r"\begin{table}[htbp]", r"\centering"]
        if table.caption:
            out.append(rf"\caption{{{escape_latex(table.caption)}}}")
        if table.label:
            out.append(rf"\label{{{table.label}}}")
    out.append(r"\begingroup" + ("" if table.size == "normalsize" else f"\\{table.size}"))
    out.append(r"\sbox{\AgglTableBox}{%")
    out += body
    out.append(r"}%")
    out.append(r"\setlength{\AgglTableWidth}{\wd\AgglTableBox}%")
    out.append(r"\ifdim\AgglTableWidth>\linewidth\setlength{\AgglTableWidth}{\linewidth}%")
    out.append(r"\resizebox{\linewidth}{!}{\usebox{\AgglTableBox}}%")
    out.append(r"\else\usebox{\AgglTableBox}\fi\par")
    notes = table.notes_text
    if notes:
        out.append(r"\smallskip")
        out.append(
            r"\parbox{\AgglTableWidth}{\footnotesize\raggedright " + escape_latex(notes) + "}\\par"
        )
    out.append(r"\endgroup")
    if float_env:
        out.append(r"\end{table}")
    return "\n".join(out) + "\n"
