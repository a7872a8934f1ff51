r"""What the shock panels share: pre-shock industry shares, their concentration, the Bartik shift.

The shock panels (:mod:`~agglomeration.panels.shocks_county`,
:mod:`~agglomeration.panels.shocks_metro`, :mod:`~agglomeration.panels.shocks_state`) test the
claim that one-industry dependence is risky: the employment change of a region through a shock,
``log(E_r,t1 / E_r,t0)``, against its pre-shock specialisation (the Herfindahl index of its
industry shares and the share of its largest industry or cluster), controlling for the
shift-share predicted change (Bartik 1991)

.. math::

    \text{bartik}_r = \sum_s w_{rs} g_s,\qquad g_s = \log(E_{s,t_1} / E_{s,t_0}),

with :math:`w_{rs}` the region's pre-shock share of industry :math:`s` and :math:`g_s` national
industry growth through the shock. The exposure is computed by
:func:`agglomeration.inference.shift_share_exposure`, which validates the shares (non-negative,
at most one in total per region; an error names the region) and refuses industries without a
shock, so the panels feed the AKM step (:mod:`agglomeration.inference.shift_share`) exactly the
shares and shocks behind their ``bartik`` column: each builder returns them in
``PanelBuild.tables`` (``<panel>_shares``: ``region``, ``industry``, ``share``;
``<panel>_shocks``: ``industry``, ``shock``, national employment at both dates).

Withheld cells. Every source withholds some region x industry cells (ABS 2017 county sectors,
CBP 2019 metro 6-digit industries, CBP 2006 state 3-digit industries). Shares are shares of the
*disclosed* industry employment of the region (they sum to one over the disclosed industries),
and ``disclosed_share`` (disclosed industry employment over the region's total employment) says
how much of the region they describe: the specifications control for it, or keep regions above
a threshold of it.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from agglomeration.errors import InputError
from agglomeration.inference import ShiftShareExposure, shift_share_exposure
from agglomeration.measures import region_herfindahl
from agglomeration.panels._build import DropLog

__all__ = [
    "CENSUS_REGIONS",
    "SHOCK_TABLES",
    "abs_sector_of_naics3",
    "bartik_exposure",
    "census_region",
    "coarser_shares",
    "disclosed_shares",
    "national_log_growth",
    "share_concentration",
]

CENSUS_REGIONS: Mapping[str, str] = {
    **dict.fromkeys(["09", "23", "25", "33", "34", "36", "42", "44", "50"], "Northeast"),
    **dict.fromkeys(
        ["17", "18", "19", "20", "26", "27", "29", "31", "38", "39", "46", "55"], "Midwest"
    ),
    **dict.fromkeys(
        [
            "01", "05", "10", "11", "12", "13", "21", "22", "24",
            "28", "37", "40", "45", "47", "48", "51", "54",
        ],
        "South",
    ),
    **dict.fromkeys(
        ["02", "04", "06", "08", "15", "16", "30", "32", "35", "41", "49", "53", "56"], "West"
    ),
}
"""State FIPS code -> Census Bureau region (Northeast, Midwest, South, West) of the 50 states
and DC."""

SHOCK_TABLES: tuple[str, ...] = tuple(
    f"{panel}_{what}{level}"
    for panel, level in (
        ("county_shock", ""),
        ("metro_shock", ""),
        ("metro_shock", "_naics4"),
        ("state_shock", ""),
        ("state_shock", "_sector"),
    )
    for what in ("shares", "shocks")
)
"""Names of the share and shock tables the shock panels return in ``PanelBuild.tables``: the
industries of the panel's ``bartik``, and the coarser industries of ``bartik_naics4`` (metros)
and ``bartik_sector`` (states), fewer than the regions, as AKM inference needs."""

_TWO_PART = {"31": "31-33", "32": "31-33", "33": "31-33", "44": "44-45", "45": "44-45"}
_TWO_PART |= {"48": "48-49", "49": "48-49"}


def abs_sector_of_naics3(codes: pd.Series) -> pd.Series:
    """Map 3-digit NAICS codes (or concordance industries) to ABS (NAICS 2017) sectors.

    The sector is the first two digits, except manufacturing (31-33), retail trade (44-45) and
    transportation and warehousing (48-49), which the ABS reports as one sector each.
    """
    two = codes.astype(str).str[:2]
    return two.map(lambda c: _TWO_PART.get(c, c)).astype(str)


def coarser_shares(shares: pd.DataFrame, parent: pd.Series) -> pd.DataFrame:
    """Aggregate a share table (``region``, ``industry``, ``share``, ``value``) to parent codes.

    ``parent`` maps each industry of ``shares`` to its parent (e.g. a 6-digit NAICS code to
    its 4-digit parent); a region's share of a parent is the sum of its children's shares.
    """
    p = shares["industry"].map(parent)
    if p.isna().any():
        raise InputError(
            f"industries {sorted(set(shares.loc[p.isna(), 'industry']))[:8]} have no parent code."
        )
    out = (
        shares.assign(industry=p.astype(str))
        .groupby(["region", "industry"], as_index=False, sort=True)[["share", "value"]]
        .sum()
    )
    return out.reset_index(drop=True)


def census_region(state_fips: pd.Series) -> pd.Series:
    """Census region of each state FIPS code; an unknown code is an error naming it."""
    out = state_fips.map(CENSUS_REGIONS)
    if out.isna().any():
        bad = sorted(set(state_fips[out.isna()].astype(str)))
        raise InputError(
            f"state FIPS code(s) {bad} are not among the 50 states and DC of CENSUS_REGIONS."
        )
    return out.astype(str)


def disclosed_shares(
    cells: pd.DataFrame, *, region: str, industry: str, value: str
) -> pd.DataFrame:
    """Shares of each region's disclosed industry employment.

    ``share_rs = e_rs / sum_(s disclosed) e_rs`` over the cells with a known positive value (a
    missing value is a withheld cell and is left out; a zero is an absent industry). Regions
    without a disclosed positive cell have no row.

    Returns
    -------
    DataFrame
        ``region``, ``industry``, ``share``, ``value`` (the cell's employment), sorted.
    """
    dup = cells.duplicated([region, industry], keep=False)
    if dup.any():
        pairs = cells.loc[dup, [region, industry]].drop_duplicates().head(5)
        raise InputError(
            f"duplicated ({region}, {industry}) cells, e.g. {pairs.to_dict('records')}; "
            "aggregate them before computing shares."
        )
    keep = cells[value].notna() & cells[value].gt(0)
    c = cells.loc[keep, [region, industry, value]]
    total = c.groupby(region)[value].transform("sum")
    out = pd.DataFrame(
        {
            "region": c[region].astype(str).to_numpy(),
            "industry": c[industry].astype(str).to_numpy(),
            "share": (c[value] / total).to_numpy(dtype=float),
            "value": c[value].to_numpy(dtype=float),
        }
    )
    return out.sort_values(["region", "industry"], kind="stable").reset_index(drop=True)


def share_concentration(shares: pd.DataFrame) -> pd.DataFrame:
    """Herfindahl index, largest share and its industry, and industry count of each region.

    The Herfindahl index ``sum_s w_rs**2`` comes from
    :func:`agglomeration.measures.region_herfindahl` over the disclosed cells' employment
    (``shares["value"]``), so it equals the sum of squared ``share``.

    Returns
    -------
    DataFrame
        Indexed by ``region``: ``herfindahl``, ``top_share``, ``top_industry``,
        ``n_industries`` (disclosed industries with positive employment), ``disclosed_employment``.
    """
    hhi = region_herfindahl(shares, region="region", industry="industry", value="value").table
    hhi = hhi.set_index("region")
    top = shares.sort_values(["region", "share", "industry"], ascending=[True, False, True])
    top = top.drop_duplicates("region").set_index("region")
    return pd.DataFrame(
        {
            "herfindahl": hhi["herfindahl"],
            "top_share": top["share"].reindex(hhi.index),
            "top_industry": top["industry"].reindex(hhi.index).astype(str),
            "n_industries": hhi["n_industries"].astype("int64"),
            "disclosed_employment": hhi["employment"],
        }
    )


def national_log_growth(
    national: pd.DataFrame, *, industry: str, t0: int, t1: int, value: str = "employment"
) -> pd.DataFrame:
    """National log growth ``g_s = log(E_s,t1 / E_s,t0)`` of every industry present in both years.

    Parameters
    ----------
    national : DataFrame
        Long industry x year frame (``industry``, ``year``, ``value``), one row per pair.
    industry, value : str
        Column names.
    t0, t1 : int
        Years before and after the shock.

    Returns
    -------
    DataFrame
        ``industry``, ``shock`` (``g_s``), ``employment_<t0>``, ``employment_<t1>``.

    Raises
    ------
    InputError
        An industry with zero or missing national employment in either year (growth undefined),
        or an industry present in only one of the years.
    """
    sub = national.loc[national["year"].isin([t0, t1])]
    wide = sub.pivot_table(index=industry, columns="year", values=value, aggfunc="sum")
    wide = wide.reindex(columns=[t0, t1])
    bad = wide.isna().any(axis=1) | (wide <= 0).any(axis=1)
    if bad.any():
        raise InputError(
            f"national {value} of industr(ies) {sorted(map(str, wide.index[bad]))[:8]} is missing "
            f"or zero in {t0} or {t1}: their growth is undefined. Pool them into a code that "
            "exists in both years (a NAICS concordance) before computing shocks."
        )
    out = pd.DataFrame(
        {
            "industry": wide.index.astype(str),
            "shock": np.log(wide[t1].to_numpy() / wide[t0].to_numpy()),
            f"employment_{t0}": wide[t0].to_numpy(),
            f"employment_{t1}": wide[t1].to_numpy(),
        }
    )
    return out.sort_values("industry", kind="stable").reset_index(drop=True)


def bartik_exposure(
    shares: pd.DataFrame, shocks: pd.DataFrame, log: DropLog, what: str
) -> ShiftShareExposure:
    """Bartik exposure ``sum_s w_rs g_s`` by :func:`agglomeration.inference.shift_share_exposure`.

    Shares are validated there (an error names a region with negative shares or shares summing
    to more than one); an industry with shares but no shock is an error. Industries with a
    national shock but no share in any region are recorded in ``log``.
    """
    ex = shift_share_exposure(
        shares[["region", "industry", "share"]], shocks[["industry", "shock"]], industry="industry"
    )
    log.add(
        "bartik",
        "kept",
        f"{what}: national industries with a shock but no share in any region (not used)",
        len(ex.industries_without_shares),
    )
    return ex
