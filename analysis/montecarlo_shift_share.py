"""Monte Carlo: coverage of 95% intervals in a shift-share regression (paper appendix).

Reads: nothing (data simulated with ``agglomeration.simulate.shift_share_dgp``).
Produces: the CSV given on the command line (default ``bld/montecarlo/shift_share_coverage.csv``;
the committed run is ``analysis/montecarlo_shift_share_coverage.csv``): one row per variance
estimator (EHW, AKM, AKM0) with the coverage of the true coefficient, its Monte Carlo standard
error, the mean and root-mean-square standard error, the standard deviation of the estimates
across replications, the ratio rms SE / SD, the number of unbounded AKM0 sets, the median
interval length, and the design constants.

Design (stated in the appendix; Adão, Kolesár & Morales 2019, Section III): 1,000 regions and
200 industries; each region's industry mix is ``Dirichlet(0.3 * 200 * p)`` around national
shares ``p ~ Dirichlet(20, ..., 20)`` (complete shares); observed shocks ``g_s ~ N(0, 1)``;
unobserved industry shocks ``nu_s ~ N(0, 3^2)`` reach the error through the same shares,
``e_r = sum_s w_rs nu_s + N(0, 0.5^2)``, so regions with similar industry mixes have correlated
errors wherever they are; ``y = x + 0.5 z + e`` with exposure ``x_r = sum_s w_rs g_s`` and a
control ``z = 0.5 x + N(0, 1)``. Everything is redrawn in every replication. The estimated
equation is ``y ~ x + z`` (with a constant). EHW treats regions as independent and is too
narrow; AKM (no small-sample factor) and AKM0 (null imposed, test inversion) should cover at
the nominal rate. Coverage has Monte Carlo standard error ``sqrt(0.95 * 0.05 / reps)`` (about 1
point at 500 replications). An AKM0 set that is the complement of an interval covers when the
truth lies outside the excluded interval.

Replication ``i`` uses the ``i``-th child of ``numpy.random.SeedSequence(seed)``, so the output
does not depend on ``--workers``.

Usage::

    python analysis/montecarlo_shift_share.py [OUT.csv] [--reps 500] [--seed 20240611] [--workers 1]
"""

from __future__ import annotations

import os

# One BLAS thread per process: the matrices are small and threads only contend for the cores.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from agglomeration.inference import coverage_table, shift_share_regression
from agglomeration.robustness import run_tasks
from agglomeration.simulate.shift_share_dgp import shift_share_akm_design

DEFAULT_OUT = (
    Path(__file__).resolve().parents[1] / "bld" / "montecarlo" / "shift_share_coverage.csv"
)

DEFAULT_SEED = 20240611

DESIGN = {
    "n_regions": 1000,
    "n_industries": 200,
    "beta": 1.0,
    "gamma": 0.5,
    "sigma_shock": 1.0,
    "sigma_industry_error": 3.0,
    "sigma_region_error": 0.5,
    "mix_concentration": 0.3,
    "size_concentration": 20.0,
    "share_sum_range": (1.0, 1.0),
    "z_loading": 0.5,
}


def replication(task: tuple[int, dict], *, rng: np.random.Generator) -> pd.DataFrame:
    """One replication: simulate, estimate, one row per variance estimator."""
    r, design = task
    sim = shift_share_akm_design(seed=rng, **design)
    res = shift_share_regression(
        sim.regions["y"].to_numpy(),
        sim.share_matrix,
        sim.shocks.to_numpy(),
        sim.regions[["z"]].to_numpy(),
    )
    tab = res.inference_table(0.95)
    tab["rep"] = r
    tab["truth"] = sim.truth.beta
    inside = (tab.conf_low <= tab.truth) & (tab.truth <= tab.conf_high)
    # a complement set (-inf, lo] U [hi, inf) covers when the truth is not inside (lo, hi)
    outside = (tab.truth <= tab.conf_low) | (tab.truth >= tab.conf_high)
    tab["covered"] = np.where(tab.ci_kind == "complement", outside, inside)
    return tab


def replications(
    n_reps: int,
    seed: int,
    workers: int = 1,
    design: dict | None = None,
    *,
    scheduler: Any = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Run the replications; one row per replication and variance estimator.

    Replication ``i`` draws from the ``i``-th child of ``SeedSequence(seed)`` on the project's
    task runner (:func:`agglomeration.robustness.run_tasks`: inline, ``workers`` local
    processes or a Dask ``scheduler``), so the result does not depend on where it ran.
    """
    design = DESIGN if design is None else design
    parts = run_tasks(
        replication,
        [(r, design) for r in range(n_reps)],
        seed=seed,
        n_workers=workers,
        scheduler=scheduler,
        progress=progress,
        desc="Monte Carlo replications",
    )
    return pd.concat(parts, ignore_index=True)


def summarise(reps: pd.DataFrame, design: dict | None = None) -> pd.DataFrame:
    """Coverage and standard-error accuracy by variance estimator (``coverage_table``).

    AKM0 sets that are not bounded intervals have infinite length and standard error; their
    ``se_ratio`` uses the normalised standard error of the bounded sets (length / (2 x 1.96)).
    """
    design = DESIGN if design is None else design
    out = coverage_table(reps, by=("variance",))
    out["design"] = "; ".join(f"{k}={v}" for k, v in design.items())
    return out


def main(argv: list[str] | None = None) -> pd.DataFrame:
    ap = argparse.ArgumentParser(description="Shift-share (AKM) coverage Monte Carlo")
    ap.add_argument("out", nargs="?", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--reps", type=int, default=500)
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--scheduler", default=None, help="Dask scheduler address")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    reps = replications(args.reps, args.seed, args.workers, scheduler=args.scheduler, progress=True)
    table = summarise(reps)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(f".{args.out.name}.tmp")
    table.to_csv(tmp, index=False, float_format="%.6g")
    os.replace(tmp, args.out)
    with pd.option_context("display.width", 200):
        print(table.drop(columns="design").to_string(index=False))
    print(f"{args.reps} replications in {time.perf_counter() - t0:.0f} s -> {args.out}")
    return table


if __name__ == "__main__":
    main(sys.argv[1:])
