"""Tables from frames built in code: regression columns, summary statistics, any frame.

These are the first-release builders, kept for the analysis steps that call them. A regression
table declared in a TOML file and filled from the registry is
:func:`agglomeration.report.build_table`.

Tables are built from tidy estimate frames (one row per term: ``term``, ``estimate``,
``std_error``, ``p_value``) plus model-level rows (fixed effects, N, clusters, variance), so that
a table shows exactly what the registry holds. Output is deterministic text: the same inputs give
byte-identical files.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from agglomeration.errors import InputError
from agglomeration.report.format import escape_latex, format_number, stars

__all__ = [
    "TableColumn",
    "make_frame_table",
    "make_regression_table",
    "make_summary_table",
]

Format = Literal["latex", "markdown", "html"]


@dataclass(frozen=True)
class TableColumn:
    """One column (model) of a regression table.

    Attributes
    ----------
    name : str
        Column header, e.g. ``"(1)"`` or a short description.
    coefs : DataFrame
        Tidy rows with ``term``, ``estimate``, ``std_error``, ``p_value``.
    stats : mapping
        Model-level rows shown below the coefficients, label -> formatted text (e.g.
        ``{"County FE": "Yes", "N": "65,402"}``). Rows are shown in the order of first appearance
        across columns.
    """

    name: str
    coefs: pd.DataFrame
    stats: Mapping[str, str] = field(default_factory=dict)


def _render(
    header: list[str],
    body: list[list[str]],
    rules: list[int],
    fmt: Format,
    caption: str | None,
    label: str | None,
    notes: str | None,
    align: str,
) -> str:
    if fmt == "latex":
        esc = escape_latex
        lines = [
            r"\ifdefined\AgglTableBox\else\newsavebox{\AgglTableBox}\fi",
            r"\ifdefined\AgglTableWidth\else\newlength{\AgglTableWidth}\fi",
            r"\begingroup\small",
            r"\sbox{\AgglTableBox}{%",
            r"\begin{tabular}{" + align + "}",
            r"\toprule",
            " & ".join(esc(h) for h in header) + r" \\",
            r"\midrule",
        ]
        for k, row in enumerate(body):
            if k in rules:
                lines.append(r"\midrule")
            lines.append(" & ".join(row) + r" \\")
        lines += [
            r"\bottomrule",
            r"\end{tabular}%",
            r"}%",
            # a table wider than the text is scaled down to it (the last resort)
            r"\setlength{\AgglTableWidth}{\wd\AgglTableBox}%",
            r"\ifdim\AgglTableWidth>\linewidth\setlength{\AgglTableWidth}{\linewidth}%",
            r"\resizebox{\linewidth}{!}{\usebox{\AgglTableBox}}%",
            r"\else\usebox{\AgglTableBox}\fi\par",
        ]
        if notes:
            lines += [
                r"\smallskip",
                r"\parbox{\AgglTableWidth}{\footnotesize\raggedright " + esc(notes) + "}\\par",
            ]
        lines.append(r"\endgroup")
        out = "\n".join(lines)
        if caption or label:
            cap = f"\\caption{{{esc(caption or '')}}}" + (f"\\label{{{label}}}" if label else "")
            out = "\\begin{table}[htbp]\\centering\n" + cap + "\n" + out + "\n\\end{table}"
        return out + "\n"
    if fmt == "markdown":

        def clean(s: str) -> str:
            return re.sub(r"\\textsuperscript\{(.*?)\}", r"\1", s).replace(r"\,", "")

        lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * len(header)) + "|"]
        lines += ["| " + " | ".join(clean(c) for c in row) + " |" for row in body]
        out = "\n".join(lines) + "\n"
        if notes:
            out += "\n" + notes + "\n"
        return out
    if fmt == "html":

        def cell(tag: str, s: str) -> str:
            s = re.sub(r"\\textsuperscript\{(.*?)\}", r"<sup>\1</sup>", s)
            return f"<{tag}>{s}</{tag}>"

        rows = ["<tr>" + "".join(cell("th", h) for h in header) + "</tr>"]
        rows += ["<tr>" + "".join(cell("td", c) for c in row) + "</tr>" for row in body]
        out = "<table>\n" + "\n".join(rows) + "\n</table>\n"
        if notes:
            out += f"<p>{notes}</p>\n"
        return out
    raise InputError(f"fmt must be 'latex', 'markdown' or 'html', got {fmt!r}.")


def make_regression_table(
    columns: Sequence[TableColumn],
    terms: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    *,
    digits: int = 3,
    fmt: Format = "latex",
    caption: str | None = None,
    label: str | None = None,
    notes: str | None = None,
) -> str:
    """Render models side by side: coefficient with stars, standard error below, then stats.

    Parameters
    ----------
    columns : sequence of TableColumn
        The models, left to right.
    terms : sequence of str, optional
        Terms to show, in order; default: every term in order of first appearance.
    labels : mapping, optional
        Term -> display label.
    digits : int
        Decimals of coefficients and standard errors.
    fmt : {"latex", "markdown", "html"}
        Output format; LaTeX uses booktabs rules.
    caption, label, notes : str, optional
        Table caption, LaTeX label and a note printed below the table.

    Returns
    -------
    str
        The table. Stars: ``*`` p < 0.10, ``**`` p < 0.05, ``***`` p < 0.01.
    """
    if not columns:
        raise InputError("columns is empty: pass at least one TableColumn.")
    for col in columns:
        missing = {"term", "estimate", "std_error", "p_value"} - set(col.coefs.columns)
        if missing:
            raise InputError(f"column {col.name!r}: coefs lacks {sorted(missing)}.")
    if terms is None:
        seen: dict[str, None] = {}
        for col in columns:
            for t in col.coefs["term"]:
                seen.setdefault(str(t), None)
        terms = list(seen)
    labels = dict(labels or {})
    esc = escape_latex if fmt == "latex" else (lambda s: s)
    body: list[list[str]] = []
    for t in terms:
        est_row, se_row = [esc(labels.get(t, t))], [""]
        for col in columns:
            hit = col.coefs.loc[col.coefs["term"] == t]
            if hit.empty:
                est_row.append("")
                se_row.append("")
                continue
            r = hit.iloc[0]
            s = stars(float(r["p_value"]))
            star = f"\\textsuperscript{{{s}}}" if s else ""
            est_row.append(format_number(float(r["estimate"]), digits) + star)
            se_row.append("(" + format_number(float(r["std_error"]), digits) + ")")
        body += [est_row, se_row]
    stat_labels: dict[str, None] = {}
    for col in columns:
        for k in col.stats:
            stat_labels.setdefault(k, None)
    rules = [len(body)] if stat_labels else []
    for k in stat_labels:
        body.append([esc(k)] + [esc(str(col.stats.get(k, ""))) for col in columns])
    header = [""] + [col.name for col in columns]
    return _render(header, body, rules, fmt, caption, label, notes, "l" + "c" * len(columns))


def make_summary_table(
    df: pd.DataFrame,
    columns: Sequence[str],
    labels: Mapping[str, str] | None = None,
    *,
    digits: int = 2,
    fmt: Format = "latex",
    caption: str | None = None,
    label: str | None = None,
    notes: str | None = None,
) -> str:
    """Summary statistics (N, mean, SD, min, median, max) of ``columns``, one row per variable.

    Missing values are excluded variable by variable; N shows how many remain.
    """
    unknown = [c for c in columns if c not in df.columns]
    if unknown:
        raise InputError(f"columns {unknown} are not in the frame; available: {list(df.columns)}.")
    labels = dict(labels or {})
    esc = escape_latex if fmt == "latex" else (lambda s: s)
    body = []
    for c in columns:
        x = pd.to_numeric(df[c], errors="raise").dropna().to_numpy(dtype=float)
        stats = (
            [len(x), x.mean(), x.std(ddof=1), x.min(), np.median(x), x.max()]
            if len(x)
            else [0] + [np.nan] * 5
        )
        body.append(
            [esc(labels.get(c, c)), f"{int(stats[0]):,}"]
            + [format_number(v, digits) for v in stats[1:]]
        )
    header = ["Variable", "N", "Mean", "SD", "Min", "Median", "Max"]
    return _render(header, body, [], fmt, caption, label, notes, "lrrrrrr")


def make_frame_table(
    df: pd.DataFrame,
    *,
    digits: int | Mapping[str, int] = 3,
    fmt: Format = "latex",
    align: str | None = None,
    notes: str | None = None,
    caption: str | None = None,
    label: str | None = None,
) -> str:
    """Render a DataFrame as a table, one row per row, columns as headers.

    Numeric cells are formatted with ``digits`` decimals (a mapping gives per-column digits;
    integer columns print without decimals); text cells are escaped for LaTeX.
    """
    esc = escape_latex if fmt == "latex" else (lambda s: s)
    body: list[list[str]] = []
    for _, row in df.iterrows():
        cells = []
        for col in df.columns:
            v = row[col]
            if isinstance(v, bool | np.bool_) or not isinstance(
                v, int | float | np.integer | np.floating
            ):
                missing = v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))
                cells.append(esc("" if missing else str(v)))
            elif isinstance(v, int | np.integer):
                cells.append(f"{int(v):,}")
            else:
                d = digits.get(str(col), 3) if isinstance(digits, Mapping) else digits
                cells.append(format_number(float(v), d))
        body.append(cells)
    header = [str(c) for c in df.columns]
    al = align or ("l" + "r" * (len(header) - 1))
    return _render(header, body, [], fmt, caption, label, notes, al)
