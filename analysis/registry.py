"""Step `registry`: the estimates the committed paper was built from.

`update`  copies bld/estimates/estimates.csv to results/estimates.csv (run by `nox -s paper`).
`compare` recomputed bld/estimates/estimates.csv against results/estimates.csv (`nox -s verify`):
          same spec ids and terms, N and clusters equal, estimates and standard errors within
          |a - b| <= ATOL + RTOL * |b|; exits with status 1 listing every difference.
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd

from project_paths import ESTIMATES, RESULTS, write_csv

ATOL = 1e-8
RTOL = 1e-6
KEYS = ["spec_id", "term", "variance"]
NUMERIC = ["estimate", "std_error", "ci_low", "ci_high"]
EXACT = ["n_obs", "n_clusters"]


def compare(new: pd.DataFrame, ref: pd.DataFrame) -> list[str]:
    problems = []
    merged = ref.merge(new, on=KEYS, how="outer", suffixes=("_ref", "_new"), indicator=True)
    for _, r in merged.loc[merged["_merge"] != "both"].iterrows():
        where = "registry only" if r["_merge"] == "left_only" else "recomputed only"
        problems.append(f"{r['spec_id']} {r['term']} {r['variance']}: {where}")
    both = merged.loc[merged["_merge"] == "both"]
    for col in NUMERIC:
        a, b = both[f"{col}_new"].to_numpy(float), both[f"{col}_ref"].to_numpy(float)
        bad = ~(np.isclose(a, b, atol=ATOL, rtol=RTOL) | (np.isnan(a) & np.isnan(b)))
        for (_, r), x, y in zip(both.loc[bad].iterrows(), a[bad], b[bad], strict=True):
            problems.append(
                f"{r['spec_id']} {r['term']} {r['variance']}: {col} {x:.10g} != registry {y:.10g}"
            )
    for col in EXACT:
        a, b = both[f"{col}_new"], both[f"{col}_ref"]
        bad = ~((a == b) | (a.isna() & b.isna()))
        for _, r in both.loc[bad].iterrows():
            problems.append(
                f"{r['spec_id']} {r['term']} {r['variance']}: {col} {r[f'{col}_new']} != {r[f'{col}_ref']}"
            )
    return problems


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in {"update", "compare"}:
        print("usage: registry.py update|compare", file=sys.stderr)
        return 2
    new = pd.read_csv(ESTIMATES / "estimates.csv")
    if argv[0] == "update":
        write_csv(RESULTS / "estimates.csv", new)
        print(f"registry results/estimates.csv: {len(new)} rows, {new['spec_id'].nunique()} specs")
        return 0
    ref = pd.read_csv(RESULTS / "estimates.csv")
    problems = compare(new, ref)
    if problems:
        print(
            f"{len(problems)} differences from results/estimates.csv:\n  " + "\n  ".join(problems)
        )
        return 1
    print(
        f"all {len(ref)} registry rows reproduced (atol {ATOL}, rtol {RTOL}; N and clusters exact)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
