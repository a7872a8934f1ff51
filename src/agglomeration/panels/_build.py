"""What every panel builder shares: the drop log, the build result, strict group sums."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

__all__ = ["REPORT_COLUMNS", "DropLog", "PanelBuild", "sum_strict"]

REPORT_COLUMNS = ["dataset", "step", "action", "reason", "rows"]
"""Columns of a build report: one row per rule applied."""


@dataclass
class DropLog:
    """Accumulates ``(dataset, step, action, reason, rows)`` records while a panel is built.

    Builders append one record per rule they apply (rows dropped, cells set to missing, rows
    recoded), so that the final report accounts for every change to the raw data. The record
    is mutable only while the builder runs; builders return it frozen as a DataFrame.
    """

    dataset: str
    records: list[dict[str, object]] = field(default_factory=list)

    def add(self, step: str, action: str, reason: str, rows: float) -> None:
        """Record that ``rows`` rows were affected by ``action`` (dropped/missing/recoded)."""
        self.records.append(
            {
                "dataset": self.dataset,
                "step": step,
                "action": action,
                "reason": reason,
                "rows": int(rows),
            }
        )

    def frame(self) -> pd.DataFrame:
        """Return the records as a tidy DataFrame (one row per rule applied)."""
        return pd.DataFrame(self.records, columns=REPORT_COLUMNS)


@dataclass(frozen=True)
class PanelBuild:
    """A built panel with the report of every row removed, recoded or set missing.

    Attributes
    ----------
    data : DataFrame
        The panel, validated against its schema.
    report : DataFrame
        One row per rule applied: ``dataset``, ``step``, ``action`` (dropped / missing /
        recoded), ``reason``, ``rows``.
    checks : DataFrame or None
        Comparisons against independent sources, where the builder makes them.
    tables : mapping of str to DataFrame
        Derived tables the builder also produces (e.g. Ellison-Glaeser gammas by industry).
    """

    data: pd.DataFrame
    report: pd.DataFrame
    checks: pd.DataFrame | None = None
    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict)


def sum_strict(df: pd.DataFrame, keys: list[str], cols: list[str]) -> pd.DataFrame:
    """Group sums that stay missing when any summand is missing (an unknown total stays unknown)."""
    sums = df.groupby(keys, sort=True)[cols].sum(min_count=1)
    anyna = df[cols].isna().groupby([df[k] for k in keys], sort=True).any()
    return sums.mask(anyna).reset_index()
