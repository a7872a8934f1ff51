"""Monte Carlo: coverage of 95% intervals under spatially correlated errors (paper appendix).

Reads: nothing (data simulated with ``agglomeration.simulate.regional_panel``).
Produces: the CSV given on the command line (default ``bld/montecarlo/conley_coverage.csv``;
the committed run is ``analysis/montecarlo_conley_coverage.csv``):
one row per variance estimator with the coverage of the true density elasticity, its Monte Carlo
standard error, the mean and root-mean-square standard error, the standard deviation of the
estimates across replications and the ratio rms SE / SD.

Design (stated in the appendix), with the dimensions of the county panel: 3,100 regions on the
continental US (60% around 77 metro centres), 21 years; ``log_wage = a + 0.04 log_density + year effect + e`` with ``e`` spatially
correlated within a year by the circular model of range 150 km (compact support: independent
beyond ``truth.independence_distance_km``, about 166 km) and independent across years
(``rho_serial = 0``); no region effects in the wage equation (so that pooled OLS with year
effects is unbiased). The estimated equation is ``log_wage ~ log_density | year``. Log density is spatially clustered (metro centres), so the scores are
spatially correlated and iid, heteroskedasticity-robust and region-clustered intervals are too
narrow; Conley intervals with a uniform kernel and a cutoff beyond the correlation range should
cover at the nominal rate. Coverage has Monte Carlo standard error
``sqrt(0.95 * 0.05 / reps)`` (about 1 point at 500 replications).

Usage::

    python analysis/montecarlo_conley.py [OUT.csv] [--reps 500] [--seed 20240605]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from agglomeration.estimation import Spec, Variance, compare_variances
from agglomeration.simulate import regional_panel

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "bld" / "montecarlo" / "conley_coverage.csv"

DEFAULT_SEED = 20240605

DESIGN = {
    "n_regions": 3100,
    "n_industries": 5,
    "n_years": 21,
    "spatial_range_km": 150.0,
    "spatial_kernel": "circular",
    "rho_serial": 0.0,
    "sigma_region_fe": 0.0,
    "region_fe_density_loading": 0.0,
}


def variances(independence_km: float) -> list[Variance]:
    """Return the estimators compared, with Conley cutoffs relative to the correlation range."""
    c = independence_km
    return [
        Variance("iid"),
        Variance("hetero"),
        Variance("cluster", cluster=("region",)),
        Variance("conley", cutoff_km=round(1.1 * c, 1), kernel="uniform", time="year"),
        Variance("conley", cutoff_km=round(1.5 * c, 1), kernel="uniform", time="year"),
        Variance("conley", cutoff_km=round(2.0 * c, 1), kernel="bartlett", time="year"),
    ]


def replications(n_reps: int, seed: int) -> pd.DataFrame:
    """Run the replications; one row per replication and variance estimator."""
    spec = Spec("log_wage", ("log_density",), ("year",), name="mc_conley")
    children = np.random.SeedSequence(seed).spawn(n_reps)
    rows = []
    for r, child in enumerate(children):
        sim = regional_panel(seed=np.random.default_rng(child), **DESIGN)  # type: ignore[arg-type]
        vs = variances(sim.truth.independence_distance_km)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tab = compare_variances(spec, sim.panel, vs, term="log_density")
        tab["rep"] = r
        tab["truth"] = sim.truth.beta_density
        rows.append(tab[["rep", "variance", "estimate", "std_error", "conf_low", "conf_high", "truth"]])
    return pd.concat(rows, ignore_index=True)


def summarise(reps: pd.DataFrame) -> pd.DataFrame:
    """Coverage and standard-error accuracy by variance estimator."""
    reps = reps.assign(covered=(reps.conf_low <= reps.truth) & (reps.truth <= reps.conf_high))
    g = reps.groupby("variance", sort=False)
    out = pd.DataFrame(
        {
            "coverage": g.covered.mean(),
            "mean_std_error": g.std_error.mean(),
            "rms_std_error": np.sqrt(g.std_error.apply(lambda x: float(np.mean(x**2)))),
            "sd_estimate": g.estimate.std(ddof=1),
            "mean_estimate": g.estimate.mean(),
            "n_reps": g.size(),
        }
    ).reset_index()
    out["coverage_mc_se"] = np.sqrt(out.coverage * (1 - out.coverage) / out.n_reps)
    # E[se^2] / Var(estimate) is the unbiasedness of the variance estimator; the ratio of the
    # mean SE is smaller by Jensen's inequality (the map is redrawn in every replication).
    out["se_ratio"] = out.rms_std_error / out.sd_estimate
    out["truth"] = float(reps.truth.iloc[0])
    out["design"] = "; ".join(f"{k}={v}" for k, v in DESIGN.items())
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
            "n_reps",
            "design",
        ]
    ]


def main(argv: list[str] | None = None) -> pd.DataFrame:
    ap = argparse.ArgumentParser(description="Conley coverage Monte Carlo")
    ap.add_argument("out", nargs="?", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--reps", type=int, default=500)
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    table = summarise(replications(args.reps, args.seed))
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
