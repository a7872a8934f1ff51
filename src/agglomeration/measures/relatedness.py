"""Industry relatedness from co-location, and relatedness-weighted employment pools.

Relatedness is computed once from a region x industry table in a base year (e.g. state x
3-digit NAICS CBP employment in 2001) with :func:`colocation_relatedness`, and then applied to
any year with :func:`related_employment` (the employment, in the same region, of the industries
related to each industry), the regressor of "related industries grow together" (Delgado,
Porter & Stern 2014; Neffke, Henning & Boschma 2011; Hidalgo et al. 2007).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from scipy import sparse

from agglomeration.errors import InputError
from agglomeration.measures._validate import (
    MeasureResult,
    check_columns,
    numeric_values,
    prepare_long,
)
from agglomeration.measures.concentration import _national_shares, _region_totals
from agglomeration.measures.ellison_glaeser import coagglomeration

__all__ = ["colocation_relatedness", "related_employment"]


def colocation_relatedness(
    df: pd.DataFrame,
    *,
    region: str,
    industry: str,
    value: str,
    time: str | None = None,
    method: Literal["lq_correlation", "coagglomeration"] = "lq_correlation",
    pairs: Literal["all", "upper"] = "all",
    missing: str = "drop",
) -> MeasureResult:
    """Relatedness of every pair of industries from how they co-locate across regions.

    ``method="lq_correlation"`` (default): the Pearson correlation across regions of the two
    industries' location quotients,

    ``phi_ij = corr_r(LQ_ri, LQ_rj)``,

    over all regions with positive employment (an industry absent from a region has LQ 0).
    This is the locational-correlation measure of Porter (2003) and of Delgado, Porter &
    Stern (2016, "Defining clusters of related industries", the LC measures), here on
    whatever region x industry table is given. An industry with the same LQ everywhere has no
    defined correlation (NaN).

    ``method="coagglomeration"``: the Ellison, Glaeser & Kerr (2010) coagglomeration index
    (see :func:`coagglomeration`), which weights regions by size instead of treating them
    equally.

    Compute it in a base year (filter ``df`` to it, or pass ``time`` for one set per period)
    and use it later with :func:`related_employment`.

    Parameters
    ----------
    df : pandas.DataFrame
        Long region x industry [x period] employment; absent cells are zeros.
    region, industry, value, time : str
        Column names.
    method : {"lq_correlation", "coagglomeration"}
        The co-location statistic.
    pairs : {"all", "upper"}
        Every ordered pair ``i != j`` or each unordered pair once.
    missing : {"drop", "zero", "raise"}
        Rule for missing cells; a dropped cell enters the region x industry matrix as 0.

    Returns
    -------
    MeasureResult
        ``table``: ``{industry}_i``, ``{industry}_j`` [, ``time``], ``relatedness``.

    Examples
    --------
    With two regions, steel's location quotients (1.2, 0.8) and software's (0.93, 1.07) move in
    opposite directions: a correlation of -1.

    >>> import pandas as pd
    >>> import agglomeration.measures as m
    >>> cells = pd.DataFrame({"region": ["A", "A", "B", "B"],
    ...                       "industry": ["steel", "software", "steel", "software"],
    ...                       "jobs": [30, 70, 20, 80]})
    >>> kw = dict(region="region", industry="industry", value="jobs")
    >>> m.colocation_relatedness(cells, **kw, pairs="upper").table.values.tolist()
    [['software', 'steel', -1.0]]
    """
    if method == "coagglomeration":
        res = coagglomeration(df, region=region, industry=industry, value=value, time=time,
                              pairs=pairs, missing=missing)
        table = res.table.rename(columns={"coagglomeration": "relatedness"})
        return MeasureResult(table, res.missing_rule, res.n_missing, res.dropped,
                             {"method": method})
    if method != "lq_correlation":
        raise InputError(f"method={method!r}; use 'lq_correlation' or 'coagglomeration'.")
    c = prepare_long(df, region=region, industry=industry, value=value, time=time,
                     missing=missing)
    er = _region_totals(c, value)
    share = _national_shares(c, benchmark=None, industry=industry, value=value, time=time)
    with np.errstate(invalid="ignore", divide="ignore"):
        lq = (c.v / er[c.rt]) / share[c.it]
    lq = np.where(c.observed & np.isfinite(lq), lq, 0.0)
    iu, ju = (np.triu_indices(c.n_i, k=1) if pairs == "upper"
              else np.nonzero(~np.eye(c.n_i, dtype=bool)))
    order = np.argsort(c.t, kind="stable")
    bounds = np.searchsorted(c.t[order], np.arange(c.n_t + 1))
    frames = []
    for t in range(c.n_t):  # loop over periods; all pairs by one matrix product
        rows = order[bounds[t]:bounds[t + 1]]
        regions_t = np.flatnonzero(er[t * c.n_r:(t + 1) * c.n_r] > 0)
        pos = np.full(c.n_r, -1)
        pos[regions_t] = np.arange(regions_t.size)
        m = np.zeros((regions_t.size, c.n_i))
        ok = pos[c.r[rows]] >= 0
        m[pos[c.r[rows][ok]], c.i[rows][ok]] = lq[rows][ok]
        active = np.zeros(c.n_i, dtype=bool)
        active[c.i[rows]] = True
        dm = m - m.mean(axis=0)
        sd = np.sqrt((dm * dm).sum(axis=0))
        with np.errstate(invalid="ignore", divide="ignore"):
            corr = (dm.T @ dm) / np.outer(sd, sd)
        keep = active[iu] & active[ju]
        fr = pd.DataFrame({f"{industry}_i": c.industries.take(iu[keep]).array,
                           f"{industry}_j": c.industries.take(ju[keep]).array})
        if time is not None and c.times is not None:
            fr[time] = c.times[t]
        fr["relatedness"] = np.clip(corr[iu[keep], ju[keep]], -1.0, 1.0)
        frames.append(fr)
    out = pd.concat(frames, ignore_index=True)
    return MeasureResult(out, c.missing_rule, c.n_missing, c.dropped, {"method": method})


def related_employment(
    df: pd.DataFrame,
    relatedness: pd.DataFrame,
    *,
    region: str,
    industry: str,
    value: str,
    time: str | None = None,
    weight: str = "relatedness",
    threshold: float | None = None,
    missing: str = "drop",
) -> MeasureResult:
    """Employment in the same region of the industries related to each industry.

    ``R_rit = sum_(j != i) w_ij E_rjt``, with ``w_ij = 1[phi_ij >= threshold]`` when a
    ``threshold`` is given (count of employment in related industries, as in Delgado, Porter &
    Stern 2014's related-cluster employment) or ``w_ij = phi_ij`` otherwise (a
    relatedness-weighted pool, in the spirit of Neffke, Henning & Boschma 2011). ``w_ij`` is
    read from row ``i`` (focal industry) and column ``j`` of the relatedness table, so an
    asymmetric table is used as given; self-pairs are ignored.

    Parameters
    ----------
    df : pandas.DataFrame
        Long region x industry [x period] employment (any year).
    relatedness : pandas.DataFrame
        Pairs with columns ``{industry}_i``, ``{industry}_j`` and ``weight``, e.g. the
        ``table`` of :func:`colocation_relatedness` computed in a base year (without a time
        column: the same relatedness is applied to every period).
    region, industry, value, time : str
        Column names of ``df``.
    weight : str
        Relatedness column of ``relatedness``.
    threshold : float, optional
        Binary relatedness ``w_ij = 1[weight >= threshold]``. Without it the weights are used
        as they are and must be non-negative.
    missing : {"drop", "zero", "raise"}
        Rule for missing cells; a dropped cell adds nothing to other industries' pools.

    Returns
    -------
    MeasureResult
        ``table`` aligned with the rows of ``df``: keys, ``value``, ``related_employment``,
        ``n_related`` (number of industries related to ``i``, or the sum of its weights).
        ``info["industries_without_relatedness"]`` counts industries of ``df`` with no row in
        the relatedness table (their pool is 0).

    Examples
    --------
    If software is related to steel, the pool of steel in region A is A's 70 software jobs:

    >>> import pandas as pd
    >>> import agglomeration.measures as m
    >>> cells = pd.DataFrame({"region": ["A", "A", "B", "B"],
    ...                       "industry": ["steel", "software", "steel", "software"],
    ...                       "jobs": [30, 70, 20, 80]})
    >>> kw = dict(region="region", industry="industry", value="jobs")
    >>> rel = pd.DataFrame({"industry_i": ["steel"], "industry_j": ["software"],
    ...                     "relatedness": [1.0]})
    >>> pool = m.related_employment(cells, rel, **kw).table
    >>> pool[["region", "industry", "related_employment"]].values.tolist()
    [['A', 'steel', 70.0], ['A', 'software', 0.0], ['B', 'steel', 80.0], ['B', 'software', 0.0]]
    """
    c = prepare_long(df, region=region, industry=industry, value=value, time=time,
                     missing=missing)
    ci, cj = f"{industry}_i", f"{industry}_j"
    check_columns(relatedness, industry_i=ci, industry_j=cj, weight=weight)
    w = numeric_values(relatedness, weight, allow_nan=True) if threshold is None else None
    if threshold is None:
        assert w is not None
        w = np.where(np.isnan(w), 0.0, w)
    else:
        raw = pd.to_numeric(relatedness[weight], errors="raise").to_numpy(np.float64,
                                                                           na_value=np.nan)
        w = (raw >= threshold).astype(np.float64)
    a = c.industries.get_indexer(pd.Index(relatedness[ci]))
    b = c.industries.get_indexer(pd.Index(relatedness[cj]))
    ok = (a >= 0) & (b >= 0) & (a != b) & (w != 0)
    pair_key = a[ok].astype(np.int64) * c.n_i + b[ok]
    if np.unique(pair_key).size != pair_key.size:
        raise InputError(f"relatedness has duplicated ({ci}, {cj}) pairs; keep one per pair.")
    wm = sparse.csr_array((w[ok], (a[ok], b[ok])), shape=(c.n_i, c.n_i))
    n_related = np.asarray(wm.sum(axis=1)).ravel()
    has_rel = np.zeros(c.n_i, dtype=bool)
    has_rel[a[a >= 0]] = True
    used = np.zeros(c.n_i, dtype=bool)
    used[c.i] = True
    # E as a sparse (region-period) x industry matrix; pools = E @ W'
    e = sparse.csr_array((c.v, (c.rt, c.i)), shape=(c.n_r * c.n_t, c.n_i))
    pools = (e @ wm.T).tocsr()
    vals = np.asarray(pools[c.rt, c.i]).ravel() if len(c.rt) else np.empty(0)
    keys = [k for k in (region, industry, time) if k is not None]
    out = df[[*keys, value]].reset_index(drop=True)
    out["related_employment"] = vals
    out["n_related"] = n_related[c.i]
    return MeasureResult(out, c.missing_rule, c.n_missing, c.dropped,
                         {"industries_without_relatedness": int((used & ~has_rel).sum())})
