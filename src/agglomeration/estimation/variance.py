r"""Variance estimators: one class per type, each with the same small interface.

Every variance type is a frozen dataclass deriving from :class:`Variance` with

- ``type``: its name in spec files (``[spec.variance] type = "..."``);
- ``small_sample``: the statement of the small-sample factor it applies;
- :meth:`Variance.columns`: the data columns it needs;
- :attr:`Variance.label`: a short human-readable label;
- :meth:`Variance.describe`: structured fields (type, clusters, cutoff, kernel, lags) that tables
  select on, so that no code parses a label;
- :meth:`Variance.compute`: the covariance from a fitted model
  (:class:`~agglomeration.estimation.engine.FittedModel`) and the estimation sample.

``Variance("cluster", cluster=["state"])`` builds the class registered for the type, so a new
estimator is one class: subclass :class:`Variance`, set ``type``, declare its fields, implement
``compute``.

Small-sample corrections (state them whenever standard errors are compared). With pyfixest's
defaults (``k_adj=True, k_fixef="nonnested", G_adj=True, G_df="min"``) and ``k`` the regressors
plus the fixed-effect levels not nested in a cluster, where a fixed effect nested in the cluster
counts one level (pyfixest adds one back for it; on Munnell's data with state effects and state
clusters this is the difference between ``k = 5`` and ``k = 4`` in the factor below):

- ``iid``: ``sigma² = e'e / (N - k)``;
- ``hetero``: HC0 times ``N / (N - k)`` (HC1), ``k`` counting every fixed-effect level;
- ``cluster``: CRV1, ``G/(G - 1) (N - 1)/(N - k)``; two-way uses ``G = min(G1, G2)`` in all
  three terms;
- ``driscoll_kraay``: ``T/(T - 1) (N - 1)/(N - k)`` with ``T`` periods, Bartlett lags;
- ``conley``: ``N / (N - k)``, the ``hetero`` factor, so that a cutoff below the smallest
  distance reproduces ``hetero`` exactly. Conley p-values and intervals use the normal
  distribution; the others use the t distribution with the engine's degrees of freedom (normal
  for Poisson).
"""

from __future__ import annotations

import builtins
from abc import ABCMeta, abstractmethod
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
import pandas as pd

from agglomeration.errors import SpecError
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

__all__ = [
    "Cluster",
    "Conley",
    "Covariance",
    "DriscollKraay",
    "Dyadic",
    "Hetero",
    "IID",
    "Variance",
    "standard_variances",
]

Kernel = Literal["uniform", "bartlett"]
_KERNELS = ("uniform", "bartlett")
# The flat form every built-in variance had in the first release (kept for stable spec ids).
_LEGACY_DEFAULTS: dict[str, Any] = {
    "cluster": [],
    "cutoff_km": None,
    "kernel": "uniform",
    "lat": "lat",
    "lon": "lon",
    "time": None,
    "unit": None,
    "lags": None,
}


@dataclass(frozen=True)
class Covariance:
    """A covariance matrix with what inference on it needs.

    Attributes
    ----------
    vcov : numpy.ndarray
        ``k x k`` covariance of the coefficients (engine order).
    n_clusters : int or None
        Clusters (two-way: the smaller count), periods for Driscoll-Kraay, else None.
    df : float or None
        Degrees of freedom of the t reference distribution; None for the standard normal.
    """

    vcov: np.ndarray
    n_clusters: int | None
    df: float | None


class _VarianceMeta(ABCMeta):
    """``Variance(type, **fields)`` builds the subclass registered for ``type``."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        if cls is Variance:
            if args:
                vtype, args = args[0], args[1:]
            else:
                vtype = kwargs.pop("type", "hetero")
            return Variance.from_dict({"type": vtype, **kwargs}) if not args else _bad_args(args)
        return super().__call__(*args, **kwargs)


def _bad_args(args: tuple[Any, ...]) -> Any:
    raise SpecError(f"Variance takes the type and keyword fields only; got extra {args!r}.")


def _names(value: Any, name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    out = tuple(value)
    if not all(isinstance(v, str) and v for v in out):
        raise SpecError(f"variance.{name} must be a list of column names, got {value!r}.")
    return out


def _check_lags(lags: Any) -> None:
    if lags is None:
        return
    if isinstance(lags, bool) or int(lags) != lags or lags < 0:
        raise SpecError(f"variance.lags must be a non-negative integer, got {lags!r}.")


class Variance(metaclass=_VarianceMeta):
    """Base of every variance estimator; ``Variance(type, **fields)`` builds the right one.

    Examples
    --------
    ``Variance(type, **fields)`` builds the class registered for the type, as a TOML
    ``[spec.variance]`` table would:

    >>> from agglomeration import Variance
    >>> v = Variance("cluster", cluster=["state"])
    >>> v, v.label
    (Cluster(cluster=('state',)), 'cluster(state)')
    >>> Variance("conley", cutoff_km=100, time="year").label
    'conley(100 km, uniform)'
    >>> sorted(Variance.types())
    ['cluster', 'conley', 'driscoll_kraay', 'hetero', 'iid']
    """

    type: ClassVar[str]
    small_sample: ClassVar[str]
    _types: ClassVar[dict[str, builtins.type[Variance]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        t = cls.__dict__.get("type")
        if isinstance(t, str):
            Variance._types[t] = cls

    # -- construction and canonical form -------------------------------------------------------
    @classmethod
    def types(cls) -> tuple[str, ...]:
        """Return the registered variance types."""
        return tuple(sorted(Variance._types))

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Variance:
        """Build the variance of type ``d["type"]`` from its fields (e.g. a TOML table)."""
        vtype = d.get("type", "hetero")
        sub = Variance._types.get(vtype)
        if sub is None:
            raise SpecError(
                f"unknown variance type {vtype!r}; choose one of {list(Variance.types())}."
            )
        own = {f.name for f in fields(sub)}  # type: ignore[arg-type]
        kw = {k: v for k, v in d.items() if k != "type"}
        # fields of the first release's flat form are accepted at their defaults
        extra = {
            k: v
            for k, v in kw.items()
            if k not in own and not (k in _LEGACY_DEFAULTS and v in (_LEGACY_DEFAULTS[k], ()))
        }
        if extra:
            raise SpecError(
                f"variance type {vtype!r} does not use {sorted(extra)}; its fields are "
                f"{sorted(own)}."
            )
        return sub(**{k: v for k, v in kw.items() if k in own})

    def to_dict(self) -> dict[str, Any]:
        """Canonical plain-dict form (part of the spec id)."""
        own = {f.name: getattr(self, f.name) for f in fields(self)}  # type: ignore[arg-type]
        plain = {k: list(v) if isinstance(v, tuple) else v for k, v in own.items()}
        if self.type in _BUILTIN:
            return {"type": self.type, **_LEGACY_DEFAULTS, **plain}
        return {"type": self.type, **plain}

    # -- the interface -------------------------------------------------------------------------
    def columns(self) -> tuple[str, ...]:
        """Return the data columns this variance needs (beyond the model's)."""
        return ()

    @property
    @abstractmethod
    def label(self) -> str:
        """Short human-readable label, e.g. ``cluster(state)`` or ``conley(100 km, uniform)``."""

    def describe(self) -> dict[str, Any]:
        """Return structured fields for tables and registries.

        Keys: ``variance_type``, ``cluster`` (clusters joined by ``+``, or empty),
        ``cutoff_km``, ``kernel``, ``lags`` (NaN/empty where they do not apply).
        """
        return {
            "variance_type": self.type,
            "cluster": "",
            "cutoff_km": np.nan,
            "kernel": "",
            "lags": np.nan,
        }

    def meat(
        self,
        scores: np.ndarray,
        data: pd.DataFrame,
        cache: MutableMapping[Any, Any] | None = None,
    ) -> np.ndarray | None:
        """Return the meat ``sum s s'`` this variance puts on score contributions, if it has one.

        Used for statistics beyond the coefficients' variance, such as the robust weight
        matrix of an over-identification test. ``None`` (the default) means this variance does
        not define one.
        """
        return None

    @abstractmethod
    def compute(
        self,
        model: FittedModel,
        data: pd.DataFrame,
        cache: MutableMapping[Any, Any] | None = None,
    ) -> Covariance:
        """Return the covariance of the coefficients of ``model`` fitted on ``data``.

        ``cache`` lets several variances of one fit share work (e.g. one neighbour search
        for Conley variances at several cutoffs).
        """


@dataclass(frozen=True)
class IID(Variance):
    """Homoskedastic (classical) variance ``sigma² (X'X)^-1``."""

    type: ClassVar[str] = "iid"
    small_sample: ClassVar[str] = "sigma^2 = e'e / (N - k)"

    @property
    def label(self) -> str:
        """Label ``iid``."""
        return "iid"

    def compute(
        self, model: FittedModel, data: pd.DataFrame, cache: MutableMapping[Any, Any] | None = None
    ) -> Covariance:
        """Return the engine's iid variance."""
        v, _, df = model.engine_vcov("iid")
        return Covariance(v, None, df)


@dataclass(frozen=True)
class Hetero(Variance):
    """Heteroskedasticity-robust (Eicker-Huber-White) variance, HC1."""

    type: ClassVar[str] = "hetero"
    small_sample: ClassVar[str] = "HC0 x N / (N - k)"

    @property
    def label(self) -> str:
        """Label ``hetero (HC1)``."""
        return "hetero (HC1)"

    def compute(
        self, model: FittedModel, data: pd.DataFrame, cache: MutableMapping[Any, Any] | None = None
    ) -> Covariance:
        """Return the engine's HC1 variance."""
        v, _, df = model.engine_vcov("hetero")
        return Covariance(v, None, df)

    def meat(
        self,
        scores: np.ndarray,
        data: pd.DataFrame,
        cache: MutableMapping[Any, Any] | None = None,
    ) -> np.ndarray | None:
        """Return ``sum_i s_i s_i'``."""
        return np.asarray(scores.T @ scores)


@dataclass(frozen=True)
class Cluster(Variance):
    """Cluster-robust variance (CRV1), one-way or two-way (Cameron, Gelbach & Miller 2011).

    Attributes
    ----------
    cluster : tuple of str
        One cluster column, or two for two-way clustering.
    """

    cluster: tuple[str, ...] = ()
    type: ClassVar[str] = "cluster"
    small_sample: ClassVar[str] = "G/(G - 1) (N - 1)/(N - k); two-way: G = min(G1, G2)"

    def __post_init__(self) -> None:
        object.__setattr__(self, "cluster", _names(self.cluster, "cluster"))
        if len(self.cluster) not in (1, 2):
            raise SpecError(
                f"variance type 'cluster' needs one or two cluster columns, got {self.cluster!r}; "
                "set cluster = ['state'] (or two columns for two-way clustering)."
            )

    def columns(self) -> tuple[str, ...]:
        """Return the cluster columns."""
        return self.cluster

    @property
    def label(self) -> str:
        """Label ``cluster(a[, b])``."""
        return f"cluster({', '.join(self.cluster)})"

    def describe(self) -> dict[str, Any]:
        """Return the structured fields; ``cluster`` joins the columns with ``+``."""
        return {**super().describe(), "cluster": "+".join(self.cluster)}

    def compute(
        self, model: FittedModel, data: pd.DataFrame, cache: MutableMapping[Any, Any] | None = None
    ) -> Covariance:
        """Return the engine's CRV1 variance; ``n_clusters`` is the smaller count for two-way."""
        v, g, df = model.engine_vcov("cluster", cluster=self.cluster)
        return Covariance(v, g, df)

    def meat(
        self,
        scores: np.ndarray,
        data: pd.DataFrame,
        cache: MutableMapping[Any, Any] | None = None,
    ) -> np.ndarray | None:
        """Return ``sum_g S_g S_g'`` with ``S_g`` the scores summed in cluster ``g`` (one-way)."""
        if len(self.cluster) != 1:
            return None
        codes = pd.factorize(data[self.cluster[0]])[0]
        sums = np.zeros((int(codes.max()) + 1, scores.shape[1]))
        np.add.at(sums, codes, scores)
        return np.asarray(sums.T @ sums)


def newey_west_lags(n_periods: int) -> int:
    """Newey & West (1994) rule of thumb ``floor(4 (T/100)^(2/9))``."""
    return int(np.floor(4 * (n_periods / 100.0) ** (2.0 / 9.0)))


@dataclass(frozen=True)
class DriscollKraay(Variance):
    """Driscoll & Kraay (1998) variance: Newey-West over periods of cross-sectional score sums.

    Attributes
    ----------
    time, unit : str
        Period and panel-unit columns.
    lags : int, optional
        Bartlett lags (None: :func:`newey_west_lags` of the number of periods).
    """

    time: str | None = None
    unit: str | None = None
    lags: int | None = None
    type: ClassVar[str] = "driscoll_kraay"
    small_sample: ClassVar[str] = "T/(T - 1) (N - 1)/(N - k), T periods"

    def __post_init__(self) -> None:
        if self.time is None or self.unit is None:
            raise SpecError(
                "driscoll_kraay needs time and unit columns, e.g. time = 'year', unit = 'county'."
            )
        _check_lags(self.lags)

    def columns(self) -> tuple[str, ...]:
        """Return the time and unit columns."""
        return tuple(dict.fromkeys(c for c in (self.time, self.unit) if c is not None))

    @property
    def label(self) -> str:
        """Label ``driscoll-kraay(lags=...)``."""
        lag = "auto" if self.lags is None else str(self.lags)
        return f"driscoll-kraay(lags={lag})"

    def describe(self) -> dict[str, Any]:
        """Return the structured fields; ``lags`` NaN means the Newey-West rule."""
        return {**super().describe(), "lags": np.nan if self.lags is None else self.lags}

    def compute(
        self, model: FittedModel, data: pd.DataFrame, cache: MutableMapping[Any, Any] | None = None
    ) -> Covariance:
        """Return the engine's Driscoll-Kraay variance on integer period and unit codes."""
        assert self.time is not None and self.unit is not None
        # integer codes: the engine needs numeric ids, periods in sorted order
        tcodes = pd.factorize(data[self.time], sort=True)[0]
        ucodes = pd.factorize(data[self.unit], sort=True)[0]
        n_periods = int(tcodes.max()) + 1
        lags = newey_west_lags(n_periods) if self.lags is None else int(self.lags)
        v, _, df = model.engine_vcov("driscoll_kraay", time=tcodes, unit=ucodes, lags=lags)
        return Covariance(v, n_periods, df)


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


_BUILTIN = ("iid", "hetero", "cluster", "driscoll_kraay", "conley")


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
