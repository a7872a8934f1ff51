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
defaults (``k_adj=True, k_fixef="nonnested", G_adj=True, G_df="min"``),

``k = slopes + sum of the levels of the fixed effects not nested in the clusters
+ 1 for each fixed effect nested in them - (number of fixed effects - 1)``

(a nested fixed effect counts one level, the one pyfixest adds back; all but one of the fixed
effects' constants are redundant). On Munnell's data (48 states, 17 years, 4 slopes) with state
and year effects and clusters by state: ``k = 4 + 17 + 1 - 1 = 21``; without clusters (HC1)
every level counts: ``k = 4 + 48 + 17 - 1 = 68``, the number of parameters of the dummy
regression. Both factors are tested in ``tests/test_estimation.py``.

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
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
import pandas as pd

from agglomeration.errors import SpecError

if TYPE_CHECKING:
    from agglomeration.estimation.engine import FittedModel

__all__ = [
    "Cluster",
    "Covariance",
    "DriscollKraay",
    "Hetero",
    "IID",
    "Variance",
    "newey_west_lags",
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
    >>> Variance.from_dict({"type": "cluster", "cluster": ["state"]}) == v  # a TOML table
    True
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


_BUILTIN = ("iid", "hetero", "cluster", "driscoll_kraay", "conley")
