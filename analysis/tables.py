"""Step `tables`: estimates and panels -> LaTeX tables and the macros the text quotes.

Reads: bld/estimates/estimates.csv, bld/panels/county.parquet, bld/panels/build_report.csv.
Produces: bld/tables/summary_county.tex, bld/tables/baseline.tex, bld/macros.tex.
"""

from __future__ import annotations

import pandas as pd

from agglomeration.report import (
    TableColumn,
    format_number,
    make_macros,
    make_regression_table,
    make_summary_table,
)
from project_paths import BLD, ESTIMATES, PANELS, TABLES, write_text


def main() -> None:
    est = pd.read_csv(ESTIMATES / "estimates.csv")
    county = pd.read_parquet(PANELS / "county.parquet")
    report = pd.read_csv(PANELS / "build_report.csv")

    cols = ["employment", "establishments", "pay_per_emp", "density", "land_area_km2", "patents"]
    labels = {
        "employment": "Employment (March)",
        "establishments": "Establishments",
        "pay_per_emp": "Q1 payroll per employee ($)",
        "density": "Employment per km2 of land",
        "land_area_km2": "Land area (km2)",
        "patents": "Utility patents (2001-2015)",
    }
    summary = make_summary_table(county, cols, labels, digits=1)
    write_text(TABLES / "summary_county.tex", summary)

    base = est.loc[est["spec_name"].eq("county_baseline")]
    row = base.loc[base["term"].eq("log_density")].iloc[0]
    col = TableColumn(
        "(1)",
        base[["term", "estimate", "std_error", "p_value"]],
        {
            "State x year FE": "Yes",
            "Observations": f"{int(row['n_obs']):,}",
            "Clusters (states)": f"{int(row['n_clusters']):,}",
            "Spec id": str(row["spec_id"]),
        },
    )
    table = make_regression_table(
        [col],
        ["log_density"],
        {"log_density": "log employment density"},
        notes="Outcome: log first-quarter payroll per March employee. Standard errors clustered by state "
        "in parentheses (pyfixest CRV1, small-sample factor G/(G-1)(N-1)/(N-K)). * p<0.10, ** p<0.05, *** p<0.01.",
    )
    write_text(TABLES / "baseline.tex", table)

    def count(dataset: str, reason_start: str) -> int:
        hit = report[(report["dataset"] == dataset) & report["reason"].str.startswith(reason_start)]
        return int(hit["rows"].sum())

    macros = {
        "BaselineElasticity": format_number(row["estimate"], 3),
        "BaselineDoublingPct": format_number(100 * (2 ** row["estimate"] - 1), 1),
        "BaselineSE": format_number(row["std_error"], 3),
        "BaselineCIlow": format_number(row["ci_low"], 3),
        "BaselineCIhigh": format_number(row["ci_high"], 3),
        "BaselineN": f"{int(row['n_obs']):,}",
        "NCounties": f"{county['fips'].nunique():,}",
        "NCountyYears": f"{len(county):,}",
        "NSuppressedStateIndustry": f"{count('state_industry', 'employment 0 with'):,}",
        "NCountyUnknown": f"{count('county', 'statewide'):,}",
    }
    write_text(BLD / "macros.tex", make_macros(macros))
    print(table)


if __name__ == "__main__":
    main()
