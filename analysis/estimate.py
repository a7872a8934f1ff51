"""Step `estimate`: run every specification in analysis/specs/ on the built panels.

Reads: analysis/specs/*.toml, bld/panels/<spec.data>.parquet.
Produces: bld/estimates/estimates.csv (one row per spec x term; the spec id hashes the whole
specification, variance included), bld/estimates/baseline_variances.csv (the county baseline's
key term under every standard variance estimator: iid, robust, cluster county, cluster state,
two-way county and year, Driscoll-Kraay, Conley at 50/100/250/500 km within year, and the same with serial correlation within county) and
bld/estimates/dropped.csv (rows each estimation removed, and why).
"""

from __future__ import annotations

import pandas as pd

from agglomeration.estimation import (
    Variance,
    compare_variances,
    estimate,
    load_specs,
    standard_variances,
)

from project_paths import ESTIMATES, PANELS, SPECS, write_csv

BASELINE = "county_baseline"
CUTOFFS_KM = (50.0, 100.0, 250.0, 500.0)
SERIAL_LAGS = 20  # every pair of years of a county (2001-2021), Bartlett-weighted (Hsiang 2010)


def main() -> None:
    specs = [s for path in sorted(SPECS.glob("*.toml")) for s in load_specs(path)]
    panels: dict[str, pd.DataFrame] = {}
    tables, dropped = [], []
    for spec in specs:
        if spec.data not in panels:
            panels[spec.data] = pd.read_parquet(PANELS / f"{spec.data}.parquet")
        res = estimate(spec, panels[spec.data])
        tables.append(res.table)
        dropped.append(res.dropped.assign(spec_id=spec.id, spec_name=spec.name))
    base = next(s for s in specs if s.name == BASELINE)
    variances = standard_variances(
        unit="fips", group="state_fips", time="year", cutoffs_km=CUTOFFS_KM
    )
    # Conley within year plus serial correlation within county, as in Hsiang (2010)
    variances += [
        Variance("conley", cutoff_km=c, time="year", unit="fips", lags=SERIAL_LAGS)
        for c in CUTOFFS_KM
    ]
    cv = compare_variances(base, panels[base.data], variances, term="log_density")
    # the baseline's own variance is already in `tables`; add the others to the registry
    extra = cv.loc[~cv["spec_id"].isin(pd.concat(tables)["spec_id"])].drop(columns="dropped")
    out = pd.concat([*tables, extra], ignore_index=True)
    write_csv(ESTIMATES / "estimates.csv", out)
    write_csv(ESTIMATES / "baseline_variances.csv", cv)
    write_csv(ESTIMATES / "dropped.csv", pd.concat(dropped, ignore_index=True))
    with pd.option_context("display.width", 200):
        print(out[["spec_id", "spec_name", "term", "estimate", "std_error", "n_obs", "variance"]])


if __name__ == "__main__":
    main()
