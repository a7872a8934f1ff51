r"""Coverage of confidence intervals in Monte Carlo experiments.

:func:`coverage_table` turns the replications of a Monte Carlo study (one row per replication and
variance estimator) into the table the paper reports: the share of intervals that cover the
truth, with its Monte Carlo standard error, and whether the variance estimator is unbiased for
the sampling variance of the estimate,

.. math::

    \text{se ratio} = \sqrt{\overline{\widehat{se}^2}} \,/\, \operatorname{sd}(\hat\beta),

the root mean squared standard error over the standard deviation of the estimates across
replications. The ratio of the *mean* standard error would be below one even for an unbiased
variance estimator (Jensen's inequality), so the root mean square is the one to read.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from agglomeration.errors import ColumnMissingError

__all__ = ["COVERAGE_COLUMNS", "coverage_table"]

COVERAGE_COLUMNS = (
    "coverage",
    "coverage_mc_se",
    "mean_std_error",
    "rms_std_error",
    "sd_estimate",
    "se_ratio",
    "mean_estimate",
    "truth",
    "median_ci_length",
    "n_unbounded",
    "n_reps",
)
"""Statistic columns of :func:`coverage_table`, in order (after the grouping columns)."""

_NEEDED = ("estimate", "std_error", "conf_low", "conf_high", "truth")


def coverage_table(reps: pd.DataFrame, by: Sequence[str] = ("variance",)) -> pd.DataFrame:
    """Coverage and standard-error accuracy of each group of Monte Carlo replications.

    Parameters
    ----------
    reps : pandas.DataFrame
        One row per replication and estimator: ``estimate``, ``std_error``, ``conf_low``,
        ``conf_high``, ``truth`` and the ``by`` columns. An optional boolean ``covered`` column
        overrides ``conf_low <= truth <= conf_high`` (for confidence sets that are not
        intervals, such as the complements of AKM0). A non-finite ``std_error`` (an unbounded
        set) is counted in ``n_unbounded`` and left out of the standard-error statistics.
    by : sequence of str
        Grouping columns, kept in order of first appearance.

    Returns
    -------
    pandas.DataFrame
        The ``by`` columns, then :data:`COVERAGE_COLUMNS`: ``coverage`` (share covered),
        ``coverage_mc_se`` (``sqrt(c (1 - c) / R)``), ``mean_std_error`` and ``rms_std_error``
        (over finite standard errors), ``sd_estimate`` (``ddof=1``), ``se_ratio``
        (``rms_std_error / sd_estimate``), ``mean_estimate``, ``truth`` (first of the group),
        ``median_ci_length`` (infinite for a set that is not a bounded interval),
        ``n_unbounded``, ``n_reps``.

    Raises
    ------
    ColumnMissingError
        If a needed column is not in ``reps``.
    """
    by = list(by)
    missing = [c for c in (*_NEEDED, *by) if c not in reps.columns]
    if missing:
        raise ColumnMissingError(
            f"coverage_table: column(s) {missing} are not in the replications; "
            f"available: {list(reps.columns)}."
        )
    se = reps["std_error"].to_numpy(float)
    finite = np.isfinite(se)
    lo, hi, truth = (reps[c].to_numpy(float) for c in ("conf_low", "conf_high", "truth"))
    covered = (
        reps["covered"].to_numpy(bool)
        if "covered" in reps.columns
        else (lo <= truth) & (truth <= hi)
    )
    bounded = finite & np.isfinite(lo) & np.isfinite(hi)
    if "ci_kind" in reps.columns:
        bounded &= reps["ci_kind"].to_numpy() == "interval"
    work = reps[by].assign(
        _covered=covered.astype(float),
        _se=np.where(finite, se, np.nan),
        _se2=np.where(finite, se**2, np.nan),
        _unbounded=(~finite).astype(int),
        _length=np.where(bounded, hi - lo, np.inf),
        estimate=reps["estimate"].to_numpy(float),
        truth=truth,
    )
    g = work.groupby(by, sort=False)
    out = pd.DataFrame(
        {
            "coverage": g["_covered"].mean(),
            "mean_std_error": g["_se"].mean(),
            "rms_std_error": np.sqrt(g["_se2"].mean()),
            "sd_estimate": g["estimate"].std(ddof=1),
            "mean_estimate": g["estimate"].mean(),
            "truth": g["truth"].first(),
            "median_ci_length": g["_length"].median(),
            "n_unbounded": g["_unbounded"].sum(),
            "n_reps": g.size(),
        }
    ).reset_index()
    out["coverage_mc_se"] = np.sqrt(out["coverage"] * (1 - out["coverage"]) / out["n_reps"])
    out["se_ratio"] = out["rms_std_error"] / out["sd_estimate"]
    return out[[*by, *COVERAGE_COLUMNS]]
