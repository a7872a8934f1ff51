"""Production-function table for the Chilean plants (issue 6).

Reads: bld/panels/plants.parquet (the Chilean plant panel, built by `build`).
Produces: a LaTeX booktabs table and a tidy CSV (one row per method x term).

Usage (defaults shown):
    python analysis/tfp_table.py --data bld/panels/plants.parquet \
        --tex bld/tables/tfp.tex --csv bld/estimates/tfp.csv --n-boot 200
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from agglomeration.report import TableColumn, make_regression_table
from agglomeration.tfp import METHOD_LABELS, TFPResult, estimate

from project_paths import ESTIMATES, PANELS, TABLES, write_csv, write_text
from step import Step

STEP = Step(
    "tfp_table",
    reads=(PANELS / "plants.parquet",),
    produces=(TABLES / "tfp.tex", ESTIMATES / "tfp.csv", ESTIMATES / "tfp_summaries.txt"),
    summary="production functions of the Chilean plants (OLS, FE, OP, LP, ACF, Wooldridge)",
)

KW = dict(output="Y", free=["fX1", "fX2"], state="sX", id="idvar", time="timevar")
# (method, proxy): investment for OP, electricity for LP, ACF and Wooldridge.
COLUMNS = [
    ("ols", None),
    ("fe", None),
    ("op", "inv"),
    ("lp", "pX"),
    ("acf", "pX"),
    ("wrdg", "pX"),
]
TERMS = {"fX1": "Skilled labour", "fX2": "Unskilled labour", "sX": "Capital"}
# prodest's settings: degree-2 control-function polynomial, cubic law of motion.
POLY_DEGREE = 2


def fit_all(data: pd.DataFrame, n_boot: int, seed: int, n_jobs: int) -> list[TFPResult]:
    return [
        estimate(
            data,
            method,  # type: ignore[arg-type]
            proxy=proxy,
            poly_degree=POLY_DEGREE,
            n_boot=n_boot,
            seed=seed,
            n_jobs=n_jobs,
            **KW,  # type: ignore[arg-type]
        )
        for method, proxy in COLUMNS
    ]


def tidy_frame(results: list[TFPResult]) -> pd.DataFrame:
    frames = []
    for r in results:
        t = r.tidy()
        crs = r.crs_test()
        extra = pd.DataFrame(
            [
                {"method": r.method, "term": "crs_wald_pvalue", "estimate": crs["pvalue"]},
                {"method": r.method, "term": "tfp_90_10_ratio", "estimate": r.tfp_ratio_90_10()},
                {"method": r.method, "term": "n_second_stage", "estimate": r.n_second_stage},
            ]
        )
        frames.append(pd.concat([t, extra], ignore_index=True))
    return pd.concat(frames, ignore_index=True)


def latex_table(results: list[TFPResult]) -> str:
    """Methods side by side (booktabs) with bootstrap SEs, returns to scale and dispersion."""
    columns = []
    for r in results:
        t = r.tidy().set_index("term").loc[list(TERMS)]
        se = t["std_error"].to_numpy(dtype=float)
        z = t["estimate"].to_numpy(dtype=float) / se
        coefs = pd.DataFrame(
            {
                "term": list(TERMS),
                "estimate": t["estimate"].to_numpy(dtype=float),
                "std_error": se,
                "p_value": 2 * stats.norm.sf(np.abs(z)),
            }
        )
        crs = r.crs_test()
        head = METHOD_LABELS[r.method]
        for long, short in (
            ("Ackerberg-Caves-Frazer", "ACF"),
            ("Levinsohn-Petrin", "LP"),
            ("Olley-Pakes", "OP"),
        ):
            head = head.replace(long, short)
        columns.append(
            TableColumn(
                head,
                coefs,
                {
                    "Returns to scale": f"{r.returns_to_scale:.3f} ({crs['se']:.3f})",
                    "p-value, CRS": f"{crs['pvalue']:.3f}",
                    "TFP 90/10 ratio": f"{r.tfp_ratio_90_10():,.2f}",
                    "Plant-years": f"{r.n_obs:,}",
                    "Estimation sample": f"{r.n_second_stage:,}",
                    "Plants": f"{r.n_plants:,}",
                    "Bootstrap reps (failed)": f"{r.n_boot} ({r.n_boot_failed})",
                },
            )
        )
    return make_regression_table(columns, list(TERMS), TERMS)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--data", type=Path, default=PANELS / "plants.parquet")
    p.add_argument("--tex", type=Path, default=TABLES / "tfp.tex")
    p.add_argument("--csv", type=Path, default=ESTIMATES / "tfp.csv")
    p.add_argument("--n-boot", type=int, default=200)
    p.add_argument("--seed", type=int, default=20260601)
    p.add_argument("--n-jobs", type=int, default=2)
    args = p.parse_args(argv)
    data = pd.read_parquet(args.data)
    results = fit_all(data, args.n_boot, args.seed, args.n_jobs)
    write_text(args.tex, latex_table(results))
    write_csv(args.csv, tidy_frame(results))
    summaries = ESTIMATES / "tfp_summaries.txt"
    write_text(summaries, "\n\n".join(r.summary() for r in results) + "\n")
    print(
        f"tfp_table: {len(results)} production functions on {len(data):,} plant-years, "
        f"{args.n_boot} bootstrap replications -> {args.csv.name}, {args.tex.name}; "
        f"summaries in {summaries.name}"
    )


if __name__ == "__main__":
    main()
