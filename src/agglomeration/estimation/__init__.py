"""Declarative specifications and tidy estimation (OLS, Poisson, IV with fixed effects).

- :mod:`~agglomeration.estimation.spec`: the frozen :class:`Spec`, its id, TOML spec files;
- :mod:`~agglomeration.estimation.variance`: one class per variance estimator (iid, hetero,
  cluster, Driscoll-Kraay; Conley and dyadic in :mod:`~agglomeration.estimation.variance_geo`),
  each with the same small interface;
- :mod:`~agglomeration.estimation.sample`: the estimation sample and the report of every row
  removed;
- :mod:`~agglomeration.estimation.engine`: the pyfixest adapter (the only module that touches
  the engine);
- :mod:`~agglomeration.estimation.result`: :class:`EstimationResult`, with the package's shared
  result interface;
- :mod:`~agglomeration.estimation.api`: :func:`estimate`, :func:`estimate_variances`,
  :func:`compare_variances`.
"""

from agglomeration.estimation.api import compare_variances, estimate, estimate_variances
from agglomeration.estimation.result import REGISTRY_COLUMNS, EstimationResult
from agglomeration.estimation.spec import LinearTest, Spec, load_linear_tests, load_specs
from agglomeration.estimation.variance import (
    IID,
    Cluster,
    Covariance,
    DriscollKraay,
    Hetero,
    Variance,
)
from agglomeration.estimation.variance_geo import Conley, Dyadic, standard_variances

__all__ = [
    "IID",
    "LinearTest",
    "REGISTRY_COLUMNS",
    "Cluster",
    "Conley",
    "Covariance",
    "DriscollKraay",
    "Dyadic",
    "EstimationResult",
    "Hetero",
    "Spec",
    "Variance",
    "compare_variances",
    "estimate",
    "estimate_variances",
    "load_linear_tests",
    "load_specs",
    "standard_variances",
]
