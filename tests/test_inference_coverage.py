"""coverage_table: Monte Carlo coverage statistics, checked against hand computation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from agglomeration.errors import ColumnMissingError
from agglomeration.inference import COVERAGE_COLUMNS, coverage_table


def _reps() -> pd.DataFrame:
    # two estimators, three replications each, truth 1
    return pd.DataFrame(
        {
            "variance": ["a", "b", "a", "b", "a", "b"],
            "estimate": [0.8, 0.8, 1.1, 1.1, 1.6, 1.6],
            "std_error": [0.1, 0.3, 0.2, np.inf, 0.2, 0.4],
            "conf_low": [0.7, 0.5, 0.9, -np.inf, 1.2, 0.8],
            "conf_high": [0.9, 1.1, 1.3, np.inf, 2.0, 2.4],
            "truth": 1.0,
        }
    )


def test_hand_computed_statistics():
    t = coverage_table(_reps()).set_index("variance")
    assert list(t.columns) == list(COVERAGE_COLUMNS)
    assert list(t.index) == ["a", "b"]
    # a: intervals [0.7, 0.9], [0.9, 1.3], [1.2, 2.0]: covers once
    a = t.loc["a"]
    assert a["coverage"] == pytest.approx(1 / 3)
    assert a["coverage_mc_se"] == pytest.approx(np.sqrt((1 / 3) * (2 / 3) / 3))
    assert a["mean_std_error"] == pytest.approx(0.5 / 3)
    assert a["rms_std_error"] == pytest.approx(np.sqrt((0.01 + 0.04 + 0.04) / 3))
    sd = np.std([0.8, 1.1, 1.6], ddof=1)
    assert a["sd_estimate"] == pytest.approx(sd)
    assert a["se_ratio"] == pytest.approx(np.sqrt(0.03) / sd)
    assert a["mean_estimate"] == pytest.approx(3.5 / 3)
    assert a["median_ci_length"] == pytest.approx(0.4)
    assert (a["n_unbounded"], a["n_reps"]) == (0, 3)
    # b: the unbounded set covers, counts as unbounded and is left out of the SE statistics
    b = t.loc["b"]
    assert b["coverage"] == pytest.approx(1.0)
    assert b["mean_std_error"] == pytest.approx(0.35)
    assert b["rms_std_error"] == pytest.approx(np.sqrt((0.09 + 0.16) / 2))
    assert b["median_ci_length"] == pytest.approx(1.6)  # lengths 0.6, inf, 1.6
    assert (b["n_unbounded"], b["n_reps"]) == (1, 3)


def test_covered_column_overrides_the_interval():
    reps = _reps().assign(covered=[True, False, True, False, True, False])
    t = coverage_table(reps).set_index("variance")
    assert t.loc["a", "coverage"] == 1.0 and t.loc["b", "coverage"] == 0.0


def test_several_grouping_columns_keep_first_appearance_order():
    reps = pd.concat([_reps().assign(design="z"), _reps().assign(design="y")])
    t = coverage_table(reps, by=("design", "variance"))
    assert list(zip(t["design"], t["variance"], strict=True)) == [
        ("z", "a"), ("z", "b"), ("y", "a"), ("y", "b")
    ]  # fmt: skip


def test_missing_column_is_named():
    with pytest.raises(ColumnMissingError, match="truth"):
        coverage_table(_reps().drop(columns="truth"))
