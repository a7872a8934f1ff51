"""Levinsohn & Petrin (2003): the OP two-step estimator with an intermediate-input proxy.

Levinsohn & Petrin (2003, eq. 4-6) replace OP's investment proxy by an intermediate input
(electricity, materials), which is positive for nearly every plant-year. Stage 1 and stage 2
are those of :mod:`agglomeration.tfp.op`; the second stage is the non-linear least-squares
criterion used by the R package prodest (Rovigatti 2017).
"""

from __future__ import annotations

from agglomeration.tfp._common import FloatArray, Panel
from agglomeration.tfp._fit import Fit
from agglomeration.tfp.op import fit_oplp
from agglomeration.tfp.spec import TFPSpec


def fit_lp(panel: Panel, spec: TFPSpec, starts: FloatArray | None = None) -> Fit:
    """Estimate LP on ``panel``; see :func:`agglomeration.tfp.op.fit_oplp`."""
    return fit_oplp(panel, spec, starts, label="LP")
