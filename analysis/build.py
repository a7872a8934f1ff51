"""Step `build`: raw files -> validated panels.

Reads: data_raw/ (verified against data_raw/SHA256SUMS before anything is read).
Produces: bld/panels/<name>.parquet for every panel of agglomeration.panels.PANELS;
bld/panels/<table>.parquet for the shock panels' share and shock tables
(agglomeration.panels.SHOCK_TABLES, read by the shift-share step `risk`);
bld/panels/build_report.csv (every row dropped, recoded or set missing, with the reason);
bld/panels/bea_industry_map.csv; bld/panels/metro_patent_check.csv; bld/panels/eg_gamma.csv.
All panels are built in memory first and written only when every one is valid.
"""

from __future__ import annotations

import sys

import pandas as pd

from agglomeration.data import FILES, RawData, verify
from agglomeration.panels import PANELS as PANEL_NAMES
from agglomeration.panels import SHOCK_TABLES, PanelOptions, build_panels

from project_paths import DATA_RAW, PANELS, write_csv, write_parquet
from step import Step, run_main

STEP = Step(
    "build",
    reads=(DATA_RAW / "SHA256SUMS", *(DATA_RAW / f for f in FILES.values())),
    produces=(
        *(PANELS / f"{name}.parquet" for name in PANEL_NAMES),
        *(PANELS / f"{table}.parquet" for table in SHOCK_TABLES),
        PANELS / "eg_gamma.csv",
        PANELS / "bea_industry_map.csv",
        PANELS / "metro_patent_check.csv",
        PANELS / "build_report.csv",
    ),
    summary="raw files -> validated panels, with a report of every row dropped or set missing",
)


def main(argv: list[str] | None = None) -> None:
    verify(DATA_RAW, raise_on_problem=True)
    builds = build_panels(RawData(DATA_RAW), PanelOptions())
    for name, b in builds.items():
        write_parquet(PANELS / f"{name}.parquet", b.data)
    tables = {t: df for b in builds.values() for t, df in b.tables.items()}
    for table in SHOCK_TABLES:
        write_parquet(PANELS / f"{table}.parquet", tables[table])
    write_csv(PANELS / "eg_gamma.csv", builds["state_industry"].tables["eg_gamma"])
    write_csv(PANELS / "bea_industry_map.csv", builds["state_industry"].checks)
    write_csv(PANELS / "metro_patent_check.csv", builds["metro_clusters"].checks)
    report = pd.concat([b.report for b in builds.values()], ignore_index=True)
    write_csv(PANELS / "build_report.csv", report)
    for name, b in builds.items():
        print(f"{name}: {len(b.data):,} rows x {b.data.shape[1]} columns, {len(b.report)} rules")
    print(f"report of every rule applied: {PANELS / 'build_report.csv'}")


if __name__ == "__main__":
    sys.exit(run_main(STEP, main))
