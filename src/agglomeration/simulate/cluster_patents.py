"""Metro patents driven by size, strong clusters and the relatedness of the strong clusters.

:func:`metro_cluster_patents` generates the "clusters raise innovation" design of the paper at the
metro level: cluster employment by metro, strong clusters defined as in Delgado, Porter & Stern
(2014) (top quartile of the cluster location quotient across metros) and a Poisson patent count
with a log link in metro size, the number of strong clusters and related-cluster strength.

References
----------
Delgado, M., Porter, M. E. and Stern, S. (2014). Clusters, convergence, and economic
performance. Research Policy 43(10), 1785-1799.
Delgado, M., Porter, M. E. and Stern, S. (2016). Defining clusters of related industries.
J. Economic Geography 16(1), 1-38.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from agglomeration.errors import InputError
from agglomeration.simulate._relatedness import _check_relatedness, _random_relatedness
from agglomeration.simulate._validate import (
    _finite,
    _interval,
    _nonneg,
    _pos_int,
    _readonly,
    _rng,
)

__all__ = ["ClusterPatentTruth", "SimulatedClusterPatents", "metro_cluster_patents"]


@dataclass(frozen=True)
class ClusterPatentTruth:
    """Every true parameter of a :func:`metro_cluster_patents` draw.

    ``patents_m ~ Poisson(exp(patent_intercept + b_size * log_employment_m + b_strong *
    n_strong_clusters_m + b_related * related_cluster_strength_m))``, independently across
    metros given the covariates (definitions in :func:`metro_cluster_patents`).

    Attributes
    ----------
    relatedness : numpy.ndarray
        ``(n_clusters, n_clusters)`` symmetric relatedness matrix ``A`` (read-only).
    strong_quantile : float
        Quantile of the cluster LQ across metros that defines a strong cluster (0.75).
    national_cluster_share : numpy.ndarray
        ``nat_c``, the centre of the cluster mix of traded employment.
    """

    n_metros: int
    n_clusters: int
    patent_intercept: float
    b_size: float
    b_strong: float
    b_related: float
    strong_quantile: float
    traded_share: tuple[float, float]
    size_mean_log: float
    size_sd_log: float
    specialisation_sd: float
    colocation: float
    relatedness: NDArray[np.float64] = field(repr=False)
    national_cluster_share: NDArray[np.float64] = field(repr=False)


@dataclass(frozen=True)
class SimulatedClusterPatents:
    """Output of :func:`metro_cluster_patents`.

    Attributes
    ----------
    metros : pandas.DataFrame
        One row per metro: ``metro`` (int64), ``employment`` (``E_m``, all employment, int64),
        ``traded_employment`` (sum over clusters), ``log_employment``, ``n_strong_clusters``
        (int64), ``related_cluster_strength`` (float64; an integer count for 0/1
        relatedness), ``log_mean_patents`` (the true linear predictor), ``patents`` (int64).
    clusters : pandas.DataFrame
        Metro x cluster, sorted by metro then cluster: ``metro``, ``cluster`` (int64),
        ``cluster_employment`` (``E_mc`` >= 0, int64), ``metro_employment``, ``lq``,
        ``strong`` (bool).
    relatedness : pandas.DataFrame
        ``cluster``, ``related_cluster``, ``weight``: every related ordered pair.
    truth : ClusterPatentTruth
    """

    metros: pd.DataFrame
    clusters: pd.DataFrame
    relatedness: pd.DataFrame
    truth: ClusterPatentTruth


def metro_cluster_patents(
    n_metros: int = 900,
    n_clusters: int = 51,
    seed: int | np.random.Generator = 0,
    *,
    patent_intercept: float = -8.0,
    b_size: float = 1.0,
    b_strong: float = 0.03,
    b_related: float = 0.02,
    relatedness: ArrayLike | None = None,
    mean_related: float = 5.0,
    strong_quantile: float = 0.75,
    traded_share: tuple[float, float] = (0.25, 0.45),
    size_mean_log: float = 11.0,
    size_sd_log: float = 1.2,
    specialisation_sd: float = 1.0,
    colocation: float = 0.5,
) -> SimulatedClusterPatents:
    """Simulate metro cluster employment, strong clusters and Poisson patent counts.

    Employment. Metro ``m`` has a size ``S_m = exp(N(size_mean_log, size_sd_log**2))`` and a
    traded share ``tau_m ~ U(traded_share)``. Cluster ``c`` employs ``E_mc = round(tau_m S_m
    w_mc)`` (possibly 0) with ``w_mc ∝ nat_c exp(specialisation_sd (z_mc + colocation *
    zbar_mc))``, ``nat ~ Dirichlet(2, ..., 2)``, ``z ~ N(0, 1)`` and ``zbar_mc`` the
    relatedness-weighted mean of ``z_mc'`` over the clusters related to ``c`` (related clusters
    co-locate, DPS 2016). The rest, ``max(1, round((1 - tau_m) S_m))``, is local employment;
    ``E_m`` (column ``employment``) is traded plus local employment.

    Strong clusters (DPS 2014, as :func:`agglomeration.measures.cluster_strength` computes
    them): ``LQ_mc = (E_mc / E_m) / (E_c / E)`` with ``E_c = sum_m E_mc`` and ``E = sum_m
    E_m``; cluster ``c`` is strong in ``m`` when ``LQ_mc >= q_c`` and ``LQ_mc > 0``, ``q_c``
    the ``strong_quantile`` quantile (linear interpolation) of ``LQ_mc`` over all metros.
    ``n_strong_clusters_m = sum_c strong_mc``.

    Related-cluster strength: ``related_cluster_strength_m = sum_(c < c') A_cc' strong_mc
    strong_mc'`` = ``s_m' A s_m / 2``; with a 0/1 relatedness matrix, the number of unordered
    pairs of related clusters that are both strong in the metro (equivalently half the sum,
    over the metro's strong clusters, of the number of strong clusters related to each, the
    ``n_strong_related`` of :func:`agglomeration.measures.related_cluster_strength`). It grows
    faster than ``n_strong`` and depends on *which* clusters are strong, which separates the two.

    Patents: ``Poisson(exp(patent_intercept + b_size log E_m + b_strong n_strong_clusters_m +
    b_related related_cluster_strength_m))``.

    Parameters
    ----------
    n_metros, n_clusters : int
        Positive sizes (``n_metros >= 4`` for quartiles, ``n_clusters >= 2``); the default 51
        is the number of traded clusters of DPS (2016).
    seed : int or numpy.random.Generator
        Seed or generator; the result is a deterministic function of it.
    patent_intercept, b_size, b_strong, b_related : float
        Coefficients of the patent equation.
    relatedness : array_like, optional
        Symmetric ``(n_clusters, n_clusters)`` non-negative matrix with zero diagonal and no
        empty row; default a random 0/1 matrix with about ``mean_related`` links per cluster.
    mean_related : float
        Expected related clusters per cluster for the default matrix (>= 1).
    strong_quantile : float
        In (0, 1); 0.75 is the top-quartile rule.
    traded_share : (float, float)
        Range of ``tau_m``, within [0, 1].
    size_mean_log, size_sd_log, specialisation_sd, colocation : float
        Metro size distribution, dispersion of the cluster mix (>= 0) and co-location of
        related clusters.

    Returns
    -------
    SimulatedClusterPatents

    Raises
    ------
    InputError
        Naming the argument, for non-positive sizes, a bad relatedness matrix, a quantile
        outside (0, 1), a traded-share range outside [0, 1] and non-finite coefficients.
    """
    n = _pos_int("n_metros", n_metros)
    if n < 4:
        raise InputError(f"n_metros must be >= 4 (strong = top quartile across metros), got {n}.")
    n_c = _pos_int("n_clusters", n_clusters)
    if n_c < 2:
        raise InputError(f"n_clusters must be >= 2 (relatedness needs two clusters), got {n_c}.")
    rng = _rng(seed)
    a0 = _finite("patent_intercept", patent_intercept)
    bs = _finite("b_size", b_size)
    bst = _finite("b_strong", b_strong)
    brl = _finite("b_related", b_related)
    m_rel = _finite("mean_related", mean_related)
    if m_rel < 1:
        raise InputError(f"mean_related must be >= 1, got {mean_related!r}.")
    q = _finite("strong_quantile", strong_quantile)
    if not 0 < q < 1:
        raise InputError(f"strong_quantile must lie in (0, 1) (0.75 = top quartile), got {q!r}.")
    tau_lo, tau_hi = _interval("traded_share", traded_share, lower=0.0)
    if tau_hi > 1:
        raise InputError(f"traded_share must lie within [0, 1], got {traded_share!r}.")
    mu = _finite("size_mean_log", size_mean_log)
    sd = _nonneg("size_sd_log", size_sd_log)
    sp = _nonneg("specialisation_sd", specialisation_sd)
    coloc = _finite("colocation", colocation)
    a = (_random_relatedness(rng, n_c, m_rel) if relatedness is None
         else _check_relatedness("relatedness", relatedness, n_c))

    # employment ----------------------------------------------------------------------------
    size = np.exp(rng.normal(mu, sd, n))
    tau = rng.uniform(tau_lo, tau_hi, n)
    nat = rng.dirichlet(np.full(n_c, 2.0))
    z = rng.standard_normal((n, n_c))
    zbar = (z @ a) / a.sum(axis=0)[None, :]
    logw = np.log(nat)[None, :] + sp * (z + coloc * zbar)
    logw -= logw.max(axis=1, keepdims=True)
    w = np.exp(logw)
    w /= w.sum(axis=1, keepdims=True)
    e_mc = np.rint((tau * size)[:, None] * w).astype(np.int64)
    local = np.maximum(np.rint((1.0 - tau) * size), 1.0).astype(np.int64)
    e_m = e_mc.sum(axis=1) + local

    # strong clusters (DPS 2014) and related-cluster strength -------------------------------
    e_c = e_mc.sum(axis=0).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        lq = (e_mc / e_m[:, None]) / (e_c / e_m.sum())[None, :]
    lq = np.where(e_c[None, :] > 0, lq, 0.0)
    q_c = np.quantile(lq, q, axis=0)  # linear interpolation, over every metro
    strong = (lq >= q_c[None, :]) & (lq > 0)
    s = strong.astype(np.float64)
    n_strong = strong.sum(axis=1).astype(np.int64)
    rel_strength = 0.5 * np.einsum("mc,cd,md->m", s, a, s)

    # patents -------------------------------------------------------------------------------
    log_emp = np.log(e_m)
    eta = a0 + bs * log_emp + bst * n_strong + brl * rel_strength
    patents = rng.poisson(np.exp(eta)).astype(np.int64)

    metros = pd.DataFrame(
        {
            "metro": np.arange(n, dtype=np.int64),
            "employment": e_m,
            "traded_employment": e_mc.sum(axis=1),
            "log_employment": log_emp,
            "n_strong_clusters": n_strong,
            "related_cluster_strength": rel_strength,
            "log_mean_patents": eta,
            "patents": patents,
        }
    )
    clusters = pd.DataFrame(
        {
            "metro": np.repeat(np.arange(n, dtype=np.int64), n_c),
            "cluster": np.tile(np.arange(n_c, dtype=np.int64), n),
            "cluster_employment": e_mc.ravel(),
            "metro_employment": np.repeat(e_m, n_c),
            "lq": lq.ravel(),
            "strong": strong.ravel(),
        }
    )
    ii, jj = np.nonzero(a)
    pairs = pd.DataFrame({"cluster": ii.astype(np.int64), "related_cluster": jj.astype(np.int64),
                          "weight": a[ii, jj]})
    truth = ClusterPatentTruth(
        n_metros=n, n_clusters=n_c, patent_intercept=a0, b_size=bs, b_strong=bst,
        b_related=brl, strong_quantile=q, traded_share=(tau_lo, tau_hi), size_mean_log=mu,
        size_sd_log=sd, specialisation_sd=sp, colocation=coloc, relatedness=_readonly(a),
        national_cluster_share=_readonly(nat),
    )
    return SimulatedClusterPatents(metros=metros, clusters=clusters, relatedness=pairs,
                                   truth=truth)
