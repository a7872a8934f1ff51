"""Great-circle geometry and sparse neighbour search on the sphere.

The one place where the toolkit turns latitude/longitude into distances. Spatial weights
(`agglomeration.spatial`) and Conley standard errors (`agglomeration.inference`) both build on
:func:`neighbor_pairs`, which finds every pair of points within a great-circle cutoff with a
KD-tree on the unit sphere, so that the cost grows with the number of pairs inside the cutoff and
never with n².

Distances use a spherical Earth of radius :data:`EARTH_RADIUS_KM` (the IUGG mean radius).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy.spatial import cKDTree

from agglomeration.errors import InputError

__all__ = [
    "weighted_centres",
    "EARTH_RADIUS_KM",
    "NeighborPairs",
    "check_coordinates",
    "haversine_km",
    "neighbor_pairs",
    "to_unit_sphere",
]

EARTH_RADIUS_KM: float = 6371.0088
"""Mean Earth radius in km (IUGG), used for every great-circle distance in the toolkit."""


def check_coordinates(
    lat: ArrayLike, lon: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Validate latitude/longitude arrays and return them as float64.

    Parameters
    ----------
    lat, lon : array_like
        Latitudes and longitudes in decimal degrees, same length.

    Returns
    -------
    lat, lon : numpy.ndarray
        The coordinates as contiguous float64 arrays.

    Raises
    ------
    ValueError
        If the lengths differ, any coordinate is missing, a latitude lies outside [-90, 90] or
        a longitude outside [-180, 180]; the message gives the offending count.
    """
    la = np.ascontiguousarray(lat, dtype=np.float64).ravel()
    lo = np.ascontiguousarray(lon, dtype=np.float64).ravel()
    if la.shape != lo.shape:
        raise InputError(
            f"lat has {la.size} values but lon has {lo.size}; pass arrays of equal length."
        )
    n_missing = int((~np.isfinite(la) | ~np.isfinite(lo)).sum())
    if n_missing:
        raise InputError(
            f"{n_missing} rows have missing or non-finite coordinates (lat/lon); "
            "drop or geocode them before computing distances."
        )
    bad_lat = int(((la < -90) | (la > 90)).sum())
    if bad_lat:
        raise InputError(f"{bad_lat} latitudes lie outside [-90, 90]; are lat and lon swapped?")
    bad_lon = int(((lo < -180) | (lo > 180)).sum())
    if bad_lon:
        example = lo[(lo < -180) | (lo > 180)][:3].tolist()
        raise InputError(
            f"{bad_lon} longitudes lie outside [-180, 180] (e.g. {example}); check the lon "
            "column, or convert 0-360 longitudes with ((lon + 180) % 360) - 180."
        )
    return la, lo


def haversine_km(
    lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike
) -> NDArray[np.float64]:
    """Great-circle distance in km by the haversine formula (broadcasting).

    ``d = 2 R asin( sqrt( sin²(Δφ/2) + cos φ1 cos φ2 sin²(Δλ/2) ) )``.

    Parameters
    ----------
    lat1, lon1, lat2, lon2 : array_like
        Coordinates in decimal degrees; broadcast against each other.

    Returns
    -------
    numpy.ndarray
        Distances in km on a sphere of radius :data:`EARTH_RADIUS_KM`.

    Examples
    --------
    A degree of latitude is ``2 pi R / 360`` km; New York to Los Angeles is about 3,936 km:

    >>> import numpy as np
    >>> from agglomeration.geo import EARTH_RADIUS_KM, haversine_km
    >>> bool(np.isclose(haversine_km(0, 0, 1, 0), 2 * np.pi * EARTH_RADIUS_KM / 360))
    True
    >>> round(float(haversine_km(40.7128, -74.0060, 34.0522, -118.2437)))
    3936
    """
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlmb = np.radians(np.asarray(lon2, dtype=float) - np.asarray(lon1, dtype=float))
    h = np.sin(dphi / 2.0) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2.0) ** 2
    return np.asarray(2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))))


def to_unit_sphere(lat: ArrayLike, lon: ArrayLike) -> NDArray[np.float64]:
    """Map latitude/longitude in degrees to points on the unit sphere, shape ``(n, 3)``."""
    phi = np.radians(np.asarray(lat, dtype=np.float64))
    lmb = np.radians(np.asarray(lon, dtype=np.float64))
    cphi = np.cos(phi)
    return np.column_stack([cphi * np.cos(lmb), cphi * np.sin(lmb), np.sin(phi)])


def weighted_centres(
    lat: ArrayLike, lon: ArrayLike, weights: ArrayLike, groups: ArrayLike
) -> pd.DataFrame:
    """Weighted centre of the points of each group, taken on the unit sphere.

    Each point is mapped to the unit sphere (:func:`to_unit_sphere`), the weighted sum of each
    group's vectors is taken and mapped back to latitude and longitude, so that a group that
    spans the 180th meridian (Alaska) gets a centre inside it, unlike the mean of longitudes.

    Parameters
    ----------
    lat, lon : array_like
        Coordinates in decimal degrees.
    weights : array_like
        Non-negative weights (e.g. land area, employment); a group needs a positive total.
    groups : array_like
        Group label of every point.

    Returns
    -------
    pandas.DataFrame
        One row per group (sorted): ``group``, ``lat``, ``lon``, ``weight`` (the total).
    """
    w = np.asarray(weights, dtype=np.float64)
    if (w < 0).any() or not np.isfinite(w).all():
        raise InputError("weights must be finite and >= 0 to take weighted centres.")
    la, lo = check_coordinates(lat, lon)
    xyz = to_unit_sphere(la, lo) * w[:, None]
    frame = pd.DataFrame(xyz, columns=["x", "y", "z"]).assign(weight=w)
    sums = frame.groupby(np.asarray(groups), sort=True).sum()
    x, y, z = (sums[c].to_numpy() for c in ("x", "y", "z"))
    norm = np.sqrt(x**2 + y**2 + z**2)
    if (sums["weight"].to_numpy() <= 0).any():
        bad = sums.index[sums["weight"].to_numpy() <= 0].tolist()[:5]
        raise InputError(f"groups {bad} have no positive weight; their centre is undefined.")
    return pd.DataFrame(
        {
            "group": sums.index.to_numpy(),
            "lat": np.degrees(np.arcsin(z / norm)),
            "lon": np.degrees(np.arctan2(y, x)),
            "weight": sums["weight"].to_numpy(),
        }
    )


def _chord_from_km(d_km: float) -> float:
    """Chord length on the unit sphere that subtends an arc of ``d_km``."""
    theta = min(d_km / EARTH_RADIUS_KM, np.pi)
    return float(2.0 * np.sin(theta / 2.0))


def _km_from_chord(chord: NDArray[np.float64]) -> NDArray[np.float64]:
    """Great-circle distance in km from chord length on the unit sphere."""
    return np.asarray(2.0 * EARTH_RADIUS_KM * np.arcsin(np.clip(chord / 2.0, 0.0, 1.0)))


@dataclass(frozen=True)
class NeighborPairs:
    """Every unordered pair of distinct points within a great-circle cutoff.

    Attributes
    ----------
    i, j : numpy.ndarray
        Row positions of the two points of each pair, ``i < j`` (int64).
    distance_km : numpy.ndarray
        Great-circle distance of each pair in km.
    n : int
        Number of points searched.
    cutoff_km : float
        The cutoff used: a pair is included when its distance is ``<= cutoff_km``.
    """

    i: NDArray[np.int64]
    j: NDArray[np.int64]
    distance_km: NDArray[np.float64]
    n: int
    cutoff_km: float

    @property
    def n_pairs(self) -> int:
        """Number of unordered pairs."""
        return int(self.i.size)


def neighbor_pairs(
    lat: ArrayLike, lon: ArrayLike, cutoff_km: float, *, with_distances: bool = True
) -> NeighborPairs:
    """Find every pair of points within ``cutoff_km`` of each other.

    Points are placed on the unit sphere and searched with :class:`scipy.spatial.cKDTree`
    using the chord length that corresponds to the great-circle cutoff, so that the work and the
    memory grow with the number of pairs found, not with n². Distances of the pairs are then
    converted back to great-circle km exactly.

    Parameters
    ----------
    lat, lon : array_like
        Coordinates in decimal degrees.
    cutoff_km : float
        Great-circle cutoff in km, strictly positive.
    with_distances : bool
        Compute each pair's distance (default). With False, ``distance_km`` is empty and the
        pairs are those with chord length at most the chord of ``cutoff_km`` (the same
        condition, since the chord is monotone in the arc, up to rounding at ~1e-15
        relative); this skips a random gather of both points of every pair, which dominates
        the cost at tens of millions of pairs (binary weights do not need the distances).

    Returns
    -------
    NeighborPairs
        Unordered pairs ``i < j`` in the (deterministic) order the tree returns them;
        identical points (distance 0) are pairs.

    Raises
    ------
    ValueError
        If ``cutoff_km`` is not positive or the coordinates are invalid (see
        :func:`check_coordinates`).
    """
    if not np.isfinite(cutoff_km) or cutoff_km <= 0:
        raise InputError(f"cutoff_km must be a positive number of km, got {cutoff_km!r}.")
    la, lo = check_coordinates(lat, lon)
    xyz = to_unit_sphere(la, lo)
    if not with_distances:
        found = cKDTree(xyz).query_pairs(_chord_from_km(cutoff_km), output_type="ndarray")
        return NeighborPairs(
            np.ascontiguousarray(found[:, 0], dtype=np.int64).reshape(-1),
            np.ascontiguousarray(found[:, 1], dtype=np.int64).reshape(-1),
            np.empty(0),
            la.size,
            float(cutoff_km),
        )
    # Tiny relative slack so that pairs exactly at the cutoff survive the chord round trip;
    # the exact great-circle filter below decides.
    r = _chord_from_km(cutoff_km) * (1.0 + 1e-12) + 1e-15
    tree = cKDTree(xyz)
    pairs = tree.query_pairs(r, output_type="ndarray")
    if pairs.size == 0:
        empty_i = np.empty(0, dtype=np.int64)
        return NeighborPairs(empty_i, empty_i.copy(), np.empty(0), la.size, float(cutoff_km))
    pi = np.ascontiguousarray(pairs[:, 0], dtype=np.int64)
    pj = np.ascontiguousarray(pairs[:, 1], dtype=np.int64)
    del pairs
    diff = xyz[pi] - xyz[pj]
    d = _km_from_chord(np.sqrt(np.einsum("ij,ij->i", diff, diff)))
    keep = d <= cutoff_km
    if not keep.all():
        pi, pj, d = pi[keep], pj[keep], d[keep]
    return NeighborPairs(pi, pj, d, la.size, float(cutoff_km))
