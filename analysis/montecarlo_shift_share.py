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
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from agglomeration.inference import shift_share_regression
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


def replication(args: tuple[int, np.random.SeedSequence, dict]) -> pd.DataFrame:
    """One replication: simulate, estimate, one row per variance estimator."""
    r, child, design = args
    sim = shift_share_akm_design(seed=np.random.default_rng(child), **design)
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
    n_reps: int, seed: int, workers: int = 1, design: dict | None = None
) -> pd.DataFrame:
    """Run the replications (in ``workers`` processes); one row per replication and variance."""
    design = DESIGN if design is None else design
    children = np.random.SeedSequence(seed).spawn(n_reps)
    jobs = [(r, c, design) for r, c in enumerate(children)]
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            parts = list(pool.map(replication, jobs, chunksize=max(1, n_reps // (4 * workers))))
    else:
        parts = [replication(j) for j in jobs]
    return pd.concat(parts, ignore_index=True)


def summarise(reps: pd.DataFrame, design: dict | None = None) -> pd.DataFrame:
    """Coverage and standard-error accuracy by variance estimator."""
    design = DESIGN if design is None else design
    reps = reps.assign(
        finite_se=np.isfinite(reps.std_error),
        length=np.where(reps.ci_kind == "interval", reps.conf_high - reps.conf_low, np.inf),
    )
    g = reps.groupby("variance", sort=False)
    out = pd.DataFrame(
        {
            "coverage": g.covered.mean(),
            "mean_std_error": g.apply(lambda d: d.std_error[d.finite_se].mean()),
            "rms_std_error": g.apply(
                lambda d: float(np.sqrt(np.mean(d.std_error[d.finite_se] ** 2)))
            ),
            "sd_estimate": g.estimate.std(ddof=1),
            "mean_estimate": g.estimate.mean(),
            "median_ci_length": g.length.median(),
            "n_unbounded": g.apply(lambda d: int((~d.finite_se).sum())),
            "n_reps": g.size(),
        }
    ).reset_index()
    out["coverage_mc_se"] = np.sqrt(out.coverage * (1 - out.coverage) / out.n_reps)
    # E[se^2] / Var(estimate): whether the variance estimator is unbiased (AKM0: normalised SE
    # of the bounded sets, the length of the set over 2 * 1.96)
    out["se_ratio"] = out.rms_std_error / out.sd_estimate
    out["truth"] = float(reps.truth.iloc[0])
    out["design"] = "; ".join(f"{k}={v}" for k, v in design.items())
    return out[
        [
            "variance",
            "coverage",
            "coverage_mc_se",
            "mean_std_error",
            "rms_std_error",
            "sd_estimate",
            "se_ratio",
            "mean_estimate",
            "truth",
            "median_ci_length",
            "n_unbounded",
            "n_reps",
            "design",
        ]
    ]


def main(argv: list[str] | None = None) -> pd.DataFrame:
    ap = argparse.ArgumentParser(description="Shift-share (AKM) coverage Monte Carlo")
    ap.add_argument("out", nargs="?", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--reps", type=int, default=500)
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--workers", type=int, default=1)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    table = summarise(replications(args.reps, args.seed, args.workers))
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
