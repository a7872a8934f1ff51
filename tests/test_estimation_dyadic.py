"""The dyadic variance through estimate() equals the inference module's dyadic OLS."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from agglomeration import Spec, Variance, estimate
from agglomeration.inference import dyadic_ols


@pytest.fixture(scope="module")
def dyads() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    g = 30
    a = rng.normal(size=g)
    pairs = np.array(list(itertools.combinations(range(g), 2)))
    i, j = pairs[:, 0], pairs[:, 1]
    x = a[i] + a[j] + rng.normal(size=len(i))
    u = rng.normal(size=g)
    y = 0.5 * x + u[i] + u[j] + rng.normal(size=len(i))
    return pd.DataFrame({"i": i, "j": j, "x": x, "y": y})


def test_dyadic_variance_equals_dyadic_ols(dyads):
    spec = Spec(outcome="y", regressors=("x",), variance=Variance("dyadic", node_a="i", node_b="j"))
    res = estimate(spec, dyads)
    ref = dyadic_ols(dyads["y"], dyads[["x"]], dyads["i"], dyads["j"])
    assert res.params["x"] == pytest.approx(ref.params["x"], rel=1e-10)
    assert res.std_errors["x"] == pytest.approx(ref.std_errors["x"], rel=1e-8)
    assert res.n_clusters == 30 and res.df is None
    # dyadic SEs exceed heteroskedasticity-robust ones when nodes share effects
    het = estimate(spec.with_variance(Variance("hetero")), dyads)
    assert res.std_errors["x"] > 1.5 * het.std_errors["x"]
