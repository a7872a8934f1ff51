"""Data-generating processes with known parameters, for tests, Monte Carlo checks and benchmarks.

Three generators, each deterministic given its ``seed`` (an ``int`` or a
:class:`numpy.random.Generator`), vectorised over rows (the only Python loops run over years or
over batches, never over rows) and with memory proportional to the output:

:func:`regional_panel`
    Regions on a map of the continental US, industries, years; log wages with a density elasticity
    (Ciccone & Hall 1996, eq. 8 in log-linear form), region and year fixed effects, a spatially and
    serially correlated error with a documented correlation function, an optional spatial spillover
    (SLX term) and Poisson patents with a log link.
:func:`plant_panel`
    A Cobb-Douglas value-added production panel in the spirit of the Monte Carlo designs of
    Ackerberg, Caves & Frazer (2015, section 4): AR(1) productivity, labour chosen at ``t - b``
    with wage shocks and optimisation error, capital accumulated from investment that is monotone
    in productivity, an intermediate input monotone in productivity, optional endogenous exit.
:func:`dartboard`
    Plants thrown at regions in proportion to region size: the null of no agglomeration of
    Ellison & Glaeser (1997, section 1, "the dartboard approach").

The error of :func:`regional_panel`
-----------------------------------
Write ``e_it`` for the ``error`` column (everything in ``log_wage`` apart from the regressors
and the fixed effects). It is a Gaussian process with mean zero and covariance

``Cov(e_it, e_js) = sigma_eps**2 * rho_serial**|t - s| * C(d_ij)``,

built as ``e_i0 = sigma_eps * g_0(i)``, ``e_it = rho_serial * e_i,t-1 + sqrt(1 - rho_serial**2) *
sigma_eps * g_t(i)``, where ``g_t`` are independent (across years) unit-variance Gaussian random
fields on the plane with correlation function ``C``:

- ``spatial_kernel="exponential"`` (default): ``C(d) = exp(-d / spatial_range_km)``; never exactly
  zero (``C(3 * range) = 0.05``, ``C(5 * range) = 0.007``).
- ``spatial_kernel="circular"``: the circular model, the normalised area of intersection of two
  discs of diameter ``R = spatial_range_km`` whose centres are ``d`` apart,
  ``C(d) = (2/pi) * (acos(d/R) - (d/R) * sqrt(1 - (d/R)**2))`` for ``d < R`` and exactly 0 for
  ``d >= R`` (Matérn 1986; Chilès & Delfiner 2012, sec. 2.5). Compact support: errors of regions
  farther apart (great-circle) than ``truth.independence_distance_km`` ``= (R + sqrt(2) *
  grid_km) / 0.985`` (``R`` plus the discretisation slack below) are exactly independent, which suits Conley (1999) standard errors with a uniform or Bartlett
  kernel and a cutoff at or beyond that distance.
- ``spatial_range_km=0``: no spatial correlation (``C(d) = 1[d = 0]``).

The fields are drawn exactly (circulant embedding, Dietrich & Newsam 1997; Wood & Chan 1994) on a
square grid of ``truth.grid_km`` (default ``range / 16``) in the spherical Albers equal-area conic
projection of the continental US (standard parallels 29.5N and 45.5N, central meridian 96W), and
each region takes the value of its nearest grid node. Two consequences, stated so that tests can
allow for them: (i) distances are planar in the projection, within 1.5 per cent of the
great-circle distance for points in the continental US (the projection's scale factors lie in
[0.985, 1.015] between 24.5N and 49.5N); (ii) snapping to the grid moves each
pairwise distance by at most ``sqrt(2) * grid_km``, and two regions in the same grid cell get the
same field value. ``truth.exact_error_correlation(i, j)`` gives the correlation the simulation
actually realises (``C`` at the snapped planar distance), for tests that need it exactly. No dense
``n x n`` matrix is formed; the cost is one complex FFT of the grid per two years.

References
----------
Ackerberg, D., Caves, K. and Frazer, G. (2015). Identification properties of recent production
function estimators. Econometrica 83(6), 2411-2451.
Ciccone, A. and Hall, R. (1996). Productivity and the density of economic activity. AER 86(1).
Conley, T. (1999). GMM estimation with cross sectional dependence. J. Econometrics 92(1), 1-45.
Dietrich, C. and Newsam, G. (1997). Fast and exact simulation of stationary Gaussian processes
through circulant embedding of the covariance matrix. SIAM J. Sci. Comput. 18(4), 1088-1107.
Ellison, G. and Glaeser, E. (1997). Geographic concentration in U.S. manufacturing industries: a
dartboard approach. JPE 105(5), 889-927.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import fft as sfft
from scipy import sparse

from agglomeration.geo import EARTH_RADIUS_KM, neighbor_pairs, to_unit_sphere

__all__ = [
    "PlantTruth",
    "RegionTruth",
    "SimulatedPlants",
    "SimulatedRegions",
    "albers_us_km",
    "dartboard",
    "dartboard_region_industry",
    "error_correlation",
    "plant_panel",
    "regional_panel",
]

SpatialKernel = Literal["exponential", "circular"]
PlantSize = Literal["lognormal", "pareto", "constant"]

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

_MAX_GRID_CELLS = 1 << 23


# --------------------------------------------------------------------------------------------
# validation and random numbers
# --------------------------------------------------------------------------------------------


def _rng(seed: int | np.random.Generator) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise ValueError(
            f"seed must be an int or a numpy.random.Generator, got {type(seed).__name__} "
            f"({seed!r}); pass e.g. seed=0 or seed=np.random.default_rng(0)."
        )
    if seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed}.")
    return np.random.default_rng(int(seed))


def _pos_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    return int(value)


def _finite(name: str, value: float) -> float:
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be a finite number, got {value!r}.")
    return v


def _nonneg(name: str, value: float) -> float:
    v = _finite(name, value)
    if v < 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}.")
    return v


def _positive(name: str, value: float) -> float:
    v = _finite(name, value)
    if v <= 0:
        raise ValueError(f"{name} must be > 0, got {value!r}.")
    return v


def _in_open_unit(name: str, value: float, *, allow_zero: bool = True) -> float:
    v = _finite(name, value)
    lo_ok = v >= 0 if allow_zero else v > 0
    if not (lo_ok and v < 1):
        rng_txt = "[0, 1)" if allow_zero else "(0, 1)"
        raise ValueError(f"{name} must lie in {rng_txt}, got {value!r}.")
    return v


def _readonly_int(a: ArrayLike) -> NDArray[np.int64]:
    """Read-only int64 view of ``a``."""
    out = np.asarray(a, dtype=np.int64).view()
    out.flags.writeable = False
    return out


def _readonly(a: ArrayLike) -> NDArray[np.float64]:
    """Read-only float64 view of ``a`` (no copy when ``a`` already is a float64 array)."""
    out = np.asarray(a, dtype=np.float64).view()
    out.flags.writeable = False
    return out


# --------------------------------------------------------------------------------------------
# geometry: points in the continental US and the Albers projection
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# spatial correlation: the documented function and the grid field
# --------------------------------------------------------------------------------------------


def error_correlation(
    d_km: ArrayLike, spatial_range_km: float, spatial_kernel: SpatialKernel = "exponential"
) -> NDArray[np.float64]:
    """Spatial correlation function ``C(d)`` of the error of :func:`regional_panel`.

    Parameters
    ----------
    d_km : array_like
        Distances in km (non-negative).
    spatial_range_km : float
        Range ``R``: ``exp(-d/R)`` for the exponential kernel; the support (correlation exactly
        0 for ``d >= R``) for the circular kernel. ``0`` means no spatial correlation.
    spatial_kernel : {"exponential", "circular"}
        Correlation model; see the module docstring for the formulas.

    Returns
    -------
    numpy.ndarray
        ``C(d)``, with ``C(0) = 1``.
    """
    d = np.asarray(d_km, dtype=np.float64)
    r = _nonneg("spatial_range_km", spatial_range_km)
    if r == 0:
        return (d == 0).astype(np.float64)
    if spatial_kernel == "exponential":
        return np.asarray(np.exp(-d / r))
    if spatial_kernel == "circular":
        u = np.clip(d / r, 0.0, 1.0)
        return np.asarray((2.0 / np.pi) * (np.arccos(u) - u * np.sqrt(1.0 - u * u)))
    raise ValueError(
        f"spatial_kernel must be 'exponential' or 'circular', got {spatial_kernel!r}."
    )


@dataclass(frozen=True)
class _GridField:
    """Circulant-embedding sampler of a stationary Gaussian field at fixed points.

    With ``lambda`` the eigenvalues (2-D DFT) of the embedded covariance and ``W`` a complex
    array with independent N(0, 1) real and imaginary parts, ``Y = FFT(sqrt(lambda / N) W)`` has
    real and imaginary parts that are two independent fields with the embedded covariance
    (Dietrich & Newsam 1997, sec. 2), so one complex FFT yields two years.
    """

    scaled_sqrt_eig: NDArray[np.float64]  # sqrt(lambda / N), shape (nx, ny)
    node_x: NDArray[np.int64]
    node_y: NDArray[np.int64]
    grid_km: float
    clipped_share: float

    def draw(self, rng: np.random.Generator, n_fields: int) -> NDArray[np.float64]:
        """Return an array ``(n_fields, n_points)`` of independent fields at the points."""
        nx, ny = self.scaled_sqrt_eig.shape
        out = np.empty((n_fields, self.node_x.size))
        n_pairs = (n_fields + 1) // 2
        batch = max(1, min(n_pairs, (1 << 21) // (nx * ny)))
        for b0 in range(0, n_pairs, batch):
            b1 = min(n_pairs, b0 + batch)
            w = rng.standard_normal((b1 - b0, nx, ny, 2)).view(np.complex128)[..., 0]
            w *= self.scaled_sqrt_eig
            y = sfft.fft2(w, axes=(-2, -1), workers=-1, overwrite_x=True)
            vals = y[:, self.node_x, self.node_y]  # (pairs, n_points)
            for j in range(b1 - b0):
                f = 2 * (b0 + j)
                out[f] = vals[j].real
                if f + 1 < n_fields:
                    out[f + 1] = vals[j].imag
        return out


def _grid_field(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    spatial_range_km: float,
    spatial_kernel: SpatialKernel,
    grid_km: float | None,
) -> _GridField:
    r = spatial_range_km
    h = r / 16.0 if grid_km is None else _positive("spatial_grid_km", grid_km)
    pad = r if spatial_kernel == "circular" else 6.0 * r
    span_x, span_y = float(np.ptp(x)), float(np.ptp(y))
    # period >= span + pad so that wrap-around never shortens a distance below pad
    pad_x, pad_y = min(pad, span_x + h), min(pad, span_y + h)
    nx = sfft.next_fast_len(int(np.ceil((span_x + pad_x) / h)) + 2)
    ny = sfft.next_fast_len(int(np.ceil((span_y + pad_y) / h)) + 2)
    if nx * ny > _MAX_GRID_CELLS:
        raise ValueError(
            f"spatial_range_km={r} needs a {nx} x {ny} grid of {h:.3g} km cells to cover the "
            f"map ({span_x:.0f} x {span_y:.0f} km), more than {_MAX_GRID_CELLS} cells; use a "
            "larger spatial_range_km, a coarser spatial_grid_km, or spatial_range_km=0."
        )
    ix = np.arange(nx)
    iy = np.arange(ny)
    dx = np.minimum(ix, nx - ix) * h
    dy = np.minimum(iy, ny - iy) * h
    d = np.hypot(dx[:, None], dy[None, :])
    cov = error_correlation(d, r, spatial_kernel)
    eig = sfft.fft2(cov, workers=-1).real
    neg = float(np.abs(eig[eig < 0]).sum())
    clipped = neg / float(np.abs(eig).sum())
    eig = np.clip(eig, 0.0, None)
    # unit variance after clipping: the field variance is the mean eigenvalue
    eig *= 1.0 / eig.mean()
    node_x = np.rint((x - x.min()) / h).astype(np.int64)
    node_y = np.rint((y - y.min()) / h).astype(np.int64)
    return _GridField(np.sqrt(eig / (nx * ny)), node_x, node_y, h, clipped)


# --------------------------------------------------------------------------------------------
# regional panel
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegionTruth:
    """Every true parameter of a :func:`regional_panel` draw.

    The outcome equation is, for region ``i`` and year ``t`` (year index ``t = 0..T-1``),

    ``log_wage_it = wage_intercept + beta_density * log_density_it
    + beta_spillover * spatial_lag_log_density_it + region_fe[i] + year_fe[t] + error_it``

    and patents are ``Poisson(exp(patent_intercept + patent_beta_density * log_density_it
    + patent_beta_cluster * log_cluster_employment_it))`` independently given the covariates.
    ``error`` has the covariance stated in the module docstring.

    Attributes
    ----------
    region_fe, year_fe : numpy.ndarray
        True fixed effects (read-only), indexed by region code and by ``year - first_year``.
    sigma_eps, rho_serial, spatial_range_km, spatial_kernel : float, float, float, str
        ``Cov(e_it, e_js) = sigma_eps**2 rho_serial**|t-s| C(d_ij)``, ``C`` from
        :func:`error_correlation`.
    grid_km : float
        Step of the grid the field was drawn on (0 when ``spatial_range_km = 0``).
    independence_distance_km : float
        Great-circle distance beyond which errors of two regions are exactly independent
        (circular kernel: ``(R + sqrt(2) grid_km) / 0.985``; exponential: ``inf``; no spatial
        correlation: 0).
    embedding_clipped_share : float
        Share of the absolute eigenvalue mass of the circulant embedding that was negative and
        set to 0 (0 for the circular kernel, whose embedding is exact; 0 or negligible for the
        exponential with the default padding of 6 ranges).
    industry_localisation, industry_national_share, industry_hub : numpy.ndarray
        ``kappa_k``, ``nat_k`` and the hub region of each industry.
    industry_shares : numpy.ndarray
        ``(n_regions, n_industries)`` fixed industry composition of each region.
    grid_node_xy_km : numpy.ndarray
        ``(n_regions, 2)`` planar position of the grid node each region was snapped to.
    """

    n_regions: int
    n_industries: int
    n_years: int
    first_year: int
    beta_density: float
    beta_spillover: float
    spillover_band_km: float
    wage_intercept: float
    region_fe: NDArray[np.float64]
    year_fe: NDArray[np.float64]
    sigma_eps: float
    rho_serial: float
    spatial_range_km: float
    spatial_kernel: SpatialKernel
    grid_km: float
    independence_distance_km: float
    embedding_clipped_share: float
    patent_intercept: float
    patent_beta_density: float
    patent_beta_cluster: float
    cluster_lq_threshold: float
    sigma_region_fe: float
    region_fe_density_loading: float
    sigma_year_fe: float
    year_trend: float
    employment_growth_sd: float
    industry_localisation: NDArray[np.float64]
    industry_national_share: NDArray[np.float64]
    industry_hub: NDArray[np.int64]
    industry_shares: NDArray[np.float64] = field(repr=False)
    grid_node_xy_km: NDArray[np.float64] = field(repr=False)

    def error_correlation(self, d_km: ArrayLike) -> NDArray[np.float64]:
        """Nominal spatial correlation ``C(d)`` of ``error`` within a year (see module docs)."""
        return error_correlation(d_km, self.spatial_range_km, self.spatial_kernel)

    def exact_error_correlation(self, i: ArrayLike, j: ArrayLike) -> NDArray[np.float64]:
        """Exact within-year correlation of ``error`` between regions ``i`` and ``j``.

        ``C`` evaluated at the planar distance between the grid nodes the two regions were
        snapped to (``grid_node_xy_km``), which is what the simulation realises up to the tiny
        embedding clip of the exponential kernel (``embedding_clipped_share``). With
        ``spatial_range_km=0`` it is ``1[i == j]``.
        """
        a = self.grid_node_xy_km[np.asarray(i, dtype=np.int64)]
        b = self.grid_node_xy_km[np.asarray(j, dtype=np.int64)]
        if self.spatial_range_km == 0 or self.sigma_eps == 0:
            return (np.asarray(i) == np.asarray(j)).astype(np.float64)
        d = np.hypot(a[..., 0] - b[..., 0], a[..., 1] - b[..., 1])
        return self.error_correlation(d)

    def error_covariance(self, d_km: ArrayLike, lag: ArrayLike = 0) -> NDArray[np.float64]:
        """``Cov(e_it, e_j,t+lag) = sigma_eps**2 * rho_serial**|lag| * C(d_ij)``."""
        lag_a = np.abs(np.asarray(lag))
        return np.asarray(
            self.sigma_eps**2 * self.rho_serial**lag_a * self.error_correlation(d_km)
        )


@dataclass(frozen=True)
class SimulatedRegions:
    """Output of :func:`regional_panel`: the panel, the industry detail and the truth.

    Attributes
    ----------
    panel : pandas.DataFrame
        Region x year, sorted by region then year. Columns: ``region`` (int64 code 0..n-1),
        ``year`` (int64), ``lat``, ``lon``, ``land_area_km2``, ``employment`` (int64),
        ``log_density`` (log employment per km²), ``spatial_lag_log_density`` (mean of
        ``log_density`` over the other regions within ``spillover_band_km``; 0 for regions with
        none; only when computed), ``cluster_employment`` (employment in the region's industries
        with location quotient >= ``cluster_lq_threshold``), ``log_cluster_employment``
        (``log(1 + cluster_employment)``, the patent covariate), ``log_wage``, ``error`` (the true
        composite error), ``patents`` (int64).
    industries : pandas.DataFrame or None
        Long region x industry x year frame (``region``, ``industry``, ``year``,
        ``employment`` as float64 = region employment times the region's industry share) when
        ``with_industries=True``; ``None`` otherwise.
    truth : RegionTruth
        Every true parameter.
    """

    panel: pd.DataFrame
    industries: pd.DataFrame | None
    truth: RegionTruth


def regional_panel(
    n_regions: int,
    n_industries: int = 20,
    n_years: int = 10,
    seed: int | np.random.Generator = 0,
    *,
    first_year: int = 2001,
    beta_density: float = 0.04,
    spatial_range_km: float = 100.0,
    spatial_kernel: SpatialKernel = "exponential",
    spatial_grid_km: float | None = None,
    rho_serial: float = 0.5,
    sigma_eps: float = 0.1,
    beta_spillover: float = 0.0,
    spillover_band_km: float = 100.0,
    with_spatial_lag: bool | None = None,
    wage_intercept: float = 10.8,
    sigma_region_fe: float = 0.1,
    region_fe_density_loading: float = 0.05,
    sigma_year_fe: float = 0.02,
    year_trend: float = 0.01,
    employment_growth_sd: float = 0.03,
    patent_intercept: float = -6.0,
    patent_beta_density: float = 0.3,
    patent_beta_cluster: float = 0.5,
    cluster_lq_threshold: float = 1.25,
    n_centres: int | None = None,
    metro_share: float = 0.6,
    metro_spread_km: float = 60.0,
    with_industries: bool = False,
) -> SimulatedRegions:
    """Simulate a region x year panel with agglomeration, spillover and innovation effects.

    The productivity equation is the log-linear density model of Ciccone & Hall (1996, eq. 8):
    ``log_wage_it = a + beta_density * log_density_it + beta_spillover * W log_density_it
    + mu_i + lambda_t + e_it`` (see :class:`RegionTruth`), where ``W`` is the row-standardised
    distance-band spatial weight matrix (SLX spillover) and ``e`` has the covariance stated in
    the module docstring. Density is exogenous: employment does not respond to ``e``, but the
    region effects ``mu_i`` load on base-year density (``region_fe_density_loading``), so that
    omitting them biases pooled OLS, as sorting would.

    Geography: regions lie inside the continental US, a share ``metro_share`` of them scattered
    around ``n_centres`` metro centres (Gaussian spread ``metro_spread_km``), the rest uniform.
    Regions near a centre have more employment and smaller areas, hence high density.
    Industries and employment: a base size ``B_r = exp(log 5000 + 2.5 * proximity + N(0, 0.8))``;
    industry ``k`` (national share ``nat_k ~ Dirichlet(2)``) employs ``B_r * nat_k * m_rk`` in
    region ``r`` in the base year, with ``log m_rk = kappa_k * (2 exp(-d(r, hub_k) / 250 km) +
    0.5 z_rk) - c_k``, ``z ~ N(0, 1)``, the hub drawn in proportion to ``B_r`` and ``c_k`` making
    ``sum_r B_r m_rk = sum_r B_r``. Localisation ``kappa_k ~ U(0, 3)`` is returned as
    ``truth.industry_localisation``: ``kappa_k = 0`` spreads the industry in proportion to size,
    large values concentrate it in few regions. A region's employment is the sum over its
    industries; its industry composition is then fixed while the total follows a region-specific
    trend and random-walk growth shocks (sd ``employment_growth_sd``), rounded to an integer >= 1.
    Patents: Poisson with a log link in log density and ``log(1 + cluster_employment)``.

    Parameters
    ----------
    n_regions, n_industries, n_years : int
        Positive sizes; the panel has ``n_regions * n_years`` rows.
    seed : int or numpy.random.Generator
        Seed or generator; the result is a deterministic function of it.
    first_year : int
        Calendar year of ``t = 0``.
    beta_density : float
        Elasticity of the wage with respect to employment density.
    spatial_range_km : float
        Range of the spatial correlation of the error (>= 0; 0 means none); see
        :func:`error_correlation`.
    spatial_kernel : {"exponential", "circular"}
        Spatial correlation model; ``"circular"`` has compact support ``spatial_range_km``.
    spatial_grid_km : float, optional
        Grid step of the field; default ``spatial_range_km / 16``.
    rho_serial : float
        AR(1) coefficient of the error within a region, in (-1, 1).
    sigma_eps : float
        Standard deviation of the error (stationary), >= 0.
    beta_spillover : float
        Coefficient on the spatial lag of log density.
    spillover_band_km : float
        Distance band of the spatial lag (> 0).
    with_spatial_lag : bool, optional
        Compute the ``spatial_lag_log_density`` column; default: only when
        ``beta_spillover != 0`` (the neighbour search costs memory with many regions).
    wage_intercept, sigma_region_fe, region_fe_density_loading, sigma_year_fe, year_trend : float
        Level, region effects ``mu_i = sigma_region_fe * N(0, 1) + loading * z_i`` with ``z_i``
        standardised base-year log density, year effects ``lambda_t = year_trend * t +
        sigma_year_fe * N(0, 1)``.
    employment_growth_sd : float
        Standard deviation of yearly log employment growth shocks.
    patent_intercept, patent_beta_density, patent_beta_cluster : float
        Coefficients of the Poisson patent model.
    cluster_lq_threshold : float
        Location-quotient threshold that defines a region's cluster industries (> 0).
    n_centres : int, optional
        Number of metro centres; default ``max(3, n_regions // 40)``.
    metro_share : float
        Share of regions placed around centres, in [0, 1].
    metro_spread_km : float
        Spread of regions around their centre.
    with_industries : bool
        Also return the long region x industry x year frame.

    Returns
    -------
    SimulatedRegions

    Raises
    ------
    ValueError
        Naming the parameter, for non-positive sizes, a negative range, ``|rho_serial| >= 1``,
        a negative ``sigma_eps`` and other out-of-domain values.
    """
    n = _pos_int("n_regions", n_regions)
    n_ind = _pos_int("n_industries", n_industries)
    n_t = _pos_int("n_years", n_years)
    rng = _rng(seed)
    r_km = _finite("spatial_range_km", spatial_range_km)
    if r_km < 0:
        raise ValueError(
            f"spatial_range_km must be >= 0 (0 = no spatial correlation), got {spatial_range_km!r}."
        )
    if spatial_kernel not in ("exponential", "circular"):
        raise ValueError(
            f"spatial_kernel must be 'exponential' or 'circular', got {spatial_kernel!r}."
        )
    rho = _finite("rho_serial", rho_serial)
    if not -1 < rho < 1:
        raise ValueError(f"rho_serial must lie in (-1, 1) for a stationary AR(1), got {rho!r}.")
    sig = _nonneg("sigma_eps", sigma_eps)
    b_d = _finite("beta_density", beta_density)
    b_s = _finite("beta_spillover", beta_spillover)
    band = _positive("spillover_band_km", spillover_band_km)
    for nm, val in (
        ("sigma_region_fe", sigma_region_fe),
        ("sigma_year_fe", sigma_year_fe),
        ("employment_growth_sd", employment_growth_sd),
    ):
        _nonneg(nm, val)
    for nm, val in (
        ("wage_intercept", wage_intercept),
        ("region_fe_density_loading", region_fe_density_loading),
        ("year_trend", year_trend),
        ("patent_intercept", patent_intercept),
        ("patent_beta_density", patent_beta_density),
        ("patent_beta_cluster", patent_beta_cluster),
    ):
        _finite(nm, val)
    lq_thr = _positive("cluster_lq_threshold", cluster_lq_threshold)
    m_share = _finite("metro_share", metro_share)
    if not 0 <= m_share <= 1:
        raise ValueError(f"metro_share must lie in [0, 1], got {metro_share!r}.")
    spread = _positive("metro_spread_km", metro_spread_km)
    n_c = max(3, n // 40) if n_centres is None else _pos_int("n_centres", n_centres)
    if not isinstance(first_year, int | np.integer) or isinstance(first_year, bool):
        raise ValueError(f"first_year must be an int, got {first_year!r}.")

    # geography ---------------------------------------------------------------------------
    lat, lon, prox = _us_points(rng, n, n_c, m_share, spread)
    log_area = np.log(1600.0) - 0.8 * prox + rng.normal(0.0, 0.5, n)
    area = np.exp(log_area)

    # industries: region x industry multipliers, then region employment --------------------
    # Base employment B_r (metro proximity + noise); industry k's employment in r is
    # B_r * nat_k * m_rk with log m_rk = kappa_k * (2 exp(-d(r, hub_k) / 250 km) + 0.5 z_rk)
    # - c_k, c_k such that sum_r B_r m_rk = sum_r B_r (so nat_k is k's national share). An
    # industry with kappa_k = 0 is spread in proportion to B_r; a large kappa_k concentrates it
    # around its hub and in a few lucky regions. Region employment is the sum over industries.
    log_b = np.log(5000.0) + 2.5 * prox + rng.normal(0.0, 0.8, n)
    nat = rng.dirichlet(np.full(n_ind, 2.0))
    kappa = rng.uniform(0.0, 3.0, n_ind)
    bw = np.exp(log_b - log_b.max())  # base weights, scaled for numerical safety
    hub = rng.choice(n, size=n_ind, p=bw / bw.sum())
    # great-circle distance to each hub from the unit-vector dot product (one BLAS call)
    xyz = to_unit_sphere(lat, lon)
    mult = xyz @ xyz[hub].T
    del xyz
    np.clip(mult, -1.0, 1.0, out=mult)
    np.arccos(mult, out=mult)  # angle in radians
    mult *= -EARTH_RADIUS_KM / 250.0
    np.exp(mult, out=mult)
    mult *= 2.0
    mult += 0.5 * rng.standard_normal((n, n_ind))
    mult *= kappa[None, :]
    mult -= mult.max(axis=0, keepdims=True)
    np.exp(mult, out=mult)
    mult *= (bw.sum() / (bw @ mult))[None, :]  # sum_r B_r m_rk = sum_r B_r
    mult *= nat[None, :]  # nat_k * m_rk
    comp = mult.sum(axis=1)
    shares = mult
    shares /= comp[:, None]  # fixed composition s_rk of region r
    log_e0 = log_b + np.log(comp)

    # employment over time ----------------------------------------------------------------
    trend = rng.normal(0.01, 0.01, n)
    shocks = rng.normal(0.0, employment_growth_sd, (n, n_t))
    shocks[:, 0] = 0.0
    t_idx = np.arange(n_t, dtype=np.float64)
    log_e = log_e0[:, None] + trend[:, None] * t_idx[None, :] + np.cumsum(shocks, axis=1)
    del shocks
    emp = np.maximum(np.rint(np.exp(log_e)), 1.0).astype(np.int64)
    del log_e
    log_density = np.log(emp / area[:, None])

    # cluster employment: industries with base-year location quotient >= threshold ------------
    base = emp[:, 0].astype(np.float64)
    nat_share = (base @ shares) / base.sum()
    lq_cut = lq_thr * nat_share  # s_rk / S_k >= thr  <=>  s_rk >= thr * S_k
    cluster_share = np.where(shares >= lq_cut[None, :], shares, 0.0).sum(axis=1)
    cluster_emp = emp * cluster_share[:, None]
    log_cluster = np.log1p(cluster_emp)

    # fixed effects -------------------------------------------------------------------------
    z0 = log_density[:, 0] - log_density[:, 0].mean()
    sd0 = z0.std()
    z0 = z0 / sd0 if sd0 > 0 else z0
    region_fe = sigma_region_fe * rng.standard_normal(n) + region_fe_density_loading * z0
    year_fe = year_trend * t_idx + sigma_year_fe * rng.standard_normal(n_t)

    # spatially and serially correlated error -------------------------------------------------
    if r_km > 0 and sig > 0:
        px, py = albers_us_km(lat, lon)
        gf = _grid_field(px, py, r_km, spatial_kernel, spatial_grid_km)
        innov = gf.draw(rng, n_t).T  # (n, T)
        grid_km, clipped = gf.grid_km, gf.clipped_share
        node_xy = np.column_stack([gf.node_x, gf.node_y]).astype(np.float64) * grid_km
    else:
        innov = rng.standard_normal((n, n_t))
        grid_km, clipped = 0.0, 0.0
        node_xy = np.column_stack([np.arange(n, dtype=np.float64), np.zeros(n)]) * 1e9
    err = np.empty((n, n_t))
    err[:, 0] = sig * innov[:, 0]
    scale = sig * math.sqrt(1.0 - rho * rho)
    for t in range(1, n_t):  # loop over years, vectorised over regions
        err[:, t] = rho * err[:, t - 1] + scale * innov[:, t]
    del innov
    if r_km == 0:
        indep = 0.0
    elif spatial_kernel == "circular":
        # node distance >= projected - sqrt(2) h >= 0.985 d - sqrt(2) h (Albers scale factors
        # lie in [0.9853, 1.0149] for 24.5-49.5N), so d >= (R + sqrt(2) h) / 0.985 => C = 0
        indep = (r_km + math.sqrt(2.0) * grid_km) / 0.985
    else:
        indep = math.inf

    # spillover -----------------------------------------------------------------------------
    do_lag = (b_s != 0.0) if with_spatial_lag is None else bool(with_spatial_lag)
    lag: NDArray[np.float64] | None = None
    if do_lag:
        pairs = neighbor_pairs(lat, lon, band)
        ii = np.concatenate([pairs.i, pairs.j])
        jj = np.concatenate([pairs.j, pairs.i])
        w = sparse.csr_matrix((np.ones(ii.size), (ii, jj)), shape=(n, n))
        deg = np.asarray(w.sum(axis=1)).ravel()
        inv = np.divide(1.0, deg, out=np.zeros(n), where=deg > 0)
        lag = np.asarray(sparse.diags(inv) @ (w @ log_density))
        del w, ii, jj, pairs
    elif b_s != 0.0:
        raise ValueError(
            f"beta_spillover={b_s} needs the spatial lag; do not pass with_spatial_lag=False."
        )

    log_wage = wage_intercept + b_d * log_density + region_fe[:, None] + year_fe[None, :] + err
    if lag is not None:
        log_wage += b_s * lag

    # patents -------------------------------------------------------------------------------
    eta = patent_intercept + patent_beta_density * log_density + patent_beta_cluster * log_cluster
    patents = rng.poisson(np.exp(eta)).astype(np.int64)
    del eta

    cols: dict[str, NDArray[np.generic]] = {
        "region": np.repeat(np.arange(n, dtype=np.int64), n_t),
        "year": np.tile(np.arange(n_t, dtype=np.int64) + int(first_year), n),
        "lat": np.repeat(lat, n_t),
        "lon": np.repeat(lon, n_t),
        "land_area_km2": np.repeat(area, n_t),
        "employment": emp.ravel(),
        "log_density": log_density.ravel(),
    }
    if lag is not None:
        cols["spatial_lag_log_density"] = lag.ravel()
    cols.update(
        {
            "cluster_employment": cluster_emp.ravel(),
            "log_cluster_employment": log_cluster.ravel(),
            "log_wage": log_wage.ravel(),
            "error": err.ravel(),
            "patents": patents.ravel(),
        }
    )
    panel = pd.DataFrame(cols, copy=False)

    industries = None
    if with_industries:
        # (n, K, T) in region-major order
        ind_emp = shares[:, :, None] * emp[:, None, :].astype(np.float64)
        industries = pd.DataFrame(
            {
                "region": np.repeat(np.arange(n, dtype=np.int64), n_ind * n_t),
                "industry": np.tile(np.repeat(np.arange(n_ind, dtype=np.int64), n_t), n),
                "year": np.tile(np.arange(n_t, dtype=np.int64) + int(first_year), n * n_ind),
                "employment": ind_emp.ravel(),
            },
            copy=False,
        )

    truth = RegionTruth(
        n_regions=n,
        n_industries=n_ind,
        n_years=n_t,
        first_year=int(first_year),
        beta_density=b_d,
        beta_spillover=b_s,
        spillover_band_km=band,
        wage_intercept=float(wage_intercept),
        region_fe=_readonly(region_fe),
        year_fe=_readonly(year_fe),
        sigma_eps=sig,
        rho_serial=rho,
        spatial_range_km=r_km,
        spatial_kernel=spatial_kernel,
        grid_km=float(grid_km),
        independence_distance_km=float(indep),
        embedding_clipped_share=float(clipped),
        patent_intercept=float(patent_intercept),
        patent_beta_density=float(patent_beta_density),
        patent_beta_cluster=float(patent_beta_cluster),
        cluster_lq_threshold=lq_thr,
        sigma_region_fe=float(sigma_region_fe),
        region_fe_density_loading=float(region_fe_density_loading),
        sigma_year_fe=float(sigma_year_fe),
        year_trend=float(year_trend),
        employment_growth_sd=float(employment_growth_sd),
        industry_localisation=_readonly(kappa),
        industry_national_share=_readonly(nat),
        industry_hub=_readonly_int(hub),
        industry_shares=_readonly(shares),
        grid_node_xy_km=_readonly(node_xy),
    )
    return SimulatedRegions(panel=panel, industries=industries, truth=truth)


# --------------------------------------------------------------------------------------------
# plant panel (ACF 2015 style)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlantTruth:
    """True parameters of a :func:`plant_panel` draw.

    ``y = beta_0 + beta_l * l + beta_k * k + omega + eps`` with ``eps ~ N(0, sigma_eps**2)``;
    ``omega_t = rho * omega_{t-1} + xi_t`` with ``xi ~ N(0, sigma_xi**2)``.
    """

    beta_0: float
    beta_l: float
    beta_k: float
    rho: float
    sigma_xi: float
    sigma_eps: float
    labour_timing: float
    sigma_wage: float
    rho_wage: float
    sigma_l_opt: float
    delta: float
    k_target: float
    investment_omega: float
    investment_k: float
    m_intercept: float
    m_omega: float
    m_omega_sq: float
    exit: bool
    exit_omega: float
    exit_k: float
    n_plants: int
    n_years: int
    burn_in: int
    delta_spread: float = 0.0


@dataclass(frozen=True)
class SimulatedPlants:
    """Output of :func:`plant_panel`.

    Attributes
    ----------
    panel : pandas.DataFrame
        Plant x year, sorted by plant then year, columns ``plant``, ``year``, ``y``, ``l``,
        ``k``, ``m``, ``i``, ``omega``, ``exit`` (True in a plant's last year when it exits
        after producing in it).
    truth : PlantTruth
    """

    panel: pd.DataFrame
    truth: PlantTruth


def plant_panel(
    n_plants: int,
    n_years: int = 10,
    seed: int | np.random.Generator = 0,
    *,
    first_year: int = 1,
    beta_0: float = 0.5,
    beta_l: float = 0.6,
    beta_k: float = 0.3,
    rho: float = 0.7,
    sigma_xi: float = 0.2,
    sigma_eps: float = 0.1,
    labour_timing: float = 0.5,
    rho_wage: float = 0.7,
    sigma_wage: float = 0.1,
    sigma_l_opt: float = 0.05,
    delta: float = 0.1,
    k_target: float = 4.0,
    investment_omega: float = 1.0,
    investment_k: float = 0.8,
    m_intercept: float | None = None,
    m_omega: float = 1.0,
    m_omega_sq: float = 0.0,
    exit: bool = False,
    exit_omega: float | None = None,
    exit_k: float = 0.1,
    burn_in: int = 20,
    delta_spread: float = 0.0,
) -> SimulatedPlants:
    """Simulate a plant panel from a Cobb-Douglas value-added technology (ACF 2015 design).

    The design follows the Monte Carlo of Ackerberg, Caves & Frazer (2015, sec. 4.1, DGP1 with
    optional optimisation error as in DGP3):

    - output: ``y_t = beta_0 + beta_l l_t + beta_k k_t + omega_t + eps_t`` (ACF eq. 1);
    - productivity: ``omega_t = rho omega_{t-1} + xi_t`` (first-order Markov, ACF eq. 2),
      evolving through ``t - b`` with ``b = labour_timing``: ``omega_{t-b} = rho**(1-b)
      omega_{t-1} + eta_1``, ``omega_t = rho**b omega_{t-b} + eta_2``, variances chosen so that
      ``Var(xi) = sigma_xi**2`` and the process is stationary;
    - labour, chosen at ``t - b`` from the static first-order condition given ``omega_{t-b}``,
      ``k_t`` and the plant's log wage ``w_t`` (AR(1), ``rho_wage``, ``sigma_wage``), plus an
      i.i.d. optimisation error ``iota ~ N(0, sigma_l_opt**2)``:
      ``l_t = (log beta_l + beta_0 + beta_k k_t + omega_{t-b} - w_t) / (1 - beta_l) + iota_t``;
      so ``l_t`` is correlated with ``xi_t`` when ``b > 0`` (through ``omega_{t-b}``) but
      ``l_{t-1}`` is not, which is what the ACF moment ``E[xi_t l_{t-1}] = 0`` needs;
    - capital: ``k_{t+1} = log((1 - delta) exp(k_t) + exp(i_t))`` with investment
      ``i_t = log(delta) + k_target + investment_k (k_t - k_target) + investment_omega omega_t``,
      strictly increasing in ``omega`` given ``k`` (Olley & Pakes 1996 invertibility); with
      ``delta_spread > 0`` each plant has its own depreciation rate ``delta_i ~ U(delta -
      delta_spread, delta + delta_spread)`` (fixed over time, unobserved; ACF 2015, sec. 4.1,
      use plant-specific rates), used in both the investment rule and the accumulation;
    - intermediate input (materials, Leontief in value added when ``m_omega=1, m_omega_sq=0``):
      ``m_t = m_intercept + beta_l l_t + beta_k k_t + m_omega omega_t + m_omega_sq omega_t**2``,
      strictly increasing in ``omega`` given ``(k, l)`` (Levinsohn & Petrin 2003 invertibility);
    - exit (``exit=True``): after producing in year ``t`` a plant exits when
      ``omega_t < exit_omega - exit_k (k_t - k_target)`` (Olley & Pakes 1996 threshold rule);
      its later years are not in the panel.

    The process is run ``burn_in`` years before the first recorded year from ``omega`` drawn
    from its stationary distribution and ``k = k_target + N(0, 1)``; exit applies only to
    recorded years.

    Parameters
    ----------
    n_plants, n_years : int
        Positive sizes (``n_plants * n_years`` rows before exit).
    seed : int or numpy.random.Generator
        Seed or generator.
    first_year : int
        Label of the first recorded year.
    beta_0, beta_l, beta_k : float
        Technology; ``0 < beta_l < 1``.
    rho, sigma_xi : float
        AR(1) of productivity, ``|rho| < 1``, ``sigma_xi >= 0``.
    sigma_eps : float
        Standard deviation of the measurement error in ``y``.
    labour_timing : float
        ``b`` in ``[0, 1)``: labour is chosen with the information of ``t - b``.
    rho_wage, sigma_wage : float
        AR(1) of the plant-specific log wage.
    sigma_l_opt : float
        Standard deviation of the optimisation error in labour.
    delta : float
        Depreciation rate, in (0, 1).
    k_target : float
        Steady-state log capital of a plant with ``omega = 0``.
    investment_omega : float
        Semi-elasticity of investment in productivity; must be > 0 (monotonicity).
    investment_k : float
        Elasticity of investment in capital, in [0, 1].
    m_intercept : float, optional
        Default ``beta_0 + log(0.5)`` (materials worth half of value added).
    m_omega, m_omega_sq : float
        Slope and curvature of ``m`` in ``omega``; ``m_omega + 2 m_omega_sq omega`` must be > 0
        at every simulated ``omega``.
    exit : bool
        Endogenous exit (unbalanced panel).
    exit_omega : float, optional
        Exit threshold at ``k = k_target``; default the 5th percentile of the stationary
        distribution of ``omega``.
    exit_k : float
        How much the threshold falls per unit of log capital above ``k_target``.
    burn_in : int
        Unrecorded years simulated first (>= 0).
    delta_spread : float
        Half-width of the uniform distribution of plant-specific depreciation rates around
        ``delta``; ``0`` (default) gives every plant ``delta`` and draws nothing, so outputs
        are bit-identical to earlier versions. With one common rate, ``k_t`` is an exact
        function of ``(k_{t-1}, omega_{t-1})`` and, to first order in ``k``, ``omega_{t-1}(b) =
        omega_{t-1} + (beta_k - b_k) k_{t-1}`` is again first-order Markov at ``b_k = beta_k -
        (1 - delta (1 - investment_k) - rho) / (delta investment_omega)``, a second, spurious
        root of the ACF moments (about -2.5 at the defaults); plant-specific rates remove it.
        Must satisfy ``0 < delta - delta_spread`` and ``delta + delta_spread < 1``.

    Returns
    -------
    SimulatedPlants

    Raises
    ------
    ValueError
        Naming the parameter, for non-positive sizes, ``beta_l`` outside (0, 1), ``|rho| >= 1``,
        ``investment_omega <= 0`` or ``m_omega``/``m_omega_sq`` that make ``m`` not strictly
        increasing in ``omega``.
    """
    n = _pos_int("n_plants", n_plants)
    n_t = _pos_int("n_years", n_years)
    rng = _rng(seed)
    if isinstance(burn_in, bool) or not isinstance(burn_in, int | np.integer) or burn_in < 0:
        raise ValueError(f"burn_in must be a non-negative integer, got {burn_in!r}.")
    b0 = _finite("beta_0", beta_0)
    bl = _finite("beta_l", beta_l)
    if not 0 < bl < 1:
        raise ValueError(f"beta_l must lie in (0, 1) for a static labour demand, got {bl!r}.")
    bk = _finite("beta_k", beta_k)
    rh = _finite("rho", rho)
    if not -1 < rh < 1:
        raise ValueError(f"rho must lie in (-1, 1) for stationary productivity, got {rh!r}.")
    if rh <= 0 and labour_timing > 0:
        raise ValueError(
            f"rho={rh} with labour_timing={labour_timing}: the fractional-period productivity "
            "step needs rho > 0; use rho > 0 or labour_timing=0."
        )
    s_xi = _nonneg("sigma_xi", sigma_xi)
    s_eps = _nonneg("sigma_eps", sigma_eps)
    b = _in_open_unit("labour_timing", labour_timing)
    rw = _finite("rho_wage", rho_wage)
    if not -1 < rw < 1:
        raise ValueError(f"rho_wage must lie in (-1, 1), got {rw!r}.")
    s_w = _nonneg("sigma_wage", sigma_wage)
    s_l = _nonneg("sigma_l_opt", sigma_l_opt)
    dl = _in_open_unit("delta", delta, allow_zero=False)
    kt = _finite("k_target", k_target)
    d_sp = _nonneg("delta_spread", delta_spread)
    if d_sp > 0 and not (dl - d_sp > 0 and dl + d_sp < 1):
        raise ValueError(
            f"delta_spread={d_sp} with delta={dl} puts depreciation rates outside (0, 1); "
            f"use delta_spread < min(delta, 1 - delta) = {min(dl, 1 - dl):.6g}."
        )
    i_om = _finite("investment_omega", investment_omega)
    if i_om <= 0:
        raise ValueError(
            f"investment_omega must be > 0 so that investment is strictly increasing in "
            f"productivity (OP invertibility), got {i_om!r}."
        )
    i_k = _finite("investment_k", investment_k)
    if not 0 <= i_k <= 1:
        raise ValueError(f"investment_k must lie in [0, 1], got {i_k!r}.")
    m_om = _finite("m_omega", m_omega)
    if m_om <= 0:
        raise ValueError(
            f"m_omega must be > 0 so that the intermediate input is strictly increasing in "
            f"productivity (LP/ACF invertibility), got {m_om!r}."
        )
    m_sq = _finite("m_omega_sq", m_omega_sq)
    m0 = b0 + math.log(0.5) if m_intercept is None else _finite("m_intercept", m_intercept)
    var_om = s_xi**2 / (1.0 - rh**2)
    sd_om = math.sqrt(var_om)
    ex_om = -1.6448536269514722 * sd_om if exit_omega is None else _finite("exit_omega", exit_omega)
    ex_k = _finite("exit_k", exit_k)

    # innovations of the two sub-steps (see docstring)
    a1 = rh ** (1.0 - b) if b > 0 else rh
    a2 = rh**b if b > 0 else 1.0
    s1 = math.sqrt(max(var_om * (1.0 - rh ** (2.0 * (1.0 - b))), 0.0)) if b > 0 else s_xi
    s2 = math.sqrt(max(var_om * (1.0 - rh ** (2.0 * b)), 0.0)) if b > 0 else 0.0

    total = burn_in + n_t
    omega = rng.normal(0.0, sd_om, n)
    k = kt + rng.standard_normal(n)
    w = rng.normal(0.0, s_w / math.sqrt(1.0 - rw**2) if s_w > 0 else 0.0, n)
    # plant-specific depreciation: drawn only when requested, so the default stream is unchanged
    dl_p: float | NDArray[np.float64] = rng.uniform(dl - d_sp, dl + d_sp, n) if d_sp > 0 else dl
    log_dl = np.log(dl_p) if d_sp > 0 else math.log(dl)
    shape = (n, n_t)
    out = {nm: np.empty(shape) for nm in ("y", "l", "k", "m", "i", "omega")}
    alive = np.ones(n, dtype=bool)
    observed = np.zeros(shape, dtype=bool)
    exit_flag = np.zeros(shape, dtype=bool)
    log_bl = math.log(bl)
    for t in range(total):  # loop over years, vectorised over plants
        om_mid = a1 * omega + s1 * rng.standard_normal(n)
        omega = a2 * om_mid + s2 * rng.standard_normal(n) if b > 0 else om_mid
        w = rw * w + s_w * rng.standard_normal(n)
        l_t = (log_bl + b0 + bk * k + om_mid - w) / (1.0 - bl) + s_l * rng.standard_normal(n)
        y_t = b0 + bl * l_t + bk * k + omega + s_eps * rng.standard_normal(n)
        m_t = m0 + bl * l_t + bk * k + m_om * omega + m_sq * omega**2
        i_t = log_dl + kt + i_k * (k - kt) + i_om * omega
        tt = t - burn_in
        if tt >= 0:
            out["y"][:, tt] = y_t
            out["l"][:, tt] = l_t
            out["k"][:, tt] = k
            out["m"][:, tt] = m_t
            out["i"][:, tt] = i_t
            out["omega"][:, tt] = omega
            observed[:, tt] = alive
            if exit:
                leaving = alive & (omega < ex_om - ex_k * (k - kt))
                exit_flag[:, tt] = leaving
                alive &= ~leaving
        k = np.log((1.0 - dl_p) * np.exp(k) + np.exp(i_t))

    if m_sq != 0.0:
        slope = m_om + 2.0 * m_sq * out["omega"][observed]
        bad = int((slope <= 0).sum())
        if bad:
            raise ValueError(
                f"m_omega_sq={m_sq} with m_omega={m_om} makes the intermediate input decreasing in "
                f"productivity (dm/domega = m_omega + 2*m_omega_sq*omega <= 0) for {bad} "
                f"plant-years; use |m_omega_sq| < m_omega / (2 * max|omega|) "
                f"(max|omega| here {np.abs(out['omega'][observed]).max():.3g})."
            )

    plant_ids = np.broadcast_to(np.arange(n, dtype=np.int64)[:, None], shape)
    years = np.broadcast_to(np.arange(n_t, dtype=np.int64)[None, :] + int(first_year), shape)
    cols: dict[str, NDArray[np.generic]] = {
        "plant": plant_ids[observed],
        "year": years[observed],
    }
    for nm in ("y", "l", "k", "m", "i", "omega"):
        cols[nm] = out[nm][observed]
    cols["exit"] = exit_flag[observed]
    panel = pd.DataFrame(cols, copy=False)
    truth = PlantTruth(
        beta_0=b0, beta_l=bl, beta_k=bk, rho=rh, sigma_xi=s_xi, sigma_eps=s_eps,
        labour_timing=b, sigma_wage=s_w, rho_wage=rw, sigma_l_opt=s_l, delta=dl,
        k_target=kt, investment_omega=i_om, investment_k=i_k, m_intercept=m0,
        m_omega=m_om, m_omega_sq=m_sq, exit=bool(exit), exit_omega=ex_om, exit_k=ex_k,
        n_plants=n, n_years=n_t, burn_in=int(burn_in), delta_spread=d_sp,
    )
    return SimulatedPlants(panel=panel, truth=truth)


# --------------------------------------------------------------------------------------------
# dartboard (Ellison & Glaeser 1997 null)
# --------------------------------------------------------------------------------------------


def dartboard(
    region_sizes: ArrayLike,
    n_plants: int | ArrayLike,
    seed: int | np.random.Generator = 0,
    *,
    n_industries: int | None = None,
    plant_size: PlantSize = "lognormal",
    size_mean_log: float = 3.0,
    size_sigma_log: float = 1.0,
    pareto_shape: float = 1.5,
    size_min: float = 1.0,
    integer_sizes: bool = True,
) -> pd.DataFrame:
    """Throw plants at regions at random: the no-agglomeration null of Ellison & Glaeser (1997).

    Each plant of each industry independently lands in region ``r`` with probability
    ``x_r = region_sizes[r] / sum(region_sizes)`` (EG 1997, sec. 1, the model with neither
    spillovers nor natural advantages, ``gamma = 0``). Under this null, EG's index
    ``gamma = (G - (1 - sum x_r**2) H) / ((1 - sum x_r**2)(1 - H))`` with ``G = sum (s_r -
    x_r)**2`` and ``H`` the plant-employment Herfindahl of the industry has expectation 0
    (EG 1997, Proposition 1 with ``gamma = 0``: ``E[G] = (1 - sum x_r**2) H``).

    Plant sizes (employment) are drawn i.i.d., independently of location:
    ``"lognormal"``: ``exp(N(size_mean_log, size_sigma_log**2))``; ``"pareto"``: ``size_min *
    (1 + Lomax(pareto_shape))``, i.e. Pareto with scale ``size_min`` and tail index
    ``pareto_shape``; ``"constant"``: ``exp(size_mean_log)``. With ``integer_sizes`` they are
    rounded to the nearest integer and floored at 1.

    To aggregate to region x industry employment (the input of the EG index), use
    :func:`dartboard_region_industry`, or
    ``plants.groupby(["region", "industry"])["employment"].sum()``.

    Parameters
    ----------
    region_sizes : array_like
        Non-negative sizes (e.g. total employment) of the regions, at least one positive; the
        region codes in the output are positions in this array.
    n_plants : int or array_like of int
        Plants per industry: one positive int (the same for every industry, with
        ``n_industries``) or one positive count per industry.
    seed : int or numpy.random.Generator
        Seed or generator.
    n_industries : int, optional
        Number of industries when ``n_plants`` is an int (default 1).
    plant_size : {"lognormal", "pareto", "constant"}
        Plant-size distribution.
    size_mean_log, size_sigma_log : float
        Log-normal parameters (and ``exp(size_mean_log)`` is the constant size).
    pareto_shape, size_min : float
        Pareto tail index (> 0) and scale (> 0).
    integer_sizes : bool
        Round sizes to integers >= 1 (default) or keep them real.

    Returns
    -------
    pandas.DataFrame
        One row per plant, sorted by industry: ``plant`` (int64, 0..N-1), ``industry`` (int64),
        ``region`` (int64), ``employment`` (int64 or float64).
    """
    x = np.asarray(region_sizes, dtype=np.float64).ravel()
    if x.size == 0:
        raise ValueError("region_sizes is empty; pass one non-negative size per region.")
    bad = int((~np.isfinite(x) | (x < 0)).sum())
    if bad:
        raise ValueError(
            f"region_sizes has {bad} negative or non-finite values; sizes must be >= 0."
        )
    if x.sum() <= 0:
        raise ValueError("region_sizes sums to 0; at least one region must have positive size.")
    p = x / x.sum()
    if np.ndim(n_plants) == 0:
        n_pl = _pos_int("n_plants", n_plants)
        n_ind = 1 if n_industries is None else _pos_int("n_industries", n_industries)
        counts = np.full(n_ind, n_pl, dtype=np.int64)
    else:
        arr = np.asarray(n_plants)
        if arr.size == 0 or not np.issubdtype(arr.dtype, np.integer) or (arr <= 0).any():
            raise ValueError(
                f"n_plants must be positive integers per industry; got {arr.size} values with "
                f"{int((arr <= 0).sum()) if arr.size else 0} non-positive (dtype {arr.dtype})."
            )
        counts = arr.astype(np.int64).ravel()
        if n_industries is not None and n_industries != counts.size:
            raise ValueError(
                f"n_industries={n_industries} but n_plants has {counts.size} entries; "
                "drop n_industries or make them agree."
            )
    rng = _rng(seed)
    total = int(counts.sum())
    region = rng.choice(x.size, size=total, p=p).astype(np.int64)
    if plant_size == "lognormal":
        sm = _finite("size_mean_log", size_mean_log)
        ss = _nonneg("size_sigma_log", size_sigma_log)
        size = np.exp(rng.normal(sm, ss, total))
    elif plant_size == "pareto":
        a = _positive("pareto_shape", pareto_shape)
        xm = _positive("size_min", size_min)
        size = xm * (1.0 + rng.pareto(a, total))
    elif plant_size == "constant":
        size = np.full(total, math.exp(_finite("size_mean_log", size_mean_log)))
    else:
        raise ValueError(
            f"plant_size must be 'lognormal', 'pareto' or 'constant', got {plant_size!r}."
        )
    employment: NDArray[np.generic] = (
        np.maximum(np.rint(size), 1.0).astype(np.int64) if integer_sizes else size
    )
    return pd.DataFrame(
        {
            "plant": np.arange(total, dtype=np.int64),
            "industry": np.repeat(np.arange(counts.size, dtype=np.int64), counts),
            "region": region,
            "employment": employment,
        },
        copy=False,
    )


def dartboard_region_industry(plants: pd.DataFrame, n_regions: int) -> pd.DataFrame:
    """Aggregate :func:`dartboard` plants to a complete region x industry employment frame.

    Parameters
    ----------
    plants : pandas.DataFrame
        Output of :func:`dartboard` (columns ``industry``, ``region``, ``employment``).
    n_regions : int
        Number of regions (``len(region_sizes)``), so that empty regions appear with zeros.

    Returns
    -------
    pandas.DataFrame
        Every region x industry cell (industry-major): ``region``, ``industry``, ``employment``
        (sum over plants, 0 where none landed), ``n_plants``.
    """
    n_r = _pos_int("n_regions", n_regions)
    missing = [c for c in ("industry", "region", "employment") if c not in plants.columns]
    if missing:
        raise ValueError(f"plants lacks columns {missing}; pass the output of dartboard().")
    reg = plants["region"].to_numpy(dtype=np.int64)
    if reg.size and (reg.min() < 0 or reg.max() >= n_r):
        raise ValueError(
            f"plants has region codes outside 0..{n_r - 1} (max {reg.max()}); check n_regions."
        )
    ind = plants["industry"].to_numpy(dtype=np.int64)
    n_i = int(ind.max()) + 1 if ind.size else 0
    key = ind * n_r + reg
    emp = np.bincount(key, weights=plants["employment"].to_numpy(np.float64), minlength=n_i * n_r)
    cnt = np.bincount(key, minlength=n_i * n_r)
    return pd.DataFrame(
        {
            "region": np.tile(np.arange(n_r, dtype=np.int64), n_i),
            "industry": np.repeat(np.arange(n_i, dtype=np.int64), n_r),
            "employment": emp,
            "n_plants": cnt.astype(np.int64),
        }
    )
