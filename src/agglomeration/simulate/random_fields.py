"""Spatially and serially correlated Gaussian errors: the correlation function and its sampler.

The error of :func:`agglomeration.simulate.regional_panel`: write ``e_it`` for its ``error``
column (everything in ``log_wage`` apart from the regressors and the fixed effects). It is a Gaussian process with mean zero and covariance

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
  grid_km) / 0.985`` (``R`` plus the discretisation slack below) are exactly independent,
  which suits Conley (1999) standard errors with a uniform or Bartlett kernel and a cutoff at
  or beyond that distance.
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
Conley, T. (1999). GMM estimation with cross sectional dependence. J. Econometrics 92(1), 1-45.
Dietrich, C. and Newsam, G. (1997). Fast and exact simulation of stationary Gaussian processes
through circulant embedding of the covariance matrix. SIAM J. Sci. Comput. 18(4), 1088-1107.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import fft as sfft

from agglomeration.errors import InputError
from agglomeration.simulate._validate import _nonneg, _positive
from agglomeration.simulate.geography import albers_us_km

SpatialKernel = Literal["exponential", "circular"]

_MAX_GRID_CELLS = 1 << 23

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
    raise InputError(
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
        raise InputError(
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




@dataclass(frozen=True)
class _PanelError:
    """A draw of the region x year error and the facts about its grid (see the module docstring)."""

    values: NDArray[np.float64]  # (n_regions, n_years)
    grid_km: float
    clipped_share: float
    node_xy_km: NDArray[np.float64]  # (n_regions, 2)
    independence_distance_km: float


def _panel_error(
    rng: np.random.Generator,
    lat: NDArray[np.float64],
    lon: NDArray[np.float64],
    n_years: int,
    sigma_eps: float,
    rho_serial: float,
    spatial_range_km: float,
    spatial_kernel: SpatialKernel,
    spatial_grid_km: float | None,
) -> _PanelError:
    """Draw ``e_it`` (stationary AR(1) in ``t`` of independent unit fields ``g_t``, scaled)."""
    n, n_t, sig, rho, r_km = lat.size, n_years, sigma_eps, rho_serial, spatial_range_km
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
    return _PanelError(err, float(grid_km), float(clipped), node_xy, float(indep))
