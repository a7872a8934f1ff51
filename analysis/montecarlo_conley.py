"""Monte Carlo: coverage of 95% intervals under spatially and serially correlated errors (appendix).

Reads: nothing (data simulated with ``agglomeration.simulate.regional_panel``).
Produces: the CSV given on the command line (default ``bld/montecarlo/conley_coverage.csv``;
the committed run is ``analysis/montecarlo_conley_coverage.csv``): one row per design and
variance estimator with the coverage of the true density elasticity, its Monte Carlo standard
error, the mean and root-mean-square standard error, the standard deviation of the estimates
across replications and the ratio rms SE / SD; the ``design`` column starts with the design's
name.

Designs, with the dimensions of the county panel: 3,100 regions on the continental US (60%
around 77 metro centres), 21 years; ``log_wage = a + 0.04 log_density + year effect + e``,
estimated as ``log_wage ~ log_density | year``. Log density is spatially clustered (metro
centres), so the scores are spatially correlated.

- ``within_year``: ``e`` spatially correlated within a year by the circular model of range 150 km
  (compact support: independent beyond ``truth.independence_distance_km``, about 166 km),
  independent across years, no region effects. Conley intervals within year with a cutoff
  beyond the range should cover; iid, robust and region-clustered ones should not.
- ``serial_county_effects``: the same spatial field, now AR(1) across years (rho 0.6), plus
  region (county) effects (s.d. 0.1) unrelated to density, so that the errors of a region are
  correlated across all its years, and those of neighbours across years too. This is the design
  the paper's serial Conley (within-year Conley plus Bartlett-weighted serial correlation within a
  county, Hsiang 2010) and state-clustered standard errors are meant for. "States" are boxes of
  5 degrees of latitude by 7 of longitude (33 of them, tens to hundreds of regions each).

Every replication is one task of :func:`agglomeration.robustness.run_tasks` with its own seed:
replication ``r`` of the ``j``-th design uses the ``r``-th child of ``SeedSequence(seed)`` for
``within_year`` (the draws of the earlier single-design script) and of
``SeedSequence([seed, j])`` for the others, so results depend neither on the number of workers
nor on which designs run together. The variances of a replication come from one fit
(:func:`agglomeration.robustness.run_grid`, equal to ``estimate()``). Coverage has Monte Carlo
standard error ``sqrt(0.95 * 0.05 / reps)`` (about 1 point at 500 replications).

Usage::

    python analysis/montecarlo_conley.py [OUT.csv] [--reps 500] [--seed 20240605]
        [--designs within_year serial_county_effects] [--workers 1] [--scheduler ADDRESS]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from agglomeration.estimation import Spec, Variance
from agglomeration.inference import coverage_table
from agglomeration.robustness import run_grid, run_tasks
from agglomeration.simulate import regional_panel

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "bld" / "montecarlo" / "conley_coverage.csv"

DEFAULT_SEED = 20240605

DESIGNS: dict[str, dict[str, Any]] = {
    "within_year": {
        "n_regions": 3100,
        "n_industries": 5,
        "n_years": 21,
        "spatial_range_km": 150.0,
        "spatial_kernel": "circular",
        "rho_serial": 0.0,
        "sigma_region_fe": 0.0,
        "region_fe_density_loading": 0.0,
    },
    "serial_county_effects": {
        "n_regions": 3100,
        "n_industries": 5,
        "n_years": 21,
        "spatial_range_km": 150.0,
        "spatial_kernel": "circular",
        "rho_serial": 0.6,
        "sigma_region_fe": 0.1,
        "region_fe_density_loading": 0.0,
    },
}
DESIGN = DESIGNS["within_year"]
STATE_BOX_DEG = (5.0, 7.0)


def states(lat: pd.Series, lon: pd.Series) -> pd.Series:
    """Pseudo-states: boxes of 5 degrees of latitude by 7 of longitude."""
    dlat, dlon = STATE_BOX_DEG
    return (np.floor((lat - 24.0) / dlat) * 100 + np.floor((lon + 125.0) / dlon)).astype(int)


def variances(
    independence_km: float, design: str = "within_year", n_years: int = 21
) -> list[Variance]:
    """Return the estimators compared, with Conley cutoffs relative to the correlation range."""
    c = independence_km
    out = [
        Variance("iid"),
        Variance("hetero"),
        Variance("cluster", cluster=("region",)),
        Variance("conley", cutoff_km=round(1.1 * c, 1), kernel="uniform", time="year"),
        Variance("conley", cutoff_km=round(1.5 * c, 1), kernel="uniform", time="year"),
        Variance("conley", cutoff_km=round(2.0 * c, 1), kernel="bartlett", time="year"),
    ]
    if design != "within_year":
        lags = n_years - 1
        out += [
            Variance("cluster", cluster=("state",)),
            Variance("conley", cutoff_km=round(1.1 * c, 1), time="year", unit="region", lags=lags),
            Variance("conley", cutoff_km=round(1.5 * c, 1), time="year", unit="region", lags=lags),
        ]
    return out


def replicate(design: str, *, rng: np.random.Generator) -> pd.DataFrame:
    """One replication of a design: the density term under every variance estimator."""
    params = DESIGNS[design]
    sim = regional_panel(seed=rng, **params)
    d = sim.panel
    if design != "within_year":
        d = d.assign(state=states(d["lat"], d["lon"]))
    spec = Spec("log_wage", ("log_density",), ("year",), name="mc_conley")
    vs = variances(sim.truth.independence_distance_km, design, params["n_years"])
    res = run_grid([spec.with_variance(v) for v in vs], d, progress=False)
    tab = res.table.loc[res.table["term"] == "log_density"]
    return tab[["variance", "estimate", "std_error", "conf_low", "conf_high"]].assign(
        truth=sim.truth.beta_density, design=design
    )


def _task(task: tuple[str, int], *, rng: np.random.Generator) -> pd.DataFrame:
    design, rep = task
    return replicate(design, rng=rng).assign(rep=rep)


def replications(
    n_reps: int,
    seed: int,
    design: str | list[str] = "within_year",
    *,
    n_workers: int = 1,
    scheduler: Any = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Run the replications; one row per design, replication and variance estimator."""
    designs = [design] if isinstance(design, str) else list(design)
    order = [d for d in DESIGNS if d in designs]
    tasks = [(d, r) for d in order for r in range(n_reps)]
    roots = {
        d: np.random.SeedSequence(seed if j == 0 else [seed, j]) for j, d in enumerate(DESIGNS)
    }
    seeds = [s for d in order for s in roots[d].spawn(n_reps)]
    out = run_tasks(
        _task,
        tasks,
        seed=seeds,
        n_workers=n_workers,
        scheduler=scheduler,
        progress=progress,
        desc="Monte Carlo replications",
    )
    cols = ["design", "rep", "variance", "estimate", "std_error", "conf_low", "conf_high", "truth"]
    return pd.concat(out, ignore_index=True)[cols]


def summarise(reps: pd.DataFrame) -> pd.DataFrame:
    """Coverage and standard-error accuracy by design and variance estimator (``coverage_table``).

    The map is redrawn in every replication, so the truth is the same in every one.
    """
    if "design" not in reps.columns:
        reps = reps.assign(design="within_year")
    out = coverage_table(reps.drop(columns=["covered"], errors="ignore"), by=("design", "variance"))
    out = out.drop(columns=["median_ci_length", "n_unbounded"])
    out["design"] = [
        f"{d}: "
        + "; ".join(f"{k}={v}" for k, v in DESIGNS[d].items())
        + ("; states=5x7 degree boxes" if d != "within_year" else "")
        for d in out["design"]
    ]
    return out[["variance", *(c for c in out.columns if c not in ("variance", "design")), "design"]]


def main(argv: list[str] | None = None) -> pd.DataFrame:
    ap = argparse.ArgumentParser(description="Conley coverage Monte Carlo")
    ap.add_argument("out", nargs="?", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--reps", type=int, default=500)
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--designs", nargs="+", default=list(DESIGNS), choices=list(DESIGNS))
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--scheduler", default=None, help="Dask scheduler address")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    reps = replications(
        args.reps,
        args.seed,
        args.designs,
        n_workers=args.workers,
        scheduler=args.scheduler,
        progress=True,
    )
    table = summarise(reps)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(f".{args.out.name}.tmp")
    table.to_csv(tmp, index=False, float_format="%.6g")
    os.replace(tmp, args.out)
    with pd.option_context("display.width", 200):
        print(table.assign(design=table.design.str.split(":").str[0]).to_string(index=False))
    print(f"{args.reps} replications per design in {time.perf_counter() - t0:.0f} s -> {args.out}")
    return table


if __name__ == "__main__":
    main(sys.argv[1:])
