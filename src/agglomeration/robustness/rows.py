"""Registry rows of a fit, built directly from arrays (what :attr:`~agglomeration.estimation.EstimationResult.table` gives).

Building an :class:`~agglomeration.estimation.EstimationResult` and its ``tidy()`` frame costs
about as much as a whole shared-work fit; a grid builds the same columns from the arrays as
plain lists (:func:`registry_rows`) and makes one frame of all specs at the end
(:func:`rows_frame`). ``tests/test_robustness_fwl.py`` checks that they agree with
``estimate()`` column by column.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as st

from agglomeration.estimation.result import REGISTRY_COLUMNS
from agglomeration.estimation.spec import Spec

__all__ = ["registry_rows", "rows_frame", "table_rows"]


def registry_rows(
    spec: Spec,
    terms: Sequence[str],
    estimate: np.ndarray,
    vcov: np.ndarray,
    *,
    df: float | None,
    n_obs: int,
    n_clusters: int | None,
    stats: dict[str, float],
    level: float = 0.95,
    spec_id: str | None = None,
) -> dict[str, list[Any]]:
    """Rows of :data:`REGISTRY_COLUMNS` then ``stats``, one per term, as ``EstimationResult.table``.

    Standard errors are the square roots of the diagonal of ``vcov`` (NaN where negative);
    statistics, p-values and ``level`` intervals use the t distribution with ``df`` degrees of
    freedom, or the normal when ``df`` is None.
    """
    est = np.asarray(estimate, dtype=float)
    diag = np.diag(vcov)
    se = np.sqrt(np.where(diag < 0, np.nan, diag))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = est / se
    q = 0.5 + level / 2.0
    if df is None:
        p, crit = 2.0 * st.norm.sf(np.abs(t)), float(st.norm.ppf(q))
    else:
        p, crit = 2.0 * st.t.sf(np.abs(t), df), float(st.t.ppf(q, df))
    k = len(terms)
    v = spec.variance
    out: dict[str, list[Any]] = {
        "spec_id": [spec.id if spec_id is None else spec_id] * k,
        "spec_name": [spec.name] * k,
        "term": [str(x) for x in terms],
        "estimate": est.tolist(),
        "std_error": se.tolist(),
        "statistic": np.asarray(t, dtype=float).tolist(),
        "p_value": np.asarray(p, dtype=float).tolist(),
        "conf_low": (est - crit * se).tolist(),
        "conf_high": (est + crit * se).tolist(),
        "df": [np.nan if df is None else float(df)] * k,
        "n_obs": [int(n_obs)] * k,
        "n_clusters": [None if n_clusters is None else int(n_clusters)] * k,
        "fixed_effects": [" + ".join(spec.fixed_effects)] * k,
        "variance": [v.label] * k,
        **{key: [_plain(val)] * k for key, val in v.describe().items()},
        "estimator": [spec.estimator] * k,
    }
    for key, val in stats.items():
        out[key] = [float(val)] * k
    return out


def _plain(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def table_rows(table: pd.DataFrame) -> dict[str, list[Any]]:
    """Column lists of a registry frame (``EstimationResult.table``), for :func:`rows_frame`."""
    out: dict[str, list[Any]] = {}
    for c in table.columns:
        vals = table[c].tolist()
        out[str(c)] = [None if x is pd.NA else _plain(x) for x in vals]
    return out


def rows_frame(parts: Sequence[dict[str, list[Any]]]) -> pd.DataFrame:
    """One registry frame of many specs' column lists (:data:`REGISTRY_COLUMNS` first).

    Model-statistic columns that only some specs have (``r2`` for OLS, ``pseudo_r2`` for
    Poisson) are NaN elsewhere; ``n_clusters`` is a nullable integer.
    """
    if not parts:
        return pd.DataFrame(columns=list(REGISTRY_COLUMNS))
    cols = list(REGISTRY_COLUMNS)
    for p in parts:
        cols += [c for c in p if c not in cols]
    data: dict[str, list[Any]] = {c: [] for c in cols}
    for p in parts:
        n = len(p["term"])
        for c in cols:
            data[c] += p.get(c, [np.nan] * n)
    frame = pd.DataFrame(data)
    frame["n_clusters"] = pd.array(
        [
            None if x is None or (isinstance(x, float) and np.isnan(x)) else int(x)
            for x in data["n_clusters"]
        ],
        dtype="Int64",
    )
    frame["n_obs"] = frame["n_obs"].astype("int64")
    return frame
