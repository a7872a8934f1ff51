"""Step `registry`: the estimates the committed paper was built from.

`update`  copies the recomputed estimates in bld/estimates/ to results/ (run by `nox -s paper`):
          estimates.csv (regressions, one row per spec x term) and tfp_estimates.csv
          (production functions, one row per method x term).
`compare` checks recomputed estimates against results/ (`nox -s verify`): same keys, counts
          equal, estimates and standard errors within |a - b| <= ATOL + RTOL * |b|; exits with
          status 1 listing every difference.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np
import pandas as pd

from project_paths import ESTIMATES, RESULTS, write_csv

ATOL = 1e-8
RTOL = 1e-6


@dataclass(frozen=True)
class Registry:
    """A registry file: built file name, committed file name, key, numeric and count columns."""

    built: str
    committed: str
    keys: tuple[str, ...]
    numeric: tuple[str, ...]
    exact: tuple[str, ...]


REGISTRIES = (
    Registry(
        "estimates.csv",
        "estimates.csv",
        ("spec_id", "term", "variance"),
        ("estimate", "std_error", "conf_low", "conf_high"),
        ("n_obs", "n_clusters"),
    ),
    Registry(
        "claims.csv",
        "claims.csv",
        ("spec_id", "term"),
        ("estimate", "gap", "gap_low", "gap_high", "spread"),
        (),
    ),
    Registry(
        "tfp.csv",
        "tfp_estimates.csv",
        ("spec_id", "term"),
        ("estimate", "std_error", "conf_low", "conf_high"),
        ("n_obs", "n_plants", "n_boot", "n_boot_failed"),
    ),
)


def compare(new: pd.DataFrame, ref: pd.DataFrame, reg: Registry = REGISTRIES[0]) -> list[str]:
    """List every difference between recomputed (``new``) and committed (``ref``) estimates."""
    keys = list(reg.keys)
    problems = []
    merged = ref.merge(new, on=keys, how="outer", suffixes=("_ref", "_new"), indicator=True)

    def name(r: pd.Series) -> str:
        return " ".join(str(r[k]) for k in keys)

    for _, r in merged.loc[merged["_merge"] != "both"].iterrows():
        where = "registry only" if r["_merge"] == "left_only" else "recomputed only"
        problems.append(f"{name(r)}: {where}")
    both = merged.loc[merged["_merge"] == "both"]
    for col in reg.numeric:
        a, b = both[f"{col}_new"].to_numpy(float), both[f"{col}_ref"].to_numpy(float)
        bad = ~(np.isclose(a, b, atol=ATOL, rtol=RTOL) | (np.isnan(a) & np.isnan(b)))
        for (_, r), x, y in zip(both.loc[bad].iterrows(), a[bad], b[bad], strict=True):
            problems.append(f"{name(r)}: {col} {x:.10g} != registry {y:.10g}")
    for col in reg.exact:
        a, b = both[f"{col}_new"], both[f"{col}_ref"]
        bad = ~((a == b) | (a.isna() & b.isna()))
        for _, r in both.loc[bad].iterrows():
            problems.append(f"{name(r)}: {col} {r[f'{col}_new']} != {r[f'{col}_ref']}")
    return problems


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in {"update", "compare"}:
        print("usage: registry.py update|compare", file=sys.stderr)
        return 2
    status = 0
    for reg in REGISTRIES:
        new = pd.read_csv(ESTIMATES / reg.built)
        if argv[0] == "update":
            write_csv(RESULTS / reg.committed, new)
            print(f"registry results/{reg.committed}: {len(new)} rows")
            continue
        problems = compare(new, pd.read_csv(RESULTS / reg.committed), reg)
        if problems:
            print(
                f"{len(problems)} differences from results/{reg.committed}:\n  "
                + "\n  ".join(problems)
            )
            status = 1
        else:
            print(
                f"results/{reg.committed}: all {len(new)} rows reproduced (atol {ATOL}, rtol {RTOL}; counts exact)"
            )
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
