"""agglomeration: an econometric toolkit on industrial clusters, productivity and innovation.

The names a user needs are importable from the top level::

    from agglomeration import Spec, Variance, estimate, compare_variances, load_specs

Everything else lives in the subpackages: :mod:`agglomeration.data` (acquisition and raw
readers), :mod:`agglomeration.panels` (the built panels), :mod:`agglomeration.measures`,
:mod:`agglomeration.spatial`, :mod:`agglomeration.estimation`, :mod:`agglomeration.inference`,
:mod:`agglomeration.tfp`, :mod:`agglomeration.report`, :mod:`agglomeration.simulate`; names
starting with an underscore are private. Every error the package raises on purpose derives from
:class:`AgglomerationError` (:mod:`agglomeration.errors`).
"""

from agglomeration.errors import (
    AgglomerationError,
    ColumnMissingError,
    ColumnTypeError,
    ConvergenceError,
    DataIntegrityError,
    EstimationError,
    InputError,
    SpecError,
)
from agglomeration.estimation import (
    EstimationResult,
    Spec,
    Variance,
    compare_variances,
    estimate,
    estimate_variances,
    load_specs,
    standard_variances,
)
from agglomeration.results import ResultMixin

__version__ = "0.1.0"

__all__ = [
    "AgglomerationError",
    "ColumnMissingError",
    "ColumnTypeError",
    "ConvergenceError",
    "DataIntegrityError",
    "EstimationError",
    "EstimationResult",
    "InputError",
    "ResultMixin",
    "Spec",
    "SpecError",
    "Variance",
    "__version__",
    "compare_variances",
    "estimate",
    "estimate_variances",
    "load_specs",
    "standard_variances",
]
