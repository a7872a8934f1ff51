"""Find the registry rows of one table column, by spec name and structured variance fields.

The registry (``results/estimates.csv``, :data:`agglomeration.estimation.REGISTRY_COLUMNS`)
holds one row per specification x term; a specification estimated with several variance
estimators has one ``spec_id`` per variance, with the same ``spec_name``. A column is matched
on ``spec_name`` and on the fields of its :class:`~agglomeration.report.table_spec.VarianceSelector`
(``variance_type``, ``cluster``, ``cutoff_km``, ``kernel``, ``lags``), never on the label.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from agglomeration.errors import ColumnMissingError, InputError, SpecError
from agglomeration.report.table_spec import ColumnSpec, VarianceSelector

__all__ = ["ESTIMATE_COLUMNS", "check_registry", "select_column_rows", "select_estimates"]

ESTIMATE_COLUMNS: tuple[str, ...] = (
    "spec_id",
    "spec_name",
    "term",
    "estimate",
    "std_error",
    "p_value",
)
"""Registry columns every table needs."""

_FIELD_COLUMN = {
    "type": "variance_type",
    "cluster": "cluster",
    "cutoff_km": "cutoff_km",
    "kernel": "kernel",
    "lags": "lags",
}


def check_registry(registry: pd.DataFrame, extra: Sequence[str] = ()) -> None:
    """Raise :class:`ColumnMissingError` if the registry lacks a column a table needs."""
    missing = [c for c in (*ESTIMATE_COLUMNS, *extra) if c not in registry.columns]
    if missing:
        raise ColumnMissingError(
            f"the results lack column(s) {missing} that tables need; available: "
            f"{list(registry.columns)}. Pass the registry written by the estimate step."
        )


def _text(s: pd.Series) -> pd.Series:
    return s.astype("string").fillna("").astype(str)


def _matches(rows: pd.DataFrame, sel: VarianceSelector) -> pd.Series:
    keep = pd.Series(True, index=rows.index)
    for key, col in _FIELD_COLUMN.items():
        want = getattr(sel, key)
        if want is None:
            continue
        if col not in rows.columns:
            raise ColumnMissingError(
                f"the results have no column {col!r}, which the variance field {key!r} selects on."
            )
        if key == "cluster":
            keep &= _text(rows[col]).eq("+".join(want))
        elif key in ("type", "kernel"):
            keep &= _text(rows[col]).eq(str(want))
        else:
            num = pd.to_numeric(rows[col], errors="coerce").to_numpy(dtype=float)
            if want == "auto":
                keep &= np.isnan(num)
            else:
                keep &= np.abs(num - float(want)) < 1e-9
    return keep


def _field_text(v: object) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def _variances_text(rows: pd.DataFrame) -> str:
    cols = [c for c in ("variance_type", "cluster", "cutoff_km", "kernel", "lags") if c in rows]
    seen: list[str] = []
    for _, r in rows.drop_duplicates("spec_id").iterrows():
        fields = ", ".join(
            f"{c}={_field_text(r[c])}" for c in cols if not (pd.isna(r[c]) or str(r[c]) == "")
        )
        label = r["variance"] if "variance" in rows and not pd.isna(r["variance"]) else ""
        seen.append(f"{r['spec_id']} ({f'{label}: ' if label else ''}{fields})")
    return "; ".join(seen)


def select_column_rows(registry: pd.DataFrame, column: ColumnSpec, where: str) -> pd.DataFrame:
    """Return the registry rows (one per term) of the single estimate a column asks for.

    Parameters
    ----------
    registry : pandas.DataFrame
        The registry (tidy results with spec ids and structured variance fields).
    column : ColumnSpec
        The column: ``spec`` (a ``spec_name``) and ``variance`` fields, or a ``spec_id``.
    where : str
        The column's place in the table, for messages.

    Raises
    ------
    SpecError
        The spec (or spec id) is not in the results, no estimate has the variance asked for, or
        several do (the message lists them and how to choose).
    InputError
        The estimate lists a term twice.
    """
    if column.spec_id is not None:
        rows = registry.loc[_text(registry["spec_id"]).eq(column.spec_id)]
        if rows.empty:
            raise SpecError(f"{where}: spec_id {column.spec_id!r} is not in the results.")
    else:
        rows = registry.loc[_text(registry["spec_name"]).eq(str(column.spec))]
        if rows.empty:
            names = sorted(_text(registry["spec_name"]).unique())
            raise SpecError(
                f"{where}: spec {column.spec!r} is not in the results; the results hold "
                f"{names[:30]}{' ...' if len(names) > 30 else ''}."
            )
        hit = rows.loc[_matches(rows, column.variance)]
        if hit.empty:
            raise SpecError(
                f"{where}: spec {column.spec!r} has no estimate with variance "
                f"{column.variance.describe()}; its estimates: {_variances_text(rows)}."
            )
        ids = list(dict.fromkeys(_text(hit["spec_id"])))
        if len(ids) > 1:
            raise SpecError(
                f"{where}: spec {column.spec!r} with variance {column.variance.describe()} "
                f"matches {len(ids)} estimates: {_variances_text(hit)}. Add variance fields "
                "(type, cluster, cutoff_km, kernel, lags) or give spec_id."
            )
        rows = hit
    dup = rows["term"].astype(str).duplicated()
    if dup.any():
        raise InputError(
            f"{where}: estimate {rows['spec_id'].iat[0]!r} lists term(s) "
            f"{sorted(rows.loc[dup, 'term'].astype(str).unique())} more than once; the registry "
            "must hold one row per spec_id x term."
        )
    return rows


def select_estimates(
    registry: pd.DataFrame, term: str, columns: Sequence[ColumnSpec]
) -> pd.DataFrame:
    """One registry row per column for ``term``, labelled by the column header (for figures).

    Columns are selected exactly as in tables (spec name and structured variance fields, or
    spec id), so a coefficient plot and a table built from the same selections show the same
    estimates.

    Returns
    -------
    pandas.DataFrame
        The registry rows in the order of ``columns``, with a first column ``label`` (the
        headers).

    Raises
    ------
    SpecError
        A selection is not in the results or is ambiguous, or an estimate has no ``term``.
    """
    check_registry(registry)
    out = []
    for k, c in enumerate(columns):
        rows = select_column_rows(registry, c, f"selection {k + 1} ({c.header!r})")
        hit = rows.loc[rows["term"].astype(str).eq(term)]
        if hit.empty:
            raise SpecError(
                f"selection {k + 1} ({c.header!r}): estimate {rows['spec_id'].iat[0]!r} has no "
                f"term {term!r}; its terms: {sorted(rows['term'].astype(str))}."
            )
        out.append(hit.iloc[[0]].assign(label=c.header))
    frame = pd.concat(out, ignore_index=True)
    return frame[["label", *(c for c in frame.columns if c != "label")]]
