"""Levinsohn & Petrin (2003): the OP two-step estimator with an intermediate-input proxy.

Levinsohn & Petrin (2003, eq. 4-6) replace OP's investment proxy by an intermediate input
(electricity, materials), which is positive for nearly every plant-year. Stage 1 and stage 2
are those of :mod:`agglomeration.tfp.op`; the second stage is the non-linear least-squares
criterion used by the R package prodest (Rovigatti 2017).
"""

from __future__ import annotations

import numpy as np

from agglomeration.tfp._common import FloatArray, Panel
from agglomeration.tfp._fit import Fit, Options
from agglomeration.tfp.op import fit_oplp


def fit_lp(
    panel: Panel,
    opts: Options,
    rng: np.random.Generator,
    starts: FloatArray | None = None,
) -> Fit:
    """Estimate LP on ``panel``; see :func:`agglomeration.tfp.op.fit_oplp`."""
    return fit_oplp(panel, opts, rng, starts, label="LP")
