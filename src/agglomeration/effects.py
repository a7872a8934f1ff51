r"""The size of an estimated effect in the advocates' terms: "x% more productive".

For a log outcome :math:`\log y` and a regressor :math:`x` with coefficient :math:`\beta`, a
unit at the 90th percentile of :math:`x` is predicted to be

.. math::

    g_{90/10} = \exp\{\beta (x_{90} - x_{10})\} - 1

more productive than one at the 10th percentile, other regressors and fixed effects equal
(a proportional gap: 0.25 means 25%). When :math:`x` is itself a log (log density, log
employment), doubling :math:`x` raises :math:`y` by :math:`g_2 = 2^\beta - 1`. Both are
monotone increasing in :math:`\beta` for a positive spread, so the interval of a gap is the
gap evaluated at the ends of the interval of :math:`\beta` (a delta-method-free
transformation of the coefficient's interval). The percentiles are taken over the estimation
sample (for a county x year panel, over county-years).

Cluster advocates quote productivity gains "of 5 to 25 per cent" for firms in clusters; the
paper sets each measure's 90/10 gap beside that range (:func:`implied_gains`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from agglomeration.errors import ColumnMissingError, InputError
from agglomeration.results import ResultMixin

__all__ = ["implied_gains"]

Scale = Literal["log", "level"]


def implied_gains(
    result: ResultMixin,
    data: pd.DataFrame,
    measures: Mapping[str, Scale],
    *,
    sample: pd.Index | Sequence[object] | None = None,
    columns: Mapping[str, str] | None = None,
    quantiles: tuple[float, float] = (0.10, 0.90),
    level: float = 0.95,
) -> pd.DataFrame:
    """Implied proportional gaps of a log outcome between two percentiles of each measure.

    Parameters
    ----------
    result : ResultMixin
        A fitted result whose outcome is in logs (e.g. log pay or receipts per employee).
    data : pandas.DataFrame
        The data the result was estimated on; the measure columns must be in it.
    measures : mapping of str to {"log", "level"}
        Term -> scale of the regressor. ``"log"`` regressors (log density) also get the
        doubling effect ``2^beta - 1``; ``"level"`` ones (a diversity index) do not.
    sample : index, optional
        Rows of ``data`` in the estimation sample (default: ``result.sample_index`` when the
        result has one, else every row).
    columns : mapping of str to str, optional
        Term -> the column whose percentiles to take, when they differ (e.g. a ring density
        entered as ``log_ring_density_0_50_filled``, 0 where the ring is empty, whose
        percentiles should be those of ``log_ring_density_0_50`` among counties with a ring).
    quantiles : (float, float)
        The low and high percentiles (default 10th and 90th).
    level : float
        Confidence level of the intervals.

    Returns
    -------
    pandas.DataFrame
        One row per measure: ``term``, ``column``, ``scale``, ``estimate``, ``conf_low``, ``conf_high`` (of
        the coefficient), ``x_low``, ``x_high`` (the percentiles), ``spread``, ``gap``,
        ``gap_low``, ``gap_high`` (the 90/10 gap and its interval, proportions), and for log
        measures ``doubling``, ``doubling_low``, ``doubling_high``.

    Raises
    ------
    InputError
        Unknown term, unknown scale, quantiles not increasing in (0, 1), or a measure with no
        spread.
    ColumnMissingError
        A measure column not in ``data``.

    Examples
    --------
    >>> import pandas as pd
    >>> from agglomeration.effects import implied_gains
    >>> from agglomeration.results import ResultMixin
    >>> class Fit(ResultMixin):
    ...     params = pd.Series({"log_density": 0.05})
    ...     std_errors = pd.Series({"log_density": 0.01})
    >>> df = pd.DataFrame({"log_density": [0.0, 1.0, 2.0, 3.0, 4.0]})
    >>> g = implied_gains(Fit(), df, {"log_density": "log"}, quantiles=(0.25, 0.75))
    >>> round(float(g["gap"].iloc[0]), 6)  # exp(0.05 * (3 - 1)) - 1
    0.105171
    """
    lo_q, hi_q = quantiles
    if not 0.0 < lo_q < hi_q < 1.0:
        raise InputError(f"quantiles must satisfy 0 < low < high < 1, got {quantiles!r}.")
    ci = result.conf_int(level)
    if sample is None:
        sample = getattr(result, "sample_index", None)
    rows = []
    for term, scale in measures.items():
        if scale not in ("log", "level"):
            raise InputError(f"scale of {term!r} must be 'log' or 'level', got {scale!r}.")
        if term not in result.params.index:
            raise InputError(
                f"term {term!r} is not a coefficient of the result; terms: "
                f"{list(result.params.index)}."
            )
        col = (columns or {}).get(term, term)
        if col not in data.columns:
            raise ColumnMissingError(f"measure column {col!r} is not in the data.")
        rows_x = data[col] if sample is None else data[col].loc[pd.Index(sample)]
        x = rows_x.to_numpy(dtype=float)
        x = x[np.isfinite(x)]
        x_lo, x_hi = np.quantile(x, [lo_q, hi_q])
        spread = float(x_hi - x_lo)
        if spread <= 0:
            raise InputError(
                f"measure {term!r} has no spread between its {lo_q:.0%} and {hi_q:.0%} "
                "percentiles in the sample."
            )
        pos = result.params.index.get_loc(term)
        b = float(result.params.to_numpy(dtype=float)[pos])
        b_lo = float(ci["lower"].to_numpy(dtype=float)[pos])
        b_hi = float(ci["upper"].to_numpy(dtype=float)[pos])
        row = {
            "term": term,
            "column": col,
            "scale": scale,
            "estimate": b,
            "conf_low": b_lo,
            "conf_high": b_hi,
            "x_low": float(x_lo),
            "x_high": float(x_hi),
            "spread": spread,
            "gap": float(np.expm1(b * spread)),
            "gap_low": float(np.expm1(b_lo * spread)),
            "gap_high": float(np.expm1(b_hi * spread)),
        }
        if scale == "log":
            row |= {
                "doubling": float(2.0**b - 1.0),
                "doubling_low": float(2.0**b_lo - 1.0),
                "doubling_high": float(2.0**b_hi - 1.0),
            }
        rows.append(row)
    return pd.DataFrame(rows)
