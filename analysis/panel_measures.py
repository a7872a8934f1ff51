"""Measures added to the built panels (called by `build.py`): thin calls into the library.

- county x year: spatial lags (SLX) of log density and patents over a 100 km band,
  row-standardised, within each year (neighbours' mean, own county excluded);
- state x industry x year: Herfindahl and Krugman specialisation of the state, log own-industry
  employment, employment in co-located (related) industries with relatedness measured once in the
  base year 2001 (correlation of location quotients across states);
- metro x cluster 2019: the strong-cluster flag and related-cluster strength (DPS 2014) with the
  US Cluster Mapping relatedness table;
- Ellison-Glaeser gammas by 3-digit industry and year at the state level, with the plant
  Herfindahl approximated from establishment counts (equal-size plants within a state-industry).

Each function returns the enlarged frame and a list of report rows (what the missing-value
rules touched), appended to bld/panels/build_report.csv.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from agglomeration.data.readers import FILES
from agglomeration.measures import (
    cluster_strength,
    colocation_relatedness,
    ellison_glaeser_gamma,
    krugman_specialisation,
    mark_suppressed,
    plant_herfindahl_from_counts,
    prepare_cluster_crosswalk,
    region_herfindahl,
    related_cluster_pairs,
    related_cluster_strength,
    related_employment,
)
from agglomeration.spatial import distance_band_weights, spatial_lag

BAND_KM = 100.0
BASE_YEAR = 2001
RELATED_THRESHOLD = 0.3  # LQ correlation across states above which two industries are related

Report = list[dict[str, object]]


def _row(dataset: str, step: str, reason: str, rows: int) -> dict[str, object]:
    return {
        "dataset": dataset,
        "step": step,
        "action": "missing",
        "reason": reason,
        "rows": int(rows),
    }


def add_county_measures(county: pd.DataFrame) -> tuple[pd.DataFrame, Report]:
    """Add 100 km spatial lags of log density and patents to the county panel."""
    loc = county.drop_duplicates("fips")[["fips", "lat", "lon"]]
    w = distance_band_weights(
        loc["lat"], loc["lon"], BAND_KM, ids=loc["fips"], row_standardize=True
    )
    res = spatial_lag(
        county, w, unit="fips", columns=["log_density", "patents"], time="year", suffix="_lag100"
    )
    out = county.copy()
    out["log_density_lag100"] = res.table["log_density_lag100"].to_numpy()
    out["patents_lag100"] = res.table["patents_lag100"].to_numpy()
    rep = [
        _row(
            "county",
            "measures",
            f"spatial lag ({BAND_KM:g} km) computed over observed neighbours only",
            res.n_missing,
        ),
        _row(
            "county",
            "measures",
            "county-years without a neighbour within the band (island: lag set to 0)",
            res.info["islands"],
        ),
    ]
    return out, rep


def add_state_industry_measures(state: pd.DataFrame) -> tuple[pd.DataFrame, Report]:
    """Add state specialisation, own- and related-industry employment to the state panel."""
    keys = {"region": "state_fips", "industry": "industry", "value": "employment", "time": "year"}
    hhi = region_herfindahl(state, **keys)
    kru = krugman_specialisation(state, **keys)
    out = state.merge(
        hhi.table[["state_fips", "year", "herfindahl"]].rename(
            columns={"herfindahl": "state_herfindahl"}
        ),
        on=["state_fips", "year"],
        how="left",
        validate="many_to_one",
    )
    kcol = [c for c in kru.table.columns if c not in ("state_fips", "year")][0]
    out = out.merge(
        kru.table[["state_fips", "year", kcol]].rename(columns={kcol: "state_krugman"}),
        on=["state_fips", "year"],
        how="left",
        validate="many_to_one",
    )
    out["log_employment"] = np.log(out["employment"].where(out["employment"] > 0))
    base = state.loc[state["year"].eq(BASE_YEAR)]
    rel = colocation_relatedness(base, region="state_fips", industry="industry", value="employment")
    remp = related_employment(state, rel.table, **keys, threshold=RELATED_THRESHOLD)
    keep = ["state_fips", "industry", "year", "related_employment", "n_related"]
    out = out.merge(
        remp.table[keep], on=["state_fips", "industry", "year"], how="left", validate="one_to_one"
    )
    out["log_related_employment"] = np.log(
        out["related_employment"].where(out["related_employment"] > 0)
    )
    rep = [
        _row(
            "state_industry",
            "measures",
            "suppressed cells left out of state Herfindahl/Krugman totals",
            hhi.n_missing,
        ),
        _row(
            "state_industry",
            "measures",
            f"suppressed cells left out of {BASE_YEAR} co-location relatedness",
            rel.n_missing,
        ),
        _row(
            "state_industry",
            "measures",
            "suppressed cells left out of related-industry employment",
            remp.n_missing,
        ),
    ]
    return out, rep


def add_metro_measures(metro: pd.DataFrame, raw_dir: Path) -> tuple[pd.DataFrame, Report]:
    """Add the strong-cluster flag and related-cluster strength (DPS 2014) to the metro table."""
    cbp = pd.read_csv(
        raw_dir / FILES["cbp_cbsa_naics6"], dtype={"cbsa_code": str, "naics_code": str}
    )
    cbp = cbp.rename(columns={"cbsa_code": "cbsa", "naics_code": "naics", "EMP": "employment"})
    cbp["cbsa"] = cbp["cbsa"].str.zfill(5)
    cbp = mark_suppressed(
        cbp.astype({"employment": float}), value="employment", establishments="ESTAB"
    ).table
    cw = prepare_cluster_crosswalk(
        pd.read_csv(raw_dir / FILES["cluster_crosswalk"], dtype={"naics": str})
    )
    strength = cluster_strength(cbp, cw.table, region="cbsa", industry="naics", value="employment")
    pairs = related_cluster_pairs(pd.read_csv(raw_dir / FILES["related_clusters"]))
    related = related_cluster_strength(strength.table, pairs, region="cbsa")
    st = strength.table[["cbsa", "cluster", "strong"]]
    rl = related.table[
        [
            c
            for c in related.table.columns
            if c in ("cbsa", "cluster", "related_employment", "n_strong_related", "n_related")
        ]
    ]
    out = metro.merge(st, on=["cbsa", "cluster"], how="left", validate="one_to_one")
    out = out.merge(rl, on=["cbsa", "cluster"], how="left", validate="one_to_one")
    rep = [
        _row(
            "metro_clusters",
            "measures",
            "suppressed 6-digit cells left out of cluster strength",
            strength.n_missing,
        ),
    ]
    return out, rep


def eg_gamma_table(state: pd.DataFrame) -> tuple[pd.DataFrame, Report]:
    """Ellison-Glaeser gamma by industry and year across states (plant H from counts)."""
    keys = {"region": "state_fips", "industry": "industry", "time": "year"}
    ph = plant_herfindahl_from_counts(
        state,
        industry="industry",
        establishments="establishments",
        value="employment",
        region="state_fips",
        time="year",
    )
    eg = ellison_glaeser_gamma(state, **keys, value="employment", plant_herfindahl=ph.table)
    rep = [
        _row(
            "eg_gamma",
            "measures",
            "suppressed state x industry cells left out of EG gamma",
            eg.n_missing,
        )
    ]
    return eg.table, rep
