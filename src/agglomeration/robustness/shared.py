"""The data a grid's tasks share, sent once to every worker, with per-worker array caches."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from agglomeration.robustness.samples import fe_codes

__all__ = ["GridData", "SpecOutcome"]


@dataclass
class GridData:
    """The columns a grid uses, and lazily built float arrays and group codes of them.

    Parameters
    ----------
    frame : pandas.DataFrame
        The panel restricted to the grid's columns (original index, which results report).
    """

    frame: pd.DataFrame
    _arrays: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    _codes: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    @classmethod
    def from_frame(cls, data: pd.DataFrame, columns: Iterable[str]) -> GridData:
        """Keep only ``columns`` (those that exist) of ``data``."""
        cols = [c for c in dict.fromkeys(columns) if c in data.columns]
        return cls(data[cols])

    def __getstate__(self) -> dict[str, Any]:
        return {"frame": self.frame}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.frame = state["frame"]
        self._arrays = {}
        self._codes = {}

    def array(self, col: str) -> np.ndarray:
        """Column as float64 (cached)."""
        a = self._arrays.get(col)
        if a is None:
            a = self.frame[col].to_numpy(dtype=np.float64)
            self._arrays[col] = a
        return a

    def raw(self, col: str) -> np.ndarray:
        """Column values as stored."""
        return self.frame[col].to_numpy()

    def codes(self, fe: str) -> np.ndarray:
        """Non-negative group codes of a column or interaction ``a^b`` (cached)."""
        c = self._codes.get(fe)
        if c is None:
            c = fe_codes(self.frame, fe)
            self._codes[fe] = c
        return c


@dataclass(frozen=True)
class SpecOutcome:
    """What a task returns for one spec: its tidy rows, or the reason it failed.

    Attributes
    ----------
    spec_id : str
        :attr:`~agglomeration.estimation.Spec.id`.
    status : {"ok", "failed"}
        Whether the spec was estimated.
    reason : str
        Why it failed (empty when ok).
    table : dict or None
        Column lists of the spec's registry rows (:attr:`~agglomeration.estimation.EstimationResult.table`, one row per
        term); :func:`agglomeration.robustness.rows.rows_frame` makes a frame of them.
    boot : numpy.ndarray or None
        Null-bootstrap contributions of the focal term, one per cluster
        (:mod:`agglomeration.robustness.curve`); None when not computed.
    collinear : tuple of str
        Regressors dropped as collinear.
    """

    spec_id: str
    status: str
    reason: str = ""
    table: dict[str, list[Any]] | None = None
    boot: np.ndarray | None = None
    collinear: tuple[str, ...] = ()
