"""Step `tfp_table`: production functions of the Chilean plants.

Reads: analysis/specs/*.toml (the specs with kind = "production_function"),
bld/panels/plants.parquet (the Chilean plant panel, built by `build`).
Produces: bld/tables/tfp.tex (methods side by side), bld/estimates/tfp.csv (the registry rows:
one per spec x term, shared tidy columns), bld/estimates/tfp_summaries.txt (every result's
summary: starts, roots, exclusions).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from agglomeration.errors import ConvergenceError
from agglomeration.report import TableColumn, make_regression_table
from agglomeration.tfp import METHOD_LABELS, TFPResult, TFPSpec, estimate, load_tfp_specs

from project_paths import ESTIMATES, PANELS, SPECS, TABLES, write_csv, write_text
from step import Step, run_main

STEP = Step(
    "tfp_table",
    reads=(SPECS, PANELS / "plants.parquet"),
    produces=(TABLES / "tfp.tex", ESTIMATES / "tfp.csv", ESTIMATES / "tfp_summaries.txt"),
    summary="production functions of the Chilean plants (OLS, FE, OP, LP, ACF, Wooldridge)",
)

TERMS = {"fX1": "Skilled labour", "fX2": "Unskilled labour", "sX": "Capital"}


def fit_all(
    specs: list[TFPSpec], data: pd.DataFrame, n_jobs: int
) -> tuple[list[TFPResult], list[tuple[TFPSpec, str]]]:
    """Estimate every spec; a spec whose optimisation finds no root is reported, not shown."""
    results, failed = [], []
    for spec in specs:
        try:
            results.append(estimate(spec, data, n_jobs=n_jobs))
        except ConvergenceError as e:
            failed.append((spec, str(e)))
    return results, failed


def tidy_frame(results: list[TFPResult]) -> pd.DataFrame:
    """Registry rows: the shared tidy columns, then diagnostics as extra terms."""
    frames = []
    for r in results:
        t = r.tidy().assign(spec_name=r.spec.name, variance=f"plant bootstrap ({r.n_boot})")
        crs = r.crs_test()
        extra = pd.DataFrame(
            [
                {"term": "crs_wald_pvalue", "estimate": crs["pvalue"]},
                {"term": "tfp_90_10_ratio", "estimate": r.tfp_ratio_90_10()},
                {"term": "n_second_stage", "estimate": r.n_second_stage},
            ]
        ).assign(
            method=r.method,
            spec_id=r.spec.id,
            spec_name=r.spec.name,
            n_obs=r.n_obs,
            n_plants=r.n_plants,
            n_boot=r.n_boot,
            n_boot_failed=r.n_boot_failed,
        )
        frames.append(pd.concat([t, extra], ignore_index=True))
    out = pd.concat(frames, ignore_index=True)
    first = ["spec_id", "spec_name", "method", "term"]
    return out[first + [c for c in out.columns if c not in first]]


def latex_table(results: list[TFPResult], note: str = "") -> str:
    """Methods side by side (booktabs) with bootstrap SEs, returns to scale and dispersion."""
    columns = []
    for r in results:
        coefs = r.tidy().set_index("term").loc[list(TERMS)].reset_index()
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
    notes = (
        "Value added on skilled and unskilled labour and capital, in logs. Plant-bootstrap "
        "standard errors in parentheses. " + note
    ).strip()
    return make_regression_table(columns, list(TERMS), TERMS, notes=notes)


def acf_note(results: list[TFPResult], failed: list[tuple[TFPSpec, str]]) -> str:
    """Say what the table must about ACF: the roots found, the chosen one, its diagnostics."""
    for spec, why in failed:
        if spec.method == "acf":
            return f"No ACF column: {why}"
    acf = [r for r in results if r.method == "acf"]
    if not acf:
        return ""
    r = acf[0]
    j, df = r.extra.get("j_overid", np.nan), r.extra.get("j_overid_df", np.nan)
    return (
        f"ACF: {len(r.roots)} exact root(s) of prodest's moments found from "
        f"{len(r.starts)} starts; the estimate is the admissible root with the smallest "
        f"over-identification statistic of the lagged-input moments (J = {j:.1f}, {df:.0f} df, "
        f"which rejects ACF's timing assumptions on these data); "
        f"{r.n_boot_failed} of {r.n_boot} bootstrap replications reached no root."
    )


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--data", type=Path, default=PANELS / "plants.parquet")
    p.add_argument("--specs", type=Path, default=SPECS)
    p.add_argument("--tex", type=Path, default=TABLES / "tfp.tex")
    p.add_argument("--csv", type=Path, default=ESTIMATES / "tfp.csv")
    p.add_argument("--n-jobs", type=int, default=2)
    args = p.parse_args(argv)
    data = pd.read_parquet(args.data)
    specs = load_tfp_specs(args.specs)
    results, failed = fit_all(specs, data, args.n_jobs)
    write_text(args.tex, latex_table(results, acf_note(results, failed)))
    write_csv(args.csv, tidy_frame(results))
    summaries = ESTIMATES / "tfp_summaries.txt"
    write_text(summaries, "\n\n".join(r.summary() for r in results) + "\n")
    n_boot = max((r.n_boot for r in results), default=0)
    print(
        f"tfp_table: {len(results)} production functions on {len(data):,} plant-years "
        f"({len(failed)} without a root), {n_boot} bootstrap replications -> {args.csv.name}, "
        f"{args.tex.name}; summaries in {summaries.name}"
    )


if __name__ == "__main__":
    sys.exit(run_main(STEP, main))
