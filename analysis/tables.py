"""Step `tables`: estimates and panels -> LaTeX tables and the macros the text quotes.

Reads: analysis/montecarlo_conley_coverage.csv (committed Monte Carlo result), bld/estimates/estimates.csv,
bld/estimates/tfp.csv, bld/estimates/baseline_variances.csv, bld/panels/eg_gamma.csv,
bld/panels/county.parquet, bld/panels/build_report.csv.
Produces: bld/tables/summary_county.tex, bld/tables/baseline.tex,
bld/tables/baseline_variances.tex, bld/tables/eg_gamma_top.tex, bld/macros.tex.
"""

from __future__ import annotations

import pandas as pd

from agglomeration.report import (
    TableColumn,
    describe_variance,
    format_number,
    make_frame_table,
    make_macros,
    make_regression_table,
    make_summary_table,
)

from project_paths import BLD, ESTIMATES, MONTECARLO_CONLEY, PANELS, TABLES, write_text
from step import Step

STEP = Step(
    "tables",
    reads=(
        ESTIMATES / "estimates.csv",
        ESTIMATES / "baseline_variances.csv",
        ESTIMATES / "tfp.csv",
        PANELS / "county.parquet",
        PANELS / "build_report.csv",
        PANELS / "eg_gamma.csv",
        MONTECARLO_CONLEY,
    ),
    produces=(
        TABLES / "summary_county.tex",
        TABLES / "baseline.tex",
        TABLES / "baseline_variances.tex",
        TABLES / "eg_gamma_top.tex",
        TABLES / "montecarlo_conley.tex",
        BLD / "macros.tex",
    ),
    summary="registry and panels -> LaTeX tables and the macros the text quotes",
)

COLUMN_NAMES = {"fips": "county", "state_fips": "state", "year": "year"}
"""How the variance table names the panel's cluster columns."""


def main(argv: list[str] | None = None) -> None:
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

    cv = pd.read_csv(ESTIMATES / "baseline_variances.csv")
    frame = pd.DataFrame(
        {
            "Variance estimator": [
                describe_variance(r, COLUMN_NAMES, within="year", serial_unit="county")
                for r in cv.to_dict("records")
            ],
            "Std. error": cv["std_error"],
            "95% CI low": cv["conf_low"],
            "95% CI high": cv["conf_high"],
            "Clusters / periods": cv["n_clusters"].astype("Int64"),
        }
    )
    write_text(
        TABLES / "baseline_variances.tex",
        make_frame_table(frame, digits={"Std. error": 4, "95% CI low": 3, "95% CI high": 3}),
    )

    gamma = pd.read_csv(PANELS / "eg_gamma.csv", dtype={"industry": str})
    g19 = gamma.loc[gamma["year"].eq(2019)].sort_values("gamma", ascending=False, kind="stable")
    top = g19.head(10)
    eg_frame = pd.DataFrame(
        {
            "NAICS": top["industry"],
            "gamma": top["gamma"],
            "G": top["G"],
            "H (from counts)": top["H"],
            "States": top["n_regions"].astype("int64"),
            "Employment": top["employment"].round().astype("int64"),
        }
    )
    write_text(
        TABLES / "eg_gamma_top.tex",
        make_frame_table(eg_frame, digits={"gamma": 3, "G": 3, "H (from counts)": 4}),
    )

    mc = pd.read_csv(MONTECARLO_CONLEY)
    mc_frame = pd.DataFrame(
        {
            "Variance estimator": mc["variance"],
            "Coverage of 95% CI": mc["coverage"],
            "MC s.e.": mc["coverage_mc_se"],
            "RMS s.e. / s.d. of estimates": mc["se_ratio"],
        }
    )
    write_text(TABLES / "montecarlo_conley.tex", make_frame_table(mc_frame, digits=3))

    tfp = pd.read_csv(ESTIMATES / "tfp.csv").set_index(["method", "term"])["estimate"]

    def count(dataset: str, reason_start: str) -> int:
        hit = report[(report["dataset"] == dataset) & report["reason"].str.startswith(reason_start)]
        return int(hit["rows"].sum())

    macros = {
        "BaselineElasticity": format_number(row["estimate"], 3),
        "BaselineDoublingPct": format_number(100 * (2 ** row["estimate"] - 1), 1),
        "BaselineSE": format_number(row["std_error"], 3),
        "BaselineCIlow": format_number(row["conf_low"], 3),
        "BaselineCIhigh": format_number(row["conf_high"], 3),
        "BaselineN": f"{int(row['n_obs']):,}",
        "NCounties": f"{county['fips'].nunique():,}",
        "NCountyYears": f"{len(county):,}",
        "NSuppressedStateIndustry": f"{count('state_industry', 'employment 0 with'):,}",
        "NCountyUnknown": f"{count('county', 'statewide'):,}",
        "EGMedianGamma": format_number(g19["gamma"].median(), 4),
        "EGNIndustries": f"{g19['gamma'].notna().sum():,}",
        "MCReps": f"{int(mc['n_reps'].iloc[0]):,}",
        "MCCoverageConley": format_number(
            100 * mc.loc[mc["variance"].str.startswith("conley"), "coverage"].iloc[0], 1
        ),
        "MCCoverageCluster": format_number(
            100 * mc.loc[mc["variance"].eq("cluster(region)"), "coverage"].iloc[0], 1
        ),
        "TFPOPSkilled": format_number(tfp[("op", "fX1")], 3),
        "TFPOPUnskilled": format_number(tfp[("op", "fX2")], 3),
        "TFPOPCapital": format_number(tfp[("op", "sX")], 3),
        "TFPLPSkilled": format_number(tfp[("lp", "fX1")], 3),
        "TFPLPUnskilled": format_number(tfp[("lp", "fX2")], 3),
        "TFPLPCapital": format_number(tfp[("lp", "sX")], 3),
        "TFPOLSSkilled": format_number(tfp[("ols", "fX1")], 3),
        "TFPOLSUnskilled": format_number(tfp[("ols", "fX2")], 3),
        "TFPOPRatio": format_number(tfp[("op", "tfp_90_10_ratio")], 1),
        "SEStateCluster": format_number(
            cv.loc[cv["variance_type"].eq("cluster") & cv["cluster"].eq("state_fips"), "std_error"].iloc[0],
            4,
        ),
        "SEIid": format_number(cv.loc[cv["variance_type"].eq("iid"), "std_error"].iloc[0], 4),
        "SEConleyMaxSerial": format_number(
            cv.loc[
                cv["variance_type"].eq("conley")
                & cv["cutoff_km"].eq(cv["cutoff_km"].max())
                & cv["lags"].gt(0),
                "std_error",
            ].iloc[0],
            4,
        ),
    }
    write_text(BLD / "macros.tex", make_macros(macros))
    print(f"tables: {len(STEP.produces) - 1} tables in {TABLES.relative_to(BLD.parent)}/, "
          f"{len(macros)} macros in bld/macros.tex")


if __name__ == "__main__":
    main()
