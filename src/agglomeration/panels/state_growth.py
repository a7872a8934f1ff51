"""State x 3-digit industry x period employment growth with related-industry employment.

The panel of "related clusters grow together" (Delgado, Porter & Stern 2014, eq. 1 in its
industry form): growth of a state-industry's employment over a period on its own initial size
(convergence) and on the initial employment of the industries related to it in the state, with
relatedness carried from the Cluster Mapping's 51 traded clusters to 3-digit industries
(:func:`agglomeration.measures.industry_relatedness_from_clusters`) for each of its three links:
co-location, input-output and occupations (Delgado, Porter & Stern 2016).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from agglomeration.data.concordance import concord_naics3
from agglomeration.data.raw import RawData, as_raw
from agglomeration.errors import InputError
from agglomeration.measures import (
    RELATEDNESS_MEASURES,
    industry_relatedness_from_clusters,
    mark_suppressed,
    permute_industries,
    prepare_cluster_crosswalk,
    related_employment,
)
from agglomeration.panels._build import DropLog, PanelBuild, sum_strict
from agglomeration.panels.schemas import state_growth_schema, validate
from agglomeration.panels.state_industry import state_geography

__all__ = [
    "DEFAULT_GROWTH_PERIODS",
    "GROWTH_MEASURES",
    "build_state_growth_panel",
    "period_label",
]

DEFAULT_GROWTH_PERIODS: tuple[tuple[int, int], ...] = ((2001, 2010), (2010, 2019))
"""The growth periods of the paper: 2001-2010 and 2010-2019 (before the 2020 shock)."""

GROWTH_MEASURES: tuple[str, ...] = tuple(RELATEDNESS_MEASURES)
"""Short names of the relatedness measures in the panel's column names."""

_KEYS = ["state_fips", "industry"]


def period_label(start: int, end: int) -> str:
    """Label of a growth period, e.g. ``"2001-2010"``."""
    return f"{start}-{end}"


def _check_periods(periods: tuple[tuple[int, int], ...]) -> None:
    if not periods:
        raise InputError("periods is empty; give at least one (start, end) pair of years.")
    for p in periods:
        if len(p) != 2 or not 2001 <= p[0] < p[1] <= 2021:
            raise InputError(
                f"growth period {p!r} must be (start, end) with 2001 <= start < end <= 2021."
            )


def _state_employment(raw: RawData, years: set[int], log: DropLog) -> pd.DataFrame:
    """CBP state x concordance industry employment in ``years`` (suppressed cells NaN)."""
    st = raw.get("cbp_state_naics3")
    st = st.loc[st["year"].isin(years)]
    marked = mark_suppressed(st, value="employment", establishments="establishments")
    log.add(
        "cbp",
        "missing",
        f"employment 0 with establishments > 0 in {sorted(years)}: disclosure suppression",
        marked.n_missing,
    )
    st = marked.table.assign(industry=lambda d: concord_naics3(d["naics"]))
    log.add(
        "cbp",
        "recoded",
        "NAICS code pooled into a vintage-consistent industry (concordance)",
        st["industry"].ne(st["naics"]).sum(),
    )
    return sum_strict(st, ["state_fips", "year", "industry"], ["employment"])


def _growth_rows(
    emp: pd.DataFrame, periods: tuple[tuple[int, int], ...], log: DropLog
) -> pd.DataFrame:
    """One row per state x industry x period with start and end employment and growth."""
    frames = []
    for start, end in periods:
        a = emp.loc[emp["year"].eq(start), [*_KEYS, "employment"]]
        b = emp.loc[emp["year"].eq(end), [*_KEYS, "employment"]]
        m = a.merge(b, on=_KEYS, how="outer", suffixes=("_start", "_end"), indicator=True)
        m["start_absent"] = m["_merge"].eq("right_only")
        m["end_absent"] = m["_merge"].eq("left_only")
        frames.append(
            m.drop(columns="_merge").assign(
                period=period_label(start, end), period_start=start, period_end=end
            )
        )
    out = pd.concat(frames, ignore_index=True)
    e0, e1 = out["employment_start"], out["employment_end"]
    # each row with missing growth is counted once, under the first reason that applies
    rules = [
        (out["start_absent"], "state-industry absent from CBP in the start year (entry)"),
        (e0.isna(), "start-year employment suppressed (or a suppressed part of a pooled industry)"),
        (e0.eq(0), "start-year employment zero"),
        (out["end_absent"], "state-industry absent from CBP in the end year (exit)"),
        (e1.isna(), "end-year employment suppressed (or a suppressed part of a pooled industry)"),
        (e1.eq(0), "end-year employment zero"),
    ]
    done = pd.Series(False, index=out.index)
    for cond, reason in rules:
        hit = cond & ~done
        log.add("growth", "missing", f"growth missing: {reason}", hit.sum())
        done |= hit
    ok = ~done
    out["growth"] = np.nan
    out.loc[ok, "growth"] = np.log(e1[ok] / e0[ok])
    # an absent start cell has no establishments: zero employment, not unknown
    out.loc[out["start_absent"], "employment_start"] = 0.0
    out["log_employment_start"] = np.log(
        out["employment_start"].where(out["employment_start"] > 0)
    )
    return out.drop(columns=["start_absent", "end_absent"])


def _crosswalk(raw: RawData, base_codes: set[str], log: DropLog) -> pd.DataFrame:
    """Return the traded NAICS -> cluster crosswalk used for the weights (see the builder)."""
    cw = raw.get("cluster_crosswalk")
    flagged = cw["nonstandard"].to_numpy(bool)
    in_cbp = cw["naics"].isin(base_codes).to_numpy()
    log.add(
        "relatedness",
        "kept",
        "crosswalk codes flagged emsi_specific_nonstandard that CBP publishes as NAICS codes "
        "in the base year (real NAICS 2017 codes, e.g. 541713-541715): kept",
        (flagged & in_cbp).sum(),
    )
    log.add(
        "relatedness",
        "dropped",
        "crosswalk pseudo-codes flagged emsi_specific_nonstandard and absent from CBP",
        (flagged & ~in_cbp).sum(),
    )
    cw = cw.loc[~flagged | in_cbp]
    prep = prepare_cluster_crosswalk(cw, traded_local="traded", nonstandard=None)
    for reason, n in prep.info.items():
        log.add("relatedness", "dropped", f"crosswalk rows not used for weights: {reason}", n)
    return prep.table


def _related_columns(
    raw: RawData,
    panel: pd.DataFrame,
    *,
    base_year: int,
    placebo_seed: int,
    top_share: float,
    log: DropLog,
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Add related employment (weighted, top-share and placebo) for every measure.

    Returns the panel and the tables of the industry relatedness and cluster weights.
    """
    nat = raw.get("cbp_national_naics6")
    nat = nat.loc[nat["year"].eq(base_year)]
    if nat.empty:
        raise InputError(
            f"relatedness_base_year={base_year}: the national 6-digit CBP file has no such year."
        )
    nat = nat.assign(industry=concord_naics3(nat["naics"].str[:3]))
    cw = _crosswalk(raw, set(nat["naics"]), log)
    full = raw.get("cluster_crosswalk")["naics"]
    outside = ~nat["naics"].isin(set(full))
    log.add(
        "relatedness",
        "dropped",
        f"{base_year} national 6-digit codes in no crosswalk row (traded or local), left out of "
        f"the weights ({nat.loc[outside, 'employment'].sum():,.0f} jobs)",
        outside.sum(),
    )
    related = raw.get("related_clusters")
    start = panel[[*_KEYS, "period", "employment_start"]].rename(
        columns={"employment_start": "employment"}
    )
    out = panel.copy()
    first = True
    rels = []
    for name, col in RELATEDNESS_MEASURES.items():
        rel = industry_relatedness_from_clusters(
            cw, nat, related, measure=col, year=base_year, industry="industry",
            top_share=top_share,
        )
        if first:
            log.add(
                "relatedness",
                "dropped",
                f"{base_year} national 6-digit cells suppressed (NA), left out of the weights",
                rel.n_missing,
            )
            without = rel.info["industries_without_traded"]
            no_rel = out["industry"].isin(without)
            log.add(
                "relatedness",
                "missing",
                "related employment missing: industry without traded-cluster employment in "
                f"{base_year} ({', '.join(without)})",
                no_rel.sum(),
            )
        log.add(
            "relatedness",
            "recoded",
            f"negative cluster-pair {col} set to 0 (non-negative weights)",
            rel.info["negative_set_to_zero"],
        )
        rels.append(rel.table.assign(measure=name))
        placebo = permute_industries(rel.table, np.random.default_rng(placebo_seed))
        for suffix, table, weight in (
            ("", rel.table, "relatedness"),
            ("_top10", rel.table, "related_top"),
            ("_placebo", placebo.table, "relatedness"),
            ("_top10_placebo", placebo.table, "related_top"),
        ):
            pool = related_employment(
                start, table, region="state_fips", industry="industry", value="employment",
                time="period", weight=weight,
            )
            if first and suffix == "":
                log.add(
                    "relatedness",
                    "missing",
                    "suppressed start-year cells left out of other industries' related employment",
                    pool.n_missing,
                )
            v = pool.table["related_employment"].to_numpy(dtype=float)
            v = np.where(out["industry"].isin(rel.info["industries_without_traded"]), np.nan, v)
            raw_col = f"related_employment_{name}{suffix}_start"
            out[raw_col] = v
            out[f"log_{raw_col}"] = np.log(np.where(v > 0, v, np.nan))
            log.add(
                "relatedness",
                "missing",
                f"log_{raw_col} missing: no employment in the related industries",
                (v == 0).sum(),
            )
        first = False
    traded = rel.info["industry_totals"].set_index("industry")["traded_share"]
    out["industry_traded_share"] = out["industry"].map(traded)
    table = pd.concat(rels, ignore_index=True)
    table = table[["industry_i", "industry_j", "measure", "relatedness", "related_top"]]
    return out, {"relatedness": table, "cluster_weights": rel.info["weights"]}


def build_state_growth_panel(
    raw: RawData | Path | str,
    *,
    periods: tuple[tuple[int, int], ...] = DEFAULT_GROWTH_PERIODS,
    relatedness_base_year: int = 2017,
    placebo_seed: int = 20140,
    top_share: float = 0.1,
) -> PanelBuild:
    """Build the state x 3-digit industry x period growth panel with related employment.

    Rows: every state x industry reported by CBP in the start or the end year of a period
    (``periods``, default 2001-2010 and 2010-2019). Employment is CBP March employment under
    the vintage concordance of the state x industry panel
    (:func:`agglomeration.data.concordance.concord_naics3`); suppressed cells are missing.

    - ``growth = log(E_end / E_start)``: missing when either end is absent, suppressed or zero
      (the report counts each reason);
    - ``log_employment_start``: log own employment in the start year (an absent start cell is
      a zero, so its log is missing);
    - for each measure ``m`` in ``colocation`` (``cr_lc``), ``input_output`` (``cr_io``),
      ``occupation`` (``cr_occ``), with ``R_ij`` the industry relatedness of
      :func:`agglomeration.measures.industry_relatedness_from_clusters`:

      - ``related_employment_<m>_top10_start`` (main): employment of the industries in the top
        ``top_share`` of ``i``'s links (``R_ij`` at or above the row's 90th percentile), the
        binary relatedness of DPS (2014, 2016);
      - ``related_employment_<m>_start``: the relatedness-weighted pool
        ``sum_(j != i) R_ij E_rj,start``;
      - ``..._placebo_start`` and ``..._top10_placebo_start``: the same with the industries'
        relatedness profiles randomly relabelled
        (:func:`agglomeration.measures.permute_industries`; one permutation seeded by
        ``placebo_seed``, the same for the three measures);

      and the log of each (missing where the pool is 0). Suppressed start cells are left out of
      other industries' pools (counted); industries without traded employment have no
      relatedness (missing, counted).

    Also ``state_abbr``, ``state_industry`` (the unit id), ``period_start``, ``period_end``,
    ``industry_traded_share`` (the industry's national employment share in traded clusters in
    the base year) and the state centre ``lat``, ``lon`` (for Conley standard errors).

    Why the top-decile pool is the main one: the weighted pool sums over every industry with
    weights that are all positive and, for co-location, nearly equal, so it is close to the
    state's employment outside the industry; given state x period effects and own size, such a
    pool still moves growth through the shape of convergence, and relatedness drawn at random
    (the placebo) gives a clearly non-zero coefficient. The top-decile pool counts a few
    industries (6 of 59, up to 8 with ties) and its placebo coefficients centre on zero, so its
    coefficient can be read against zero.

    Relatedness is measured once: cluster-pair relatedness from the Cluster Mapping table
    (itself built by DPS 2016 from 2009 data), carried to industries with national 6-digit
    employment weights of ``relatedness_base_year``. The default, 2017, is the first CBP year
    coded in the crosswalk's NAICS vintage (2017; its flagged ``emsi_specific_nonstandard``
    rows include the codes new in 2017, which are kept when CBP publishes them): in 2001 the
    6-digit codes are NAICS 1997, and wholesale trade, apparel, information and construction
    match no crosswalk code at all. The weights are national, common to every state.

    Parameters
    ----------
    raw : RawData or path
        The raw files.
    periods : tuple of (int, int)
        Growth periods ``(start, end)``, years within 2001-2021.
    relatedness_base_year : int
        Year of the national 6-digit employment weights.
    placebo_seed : int
        Seed of the placebo permutation.
    top_share : float
        Share of each industry's links counted as related in the ``_top10`` pools.

    Returns
    -------
    PanelBuild
        ``data`` (see :func:`agglomeration.panels.schemas.state_growth_schema`), ``report``
        (every row set missing or left out, and why), ``tables["relatedness"]`` (``industry_i``,
        ``industry_j``, ``measure``, ``relatedness``, ``related_top``) and
        ``tables["cluster_weights"]`` (``industry``, ``cluster``, ``employment``, ``weight``).
    """
    _check_periods(periods)
    r = as_raw(raw)
    log = DropLog("state_growth")
    years = {y for p in periods for y in p}
    emp = _state_employment(r, years, log)
    panel = _growth_rows(emp, periods, log)
    panel, tables = _related_columns(
        r, panel, base_year=relatedness_base_year, placebo_seed=placebo_seed,
        top_share=top_share, log=log,
    )
    gaz = r.get("gazetteer")
    geo = state_geography(gaz)[["state_fips", "lat", "lon"]]
    abbr = gaz.assign(state_fips=gaz["fips"].str[:2]).drop_duplicates("state_fips")[
        ["state_fips", "state_abbr"]
    ]
    panel = panel.merge(geo, on="state_fips", how="left", validate="many_to_one")
    panel = panel.merge(abbr, on="state_fips", how="left", validate="many_to_one")
    panel["state_industry"] = panel["state_fips"] + "_" + panel["industry"]
    first = ["state_fips", "state_abbr", "industry", "state_industry", "period",
             "period_start", "period_end"]
    panel = panel[first + [c for c in panel.columns if c not in first]]
    panel = panel.sort_values(["period", "state_fips", "industry"], kind="stable")
    panel = validate(panel.reset_index(drop=True), state_growth_schema(GROWTH_MEASURES),
                     "state growth")
    return PanelBuild(panel, log.frame(), tables=tables)

