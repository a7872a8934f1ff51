"""Production-function table for the Chilean plants (issue 6).

Reads: the raw Chilean plant panel (``prodest_chilean.csv``).
Produces: a LaTeX booktabs table and a tidy CSV (one row per method x term).

Usage:
    python analysis/tfp_table.py --data data_raw/prodest_chilean.csv \
        --tex bld/tables/tfp.tex --csv bld/estimates/tfp.csv
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import pandas as pd

from agglomeration.tfp import METHOD_LABELS, TFPResult, estimate

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
    heads = [METHOD_LABELS[r.method].replace("Ackerberg-Caves-Frazer", "ACF") for r in results]
    heads = [h.replace("Levinsohn-Petrin", "LP").replace("Olley-Pakes", "OP") for h in heads]
    cols = "l" + "c" * len(results)
    lines = [
        f"\\begin{{tabular}}{{{cols}}}",
        "\\toprule",
        " & " + " & ".join(heads) + " \\\\",
        "\\midrule",
    ]
    for term, label in TERMS.items():
        est = " & ".join(f"{r.params[term]:.3f}" for r in results)
        se = " & ".join(
            f"({r.std_errors[term]:.3f})" if r.std_errors is not None else "" for r in results
        )
        lines += [f"{label} & {est} \\\\", f" & {se} \\\\"]
    rts = " & ".join(f"{r.returns_to_scale:.3f}" for r in results)
    rts_se = " & ".join(f"({r.crs_test()['se']:.3f})" for r in results)
    pval = " & ".join(f"{r.crs_test()['pvalue']:.3f}" for r in results)
    disp = " & ".join(f"{r.tfp_ratio_90_10():.2f}" for r in results)
    lines += [
        "\\midrule",
        f"Returns to scale & {rts} \\\\",
        f" & {rts_se} \\\\",
        f"$p$-value, CRS & {pval} \\\\",
        f"TFP 90/10 ratio & {disp} \\\\",
        "\\midrule",
        "Plant-years & " + " & ".join(str(r.n_obs) for r in results) + " \\\\",
        "Estimation sample & " + " & ".join(str(r.n_second_stage) for r in results) + " \\\\",
        "Plants & " + " & ".join(str(r.n_plants) for r in results) + " \\\\",
        "Bootstrap reps (failed) & "
        + " & ".join(f"{r.n_boot} ({r.n_boot_failed})" for r in results)
        + " \\\\",
        "\\bottomrule",
        "\\end{tabular}",
    ]
    return "\n".join(lines) + "\n"


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--data", required=True, type=Path)
    p.add_argument("--tex", required=True, type=Path)
    p.add_argument("--csv", required=True, type=Path)
    p.add_argument("--n-boot", type=int, default=200)
    p.add_argument("--seed", type=int, default=20260601)
    p.add_argument("--n-jobs", type=int, default=2)
    args = p.parse_args()
    data = pd.read_csv(args.data)
    results = fit_all(data, args.n_boot, args.seed, args.n_jobs)
    _atomic_write(args.tex, latex_table(results))
    _atomic_write(args.csv, tidy_frame(results).to_csv(index=False, float_format="%.10g"))
    for r in results:
        print(r.summary(), end="\n\n")


if __name__ == "__main__":
    main()
