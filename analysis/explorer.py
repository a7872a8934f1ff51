"""Step `explorer`: the self-contained cluster explorer page and its tidy frames.

Reads: bld/panels/metro_clusters.parquet (metro x cluster panel with the strong-cluster flag,
written by `build`), data_raw/uscmp_related_clusters_51x51.csv (relatedness of the 51 traded
clusters), bld/estimates/estimates.csv (the registry rows of this run, copied to
results/estimates.csv by `nox -s paper`; per-cluster patent links are the rows
`metro_patents_strong__<cluster_slug>`, term `strong`).
Produces: bld/explorer/index.html (one file, data, CSS and JavaScript inlined: open it in any
browser, no network needed); bld/explorer/nodes.csv, links.csv, metro_portfolios.csv,
top_metros.csv, patent_links.csv (the frames the page shows).
"""

from __future__ import annotations

import sys

import pandas as pd

from agglomeration.data.readers import read_related_clusters
from agglomeration.explorer import build_explorer_data, render_explorer_html

from project_paths import BLD, DATA_RAW, ESTIMATES, PANELS, write_csv, write_text
from step import Step, run_main

EXPLORER = BLD / "explorer"
FRAMES = ("nodes", "links", "metro_portfolios", "top_metros", "patent_links")

STEP = Step(
    "explorer",
    reads=(
        PANELS / "metro_clusters.parquet",
        DATA_RAW / "uscmp_related_clusters_51x51.csv",
        ESTIMATES / "estimates.csv",
    ),
    produces=(EXPLORER / "index.html", *(EXPLORER / f"{n}.csv" for n in FRAMES)),
    summary="the self-contained cluster explorer page and the frames it shows",
)


def main(argv: list[str] | None = None) -> None:
    panel = pd.read_parquet(PANELS / "metro_clusters.parquet")
    related = read_related_clusters(DATA_RAW)
    registry = pd.read_csv(ESTIMATES / "estimates.csv")
    data = build_explorer_data(panel, related, registry)
    page = write_text(EXPLORER / "index.html", render_explorer_html(data))
    for name, frame in [
        ("nodes", data.nodes),
        ("links", data.links),
        ("metro_portfolios", data.portfolios),
        ("top_metros", data.top_metros),
        ("patent_links", data.patent_links),
    ]:
        write_csv(EXPLORER / f"{name}.csv", frame)
    info = ", ".join(f"{k}={v}" for k, v in data.info.items())
    print(f"explorer: {page} ({page.stat().st_size:,} bytes); {info}; "
          f"patent links for {data.patent_links['cluster'].nunique()} cluster(s)")


if __name__ == "__main__":
    sys.exit(run_main(STEP, main))
