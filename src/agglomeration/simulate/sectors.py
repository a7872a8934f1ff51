"""A county x sector cross-section with localisation, urbanisation, diversity and ring spillovers.

:func:`county_sector_cross_section` generates the localisation-versus-urbanisation design of the
paper (county x sector productivity on own-sector employment, total employment density and
sector diversity, with state and sector fixed effects), extended with the density of
neighbouring regions in distance rings (the "spillovers cross borders" specification).

References
----------
Ciccone, A. and Hall, R. (1996). Productivity and the density of economic activity. AER 86(1).
Henderson, J. V. (2003). Marshall's scale economies. J. Urban Economics 53(1), 1-28.
Rosenthal, S. and Strange, W. (2003). Geographic scope of agglomeration economies.
Rev. Econ. Stat. 85(2), 377-393 (employment in distance rings).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from agglomeration.errors import InputError
from agglomeration.geo import neighbor_pairs
from agglomeration.simulate._validate import (
    _finite,
    _finite_vector,
    _interval,
    _nonneg,
    _pos_int,
    _positive,
    _readonly,
    _rng,
)
from agglomeration.simulate.geography import _nearest_state, _region_geography

__all__ = ["SectorTruth", "SimulatedSectors", "county_sector_cross_section"]


@dataclass(frozen=True)
class SectorTruth:
    """Every true parameter of a :func:`county_sector_cross_section` draw.

    The outcome is, for region ``r`` (in state ``st(r)``) and sector ``s``,

    ``log_productivity_rs = intercept + beta_loc * log_employment_rs + beta_urb * log_density_r
    + beta_div * diversity_r + sum_k (gamma_rings[k] * ring_k,r + gamma_empty_rings[k] *
    empty_k,r) + sector_fe[s] + state_fe[st(r)] + error_rs``, ``error ~ N(0, sigma_eps**2)``
    i.i.d., independent of everything else.

    Attributes
    ----------
    ring_edges_km : numpy.ndarray
        ``K + 1`` increasing distances; ring ``k`` holds the other regions ``j`` with
        ``edges[k] < d(r, j) <= edges[k + 1]`` (``edges[0] <= d`` for the first ring).
    ring_columns, empty_columns : tuple of str
        Names of the ring regressors (``"ring_0_50km"``, ...) and of their empty-ring flags.
    empty_ring_value : float
        Value of ``ring_k,r`` when ring ``k`` of ``r`` holds no region (flag set to True).
    state_codes : tuple of str
        States present, sorted; ``state_fe[i]`` belongs to ``state_codes[i]``.
    share_dispersion : numpy.ndarray
        ``sigma_r`` of each region: the dispersion of its log sector shares (see the function).
    national_sector_share : numpy.ndarray
        ``nat_s``, the centre of the sector shares.
    """

    n_regions: int
    n_sectors: int
    intercept: float
    beta_loc: float
    beta_urb: float
    beta_div: float
    gamma_rings: NDArray[np.float64]
    gamma_empty_rings: NDArray[np.float64]
    ring_edges_km: NDArray[np.float64]
    ring_columns: tuple[str, ...]
    empty_columns: tuple[str, ...]
    empty_ring_value: float
    sector_fe: NDArray[np.float64]
    state_codes: tuple[str, ...]
    state_fe: NDArray[np.float64]
    sigma_eps: float
    sigma_sector_fe: float
    sigma_state_fe: float
    state_fe_density_loading: float
    national_sector_share: NDArray[np.float64]
    share_dispersion: NDArray[np.float64] = field(repr=False)


@dataclass(frozen=True)
class SimulatedSectors:
    """Output of :func:`county_sector_cross_section`.

    Attributes
    ----------
    data : pandas.DataFrame
        Region x sector, sorted by region then sector: ``region`` (int64), ``sector`` (int64),
        ``state`` (postal code), ``employment`` (``E_rs``, int64 >= 1), ``log_employment``,
        the region columns of ``regions`` (``land_area_km2``, ``region_employment``,
        ``log_density``, ``diversity``, the ring columns and their flags),
        ``log_productivity`` and ``error``.
    regions : pandas.DataFrame
        One row per region: ``region``, ``state``, ``lat``, ``lon``, ``land_area_km2``,
        ``region_employment`` (``E_r``), ``log_density`` (``log(E_r / land_r)``),
        ``diversity`` (``1 - sum_s (E_rs / E_r)**2``), ``ring_<lo>_<hi>km`` (log employment
        density of the other regions in the ring) and ``ring_<lo>_<hi>km_empty`` (bool).
    truth : SectorTruth
    """

    data: pd.DataFrame
    regions: pd.DataFrame
    truth: SectorTruth


def _ring_names(edges: NDArray[np.float64]) -> tuple[str, ...]:
    return tuple(f"ring_{lo:g}_{hi:g}km" for lo, hi in zip(edges[:-1], edges[1:], strict=True))


def _ring_log_density(
    lat: NDArray[np.float64],
    lon: NDArray[np.float64],
    employment: NDArray[np.float64],
    land_area_km2: NDArray[np.float64],
    ring_edges_km: ArrayLike,
    empty_value: float = 0.0,
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Log employment density of the *other* regions in each distance ring around each region.

    ``ring_k,r = log(sum_(j in ring k of r) E_j / sum_(j in ring k of r) land_j)`` with ring
    ``k`` the regions ``j != r`` whose great-circle distance ``d(r, j)`` satisfies
    ``edges[k] < d <= edges[k + 1]`` (the first ring also keeps ``d = edges[0]``). Pairs come
    from :func:`agglomeration.geo.neighbor_pairs` with cutoff ``edges[-1]`` (a KD-tree search:
    work grows with the number of pairs, not n²).

    Parameters
    ----------
    lat, lon : numpy.ndarray
        Region coordinates in degrees.
    employment, land_area_km2 : numpy.ndarray
        Region employment and land area (> 0).
    ring_edges_km : sequence of float
        ``K + 1`` strictly increasing distances, the first >= 0.
    empty_value : float
        Value given to a ring that holds no region.

    Returns
    -------
    rings : numpy.ndarray
        ``(n, K)`` ring log densities.
    empty : numpy.ndarray
        ``(n, K)`` True where the ring holds no region.
    """
    edges = _check_edges(ring_edges_km)
    n, n_k = lat.size, edges.size - 1
    pairs = neighbor_pairs(lat, lon, float(edges[-1]))
    ring = np.searchsorted(edges, pairs.distance_km, side="left") - 1
    ring[pairs.distance_km == edges[0]] = 0
    keep = ring >= 0
    i, j, ring = pairs.i[keep], pairs.j[keep], ring[keep]
    # both directions of each unordered pair: j is in r = i's ring and i is in r = j's ring
    key = np.concatenate([i * n_k + ring, j * n_k + ring])
    other = np.concatenate([j, i])
    emp = np.bincount(key, weights=employment[other], minlength=n * n_k).reshape(n, n_k)
    land = np.bincount(key, weights=land_area_km2[other], minlength=n * n_k).reshape(n, n_k)
    empty = land <= 0
    out = np.full((n, n_k), float(empty_value))
    ok = ~empty
    out[ok] = np.log(emp[ok] / land[ok])
    return out, empty


def _check_edges(ring_edges_km: ArrayLike) -> NDArray[np.float64]:
    edges = _finite_vector("ring_edges_km", ring_edges_km)
    if edges.size < 2 or edges[0] < 0 or not (np.diff(edges) > 0).all():
        raise InputError(
            f"ring_edges_km must hold at least two strictly increasing distances >= 0 (e.g. "
            f"(0, 50, 100, 200) for the rings 0-50, 50-100 and 100-200 km), got {ring_edges_km!r}."
        )
    return edges


def county_sector_cross_section(
    n_regions: int,
    n_sectors: int = 10,
    seed: int | np.random.Generator = 0,
    *,
    beta_loc: float = 0.04,
    beta_urb: float = 0.03,
    beta_div: float = 0.2,
    ring_edges_km: Sequence[float] = (0.0, 50.0, 100.0, 200.0),
    gamma_rings: Sequence[float] | None = None,
    gamma_empty_rings: Sequence[float] | None = None,
    empty_ring_value: float = 0.0,
    intercept: float = 4.0,
    sigma_eps: float = 0.1,
    sigma_sector_fe: float = 0.3,
    sigma_state_fe: float = 0.1,
    state_fe_density_loading: float = 0.05,
    share_dispersion: tuple[float, float] = (0.3, 1.5),
    n_centres: int | None = None,
    metro_share: float = 0.6,
    metro_spread_km: float = 60.0,
) -> SimulatedSectors:
    """Simulate county x sector productivity with localisation, urbanisation and ring spillovers.

    The outcome is the log-linear model of :class:`SectorTruth` (localisation: own-sector
    employment; urbanisation: total employment density, Ciccone & Hall 1996, eq. 8; Jacobs
    diversity, Henderson 2003; the density of neighbours in distance rings, Rosenthal & Strange
    2003), with sector and state fixed effects and an i.i.d. normal error. Every regressor is
    computed from the simulated (integer) employment, so the equation holds exactly in the data.

    Geography: regions on the US map as in :func:`agglomeration.simulate.regional_panel` (the
    same clustered points and land areas), each assigned to the state whose centre is nearest.

    Employment, and why the three agglomeration regressors are separately identified: three
    independent draws move them. (i) Region size ``B_r = exp(log 5000 + 2.5 proximity_r +
    N(0, 0.8**2))``; (ii) land area (its own ``N(0, 0.5**2)`` log noise, see the geography),
    so density ``E_r / land_r`` varies given size; (iii) the dispersion of the region's sector
    mix, ``sigma_r ~ U(share_dispersion)``: sector shares are ``w_rs ∝ nat_s exp(sigma_r
    z_rs)`` with ``nat ~ Dirichlet(2, ..., 2)`` and ``z_rs ~ N(0, 1)``, so diversity falls with
    ``sigma_r`` whatever the size or density. Within a region, own-sector employment ``E_rs =
    max(1, round(B_r w_rs))`` varies across sectors through ``z_rs`` while density and diversity
    are fixed, which separates localisation from the region-level regressors. The rings vary
    with the neighbours' employment and land, not the region's own.

    State effects load on the state's mean standardised log density
    (``state_fe_density_loading``), so omitting them biases ``beta_urb``, as sorting would.

    Parameters
    ----------
    n_regions, n_sectors : int
        Positive sizes; the data have ``n_regions * n_sectors`` rows (``n_sectors >= 2``).
    seed : int or numpy.random.Generator
        Seed or generator; the result is a deterministic function of it.
    beta_loc, beta_urb, beta_div : float
        Coefficients on ``log_employment``, ``log_density`` and ``diversity``.
    ring_edges_km : sequence of float
        Ring boundaries (ring ``k``: other regions at great-circle distance in ``(edges[k], edges[k + 1]]``); default rings 0-50, 50-100, 100-200 km.
    gamma_rings : sequence of float, optional
        One coefficient per ring; default ``(0.02, 0.01, 0.005)`` for three rings, else zeros.
    gamma_empty_rings : sequence of float, optional
        Coefficient of each ring's empty flag; default zeros.
    empty_ring_value : float
        Value of a ring regressor when the ring holds no other region (flagged in
        ``<ring>_empty``); default 0 (log of one worker per km²).
    intercept, sigma_eps : float
        Level and error standard deviation (>= 0).
    sigma_sector_fe, sigma_state_fe, state_fe_density_loading : float
        ``sector_fe ~ N(0, sigma_sector_fe**2)``; ``state_fe = sigma_state_fe N(0, 1) +
        loading * (standardised state mean of log density)``.
    share_dispersion : (float, float)
        Range of ``sigma_r`` (``0 <= lo <= hi``).
    n_centres, metro_share, metro_spread_km
        Geography, as in :func:`agglomeration.simulate.regional_panel`.

    Returns
    -------
    SimulatedSectors

    Raises
    ------
    InputError
        Naming the argument, for non-positive sizes, bad ring edges, a coefficient vector of
        the wrong length, negative standard deviations and other out-of-domain values.
    """
    n = _pos_int("n_regions", n_regions)
    n_s = _pos_int("n_sectors", n_sectors)
    if n_s < 2:
        raise InputError(f"n_sectors must be >= 2 (diversity needs two sectors), got {n_s}.")
    rng = _rng(seed)
    b_loc = _finite("beta_loc", beta_loc)
    b_urb = _finite("beta_urb", beta_urb)
    b_div = _finite("beta_div", beta_div)
    edges = _check_edges(ring_edges_km)
    n_k = edges.size - 1
    if gamma_rings is None:
        gam = np.array([0.02, 0.01, 0.005]) if n_k == 3 else np.zeros(n_k)
    else:
        gam = _finite_vector("gamma_rings", gamma_rings, n_k)
    gam_e = (np.zeros(n_k) if gamma_empty_rings is None
             else _finite_vector("gamma_empty_rings", gamma_empty_rings, n_k))
    empty_val = _finite("empty_ring_value", empty_ring_value)
    a0 = _finite("intercept", intercept)
    sig = _nonneg("sigma_eps", sigma_eps)
    sig_s = _nonneg("sigma_sector_fe", sigma_sector_fe)
    sig_st = _nonneg("sigma_state_fe", sigma_state_fe)
    load = _finite("state_fe_density_loading", state_fe_density_loading)
    disp_lo, disp_hi = _interval("share_dispersion", share_dispersion, lower=0.0)
    m_share = _finite("metro_share", metro_share)
    if not 0 <= m_share <= 1:
        raise InputError(f"metro_share must lie in [0, 1], got {metro_share!r}.")
    spread = _positive("metro_spread_km", metro_spread_km)
    n_c = max(3, n // 40) if n_centres is None else _pos_int("n_centres", n_centres)

    # geography and states ------------------------------------------------------------------
    lat, lon, prox, area = _region_geography(rng, n, n_c, m_share, spread)
    state = _nearest_state(lat, lon)
    state_codes, state_idx = np.unique(state, return_inverse=True)

    # employment: size x sector mix ---------------------------------------------------------
    log_b = np.log(5000.0) + 2.5 * prox + rng.normal(0.0, 0.8, n)
    nat = rng.dirichlet(np.full(n_s, 2.0))
    disp = rng.uniform(disp_lo, disp_hi, n)
    logw = np.log(nat)[None, :] + disp[:, None] * rng.standard_normal((n, n_s))
    logw -= logw.max(axis=1, keepdims=True)
    w = np.exp(logw)
    w /= w.sum(axis=1, keepdims=True)
    emp_rs = np.maximum(np.rint(np.exp(log_b)[:, None] * w), 1.0).astype(np.int64)
    emp_r = emp_rs.sum(axis=1)
    log_density = np.log(emp_r / area)
    share = emp_rs / emp_r[:, None]
    diversity = 1.0 - (share**2).sum(axis=1)

    rings, empty = _ring_log_density(lat, lon, emp_r.astype(np.float64), area, edges, empty_val)

    # fixed effects and outcome -------------------------------------------------------------
    sector_fe = sig_s * rng.standard_normal(n_s)
    n_st = state_codes.size
    st_mean = np.bincount(state_idx, weights=log_density, minlength=n_st) / np.bincount(
        state_idx, minlength=n_st)
    sd = st_mean.std()
    z_st = (st_mean - st_mean.mean()) / sd if sd > 0 else st_mean * 0.0
    state_fe = sig_st * rng.standard_normal(n_st) + load * z_st
    err = sig * rng.standard_normal((n, n_s))
    region_part = (b_urb * log_density + b_div * diversity + rings @ gam + empty @ gam_e
                   + state_fe[state_idx])
    y = a0 + b_loc * np.log(emp_rs) + region_part[:, None] + sector_fe[None, :] + err

    names = _ring_names(edges)
    flags = tuple(f"{c}_empty" for c in names)
    reg_cols: dict[str, object] = {
        "region": np.arange(n, dtype=np.int64),
        "state": state,
        "lat": lat,
        "lon": lon,
        "land_area_km2": area,
        "region_employment": emp_r,
        "log_density": log_density,
        "diversity": diversity,
    }
    for k in range(n_k):
        reg_cols[names[k]] = rings[:, k]
        reg_cols[flags[k]] = empty[:, k]
    regions = pd.DataFrame(reg_cols)
    rep = np.repeat(np.arange(n), n_s)
    data = pd.DataFrame(
        {
            "region": rep.astype(np.int64),
            "sector": np.tile(np.arange(n_s, dtype=np.int64), n),
            "state": state[rep],
            "employment": emp_rs.ravel(),
            "log_employment": np.log(emp_rs).ravel(),
        }
    )
    for c in ["land_area_km2", "region_employment", "log_density", "diversity", *names, *flags]:
        data[c] = regions[c].to_numpy()[rep]
    data["log_productivity"] = y.ravel()
    data["error"] = err.ravel()

    truth = SectorTruth(
        n_regions=n, n_sectors=n_s, intercept=a0, beta_loc=b_loc, beta_urb=b_urb,
        beta_div=b_div, gamma_rings=_readonly(gam), gamma_empty_rings=_readonly(gam_e),
        ring_edges_km=_readonly(edges), ring_columns=names, empty_columns=flags,
        empty_ring_value=empty_val, sector_fe=_readonly(sector_fe),
        state_codes=tuple(str(c) for c in state_codes), state_fe=_readonly(state_fe),
        sigma_eps=sig, sigma_sector_fe=sig_s, sigma_state_fe=sig_st,
        state_fe_density_loading=load, national_sector_share=_readonly(nat),
        share_dispersion=_readonly(disp),
    )
    return SimulatedSectors(data=data, regions=regions, truth=truth)
