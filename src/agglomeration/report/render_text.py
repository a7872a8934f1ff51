"""Markdown and HTML rendering of a :class:`~agglomeration.report.tables.Table`.

Markdown: one GitHub-flavoured pipe table (caption in bold above, notes below); a panel title is
a bold row, column groups are prefixed to the headers (``OLS (1)``), and panels whose headers
differ from the first repeat theirs as a bold row. Stars are printed as asterisks after the
number (GFM shows an unmatched run of asterisks literally).

HTML: a ``<table class="regression-table">`` with ``<caption>``, a ``<thead>`` (group row and
header row), one ``<tbody>`` per panel (title row, coefficient rows, model rows), the notes in
``<tfoot>``; numeric cells carry ``class="num"`` and stars are ``<sup>``.
"""

from __future__ import annotations

from agglomeration.report.format import escape_html, escape_markdown
from agglomeration.report.tables import Cell, Panel, Row, Table

__all__ = ["render_html", "render_markdown"]


def _md_headers(panel: Panel) -> list[str]:
    heads = list(panel.headers)
    j = 0
    for title, span in panel.groups:
        for k in range(j, j + span):
            heads[k] = f"{title} {heads[k]}"
        j += span
    return heads


def _md_line(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def render_markdown(table: Table) -> str:
    """Render ``table`` as Markdown (see the module docstring)."""
    n = table.n_columns

    def pad(cells: list[str]) -> list[str]:
        return cells + [""] * (n + 1 - len(cells))

    def row(r: Row) -> str:
        return _md_line(
            pad([escape_markdown(r.label)] + [escape_markdown(c.text) + c.stars for c in r.cells])
        )

    first = _md_headers(table.panels[0])
    lines = []
    if table.caption:
        lines += [f"**{escape_markdown(table.caption)}**", ""]
    lines.append(_md_line(pad(["", *(escape_markdown(h) for h in first)])))
    lines.append("|" + "|".join([":---"] + [":---:"] * n) + "|")
    for p in table.panels:
        if p.title:
            lines.append(_md_line(pad([f"**{escape_markdown(p.title)}**"])))
        heads = _md_headers(p)
        if heads != first:
            lines.append(_md_line(pad(["", *(f"**{escape_markdown(h)}**" for h in heads)])))
        lines += [row(r) for r in (*p.coef_rows, *p.model_rows)]
    out = "\n".join(lines) + "\n"
    if table.notes_text:
        out += "\n" + escape_markdown(table.notes_text) + "\n"
    return out


def _td(c: Cell) -> str:
    sup = f"<sup>{escape_html(c.stars)}</sup>" if c.stars else ""
    cls = ' class="num"' if c.numeric else ""
    return f"<td{cls}>{escape_html(c.text)}{sup}</td>"


def _html_header(panel: Panel, n: int) -> list[str]:
    lines = []
    if panel.groups:
        cells = ["<th></th>"]
        used = 0
        for title, span in panel.groups:
            cells.append(f'<th colspan="{span}" scope="colgroup">{escape_html(title)}</th>')
            used += span
        cells += ["<th></th>"] * (n - used)
        lines.append("<tr>" + "".join(cells) + "</tr>")
    heads = [f'<th scope="col">{escape_html(h)}</th>' for h in panel.headers]
    heads += ["<th></th>"] * (n - len(heads))
    lines.append("<tr><th></th>" + "".join(heads) + "</tr>")
    return lines


def render_html(table: Table) -> str:
    """Render ``table`` as an HTML table (see the module docstring)."""
    n = table.n_columns
    ident = f' id="{escape_html(table.label.replace(":", "-"))}"' if table.label else ""
    lines = [f'<table class="regression-table"{ident}>']
    if table.caption:
        lines.append(f"<caption>{escape_html(table.caption)}</caption>")
    if table.shared_header:
        lines += ["<thead>", *_html_header(table.panels[0], n), "</thead>"]
    for p in table.panels:
        lines.append("<tbody>")
        if p.title:
            lines.append(
                f'<tr class="panel-title"><th colspan="{n + 1}" scope="rowgroup">'
                f"{escape_html(p.title)}</th></tr>"
            )
        if not table.shared_header:
            lines += _html_header(p, n)
        for r in (*p.coef_rows, *p.model_rows):
            pad = "<td></td>" * (n - len(r.cells))
            label = f'<th scope="row">{escape_html(r.label)}</th>'
            lines.append(
                f'<tr class="{r.kind}">' + label + "".join(_td(c) for c in r.cells) + pad + "</tr>"
            )
        lines.append("</tbody>")
    if table.notes_text:
        lines.append(
            f'<tfoot><tr><td colspan="{n + 1}">{escape_html(table.notes_text)}</td></tr></tfoot>'
        )
    lines.append("</table>")
    return "\n".join(lines) + "\n"
