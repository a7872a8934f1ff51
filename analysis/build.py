"""Step `build`: raw files -> validated panels.

Reads: data_raw/ (verified against data_raw/SHA256SUMS before anything is read).
Produces: bld/panels/county.parquet, state_industry.parquet, metro_clusters.parquet;
bld/panels/build_report.csv (every row dropped, recoded or set missing, with the reason);
bld/panels/bea_industry_map.csv; bld/panels/metro_patent_check.csv; bld/panels/eg_gamma.csv
(Ellison-Glaeser gammas by industry and year). The measures of `panel_measures.py` are added
to the panels (spatial lags, specialisation, related employment, cluster strength).
All outputs are built in memory first and written atomically only when every panel is valid.
"""

from __future__ import annotations

import pandas as pd

from agglomeration.data import (
    build_county_panel,
    build_metro_clusters,
    build_state_industry_panel,
    verify,
)

import panel_measures
from project_paths import DATA_RAW, PANELS, write_csv, write_parquet


def main() -> None:
    verify(DATA_RAW, raise_on_problem=True)
    county = build_county_panel(DATA_RAW)
    state = build_state_industry_panel(DATA_RAW)
    metro = build_metro_clusters(DATA_RAW)
    assert state.checks is not None and metro.checks is not None
    county_data, rep_c = panel_measures.add_county_measures(county.data)
    state_data, rep_s = panel_measures.add_state_industry_measures(state.data)
    metro_data, rep_m = panel_measures.add_metro_measures(metro.data, DATA_RAW)
    gamma, rep_g = panel_measures.eg_gamma_table(state.data)
    report = pd.concat(
        [county.report, state.report, metro.report, pd.DataFrame(rep_c + rep_s + rep_m + rep_g)],
        ignore_index=True,
    )
    write_parquet(PANELS / "county.parquet", county_data)
    write_parquet(PANELS / "state_industry.parquet", state_data)
    write_parquet(PANELS / "metro_clusters.parquet", metro_data)
    write_csv(PANELS / "eg_gamma.csv", gamma)
    write_csv(PANELS / "bea_industry_map.csv", state.checks)
    write_csv(PANELS / "metro_patent_check.csv", metro.checks)
    write_csv(PANELS / "build_report.csv", report)
    with pd.option_context("display.width", 200, "display.max_colwidth", 110):
        print(report.to_string(index=False))
    for name, d in [
        ("county", county_data),
        ("state_industry", state_data),
        ("metro_clusters", metro_data),
    ]:
        print(f"{name}: {len(d):,} rows x {d.shape[1]} columns")


if __name__ == "__main__":
    main()
