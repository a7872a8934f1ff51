"""Wooldridge (2009) in prodest's formulations against prodest's published estimates.

Published values: the R package prodest's vignette (Rovigatti, "prodest: production function
estimation in R", vignette of prodest 1.0.1, section 3.3, the table printed by
``printProd(list(WRDG, WRDG.GMM, ROB), ...)``), on the Chilean plants shipped with prodest:

- ``prodestWRDG(Y, fX = cbind(fX1, fX2), sX, pX = inv, idvar, timevar)``:
  beta_sk 0.375, beta_unskil 0.309, beta_k 0.18;
- ``prodestWRDG_GMM(Y, fX = cbind(fX1, fX2), sX, pX, idvar, timevar)`` (electricity):
  0.247, 0.217, 0.058 (N = 1,944).

prodest's polynomial is the full degree-2 polynomial in (state, proxy), so poly_degree=2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from agglomeration.tfp import TFPSpec, estimate
from test_tfp import prodest_published

KW: dict[str, Any] = dict(
    method="wrdg", output="Y", free=("fX1", "fX2"), state=("sX",), unit="idvar",
    time="timevar", poly_degree=2,
)


@pytest.fixture(scope="module")
def chilean(raw_dir: Path) -> pd.DataFrame:
    return pd.read_csv(raw_dir / "prodest_chilean.csv")


def test_prodest_wrdg_reproduces_published_estimates(chilean: pd.DataFrame) -> None:
    r = estimate(TFPSpec(**KW, proxy="inv", wrdg_form="prodest"), chilean)
    published = prodest_published("wrdg_prodest")
    for term, value in published.items():
        assert abs(r.params[term] - value) < 0.01, (term, r.params[term])
    assert r.n_second_stage == 1944
    assert "stacked 2SLS" in r.diagnosis


def test_prodest_wrdg_gmm_reproduces_published_estimates(chilean: pd.DataFrame) -> None:
    r = estimate(TFPSpec(**KW, proxy="pX", wrdg_form="prodest_gmm"), chilean)
    published = prodest_published("wrdg_prodest_gmm")
    for term, value in published.items():
        assert abs(r.params[term] - value) < 0.01, (term, r.params[term])
    assert r.n_second_stage == 1944


def test_forms_differ_and_joint_is_the_default(chilean: pd.DataFrame) -> None:
    joint = estimate(TFPSpec(**KW, proxy="pX"), chilean)
    prodest = estimate(TFPSpec(**KW, proxy="pX", wrdg_form="prodest"), chilean)
    assert joint.spec.wrdg_form == "joint" and "rho" in joint.extra
    # the formulations are different estimators (capital: 0.07 joint vs 0.14 prodest)
    assert abs(joint.params["sX"] - prodest.params["sX"]) > 0.03
