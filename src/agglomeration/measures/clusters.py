"""Delgado, Porter & Stern cluster employment, cluster strength and related-cluster strength.

The US Cluster Mapping Project (USCMP) tables are passed in as DataFrames (the caller reads
the raw files):

- the NAICS -> cluster crosswalk (``uscmp_naics_to_cluster_crosswalk.csv``: columns
  ``naics, traded_local, cluster, subcluster, emsi_specific_nonstandard, description``), the
  benchmark cluster definitions of Delgado, Porter & Stern (2016), prepared by
  :func:`prepare_cluster_crosswalk`;
- the 51 x 51 related-cluster table (``uscmp_related_clusters_51x51.csv``: one row per
  ordered pair ``clustera, clusterb`` with names ``cluster_name, cluster_name_2``, the
  relatedness ``cr_all`` (combined co-location, input-output and occupation links), its
  percentile ``cr_all_pc`` and the USCMP relatedness flag ``rel_all_90_v3``), turned into a
  list of related pairs by :func:`related_cluster_pairs`.

References
----------
Delgado, M., Porter, M. E. and Stern, S. (2014). Clusters, convergence, and economic
performance. *Research Policy* 43(10), 1785-1799.

Delgado, M., Porter, M. E. and Stern, S. (2016). Defining clusters of related industries.
*Journal of Economic Geography* 16(1), 1-38.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from agglomeration.errors import InputError
from agglomeration.measures._validate import MeasureResult, check_columns, prepare_long

__all__ = [
    "cluster_strength",
    "prepare_cluster_crosswalk",
    "related_cluster_pairs",
    "related_cluster_strength",
]


def _truthy(s: pd.Series) -> pd.Series:
    return s.astype(str).str.strip().str.lower().isin(["true", "1", "yes"])


def prepare_cluster_crosswalk(
    crosswalk: pd.DataFrame,
    *,
    naics: str = "naics",
    cluster: str = "cluster",
    traded_local: str | None = "traded_local",
    nonstandard: str | None = "emsi_specific_nonstandard",
    traded_only: bool = True,
) -> MeasureResult:
    """Clean the USCMP NAICS -> cluster crosswalk.

    Drops the rows flagged ``emsi_specific_nonstandard`` (proprietary pseudo-codes such as
    ``111000``, not NAICS industries), rows without a cluster (in the USCMP file: 814110
    Private Households, a local industry) and, with ``traded_only``, the local clusters: DPS
    (2014, 2016) cluster strength is defined for the 51 traded clusters. NAICS codes are
    returned as 6-character strings.

    Parameters
    ----------
    crosswalk : pandas.DataFrame
        The crosswalk as read from the raw file (read ``naics`` as text).
    naics, cluster, traded_local, nonstandard : str
        Its column names (``traded_local``/``nonstandard`` may be None if absent).
        ``traded_local`` holds ``"Traded"``/``"Local"`` text, or booleans (True = traded) as
        returned by :func:`agglomeration.data.readers.read_cluster_crosswalk`.
    traded_only : bool
        Keep only the traded rows.

    Returns
    -------
    MeasureResult
        ``table``: columns ``naics`` and ``cluster`` (renamed to those names), one row per
        NAICS code; ``dropped``: the removed rows with a ``reason`` column; ``info``: counts
        by reason.

    Raises
    ------
    ValueError
        Unknown columns, missing codes, or a NAICS code mapped to two clusters.
    """
    check_columns(crosswalk, naics=naics, cluster=cluster,
                  traded_local=traded_local if traded_only else None, nonstandard=nonstandard)
    cw = crosswalk.copy()
    reason = pd.Series("", index=cw.index, dtype=object)
    if nonstandard is not None:
        reason[_truthy(cw[nonstandard])] = "emsi_specific_nonstandard"
    if traded_only and traded_local is not None:
        col = cw[traded_local]
        if pd.api.types.is_bool_dtype(col):
            local = ~col.astype(bool)
        else:
            local = col.astype(str).str.strip().str.lower() != "traded"
        reason[local & (reason == "")] = "local (not traded)"
    n_na = int(cw[naics].isna().sum())
    if n_na:
        raise InputError(f"{n_na} crosswalk rows lack a code in {naics!r}; fix the crosswalk.")
    reason[cw[cluster].isna() & (reason == "")] = "no cluster"
    dropped = cw.loc[reason != ""].assign(reason=reason[reason != ""])
    kept = cw.loc[reason == ""]
    table = pd.DataFrame({"naics": kept[naics].astype(str).str.strip().str.zfill(6).array,
                          "cluster": kept[cluster].astype(str).array})
    n_dup = int(table["naics"].duplicated().sum())
    if n_dup:
        raise InputError(f"{n_dup} NAICS codes appear twice in the crosswalk; each must map "
                         "to one cluster.")
    info = {str(k): int(v) for k, v in dropped["reason"].value_counts().items()}
    return MeasureResult(table.sort_values("naics", kind="stable").reset_index(drop=True),
                         "n/a", 0, dropped.reset_index(drop=True), info)


def related_cluster_pairs(
    related: pd.DataFrame,
    *,
    column: str = "rel_all_90_v3",
    threshold: float = 1.0,
    cluster: str = "cluster_name",
    related_cluster: str = "cluster_name_2",
) -> pd.DataFrame:
    """Pairs of related clusters from the USCMP 51 x 51 relatedness table.

    Cluster ``c'`` is related to ``c`` when the row ``(cluster=c, related_cluster=c')`` has
    ``related[column] >= threshold``. The default uses the USCMP flag ``rel_all_90_v3`` (DPS
    2016: the pair's combined relatedness ``cr_all`` is in the top decile of either cluster's
    links; 256 ordered pairs, about 5 related clusters per cluster; the flag is not exactly
    symmetric in the file, and the row's cluster is the focal one). The alternative named in
    DPS (2014) is a percentile cut on ``cr_all_pc``: ``column="cr_all_pc", threshold=90``.
    Self-pairs are excluded; missing values count as not related.

    Returns
    -------
    pandas.DataFrame
        Columns ``cluster``, ``related_cluster``, and ``column`` (the value used), sorted.
    """
    check_columns(related, column=column, cluster=cluster, related_cluster=related_cluster)
    val = pd.to_numeric(related[column], errors="raise")
    keep = (val >= threshold).fillna(False).to_numpy(bool) & (
        related[cluster].astype(str).to_numpy() != related[related_cluster].astype(str).to_numpy())
    out = pd.DataFrame({"cluster": related.loc[keep, cluster].astype(str).array,
                        "related_cluster": related.loc[keep, related_cluster].astype(str).array,
                        column: val[keep].array})
    n_dup = int(out.duplicated(["cluster", "related_cluster"]).sum())
    if n_dup:
        raise InputError(f"{n_dup} duplicated ({cluster}, {related_cluster}) pairs in the table.")
    return out.sort_values(["cluster", "related_cluster"], kind="stable").reset_index(drop=True)


def cluster_strength(
    df: pd.DataFrame,
    crosswalk: pd.DataFrame,
    *,
    region: str,
    industry: str,
    value: str,
    time: str | None = None,
    strong_quantile: float = 0.75,
    missing: str = "drop",
    incomplete: Literal["observed", "missing"] = "observed",
) -> MeasureResult:
    """Cluster employment, cluster location quotient and the strong-cluster flag (DPS 2014).

    For region ``r`` and cluster ``c`` (per period):

    - cluster employment ``E_rc = sum_(i in c) E_ri`` (industries mapped by the crosswalk);
    - cluster LQ ``LQ_rc = (E_rc / E_r) / (E_c / E)``, where ``E_r`` and ``E`` count *all*
      employment in the frame (industries outside any traded cluster included) and
      ``E_c = sum_r E_rc``: the cluster-specialisation measure of DPS (2014);
    - ``strong``: the region is in the top quartile of ``LQ_rc`` across regions within the
      cluster (DPS 2014), implemented as ``LQ_rc >= q_c`` and ``LQ_rc > 0``, with ``q_c`` the
      ``strong_quantile`` quantile (linear interpolation) of ``LQ_rc`` over all regions in the
      period, regions without the cluster counting as ``LQ = 0``.

    The table is the full region x cluster grid (absent cells have ``E_rc = 0``), so that the
    quartile is taken over every region.

    Parameters
    ----------
    df : pandas.DataFrame
        Long region x industry [x period] employment at the crosswalk's industry level
        (6-digit NAICS); industry codes are compared with the crosswalk as text.
    crosswalk : pandas.DataFrame
        Columns ``naics`` and ``cluster``, e.g. :func:`prepare_cluster_crosswalk` ``.table``.
    region, industry, value, time : str
        Column names of ``df``.
    strong_quantile : float
        Quantile defining a strong cluster (0.75 = top quartile).
    missing : {"drop", "zero", "raise"}
        Rule for missing cells (see :mod:`agglomeration.measures`).
    incomplete : {"observed", "missing"}
        What a region-cluster cell whose industries include a missing (dropped) cell gets.
        ``"observed"``: the sum of its observed industries (a lower bound). ``"missing"``:
        ``cluster_employment`` and ``lq`` are NaN and ``strong`` is missing (``pd.NA``), since
        the cell's size is unknown; the quartile defining ``strong`` is then taken over the
        cells whose LQ is known. Totals ``E_r``, ``E_c`` and ``E`` always count every observed
        cell (the disclosed parts of an incomplete cell included).

    Returns
    -------
    MeasureResult
        ``table``: ``region``, ``cluster`` [, ``time``], ``cluster_employment``,
        ``region_employment``, ``lq``, ``strong`` (boolean; nullable with
        ``incomplete="missing"``). ``info``: ``unmapped_industries`` (industries of ``df`` in no
        cluster), ``unmapped_employment_share`` (their share of employment),
        ``clusters_without_employment`` (cluster-periods with ``E_c = 0``, LQ NaN) and
        ``incomplete_cells`` (region-cluster cells with a missing industry).

    Examples
    --------
    Four regions (500 jobs), clusters C1 (40 jobs) and C2 (60). C1 in R1:
    ``(10/100) / (40/500) = 1.25``; in R2 ``3.75``, the only region above C1's upper quartile:

    >>> import pandas as pd
    >>> import agglomeration.measures as m
    >>> cw = pd.DataFrame({"naics": ["111111", "222222", "333333"], "cluster": ["C1", "C1", "C2"]})
    >>> emp = pd.DataFrame({
    ...     "reg": ["R1", "R1", "R1", "R2", "R2", "R3", "R3", "R4"],
    ...     "naics": ["111111", "333333", "999999", "222222", "999999", "333333", "999999", "999999"],
    ...     "emp": [10.0, 10, 80, 30, 70, 50, 150, 100]})
    >>> strength = m.cluster_strength(emp, cw, region="reg", industry="naics", value="emp").table
    >>> strength[strength["cluster"] == "C1"]["lq"].round(4).tolist()
    [1.25, 3.75, 0.0, 0.0]
    >>> strength.loc[strength["strong"], ["reg", "cluster"]].values.tolist()
    [['R2', 'C1'], ['R3', 'C2']]
    """
    if not 0.0 < strong_quantile < 1.0:
        raise InputError(f"strong_quantile must lie in (0, 1), got {strong_quantile}.")
    if incomplete not in ("observed", "missing"):
        raise InputError(f"incomplete must be 'observed' or 'missing', got {incomplete!r}.")
    check_columns(crosswalk, naics="naics", cluster="cluster")
    c = prepare_long(df, region=region, industry=industry, value=value, time=time,
                     missing=missing)
    cw = crosswalk[["naics", "cluster"]]
    if cw["naics"].astype(str).duplicated().any():
        raise InputError("the crosswalk maps a NAICS code to more than one cluster.")
    clusters = pd.Index(sorted(cw["cluster"].astype(str).unique()), name="cluster")
    code_of = pd.Series(clusters.get_indexer(cw["cluster"].astype(str)),
                        index=cw["naics"].astype(str).str.strip().to_numpy())
    ind_cluster = pd.Index(code_of.index).get_indexer(c.industries.astype(str).str.strip())
    ind_cluster = np.where(ind_cluster >= 0, code_of.to_numpy()[np.maximum(ind_cluster, 0)], -1)
    n_c = len(clusters)
    er = c.sum_by(c.rt, c.n_r * c.n_t)
    e = np.bincount(c.t, weights=c.v, minlength=c.n_t)
    cell_cluster = ind_cluster[c.i]
    mapped = cell_cluster >= 0
    key = (c.rt[mapped].astype(np.int64)) * n_c + cell_cluster[mapped]
    erc = np.bincount(key, weights=c.v[mapped], minlength=c.n_r * c.n_t * n_c)
    unobserved = ~c.observed[mapped]
    n_unobs = np.bincount(key[unobserved], minlength=c.n_r * c.n_t * n_c)
    ec = erc.reshape(c.n_t, c.n_r, n_c).sum(axis=1)  # (n_t, n_c)
    # grid: every region present in the period x every cluster
    present_rt = np.bincount(c.rt, minlength=c.n_r * c.n_t) > 0
    g = np.arange(c.n_r * c.n_t * n_c)
    rt_g, cl_g = np.divmod(g, n_c)
    t_g, r_g = np.divmod(rt_g, c.n_r)
    sel = present_rt[rt_g]
    rt_g, cl_g, t_g, r_g = rt_g[sel], cl_g[sel], t_g[sel], r_g[sel]
    with np.errstate(invalid="ignore", divide="ignore"):
        lq = (erc[sel] / er[rt_g]) / (ec[t_g, cl_g] / e[t_g])
    out = c.key_frame(region=region, industry=None, time=time, r=r_g, t=t_g)
    out.insert(1, "cluster", clusters.take(cl_g).array)
    out["cluster_employment"] = erc[sel]
    out["region_employment"] = er[rt_g]
    out["lq"] = lq
    cell_incomplete = n_unobs[sel] > 0
    if incomplete == "missing":
        out.loc[cell_incomplete, ["cluster_employment", "lq"]] = np.nan
    gkeys = ["cluster"] + ([time] if time is not None else [])
    q = out.groupby(gkeys, sort=False)["lq"].quantile(strong_quantile).rename("_q")
    q_cell = out[gkeys].join(q, on=gkeys)["_q"].to_numpy()
    lq_out = out["lq"].to_numpy()
    strong = pd.array((lq_out >= q_cell) & (lq_out > 0), dtype="boolean")
    if incomplete == "missing":
        strong[np.isnan(lq_out)] = pd.NA
    out["strong"] = strong
    cols = [region, "cluster"] + ([time] if time is not None else [])
    out = out.sort_values(cols, kind="stable").reset_index(drop=True)
    used = np.zeros(c.n_i, dtype=bool)
    used[c.i] = True
    info = {
        "unmapped_industries": int((used & (ind_cluster < 0)).sum()),
        "unmapped_employment_share": float(c.v[~mapped].sum() / c.v.sum()) if c.v.sum() else 0.0,
        "clusters_without_employment": int((ec <= 0).sum()),
        "incomplete_cells": int(cell_incomplete.sum()),
    }
    return MeasureResult(out, c.missing_rule, c.n_missing, c.dropped, info)


def related_cluster_strength(
    strength: pd.DataFrame,
    pairs: pd.DataFrame,
    *,
    region: str,
    time: str | None = None,
) -> MeasureResult:
    """Strength of the clusters related to each cluster in each region (DPS 2014).

    DPS (2014) find that a region-cluster grows faster when the clusters *related* to it are
    strong in the region. With ``Rel(c)`` the clusters related to ``c`` (from
    :func:`related_cluster_pairs`, excluding ``c`` itself), this returns, per region ``r``
    [and period]:

    - ``related_employment = sum_(c' in Rel(c)) E_rc'``: employment in related clusters
      outside ``c``;
    - ``n_strong_related = sum_(c' in Rel(c)) strong_rc'``: the number of strong related
      clusters (the count version of the DPS measure);
    - ``n_related = |Rel(c)|``, to normalise the count if wanted.

    A related cluster whose employment is unknown (a suppressed industry, see ``incomplete``
    in :func:`cluster_strength`) makes ``related_employment`` missing
    (``info["unknown_related_employment"]`` counts those cells); a related cluster whose
    strength is unknown is not counted in ``n_strong_related``, which is then a lower bound
    (``info["unknown_strength_pairs"]`` counts the (region, cluster, related cluster) triples).

    Our choice: DPS (2014) measure related-cluster strength by the specialisation of the
    related clusters in the region; we report the number of strong ones and their employment
    (both simple, additive and free of arbitrary weights) rather than an LQ-weighted sum.

    Parameters
    ----------
    strength : pandas.DataFrame
        The ``table`` of :func:`cluster_strength` (columns ``region``, ``cluster`` [,
        ``time``], ``cluster_employment``, ``strong``).
    pairs : pandas.DataFrame
        Columns ``cluster``, ``related_cluster`` (:func:`related_cluster_pairs`).
    region, time : str
        Column names in ``strength``.

    Returns
    -------
    MeasureResult
        ``table``: ``strength``'s keys plus ``related_employment``, ``n_strong_related``,
        ``n_related``, in the row order of ``strength``. ``info["pairs_unknown_cluster"]``
        counts pairs naming a cluster absent from ``strength``.

    Examples
    --------
    With C1 and C2 related to each other, R2's C2 has one strong related cluster (C1 is strong in
    R2) and 30 jobs in it:

    >>> import pandas as pd
    >>> import agglomeration.measures as m
    >>> cw = pd.DataFrame({"naics": ["111111", "222222", "333333"], "cluster": ["C1", "C1", "C2"]})
    >>> emp = pd.DataFrame({
    ...     "reg": ["R1", "R1", "R1", "R2", "R2", "R3", "R3", "R4"],
    ...     "naics": ["111111", "333333", "999999", "222222", "999999", "333333", "999999", "999999"],
    ...     "emp": [10.0, 10, 80, 30, 70, 50, 150, 100]})
    >>> strength = m.cluster_strength(emp, cw, region="reg", industry="naics", value="emp").table
    >>> pairs = pd.DataFrame({"cluster": ["C1", "C2"], "related_cluster": ["C2", "C1"]})
    >>> rel = m.related_cluster_strength(strength, pairs, region="reg").table.set_index(["reg", "cluster"])
    >>> rel.loc[("R2", "C2"), ["related_employment", "n_strong_related"]].tolist()
    [30.0, 1.0]
    """
    check_columns(strength, region=region, time=time, cluster="cluster",
                  cluster_employment="cluster_employment", strong="strong")
    check_columns(pairs, cluster="cluster", related_cluster="related_cluster")
    keys = [region] + ([time] if time is not None else [])
    known = set(strength["cluster"].astype(str).unique())
    p = pairs[["cluster", "related_cluster"]].astype(str)
    p = p.loc[p["cluster"] != p["related_cluster"]]
    n_unknown = int((~p["cluster"].isin(known) | ~p["related_cluster"].isin(known)).sum())
    rel = strength[[*keys, "cluster", "cluster_employment", "strong"]].rename(
        columns={"cluster": "related_cluster"})
    rel = rel.assign(related_cluster=rel["related_cluster"].astype(str))
    m = p.merge(rel, on="related_cluster", how="inner")
    # a related cluster whose strength is unknown (pd.NA) is not counted as strong: the count
    # is then a lower bound; info["unknown_strength_pairs"] says how often that happens
    n_unknown_strength = int(pd.isna(m["strong"]).sum())
    m["strong"] = m["strong"].fillna(False).astype(np.int64)
    m["unknown_employment"] = m["cluster_employment"].isna()
    agg = m.groupby([*keys, "cluster"], sort=False).agg(
        related_employment=("cluster_employment", "sum"),
        n_strong_related=("strong", "sum"),
        n_unknown=("unknown_employment", "sum"))
    # related employment is unknown when the employment of any related cluster is
    agg.loc[agg["n_unknown"] > 0, "related_employment"] = np.nan
    n_unknown_employment = int((agg["n_unknown"] > 0).sum())
    agg = agg.drop(columns="n_unknown")
    n_rel = p.groupby("cluster").size().rename("n_related")
    base = strength[[*keys, "cluster"]].assign(cluster=strength["cluster"].astype(str))
    out = base.join(agg, on=[*keys, "cluster"]).join(n_rel, on="cluster")
    no_related = ~out.set_index([*keys, "cluster"]).index.isin(agg.index)
    out.loc[no_related, "related_employment"] = 0.0
    out["n_strong_related"] = out["n_strong_related"].fillna(0).astype(np.int64)
    out["n_related"] = out["n_related"].fillna(0).astype(np.int64)
    out["cluster"] = strength["cluster"].to_numpy()
    return MeasureResult(out.reset_index(drop=True), "n/a", 0, strength.iloc[:0],
                         {"pairs_unknown_cluster": n_unknown,
                          "unknown_strength_pairs": n_unknown_strength,
                          "unknown_related_employment": n_unknown_employment})
