"""The registry: every estimate and every number the committed paper was built from.

`update`  copies the recomputed files in bld/estimates/ to results/ (run by `nox -s paper`):
          estimates.csv (regressions, one row per spec x variance x term), claims.csv (the
          implied gains), tfp_estimates.csv (production functions, one row per spec x term),
          macros.csv (every number the text quotes, as printed, with its source).
`compare` checks the recomputed files against results/ (`nox -s verify`): the same keys; counts
          and printed numbers equal; estimates, standard errors and intervals within
          |a - b| <= ATOL + RTOL * |b| (the bootstrapped production functions are seeded, so the
          same tolerance holds for them). It prints one line per file with how many rows
          matched, then every difference, and exits with status 1 if there is any; a spec added
          since the registry was written shows as "recomputed only": `nox -s paper` refreshes
          the registry.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

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
    text: bool = False  # read every column as text (numbers as printed)

    def read(self, path: Path) -> pd.DataFrame:
        """Read a registry file (as text when :attr:`text`)."""
        return pd.read_csv(path, dtype=str, keep_default_na=False) if self.text else pd.read_csv(path)


REGISTRIES = (
    Registry(
        "estimates.csv",
        "estimates.csv",
        ("spec_id", "term", "variance"),
        ("estimate", "std_error", "conf_low", "conf_high"),
        ("n_obs", "n_clusters"),
    ),
    Registry(
        "risk.csv",
        "risk.csv",
        ("spec_id", "term", "variance"),
        ("estimate", "std_error", "conf_low", "conf_high"),
        ("n_obs", "n_clusters"),
    ),
    Registry(
        "robustness_summary.csv",
        "robustness_summary.csv",
        ("check", "statistic"),
        ("value",),
        (),
    ),
    Registry(
        "claims.csv",
        "claims.csv",
        ("spec_id", "term"),
        ("estimate", "gap", "gap_low", "gap_high", "spread"),
        (),
    ),
    Registry(
        "macros.csv",
        "macros.csv",
        ("macro",),
        (),
        ("value",),
        text=True,
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
    lines, details = [], []
    for reg in REGISTRIES:
        built = ESTIMATES / reg.built
        if not built.is_file():
            print(
                f"error: {built.relative_to(ESTIMATES.parents[1])} is missing: run `nox -s paper` "
                "(or `nox -s verify`, which recomputes it) first.",
                file=sys.stderr,
            )
            return 1
        new = reg.read(built)
        if argv[0] == "update":
            write_csv(RESULTS / reg.committed, new)
            print(f"registry results/{reg.committed}: {len(new)} rows")
            continue
        ref = reg.read(RESULTS / reg.committed)
        problems = compare(new, ref, reg)
        ref_keys = {" ".join(str(v) for v in row) for row in ref[list(reg.keys)].to_numpy()}
        bad_keys = {p.rsplit(": ", 1)[0] for p in problems} & ref_keys
        lines.append(
            f"  {reg.committed:<22} {len(ref):>6} {len(ref_keys - bad_keys):>8} "
            f"{len(problems):>11}"
        )
        if problems:
            status = 1
            details.append(f"{len(problems)} differences in results/{reg.committed}:")
            details += [f"  {p}" for p in problems]
    if argv[0] == "compare":
        print(f"registry compared with tolerance atol {ATOL}, rtol {RTOL} (counts and text exact)")
        print(f"  {'file':<22} {'rows':>6} {'matched':>8} {'differences':>11}")
        print("\n".join(lines))
        if details:
            print("\n".join(details))
            if any("recomputed only" in d for d in details):
                print(
                    "rows 'recomputed only' are estimates added since the registry was written: "
                    "`nox -s paper` refreshes the registry."
                )
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
