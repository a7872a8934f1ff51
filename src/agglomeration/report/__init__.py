"""Tables, figures and macros of the paper, built from the registry and the panels.

Regression tables declared in TOML (:mod:`agglomeration.report.table_spec`)::

    spec = load_table_spec("analysis/table_specs/baseline.toml")
    table = build_table(spec, registry)         # registry: results/estimates.csv
    tex, md, html = table.to_latex(), table.to_markdown(), table.to_html()

Tables from frames built in code (:func:`make_regression_table`, :func:`make_summary_table`,
:func:`make_frame_table`), the text's macros (:func:`make_macros`), and reader-facing variance
descriptions (:func:`describe_variance`). Output is deterministic text.

Figures live in :mod:`agglomeration.report.figures` (imported on its own, as it loads
matplotlib and seaborn); :func:`select_estimates` picks registry rows for them with the same
selectors as tables.
"""

from agglomeration.report.format import (
    escape_html,
    escape_latex,
    escape_markdown,
    format_count,
    format_number,
    star_legend,
    stars,
)
from agglomeration.report.macros import make_macros
from agglomeration.report.registry_select import select_estimates
from agglomeration.report.simple_tables import (
    TableColumn,
    make_frame_table,
    make_regression_table,
    make_summary_table,
)
from agglomeration.report.table_build import build_table
from agglomeration.report.table_spec import (
    MODEL_ROWS,
    ColumnSpec,
    PanelSpec,
    TableSpec,
    TermSpec,
    VarianceSelector,
    load_table_spec,
    parse_table_spec,
)
from agglomeration.report.tables import Cell, Panel, Row, Table
from agglomeration.report.variance_text import describe_variance

__all__ = [
    "MODEL_ROWS",
    "Cell",
    "ColumnSpec",
    "Panel",
    "PanelSpec",
    "Row",
    "Table",
    "TableColumn",
    "TableSpec",
    "TermSpec",
    "VarianceSelector",
    "build_table",
    "describe_variance",
    "escape_html",
    "escape_latex",
    "escape_markdown",
    "format_count",
    "format_number",
    "load_table_spec",
    "make_frame_table",
    "make_macros",
    "make_regression_table",
    "make_summary_table",
    "parse_table_spec",
    "select_estimates",
    "star_legend",
    "stars",
]
