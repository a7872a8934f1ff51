"""The panels stage: every built panel, from raw files to a validated frame with a drop report.

Each builder takes the raw files (a :class:`~agglomeration.data.RawData`, which reads each file
once, or the folder that holds them), reads them only through :mod:`agglomeration.data`'s
readers, cleans them, adds the derived columns computed by :mod:`agglomeration.measures` and
:mod:`agglomeration.spatial`, checks the result against its schema (pandera) and returns a
:class:`PanelBuild`: the data, a report with one row per rule applied (rows dropped, cells set
missing, codes recoded, with counts), independent checks where the builder makes them, and any
derived tables. The choices of the analysis (distance bands, base years, thresholds) are
arguments, collected in :class:`PanelOptions` for :func:`build_panels`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from agglomeration.data.raw import RawData, as_raw
from agglomeration.measures import related_cluster_pairs
from agglomeration.panels._build import DropLog, PanelBuild, sum_strict
from agglomeration.panels.cluster_pairs import build_cluster_pairs
from agglomeration.panels.county import (
    COUNTY_RECODES,
    DEFAULT_POPDENS_YEARS,
    DEFAULT_RINGS_KM,
    build_county_panel,
)
from agglomeration.panels.county_sector import COUNTY_SECTOR_COLUMNS, build_county_sector_panel
from agglomeration.panels.metro_clusters import build_metro_clusters
from agglomeration.panels.metros import build_metros
from agglomeration.panels.plants import build_plant_panel
from agglomeration.panels.schemas import PanelSchemaError
from agglomeration.panels.shocks import SHOCK_TABLES
from agglomeration.panels.shocks_county import build_county_shock
from agglomeration.panels.shocks_metro import build_metro_shock
from agglomeration.panels.shocks_state import build_state_shock
from agglomeration.panels.state_growth import DEFAULT_GROWTH_PERIODS, build_state_growth_panel
from agglomeration.panels.state_industry import build_state_industry_panel, eg_gamma_table

__all__ = [
    "COUNTY_RECODES",
    "COUNTY_SECTOR_COLUMNS",
    "PANELS",
    "DropLog",
    "PanelBuild",
    "PanelOptions",
    "PanelSchemaError",
    "SHOCK_TABLES",
    "build_county_panel",
    "build_cluster_pairs",
    "build_county_shock",
    "build_county_sector_panel",
    "build_metro_clusters",
    "build_metro_shock",
    "build_metros",
    "build_panels",
    "build_plant_panel",
    "build_state_growth_panel",
    "build_state_industry_panel",
    "build_state_shock",
    "eg_gamma_table",
    "sum_strict",
]

PANELS: tuple[str, ...] = (
    "county",
    "county_sector",
    "state_industry",
    "metro_clusters",
    "metros",
    "cluster_pairs",
    "plants",
    "state_growth",
    "county_shock",
    "metro_shock",
    "state_shock",
)
"""Names of the panels :func:`build_panels` builds, in build order."""


@dataclass(frozen=True)
class PanelOptions:
    """The analysis's choices for the panels (the defaults are the paper's).

    Attributes
    ----------
    county_lag_band_km : float
        Distance band of the county spatial lags (SLX).
    county_rings_km : tuple of (float, float)
        Distance rings ``(inner, outer]`` in km of the neighbouring counties' density
        (``log_ring_density_<inner>_<outer>`` in the county panel).
    county_popdens_years : tuple of int
        Census years of the historical population densities (``log_popdens_<year>``).
    related_base_year : int
        Year in which state x industry co-location relatedness is measured.
    related_threshold : float
        Correlation of location quotients across states above which two industries are related.
    strong_quantile : float
        Quantile of the cluster LQ across metros above which a metro's cluster is strong.
    related_cluster_flag : str
        Column of the Cluster Mapping relatedness table marking related cluster pairs.
    growth_periods : tuple of (int, int)
        Periods ``(start, end)`` of the state x industry growth panel.
    growth_relatedness_base_year : int
        Year of the national 6-digit employment weights that carry the Cluster Mapping's
        cluster relatedness to 3-digit industries (the first year in the crosswalk's NAICS
        vintage; see :func:`build_state_growth_panel`).
    growth_placebo_seed : int
        Seed of the placebo permutation of industries in the growth panel.
    growth_top_share : float
        Share of each industry's links counted as related in the growth panel's ``_top10``
        pools.
    county_shock_years, metro_shock_years : (int, int)
        Years before and after the shock of the county and metro shock panels (CBP employment;
        the sector mix is ABS 2017 and the metro 6-digit mix CBP 2019, so the metro shock must
        start in 2019).
    state_shock_years : (int, int)
        Years before and after the shock of the state shock panel.
    state_mix_year : int
        Year of the states' 3-digit industry mix.
    """

    county_lag_band_km: float = 100.0
    county_rings_km: tuple[tuple[float, float], ...] = DEFAULT_RINGS_KM
    county_popdens_years: tuple[int, ...] = DEFAULT_POPDENS_YEARS
    related_base_year: int = 2001
    related_threshold: float = 0.3
    strong_quantile: float = 0.75
    related_cluster_flag: str = "rel_all_90_v3"
    growth_periods: tuple[tuple[int, int], ...] = DEFAULT_GROWTH_PERIODS
    growth_relatedness_base_year: int = 2017
    growth_placebo_seed: int = 20140
    growth_top_share: float = 0.1
    county_shock_years: tuple[int, int] = (2019, 2021)
    metro_shock_years: tuple[int, int] = (2019, 2021)
    state_shock_years: tuple[int, int] = (2007, 2010)
    state_mix_year: int = 2006

    def to_dict(self) -> dict[str, object]:
        """Plain-dict form (for build manifests)."""
        return asdict(self)


def build_panels(
    raw: RawData | Path | str, options: PanelOptions | None = None
) -> dict[str, PanelBuild]:
    """Build every panel of :data:`PANELS` from one set of raw files, each file read once.

    Parameters
    ----------
    raw : RawData or path
        The verified raw files.
    options : PanelOptions, optional
        The analysis's choices; defaults to the paper's.

    Returns
    -------
    dict of str to PanelBuild
        One entry per panel name, in :data:`PANELS` order.
    """
    o = options or PanelOptions()
    r = as_raw(raw)
    county = build_county_panel(
        r,
        lag_band_km=o.county_lag_band_km,
        rings_km=o.county_rings_km,
        popdens_years=o.county_popdens_years,
    )
    metro = build_metro_clusters(
        r, strong_quantile=o.strong_quantile, related_flag=o.related_cluster_flag
    )
    related = r.get("related_clusters")
    pairs = related_cluster_pairs(
        related, column=o.related_cluster_flag, cluster="cluster_a", related_cluster="cluster_b"
    )
    builds = {
        "county": county,
        "county_sector": build_county_sector_panel(r),
        "state_industry": build_state_industry_panel(
            r, related_base_year=o.related_base_year, related_threshold=o.related_threshold
        ),
        "metro_clusters": metro,
        "metros": build_metros(metro.data, county.data, pairs),
        "cluster_pairs": build_cluster_pairs(metro.data, related),
        "plants": build_plant_panel(r),
        "state_growth": build_state_growth_panel(
            r,
            periods=o.growth_periods,
            relatedness_base_year=o.growth_relatedness_base_year,
            placebo_seed=o.growth_placebo_seed,
            top_share=o.growth_top_share,
        ),
        "county_shock": build_county_shock(
            r, t0=o.county_shock_years[0], t1=o.county_shock_years[1]
        ),
        "metro_shock": build_metro_shock(
            r, clusters=metro.data, t0=o.metro_shock_years[0], t1=o.metro_shock_years[1]
        ),
        "state_shock": build_state_shock(
            r,
            mix_year=o.state_mix_year,
            t0=o.state_shock_years[0],
            t1=o.state_shock_years[1],
        ),
    }
    return {name: builds[name] for name in PANELS}
