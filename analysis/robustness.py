"""Step `robustness`: the paper's specification grids and the robustness checks of the baseline.

Reads: analysis/grids/*.toml (each names its panel), analysis/specs/county_baseline.toml,
bld/panels/<panel>.parquet (a grid whose panel is not built yet is skipped, with a message).
Produces, under bld/robustness/ (results cached by spec id in bld/robustness/cache/, so a rerun
after an interruption computes only what is missing):

- <grid>/specs.csv (every spec with its choices, status and the reason if it failed),
  <grid>/estimates.csv (registry rows: one per spec x term), <grid>/curve.csv (the sorted
  specification curve with its choices), <grid>/curve_inference.csv (median estimate and shares
  of significant estimates against their distribution under the null), <grid>/curve_null.csv;
- baseline/leave_one_state_out.csv, baseline/permutation_placebo.csv (draws) and
  baseline/permutation_summary.csv, baseline/oster.csv, baseline/conley_cutoffs.csv;
- figures: bld/figures/robustness_<grid>_curve.pdf, robustness_leave_one_state_out.pdf,
  robustness_permutation.pdf, robustness_conley_cutoffs.pdf;
- bld/estimates/robustness_summary.csv: one row per (check, statistic) with its value, for the
  registry (keys: check, statistic; numeric: value).

Usage::

    python analysis/robustness.py [--workers 2] [--scheduler tcp://HOST:PORT] [--n-boot 1000]
                                  [--n-draws 500] [--grids NAME ...] [--no-checks]
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from agglomeration.estimation import Variance, load_specs
from agglomeration.report.figures import save_figure, specification_curve_plot
from agglomeration.robustness import (
    conley_cutoff_curve,
    curve_inference,
    leave_one_out,
    load_grid,
    oster_bounds,
    permutation_placebo,
    run_grid,
    specification_curve,
)
from agglomeration.robustness.derive import derive_columns
from agglomeration.robustness.figures import plot_conley_cutoffs, plot_permutation

from project_paths import BLD, ESTIMATES, FIGURES, PANELS, ROOT, SPECS, write_csv
from step import Step, run_main

GRIDS = ROOT / "analysis" / "grids"
OUT = BLD / "robustness"
CACHE = OUT / "cache"
BASELINE = "county_baseline"
BOOT_CLUSTER = "state_fips"
# Oster (2019): observed controls of the long regression: the firm size and the sorting control
# of DESIGN.md (the share of adults with a BA+).
OSTER_CONTROLS = ["log_firm_size", "pct_baplus"]
OSTER_DERIVE = {"log_firm_size": "log(employment / establishments)"}
CONLEY_CUTOFFS = (25, 50, 75, 100, 150, 200, 250, 300, 400, 500, 750, 1000)
SERIAL_LAGS = 20


FIGURE_NAMES = (
    "robustness_county_pay_density_curve",
    "robustness_county_patents_density_curve",
    "robustness_county_sector_pay_localisation_curve",
    "robustness_permutation",
    "robustness_conley_cutoffs",
)
STEP = Step(
    "robustness",
    reads=(GRIDS, SPECS, *(PANELS / f"{p}.parquet" for p in ("county", "county_sector"))),
    produces=(
        OUT,
        *(FIGURES / f"{n}.pdf" for n in FIGURE_NAMES),
        ESTIMATES / "robustness_summary.csv",
    ),
    summary="specification grids and curves, leave-one-state-out, placebo, Oster, Conley cutoffs",
)


def run_one_grid(path: Path, args: argparse.Namespace, summary: list[dict[str, Any]]) -> None:
    grid = load_grid(path)
    panel = PANELS / f"{grid.data}.parquet"
    if not panel.exists():
        print(f"{grid.name}: skipped, panel {panel.name} not built (pending)")
        return
    data = pd.read_parquet(panel)
    t0 = time.perf_counter()
    ex = grid.expand()
    res = run_grid(
        ex,
        data,
        cache_dir=CACHE,
        n_workers=args.workers,
        scheduler=args.scheduler,
        boot_cluster=BOOT_CLUSTER if grid.base.estimator == "ols" else None,
    )
    secs = time.perf_counter() - t0
    out = OUT / grid.name
    specs = ex.choices.merge(res.status.drop(columns="focal"), on="spec_id")
    write_csv(out / "specs.csv", specs)
    write_csv(out / "estimates.csv", res.table)
    curve = specification_curve(res)
    write_csv(out / "curve.csv", curve)
    axes = {a.name: [o.label for o in a.options] for a in grid.axes}
    null_median = None
    rows = {
        "n_specs": len(res.specs),
        "n_estimated": int((res.status.status == "ok").sum()),
        "n_failed": len(res.failed),
        "median_estimate": float(curve["estimate"].median()),
        "min_estimate": float(curve["estimate"].min()),
        "max_estimate": float(curve["estimate"].max()),
        "share_significant_positive": float((curve.significant & (curve.sign > 0)).mean()),
        "share_significant_negative": float((curve.significant & (curve.sign < 0)).mean()),
    }
    if res.boot:
        inf = curve_inference(res, n_boot=args.n_boot, seed=args.seed, progress=True)
        write_csv(out / "curve_inference.csv", inf.summary)
        write_csv(out / "curve_null.csv", inf.null)
        for r in inf.summary.itertuples():
            rows[f"p_value_{r.statistic}"] = float(r.p_value)
        null_median = float(inf.null["median_estimate"].median())
    for k, v in rows.items():
        summary.append({"check": grid.name, "statistic": k, "value": v})
    choices = curve[["spec_id"]].assign(
        **{a: pd.Categorical(curve[a], categories=opts, ordered=True) for a, opts in axes.items()}
    )
    fig, _ = specification_curve_plot(
        curve[["spec_id", "rank", "estimate", "conf_low", "conf_high"]],
        choices,
        ylabel=f"estimate of {grid.focal} (95% interval)",
        null_median=null_median,
    )
    save_figure(fig, FIGURES / f"robustness_{grid.name}_curve.pdf")
    print(
        f"{grid.name}: {rows['n_estimated']:,} of {rows['n_specs']:,} specs estimated "
        f"({rows['n_failed']} failed) in {secs:.0f} s; median {rows['median_estimate']:.4f}"
    )


def baseline_checks(args: argparse.Namespace, summary: list[dict[str, Any]]) -> None:
    base = next(s for s in load_specs(SPECS / f"{BASELINE}.toml") if s.name == BASELINE)
    data = derive_columns(pd.read_parquet(PANELS / f"{base.data}.parquet"), OSTER_DERIVE)
    out = OUT / "baseline"
    run: dict[str, Any] = {"n_workers": args.workers, "scheduler": args.scheduler}

    loo = leave_one_out(base, data, by="state_fips", **run)
    write_csv(out / "leave_one_state_out.csv", loo)
    ok = loo.loc[(loo.left_out != "") & (loo.status == "ok")]
    summary += [
        {"check": "leave_one_state_out", "statistic": "min_estimate", "value": ok.estimate.min()},
        {"check": "leave_one_state_out", "statistic": "max_estimate", "value": ok.estimate.max()},
        {
            "check": "leave_one_state_out",
            "statistic": "n_failed",
            "value": float((loo.status != "ok").sum()),
        },
    ]

    pp = permutation_placebo(
        base,
        data,
        column="log_density",
        unit="fips",
        within="state_fips",
        time="year",
        n_draws=args.n_draws,
        seed=args.seed,
        **run,
    )
    write_csv(out / "permutation_placebo.csv", pp.draws)
    perm = pd.DataFrame(
        [
            {
                "observed": pp.observed,
                "rank": pp.rank,
                "p_value": pp.p_value,
                "n_draws": len(pp.draws),
                "seed": args.seed,
            }
        ]
    )
    write_csv(out / "permutation_summary.csv", perm)
    summary += [
        {"check": "permutation_placebo", "statistic": "p_value", "value": pp.p_value},
        {"check": "permutation_placebo", "statistic": "rank", "value": float(pp.rank)},
        {
            "check": "permutation_placebo",
            "statistic": "sd_placebo",
            "value": float(pp.draws.estimate.std()),
        },
    ]
    save_figure(
        plot_permutation(
            pp.draws["estimate"],
            pp.observed,
            title="log density reassigned across counties within states",
        ),
        FIGURES / "robustness_permutation.pdf",
    )

    long = replace(base, regressors=(*base.regressors, *OSTER_CONTROLS))
    ob = oster_bounds(long, data, controls=OSTER_CONTROLS)
    write_csv(out / "oster.csv", ob.to_frame().assign(controls=" + ".join(OSTER_CONTROLS)))
    summary += [
        {"check": "oster", "statistic": "delta_for_zero", "value": ob.delta_for_zero},
        {"check": "oster", "statistic": "beta_adjusted", "value": ob.beta_adjusted},
        {"check": "oster", "statistic": "r_max", "value": ob.r_max},
    ]

    refs = [Variance("hetero"), Variance("cluster", cluster=["state_fips"])]
    within = conley_cutoff_curve(
        base, data, cutoffs_km=CONLEY_CUTOFFS, time="year", references=refs, **run
    )
    serial = conley_cutoff_curve(
        base,
        data,
        cutoffs_km=CONLEY_CUTOFFS,
        time="year",
        unit="fips",
        lags=SERIAL_LAGS,
        references=refs,
        **run,
    )
    cc = pd.concat([within.assign(serial=False), serial.assign(serial=True)], ignore_index=True)
    write_csv(out / "conley_cutoffs.csv", cc)
    for r in within.loc[within.variance_type == "conley"].itertuples():
        summary.append(
            {
                "check": "conley_cutoff",
                "statistic": f"se_{r.cutoff_km:g}km",
                "value": float(r.std_error),
            }
        )
    save_figure(
        plot_conley_cutoffs(cc, title="county baseline: SE against the Conley cutoff"),
        FIGURES / "robustness_conley_cutoffs.pdf",
    )
    print(f"baseline checks: placebo p = {pp.p_value:.4f}; Oster delta = {ob.delta_for_zero:.2f}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="the paper's robustness grids and checks")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--scheduler", default=None, help="Dask scheduler address")
    ap.add_argument("--n-boot", type=int, default=1000)
    ap.add_argument("--n-draws", type=int, default=500)
    ap.add_argument("--seed", type=int, default=20240605)
    ap.add_argument("--grids", nargs="*", default=None, help="grid names (default: all)")
    ap.add_argument("--no-checks", action="store_true", help="grids only")
    args = ap.parse_args(argv)
    summary: list[dict[str, Any]] = []
    for path in sorted(GRIDS.glob("*.toml")):
        if args.grids is None or path.stem in args.grids:
            run_one_grid(path, args, summary)
    if not args.no_checks:
        baseline_checks(args, summary)
    write_csv(ESTIMATES / "robustness_summary.csv", pd.DataFrame(summary))
    return 0


if __name__ == "__main__":
    sys.exit(run_main(STEP, main))
