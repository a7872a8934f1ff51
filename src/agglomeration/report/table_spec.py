r"""Regression tables declared in TOML: which registry estimates go in which column.

A table spec names, for each column, a specification (``spec_name`` in the registry) and a
variance estimator by its structured fields, so that adding a column is one line of TOML and
no code ever parses a variance label. Example (every key but ``name`` and ``panels`` optional)::

    [table]
    name = "baseline"
    caption = "Employment density and pay, county × year 2001–2021"
    label = "tab:baseline"
    notes = "Outcome: log first-quarter payroll per March employee."
    stars = true                 # or false, or thresholds [0.10, 0.05, 0.01]
    digits = 3                   # decimals of estimates and standard errors
    below = "std_error"          # under each estimate: "std_error" (parentheses) or "conf_int"
    size = "small"               # LaTeX font size of the tabular
    width = "natural"            # or "full": spread across the text width (tabular*)
    max_columns = 8              # a panel with more columns is an error
    wrap = 22                    # LaTeX: break text cells longer than this (characters); 0: never
    terms = [
      {term = "log_density", label = "log employment density"},
      {term = "share_degree", label = "share with a degree", digits = 2},
    ]
    rows = ["fixed_effects", "n_obs", "n_clusters", "r2", "outcome_mean", "variance"]
    variance_within = "year"     # Conley wording: spatial correlation within a year ...
    variance_serial_unit = "county"  # ... plus serial correlation within a county

    [table.fixed_effects]        # registry token -> row label; rows in this order
    "state_fips^year" = "State × year FE"
    fips = "County FE"

    [table.row_labels]           # optional: override the label of a model-level row
    n_clusters = "Clusters"

    [table.row_digits]           # optional: decimals of a model-level row
    outcome_mean = 2

    [table.variance_names]       # reader names of cluster columns in the variance row
    state_fips = "state"
    fips = "county"

    [[table.panels]]
    title = "Panel A: cluster-robust inference"   # optional for a single panel
    groups = [{title = "OLS", span = 2}]           # optional headers over column groups
    columns = [
      {spec = "county_baseline", header = "(1)", variance = {type = "cluster", cluster = "state_fips"}},
      {spec = "county_baseline", header = "(2)", variance = {type = "conley", cutoff_km = 100, lags = 20}},
    ]
    # a panel may override terms and rows of the table

Text (captions, labels, notes) is plain Unicode; each output format escapes it (``×``, ``<``,
``²`` print correctly in LaTeX). Model-level rows are the keys of :data:`MODEL_ROWS` or any other
registry column (shown with its name unless ``row_labels`` gives one).

A column's ``variance`` keys are ``type`` (the registry's ``variance_type``), ``cluster``
(a name or a list; two-way clusters are ``["fips", "year"]``), ``cutoff_km``, ``kernel`` and
``lags`` (``"auto"`` for the Newey-West rule); only the keys given are matched. A column may
instead give ``spec_id`` (12 hex digits), which selects exactly one estimate.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from agglomeration.errors import SpecError
from agglomeration.report.format import DEFAULT_STAR_LEVELS

__all__ = [
    "MODEL_ROWS",
    "ColumnSpec",
    "PanelSpec",
    "TableSpec",
    "TermSpec",
    "VarianceSelector",
    "load_table_spec",
    "parse_table_spec",
]

MODEL_ROWS: dict[str, str] = {
    "fixed_effects": "",
    "n_obs": "Observations",
    "n_clusters": "Clusters",
    "r2": "R²",
    "r2_within": "Within R²",
    "pseudo_r2": "Pseudo R²",
    "outcome_mean": "Mean of outcome",
    "first_stage_f": "First-stage F",
    "effective_f": "Effective F (Montiel Olea–Pflueger)",
    "variance": "Standard errors",
    "estimator": "Estimator",
    "spec_id": "Spec id",
}
"""Model-level rows with a built-in label (``fixed_effects`` expands to one row per effect)."""

_SIZES = ("normalsize", "small", "footnotesize", "scriptsize")
_VARIANCE_KEYS = ("type", "cluster", "cutoff_km", "kernel", "lags")
Below = Literal["std_error", "conf_int"]
Width = Literal["natural", "full"]


@dataclass(frozen=True)
class VarianceSelector:
    """Structured fields that pick one variance estimator among a spec's registry rows.

    ``None`` means "not matched on". ``lags = "auto"`` matches the Newey-West rule (a missing
    ``lags`` in the registry).
    """

    type: str | None = None
    cluster: tuple[str, ...] | None = None
    cutoff_km: float | None = None
    kernel: str | None = None
    lags: int | Literal["auto"] | None = None

    def describe(self) -> str:
        """Short text naming the fields given, for error messages."""
        parts = []
        for k in _VARIANCE_KEYS:
            v = getattr(self, k)
            if v is not None:
                parts.append(f"{k}={'+'.join(v)!r}" if isinstance(v, tuple) else f"{k}={v!r}")
        return "{" + ", ".join(parts) + "}" if parts else "{any}"


@dataclass(frozen=True)
class ColumnSpec:
    """One column: a registry specification and its variance, with the header printed."""

    header: str
    spec: str | None = None
    spec_id: str | None = None
    variance: VarianceSelector = field(default_factory=VarianceSelector)


@dataclass(frozen=True)
class TermSpec:
    """A coefficient row: the registry ``term``, its label and (optionally) its decimals."""

    term: str
    label: str
    digits: int | None = None


@dataclass(frozen=True)
class PanelSpec:
    """A block of rows with its own columns, terms and model-level rows."""

    title: str
    columns: tuple[ColumnSpec, ...]
    terms: tuple[TermSpec, ...]
    rows: tuple[str, ...]
    groups: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class TableSpec:
    """A regression table declared in TOML (see the module docstring for the format)."""

    name: str
    panels: tuple[PanelSpec, ...]
    caption: str = ""
    label: str = ""
    notes: str = ""
    star_levels: tuple[float, ...] = DEFAULT_STAR_LEVELS
    digits: int = 3
    below: Below = "std_error"
    size: str = "normalsize"
    width: Width = "natural"
    max_columns: int = 8
    wrap: int = 22
    fixed_effects: tuple[tuple[str, str], ...] = ()
    row_labels: tuple[tuple[str, str], ...] = ()
    row_digits: tuple[tuple[str, int], ...] = ()
    variance_names: tuple[tuple[str, str], ...] = ()
    variance_within: str | None = None
    variance_serial_unit: str | None = None

    def row_label(self, key: str) -> str:
        """Label of a model-level row: ``row_labels``, else the built-in one, else the key."""
        return dict(self.row_labels).get(key) or MODEL_ROWS.get(key) or key


# -- parsing ---------------------------------------------------------------------------------


def _where(name: str, *path: object) -> str:
    return f"table {name!r}" + "".join(f", {p}" for p in path)


def _str(d: Mapping[str, Any], key: str, where: str, default: str | None = None) -> str:
    v = d.get(key, default)
    if not isinstance(v, str):
        raise SpecError(f"{where}: {key!r} must be a string, got {v!r}.")
    return v


def _int(d: Mapping[str, Any], key: str, where: str, default: int) -> int:
    v = d.get(key, default)
    if isinstance(v, bool) or not isinstance(v, int) or v < 0:
        raise SpecError(f"{where}: {key!r} must be a non-negative integer, got {v!r}.")
    return v


def _str_map(d: Mapping[str, Any], key: str, where: str) -> tuple[tuple[str, str], ...]:
    v = d.get(key, {})
    if not isinstance(v, Mapping) or not all(isinstance(x, str) for x in v.values()):
        raise SpecError(f"{where}: [{key}] must map names to strings, got {v!r}.")
    return tuple((str(k), x) for k, x in v.items())


def _stars(v: Any, where: str) -> tuple[float, ...]:
    if v is True:
        return DEFAULT_STAR_LEVELS
    if v is False:
        return ()
    if isinstance(v, list) and all(isinstance(x, int | float) and 0 < x < 1 for x in v):
        levels = tuple(float(x) for x in v)
        if list(levels) == sorted(levels, reverse=True) and len(set(levels)) == len(levels):
            return levels
    raise SpecError(
        f"{where}: 'stars' must be true, false or decreasing p-value thresholds such as "
        f"[0.10, 0.05, 0.01], got {v!r}."
    )


def _variance(v: Any, where: str) -> VarianceSelector:
    if v is None:
        return VarianceSelector()
    if not isinstance(v, Mapping):
        raise SpecError(
            f"{where}: 'variance' must be a table such as {{type = \"iid\"}}, got {v!r}."
        )
    unknown = sorted(set(v) - set(_VARIANCE_KEYS))
    if unknown:
        raise SpecError(
            f"{where}: variance keys {unknown} are not known; use {list(_VARIANCE_KEYS)}."
        )
    cluster = v.get("cluster")
    if cluster is not None:
        cluster = (cluster,) if isinstance(cluster, str) else tuple(cluster)
        if not cluster or not all(isinstance(c, str) and c for c in cluster):
            raise SpecError(f"{where}: variance 'cluster' must name columns, got {v['cluster']!r}.")
    cutoff = v.get("cutoff_km")
    if cutoff is not None and (isinstance(cutoff, bool) or not isinstance(cutoff, int | float)):
        raise SpecError(f"{where}: variance 'cutoff_km' must be a number, got {cutoff!r}.")
    lags = v.get("lags")
    if (
        lags is not None
        and lags != "auto"
        and (isinstance(lags, bool) or not isinstance(lags, int) or lags < 0)
    ):
        raise SpecError(
            f"{where}: variance 'lags' must be a non-negative integer or \"auto\", got {lags!r}."
        )
    for key in ("type", "kernel"):
        if key in v and not isinstance(v[key], str):
            raise SpecError(f"{where}: variance {key!r} must be a string, got {v[key]!r}.")
    return VarianceSelector(
        type=v.get("type"),
        cluster=cluster,
        cutoff_km=None if cutoff is None else float(cutoff),
        kernel=v.get("kernel"),
        lags=lags,
    )


def _column(c: Any, where: str) -> ColumnSpec:
    if not isinstance(c, Mapping):
        raise SpecError(f"{where}: a column must be a table with 'spec' and 'header', got {c!r}.")
    unknown = sorted(set(c) - {"spec", "spec_id", "header", "variance"})
    if unknown:
        raise SpecError(
            f"{where}: column keys {unknown} are not known; use spec, spec_id, header, variance."
        )
    if ("spec" in c) == ("spec_id" in c):
        raise SpecError(
            f"{where}: give exactly one of 'spec' (a spec name) or 'spec_id', got {dict(c)!r}."
        )
    if "spec_id" in c and "variance" in c:
        raise SpecError(f"{where}: 'spec_id' selects one estimate; drop 'variance'.")
    return ColumnSpec(
        header=_str(c, "header", where),
        spec=_str(c, "spec", where) if "spec" in c else None,
        spec_id=_str(c, "spec_id", where) if "spec_id" in c else None,
        variance=_variance(c.get("variance"), where),
    )


def _terms(v: Any, where: str) -> tuple[TermSpec, ...]:
    if not isinstance(v, list) or not v:
        raise SpecError(f"{where}: 'terms' must be a non-empty list of terms, got {v!r}.")
    out = []
    for t in v:
        if isinstance(t, str):
            out.append(TermSpec(t, t))
            continue
        if not isinstance(t, Mapping) or not isinstance(t.get("term"), str):
            raise SpecError(f"{where}: a term is a name or {{term = ..., label = ...}}, got {t!r}.")
        unknown = sorted(set(t) - {"term", "label", "digits"})
        if unknown:
            raise SpecError(f"{where}: term keys {unknown} are not known; use term, label, digits.")
        digits = _int(t, "digits", where, 0) if "digits" in t else None
        out.append(TermSpec(t["term"], _str(t, "label", where, t["term"]), digits))
    names = [t.term for t in out]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise SpecError(f"{where}: terms {dup} are listed twice.")
    return tuple(out)


def _rows(v: Any, where: str) -> tuple[str, ...]:
    if not isinstance(v, list) or not all(isinstance(r, str) and r for r in v):
        raise SpecError(
            f"{where}: 'rows' must be a list of row keys such as {list(MODEL_ROWS)}, got {v!r}."
        )
    return tuple(v)


def _groups(v: Any, where: str, n_columns: int) -> tuple[tuple[str, int], ...]:
    if v is None:
        return ()
    out = []
    for g in v if isinstance(v, list) else [v]:
        if not (
            isinstance(g, Mapping)
            and isinstance(g.get("title"), str)
            and isinstance(g.get("span"), int)
            and g["span"] > 0
        ):
            raise SpecError(f'{where}: a group is {{title = "...", span = 2}}, got {g!r}.')
        out.append((g["title"], int(g["span"])))
    if sum(s for _, s in out) > n_columns:
        raise SpecError(
            f"{where}: groups span {sum(s for _, s in out)} columns but the panel has {n_columns}."
        )
    return tuple(out)


def parse_table_spec(doc: Mapping[str, Any], source: str = "table spec") -> TableSpec:
    """Build a :class:`TableSpec` from the parsed TOML document (a mapping with ``table``).

    Parameters
    ----------
    doc : mapping
        The document, e.g. ``tomllib.loads(text)``.
    source : str
        Where the document came from, for error messages.

    Raises
    ------
    SpecError
        The declaration is invalid; the message names the table, the panel, the key and the fix.
    """
    t = doc.get("table")
    if not isinstance(t, Mapping):
        raise SpecError(f"{source}: no [table] table; see agglomeration.report.table_spec.")
    name = _str(t, "name", f"{source} [table]", "")
    if not name:
        raise SpecError(f"{source}: [table] needs a 'name'.")
    known = {
        "name", "caption", "label", "notes", "stars", "digits", "below", "size", "width",
        "max_columns", "wrap", "terms", "rows", "fixed_effects", "row_labels", "row_digits",
        "variance_names", "variance_within", "variance_serial_unit", "panels",
    }  # fmt: skip
    unknown = sorted(set(t) - known)
    if unknown:
        raise SpecError(f"{_where(name)}: keys {unknown} are not known; use {sorted(known)}.")
    w = _where(name)
    below = t.get("below", "std_error")
    if below not in ("std_error", "conf_int"):
        raise SpecError(f'{w}: \'below\' must be "std_error" or "conf_int", got {below!r}.')
    width = t.get("width", "natural")
    if width not in ("natural", "full"):
        raise SpecError(f'{w}: \'width\' must be "natural" or "full", got {width!r}.')
    size = t.get("size", "normalsize")
    if size not in _SIZES:
        raise SpecError(f"{w}: 'size' must be one of {list(_SIZES)}, got {size!r}.")
    max_columns = _int(t, "max_columns", w, 8)
    row_digits_raw = t.get("row_digits", {})
    if not isinstance(row_digits_raw, Mapping):
        raise SpecError(f"{w}: [row_digits] must map row keys to integers.")
    row_digits = tuple((str(k), _int(row_digits_raw, k, w, 0)) for k in row_digits_raw)
    table_terms = _terms(t["terms"], w) if "terms" in t else None
    table_rows = _rows(t["rows"], w) if "rows" in t else ()
    fixed_effects = _str_map(t, "fixed_effects", w)
    panels_raw = t.get("panels")
    if not isinstance(panels_raw, list) or not panels_raw:
        raise SpecError(f"{w}: declare at least one [[table.panels]] with 'columns'.")
    panels = []
    for k, p in enumerate(panels_raw):
        pw = _where(name, f"panel {k + 1}")
        if not isinstance(p, Mapping):
            raise SpecError(f"{pw}: must be a table, got {p!r}.")
        unknown = sorted(set(p) - {"title", "columns", "terms", "rows", "groups"})
        if unknown:
            raise SpecError(
                f"{pw}: keys {unknown} are not known; use title, columns, terms, rows, groups."
            )
        cols_raw = p.get("columns")
        if not isinstance(cols_raw, list) or not cols_raw:
            raise SpecError(f"{pw}: 'columns' must be a non-empty list.")
        if len(cols_raw) > max_columns:
            raise SpecError(
                f"{pw}: {len(cols_raw)} columns exceed max_columns = {max_columns}; split the "
                "panel or raise max_columns (and check the table still fits the text width)."
            )
        columns = tuple(_column(c, f"{pw}, column {j + 1}") for j, c in enumerate(cols_raw))
        terms = _terms(p["terms"], pw) if "terms" in p else table_terms
        if terms is None:
            raise SpecError(f"{pw}: no 'terms' (give them in [table] or in the panel).")
        rows = _rows(p["rows"], pw) if "rows" in p else table_rows
        if "fixed_effects" in rows and not fixed_effects:
            raise SpecError(
                f"{pw}: rows include 'fixed_effects' but [table.fixed_effects] declares no "
                'display names; add e.g. "state_fips^year" = "State × year FE".'
            )
        panels.append(
            PanelSpec(
                title=_str(p, "title", pw, ""),
                columns=columns,
                terms=terms,
                rows=rows,
                groups=_groups(p.get("groups"), pw, len(columns)),
            )
        )
    within = t.get("variance_within")
    serial = t.get("variance_serial_unit")
    return TableSpec(
        name=name,
        panels=tuple(panels),
        caption=_str(t, "caption", w, ""),
        label=_str(t, "label", w, ""),
        notes=_str(t, "notes", w, ""),
        star_levels=_stars(t.get("stars", True), w),
        digits=_int(t, "digits", w, 3),
        below=below,
        size=size,
        width=width,
        max_columns=max_columns,
        wrap=_int(t, "wrap", w, 22),
        fixed_effects=fixed_effects,
        row_labels=_str_map(t, "row_labels", w),
        row_digits=row_digits,
        variance_names=_str_map(t, "variance_names", w),
        variance_within=None if within is None else _str(t, "variance_within", w),
        variance_serial_unit=None if serial is None else _str(t, "variance_serial_unit", w),
    )


def load_table_spec(path: str | Path) -> TableSpec:
    """Read a table spec from a TOML file (format: this module's docstring).

    Raises
    ------
    SpecError
        The file cannot be read, is not valid TOML, or declares an invalid table.
    """
    p = Path(path)
    try:
        with p.open("rb") as fh:
            doc = tomllib.load(fh)
    except tomllib.TOMLDecodeError as e:
        raise SpecError(f"{p}: not valid TOML ({e}); fix the syntax at that line.") from None
    except OSError as e:
        raise SpecError(f"{p}: cannot be read ({e.strerror}).") from None
    return parse_table_spec(doc, source=str(p))
