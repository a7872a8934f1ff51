"""Regression and summary tables (LaTeX booktabs, Markdown, HTML) and the paper's macros.

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

__all__ = [
    "TableColumn",
    "describe_variance",
    "format_number",
    "make_frame_table",
    "make_macros",
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


def describe_variance(
    row: Mapping[str, object],
    names: Mapping[str, str] | None = None,
    *,
    within: str | None = None,
    serial_unit: str | None = None,
) -> str:
    """Describe a variance estimator for a reader, from its structured registry fields.

    Parameters
    ----------
    row : mapping
        A registry row (or :meth:`agglomeration.estimation.Variance.describe`) with
        ``variance_type``, ``cluster``, ``cutoff_km``, ``kernel``, ``lags``.
    names : mapping, optional
        Reader names of columns, e.g. ``{"fips": "county", "state_fips": "state"}``.
    within, serial_unit : str, optional
        For Conley: the period spatial correlation is confined to, and the unit of the serial
        part (reader names).

    Returns
    -------
    str
        E.g. ``"cluster by state"``, ``"two-way: county and year"``,
        ``"Conley 100 km, within year + serial within county"``.
    """
    nm = dict(names or {})
    vtype = str(row["variance_type"])
    if vtype == "iid":
        return "iid (homoskedastic)"
    if vtype == "hetero":
        return "heteroskedasticity-robust (HC1)"
    if vtype == "cluster":
        cols = [nm.get(c, c) for c in str(row["cluster"]).split("+")]
        return f"cluster by {cols[0]}" if len(cols) == 1 else f"two-way: {' and '.join(cols)}"
    lags = _finite_or_none(row.get("lags"))
    if vtype == "driscoll_kraay":
        return "Driscoll-Kraay (Bartlett, " + (
            f"{int(lags)} lags)" if lags is not None else "Newey-West lags)"
        )
    if vtype == "conley":
        cut = _finite_or_none(row.get("cutoff_km"))
        kernel = "" if row.get("kernel") in (None, "", "uniform") else f", {row['kernel']} kernel"
        text = f"Conley {cut:g} km{kernel}" if cut is not None else "Conley"
        if within:
            text += f", within {within}"
        if lags and serial_unit:
            text += f" + serial within {serial_unit}"
        elif lags:
            text += f" + serial ({int(lags)} lags)"
        return text
    return vtype


def _finite_or_none(x: object) -> float | None:
    try:
        v = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return v if np.isfinite(v) else None


def format_number(x: float, digits: int = 3) -> str:
    """Format a number with fixed decimals and thousands separators; NaN as an empty string."""
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return ""
    return f"{x:,.{digits}f}"


def _stars(p: float) -> str:
    if not np.isfinite(p):
        return ""
    return "***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.1 else ""


_LATEX_ESCAPES = {
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def _escape_latex(text: str) -> str:
    return "".join(_LATEX_ESCAPES.get(ch, ch) for ch in str(text))


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
        esc = _escape_latex
        lines = [
            r"\begin{tabular}{" + align + "}",
            r"\toprule",
            " & ".join(esc(h) for h in header) + r" \\",
            r"\midrule",
        ]
        for k, row in enumerate(body):
            if k in rules:
                lines.append(r"\midrule")
            lines.append(" & ".join(row) + r" \\")
        lines.append(r"\bottomrule")
        lines.append(r"\end{tabular}")
        out = "\n".join(lines)
        if notes:
            out += "\n\\par\\smallskip{\\footnotesize " + esc(notes) + "}"
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
    raise ValueError(f"fmt must be 'latex', 'markdown' or 'html', got {fmt!r}.")


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
        raise ValueError("columns is empty: pass at least one TableColumn.")
    for col in columns:
        missing = {"term", "estimate", "std_error", "p_value"} - set(col.coefs.columns)
        if missing:
            raise ValueError(f"column {col.name!r}: coefs lacks {sorted(missing)}.")
    if terms is None:
        seen: dict[str, None] = {}
        for col in columns:
            for t in col.coefs["term"]:
                seen.setdefault(str(t), None)
        terms = list(seen)
    labels = dict(labels or {})
    esc = _escape_latex if fmt == "latex" else (lambda s: s)
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
            s = _stars(float(r["p_value"]))
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
        raise ValueError(f"columns {unknown} are not in the frame; available: {list(df.columns)}.")
    labels = dict(labels or {})
    esc = _escape_latex if fmt == "latex" else (lambda s: s)
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
    esc = _escape_latex if fmt == "latex" else (lambda s: s)
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


_MACRO_NAME = re.compile(r"^[A-Za-z]+$")


def make_macros(values: Mapping[str, str]) -> str:
    r"""Render ``\newcommand`` definitions, one per number the text quotes, sorted by name.

    Macro names must be letters only (LaTeX control words); values are inserted as given.
    """
    lines = ["% generated by agglomeration.report.make_macros: do not edit"]
    for name in sorted(values):
        if not _MACRO_NAME.match(name):
            raise ValueError(
                f"macro name {name!r} must contain letters only (a LaTeX control word)."
            )
        lines.append(f"\\newcommand{{\\{name}}}{{{values[name]}}}")
    return "\n".join(lines) + "\n"
