r"""Conley spatial HAC variance for linear and Poisson models with fixed effects.

Implements the spatial heteroskedasticity-and-autocorrelation-consistent (HAC) variance of
Conley (1999), "GMM estimation with cross sectional dependence", *Journal of Econometrics*
92(1), eq. (3.14)-(3.15), in the panel form of Hsiang (2010), *PNAS* 107(35), supporting
information, with optional serial correlation within a unit. The paper reports it next to
clustered and Driscoll-Kraay standard errors (section "Inference", Table "Standard errors of the
county baseline").

For an M-estimator with scores :math:`s_{it}` (one row per observation, ``k`` columns) and bread
:math:`B` the variance is

.. math::

    V = c \, B \Big[\sum_t \sum_{i, j \in t} K(d_{ij}) s_{it} s_{jt}'
         + \sum_i \sum_{t \ne r,\,|t-r| \le L} \Big(1 - \tfrac{|t-r|}{L+1}\Big)
           s_{it} s_{ir}' \Big] B,

where :math:`d_{ij}` is the great-circle distance, :math:`K` the uniform kernel
(:math:`1\{d \le \bar d\}`) or the Bartlett kernel
(:math:`(1 - d/\bar d)\,1\{d \le \bar d\}`),
:math:`L` the number of serial lags (``serial_lags``, 0 = spatial correlation within a period
only) and :math:`c` a small-sample factor (``ssc``; 1 by default). The first sum includes
:math:`i = j` with :math:`K(0) = 1`, so that with a cutoff below the smallest distance between
two locations the formula reduces to the heteroskedasticity-robust (HC0) sandwich, and with a
cutoff that covers every pair it reduces to the variance clustered by period (CRV0).

Scores and bread, for the models of :mod:`agglomeration.estimation`:

- OLS with fixed effects: :math:`s_i = \tilde x_i \hat e_i`,
  :math:`B = (\tilde X'\tilde X)^{-1}` with :math:`\tilde x` the regressors after the fixed
  effects are partialled out (Frisch-Waugh-Lovell);
- Poisson with fixed effects: :math:`s_i = \tilde x_i (y_i - \hat\mu_i)` with
  :math:`\tilde x` the regressors demeaned with weights :math:`\hat\mu` at the converged IRLS
  step, and
  :math:`B = (\tilde X' \hat W \tilde X)^{-1}`, the inverse Hessian.

:func:`conley_vcov_from_fit` takes both from a fitted pyfixest model.

Computation never forms an n x n matrix. The unique locations are found once, their neighbour
pairs within the cutoff are found once with :func:`agglomeration.geo.neighbor_pairs` (a KD-tree
on the unit sphere; optionally in parallel latitude bands), and the scores are summed by (period,
location). The spatial part is then :math:`\sum_t G_t' (I + W + W') G_t` with :math:`G_t` the
location-by-k matrix of summed scores in period ``t`` and :math:`W` the upper-triangular kernel
matrix of the pairs, applied as a gather over the pairs and a ``bincount`` per score column and
period; the cost grows with ``n_pairs x n_periods x k`` and the memory with
``n_pairs + n_locations x n_periods x k`` (periods are processed in blocks).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from agglomeration.errors import InputError
from agglomeration.geo import EARTH_RADIUS_KM, check_coordinates, neighbor_pairs

__all__ = [
    "Kernel",
    "ScoreModel",
    "SpatialNeighbors",
    "conley_meat",
    "conley_vcov",
    "conley_vcov_from_fit",
    "spatial_neighbors",
]

Kernel = Literal["uniform", "bartlett"]
_KERNELS: tuple[str, ...] = ("uniform", "bartlett")
# Periods are processed in blocks so that the dense (locations x periods x k) block stays small.
_BLOCK_ELEMENTS = 1 << 23


@dataclass(frozen=True)
class SpatialNeighbors:
    """Neighbour structure of the unique locations of a sample, reusable across periods.

    Attributes
    ----------
    location : numpy.ndarray
        Location id of every observation (int64, ``0 .. n_locations - 1``); ids are assigned in
        a spatial (grid-cell) order so that neighbours are close in memory.
    n_locations : int
        Number of distinct (lat, lon) points.
    i, j : numpy.ndarray
        Location ids of every unordered pair of distinct locations within the cutoff (``i < j``
        is not guaranteed; each pair appears once).
    distance_km : numpy.ndarray
        Great-circle distance of each pair.
    cutoff_km : float
        The cutoff used for the search.
    """

    location: NDArray[np.int64]
    n_locations: int
    i: NDArray[np.int64]
    j: NDArray[np.int64]
    distance_km: NDArray[np.float64]
    cutoff_km: float

    @property
    def n_pairs(self) -> int:
        """Number of unordered pairs of distinct locations within the cutoff."""
        return int(self.i.size)

    def kernel_weights(self, kernel: Kernel, cutoff_km: float | None = None) -> NDArray[np.float64]:
        """Kernel weight of every pair for a cutoff no larger than the search cutoff.

        Parameters
        ----------
        kernel : {"uniform", "bartlett"}
            ``uniform``: 1 within the cutoff; ``bartlett``: ``1 - d / cutoff`` within it.
        cutoff_km : float, optional
            Cutoff of the kernel; defaults to the search cutoff. A smaller cutoff reuses the
            pairs (pairs beyond it get weight 0).

        Returns
        -------
        numpy.ndarray
            One weight per pair.
        """
        c = self.cutoff_km if cutoff_km is None else _check_cutoff(cutoff_km)
        if self.distance_km.size != self.i.size:
            if kernel == "uniform" and c == self.cutoff_km:
                return np.ones(self.i.size)
            raise InputError(
                "these neighbours were found with with_distances=False and serve only the "
                f"uniform kernel at {self.cutoff_km} km; call spatial_neighbors with "
                "with_distances=True for the Bartlett kernel or a smaller cutoff."
            )
        if c > self.cutoff_km * (1 + 1e-12):
            raise InputError(
                f"cutoff_km={c} exceeds the {self.cutoff_km} km used to find the neighbours; "
                "call spatial_neighbors with the largest cutoff you need."
            )
        inside = self.distance_km <= c
        if kernel == "uniform":
            return inside.astype(np.float64)
        if kernel == "bartlett":
            return np.where(inside, 1.0 - self.distance_km / c, 0.0)
        raise InputError(f"kernel must be one of {_KERNELS}, got {kernel!r}.")


def _check_cutoff(cutoff_km: Any) -> float:
    try:
        c = float(cutoff_km)
    except (TypeError, ValueError):
        raise InputError(f"cutoff_km must be a positive number of km, got {cutoff_km!r}.") from None
    if not np.isfinite(c) or c <= 0:
        raise InputError(
            f"cutoff_km must be a positive number of km, got {cutoff_km!r}; "
            "use the heteroskedasticity-robust variance for no spatial correlation."
        )
    return c


def spatial_neighbors(
    lat: ArrayLike,
    lon: ArrayLike,
    cutoff_km: float,
    *,
    workers: int = 1,
    with_distances: bool = True,
) -> SpatialNeighbors:
    """Find the unique locations of a sample and every pair of them within a cutoff.

    Observations that share a (lat, lon) point share a location, so in a panel the search runs
    once on the distinct points, not once per period.

    Parameters
    ----------
    lat, lon : array_like
        Coordinates of every observation in decimal degrees.
    cutoff_km : float
        Great-circle cutoff in km, strictly positive.
    workers : int
        Number of threads for the search. With ``workers > 1`` the locations are split into
        latitude bands of whole grid rows, and :func:`agglomeration.geo.neighbor_pairs` runs on
        each band extended by the next grid row (which holds every point within the cutoff of
        the band, since a great-circle distance is at least ``R |Δlat|``); a pair is kept by the
        band that holds its first point, so each pair is found once. The pairs are the same
        for any ``workers``, in a different order (sums over them agree to rounding).
    with_distances : bool
        Keep each pair's great-circle distance (default). ``False`` skips the distance step of
        :func:`agglomeration.geo.neighbor_pairs` (faster, less memory); the structure then
        serves only the uniform kernel at this cutoff.

    Returns
    -------
    SpatialNeighbors
        Location id of each observation and the neighbour pairs of the locations.

    Raises
    ------
    ValueError
        If the cutoff is not positive, or coordinates are missing (the message gives how many
        rows) or out of range.
    """
    c = _check_cutoff(cutoff_km)
    la, lo = check_coordinates(lat, lon)
    if la.size == 0:
        raise InputError("lat/lon are empty: there are no observations to compute distances for.")
    # Grid cells of about the cutoff, visited row by row: neighbours end up close in memory,
    # which makes the gathers below (and in the KD-tree search) cache friendly.
    cell_deg = float(np.clip(2.0 * c / 111.2, 0.01, 10.0))
    cy = np.floor(la / cell_deg).astype(np.int64)
    cx = np.floor(lo / cell_deg).astype(np.int64)
    order = np.lexsort((lo, la, cx, cy))
    la_s, lo_s = la[order], lo[order]
    new = np.ones(la.size, dtype=bool)
    new[1:] = (la_s[1:] != la_s[:-1]) | (lo_s[1:] != lo_s[:-1])
    # Identical points are adjacent after the sort (same cell, same lat, same lon).
    loc_sorted = np.cumsum(new) - 1
    location = np.empty(la.size, dtype=np.int64)
    location[order] = loc_sorted
    first = np.flatnonzero(new)
    pi, pj, dist = _banded_pairs(
        la_s[first], lo_s[first], cy[order][first], c, cell_deg, workers, with_distances
    )
    return SpatialNeighbors(
        location=location,
        n_locations=int(first.size),
        i=pi,
        j=pj,
        distance_km=dist,
        cutoff_km=c,
    )


def _banded_pairs(
    la: NDArray[np.float64],
    lo: NDArray[np.float64],
    row: NDArray[np.int64],
    cutoff: float,
    cell_deg: float,
    workers: int,
    with_distances: bool = True,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """Neighbour pairs of points sorted by grid row, searched in ``workers`` latitude bands."""
    n = la.size
    margin_deg = np.degrees(cutoff / EARTH_RADIUS_KM)
    if int(workers) != workers or workers < 1:
        raise InputError(f"workers must be a positive integer, got {workers!r}.")
    row_starts = np.flatnonzero(np.r_[True, row[1:] != row[:-1]])
    if workers == 1 or n < 20_000 or margin_deg >= cell_deg or row_starts.size < 2 * workers:
        p = neighbor_pairs(la, lo, cutoff, with_distances=with_distances)
        return p.i, p.j, p.distance_km
    # Band boundaries at grid-row starts near equal shares of points.
    targets = np.arange(1, workers) * n / workers
    cuts = np.unique(row_starts[np.searchsorted(row_starts, targets)])
    bounds = np.r_[0, cuts[(cuts > 0) & (cuts < n)], n]
    jobs = []
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        # extend by the next grid row: every point within the cutoff of the band lies in it
        nxt = np.searchsorted(row_starts, b, side="right")
        ext = int(row_starts[nxt]) if nxt < row_starts.size else n
        jobs.append((int(a), int(b), ext))

    def run(
        job: tuple[int, int, int],
    ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
        a, b, ext = job
        p = neighbor_pairs(la[a:ext], lo[a:ext], cutoff, with_distances=with_distances)
        core = b - a
        keep = (p.i < core) | (p.j < core)
        dist = p.distance_km[keep] if with_distances else p.distance_km
        return p.i[keep] + a, p.j[keep] + a, dist

    with ThreadPoolExecutor(max_workers=int(workers)) as pool:
        parts = list(pool.map(run, jobs))
    return (
        np.concatenate([q[0] for q in parts]),
        np.concatenate([q[1] for q in parts]),
        np.concatenate([q[2] for q in parts]).astype(np.float64),
    )


def _as_scores(scores: ArrayLike) -> NDArray[np.float64]:
    s = np.asarray(scores, dtype=np.float64)
    if s.ndim == 1:
        s = s[:, None]
    if s.ndim != 2:
        raise InputError(f"scores must be an (n, k) array, got shape {s.shape}.")
    n_bad = int((~np.isfinite(s)).any(axis=1).sum())
    if n_bad:
        raise InputError(
            f"scores have {n_bad} rows with missing or infinite values; drop them first."
        )
    return np.ascontiguousarray(s)


def _codes(values: ArrayLike, name: str, n: int) -> tuple[NDArray[np.int64], int]:
    arr = pd.Series(np.asarray(values)) if not isinstance(values, pd.Series) else values
    if len(arr) != n:
        raise InputError(f"{name} has {len(arr)} values but scores have {n} rows.")
    n_missing = int(pd.isna(arr).sum())
    if n_missing:
        raise InputError(f"{name} has {n_missing} missing values; drop those rows first.")
    codes, uniques = pd.factorize(arr, sort=True)
    return codes.astype(np.int64), len(uniques)


def _sum_by(codes: NDArray[np.int64], n_groups: int, s: NDArray[np.float64]) -> NDArray[np.float64]:
    """Column-wise sums of ``s`` by group code, shape (n_groups, k)."""
    out = np.empty((n_groups, s.shape[1]))
    for b in range(s.shape[1]):
        out[:, b] = np.bincount(codes, weights=s[:, b], minlength=n_groups)
    return out


def _spatial_meat(
    s: NDArray[np.float64],
    location: NDArray[np.int64],
    n_locations: int,
    period: NDArray[np.int64],
    n_periods: int,
    pi: NDArray[np.int64],
    pj: NDArray[np.int64],
    w: NDArray[np.float64] | None,
) -> NDArray[np.float64]:
    """Sum over periods of ``G_t' (I + W + W') G_t`` without forming an n x n matrix.

    ``W`` has the kernel weight ``w`` at ``(pi, pj)`` for each unordered pair (``None``: all 1).
    ``U_t = W G_t`` is accumulated column by column with a gather over ``pj`` and a
    ``bincount`` over ``pi``, so the work is ``O(n_pairs)`` per column and period.
    """
    k = s.shape[1]
    meat = np.zeros((k, k))
    block = max(1, _BLOCK_ELEMENTS // max(1, n_locations * k))
    order = np.argsort(period, kind="stable")
    p_sorted = period[order]
    bounds = np.searchsorted(p_sorted, np.arange(0, n_periods + block, block))
    for b0 in range(0, n_periods, block):
        lo, hi = bounds[b0 // block], bounds[b0 // block + 1]
        if hi <= lo:
            continue
        rows = order[lo:hi]
        t_block = min(block, n_periods - b0)
        # G: (periods in block * k) x locations; row t*k + c = score c summed in period t.
        key = (period[rows] - b0) * n_locations + location[rows]
        g = np.empty((t_block * k, n_locations))
        for c in range(k):
            sums = np.bincount(key, weights=s[rows, c], minlength=n_locations * t_block)
            g[c::k] = sums.reshape(t_block, n_locations)
        u = np.empty_like(g)
        for r in range(g.shape[0]):
            vals = g[r][pj] if w is None else g[r][pj] * w
            u[r] = np.bincount(pi, weights=vals, minlength=n_locations)
        g3 = g.reshape(t_block, k, n_locations)
        u3 = u.reshape(t_block, k, n_locations)
        gu = np.einsum("tkl,tml->km", g3, u3)
        meat += np.einsum("tkl,tml->km", g3, g3) + gu + gu.T
    return meat


def _serial_meat(
    s: NDArray[np.float64], unit: ArrayLike, time: ArrayLike, serial_lags: int
) -> NDArray[np.float64]:
    """Bartlett-weighted cross-products of a unit's scores across periods (Hsiang 2010)."""
    n, k = s.shape
    u_codes, _ = _codes(unit, "unit", n)
    t = np.asarray(time)
    if not np.issubdtype(t.dtype, np.number):
        raise InputError(
            f"time must be numeric (e.g. the year) for serial_lags > 0, got dtype {t.dtype}."
        )
    t = t.astype(np.float64)
    if not np.all(np.isfinite(t)):
        raise InputError(
            f"time has {int((~np.isfinite(t)).sum())} missing values; drop them first."
        )
    if not np.all(t == np.round(t)):
        raise InputError("time must be integer-valued (e.g. the year) for serial_lags > 0.")
    ti = (t - t.min()).astype(np.int64)
    span = int(ti.max()) + serial_lags + 1
    key = u_codes * span + ti
    ukey, inv = np.unique(key, return_inverse=True)
    h = _sum_by(inv.astype(np.int64), ukey.size, s)
    meat = np.zeros((k, k))
    for lag in range(1, serial_lags + 1):
        pos = np.searchsorted(ukey, ukey - lag)
        pos = np.minimum(pos, ukey.size - 1)
        hit = ukey[pos] == ukey - lag
        if not hit.any():
            continue
        a, b = np.flatnonzero(hit), pos[hit]
        cross = h[a].T @ h[b]
        meat += (1.0 - lag / (serial_lags + 1.0)) * (cross + cross.T)
    return meat


def conley_meat(
    scores: ArrayLike,
    neighbors: SpatialNeighbors,
    *,
    time: ArrayLike | None = None,
    unit: ArrayLike | None = None,
    kernel: Kernel = "uniform",
    cutoff_km: float | None = None,
    serial_lags: int = 0,
) -> NDArray[np.float64]:
    """Meat of the Conley (1999) spatial HAC sandwich, with optional serial part (Hsiang 2010).

    Computes the bracket of the module-level formula: the kernel-weighted sum of score
    cross-products over pairs of observations in the same period within the cutoff (the
    observation with itself included), plus, if ``serial_lags > 0``, the Bartlett-weighted
    cross-products of each unit's scores ``1..serial_lags`` periods apart.

    Parameters
    ----------
    scores : array_like, shape (n, k)
        Score contributions (e.g. demeaned regressors times residuals).
    neighbors : SpatialNeighbors
        From :func:`spatial_neighbors` on the same rows, with a cutoff at least ``cutoff_km``.
    time : array_like, optional
        Period of each observation; spatial correlation is allowed only within a period.
        ``None`` treats the data as one cross-section.
    unit : array_like, optional
        Panel unit for the serial part; defaults to the location.
    kernel : {"uniform", "bartlett"}
        Spatial kernel.
    cutoff_km : float, optional
        Kernel cutoff; defaults to ``neighbors.cutoff_km``.
    serial_lags : int
        Number of lags of serial correlation within a unit (0: none).

    Returns
    -------
    numpy.ndarray, shape (k, k)
        The symmetric meat matrix (no small-sample factor).
    """
    s = _as_scores(scores)
    n = s.shape[0]
    if neighbors.location.size != n:
        raise InputError(
            f"neighbors were computed for {neighbors.location.size} rows but scores have {n}."
        )
    if kernel not in _KERNELS:
        raise InputError(f"kernel must be one of {_KERNELS}, got {kernel!r}.")
    if int(serial_lags) != serial_lags or serial_lags < 0:
        raise InputError(f"serial_lags must be a non-negative integer, got {serial_lags!r}.")
    serial_lags = int(serial_lags)
    if time is None:
        if serial_lags:
            raise InputError("serial_lags > 0 needs the time of each observation (time=...).")
        period, n_periods = np.zeros(n, dtype=np.int64), 1
    else:
        period, n_periods = _codes(time, "time", n)
    w = neighbors.kernel_weights(kernel, cutoff_km)
    pi, pj = neighbors.i, neighbors.j
    if not w.all():
        keep = w != 0
        pi, pj, w = pi[keep], pj[keep], w[keep]
    w_or_none = None if kernel == "uniform" else w
    meat = _spatial_meat(
        s, neighbors.location, neighbors.n_locations, period, n_periods, pi, pj, w_or_none
    )
    if serial_lags:
        assert time is not None
        meat += _serial_meat(s, neighbors.location if unit is None else unit, time, serial_lags)
    return 0.5 * (meat + meat.T)


def conley_vcov(
    scores: ArrayLike,
    bread: ArrayLike,
    lat: ArrayLike,
    lon: ArrayLike,
    cutoff_km: float,
    *,
    time: ArrayLike | None = None,
    unit: ArrayLike | None = None,
    kernel: Kernel = "uniform",
    serial_lags: int = 0,
    ssc: float = 1.0,
    neighbors: SpatialNeighbors | None = None,
) -> NDArray[np.float64]:
    """Conley (1999) spatial HAC variance ``ssc * B M B`` (module formula; Hsiang 2010 panels).

    Parameters
    ----------
    scores : array_like, shape (n, k)
        Score contributions: for OLS with fixed effects the demeaned regressors times the
        residuals, for Poisson the weighted-demeaned regressors times ``y - mu``.
    bread : array_like, shape (k, k)
        ``(X̃'X̃)^-1`` for OLS, the inverse Hessian for Poisson.
    lat, lon : array_like
        Coordinates of every observation in decimal degrees (no missing values).
    cutoff_km : float
        Distance cutoff in km, strictly positive.
    time : array_like, optional
        Period of each observation (panels); ``None`` for a cross-section.
    unit : array_like, optional
        Unit for serial correlation (defaults to the location); used when ``serial_lags > 0``.
    kernel : {"uniform", "bartlett"}
        Spatial kernel, see :meth:`SpatialNeighbors.kernel_weights`.
    serial_lags : int
        Lags of serial correlation within a unit, Bartlett weights ``1 - l / (L + 1)``.
    ssc : float
        Small-sample factor multiplying the variance (1: none).
        :func:`agglomeration.estimation.estimate` passes ``N / (N - k)`` with ``k`` the
        regressors plus fixed-effect levels, the factor pyfixest applies to its
        heteroskedasticity-robust variance.
    neighbors : SpatialNeighbors, optional
        Precomputed neighbour structure (e.g. from a larger cutoff) to reuse.

    Returns
    -------
    numpy.ndarray, shape (k, k)
        The variance matrix of the coefficients.

    Raises
    ------
    ValueError
        If the cutoff is not positive, coordinates are missing (with the count), shapes do not
        match, or the kernel is unknown.

    Examples
    --------
    Two special cases pin the formula down: a cutoff below the smallest distance gives the
    heteroskedasticity-robust (HC0) sandwich, a cutoff covering every pair the sandwich of the sum
    of all scores (one cluster):

    >>> import numpy as np
    >>> from agglomeration.inference import conley_vcov
    >>> rng = np.random.default_rng(0)
    >>> lat, lon = rng.uniform(30, 45, 50), rng.uniform(-110, -80, 50)
    >>> x, e = rng.normal(size=(50, 1)), rng.normal(size=50)
    >>> s, bread = x * e[:, None], np.linalg.inv(x.T @ x)
    >>> bool(np.allclose(conley_vcov(s, bread, lat, lon, 0.001), bread @ s.T @ s @ bread))
    True
    >>> g = s.sum(axis=0)
    >>> bool(np.allclose(conley_vcov(s, bread, lat, lon, 20000.0), bread @ np.outer(g, g) @ bread))
    True
    """
    s = _as_scores(scores)
    b = np.atleast_2d(np.asarray(bread, dtype=np.float64))
    if b.shape != (s.shape[1], s.shape[1]):
        raise InputError(f"bread has shape {b.shape} but scores have {s.shape[1]} columns.")
    c = _check_cutoff(cutoff_km)
    if not np.isfinite(ssc) or ssc <= 0:
        raise InputError(f"ssc must be a positive factor, got {ssc!r}.")
    if neighbors is None:
        la = np.asarray(lat, dtype=np.float64).ravel()
        if la.size != s.shape[0]:
            raise InputError(f"lat has {la.size} values but scores have {s.shape[0]} rows.")
        neighbors = spatial_neighbors(la, lon, c, with_distances=kernel != "uniform")
    meat = conley_meat(
        s,
        neighbors,
        time=time,
        unit=unit,
        kernel=kernel,
        cutoff_km=c,
        serial_lags=serial_lags,
    )
    v = ssc * (b @ meat @ b)
    return np.asarray(0.5 * (v + v.T))


class ScoreModel(Protocol):
    """What :func:`conley_vcov_from_fit` needs from a fitted model.

    :class:`agglomeration.estimation.engine.FittedModel` provides it; wrap a pyfixest fit with
    :func:`agglomeration.estimation.engine.wrap`.
    """

    @property
    def hetero_ssc(self) -> float:
        """The factor of the model's heteroskedasticity-robust variance, ``N / (N - k)``."""
        ...

    def scores(self) -> NDArray[np.float64]:
        """Score contributions, ``N x k``."""
        ...

    def bread(self) -> NDArray[np.float64]:
        """Bread of the sandwich, ``k x k``."""
        ...

    def meat_map(self) -> NDArray[np.float64] | None:
        """For IV, the map ``A`` of the instruments' meat to the coefficients' (``A M A'``)."""
        ...


def conley_vcov_from_fit(
    fit: ScoreModel,
    lat: ArrayLike,
    lon: ArrayLike,
    cutoff_km: float,
    *,
    time: ArrayLike | None = None,
    unit: ArrayLike | None = None,
    kernel: Kernel = "uniform",
    serial_lags: int = 0,
    ssc: float | Literal["hetero"] = "hetero",
    neighbors: SpatialNeighbors | None = None,
) -> NDArray[np.float64]:
    """Conley variance of a fitted OLS, Poisson or IV model with fixed effects.

    Uses the model's own scores and bread after the fixed effects are projected out (for
    Poisson, at the converged IRLS weights), so high-dimensional fixed effects are handled
    without dummies. For IV the meat is mapped through ``X'Z (Z'Z)^-1`` as for the engine's
    other variances.

    Parameters
    ----------
    fit : ScoreModel
        A fitted model (:class:`agglomeration.estimation.engine.FittedModel`); its rows must be
        aligned with ``lat``, ``lon``, ``time`` and ``unit``.
    lat, lon, cutoff_km, time, unit, kernel, serial_lags, neighbors
        As in :func:`conley_vcov`.
    ssc : float or "hetero"
        Small-sample factor; ``"hetero"`` (default) uses the model's ``hetero_ssc``,
        ``N / (N - k)``, so that a cutoff below the smallest distance reproduces the
        heteroskedasticity-robust variance exactly.

    Returns
    -------
    numpy.ndarray, shape (k, k)
        Variance matrix in the order of the model's coefficients.
    """
    scores = np.asarray(fit.scores(), dtype=np.float64)
    n = scores.shape[0]
    if np.asarray(lat).size != n:
        raise InputError(
            f"lat has {np.asarray(lat).size} values but the model was fitted on {n} rows; "
            "pass coordinates of the estimation sample (after any rows the engine dropped)."
        )
    factor = fit.hetero_ssc if ssc == "hetero" else float(ssc)
    c = _check_cutoff(cutoff_km)
    if neighbors is None:
        neighbors = spatial_neighbors(lat, lon, c, with_distances=kernel != "uniform")
    meat = conley_meat(
        scores, neighbors, time=time, unit=unit, kernel=kernel, cutoff_km=c, serial_lags=serial_lags
    )
    a = fit.meat_map()
    if a is not None:
        meat = a @ meat @ a.T
    bread = np.asarray(fit.bread(), dtype=np.float64)
    v = factor * (bread @ meat @ bread)
    return np.asarray(0.5 * (v + v.T))
