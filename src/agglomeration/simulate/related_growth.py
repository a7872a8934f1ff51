"""Region x industry employment growth driven by own size and related-industry employment.

:func:`related_industry_growth` generates the "related clusters grow together" design of the
paper: growth of an industry in a region falls with its own base size (convergence) and rises
with base employment in the industries related to it, with region and industry fixed effects
(Delgado, Porter & Stern 2014, eq. 1, in its industry form).

References
----------
Delgado, M., Porter, M. E. and Stern, S. (2014). Clusters, convergence, and economic
performance. Research Policy 43(10), 1785-1799.
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
    _nonneg,
    _pos_int,
    _positive,
    _readonly,
    _rng,
)

__all__ = ["RelatedGrowthTruth", "SimulatedRelatedGrowth", "related_industry_growth"]


@dataclass(frozen=True)
class RelatedGrowthTruth:
    """Every true parameter of a :func:`related_industry_growth` draw.

    ``log_growth_ri = log(E_ri,1 / E_ri,0) = b_own * log E_ri,0 + b_rel * log R_ri,0
    + industry_fe[i] + region_fe[r] + error_ri``, with related employment ``R_ri,0 =
    sum_(j != i) relatedness[i, j] * E_rj,0`` and ``error ~ N(0, sigma_eps**2)`` i.i.d.

    Attributes
    ----------
    relatedness : numpy.ndarray
        The ``(n_industries, n_industries)`` symmetric relatedness matrix (read-only).
    region_size : numpy.ndarray
        ``size_r``, the log size shifter of each region's base employment.
    national_industry_share : numpy.ndarray
        ``nat_i``, the centre of the industry mix.
    """

    n_regions: int
    n_industries: int
    b_own: float
    b_rel: float
    region_fe: NDArray[np.float64]
    industry_fe: NDArray[np.float64]
    sigma_eps: float
    sigma_region_fe: float
    sigma_industry_fe: float
    region_fe_size_loading: float
    size_sd: float
    specialisation_sd: float
    colocation: float
    relatedness: NDArray[np.float64] = field(repr=False)
    region_size: NDArray[np.float64] = field(repr=False)
    national_industry_share: NDArray[np.float64] = field(repr=False)


@dataclass(frozen=True)
class SimulatedRelatedGrowth:
    """Output of :func:`related_industry_growth`.

    Attributes
    ----------
    data : pandas.DataFrame
        Region x industry, sorted by region then industry: ``region``, ``industry`` (int64),
        ``employment_0`` (``E_ri,0``, int64 >= 1), ``employment_1`` (``E_ri,1 = E_ri,0 *
        exp(log_growth)``, float64, not rounded so that the growth equation holds exactly),
        ``log_employment_0``, ``related_employment_0`` (``R_ri,0``),
        ``log_related_employment_0``, ``log_growth``, ``error``.
    relatedness : pandas.DataFrame
        Long list of related pairs: ``industry``, ``related_industry``, ``weight`` (> 0), both
        orders of each pair.
    truth : RelatedGrowthTruth
    """

    data: pd.DataFrame
    relatedness: pd.DataFrame
    truth: RelatedGrowthTruth


def related_industry_growth(
    n_regions: int,
    n_industries: int = 30,
    seed: int | np.random.Generator = 0,
    *,
    b_own: float = -0.05,
    b_rel: float = 0.04,
    relatedness: ArrayLike | None = None,
    mean_related: float = 4.0,
    sigma_eps: float = 0.1,
    sigma_region_fe: float = 0.05,
    sigma_industry_fe: float = 0.05,
    region_fe_size_loading: float = 0.02,
    size_sd: float = 1.0,
    specialisation_sd: float = 1.0,
    colocation: float = 0.5,
) -> SimulatedRelatedGrowth:
    """Simulate region x industry growth with convergence and related-industry spillovers.

    The growth equation is the one in :class:`RelatedGrowthTruth` (Delgado, Porter & Stern
    2014, eq. 1: growth on the base-period own size and on the strength of the related
    industries in the region, with region and industry fixed effects).

    Base employment: ``log E_ri,0 = log 1000 + size_r + log(n_industries * nat_i) +
    specialisation_sd * (z_ri + colocation * zbar_ri)``, rounded to an integer >= 1, with
    ``size_r ~ N(0, size_sd**2)``, ``nat ~ Dirichlet(2, ..., 2)``, ``z_ri ~ N(0, 1)`` and
    ``zbar_ri`` the relatedness-weighted mean of ``z_rj`` over the industries related to ``i``:
    related industries co-locate (``colocation > 0``), so own and related employment are
    positively correlated, as in the data, but the idiosyncratic ``z_ri`` and the related
    industries' own draws keep them separately identified given the fixed effects. Region
    effects load on the standardised region size (``region_fe_size_loading``).

    Parameters
    ----------
    n_regions, n_industries : int
        Positive sizes (``n_industries >= 2``); ``n_regions * n_industries`` rows.
    seed : int or numpy.random.Generator
        Seed or generator; the result is a deterministic function of it.
    b_own, b_rel : float
        Coefficients on ``log_employment_0`` (convergence when negative) and
        ``log_related_employment_0``.
    relatedness : array_like, optional
        A symmetric ``(n_industries, n_industries)`` matrix of non-negative weights (0/1 or
        weights) with a zero diagonal and at least one related industry per row. Default: a
        random 0/1 matrix with about ``mean_related`` related industries per industry (each
        industry related to its two neighbours on a cycle, other pairs independently).
    mean_related : float
        Expected related industries per industry for the default matrix (>= 1).
    sigma_eps, sigma_region_fe, sigma_industry_fe : float
        Standard deviations (>= 0) of the error and the fixed effects.
    region_fe_size_loading : float
        Loading of the region effect on standardised ``size_r``.
    size_sd, specialisation_sd, colocation : float
        Spread of region sizes and of industry specialisation (>= 0; ``specialisation_sd > 0``
        is needed to identify ``b_own`` from ``b_rel``), and the co-location of related
        industries.

    Returns
    -------
    SimulatedRelatedGrowth

    Raises
    ------
    InputError
        Naming the argument: non-positive sizes, a relatedness matrix that is not square,
        symmetric, non-negative with zero diagonal and non-empty rows, negative standard
        deviations, non-finite coefficients.
    """
    n = _pos_int("n_regions", n_regions)
    n_i = _pos_int("n_industries", n_industries)
    if n_i < 2:
        raise InputError(f"n_industries must be >= 2 (an industry needs a related one), got {n_i}.")
    rng = _rng(seed)
    bo = _finite("b_own", b_own)
    br = _finite("b_rel", b_rel)
    m_rel = _finite("mean_related", mean_related)
    if m_rel < 1:
        raise InputError(f"mean_related must be >= 1, got {mean_related!r}.")
    sig = _nonneg("sigma_eps", sigma_eps)
    sig_r = _nonneg("sigma_region_fe", sigma_region_fe)
    sig_i = _nonneg("sigma_industry_fe", sigma_industry_fe)
    load = _finite("region_fe_size_loading", region_fe_size_loading)
    s_sd = _nonneg("size_sd", size_sd)
    sp_sd = _positive("specialisation_sd", specialisation_sd)
    coloc = _finite("colocation", colocation)
    a = (_random_relatedness(rng, n_i, m_rel) if relatedness is None
         else _check_relatedness("relatedness", relatedness, n_i))

    # base employment ---------------------------------------------------------------------
    size = rng.normal(0.0, s_sd, n)
    nat = rng.dirichlet(np.full(n_i, 2.0))
    z = rng.standard_normal((n, n_i))
    zbar = (z @ a) / a.sum(axis=0)[None, :]  # a symmetric: column i = row i
    log_e0 = (np.log(1000.0) + size[:, None] + np.log(n_i * nat)[None, :]
              + sp_sd * (z + coloc * zbar))
    e0 = np.maximum(np.rint(np.exp(log_e0)), 1.0).astype(np.int64)
    rel0 = e0.astype(np.float64) @ a  # R_ri = sum_j E_rj a_ji = sum_j a_ij E_rj (symmetric)

    # growth --------------------------------------------------------------------------------
    zs = (size - size.mean()) / size.std() if n > 1 and size.std() > 0 else size * 0.0
    region_fe = sig_r * rng.standard_normal(n) + load * zs
    industry_fe = sig_i * rng.standard_normal(n_i)
    err = sig * rng.standard_normal((n, n_i))
    log_e0_obs = np.log(e0)
    log_rel0 = np.log(rel0)
    growth = bo * log_e0_obs + br * log_rel0 + region_fe[:, None] + industry_fe[None, :] + err

    data = pd.DataFrame(
        {
            "region": np.repeat(np.arange(n, dtype=np.int64), n_i),
            "industry": np.tile(np.arange(n_i, dtype=np.int64), n),
            "employment_0": e0.ravel(),
            "employment_1": (e0 * np.exp(growth)).ravel(),
            "log_employment_0": log_e0_obs.ravel(),
            "related_employment_0": rel0.ravel(),
            "log_related_employment_0": log_rel0.ravel(),
            "log_growth": growth.ravel(),
            "error": err.ravel(),
        }
    )
    ii, jj = np.nonzero(a)
    pairs = pd.DataFrame({"industry": ii.astype(np.int64), "related_industry": jj.astype(np.int64),
                          "weight": a[ii, jj]})
    truth = RelatedGrowthTruth(
        n_regions=n, n_industries=n_i, b_own=bo, b_rel=br, region_fe=_readonly(region_fe),
        industry_fe=_readonly(industry_fe), sigma_eps=sig, sigma_region_fe=sig_r,
        sigma_industry_fe=sig_i, region_fe_size_loading=load, size_sd=s_sd,
        specialisation_sd=sp_sd, colocation=coloc, relatedness=_readonly(a),
        region_size=_readonly(size), national_industry_share=_readonly(nat),
    )
    return SimulatedRelatedGrowth(data=data, relatedness=pairs, truth=truth)
