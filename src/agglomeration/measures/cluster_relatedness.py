"""Industry-to-industry relatedness from the Cluster Mapping's cluster-to-cluster relatedness.

The US Cluster Mapping Project publishes the relatedness of every pair of the 51 traded
clusters by three kinds of links (Delgado, Porter & Stern 2016, "Defining clusters of related
industries"): co-location of employment (``cr_lc``), input-output links (``cr_io``) and
similarity of occupations (``cr_occ``), plus a combination (``cr_all``). Region x industry data
such as CBP state x 3-digit NAICS are not by cluster, so the cluster relatedness is carried to
industries through the clusters of each industry's 6-digit codes, weighted by national
employment in a base year:

``w_ic = E_ic / E_i``,   ``E_ic = sum_(k in i, k in c) E_k``

(``E_k`` national employment of 6-digit code ``k``; ``k in i``: its 3-digit industry, through
the caller's vintage concordance; ``k in c``: the crosswalk's traded cluster of ``k``; ``E_i``
the industry's national employment), and

``R_ij = sum_c sum_c' w_ic w_jc' r_cc'``   (``i != j``),

the expected cluster relatedness between a job of ``i`` and a job of ``j`` (a job outside the
traded clusters is related to nothing).
:func:`industry_relatedness_from_clusters` returns ``R_ij`` as a pair table that
:func:`agglomeration.measures.related_employment` turns into related employment
``sum_(j != i) R_ij E_rj`` of each region-industry.

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
from agglomeration.measures._validate import MeasureResult, check_columns, numeric_values

__all__ = [
    "RELATEDNESS_MEASURES",
    "industry_cluster_weights",
    "industry_relatedness_from_clusters",
    "permute_industries",
]

RELATEDNESS_MEASURES: dict[str, str] = {
    "colocation": "cr_lc",
    "input_output": "cr_io",
    "occupation": "cr_occ",
}
"""Short name -> column of the Cluster Mapping relatedness table (DPS 2016's three links)."""

WithinCluster = Literal["table", "exclude"]
Shares = Literal["total", "traded"]


def _codes(s: pd.Series) -> pd.Series:
    return s.astype(str).str.strip()


def industry_cluster_weights(
    national: pd.DataFrame,
    crosswalk: pd.DataFrame,
    *,
    code: str = "naics",
    industry: str | None = None,
    value: str = "employment",
    shares: Shares = "total",
) -> MeasureResult:
    """Split each industry's national employment over the traded clusters of its codes.

    ``E_ic`` is the national employment of the industry's detailed codes (6-digit NAICS) that
    the crosswalk assigns to traded cluster ``c`` (Delgado, Porter & Stern 2016 clusters), and

    - ``shares="total"`` (default): ``w_ic = E_ic / E_i``, the share of all of the industry's
      employment in cluster ``c`` (its jobs outside traded clusters, ``1 - sum_c w_ic``, are
      in none): the national split a region's industry employment is apportioned by when
      cluster employment is built from industry employment;
    - ``shares="traded"``: ``w_ic = E_ic / sum_c' E_ic'``, shares of its traded employment
      (summing to 1).

    An industry none of whose codes is in a traded cluster has no weights; it is listed in
    ``info["industries_without_traded"]``.

    Parameters
    ----------
    national : pandas.DataFrame
        One row per detailed code (one year): ``code``, ``value`` and, optionally, ``industry``.
        Missing values (suppressed cells) are left out and counted.
    crosswalk : pandas.DataFrame
        Columns ``naics`` and ``cluster``: the traded codes only, one row per code (e.g.
        :func:`agglomeration.measures.prepare_cluster_crosswalk` ``.table``).
    code : str
        Column of ``national`` with the detailed codes (compared with the crosswalk as text).
    industry : str, optional
        Column of ``national`` with each code's industry (e.g. a vintage-consistent 3-digit
        group); default: the first three characters of the code.
    value : str
        Employment column.
    shares : {"total", "traded"}
        Denominator of the weights (see above).

    Returns
    -------
    MeasureResult
        ``table``: ``industry``, ``cluster``, ``employment`` (``E_ic``), ``weight``
        (``w_ic``), sorted. ``info``: ``industry_totals`` (a frame: ``industry``,
        ``employment``, ``traded_employment``, ``traded_share``), ``industries_without_traded``
        (tuple), ``codes_outside_crosswalk`` and ``employment_outside_crosswalk`` (codes that
        are in no traded cluster: local industries, or codes of another NAICS vintage).

    Raises
    ------
    InputError
        Unknown columns, duplicated codes in ``national`` or in the crosswalk.
    """
    if shares not in ("total", "traded"):
        raise InputError(f"shares must be 'total' or 'traded', got {shares!r}.")
    try:
        check_columns(national, code=code, value=value, industry=industry)
        check_columns(crosswalk, naics="naics", cluster="cluster")
        v = numeric_values(national, value)
    except ValueError as e:
        raise InputError(str(e)) from None
    codes = _codes(national[code])
    dup = codes.duplicated()
    if dup.any():
        raise InputError(
            f"national has {int(dup.sum())} repeated codes in {code!r} (e.g. "
            f"{codes[dup].head(3).tolist()}); pass one year, one row per code."
        )
    cw_codes = _codes(crosswalk["naics"])
    if cw_codes.duplicated().any():
        raise InputError("the crosswalk maps a code to more than one cluster; keep one row each.")
    ind = (national[industry].astype(str) if industry is not None else codes.str[:3]).to_numpy()
    missing = np.isnan(v)
    cluster_of = pd.Series(crosswalk["cluster"].astype(str).to_numpy(), index=cw_codes.to_numpy())
    cl = codes.map(cluster_of).to_numpy(dtype=object)
    inside = pd.notna(cl)
    frame = pd.DataFrame({"industry": ind, "cluster": cl, "employment": np.where(missing, 0, v)})
    obs = frame.loc[~missing]
    totals = obs.groupby("industry", sort=True)["employment"].sum().rename("employment")
    traded = (
        obs.loc[inside[~missing]]
        .groupby(["industry", "cluster"], sort=True)["employment"]
        .sum()
        .reset_index()
    )
    traded = traded.loc[traded["employment"] > 0]
    traded_i = traded.groupby("industry", sort=True)["employment"].sum()
    denom = traded_i if shares == "traded" else totals
    traded["weight"] = traded["employment"] / traded["industry"].map(denom)
    ind_tot = totals.to_frame().reset_index()
    ind_tot["traded_employment"] = ind_tot["industry"].map(traded_i).fillna(0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ind_tot["traded_share"] = ind_tot["traded_employment"] / ind_tot["employment"]
    all_ind = sorted(set(ind.tolist()))
    without = tuple(i for i in all_ind if i not in traded_i.index)
    dropped = national.loc[missing, [code, value]]
    info = {
        "industry_totals": ind_tot,
        "industries_without_traded": without,
        "codes_outside_crosswalk": int((~inside).sum()),
        "employment_outside_crosswalk": float(v[~inside & ~missing].sum()),
    }
    table = traded.reset_index(drop=True)[["industry", "cluster", "employment", "weight"]]
    return MeasureResult(table, "drop", int(missing.sum()), dropped, info)


def industry_relatedness_from_clusters(
    crosswalk: pd.DataFrame,
    national: pd.DataFrame,
    related: pd.DataFrame,
    *,
    measure: str = "cr_io",
    year: int | None = None,
    code: str = "naics",
    industry: str | None = None,
    value: str = "employment",
    time: str = "year",
    cluster_a: str = "cluster_a",
    cluster_b: str = "cluster_b",
    within: WithinCluster = "table",
    shares: Shares = "total",
    top_share: float = 0.1,
) -> MeasureResult:
    """Relatedness of every pair of industries from the relatedness of their clusters.

    With the weights ``w_ic`` of :func:`industry_cluster_weights` (the share of industry
    ``i``'s national employment in traded cluster ``c``, base year ``year``) and ``r_cc'`` the
    Cluster Mapping relatedness ``measure`` of clusters ``c`` (row, ``cluster_a``) and ``c'``
    (``cluster_b``) (Delgado, Porter & Stern 2016: ``cr_lc`` co-location, ``cr_io``
    input-output, ``cr_occ`` occupations, ``cr_all`` combined):

    ``R_ij = sum_c sum_c' w_ic w_jc' r_cc'``   for ``i != j``,

    the expected relatedness of a job of ``i`` and a job of ``j``, a job outside the traded
    clusters being related to nothing. Summed against employment,
    ``sum_(j != i) R_ij E_rj = sum_c w_ic sum_c' r_cc' Ê_rc' - (the j = i term)``, with
    ``Ê_rc' = sum_j w_jc' E_rj`` the region's cluster employment when each industry's regional
    employment is split over clusters as nationally: this is the cluster-level computation
    (related-cluster employment, DPS 2014) mapped back to the industry, minus the industry's own
    employment, which the industry form leaves out (own size is a separate regressor). With
    ``shares="total"`` (default) a mostly local industry (e.g. utilities) counts only with its
    traded part, as it would in cluster employment; ``shares="traded"`` normalises each
    industry's weights to sum to 1. For the focal industry the choice scales ``R_i.`` by a
    constant, which industry fixed effects absorb in a regression on ``log`` related employment.

    Within-cluster relatedness ``r_cc`` (two different industries whose traded jobs fall in the
    same cluster): ``within="table"`` (default) uses the table's own ``(c, c)`` entry, which
    the Cluster Mapping publishes for every cluster and which measures the links among the
    cluster's own industries; clusters group the industries that are most related, and the
    diagonal is above the typical off-diagonal entry for every measure, so dropping it would
    ignore the strongest links while the measure's maximum (e.g. a correlation of 1) would
    treat a cluster's industries as identical. ``within="exclude"`` sets ``r_cc = 0`` (only
    links between different clusters count), a robustness check.

    Negative entries (small negative correlations in ``cr_lc``, ``cr_occ``) are set to 0 so
    that the weights are non-negative (``info["negative_set_to_zero"]`` counts them). An
    industry with no traded employment has no relatedness: it is absent from the table and
    listed in ``info["industries_without_traded"]``.

    ``related_top`` marks, for each focal ``i``, the industries ``j`` whose ``R_ij`` is in the
    top ``top_share`` of ``i``'s links (at or above the ``1 - top_share`` quantile, linear
    interpolation, of ``R_i.`` over ``j != i``), the binary relatedness of DPS (2014, 2016),
    who call clusters related when their link is in the top decile.

    Parameters
    ----------
    crosswalk : pandas.DataFrame
        Traded codes -> cluster (``naics``, ``cluster``), e.g.
        :func:`agglomeration.measures.prepare_cluster_crosswalk` ``.table``.
    national : pandas.DataFrame
        National employment by detailed code (6-digit CBP): ``code``, ``value``, and ``time``
        when it holds several years (then ``year`` picks one); ``industry`` optional (see
        :func:`industry_cluster_weights`).
    related : pandas.DataFrame
        The cluster-pair table (``cluster_a``, ``cluster_b``, ``measure``), one row per
        ordered pair, e.g. :func:`agglomeration.data.readers.read_related_clusters`.
    measure : str
        Relatedness column of ``related``.
    year : int, optional
        Base year of the employment weights (required when ``national`` has several years).
    code, industry, value, time, cluster_a, cluster_b : str
        Column names.
    within : {"table", "exclude"}
        Within-cluster relatedness (see above).
    shares : {"total", "traded"}
        Weights as shares of the industry's total or traded employment (see above).
    top_share : float
        Share of each industry's links marked ``related_top`` (0 < top_share < 1).

    Returns
    -------
    MeasureResult
        ``table``: ``{industry}_i``, ``{industry}_j`` (``industry`` or ``"industry"``),
        ``relatedness`` (``R_ij``), ``related_top`` (bool); every ordered pair ``i != j`` of
        industries with traded employment, sorted. ``n_missing``/``dropped``: suppressed codes
        left out of the weights. ``info``: ``weights`` (the ``w_ic`` table), the counts of
        :func:`industry_cluster_weights`, ``negative_set_to_zero``, ``measure``, ``year``,
        ``within``.

    Raises
    ------
    InputError
        Unknown columns or measure, several years without ``year``, missing or duplicated
        relatedness values, clusters of the crosswalk absent from ``related``.
    """
    if within not in ("table", "exclude"):
        raise InputError(f"within must be 'table' or 'exclude', got {within!r}.")
    if not 0.0 < top_share < 1.0:
        raise InputError(f"top_share must lie in (0, 1), got {top_share!r}.")
    try:
        check_columns(related, cluster_a=cluster_a, cluster_b=cluster_b, measure=measure)
    except ValueError as e:
        raise InputError(str(e)) from None
    nat = national
    if year is not None:
        try:
            check_columns(national, time=time)
        except ValueError as e:
            raise InputError(str(e)) from None
        nat = national.loc[national[time].eq(year)]
        if nat.empty:
            years = sorted(national[time].unique().tolist())
            raise InputError(f"no rows of national in {time} == {year}; years: {years}.")
    elif time in national.columns and national[time].nunique() > 1:
        raise InputError(
            f"national holds {national[time].nunique()} years in {time!r}; pass year= (the base "
            "year of the employment weights)."
        )
    wres = industry_cluster_weights(
        nat, crosswalk, code=code, industry=industry, value=value, shares=shares
    )
    w = wres.table
    r = related[[cluster_a, cluster_b]].astype(str).rename(columns={cluster_a: "a", cluster_b: "b"})
    r["r"] = pd.to_numeric(related[measure], errors="coerce").to_numpy(dtype=float)
    if r["r"].isna().any():
        raise InputError(
            f"related[{measure!r}] has {int(r['r'].isna().sum())} missing or non-numeric values; "
            "every cluster pair needs a relatedness."
        )
    if r.duplicated(["a", "b"]).any():
        raise InputError(f"related has repeated ({cluster_a}, {cluster_b}) pairs; keep one each.")
    absent = sorted(set(w["cluster"]) - (set(r["a"]) & set(r["b"])))
    if absent:
        raise InputError(
            f"clusters {absent[:5]} of the crosswalk have no row in the relatedness table; the "
            "cluster names of the two tables must match."
        )
    neg = r["r"] < 0
    r.loc[neg, "r"] = 0.0
    if within == "exclude":
        r.loc[r["a"] == r["b"], "r"] = 0.0
    # long form: (i, c, w_ic) x (c, c', r_cc') x (j, c', w_jc'), summed over c and c'
    wi = w.rename(columns={"industry": "i", "cluster": "a", "weight": "w_i"})[["i", "a", "w_i"]]
    wj = w.rename(columns={"industry": "j", "cluster": "b", "weight": "w_j"})[["j", "b", "w_j"]]
    m = wi.merge(r, on="a").merge(wj, on="b")
    m["x"] = m["w_i"] * m["r"] * m["w_j"]
    sums = m.groupby(["i", "j"], sort=True)["x"].sum()
    inds = sorted(w["industry"].unique())
    grid = pd.MultiIndex.from_product([inds, inds], names=["i", "j"])
    rel = sums.reindex(grid, fill_value=0.0).reset_index(name="relatedness")
    rel = rel.loc[rel["i"] != rel["j"]].reset_index(drop=True)
    q = rel.groupby("i")["relatedness"].transform(lambda s: s.quantile(1.0 - top_share))
    rel["related_top"] = (rel["relatedness"] >= q) & (rel["relatedness"] > 0)
    label = industry or "industry"
    table = rel.rename(columns={"i": f"{label}_i", "j": f"{label}_j"})
    info = {
        **wres.info,
        "weights": w,
        "negative_set_to_zero": int(neg.sum()),
        "measure": measure,
        "year": year,
        "within": within,
        "shares": shares,
    }
    return MeasureResult(table, "drop", wres.n_missing, wres.dropped, info)


def permute_industries(
    relatedness: pd.DataFrame,
    rng: np.random.Generator,
    *,
    industry: str = "industry",
) -> MeasureResult:
    """Relabel the industries of a pair table by a random permutation (a placebo relatedness).

    Returns ``R~_ij = R_(pi(i), pi(j))`` with ``pi`` a uniformly random permutation of the
    industries that appear in the table: every industry keeps a relatedness profile of the
    same shape (same distribution of links), attached to the wrong industries. Related
    employment computed with ``R~`` should not predict growth if the real relatedness does
    because of what it measures.

    Parameters
    ----------
    relatedness : pandas.DataFrame
        Pairs ``{industry}_i``, ``{industry}_j`` and value columns (e.g. the ``table`` of
        :func:`industry_relatedness_from_clusters`).
    rng : numpy.random.Generator
        Seeded generator (the permutation is a deterministic function of its state).
    industry : str
        Prefix of the pair columns.

    Returns
    -------
    MeasureResult
        ``table``: the same columns, pairs relabelled and sorted; ``info["permutation"]``: a
        dict ``i -> pi(i)``.
    """
    ci, cj = f"{industry}_i", f"{industry}_j"
    try:
        check_columns(relatedness, industry_i=ci, industry_j=cj)
    except ValueError as e:
        raise InputError(str(e)) from None
    if not isinstance(rng, np.random.Generator):
        raise InputError("rng must be a numpy.random.Generator, e.g. np.random.default_rng(0).")
    labels = sorted(set(relatedness[ci].astype(str)) | set(relatedness[cj].astype(str)))
    perm = rng.permutation(len(labels))
    pi = {labels[k]: labels[perm[k]] for k in range(len(labels))}
    inverse = {v: k for k, v in pi.items()}
    # R~_(i, j) = R_(pi(i), pi(j)): the row (a, b) of R becomes the row (pi^-1(a), pi^-1(b))
    out = relatedness.assign(
        **{c: relatedness[c].astype(str).map(inverse) for c in (ci, cj)}
    )
    out = out.sort_values([ci, cj], kind="stable").reset_index(drop=True)
    return MeasureResult(out, "n/a", 0, relatedness.iloc[:0], {"permutation": pi})
