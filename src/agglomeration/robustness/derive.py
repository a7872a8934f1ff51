"""Columns a grid derives from the data before it runs (outcome and measure variants).

``[grid.derive]`` maps a new column name to either a pandas expression evaluated with
:meth:`pandas.DataFrame.eval` (e.g. ``"arcsinh(pay_per_emp)"``, ``"log(payroll / employment)"``)
or a named transform of one column::

    log_pay_w1 = { transform = "winsorize", column = "log_pay_per_emp", limits = 0.01 }
    log_density_z = { transform = "standardize", column = "log_density" }

Transforms: ``log``, ``asinh`` (inverse hyperbolic sine), ``winsorize`` (at the ``limits`` and
``1 - limits`` quantiles of the non-missing values), ``standardize`` (mean 0, standard deviation
1). Derived columns may use earlier ones (declared order).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from agglomeration.errors import ColumnMissingError, SpecError

__all__ = ["TRANSFORMS", "derive_columns"]

TRANSFORMS = ("log", "asinh", "winsorize", "standardize")


def _transform(s: pd.Series, how: str, opts: Mapping[str, Any]) -> pd.Series:
    x = s.astype(float)
    if how == "log":
        with np.errstate(divide="ignore", invalid="ignore"):
            return pd.Series(np.where(x > 0, np.log(x.where(x > 0)), np.nan), index=s.index)
    if how == "asinh":
        return pd.Series(np.arcsinh(x.to_numpy()), index=s.index)
    if how == "winsorize":
        p = float(opts.get("limits", 0.01))
        if not 0.0 < p < 0.5:
            raise SpecError(f"winsorize limits must lie in (0, 0.5), got {p!r}.")
        lo, hi = float(x.quantile(p)), float(x.quantile(1.0 - p))
        return x.clip(lo, hi)
    if how == "standardize":
        return (x - x.mean()) / x.std(ddof=1)
    raise SpecError(f"unknown transform {how!r}; choose one of {list(TRANSFORMS)}.")


def derive_columns(data: pd.DataFrame, derive: Mapping[str, Any]) -> pd.DataFrame:
    """Return ``data`` with the derived columns added (a copy; the input is not modified).

    Parameters
    ----------
    data : pandas.DataFrame
        The panel.
    derive : mapping
        New column name -> expression string or ``{transform, column, ...}`` table.

    Raises
    ------
    ColumnMissingError
        If a transform names a column that is not in the data.
    SpecError
        If an expression fails to evaluate, a transform is unknown, or a name already exists.
    """
    if not derive:
        return data
    out = data.copy()
    for name, how in derive.items():
        if name in out.columns:
            raise SpecError(
                f"derive: column {name!r} already exists in the data; choose another name."
            )
        if isinstance(how, str):
            try:
                out[name] = out.eval(how, engine="python")
            except Exception as e:  # pandas raises many types for bad expressions
                raise SpecError(
                    f"derive: expression {how!r} for {name!r} failed ({type(e).__name__}: {e}); "
                    "check the column names and the pandas eval syntax."
                ) from None
        elif isinstance(how, Mapping):
            col = how.get("column")
            if col not in out.columns:
                raise ColumnMissingError(
                    f"derive: {name!r} transforms column {col!r}, which is not in the data."
                )
            out[name] = _transform(out[col], str(how.get("transform")), how)
        else:
            raise SpecError(f"derive: {name!r} must be an expression or a table, got {how!r}.")
    return out
