"""Checks of a grid against the data, before any specification runs."""

from __future__ import annotations

import pandas as pd

from agglomeration.errors import ColumnMissingError, SpecError
from agglomeration.robustness.grid import Grid, option_columns, spec_columns

__all__ = ["check_grid"]


def _missing(cols: list[str], data: pd.DataFrame) -> list[str]:
    return [c for c in dict.fromkeys(cols) if c not in data.columns]


def check_grid(grid: Grid, data: pd.DataFrame) -> None:
    """Fail early, naming the axis and the value, if the grid cannot run on ``data``.

    Checks that every column the base spec and every option name (outcome, regressors,
    controls, focal measures, fixed-effect columns, weights, variance columns) is in ``data``
    (with the grid's derived columns added), and that every sample filter evaluates.

    Raises
    ------
    ColumnMissingError
        A column is not in the data: the message names the axis, the option and the column.
    SpecError
        A sample filter fails to evaluate on the data.
    """
    avail = list(map(str, data.columns))
    miss = _missing(list(spec_columns(grid.base)), data)
    if miss:
        raise ColumnMissingError(
            f"grid {grid.name!r}, base spec: column(s) {miss} are not in the data; available: "
            f"{avail}."
        )
    for axis in grid.axes:
        for opt in axis.options:
            miss = _missing(option_columns(opt), data)
            if miss:
                raise ColumnMissingError(
                    f"grid {grid.name!r}, axis {axis.name!r}, option {opt.label!r}: column(s) "
                    f"{miss} are not in the data; available: {avail}."
                )
            sample = opt.overrides.get("sample")
            if sample:
                try:
                    data.head(50).query(str(sample), engine="python")
                except Exception as e:  # pandas raises many types for a bad query
                    raise SpecError(
                        f"grid {grid.name!r}, axis {axis.name!r}, option {opt.label!r}: sample "
                        f"filter {sample!r} fails on the data ({type(e).__name__}: {e})."
                    ) from None
    if grid.base.sample:
        try:
            data.head(50).query(grid.base.sample, engine="python")
        except Exception as e:  # pandas raises many types for a bad query
            raise SpecError(
                f"grid {grid.name!r}, base spec: sample filter {grid.base.sample!r} fails on the "
                f"data ({type(e).__name__}: {e})."
            ) from None
