"""Employment density of the neighbouring counties in distance rings (spillovers over distance)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from agglomeration.panels._build import DropLog
from agglomeration.spatial import distance_ring_weights, spatial_lag

__all__ = ["DEFAULT_RINGS_KM", "add_ring_densities", "ring_column"]

DEFAULT_RINGS_KM: tuple[tuple[float, float], ...] = ((0.0, 50.0), (50.0, 100.0), (100.0, 200.0))
"""Distance rings (inner, outer] in km of the neighbours' density (the paper's)."""


def ring_column(inner_km: float, outer_km: float) -> str:
    """Name of the log ring density column, e.g. ``log_ring_density_50_100``."""
    return f"log_ring_density_{inner_km:g}_{outer_km:g}"


def add_ring_densities(
    county: pd.DataFrame,
    log: DropLog,
    *,
    rings_km: tuple[tuple[float, float], ...] = DEFAULT_RINGS_KM,
) -> pd.DataFrame:
    """Add the employment density of the neighbouring counties in each distance ring.

    For county ``i``, ring ``(a, b]`` and year ``t``:

    ``log_ring_density_a_b = log( sum_j w_ij E_jt o_jt / sum_j w_ij A_j o_jt )``

    with ``w_ij = 1`` if the internal points of ``j != i`` lie ``a < d_ij <= b`` km apart
    (:func:`agglomeration.spatial.distance_ring_weights`; the first ring includes 0), ``E``
    March employment, ``A`` land area and ``o_jt = 1`` if ``j``'s employment is observed that
    year. The county itself is excluded, so the ring density enters beside the county's own
    density. The two sums are spatial lags (:func:`agglomeration.spatial.spatial_lag` with
    ``missing="zero"``). A neighbour with missing (suppressed) employment or no CBP row that
    year is left out of both sums; the county-years so affected are counted. A county with no
    neighbour in the ring, or whose ring neighbours are all missing that year, gets a missing
    value (counted); so does a ring with zero employment (never ``log 0``).

    So that regressions need not drop the counties with an empty ring (mostly in the West),
    ``<column>_filled`` is the log ring density with 0 where the ring has no county, and
    ``ring_empty_a_b`` is 1 there (0 elsewhere): entered together, the ring coefficient is
    identified from counties with neighbours in the ring, and the dummy absorbs the level of
    those without (the design of :func:`agglomeration.simulate.county_sector_cross_section`).
    """
    out = county.copy()
    loc = out.drop_duplicates("fips")[["fips", "lat", "lon"]]
    base = out[["fips", "year"]].copy()
    base["employment"] = out["employment"]
    base["area_observed"] = out["land_area_km2"].where(out["employment"].notna())
    for inner, outer in rings_km:
        w = distance_ring_weights(loc["lat"], loc["lon"], inner, outer, ids=loc["fips"])
        res = spatial_lag(
            base,
            w,
            unit="fips",
            time="year",
            columns=["employment", "area_observed"],
            missing="zero",
            suffix="_sum",
        )
        emp = res.table["employment_sum"].to_numpy()
        area = res.table["area_observed_sum"].to_numpy()
        card = pd.Series(w.cardinalities, index=w.ids).reindex(out["fips"]).to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            dens = np.where(area > 0, emp / area, np.nan)
        name = ring_column(inner, outer)
        out[name] = np.log(np.where(dens > 0, dens, np.nan))
        # for regressions that keep the counties with an empty ring: 0 there, and a dummy
        out[f"{name}_filled"] = np.where(card == 0, 0.0, out[name].to_numpy())
        out[f"ring_empty_{inner:g}_{outer:g}"] = (card == 0).astype("float64")
        ring = f"ring ({inner:g}, {outer:g}] km"
        log.add(
            "spatial",
            "missing",
            f"{ring}: no neighbouring county in the ring (county-years)",
            (card == 0).sum(),
        )
        log.add(
            "spatial",
            "kept",
            f"{ring}: density over the observed neighbours only (county-years with a neighbour "
            "whose employment is missing or absent that year)",
            res.info["employment"]["touched_lags"],
        )
        log.add(
            "spatial",
            "missing",
            f"{ring}: every neighbour's employment missing that year (county-years)",
            ((card > 0) & ~(area > 0)).sum(),
        )
        log.add(
            "spatial",
            "missing",
            f"{ring}: zero employment in the ring (county-years)",
            ((area > 0) & (emp == 0)).sum(),
        )
    return out
