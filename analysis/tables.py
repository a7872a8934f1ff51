"""Step `tables`: the registry and the panels -> the paper's tables and the macros the text quotes.

Reads: bld/estimates/*.csv (the registry rows of this run), bld/panels/ (summary statistics,
counts), analysis/table_specs/*.toml (the regression tables, declared: adding a column is one
line of TOML), the committed Monte Carlo results in analysis/.
Produces: bld/tables/<name>.tex (one float per table, caption and notes included) and
<name>.md, bld/macros.tex (every number the text quotes), bld/estimates/macros.csv (the same
numbers with their source, the registry of the text's numbers).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping

import pandas as pd

from agglomeration.data.concordance import INDUSTRY_TITLES
from agglomeration.effects import implied_gains
from agglomeration.panels import PanelOptions
from agglomeration.report import (
    build_table,
    describe_variance,
    format_number,
    load_table_spec,
    make_frame_table,
    make_macros,
    make_summary_table,
)
from agglomeration.report.figures import county_map_data

from figures import MAP_YEAR
from macros_text import (
    claims_numbers,
    count_macros,
    design_macros,
    numbers_tex,
    registry_numbers,
    robustness_numbers,
    shift_share_numbers,
    text_macros,
)
from project_paths import (
    BLD,
    ESTIMATES,
    MONTECARLO_CONLEY,
    MONTECARLO_SHIFT_SHARE,
    PANELS,
    ROOT,
    TABLES,
    write_csv,
    write_text,
)
from step import Step, run_main

TABLE_SPECS = ROOT / "analysis" / "table_specs"
SPEC_NAMES = sorted(p.stem for p in TABLE_SPECS.glob("*.toml"))
FRAME_TABLES = (
    "summary_county",
    "summary_county_sector",
    "claims",
    "baseline_variances",
    "eg_gamma_top",
    "montecarlo_conley",
    "montecarlo_shift_share",
)
QUANTILES: tuple[float, float] = implied_gains.__kwdefaults__["quantiles"]  # type: ignore[index]
"""The percentiles of the claims table (the library default)."""
EG_MIN_STATES = 30
"""Industries observed (employment disclosed) in fewer states are left out of the EG ranking."""

STEP = Step(
    "tables",
    reads=(
        ESTIMATES / "estimates.csv",
        ESTIMATES / "claims.csv",
        ESTIMATES / "risk.csv",
        ESTIMATES / "robustness_summary.csv",
        ESTIMATES / "baseline_variances.csv",
        ESTIMATES / "dropped.csv",
        ESTIMATES / "tfp.csv",
        PANELS / "county.parquet",
        PANELS / "county_sector.parquet",
        PANELS / "state_industry.parquet",
        PANELS / "plants.parquet",
        PANELS / "metros.parquet",
        PANELS / "cluster_pairs.parquet",
        PANELS / "build_report.csv",
        PANELS / "eg_gamma.csv",
        PANELS / "metro_patent_check.csv",
        MONTECARLO_CONLEY,
        MONTECARLO_SHIFT_SHARE,
        TABLE_SPECS,
    ),
    produces=(
        *(TABLES / f"{n}.tex" for n in (*SPEC_NAMES, *FRAME_TABLES)),
        *(TABLES / f"{n}.md" for n in SPEC_NAMES),
        BLD / "macros.tex",
        BLD / "numbers.tex",
        ESTIMATES / "macros.csv",
    ),
    summary="registry and panels -> LaTeX tables and the macros the text quotes",
    code=(ROOT / "analysis" / "macros_text.py", ROOT / "analysis" / "figures.py"),
)

COUNTY_LABELS = {
    "employment": "Employment (March)",
    "pay_per_emp": "First-quarter payroll per employee ($)",
    "density": "Employment per km² of land",
    "land_area_km2": "Land area (km²)",
    "pct_baplus": "Share of adults with a BA+ (2013–17)",
    "pop_1900": "Population in 1900 (2010 boundaries)",
    "patents": "Utility patents (2001–2015)",
}
SECTOR_LABELS = {
    "employment": "Employment",
    "receipts": "Receipts ($)",
    "payroll": "Annual payroll ($)",
    "diversity": "County sector diversity (1 − HHI)",
}
VARIANCE_NAMES = {"fips": "county", "state_fips": "state", "year": "year"}


def regression_tables(registry: pd.DataFrame) -> dict[str, str]:
    """Every table declared in analysis/table_specs/, as LaTeX and Markdown."""
    out = {}
    for name in SPEC_NAMES:
        table = build_table(load_table_spec(TABLE_SPECS / f"{name}.toml"), registry)
        out[f"{name}.tex"] = table.to_latex()
        out[f"{name}.md"] = table.to_markdown()
    return out


def summary_tables(county: pd.DataFrame, sectors: pd.DataFrame) -> dict[str, str]:
    """Summary statistics of the county panel and the county x sector cross-section."""
    return {
        "summary_county.tex": make_summary_table(
            county,
            list(COUNTY_LABELS),
            COUNTY_LABELS,
            digits=1,
            caption="Summary statistics, county × year 2001–2021",
            label="tab:summary",
            notes="County Business Patterns (employment, payroll), 2019 Gazetteer (land), ACS "
            "2013–2017 (education), Schroeder (2016) historical population, USPTO patents. N "
            "counts non-missing values; suppressed cells are missing, never zero.",
        ),
        "summary_county_sector.tex": make_summary_table(
            sectors,
            list(SECTOR_LABELS),
            SECTOR_LABELS,
            digits=1,
            caption="Summary statistics, county × 2-digit sector 2017 (Annual Business Survey)",
            label="tab:summary_sector",
            notes="Withheld cells are missing, never zero; sectors 00 (all) and 99 (not "
            "classified) are left out.",
        ),
    }


def claims_table(claims: pd.DataFrame) -> str:
    """Render the claims table: each claim, the estimate, the implied 90/10 gap, the verdict."""

    def pct(x: float) -> str:
        return format_number(100 * x, 1)

    def verdict(row: pd.Series) -> str:
        lo, hi = 100 * row["gap_low"], 100 * row["gap_high"]
        if hi < 0:
            return "negative"
        if lo <= 0:
            return "not distinguishable from zero"
        if lo >= 5 and hi <= 25:
            return "inside 5–25%"
        if hi < 5:
            return "below 5%"
        if lo > 25:
            return "above 25%"
        return "overlaps 5–25%"

    frame = pd.DataFrame(
        {
            "Claim": claims["claim"],
            "Coefficient": claims["estimate"].map(lambda x: format_number(x, 3)),
            "90/10 spread": claims["spread"].map(lambda x: format_number(x, 2)),
            "Gap, %": claims["gap"].map(pct),
            "95% interval, %": [
                f"[{pct(lo)}, {pct(hi)}]"
                for lo, hi in zip(claims["gap_low"], claims["gap_high"], strict=True)
            ],
            "Verdict against 5–25%": claims.apply(verdict, axis=1),
        }
    )
    return make_frame_table(
        frame,
        align="p{6cm}rrrrl",
        caption="The size of the gain, in the advocates' terms",
        label="tab:claims",
        notes="Each row: the implied difference in the outcome (pay, receipts per employee) "
        "between a unit at the 10th and one at the 90th percentile of the measure in the "
        "estimation sample, exp(b × spread) − 1, with the interval from the 95% interval of "
        "b (state-clustered). The spread is in the measure's units (logs for log measures). "
        "Cluster advocates quote productivity gains of 5–25%.",
    )


def variances_table(cv: pd.DataFrame) -> str:
    """Render the baseline's standard error under every variance estimator."""
    frame = pd.DataFrame(
        {
            "Variance estimator": [
                describe_variance(r, VARIANCE_NAMES, within="year", serial_unit="county")
                for r in cv.to_dict("records")
            ],
            "Std. error": cv["std_error"],
            "95% CI low": cv["conf_low"],
            "95% CI high": cv["conf_high"],
            "Clusters / periods": cv["n_clusters"].astype("Int64"),
        }
    )
    return make_frame_table(
        frame,
        digits={"Std. error": 4, "95% CI low": 3, "95% CI high": 3},
        caption="The baseline elasticity's standard error under fourteen variance estimators",
        label="tab:variances",
        notes="County × year baseline (state × year FE). Small-sample factors: HC1 N/(N−k); "
        "clustered and Driscoll–Kraay G/(G−1)·(N−1)/(N−k) (two-way: the smaller G); Conley "
        "N/(N−k) with the normal distribution. Conley with serial correlation: all 20 lags "
        "within a county, Bartlett weights.",
    )


def eg_table(gamma: pd.DataFrame, year: int) -> tuple[str, dict[str, float]]:
    """Top Ellison-Glaeser gammas with industry names, among well-observed industries."""
    g = gamma.loc[gamma["year"].eq(year)].copy()
    keep = g["n_regions"].ge(EG_MIN_STATES)
    top = g.loc[keep].sort_values("gamma", ascending=False, kind="stable").head(10)
    frame = pd.DataFrame(
        {
            "Industry": top["industry"].map(lambda c: INDUSTRY_TITLES.get(str(c), str(c))),
            "NAICS": top["industry"].astype(str),
            "gamma": top["gamma"],
            "G": top["G"],
            "H (from counts)": top["H"],
            "States": top["n_regions"].astype("int64"),
        }
    )
    tex = make_frame_table(
        frame,
        digits={"gamma": 3, "G": 3, "H (from counts)": 4},
        align="p{6.2cm}lrrrr",
        caption=f"Most agglomerated 3-digit industries across states, {year} (Ellison–Glaeser γ)",
        label="tab:eg",
        notes=f"Industries whose employment is disclosed in at least {EG_MIN_STATES} states; "
        "the plant Herfindahl H assumes equal plants within a state-industry cell (a lower bound "
        "on H, so γ is overstated somewhat).",
    )
    stats = {
        "n_industries": float(g["gamma"].notna().sum()),
        "n_kept": float(keep.sum()),
        "n_left_out": float((~keep & g["gamma"].notna()).sum()),
        "median": float(g.loc[keep, "gamma"].median()),
    }
    return tex, stats


MC_LABELS = {
    "iid": "iid (homoskedastic)",
    "hetero": "heteroskedasticity-robust (HC1)",
    "akm": "AKM (exposure-robust)",
    "akm0": "AKM0 (null imposed, test inversion)",
}


def _mc_label(v: str) -> str:
    if v in MC_LABELS:
        return MC_LABELS[v]
    if v.startswith("cluster("):
        return "cluster by " + v.removeprefix("cluster(").removesuffix(")")
    if v.startswith("conley("):
        inner = v.removeprefix("conley(").removesuffix(")").split(", ")
        cut = float(inner[0].removesuffix(" km"))
        kernel = "" if inner[1] == "uniform" else f", {inner[1]} kernel"
        serial = " + serial" if any(x.startswith("serial") for x in inner) else ""
        return f"Conley {cut:.0f} km{kernel}{serial}"
    return v


MC_DESIGNS = {
    "within_year": "Spatial correlation within year",
    "serial_county_effects": "+ serial correlation and county effects",
}


def montecarlo_tables(mc: pd.DataFrame, ss: pd.DataFrame) -> dict[str, str]:
    """Render the committed Monte Carlo results with reader-facing labels."""

    def frame(d: pd.DataFrame) -> pd.DataFrame:
        design = d["design"].astype(str).str.split(":").str[0]
        first = ~design.duplicated()
        out = pd.DataFrame(
            {
                "Design": design.map(MC_DESIGNS).fillna(design).where(first, ""),
                "Standard errors": d["variance"].map(_mc_label),
                "Coverage of 95% CI": d["coverage"],
                "MC s.e.": d["coverage_mc_se"],
                "RMS s.e. / s.d. of estimates": d["se_ratio"],
            }
        )
        return out if design.nunique() > 1 else out.drop(columns="Design")

    return {
        "montecarlo_conley.tex": make_frame_table(
            frame(mc),
            digits=3,
            caption="Monte Carlo: coverage of 95% intervals for the density elasticity",
            label="tab:mc_conley",
            notes="Simulated county panels with spatially correlated errors "
            "(agglomeration.simulate.regional_panel); design in the text.",
        ),
        "montecarlo_shift_share.tex": make_frame_table(
            frame(ss),
            digits=3,
            caption="Monte Carlo: coverage of 95% intervals for a shift-share coefficient",
            label="tab:mc_shift_share",
            notes="Regions whose errors share industry components through their shares "
            "(Adão, Kolesár & Morales 2019); design in the text.",
        ),
    }


def write_all(texts: Mapping[str, str]) -> None:
    for name, text in texts.items():
        write_text(TABLES / name, text)


def main(argv: list[str] | None = None) -> None:
    t0 = time.perf_counter()
    registry = pd.read_csv(ESTIMATES / "estimates.csv")
    claims = pd.read_csv(ESTIMATES / "claims.csv")
    cv = pd.read_csv(ESTIMATES / "baseline_variances.csv")
    county = pd.read_parquet(PANELS / "county.parquet")
    sectors = pd.read_parquet(PANELS / "county_sector.parquet")
    gamma = pd.read_csv(PANELS / "eg_gamma.csv", dtype={"industry": str})
    mc = pd.read_csv(MONTECARLO_CONLEY)
    ss = pd.read_csv(MONTECARLO_SHIFT_SHARE)
    texts: dict[str, str] = {}
    texts |= regression_tables(registry)
    texts |= summary_tables(county, sectors)
    texts["claims.tex"] = claims_table(claims)
    texts["baseline_variances.tex"] = variances_table(cv)
    eg_tex, eg_stats = eg_table(gamma, 2019)
    texts["eg_gamma_top.tex"] = eg_tex
    texts |= montecarlo_tables(mc, ss)
    write_all(texts)
    numbers = (
        registry_numbers(registry)
        | claims_numbers(claims)
        | shift_share_numbers(pd.read_csv(ESTIMATES / "risk.csv"))
        | robustness_numbers(pd.read_csv(ESTIMATES / "robustness_summary.csv"))
    )
    write_text(BLD / "numbers.tex", numbers_tex(numbers))
    years = {
        "YearsCounty": "2001--2021",
        "YearFirst": str(int(county["year"].min())),
        "YearLast": str(int(county["year"].max())),
        "YearsPatents": "2001--2015",
        "YearsPatentsMetro": "2011--2015",
        "YearABS": "2017",
        "YearMetro": "2019",
        "YearsACS": "2013--2017",
        "YearIVA": "1900",
        "YearIVB": "1850",
        "GrowthPeriodA": "2001--2010",
        "GrowthPeriodB": "2010--2019",
        "YearShockCountyA": "2019",
        "YearShockCountyB": "2021",
        "YearShockStateA": "2007",
        "YearShockStateB": "2010",
    }
    macros = text_macros(
        variances=cv,
        eg=eg_stats,
        montecarlo=mc,
        shift_share_mc=ss,
    )
    macros |= design_macros(
        rings_km=PanelOptions().county_rings_km,
        quantiles=QUANTILES,
        eg_min_states=EG_MIN_STATES,
        network_min_percentile=95.0,
        settled_min=100,
        conley_cutoff_km=float(
            registry.loc[registry["variance_type"].eq("conley"), "cutoff_km"].max()
        ),
        years=years,
    )
    macros |= count_macros(
        county=county,
        sectors=sectors,
        state_industry_rows=len(
            pd.read_parquet(PANELS / "state_industry.parquet", columns=["year"])
        ),
        report=pd.read_csv(PANELS / "build_report.csv"),
        metros=pd.read_parquet(PANELS / "metros.parquet"),
        pairs=pd.read_parquet(PANELS / "cluster_pairs.parquet"),
        patent_check=pd.read_csv(PANELS / "metro_patent_check.csv"),
        plants=pd.read_parquet(PANELS / "plants.parquet"),
        tfp=pd.read_csv(ESTIMATES / "tfp.csv"),
    )
    year_map = county.loc[county["year"].eq(MAP_YEAR)]
    macros["YearMap"] = (str(MAP_YEAR), "analysis/figures.py MAP_YEAR")
    macros["NMapCounties"] = (
        f"{len(county_map_data(year_map, 'density', log=True).points):,}",
        "counties drawn on the county map (report.figures.county_map_data)",
    )
    risk = pd.read_csv(ESTIMATES / "risk.csv")
    macros["NStates"] = (
        str(int(risk.loc[risk["spec_name"].eq("ss_state"), "n_obs"].iloc[0])),
        "risk.csv ss_state n_obs",
    )
    macros["NShiftShareSectors"] = (
        str(int(risk.loc[risk["spec_name"].eq("ss_county"), "n_industries"].iloc[0])),
        "risk.csv ss_county n_industries",
    )
    write_text(BLD / "macros.tex", make_macros({k: v for k, (v, _) in macros.items()}))
    write_csv(
        ESTIMATES / "macros.csv",
        pd.DataFrame(
            [(k, v, src) for k, (v, src) in sorted((numbers | macros).items())],
            columns=["macro", "value", "source"],
        ),
    )
    print(
        f"tables: {len(texts)} files in {TABLES.relative_to(ROOT)}/, {len(macros)} macros in "
        f"bld/macros.tex, {len(numbers)} registry numbers in bld/numbers.tex "
        f"({time.perf_counter() - t0:.1f} s)"
    )


if __name__ == "__main__":
    sys.exit(run_main(STEP, main))
