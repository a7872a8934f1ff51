"""Registry rows of a fit, built directly from arrays (what :attr:`EstimationResult.table` gives).

Building an :class:`~agglomeration.estimation.EstimationResult` and its ``tidy()`` frame costs
about as much as a whole shared-work fit; a grid builds the same columns from the arrays in one
step. ``tests/test_robustness_fwl.py`` checks that the two agree column by column.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats as st

from agglomeration.estimation.result import REGISTRY_COLUMNS
from agglomeration.estimation.spec import Spec

__all__ = ["registry_rows"]


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
) -> pd.DataFrame:
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
    out: dict[str, object] = {
        "spec_id": [spec.id] * k,
        "spec_name": [spec.name] * k,
        "term": list(terms),
        "estimate": est,
        "std_error": se,
        "statistic": t,
        "p_value": p,
        "conf_low": est - crit * se,
        "conf_high": est + crit * se,
        "df": np.full(k, np.nan if df is None else df),
        "n_obs": np.full(k, n_obs, dtype=np.int64),
        "n_clusters": pd.array([n_clusters] * k, dtype="Int64"),
        "fixed_effects": [" + ".join(spec.fixed_effects)] * k,
        "variance": [v.label] * k,
        **{key: [val] * k for key, val in v.describe().items()},
        "estimator": [spec.estimator] * k,
    }
    for key, val in stats.items():
        out[key] = np.full(k, val, dtype=float)
    frame = pd.DataFrame(out)
    return frame[[*REGISTRY_COLUMNS, *stats]]
