"""Robustness: specification grids run fast, and the checks a referee asks for.

- :mod:`~agglomeration.robustness.grid`: grids declared in TOML as axes over a base spec,
  expanded to :class:`~agglomeration.estimation.Spec` objects; exclusion rules;
- :mod:`~agglomeration.robustness.run`: :func:`run_grid`, which shares work between specs
  (one demeaning per sample and fixed-effect set, Frisch-Waugh-Lovell; several variances per
  fit), caches results by spec id, and runs locally or on a Dask cluster;
- :mod:`~agglomeration.robustness.runner`: :func:`run_tasks`, the runner grids, bootstraps and
  Monte Carlo studies share (per-task seeds, progress bar);
- :mod:`~agglomeration.robustness.curve`: the specification curve of Simonsohn, Simmons & Nelson
  (2020) with inference under the null;
- :mod:`~agglomeration.robustness.checks`: leave-one-group-out estimates, the permutation
  placebo, Oster (2019) bounds, the standard error as a function of the Conley cutoff.
"""

from agglomeration.robustness.checks import (
    OsterBounds,
    PermutationPlacebo,
    conley_cutoff_curve,
    leave_one_out,
    oster_bounds,
    permutation_placebo,
)
from agglomeration.robustness.curve import CurveInference, curve_inference, specification_curve
from agglomeration.robustness.grid import Axis, ExpandedGrid, Grid, Option, Rule, load_grid
from agglomeration.robustness.run import GridResult, run_grid
from agglomeration.robustness.runner import run_tasks, task_generators
from agglomeration.robustness.validate import check_grid

__all__ = [
    "Axis",
    "CurveInference",
    "OsterBounds",
    "PermutationPlacebo",
    "conley_cutoff_curve",
    "curve_inference",
    "leave_one_out",
    "oster_bounds",
    "permutation_placebo",
    "specification_curve",
    "ExpandedGrid",
    "Grid",
    "GridResult",
    "Option",
    "Rule",
    "check_grid",
    "load_grid",
    "run_grid",
    "run_tasks",
    "task_generators",
]
