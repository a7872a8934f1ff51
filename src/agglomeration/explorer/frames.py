"""Tidy frames behind the cluster explorer: nodes, links, metro portfolios, top metros.

The explorer page (:mod:`agglomeration.explorer.page`) is only a view of these frames. They are
built from two inputs, both passed in as DataFrames:

- the metro x traded-cluster panel (one row per CBSA x cluster, 2019 CBP, the benchmark
  cluster definitions of Delgado, Porter & Stern 2016) with the columns ``cbsa``,
  ``cbsa_name``, ``cbsa_type``, ``cluster``, ``employment``, ``cluster_lq`` and ``strong``
  (the top-quartile flag of Delgado, Porter & Stern 2014);
- the US Cluster Mapping 51 x 51 relatedness table as returned by
  :func:`agglomeration.data.readers.read_related_clusters` (``cluster_a``, ``cluster_b`` and
  the measures ``cr_io``, ``cr_occ``, ``cr_lc``, ``cr_all``).

"Strong" is decided in one place, :func:`strong_cells`: the panel's ``strong`` flag counts only
where the cluster location quotient is finite, because a cluster whose employment is suppressed
in a metro has no location quotient and cannot be known to be strong there.

References
----------
Delgado, M., Porter, M. E. and Stern, S. (2014). Clusters, convergence, and economic
performance. *Research Policy* 43(10), 1785-1799.

Delgado, M., Porter, M. E. and Stern, S. (2016). Defining clusters of related industries.
*Journal of Economic Geography* 16(1), 1-38.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from agglomeration.errors import ColumnMissingError, DataIntegrityError, InputError

__all__ = [
    "MEASURES",
    "PANEL_COLUMNS",
    "UNNAMED_TYPE",
    "area_labels",
    "check_explorer_inputs",
    "cluster_links",
    "cluster_totals",
    "links_above",
    "metro_portfolios",
    "metro_summary",
    "related_clusters",
    "strong_cells",
    "top_metros_by_lq",
]

MEASURES: dict[str, str] = {
    "cr_all": "Combined",
    "cr_io": "Input-output",
    "cr_occ": "Occupations",
    "cr_lc": "Co-location",
}
"""Relatedness measures of the US Cluster Mapping table and their labels on the page."""

PANEL_COLUMNS: tuple[str, ...] = (
    "cbsa",
    "cbsa_name",
    "cbsa_type",
    "cluster",
    "employment",
    "cluster_lq",
    "strong",
)
"""Columns of the metro x cluster panel that the explorer reads."""

_SYMMETRY_TOL = 1e-5  # the USCMP file rounds each direction of a pair to 7 significant digits


def _require(df: pd.DataFrame, columns: Sequence[str], what: str, fix: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ColumnMissingError(
            f"the {what} lacks column(s) {missing}; available: {list(df.columns)}. {fix}"
        )


def _list(items: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def check_explorer_inputs(panel: pd.DataFrame, related: pd.DataFrame) -> list[str]:
    """Check that the panel and the relatedness table describe the same complete set of clusters.

    Parameters
    ----------
    panel : pandas.DataFrame
        Metro x cluster panel with :data:`PANEL_COLUMNS`.
    related : pandas.DataFrame
        Relatedness table with ``cluster_a``, ``cluster_b`` and the :data:`MEASURES` columns.

    Returns
    -------
    list of str
        The clusters, sorted.

    Raises
    ------
    ColumnMissingError
        A required column is absent.
    DataIntegrityError
        Naming what is missing: a cluster present in one input but not the other, a metro
        without a row for some cluster, a duplicated metro x cluster row, an ordered pair of
        distinct clusters without a relatedness row, or a missing relatedness value.
    """
    _require(
        panel,
        PANEL_COLUMNS,
        "metro x cluster panel",
        "Build it with agglomeration.data.build_metro_clusters and add the strong-cluster flag.",
    )
    _require(
        related,
        ["cluster_a", "cluster_b", *MEASURES],
        "relatedness table",
        "Read it with agglomeration.data.readers.read_related_clusters.",
    )
    dup = panel.duplicated(["cbsa", "cluster"], keep="first")
    if dup.any():
        keys = [f"{r.cbsa}/{r.cluster}" for r in panel.loc[dup, ["cbsa", "cluster"]].itertuples()]
        raise DataIntegrityError(
            f"the metro x cluster panel has {int(dup.sum())} duplicated (cbsa, cluster) rows: "
            f"{_list(keys)}; each metro must have one row per cluster."
        )
    in_panel = set(panel["cluster"].astype(str))
    in_related = set(related["cluster_a"].astype(str)) | set(related["cluster_b"].astype(str))
    only_panel = sorted(in_panel - in_related)
    if only_panel:
        raise DataIntegrityError(
            f"cluster(s) {_list([repr(c) for c in only_panel])} are in the metro x cluster panel but have no row in "
            "the relatedness table; the explorer needs relatedness for every cluster."
        )
    only_related = sorted(in_related - in_panel)
    if only_related:
        raise DataIntegrityError(
            f"cluster(s) {_list([repr(c) for c in only_related])} have relatedness rows but no row in the metro x "
            "cluster panel; the panel must list every traded cluster for every metro."
        )
    clusters = sorted(in_panel)
    names = panel.drop_duplicates("cbsa").set_index("cbsa")["cbsa_name"]
    grid = pd.MultiIndex.from_product([names.index, clusters], names=["cbsa", "cluster"])
    have = pd.MultiIndex.from_frame(panel[["cbsa", "cluster"]].astype(str))
    absent = grid.difference(have)
    if len(absent):
        msgs = [f"metro {c} ({names[c]}) has no row for cluster {k!r}" for c, k in absent[:5]]
        raise DataIntegrityError(
            f"the metro x cluster panel is not a complete grid: {len(absent)} missing rows, e.g. "
            + "; ".join(msgs)
            + ". Rebuild the panel (build_metro_clusters fills absent cells with zero employment)."
        )
    rel = related.loc[related["cluster_a"].astype(str) != related["cluster_b"].astype(str)]
    dup = rel.duplicated(["cluster_a", "cluster_b"], keep="first")
    if dup.any():
        pairs = [f"{a!r} -> {b!r}" for a, b in rel.loc[dup, ["cluster_a", "cluster_b"]].to_numpy()]
        raise DataIntegrityError(f"the relatedness table repeats pair(s) {_list(pairs)}.")
    want = pd.MultiIndex.from_tuples(
        [(a, b) for a in clusters for b in clusters if a != b], names=["cluster_a", "cluster_b"]
    )
    got = pd.MultiIndex.from_frame(rel[["cluster_a", "cluster_b"]].astype(str))
    absent = want.difference(got)
    if len(absent):
        pairs = [f"{a!r} -> {b!r}" for a, b in absent]
        raise DataIntegrityError(
            f"the relatedness table lacks {len(absent)} row(s) for pairs of clusters: "
            f"{_list(pairs)}; every ordered pair of distinct clusters needs a row."
        )
    for m in MEASURES:
        bad = pd.to_numeric(rel[m], errors="coerce").isna()
        if bad.any():
            pairs = [f"{a!r} -> {b!r}" for a, b in rel.loc[bad, ["cluster_a", "cluster_b"]].to_numpy()]
            raise DataIntegrityError(
                f"relatedness column {m!r} is missing or not numeric for {int(bad.sum())} "
                f"pair(s): {_list(pairs)}."
            )
    return clusters


def strong_cells(panel: pd.DataFrame) -> pd.Series:
    """Where a cluster is strong in a metro: the panel's flag, counted only where the LQ is finite.

    A metro-cluster is strong when it is in the top quartile of the cluster's location quotient
    across regions (Delgado, Porter & Stern 2014); the flag comes with the panel. A cell whose
    ``cluster_lq`` is missing (an industry of the cluster is suppressed) or infinite cannot be
    ranked, so it is never strong here whatever its flag says; a missing flag is not strong.

    Parameters
    ----------
    panel : pandas.DataFrame
        With columns ``strong`` (bool, possibly with missing values) and ``cluster_lq``.

    Returns
    -------
    pandas.Series
        Boolean, aligned with ``panel``.
    """
    _require(panel, ["strong", "cluster_lq"], "metro x cluster panel", "Add the strong flag.")
    flag = panel["strong"].astype("boolean").fillna(False).astype(bool)
    lq = pd.to_numeric(panel["cluster_lq"], errors="coerce").to_numpy(dtype=float)
    return flag & pd.Series(np.isfinite(lq), index=panel.index)


def cluster_totals(panel: pd.DataFrame) -> pd.DataFrame:
    """Employment and number of strong metros of each cluster, over all CBSAs in the panel.

    ``employment`` sums the cluster's disclosed metro-cluster employment (2019 CBP, all metro
    and micro areas: the CBSA universe of the panel, not counties outside any CBSA); a
    metro-cluster with a suppressed industry has no employment in the panel and is left out,
    and ``n_suppressed`` says how many were. ``n_strong`` counts the metros where the cluster
    is strong (:func:`strong_cells`).

    Returns
    -------
    pandas.DataFrame
        ``cluster``, ``employment``, ``n_suppressed``, ``n_strong``, ``n_metros``, sorted by
        cluster.
    """
    _require(panel, ["cluster", "employment"], "metro x cluster panel", "")
    emp = pd.to_numeric(panel["employment"], errors="coerce")
    g = pd.DataFrame(
        {
            "cluster": panel["cluster"].astype(str).to_numpy(),
            "employment": emp.to_numpy(dtype=float),
            "suppressed": emp.isna().to_numpy(),
            "strong": strong_cells(panel).to_numpy(),
        }
    ).groupby("cluster", sort=True)
    out = pd.DataFrame(
        {
            "employment": g["employment"].sum(),
            "n_suppressed": g["suppressed"].sum().astype("int64"),
            "n_strong": g["strong"].sum().astype("int64"),
            "n_metros": g.size().astype("int64"),
        }
    )
    return out.rename_axis("cluster").reset_index()


def _percentile_strict(values: np.ndarray) -> np.ndarray:
    """100 x the share of values strictly below each value (0 for the smallest)."""
    s = np.sort(values)
    return 100.0 * np.searchsorted(s, values, side="left") / len(values)


def cluster_links(related: pd.DataFrame) -> pd.DataFrame:
    """One row per unordered pair of distinct clusters with its four relatedness measures.

    The US Cluster Mapping table lists each pair in both directions with values equal up to
    rounding; the row with ``cluster_a < cluster_b`` (by name) is kept, after checking that the
    reverse row agrees within 1e-5. For each measure ``m`` the column ``m_pct`` is the pair's
    percentile among all pairs, ``100 x #(pairs with a strictly lower value) / #pairs``, so
    that one slider (a minimum percentile) works for measures on different scales: a link is
    drawn when ``m_pct >= threshold`` (:func:`links_above`).

    Parameters
    ----------
    related : pandas.DataFrame
        ``cluster_a``, ``cluster_b``, ``cr_io``, ``cr_occ``, ``cr_lc``, ``cr_all`` (check it
        first with :func:`check_explorer_inputs`).

    Returns
    -------
    pandas.DataFrame
        ``cluster_a``, ``cluster_b`` and, per measure, the value and ``*_pct``; sorted by pair.

    Raises
    ------
    DataIntegrityError
        The two directions of a pair disagree.
    """
    r = related.assign(
        cluster_a=related["cluster_a"].astype(str), cluster_b=related["cluster_b"].astype(str)
    )
    r = r.loc[r["cluster_a"] != r["cluster_b"]]
    cols = list(MEASURES)
    fwd = r.loc[r["cluster_a"] < r["cluster_b"], ["cluster_a", "cluster_b", *cols]]
    rev = r.loc[r["cluster_a"] > r["cluster_b"], ["cluster_a", "cluster_b", *cols]].rename(
        columns={"cluster_a": "cluster_b", "cluster_b": "cluster_a"}
    )
    m = fwd.merge(rev, on=["cluster_a", "cluster_b"], how="left", suffixes=("", "_rev"))
    for c in cols:
        a = pd.to_numeric(m[c]).to_numpy(dtype=float)
        b = pd.to_numeric(m[f"{c}_rev"]).to_numpy(dtype=float)
        bad = ~(np.abs(a - b) <= _SYMMETRY_TOL)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataIntegrityError(
                f"relatedness {c!r} differs between the two directions of {int(bad.sum())} "
                f"pair(s), e.g. {m['cluster_a'].iat[i]!r} / {m['cluster_b'].iat[i]!r}: "
                f"{a[i]} vs {b[i]}; the table must be symmetric."
            )
    out = m[["cluster_a", "cluster_b"]].copy()
    for c in cols:
        v = pd.to_numeric(m[c]).to_numpy(dtype=float)
        out[c] = v
        out[f"{c}_pct"] = _percentile_strict(v)
    return out.sort_values(["cluster_a", "cluster_b"], kind="stable").reset_index(drop=True)


def _check_measure(measure: str, min_percentile: float) -> None:
    if measure not in MEASURES:
        raise InputError(f"unknown relatedness measure {measure!r}; use one of {list(MEASURES)}.")
    if not 0.0 <= min_percentile <= 100.0:
        raise InputError(f"min_percentile must lie in [0, 100], got {min_percentile}.")


def links_above(links: pd.DataFrame, measure: str, min_percentile: float) -> pd.DataFrame:
    """Return the links drawn at a threshold: pairs with ``<measure>_pct >= min_percentile``.

    Parameters
    ----------
    links : pandas.DataFrame
        :func:`cluster_links` output.
    measure : {"cr_all", "cr_io", "cr_occ", "cr_lc"}
        Relatedness type.
    min_percentile : float
        Threshold on the pair percentile (0 draws every pair).

    Returns
    -------
    pandas.DataFrame
        ``cluster_a``, ``cluster_b``, ``value``, ``pct``, strongest first (ties by pair).
    """
    _check_measure(measure, min_percentile)
    keep = links[f"{measure}_pct"].to_numpy(dtype=float) >= min_percentile
    out = links.loc[keep, ["cluster_a", "cluster_b", measure, f"{measure}_pct"]]
    out = out.rename(columns={measure: "value", f"{measure}_pct": "pct"})
    out = out.sort_values(["value", "cluster_a", "cluster_b"], ascending=[False, True, True],
                          kind="stable")
    return out.reset_index(drop=True)


def related_clusters(
    links: pd.DataFrame, cluster: str, measure: str, min_percentile: float
) -> pd.DataFrame:
    """Return the clusters linked to ``cluster`` at a threshold, strongest first.

    Returns
    -------
    pandas.DataFrame
        ``related_cluster``, ``value``, ``pct`` (ties broken by name).
    """
    lk = links_above(links, measure, min_percentile)
    a = lk.loc[lk["cluster_a"] == cluster, ["cluster_b", "value", "pct"]]
    b = lk.loc[lk["cluster_b"] == cluster, ["cluster_a", "value", "pct"]]
    out = pd.concat(
        [a.rename(columns={"cluster_b": "related_cluster"}),
         b.rename(columns={"cluster_a": "related_cluster"})],
        ignore_index=True,
    )
    out = out.sort_values(["value", "related_cluster"], ascending=[False, True], kind="stable")
    return out.reset_index(drop=True)


UNNAMED_TYPE = "unknown"
"""``cbsa_type`` given to a CBSA that the county-CBSA crosswalk does not name."""


def area_labels(panel: pd.DataFrame) -> pd.DataFrame:
    """Name every CBSA of the panel: one missing from the crosswalk becomes ``"CBSA <code>"``.

    Some 2019 CBP CBSAs have no name or type in the county-CBSA crosswalk (the builder reports
    them); they stay in the explorer, named by code, with ``cbsa_type`` :data:`UNNAMED_TYPE`.
    """
    name = panel["cbsa_name"].astype(object)
    kind = panel["cbsa_type"].astype(object)
    no_name = name.isna().to_numpy()
    return panel.assign(
        cbsa_name=np.where(no_name, "CBSA " + panel["cbsa"].astype(str), name),
        cbsa_type=np.where(kind.isna().to_numpy(), UNNAMED_TYPE, kind),
    )


def metro_summary(panel: pd.DataFrame) -> pd.DataFrame:
    """One row per CBSA: ``cbsa``, ``cbsa_name``, ``cbsa_type``, ``n_strong`` (strong clusters).

    Names and types are completed by :func:`area_labels`. Sorted by ``cbsa_name`` then ``cbsa``.
    """
    panel = area_labels(panel)
    g = panel.assign(_strong=strong_cells(panel)).groupby("cbsa", sort=True)
    out = pd.DataFrame(
        {
            "cbsa_name": g["cbsa_name"].first(),
            "cbsa_type": g["cbsa_type"].first(),
            "n_strong": g["_strong"].sum().astype("int64"),
        }
    ).rename_axis("cbsa").reset_index()
    out = out.sort_values(["cbsa_name", "cbsa"], kind="stable").reset_index(drop=True)
    return out


def metro_portfolios(panel: pd.DataFrame) -> pd.DataFrame:
    """Each metro's strong clusters with their employment and location quotient.

    Returns
    -------
    pandas.DataFrame
        ``cbsa``, ``cbsa_name``, ``cbsa_type``, ``cluster``, ``employment``, ``cluster_lq``:
        one row per strong metro-cluster (:func:`strong_cells`), sorted by metro, then
        location quotient (highest first), then cluster.
    """
    cols = ["cbsa", "cbsa_name", "cbsa_type", "cluster", "employment", "cluster_lq"]
    panel = area_labels(panel)
    out = panel.loc[strong_cells(panel), cols]
    out = out.sort_values(["cbsa", "cluster_lq", "cluster"], ascending=[True, False, True],
                          kind="stable")
    return out.reset_index(drop=True)


def top_metros_by_lq(
    panel: pd.DataFrame, n: int = 10, cbsa_types: Sequence[str] | None = ("metro",)
) -> pd.DataFrame:
    """Return the ``n`` areas with the highest location quotient of each cluster.

    Parameters
    ----------
    panel : pandas.DataFrame
        Metro x cluster panel.
    n : int
        Areas per cluster.
    cbsa_types : sequence of str or None
        Keep these ``cbsa_type`` values (default: metropolitan areas only, since in small
        micropolitan areas a handful of establishments gives extreme quotients); None keeps all.
        A CBSA without a type in the crosswalk (:func:`area_labels`) is kept only when
        :data:`UNNAMED_TYPE` is listed.

    Returns
    -------
    pandas.DataFrame
        ``cluster``, ``rank`` (1 = highest LQ), ``cbsa``, ``cbsa_name``, ``cbsa_type``,
        ``employment``, ``cluster_lq``, ``strong``. Areas with a missing LQ are not ranked;
        ties are broken by CBSA code.
    """
    if n < 1:
        raise InputError(f"n must be at least 1, got {n}.")
    df = area_labels(panel).assign(strong=strong_cells(panel))
    lq = pd.to_numeric(df["cluster_lq"], errors="coerce")
    keep = np.isfinite(lq.to_numpy(dtype=float))
    if cbsa_types is not None:
        keep &= df["cbsa_type"].isin(list(cbsa_types)).to_numpy()
    cols = ["cluster", "cbsa", "cbsa_name", "cbsa_type", "employment", "cluster_lq", "strong"]
    df = df.loc[keep, cols].sort_values(
        ["cluster", "cluster_lq", "cbsa"], ascending=[True, False, True], kind="stable"
    )
    df = df.groupby("cluster", sort=False).head(n)
    df.insert(1, "rank", df.groupby("cluster", sort=False).cumcount().astype("int64") + 1)
    return df.reset_index(drop=True)
