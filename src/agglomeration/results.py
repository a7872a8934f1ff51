"""One result interface for every estimate the package produces.

Regression results (:class:`agglomeration.estimation.EstimationResult`) and production-function
results (:class:`agglomeration.tfp.TFPResult`) share it, so that tables, the registry and a user
at the prompt read them the same way:

- ``params``: point estimates (a Series indexed by term);
- ``std_errors``: standard errors (same index; NaN where none was computed);
- ``tstats`` and ``pvalues``: Wald statistics ``params / std_errors`` and their two-sided
  p-values, from a t distribution with ``df_resid`` degrees of freedom or, when that is
  ``None``, from the standard normal;
- ``conf_int(level)``: a frame with columns ``lower`` and ``upper``;
- ``tidy(level)``: one row per term with the columns in :data:`TIDY_COLUMNS` (the names every
  registry file and table builder uses), followed by model-level columns of the result;
- ``summary()``: a readable plain-text table, as linearmodels' results print.

A class gets the interface by deriving from :class:`ResultMixin` and providing ``params``,
``std_errors``, ``df_resid`` and :meth:`ResultMixin._summary_header`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from agglomeration.errors import InputError

__all__ = ["TIDY_COLUMNS", "ResultMixin", "format_coefficient_table"]

TIDY_COLUMNS: tuple[str, ...] = (
    "term",
    "estimate",
    "std_error",
    "statistic",
    "p_value",
    "conf_low",
    "conf_high",
)
"""Leading columns of every ``tidy()`` frame, in order."""


def _check_level(level: float) -> float:
    if not isinstance(level, int | float) or not 0.0 < float(level) < 1.0:
        raise InputError(f"level must lie strictly between 0 and 1 (e.g. 0.95), got {level!r}.")
    return float(level)


class ResultMixin:
    """Shared inference and display methods; see the module docstring."""

    params: pd.Series
    std_errors: pd.Series

    @property
    def df_resid(self) -> float | None:
        """Degrees of freedom of the t reference distribution (``None``: standard normal)."""
        return None

    # -- inference --------------------------------------------------------------------------
    def _quantile(self, level: float) -> float:
        q = 0.5 + _check_level(level) / 2.0
        df = self.df_resid
        return float(stats.norm.ppf(q) if df is None else stats.t.ppf(q, df))

    @property
    def tstats(self) -> pd.Series:
        """Wald statistics ``params / std_errors``."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return (self.params / self.std_errors).rename("statistic")

    @property
    def pvalues(self) -> pd.Series:
        """Two-sided p-values of ``H0: parameter = 0`` (t with ``df_resid`` df, or normal)."""
        t = np.abs(self.tstats.to_numpy(dtype=float))
        df = self.df_resid
        p = 2.0 * (stats.norm.sf(t) if df is None else stats.t.sf(t, df))
        return pd.Series(p, index=self.params.index, name="p_value")

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Confidence intervals ``params -/+ q * std_errors`` at ``level`` (columns lower, upper)."""
        q = self._quantile(level)
        se = self.std_errors.reindex(self.params.index)
        return pd.DataFrame(
            {"lower": self.params - q * se, "upper": self.params + q * se},
            index=self.params.index,
        )

    def _model_columns(self) -> dict[str, Any]:
        """Model-level columns appended to :meth:`tidy` (override to add N, clusters, ...)."""
        return {}

    def tidy(self, level: float = 0.95) -> pd.DataFrame:
        """One row per term: :data:`TIDY_COLUMNS`, then the result's model-level columns."""
        ci = self.conf_int(level)
        out = pd.DataFrame(
            {
                "term": [str(t) for t in self.params.index],
                "estimate": self.params.to_numpy(dtype=float),
                "std_error": self.std_errors.reindex(self.params.index).to_numpy(dtype=float),
                "statistic": self.tstats.to_numpy(dtype=float),
                "p_value": self.pvalues.to_numpy(dtype=float),
                "conf_low": ci["lower"].to_numpy(dtype=float),
                "conf_high": ci["upper"].to_numpy(dtype=float),
            }
        )
        for name, value in self._model_columns().items():
            out[name] = value
        return out

    # -- display ----------------------------------------------------------------------------
    def _summary_header(self) -> list[tuple[str, str]]:
        """(label, value) pairs printed above the coefficient table."""
        return []

    def _summary_footer(self) -> list[str]:
        """Lines printed below the coefficient table."""
        return []

    def _summary_title(self) -> str:
        return type(self).__name__

    def summary(self, level: float = 0.95) -> str:
        """Return a readable plain-text summary: header, coefficient table, notes."""
        title = self._summary_title()
        header = self._summary_header()
        table = format_coefficient_table(self.tidy(level), level, self.df_resid)
        width = max(len(title), *(len(line) for line in table.splitlines()))
        lines = [title.center(width), "=" * width]
        if header:
            lw = max(len(k) for k, _ in header)
            lines += [f"{k:<{lw}}  {v}" for k, v in header]
            lines.append("-" * width)
        lines.append(table)
        footer = self._summary_footer()
        if footer:
            lines.append("-" * width)
            lines += footer
        lines.append("=" * width)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def format_coefficient_table(tidy: pd.DataFrame, level: float, df: float | None) -> str:
    """Plain-text coefficient table from a tidy frame (estimate, SE, statistic, p, interval)."""
    stat = "z" if df is None else "t"
    pct = f"{100 * level:g}%"
    head = ["term", "estimate", "std.err", stat, "P>|" + stat + "|", f"{pct} low", f"{pct} high"]
    rows = [
        [
            str(r.term),
            f"{r.estimate:.4f}",
            f"{r.std_error:.4f}",
            f"{r.statistic:.3f}",
            f"{r.p_value:.4f}",
            f"{r.conf_low:.4f}",
            f"{r.conf_high:.4f}",
        ]
        for r in tidy.itertuples()
    ]
    rows = [[c.replace("nan", "") for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(head)]
    fmt = [
        (lambda s, w: s.ljust(w)) if i == 0 else (lambda s, w: s.rjust(w))
        for i in range(len(head))
    ]
    lines = ["  ".join(f(h, w) for f, h, w in zip(fmt, head, widths, strict=True))]
    lines += ["  ".join(f(c, w) for f, c, w in zip(fmt, row, widths, strict=True)) for row in rows]
    return "\n".join(lines)
