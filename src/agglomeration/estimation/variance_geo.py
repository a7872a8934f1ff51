"""Variances from geography and networks: Conley (spatial HAC) and dyadic-robust.

Both are :class:`~agglomeration.estimation.variance.Variance` classes computed from the fitted
model's scores and bread (:meth:`~agglomeration.estimation.engine.FittedModel.scores`), so they
work for OLS, Poisson and IV alike; see :mod:`agglomeration.inference` for the formulas.
"""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
import pandas as pd

from agglomeration.errors import SpecError
from agglomeration.estimation.variance import (
    IID,
    Cluster,
    Covariance,
    DriscollKraay,
    Hetero,
    Variance,
    _check_lags,
)
from agglomeration.inference import (
    SpatialNeighbors,
    conley_meat,
    conley_vcov_from_fit,
    dyadic_meat,
    dyadic_vcov,
    spatial_neighbors,
)
from agglomeration.inference.dyadic import n_nodes

if TYPE_CHECKING:
    from agglomeration.estimation.engine import FittedModel

__all__ = ["Conley", "Dyadic", "standard_variances"]

Kernel = Literal["uniform", "bartlett"]
_KERNELS = ("uniform", "bartlett")


@dataclass(frozen=True)
class Conley(Variance):
    """Conley (1999) spatial HAC variance, optionally with serial correlation (Hsiang 2010).

    Computed by :func:`agglomeration.inference.conley_vcov_from_fit` from the model's scores
    and bread; see :mod:`agglomeration.inference.conley` for the formula.

    Attributes
    ----------
    cutoff_km : float
        Distance cutoff in km (strictly positive).
    kernel : {"uniform", "bartlett"}
        Spatial kernel.
    lat, lon : str
        Coordinate columns.
    time : str, optional
        Period column: spatial correlation only within a period (None: one cross-section).
    unit : str, optional
        Unit of the serial part (defaults to the location).
    lags : int, optional
        Serial lags within a unit (None or 0: none), Bartlett weights.
    """

    cutoff_km: float | None = None
    kernel: Kernel = "uniform"
    lat: str = "lat"
    lon: str = "lon"
    time: str | None = None
    unit: str | None = None
    lags: int | None = None
    type: ClassVar[str] = "conley"
    small_sample: ClassVar[str] = "N / (N - k), the hetero factor; normal reference"

    def __post_init__(self) -> None:
        c = self.cutoff_km
        try:
            ok = c is not None and not isinstance(c, bool) and np.isfinite(float(c)) and c > 0
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise SpecError(
                f"conley variance needs a positive cutoff_km, got {c!r}; e.g. cutoff_km = 100."
            )
        object.__setattr__(self, "cutoff_km", float(c))  # type: ignore[arg-type]
        if self.kernel not in _KERNELS:
            raise SpecError(f"kernel must be one of {_KERNELS}, got {self.kernel!r}.")
        _check_lags(self.lags)
        if self.lags and self.time is None:
            raise SpecError("conley with serial lags needs the time column (time = 'year').")

    def columns(self) -> tuple[str, ...]:
        """Return the coordinate, time and unit columns."""
        cols = [self.lat, self.lon, *(c for c in (self.time, self.unit) if c is not None)]
        return tuple(dict.fromkeys(cols))

    @property
    def label(self) -> str:
        """Label ``conley(100 km, uniform[, serial lags L])``."""
        serial = f", serial lags {self.lags}" if self.lags else ""
        return f"conley({self.cutoff_km:g} km, {self.kernel}{serial})"

    def describe(self) -> dict[str, Any]:
        """Return the structured fields: cutoff, kernel and serial lags (0 when none)."""
        return {
            **super().describe(),
            "cutoff_km": self.cutoff_km,
            "kernel": self.kernel,
            "lags": int(self.lags or 0),
        }

    def compute(
        self, model: FittedModel, data: pd.DataFrame, cache: MutableMapping[Any, Any] | None = None
    ) -> Covariance:
        """Return the Conley variance from the model's scores (neighbours shared via ``cache``)."""
        assert self.cutoff_km is not None
        nb = _neighbors(data, self, cache)
        t = data[self.time].to_numpy() if self.time else None
        u = data[self.unit].to_numpy() if self.unit else None
        v = conley_vcov_from_fit(
            model,
            data[self.lat].to_numpy(dtype=float),
            data[self.lon].to_numpy(dtype=float),
            self.cutoff_km,
            time=t,
            unit=u,
            kernel=self.kernel,
            serial_lags=self.lags or 0,
            neighbors=nb,
        )
        return Covariance(v, None, None)

    def meat(
        self,
        scores: np.ndarray,
        data: pd.DataFrame,
        cache: MutableMapping[Any, Any] | None = None,
    ) -> np.ndarray | None:
        """Return the Conley meat of the scores (:func:`agglomeration.inference.conley_meat`)."""
        nb = _neighbors(data, self, cache) or spatial_neighbors(
            data[self.lat].to_numpy(dtype=float),
            data[self.lon].to_numpy(dtype=float),
            float(self.cutoff_km or 0.0),
        )
        return conley_meat(
            scores,
            nb,
            time=data[self.time].to_numpy() if self.time else None,
            unit=data[self.unit].to_numpy() if self.unit else None,
            kernel=self.kernel,
            cutoff_km=self.cutoff_km,
            serial_lags=self.lags or 0,
        )


@dataclass(frozen=True)
class Dyadic(Variance):
    """Dyadic-robust variance for regressions on pairs of units (Cameron & Miller 2014).

    Errors may be correlated for any two dyads that share a node (e.g. two cluster pairs that
    share a cluster); computed by :func:`agglomeration.inference.dyadic_vcov` from the model's
    scores and bread. For IV the meat is mapped as for the other variances.

    Attributes
    ----------
    node_a, node_b : str
        Columns holding the two nodes of each dyad.
    """

    node_a: str = "node_a"
    node_b: str = "node_b"
    type: ClassVar[str] = "dyadic"
    small_sample: ClassVar[str] = "G / (G - 1), G nodes; normal reference"

    def columns(self) -> tuple[str, ...]:
        """Return the two node columns."""
        return (self.node_a, self.node_b)

    @property
    def label(self) -> str:
        """Label ``dyadic(a, b)``."""
        return f"dyadic({self.node_a}, {self.node_b})"

    def describe(self) -> dict[str, Any]:
        """Return the structured fields; ``cluster`` names the node columns."""
        return {**super().describe(), "cluster": f"{self.node_a}+{self.node_b}"}

    def compute(
        self, model: FittedModel, data: pd.DataFrame, cache: MutableMapping[Any, Any] | None = None
    ) -> Covariance:
        """Return the dyadic-robust variance from the model's scores and bread."""
        scores = model.scores()
        a = model.meat_map()
        i, j = data[self.node_a].to_numpy(), data[self.node_b].to_numpy()
        if a is None:
            v = dyadic_vcov(scores, model.bread(), i, j)
        else:
            meat = a @ dyadic_meat(scores, i, j) @ a.T
            v = n_nodes(i, j) / (n_nodes(i, j) - 1.0) * (model.bread() @ meat @ model.bread())
        return Covariance(np.asarray(0.5 * (v + v.T)), n_nodes(i, j), None)


def _neighbors(
    data: pd.DataFrame, v: Conley, cache: MutableMapping[Any, Any] | None
) -> SpatialNeighbors | None:
    """Neighbour structure for ``v``: from the cache (largest cutoff requested) or None."""
    if cache is None:
        return None
    key = ("conley_neighbors", v.lat, v.lon)
    need = cache.get(("conley_max_cutoff", v.lat, v.lon), v.cutoff_km)
    nb = cache.get(key)
    if nb is None or nb.cutoff_km < float(need) or (
        v.kernel != "uniform" and nb.distance_km.size != nb.i.size
    ):
        nb = spatial_neighbors(
            data[v.lat].to_numpy(dtype=float), data[v.lon].to_numpy(dtype=float), float(need)
        )
        cache[key] = nb
    return nb


def standard_variances(
    *,
    unit: str,
    group: str,
    time: str,
    lat: str = "lat",
    lon: str = "lon",
    cutoffs_km: Sequence[float] = (50.0, 100.0, 250.0, 500.0),
    kernel: Kernel = "uniform",
    dk_lags: int | None = None,
) -> list[Variance]:
    """Return the paper's standard set of variance estimators for a unit-by-period panel.

    iid, heteroskedasticity-robust, cluster by unit, cluster by group (e.g. state), two-way by
    unit and period, Driscoll-Kraay, and Conley within period at each cutoff.

    Parameters
    ----------
    unit, group, time : str
        Columns of the panel unit (e.g. county), the higher-level group (state) and the period.
    lat, lon : str
        Coordinate columns.
    cutoffs_km : sequence of float
        Conley cutoffs.
    kernel : {"uniform", "bartlett"}
        Conley kernel.
    dk_lags : int, optional
        Driscoll-Kraay lags (``None``: Newey-West rule of thumb).

    Returns
    -------
    list of Variance

    Examples
    --------
    >>> from agglomeration import standard_variances
    >>> [v.label for v in standard_variances(unit="fips", group="state_fips", time="year",
    ...                                      cutoffs_km=(100,))]  # doctest: +NORMALIZE_WHITESPACE
    ['iid', 'hetero (HC1)', 'cluster(fips)', 'cluster(state_fips)', 'cluster(fips, year)',
     'driscoll-kraay(lags=auto)', 'conley(100 km, uniform)']
    """
    out: list[Variance] = [
        IID(),
        Hetero(),
        Cluster(cluster=(unit,)),
        Cluster(cluster=(group,)),
        Cluster(cluster=(unit, time)),
        DriscollKraay(time=time, unit=unit, lags=dk_lags),
    ]
    out += [
        Conley(cutoff_km=c, kernel=kernel, lat=lat, lon=lon, time=time) for c in cutoffs_km
    ]
    return out
