"""Per-cluster links to patenting, read from the estimate registry.

Naming convention (the registry's contract with the explorer): the estimate of a cluster's
link to metro patenting is registered under

- ``spec_name`` = ``"metro_patents_strong__" + cluster_slug(cluster)`` and
- ``term`` = ``"strong"``,

one row per variance estimator, as every registry row is. :func:`cluster_slug` lower-cases
the cluster name, replaces every run of characters other than ``a-z`` and ``0-9`` with one
``_`` and strips ``_`` from both ends ("Marketing, Design, and Publishing" ->
``marketing_design_and_publishing``). A cluster without such a row is shown as "not estimated
in the paper".
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from agglomeration.errors import ColumnMissingError, DataIntegrityError

__all__ = [
    "PATENT_SPEC_PREFIX",
    "PATENT_TERM",
    "cluster_patent_links",
    "cluster_slug",
    "patent_spec_name",
]

PATENT_SPEC_PREFIX = "metro_patents_strong__"
"""Prefix of the registry ``spec_name`` of a cluster's patent link."""

PATENT_TERM = "strong"
"""Registry ``term`` of a cluster's patent link."""

_NON_ALNUM = re.compile(r"[^a-z0-9]+")

# registry columns shown on the page, in this order, when present (besides the interval)
_OPTIONAL = ["spec_id", "variance", "std_error", "p_value", "n_obs", "estimator"]


def cluster_slug(name: str) -> str:
    """Return the registry slug of a cluster name.

    Lower-case the name, replace every run of characters other than ASCII letters and digits
    with one underscore, strip underscores from both ends.

    Examples
    --------
    >>> cluster_slug("Marketing, Design, and Publishing")
    'marketing_design_and_publishing'
    >>> cluster_slug("  Trailers, Motor Homes, and Appliances ")
    'trailers_motor_homes_and_appliances'
    """
    return _NON_ALNUM.sub("_", str(name).lower()).strip("_")


def patent_spec_name(cluster: str) -> str:
    """Return the registry ``spec_name`` of ``cluster``'s patent link."""
    return PATENT_SPEC_PREFIX + cluster_slug(cluster)


def _interval_columns(registry: pd.DataFrame) -> tuple[str, str]:
    for lo, hi in (("conf_low", "conf_high"), ("ci_low", "ci_high")):
        if lo in registry.columns and hi in registry.columns:
            return lo, hi
    raise ColumnMissingError(
        "the estimate registry has no interval columns: expected conf_low/conf_high (or the "
        f"older ci_low/ci_high); available: {list(registry.columns)}."
    )


def cluster_patent_links(registry: pd.DataFrame, clusters: Iterable[str]) -> pd.DataFrame:
    """Select the registry rows that estimate each cluster's link to patenting.

    Parameters
    ----------
    registry : pandas.DataFrame
        The estimate registry (``results/estimates.csv``): ``spec_name``, ``term``,
        ``estimate`` and an interval (``conf_low``/``conf_high``, or ``ci_low``/``ci_high``);
        ``spec_id``, ``variance``, ``std_error``, ``p_value``, ``n_obs``, ``estimator`` are
        carried when present.
    clusters : iterable of str
        The cluster names of the explorer.

    Returns
    -------
    pandas.DataFrame
        ``cluster``, ``slug``, ``spec_name``, ``term``, ``estimate``, ``conf_low``,
        ``conf_high`` and the optional columns (missing ones as NaN): one row per registered
        variance estimator, values exactly as in the registry; sorted by cluster then the
        registry's row order. Clusters without a row are absent.

    Raises
    ------
    ColumnMissingError
        The registry lacks ``spec_name``, ``term``, ``estimate`` or an interval.
    DataIntegrityError
        Two clusters share a slug; a registry row with the patent-link prefix names no cluster
        of the explorer (a misspelt slug would otherwise hide an estimate); or a cluster has two
        rows for the same variance.
    """
    need = [c for c in ("spec_name", "term", "estimate") if c not in registry.columns]
    if need:
        raise ColumnMissingError(
            f"the estimate registry lacks column(s) {need}; available: {list(registry.columns)}."
        )
    lo, hi = _interval_columns(registry)
    names = sorted({str(c) for c in clusters})
    slugs = pd.Series(names, index=[cluster_slug(c) for c in names], dtype=object)
    clash = slugs.index[slugs.index.duplicated(keep=False)]
    if len(clash):
        who = sorted(slugs[slugs.index.isin(clash)].tolist())
        raise DataIntegrityError(f"clusters {who} share the registry slug {clash[0]!r}.")
    spec = registry["spec_name"].astype(str)
    mine = spec.str.startswith(PATENT_SPEC_PREFIX).to_numpy() & (
        registry["term"].astype(str).to_numpy() == PATENT_TERM
    )
    rows = registry.loc[mine]
    slug = rows["spec_name"].astype(str).str.slice(len(PATENT_SPEC_PREFIX))
    unknown = sorted(set(slug) - set(slugs.index))
    if unknown:
        raise DataIntegrityError(
            f"registry rows {[PATENT_SPEC_PREFIX + s for s in unknown]} (term {PATENT_TERM!r}) "
            "name no cluster of the explorer; the slug must be cluster_slug(<cluster name>), "
            f"e.g. {PATENT_SPEC_PREFIX + slugs.index[0]!r}."
        )
    out = pd.DataFrame(
        {
            "cluster": slug.map(slugs).to_numpy(dtype=object),
            "slug": slug.to_numpy(dtype=object),
            "spec_name": rows["spec_name"].astype(str).to_numpy(dtype=object),
            "term": rows["term"].astype(str).to_numpy(dtype=object),
            "estimate": pd.to_numeric(rows["estimate"]).to_numpy(dtype=float),
            "conf_low": pd.to_numeric(rows[lo]).to_numpy(dtype=float),
            "conf_high": pd.to_numeric(rows[hi]).to_numpy(dtype=float),
        }
    )
    for c in _OPTIONAL:
        out[c] = rows[c].to_numpy() if c in rows.columns else np.nan
    if "variance" in rows.columns:
        dup = out.duplicated(["cluster", "variance"], keep=False)
        if dup.any():
            raise DataIntegrityError(
                "the registry has several patent-link rows for the same cluster and variance: "
                f"{out.loc[dup, ['spec_name', 'variance']].drop_duplicates().values.tolist()}."
            )
    return out.sort_values("cluster", kind="stable").reset_index(drop=True)
