"""Step `estimate`: run every specification in analysis/specs/ on the built panels.

Reads: analysis/specs/*.toml, bld/panels/<spec.data>.parquet.
Produces: bld/estimates/estimates.csv (the registry rows: one per spec x term; the spec id hashes
the whole specification, variance included), bld/estimates/baseline_variances.csv (the county
baseline's key term under every standard variance estimator: iid, robust, cluster county,
cluster state, two-way county and year, Driscoll-Kraay, Conley at each cutoff within year, and
the same with serial correlation within county), bld/estimates/dropped.csv (rows each
estimation removed, and why).

Specs that differ only in their variance are estimated from one fit.
"""

from __future__ import annotations

import sys
import time
import tomllib
import warnings
from dataclasses import replace

import pandas as pd

from agglomeration.effects import implied_gains
from agglomeration.errors import SpecError
from agglomeration.estimation import (
    Cluster,
    Conley,
    EstimationResult,
    Hetero,
    LinearTest,
    Spec,
    compare_variances,
    estimate_variances,
    load_linear_tests,
    load_specs,
    standard_variances,
)
from agglomeration.panels import PANELS as PANEL_NAMES

from project_paths import ESTIMATES, PANELS, SPECS, write_csv
from step import Step, run_main

BASELINE = "county_baseline"
CUTOFFS_KM = (50.0, 100.0, 250.0, 500.0)
SERIAL_LAGS = 20  # every pair of years of a county (2001-2021), Bartlett-weighted (Hsiang 2010)

STEP = Step(
    "estimate",
    reads=(SPECS, *(PANELS / f"{name}.parquet" for name in PANEL_NAMES)),
    produces=(
        ESTIMATES / "estimates.csv",
        ESTIMATES / "claims.csv",
        ESTIMATES / "baseline_variances.csv",
        ESTIMATES / "dropped.csv",
    ),
    summary="every spec in analysis/specs/ -> registry rows; the baseline under every variance",
)


def _groups(specs: list[Spec]) -> dict[str, list[Spec]]:
    """Specs keyed by their id without the variance: each group is one fit."""
    out: dict[str, list[Spec]] = {}
    for s in specs:
        out.setdefault(replace(s, variance=Hetero()).id, []).append(s)
    return out


def _test_rows(results: list[EstimationResult], tests: list[LinearTest]) -> list[pd.DataFrame]:
    """Registry rows of the linear tests declared for these results' spec."""
    rows = []
    for test in tests:
        for r in results:
            if r.spec.name != test.spec:
                continue
            row = r.table.iloc[[0]].copy()
            for k, v in r.linear_test(test.weights, test.value).items():
                row[k] = v
            row["term"] = test.label
            rows.append(row)
    return rows


def _claims(
    results: dict[str, list[EstimationResult]], panels: dict[str, pd.DataFrame]
) -> pd.DataFrame:
    """Return the claims table: implied 90/10 gaps of each declared measure (state clusters)."""
    with (SPECS / "claims.toml").open("rb") as fh:
        claims = tomllib.load(fh).get("claim", [])
    rows = []
    for c in claims:
        if c["spec"] not in results:
            raise SpecError(f"claims.toml: claim {c['claim']!r} names unknown spec {c['spec']!r}.")
        res = next(
            r for r in results[c["spec"]]
            if r.variance.describe() == Cluster(cluster=("state_fips",)).describe()
        )
        gap = implied_gains(
            res,
            panels[str(res.spec.data)],
            {c["term"]: c["scale"]},
            columns={c["term"]: c.get("column", c["term"])},
        )
        rows.append(gap.assign(claim=c["claim"], spec_id=res.spec.id, spec_name=c["spec"]))
    out = pd.concat(rows, ignore_index=True)
    first = ["claim", "spec_id", "spec_name", "term"]
    return out[first + [k for k in out.columns if k not in first]]


def main(argv: list[str] | None = None) -> None:
    t0 = time.perf_counter()
    specs = load_specs(SPECS)
    tests = load_linear_tests(SPECS)
    bad_data = sorted({(s.name, str(s.data)) for s in specs if s.data not in PANEL_NAMES})
    if bad_data:
        raise SpecError(
            f"spec(s) {[n for n, _ in bad_data]} name data {sorted({d for _, d in bad_data})}, "
            f"which is not a built panel; known panels: {list(PANEL_NAMES)} (set data = one "
            "of them in the spec file)."
        )
    unknown = {t.spec for t in tests} - {s.name for s in specs}
    if unknown:
        raise SpecError(f"[[test]] tables name spec(s) {sorted(unknown)} that no spec file has.")
    panels: dict[str, pd.DataFrame] = {}
    tables, dropped = [], []
    by_name: dict[str, list[EstimationResult]] = {}
    for group in _groups(specs).values():
        spec = group[0]
        if spec.data not in panels:
            panels[str(spec.data)] = pd.read_parquet(PANELS / f"{spec.data}.parquet")
        with warnings.catch_warnings():
            # the county x sector cross-section has one row per sector at each county's point:
            # Conley then correlates a county's sectors, as intended (no time dimension)
            if spec.data == "county_sector":
                warnings.filterwarnings("ignore", message=".*coordinates repeat.*")
            results = estimate_variances(
                spec, panels[str(spec.data)], [s.variance for s in group]
            )
        by_name.setdefault(spec.name, []).extend(results)
        tables += [r.table for r in results] + _test_rows(results, tests)
        dropped.append(results[0].dropped.assign(spec_id=spec.id, spec_name=spec.name))
    base = next(s for s in specs if s.name == BASELINE)
    variances = standard_variances(
        unit="fips", group="state_fips", time="year", cutoffs_km=CUTOFFS_KM
    )
    # Conley within year plus serial correlation within county, as in Hsiang (2010)
    variances += [
        Conley(cutoff_km=c, time="year", unit="fips", lags=SERIAL_LAGS) for c in CUTOFFS_KM
    ]
    cv = compare_variances(base, panels[str(base.data)], variances, term="log_density")
    # rows already in `tables` (same spec id) are not repeated
    extra = cv.loc[~cv["spec_id"].isin(pd.concat(tables)["spec_id"])].drop(columns="dropped")
    out = pd.concat([*tables, extra], ignore_index=True)
    write_csv(ESTIMATES / "estimates.csv", out)
    write_csv(ESTIMATES / "claims.csv", _claims(by_name, panels))
    write_csv(ESTIMATES / "baseline_variances.csv", cv)
    write_csv(ESTIMATES / "dropped.csv", pd.concat(dropped, ignore_index=True))
    n_fits = len(_groups(specs))
    print(
        f"estimate: {len(specs)} specs ({n_fits} fits) from {SPECS.relative_to(SPECS.parents[1])}/ "
        f"on {', '.join(sorted(panels))}; {len(out)} registry rows -> "
        f"{(ESTIMATES / 'estimates.csv').relative_to(ESTIMATES.parents[1])} "
        f"({time.perf_counter() - t0:.1f} s)"
    )


if __name__ == "__main__":
    sys.exit(run_main(STEP, main))
