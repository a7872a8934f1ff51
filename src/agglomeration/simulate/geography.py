"""Points on a map of the continental US and the Albers equal-area projection.

:func:`albers_us_km` projects latitude/longitude to planar km (Snyder 1987); ``_us_points`` draws
clustered points inside a coarse outline of the continental US and ``_region_geography`` adds
land areas, the geography of :func:`agglomeration.simulate.regional_panel` and of the
cross-sections built on it; ``_nearest_state`` gives each point a state.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from agglomeration.geo import EARTH_RADIUS_KM, to_unit_sphere

# A coarse outline of the continental US (lon, lat), used to keep simulated regions on land.
_US_OUTLINE: NDArray[np.float64] = np.array(
    [
        (-124.7, 48.4), (-123.0, 49.0), (-95.2, 49.0), (-89.6, 48.0), (-84.8, 46.5),
        (-82.4, 45.3), (-82.5, 42.0), (-79.0, 43.3), (-76.5, 44.2), (-75.0, 45.0),
        (-71.5, 45.0), (-70.0, 46.7), (-67.8, 47.1), (-67.0, 44.8), (-70.7, 43.0),
        (-70.0, 41.7), (-74.0, 40.5), (-75.5, 38.5), (-76.0, 36.9), (-75.5, 35.2),
        (-77.9, 33.9), (-81.0, 31.5), (-80.0, 26.8), (-80.4, 25.2), (-81.8, 25.9),
        (-82.8, 27.9), (-84.3, 30.0), (-86.0, 30.4), (-89.6, 30.2), (-90.0, 29.1),
        (-94.0, 29.6), (-97.2, 27.8), (-97.2, 25.9), (-99.5, 27.5), (-101.4, 29.8),
        (-103.1, 29.0), (-104.7, 29.9), (-106.5, 31.8), (-108.2, 31.3), (-111.1, 31.3),
        (-114.8, 32.5), (-117.1, 32.5), (-118.5, 34.0), (-120.6, 34.6), (-121.9, 36.6),
        (-122.5, 37.8), (-124.2, 40.4), (-124.1, 42.0), (-124.0, 46.3),
    ],
    dtype=np.float64,
)


def _in_us(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Even-odd ray casting against :data:`_US_OUTLINE`, vectorised over points."""
    inside = np.zeros(lon.shape, dtype=bool)
    px, py = _US_OUTLINE[:, 0], _US_OUTLINE[:, 1]
    qx, qy = np.roll(px, -1), np.roll(py, -1)
    for x1, y1, x2, y2 in zip(px, py, qx, qy, strict=True):
        crosses = (y1 > lat) != (y2 > lat)
        with np.errstate(divide="ignore", invalid="ignore"):
            xint = x1 + (lat - y1) * (x2 - x1) / (y2 - y1)
        inside ^= crosses & (lon < xint)
    return inside


def albers_us_km(lat: ArrayLike, lon: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Project latitude/longitude to planar km with the spherical Albers equal-area conic.

    Snyder (1987, *Map Projections: A Working Manual*, eqs. 14-1 to 14-6) on a sphere of radius
    :data:`agglomeration.geo.EARTH_RADIUS_KM`, with the USGS parameters for the continental US:
    standard parallels 29.5N and 45.5N, origin 23N 96W. Local distances are within about 1.5 per
    cent of great-circle distances inside the continental US.

    Parameters
    ----------
    lat, lon : array_like
        Coordinates in decimal degrees.

    Returns
    -------
    x, y : numpy.ndarray
        Easting and northing in km.
    """
    phi = np.radians(np.asarray(lat, dtype=np.float64))
    lam = np.radians(np.asarray(lon, dtype=np.float64))
    p1, p2, p0, l0 = np.radians(29.5), np.radians(45.5), np.radians(23.0), np.radians(-96.0)
    n = (np.sin(p1) + np.sin(p2)) / 2.0
    c = np.cos(p1) ** 2 + 2.0 * n * np.sin(p1)
    rho = EARTH_RADIUS_KM * np.sqrt(c - 2.0 * n * np.sin(phi)) / n
    rho0 = EARTH_RADIUS_KM * np.sqrt(c - 2.0 * n * np.sin(p0)) / n
    theta = n * (lam - l0)
    return rho * np.sin(theta), rho0 - rho * np.cos(theta)


def _us_points(
    rng: np.random.Generator, n: int, n_centres: int, metro_share: float, spread_km: float
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Clustered points inside the US outline.

    A share ``metro_share`` of the points is scattered with a Gaussian of ``spread_km`` around
    ``n_centres`` centres drawn uniformly on the map (centre weights Dirichlet(1), so some
    centres are large); the rest is uniform on the map. Returns lat, lon and the proximity
    ``exp(-r / spread_km)`` of each point to its centre (0 for uniform points).
    """
    lat0, lat1, lon0, lon1 = 24.5, 49.5, -125.0, -66.5

    def uniform(m: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        la_out: list[NDArray[np.float64]] = []
        lo_out: list[NDArray[np.float64]] = []
        got = 0
        while got < m:
            k = int((m - got) * 1.8) + 16
            # uniform on the sphere within the lat band: sin(lat) uniform
            s = rng.uniform(np.sin(np.radians(lat0)), np.sin(np.radians(lat1)), k)
            la = np.degrees(np.arcsin(s))
            lo = rng.uniform(lon0, lon1, k)
            ok = _in_us(lo, la)
            la_out.append(la[ok])
            lo_out.append(lo[ok])
            got += int(ok.sum())
        return np.concatenate(la_out)[:m], np.concatenate(lo_out)[:m]

    n_metro = int(round(n * metro_share))
    n_unif = n - n_metro
    lat = np.empty(n)
    lon = np.empty(n)
    prox = np.zeros(n)
    if n_unif:
        lat[:n_unif], lon[:n_unif] = uniform(n_unif)
    if n_metro:
        c_lat, c_lon = uniform(n_centres)
        w = rng.dirichlet(np.ones(n_centres))
        filled = 0
        while filled < n_metro:
            k = int((n_metro - filled) * 1.3) + 16
            c = rng.choice(n_centres, size=k, p=w)
            dn = rng.normal(0.0, spread_km, k)
            de = rng.normal(0.0, spread_km, k)
            la = c_lat[c] + np.degrees(dn / EARTH_RADIUS_KM)
            lo = c_lon[c] + np.degrees(de / (EARTH_RADIUS_KM * np.cos(np.radians(c_lat[c]))))
            ok = _in_us(lo, la)
            m = min(int(ok.sum()), n_metro - filled)
            sl = slice(n_unif + filled, n_unif + filled + m)
            lat[sl] = la[ok][:m]
            lon[sl] = lo[ok][:m]
            prox[sl] = np.exp(-np.hypot(dn, de)[ok][:m] / spread_km)
            filled += m
    # shuffle so that region codes carry no information about the type
    perm = rng.permutation(n)
    return lat[perm], lon[perm], prox[perm]



def _region_geography(
    rng: np.random.Generator, n: int, n_centres: int, metro_share: float, spread_km: float
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Regions on the US map: lat, lon, metro proximity and land area (km²).

    Points from ``_us_points``; land area ``exp(log 1600 - 0.8 * proximity + N(0, 0.5**2))``,
    so regions near a metro centre are smaller (1,600 km² is about the median US county).
    """
    lat, lon, prox = _us_points(rng, n, n_centres, metro_share, spread_km)
    log_area = np.log(1600.0) - 0.8 * prox + rng.normal(0.0, 0.5, n)
    return lat, lon, prox, np.exp(log_area)


# Approximate geographic centres (lat, lon) of the 48 contiguous states and DC.
_STATE_CENTRES: dict[str, tuple[float, float]] = {
    "AL": (32.8, -86.8), "AR": (34.9, -92.4), "AZ": (34.3, -111.7), "CA": (37.2, -119.5),
    "CO": (39.0, -105.5), "CT": (41.6, -72.7), "DC": (38.9, -77.0), "DE": (39.0, -75.5),
    "FL": (28.6, -82.4), "GA": (32.7, -83.4), "IA": (42.1, -93.5), "ID": (44.4, -114.6),
    "IL": (40.0, -89.2), "IN": (39.9, -86.3), "KS": (38.5, -98.4), "KY": (37.5, -85.3),
    "LA": (31.1, -92.0), "MA": (42.3, -71.8), "MD": (39.1, -76.8), "ME": (45.4, -69.2),
    "MI": (44.3, -85.4), "MN": (46.3, -94.3), "MO": (38.4, -92.5), "MS": (32.7, -89.7),
    "MT": (47.0, -109.6), "NC": (35.6, -79.4), "ND": (47.5, -100.5), "NE": (41.5, -99.8),
    "NH": (43.7, -71.6), "NJ": (40.2, -74.7), "NM": (34.4, -106.1), "NV": (39.3, -116.6),
    "NY": (42.9, -75.5), "OH": (40.3, -82.8), "OK": (35.6, -97.5), "OR": (43.9, -120.6),
    "PA": (40.9, -77.8), "RI": (41.7, -71.5), "SC": (33.9, -80.9), "SD": (44.4, -100.2),
    "TN": (35.9, -86.4), "TX": (31.5, -99.3), "UT": (39.3, -111.7), "VA": (37.5, -78.9),
    "VT": (44.1, -72.7), "WA": (47.4, -120.5), "WI": (44.6, -89.9), "WV": (38.6, -80.6),
    "WY": (43.0, -107.6),
}


def _nearest_state(lat: NDArray[np.float64], lon: NDArray[np.float64]) -> NDArray[np.str_]:
    """Postal code of the state whose (approximate) centre is nearest on the sphere.

    A Voronoi approximation of the states, not their borders: enough to give simulated regions
    a realistic grouping for state fixed effects. Ties go to the alphabetically first code.
    """
    codes = np.array(sorted(_STATE_CENTRES))
    centres = np.array([_STATE_CENTRES[c] for c in codes])
    # nearest on the sphere = largest dot product of unit vectors (one BLAS call)
    dots = to_unit_sphere(lat, lon) @ to_unit_sphere(centres[:, 0], centres[:, 1]).T
    return codes[np.argmax(dots, axis=1)]
