"""Plant (block) bootstrap for the production-function estimators.

Each replication draws plants with replacement, keeps every drawn plant's full time
series, and gives each draw a new plant id so that a plant drawn twice forms two panels
(lags never cross copies). Replication r uses its own generator seeded from
``numpy.random.SeedSequence(seed).spawn(n_boot)[r]``, so results do not depend on the
number of worker processes. Numerical estimators start each replication from the point
estimate's optimum. Just-identified ACF applies the point estimator's own rule in every
replication, from the point estimate and the two base starts of the resample (pooled OLS
and the first-stage coefficients): a replication's moments can have other roots, and a solver
started at the point estimate alone can end at a distant one. A replication counts only if it
ends at an exact root (``require_root`` is forced on); otherwise it is a failed replication.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from agglomeration.errors import AgglomerationError, InputError
from agglomeration.tfp._common import FloatArray, IntArray, Panel
from agglomeration.tfp._fit import Fit
from agglomeration.tfp.spec import TFPSpec

Fitter = Callable[..., Fit]


@dataclass(frozen=True)
class BootstrapOutput:
    """Bootstrap draws of the parameters.

    Attributes
    ----------
    draws : ndarray, shape (n_boot, k)
        Parameter estimates per replication; rows of failed replications are NaN.
    failed : int
        Number of replications whose estimation failed.
    messages : tuple of str
        Distinct failure messages.
    """

    draws: FloatArray
    failed: int
    messages: tuple[str, ...]


def resample_plants(panel: Panel, rng: np.random.Generator) -> Panel:
    """Draw as many plants as the panel has, with replacement, with fresh plant ids."""
    change = np.r_[True, panel.plant[1:] != panel.plant[:-1]]
    first = np.nonzero(change)[0]
    counts = np.diff(np.r_[first, panel.n])
    g = first.size
    draw = rng.integers(0, g, size=g)
    lens = counts[draw]
    total = int(lens.sum())
    offsets = np.cumsum(lens) - lens
    rows: IntArray = np.repeat(first[draw], lens) + (np.arange(total) - np.repeat(offsets, lens))
    new_plant: IntArray = np.repeat(np.arange(g, dtype=np.int64), lens)
    return panel.take(rows.astype(np.int64), new_plant)


def _one_replication(
    task: int,
    *,
    shared: tuple[Fitter, Panel, TFPSpec, FloatArray | None],
    rng: np.random.Generator,
) -> tuple[FloatArray, str | None]:
    """Estimate on one plant-bootstrap sample: ``(params, None)``, or NaNs and the error."""
    fitter, panel, spec, start = shared
    k = panel.free.shape[1] + panel.state.shape[1]
    sample = resample_plants(panel, rng)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            if spec.just_identified and start is not None:
                fit = fitter(sample, replace(spec, n_starts=2), None, prepend=start)
            else:
                fit = fitter(sample, spec, None if start is None else start[None, :])
        return np.asarray(fit.params, dtype=np.float64), None
    except (AgglomerationError, np.linalg.LinAlgError, ValueError, RuntimeError) as exc:
        return np.full(k, np.nan), f"{type(exc).__name__}: {exc}"


def bootstrap(
    fitter: Fitter,
    panel: Panel,
    spec: TFPSpec,
    *,
    start: FloatArray | None,
    n_boot: int,
    seed: int,
    n_jobs: int = 1,
    scheduler: Any = None,
    progress: bool = True,
) -> BootstrapOutput:
    """Re-estimate on ``n_boot`` plant-bootstrap samples, in parallel or on a Dask cluster.

    The replications run through :func:`agglomeration.robustness.run_tasks`, the project's one
    runner for Monte Carlo and bootstrap loops: replication ``r`` draws from
    ``default_rng(SeedSequence(seed).spawn(n_boot)[r])``, so the draws do not depend on
    ``n_jobs`` or on the cluster.

    Parameters
    ----------
    fitter : callable
        ``fitter(panel, spec, starts) -> Fit``.
    panel : Panel
        The estimation sample.
    spec : TFPSpec
        The specification of the point estimate.
    start : ndarray or None
        Starting values reused in every replication (the point estimate's optimum, for
        speed); ``None`` for closed-form estimators.
    n_boot : int
        Number of replications.
    seed : int
        Root of the per-replication ``SeedSequence``.
    n_jobs : int
        Worker processes (1 = run in this process).
    scheduler : str or distributed.Client, optional
        Run the replications on this Dask cluster.
    progress : bool
        Show a progress bar.

    Returns
    -------
    BootstrapOutput
    """
    if n_boot < 2:
        raise InputError(f"n_boot must be at least 2 for standard errors; got {n_boot}.")
    from agglomeration.robustness.runner import run_tasks

    spec = replace(spec, require_root=True)
    results = run_tasks(
        _one_replication,
        list(range(n_boot)),
        shared=(fitter, panel, spec, start),
        seed=seed,
        scheduler=scheduler,
        n_workers=n_jobs,
        progress=progress,
        desc=f"{spec.method} bootstrap",
    )
    draws = np.vstack([r[0] for r in results])
    errors = [r[1] for r in results if r[1] is not None]
    failed = int(np.isnan(draws).any(axis=1).sum())
    return BootstrapOutput(draws=draws, failed=failed, messages=tuple(sorted(set(errors))))
