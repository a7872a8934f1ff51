"""Implied gains: the arithmetic by hand on a toy, and against a fitted result."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from agglomeration import Spec, Variance, estimate
from agglomeration.effects import implied_gains
from agglomeration.results import ResultMixin


class _Fit(ResultMixin):
    def __init__(self, b: dict[str, float], se: dict[str, float], df: float | None = None):
        self.params = pd.Series(b)
        self.std_errors = pd.Series(se)
        self._df = df

    @property
    def df_resid(self) -> float | None:
        return self._df


def test_gap_and_doubling_by_hand():
    # x = 0..10: numpy's linear quantiles give x10 = 1, x90 = 9; beta 0.05, se 0.01, normal
    df = pd.DataFrame({"x": np.arange(11.0), "d": np.linspace(0.0, 1.0, 11)})
    fit = _Fit({"x": 0.05, "d": -0.2}, {"x": 0.01, "d": 0.1})
    g = implied_gains(fit, df, {"x": "log", "d": "level"}).set_index("term")
    z = 1.959963984540054
    assert g.loc["x", "spread"] == pytest.approx(8.0)
    assert g.loc["x", "gap"] == pytest.approx(np.exp(0.4) - 1, rel=1e-12)
    assert g.loc["x", "gap_low"] == pytest.approx(np.exp((0.05 - z * 0.01) * 8) - 1, rel=1e-9)
    assert g.loc["x", "gap_high"] == pytest.approx(np.exp((0.05 + z * 0.01) * 8) - 1, rel=1e-9)
    assert g.loc["x", "doubling"] == pytest.approx(2**0.05 - 1, rel=1e-12)
    # a level measure: spread 0.8 of the index, no doubling
    assert g.loc["d", "gap"] == pytest.approx(np.exp(-0.2 * 0.8) - 1, rel=1e-12)
    assert np.isnan(g.loc["d", "doubling"])
    # intervals ordered for a negative coefficient too
    assert g.loc["d", "gap_low"] < g.loc["d", "gap"] < g.loc["d", "gap_high"]


def test_percentiles_over_the_estimation_sample_and_column_override():
    rng = np.random.default_rng(0)
    n = 400
    d = pd.DataFrame({"x": rng.normal(size=n), "g": rng.integers(0, 10, n)})
    d["y"] = 0.3 * d["x"] + rng.normal(size=n)
    d.loc[:49, "y"] = np.nan  # 50 rows not in the sample
    d["x_raw"] = d["x"] * 2
    res = estimate(Spec("y", ("x",), ("g",), variance=Variance("hetero")), d)
    g = implied_gains(res, d, {"x": "level"}, columns={"x": "x_raw"}).iloc[0]
    lo, hi = np.quantile(d.loc[50:, "x_raw"], [0.1, 0.9])
    assert g["column"] == "x_raw"
    assert g["spread"] == pytest.approx(hi - lo, rel=1e-12)
    ci = res.conf_int().loc["x"]
    assert g["gap_high"] == pytest.approx(np.expm1(ci["upper"] * (hi - lo)), rel=1e-12)


def test_bad_input_named():
    df = pd.DataFrame({"x": [1.0, 1.0, 1.0]})
    fit = _Fit({"x": 0.1}, {"x": 0.1})
    with pytest.raises(ValueError, match="no spread"):
        implied_gains(fit, df, {"x": "log"})
    with pytest.raises(ValueError, match="term 'z' is not a coefficient"):
        implied_gains(fit, df, {"z": "log"})
    with pytest.raises(ValueError, match="must be 'log' or 'level'"):
        implied_gains(fit, df, {"x": "ln"})  # type: ignore[dict-item]
    with pytest.raises(KeyError, match="measure column 'q' is not in the data"):
        implied_gains(fit, df, {"x": "log"}, columns={"x": "q"})
