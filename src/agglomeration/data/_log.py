"""A record of every row that a builder removed or set to missing, and why."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

__all__ = ["DropLog"]


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
        cols = ["dataset", "step", "action", "reason", "rows"]
        return pd.DataFrame(self.records, columns=cols)
