"""Step `figures`: the paper's figures (vector PDF, deterministic) and the data each draws.

Reads: bld/estimates/estimates.csv (registry rows), bld/panels/county.parquet,
bld/panels/metro_clusters.parquet, data_raw relatedness (through the explorer's frames).
Produces: bld/figures/<name>.pdf and bld/figures/<name>.csv (the data drawn, checked by tests
and by a referee without reading pixels).
"""

from __future__ import annotations

import sys
import time

import pandas as pd

from agglomeration.data.readers import read_related_clusters
from agglomeration.explorer import cluster_links, cluster_nodes
from agglomeration.report import describe_variance
from agglomeration.report.figures import (
    binned_scatter,
    cluster_network_plot,
    coefficient_plot,
    county_map,
    ring_decay_plot,
    save_figure,
)

from project_paths import DATA_RAW, ESTIMATES, FIGURES, PANELS, ROOT, write_csv
from step import Step, run_main

MAP_YEAR = 2019  # the county map's year (quoted in the paper as \YearMap)

NAMES = ("binned_density_pay", "ladder", "variances", "ring_decay", "county_map", "network")

STEP = Step(
    "figures",
    reads=(
        ESTIMATES / "estimates.csv",
        ESTIMATES / "baseline_variances.csv",
        PANELS / "county.parquet",
        PANELS / "metro_clusters.parquet",
        DATA_RAW / "uscmp_related_clusters_51x51.csv",
    ),
    produces=tuple(FIGURES / f"{n}.{ext}" for n in NAMES for ext in ("pdf", "csv")),
    summary="binned scatter, ladder and variance coefficient plots, ring decay, map, network",
)

LADDER = (
    ("county_baseline", "State × year FE"),
    ("county_sorting", "+ share with a BA+"),
    ("county_iv_1900", "IV: 1900 density"),
    ("county_iv_1900_sorting", "IV: 1900 density, + BA+"),
    ("county_iv_1850", "IV: 1850 density (settled)"),
    ("county_iv_overid", "IV: 1850 and 1900"),
    ("county_weighted", "Employment-weighted"),
    ("county_within", "County + year FE (within)"),
)
RINGS = {
    "log_ring_density_0_50_filled": (0.0, 50.0),
    "log_ring_density_50_100_filled": (50.0, 100.0),
    "log_ring_density_100_200_filled": (100.0, 200.0),
}
VARIANCE_NAMES = {"fips": "county", "state_fips": "state", "year": "year"}


def _rows(registry: pd.DataFrame, spec: str, term: str) -> pd.DataFrame:
    return registry.loc[registry["spec_name"].eq(spec) & registry["term"].eq(term)]


def ladder_frame(registry: pd.DataFrame) -> pd.DataFrame:
    """Return the density elasticity on each rung, state-clustered and Conley 500 km (serial)."""
    rows = []
    for spec, label in LADDER:
        r = _rows(registry, spec, "log_density")
        for group, mask in (
            ("Clustered by state", r["variance_type"].eq("cluster")),
            ("Conley 500 km + serial", r["variance_type"].eq("conley") & r["cutoff_km"].eq(500)),
        ):
            hit = r.loc[mask].iloc[0]
            rows.append(
                {
                    "label": label,
                    "group": group,
                    "spec_name": spec,
                    "estimate": hit["estimate"],
                    "conf_low": hit["conf_low"],
                    "conf_high": hit["conf_high"],
                }
            )
    return pd.DataFrame(rows)


def ring_frame(registry: pd.DataFrame) -> pd.DataFrame:
    """Return the ring coefficients of the pay spec, Conley 500 km with serial correlation."""
    r = registry.loc[
        registry["spec_name"].eq("county_rings")
        & registry["term"].isin(list(RINGS))
        & registry["variance_type"].eq("conley")
        & registry["cutoff_km"].eq(500)
    ]
    return r[["term", "estimate", "conf_low", "conf_high"]].reset_index(drop=True)


def main(argv: list[str] | None = None) -> None:
    t0 = time.perf_counter()
    registry = pd.read_csv(ESTIMATES / "estimates.csv")
    cv = pd.read_csv(ESTIMATES / "baseline_variances.csv")
    county = pd.read_parquet(PANELS / "county.parquet")
    figures = {}
    fig, data = binned_scatter(
        county,
        "log_pay_per_emp",
        "log_density",
        absorb=("state_fips", "year"),
        n_bins=30,
        xlabel="log employment density (state × year demeaned)",
        ylabel="log pay per employee (demeaned)",
    )
    figures["binned_density_pay"] = (fig, data.bins)
    fig, d = coefficient_plot(ladder_frame(registry), group="group")
    figures["ladder"] = (fig, d)
    vframe = cv.assign(
        label=[
            describe_variance(r, VARIANCE_NAMES, within="year", serial_unit="county")
            for r in cv.to_dict("records")
        ]
    )
    fig, d = coefficient_plot(vframe[["label", "estimate", "conf_low", "conf_high"]])
    figures["variances"] = (fig, d)
    fig, d = ring_decay_plot(ring_frame(registry), RINGS)
    figures["ring_decay"] = (fig, d)
    fig, d = county_map(
        county.loc[county["year"].eq(MAP_YEAR)],
        "density",
        log=True,
        label=f"Employment per km², {MAP_YEAR} (log scale)",
    )
    figures["county_map"] = (fig, d.points)
    panel = pd.read_parquet(PANELS / "metro_clusters.parquet")
    related = read_related_clusters(DATA_RAW)
    links = cluster_links(related)
    fig, d = cluster_network_plot(cluster_nodes(panel, links), links)
    figures["network"] = (fig, d.nodes)
    for name, (fig, frame) in figures.items():
        save_figure(fig, FIGURES / f"{name}.pdf")
        write_csv(FIGURES / f"{name}.csv", pd.DataFrame(frame))
    print(
        f"figures: {len(figures)} figures in {FIGURES.relative_to(ROOT)}/ "
        f"({time.perf_counter() - t0:.1f} s)"
    )


if __name__ == "__main__":
    sys.exit(run_main(STEP, main))
