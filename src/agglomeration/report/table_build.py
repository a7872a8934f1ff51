"""Fill a :class:`~agglomeration.report.tables.Table` from a table spec and the registry."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from agglomeration.errors import ColumnMissingError, SpecError
from agglomeration.report.format import format_count, format_number, stars
from agglomeration.report.registry_select import check_registry, select_column_rows
from agglomeration.report.table_spec import PanelSpec, TableSpec
from agglomeration.report.tables import Cell, Panel, Row, Table
from agglomeration.report.variance_text import describe_variance

__all__ = ["build_table"]

_DEFAULT_ROW_DIGITS = {
    "r2": 3,
    "r2_within": 3,
    "pseudo_r2": 3,
    "outcome_mean": 3,
    "first_stage_f": 1,
    "effective_f": 1,
}
_COUNT_ROWS = ("n_obs", "n_clusters")
_TEXT_ROWS = ("spec_id", "estimator")


def _float(x: object) -> float:
    try:
        return float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return np.nan


def _fe_tokens(value: object) -> list[str]:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return []
    return [t.strip() for t in str(value).split("+") if t.strip()]


def _coef_rows(
    spec: TableSpec, panel: PanelSpec, picked: list[pd.DataFrame], where: str
) -> tuple[Row, ...]:
    by_term = [r.set_index(r["term"].astype(str)) for r in picked]
    rows: list[Row] = []
    for t in panel.terms:
        if not any(t.term in b.index for b in by_term):
            present = sorted({str(x) for b in by_term for x in b.index})
            raise SpecError(
                f"{where}: term {t.term!r} is not in the results of any column; the columns' "
                f"estimates have terms {present}."
            )
        digits = spec.digits if t.digits is None else t.digits
        est, below = [], []
        for b in by_term:
            if t.term not in b.index:
                est.append(Cell(numeric=True))
                below.append(Cell(numeric=spec.below == "std_error"))
                continue
            r = b.loc[t.term]
            e = _float(r["estimate"])
            s = stars(_float(r["p_value"]), spec.star_levels) if spec.star_levels else ""
            est.append(Cell(format_number(e, digits), s if np.isfinite(e) else "", numeric=True))
            if spec.below == "std_error":
                se = format_number(_float(r["std_error"]), digits)
                below.append(Cell(f"({se})" if se else "", numeric=True))
            else:
                lo = format_number(_float(r["conf_low"]), digits)
                hi = format_number(_float(r["conf_high"]), digits)
                below.append(Cell(f"[{lo}, {hi}]" if lo and hi else ""))
        rows.append(Row(t.label, tuple(est), "estimate", t.term))
        rows.append(Row("", tuple(below), "below", t.term))
    return tuple(rows)


def _fixed_effect_rows(
    spec: TableSpec, models: list[pd.Series], headers: tuple[str, ...], where: str
) -> list[Row]:
    if any("fixed_effects" not in m.index for m in models):
        raise ColumnMissingError(
            f"{where}: rows include 'fixed_effects' but the results have no 'fixed_effects' column."
        )
    declared = dict(spec.fixed_effects)
    has = []
    for m, h in zip(models, headers, strict=True):
        tokens = _fe_tokens(m["fixed_effects"])
        unknown = [tok for tok in tokens if tok not in declared]
        if unknown:
            raise SpecError(
                f"{where}, column {h!r}: fixed effect(s) {unknown} have no display name; add "
                f'them to [table.fixed_effects], e.g. "{unknown[0]}" = "...".'
            )
        has.append(set(tokens))
    out = []
    for token, label in spec.fixed_effects:
        if any(token in s for s in has):
            cells = tuple(Cell("Yes" if token in s else "No") for s in has)
            out.append(Row(label, cells, "model", f"fixed_effects:{token}"))
    return out


def _model_rows(
    spec: TableSpec, panel: PanelSpec, models: list[pd.Series], where: str
) -> tuple[Row, ...]:
    headers = tuple(c.header for c in panel.columns)
    names: Mapping[str, str] = dict(spec.variance_names)
    digits = {**_DEFAULT_ROW_DIGITS, **dict(spec.row_digits)}
    rows: list[Row] = []
    for key in panel.rows:
        if key == "fixed_effects":
            rows += _fixed_effect_rows(spec, models, headers, where)
            continue
        needed = "variance_type" if key == "variance" else key
        if any(needed not in m.index for m in models):
            raise ColumnMissingError(
                f"{where}: row {key!r} needs the results column {needed!r}, which they lack; "
                f"drop the row or add the column. Available: {sorted(models[0].index)}."
            )
        if key == "variance":
            cells = tuple(
                Cell(
                    describe_variance(
                        {str(k): v for k, v in m.items()},
                        names,
                        within=spec.variance_within,
                        serial_unit=spec.variance_serial_unit,
                    )
                )
                for m in models
            )
        elif key in _COUNT_ROWS:
            cells = tuple(Cell(format_count(m[key])) for m in models)
        elif key in _TEXT_ROWS:
            cells = tuple(Cell("" if pd.isna(m[key]) else str(m[key])) for m in models)
        else:
            d = digits.get(key, spec.digits)
            cells = tuple(
                Cell(format_number(_float(m[key]), d), numeric=True)
                if not isinstance(m[key], str)
                else Cell(m[key])
                for m in models
            )
        if any(c.text for c in cells):  # a row empty in every column of the panel is left out
            rows.append(Row(spec.row_label(key), cells, "model", key))
    return tuple(rows)


def build_table(spec: TableSpec, registry: pd.DataFrame) -> Table:
    """Build a regression table from the registry's tidy results.

    Parameters
    ----------
    spec : TableSpec
        The declaration (:func:`~agglomeration.report.load_table_spec`).
    registry : pandas.DataFrame
        Tidy results, one row per ``spec_id`` x ``term``: ``spec_id``, ``spec_name``, ``term``,
        ``estimate``, ``std_error``, ``p_value`` (``conf_low``, ``conf_high`` for intervals),
        the structured variance fields and the model-level columns the rows ask for
        (:data:`agglomeration.estimation.REGISTRY_COLUMNS` and the model statistics).

    Returns
    -------
    Table
        Frozen; render with :meth:`Table.to_latex`, :meth:`Table.to_markdown`,
        :meth:`Table.to_html`.

    Notes
    -----
    Stars mark two-sided p-values below each threshold (the registry's ``p_value``, which uses
    the variance of the column). A model-level row that is empty in every column of a panel
    (e.g. clusters under iid variances) is not printed; a fixed-effect row is printed when at
    least one column of the panel has the effect.

    Raises
    ------
    SpecError
        A column's spec or variance is not in the results (or is ambiguous), a term is in no
        column of its panel, or a fixed effect has no display name.
    ColumnMissingError
        The results lack a column the table needs.
    """
    check_registry(registry, ("conf_low", "conf_high") if spec.below == "conf_int" else ())
    panels = []
    for k, p in enumerate(spec.panels):
        where = f"table {spec.name!r}, panel {k + 1}" + (f" ({p.title!r})" if p.title else "")
        picked = [
            select_column_rows(registry, c, f"{where}, column {c.header!r}") for c in p.columns
        ]
        models = [r.iloc[0] for r in picked]
        panels.append(
            Panel(
                title=p.title,
                headers=tuple(c.header for c in p.columns),
                groups=p.groups,
                coef_rows=_coef_rows(spec, p, picked, where),
                model_rows=_model_rows(spec, p, models, where),
                spec_ids=tuple(str(m["spec_id"]) for m in models),
            )
        )
    return Table(
        name=spec.name,
        caption=spec.caption,
        label=spec.label,
        notes=spec.notes,
        panels=tuple(panels),
        star_levels=spec.star_levels,
        size=spec.size,
        width=spec.width,
        wrap=spec.wrap,
    )
