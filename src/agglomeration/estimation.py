"""Declarative specifications and tidy estimation (OLS, Poisson, IV with fixed effects).

A :class:`Spec` says what is estimated (outcome, regressors, fixed effects, sample, estimator)
and how its variance is computed (:class:`Variance`); :func:`estimate` runs it with pyfixest as
the engine and returns an :class:`EstimationResult` whose ``table`` has one row per term (estimate,
standard error, t, p, 95% interval, N, clusters, fixed effects, variance label) and whose
``dropped`` frame says which rows were removed and why. :func:`compare_variances` fits a spec once
and reports the key term under several variance estimators, as in the paper's table of standard
errors of the county baseline. Conley (1999) spatial HAC variances, which pyfixest lacks, come
from :mod:`agglomeration.inference`.

Spec files (TOML)
-----------------
Specs live in ``analysis/specs/*.toml``. A file holds one ``[spec]`` table or several ``[[spec]]``
tables::

    [spec]
    name = "county_baseline"            # label; not part of the id
    data = "county"                     # optional: which panel the analysis step loads
    outcome = "log_pay_per_emp"
    regressors = ["log_density"]
    fixed_effects = ["state^year"]      # "a^b" is the interaction of a and b
    estimator = "ols"                   # "ols" | "poisson" | "iv"
    sample = "year >= 2001"             # optional pandas query string
    # endogenous = ["log_density"]      # iv only: endogenous regressors
    # instruments = ["log_density_2001"]  # iv only: excluded instruments
    [spec.variance]
    type = "cluster"                    # iid | hetero | cluster | driscoll_kraay | conley
    cluster = ["state"]                 # one column, or two for two-way clustering
    # driscoll_kraay: unit = "county", time = "year", lags = 2
    # conley: cutoff_km = 100, kernel = "uniform" | "bartlett", lat = "lat", lon = "lon",
    #         time = "year" (spatial correlation within a period), unit + lags (serial part)

``Spec.id`` is the first 12 hex digits of the SHA-256 of the canonical JSON of every field except
``name`` (sorted keys, lists for tuples, floats for cutoffs), so equal specifications get equal
ids in any session.

Small-sample corrections (state them whenever standard errors are compared)
---------------------------------------------------------------------------
pyfixest's defaults (``pf.ssc()``: ``k_adj=True, k_fixef="nonnested", G_adj=True,
G_df="min"``), with ``k`` the regressors plus the fixed-effect levels not nested in a cluster:

- ``iid``: ``sigma² = e'e / (N - 1)`` times ``(N - 1)/(N - k)``, i.e. ``e'e / (N - k)``;
- ``hetero``: HC0 times ``N / (N - k)`` (HC1);
- ``cluster``: CRV1, ``G/(G - 1) (N - 1)/(N - k)``; two-way uses ``G = min(G1, G2)`` in all
  three terms;
- ``driscoll_kraay``: ``T/(T - 1) (N - 1)/(N - k)`` with ``T`` periods, Bartlett lags;
- ``conley``: ``N / (N - k)``, the ``hetero`` factor, so that a cutoff below the smallest
  distance reproduces ``hetero`` exactly. Conley p-values and intervals use the normal
  distribution (the ``df`` column is empty); the others use pyfixest's t distribution (normal for
  Poisson).
"""

from __future__ import annotations

import hashlib
import json
import tomllib
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from agglomeration.inference import SpatialNeighbors, conley_vcov_from_fit, spatial_neighbors
from agglomeration.inference.conley import _pyfixest_hetero_ssc

__all__ = [
    "EstimationResult",
    "Spec",
    "Variance",
    "compare_variances",
    "estimate",
    "load_specs",
    "standard_variances",
]

Estimator = Literal["ols", "poisson", "iv"]
VarianceType = Literal["iid", "hetero", "cluster", "driscoll_kraay", "conley"]
_ESTIMATORS = ("ols", "poisson", "iv")
_VARIANCE_TYPES = ("iid", "hetero", "cluster", "driscoll_kraay", "conley")
_KERNELS = ("uniform", "bartlett")


def _tuple_of_str(value: Any, name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    out = tuple(value)
    if not all(isinstance(v, str) and v for v in out):
        raise ValueError(f"{name} must be a list of column names, got {value!r}.")
    return out


@dataclass(frozen=True)
class Variance:
    """How the variance of the estimates is computed.

    Attributes
    ----------
    type : {"iid", "hetero", "cluster", "driscoll_kraay", "conley"}
        Estimator of the variance (see the module docstring for the small-sample factors).
    cluster : tuple of str
        Cluster column(s) for ``cluster``: one, or two for two-way clustering.
    cutoff_km : float, optional
        Conley distance cutoff in km (strictly positive).
    kernel : {"uniform", "bartlett"}
        Conley spatial kernel.
    lat, lon : str
        Coordinate columns for ``conley``.
    time : str, optional
        Period column: Driscoll-Kraay time index; for ``conley``, spatial correlation is allowed
        only within a period (``None`` treats the sample as one cross-section).
    unit : str, optional
        Panel unit: Driscoll-Kraay panel index; for ``conley`` the unit of the serial part
        (defaults to the location).
    lags : int, optional
        Driscoll-Kraay Bartlett lags (``None``: ``floor(4 (T/100)^(2/9))``, Newey-West 1994);
        Conley serial lags within a unit (``None`` or 0: none; Hsiang 2010).
    """

    type: VarianceType = "hetero"
    cluster: tuple[str, ...] = ()
    cutoff_km: float | None = None
    kernel: Literal["uniform", "bartlett"] = "uniform"
    lat: str = "lat"
    lon: str = "lon"
    time: str | None = None
    unit: str | None = None
    lags: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "cluster", _tuple_of_str(self.cluster, "variance.cluster"))
        if self.type not in _VARIANCE_TYPES:
            raise ValueError(f"variance type must be one of {_VARIANCE_TYPES}, got {self.type!r}.")
        if self.type == "cluster" and len(self.cluster) not in (1, 2):
            raise ValueError(
                f"variance type 'cluster' needs one or two cluster columns, got {self.cluster!r}; "
                "set cluster = ['state'] (or two columns for two-way clustering)."
            )
        if self.type != "cluster" and self.cluster:
            raise ValueError(f"cluster={self.cluster!r} is only used with type 'cluster'.")
        if self.type == "conley":
            c = self.cutoff_km
            if c is None or isinstance(c, bool) or not np.isfinite(float(c)) or float(c) <= 0:
                raise ValueError(
                    f"conley variance needs a positive cutoff_km, got {c!r}; e.g. cutoff_km = 100."
                )
            object.__setattr__(self, "cutoff_km", float(c))
            if self.kernel not in _KERNELS:
                raise ValueError(f"kernel must be one of {_KERNELS}, got {self.kernel!r}.")
        elif self.cutoff_km is not None:
            raise ValueError(f"cutoff_km={self.cutoff_km!r} is only used with type 'conley'.")
        if self.type == "driscoll_kraay" and (self.time is None or self.unit is None):
            raise ValueError(
                "driscoll_kraay needs time and unit columns, e.g. time='year', unit='county'."
            )
        if self.lags is not None and (int(self.lags) != self.lags or self.lags < 0):
            raise ValueError(f"lags must be a non-negative integer, got {self.lags!r}.")
        if self.type == "conley" and self.lags and self.time is None:
            raise ValueError("conley with serial lags needs the time column (time='year').")

    @property
    def label(self) -> str:
        """Short human-readable label, e.g. ``cluster(state)`` or ``conley(100 km, uniform)``."""
        if self.type == "iid":
            return "iid"
        if self.type == "hetero":
            return "hetero (HC1)"
        if self.type == "cluster":
            return f"cluster({', '.join(self.cluster)})"
        if self.type == "driscoll_kraay":
            lag = "auto" if self.lags is None else str(self.lags)
            return f"driscoll-kraay(lags={lag})"
        cut = f"{self.cutoff_km:g} km"
        serial = f", serial lags {self.lags}" if self.lags else ""
        return f"conley({cut}, {self.kernel}{serial})"

    def columns(self) -> tuple[str, ...]:
        """Return the data columns this variance needs."""
        cols: list[str] = list(self.cluster)
        if self.type == "conley":
            cols += [self.lat, self.lon]
        cols += [c for c in (self.time, self.unit) if c is not None]
        return tuple(dict.fromkeys(cols))


@dataclass(frozen=True)
class Spec:
    """One estimating equation: what is estimated, on which sample, with which variance.

    Attributes
    ----------
    outcome : str
        Dependent variable.
    regressors : tuple of str
        Exogenous regressors (for IV: the included exogenous ones, may be empty).
    fixed_effects : tuple of str
        Fixed effects, each a column or an interaction ``"a^b"``.
    estimator : {"ols", "poisson", "iv"}
        OLS (``pyfixest.feols``), Poisson pseudo-ML (``pyfixest.fepois``), or 2SLS.
    endogenous, instruments : tuple of str
        IV only: endogenous regressors and excluded instruments.
    sample : str, optional
        pandas ``DataFrame.query`` string selecting the sample.
    variance : Variance
        Variance estimator.
    data : str, optional
        Name of the data set the spec runs on (e.g. ``"county"`` for the county panel); used by
        the analysis steps to pick the panel, part of :attr:`id`.
    name : str
        Label (not part of :attr:`id`).
    """

    outcome: str
    regressors: tuple[str, ...] = ()
    fixed_effects: tuple[str, ...] = ()
    estimator: Estimator = "ols"
    endogenous: tuple[str, ...] = ()
    instruments: tuple[str, ...] = ()
    sample: str | None = None
    variance: Variance = field(default_factory=Variance)
    data: str | None = None
    name: str = ""

    def __post_init__(self) -> None:
        for f in ("regressors", "fixed_effects", "endogenous", "instruments"):
            object.__setattr__(self, f, _tuple_of_str(getattr(self, f), f))
        if isinstance(self.variance, Mapping):
            object.__setattr__(self, "variance", Variance(**_variance_kwargs(self.variance)))
        if not isinstance(self.outcome, str) or not self.outcome:
            raise ValueError(f"outcome must be a column name, got {self.outcome!r}.")
        if self.estimator not in _ESTIMATORS:
            raise ValueError(f"estimator must be one of {_ESTIMATORS}, got {self.estimator!r}.")
        if self.estimator == "iv":
            if not self.endogenous or len(self.instruments) < len(self.endogenous):
                raise ValueError(
                    f"iv needs endogenous regressors and at least as many instruments; got "
                    f"endogenous={self.endogenous!r}, instruments={self.instruments!r}."
                )
        elif self.endogenous or self.instruments:
            raise ValueError("endogenous/instruments are only used with estimator 'iv'.")
        if not self.regressors and not self.endogenous:
            raise ValueError("regressors is empty: name at least one regressor.")
        for col in self.model_columns():
            if not col.isidentifier():
                raise ValueError(
                    f"column name {col!r} cannot be used in a formula; rename it to an identifier "
                    "(letters, digits, underscores)."
                )

    # -- canonical form ----------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form (lists for tuples), as written in TOML."""
        out: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, Variance):
                v = {g.name: _plain(getattr(v, g.name)) for g in fields(v)}
            out[f.name] = _plain(v)
        return out

    def canonical_json(self) -> str:
        """Canonical JSON of every field but ``name``: sorted keys, no whitespace."""
        d = self.to_dict()
        d.pop("name")
        return json.dumps(d, sort_keys=True, separators=(",", ":"), ensure_ascii=True)

    @property
    def id(self) -> str:
        """First 12 hex digits of the SHA-256 of :meth:`canonical_json`."""
        return hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()[:12]

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Spec:
        """Build a spec from a mapping (e.g. a parsed TOML ``[spec]`` table)."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"unknown spec field(s) {unknown}; allowed: {sorted(known)}.")
        kw = dict(d)
        if "variance" in kw and isinstance(kw["variance"], Mapping):
            kw["variance"] = Variance(**_variance_kwargs(kw["variance"]))
        return cls(**kw)

    def with_variance(self, variance: Variance) -> Spec:
        """Return the same spec with another variance estimator."""
        return replace(self, variance=variance)

    def fe_columns(self) -> tuple[str, ...]:
        """Columns used by the fixed effects (interactions split)."""
        return tuple(dict.fromkeys(c for fe in self.fixed_effects for c in fe.split("^")))

    def model_columns(self) -> tuple[str, ...]:
        """Columns used by the model (outcome, regressors, instruments, fixed effects)."""
        cols = (self.outcome, *self.regressors, *self.endogenous, *self.instruments)
        return tuple(dict.fromkeys((*cols, *self.fe_columns())))

    def formula(self) -> str:
        """Return the pyfixest formula ``y ~ x | fe | endog ~ instr``."""
        rhs = " + ".join(self.regressors) if self.regressors else "1"
        parts = [f"{self.outcome} ~ {rhs}"]
        if self.fixed_effects:
            parts.append(" + ".join(self.fixed_effects))
        if self.estimator == "iv":
            parts.append(f"{' + '.join(self.endogenous)} ~ {' + '.join(self.instruments)}")
        return " | ".join(parts)

    @property
    def terms(self) -> tuple[str, ...]:
        """Coefficients reported, in order (endogenous first for IV)."""
        return (*self.endogenous, *self.regressors)


def _plain(v: Any) -> Any:
    if isinstance(v, tuple):
        return [_plain(x) for x in v]
    if isinstance(v, np.generic):
        return v.item()
    return v


def _variance_kwargs(d: Mapping[str, Any]) -> dict[str, Any]:
    known = {f.name for f in fields(Variance)}
    unknown = sorted(set(d) - known)
    if unknown:
        raise ValueError(f"unknown variance field(s) {unknown}; allowed: {sorted(known)}.")
    return dict(d)


def load_specs(path: str | Path) -> list[Spec]:
    """Read specs from a TOML file, or from every ``*.toml`` in a folder (sorted by name).

    Parameters
    ----------
    path : str or pathlib.Path
        A ``.toml`` file with a ``[spec]`` table or ``[[spec]]`` array, or a folder of them.

    Returns
    -------
    list of Spec
        In file order.

    Raises
    ------
    ValueError
        If a file has no ``spec`` table or a spec is invalid (the message names the file).
    """
    p = Path(path)
    files = sorted(p.glob("*.toml")) if p.is_dir() else [p]
    if not files:
        raise ValueError(f"no *.toml spec files in {p}.")
    specs: list[Spec] = []
    for f in files:
        with f.open("rb") as fh:
            doc = tomllib.load(fh)
        raw = doc.get("spec")
        if raw is None:
            raise ValueError(f"{f}: no [spec] table; see agglomeration.estimation for the format.")
        tables = [raw] if isinstance(raw, Mapping) else list(raw)
        for t in tables:
            try:
                specs.append(Spec.from_dict(t))
            except (TypeError, ValueError) as e:
                raise ValueError(f"{f}: invalid spec {t.get('name', '')!r}: {e}") from e
    return specs


@dataclass(frozen=True)
class EstimationResult:
    """Tidy result of :func:`estimate`.

    Attributes
    ----------
    spec : Spec
        What was estimated.
    table : pandas.DataFrame
        One row per term: ``spec_id, spec_name, term, estimate, std_error, t_stat, p_value,
        ci_low, ci_high, df, n_obs, n_clusters, fixed_effects, variance, estimator``.
    vcov : pandas.DataFrame
        Variance matrix of the reported terms.
    n_obs : int
        Estimation sample size.
    n_clusters : int or None
        Clusters (two-way: the smaller count, which sets the correction), periods for
        Driscoll-Kraay, ``None`` otherwise.
    dropped : pandas.DataFrame
        ``reason, n_rows``: rows removed between the input and the estimation sample, in order.
    collinear : tuple of str
        Regressors dropped by the engine as collinear (with each other or the fixed effects).
    sample_index : pandas.Index
        Index labels of the estimation sample in the input frame.
    variance_label : str
        :attr:`Variance.label`.
    fit : object
        The pyfixest model (for further inference); not compared or printed.
    """

    spec: Spec
    table: pd.DataFrame
    vcov: pd.DataFrame
    n_obs: int
    n_clusters: int | None
    dropped: pd.DataFrame
    collinear: tuple[str, ...]
    sample_index: pd.Index
    variance_label: str
    fit: Any = field(repr=False, compare=False)


@dataclass(frozen=True)
class _Prepared:
    data: pd.DataFrame
    dropped: list[tuple[str, int]]


def _check_columns(data: pd.DataFrame, cols: Iterable[str], what: str) -> None:
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise ValueError(
            f"{what} names column(s) {missing} that are not in the data; available columns: "
            f"{list(map(str, data.columns))}."
        )


def _group_codes(data: pd.DataFrame, fe: str) -> np.ndarray:
    cols = fe.split("^")
    if len(cols) == 1:
        return pd.factorize(data[cols[0]])[0]
    return data.groupby(cols, sort=False, dropna=False).ngroup().to_numpy()


def _prepare(spec: Spec, data: pd.DataFrame, variance_columns: Sequence[str]) -> _Prepared:
    """Apply the sample filter and drop missing values, singletons and all-zero Poisson groups."""
    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"data must be a pandas DataFrame, got {type(data).__name__}.")
    _check_columns(data, spec.model_columns(), f"spec {spec.name or spec.id}")
    _check_columns(data, variance_columns, f"variance of spec {spec.name or spec.id}")
    dropped: list[tuple[str, int]] = []
    d = data
    if spec.sample:
        try:
            d = data.query(spec.sample)
        except Exception as e:  # pandas raises several types for a bad query
            raise ValueError(
                f"sample filter {spec.sample!r} failed on the data: {e}; check the column names."
            ) from e
        if len(d) < len(data):
            dropped.append((f"outside sample ({spec.sample})", len(data) - len(d)))
    # Rows without coordinates are an error for Conley, not a silent drop.
    vcols = list(dict.fromkeys(variance_columns))
    coord_cols = [c for c in vcols if c in _coordinate_columns(spec)]
    if coord_cols:
        n_bad = int(d[coord_cols].isna().any(axis=1).sum())
        if n_bad:
            raise ValueError(
                f"{n_bad} rows of the sample have no coordinates ({', '.join(coord_cols)}); "
                "geocode them or exclude them with the spec's sample filter."
            )
    for col in (*spec.model_columns(), *vcols):
        miss = d[col].isna().to_numpy().copy()
        if d[col].dtype.kind == "f":
            miss |= ~np.isfinite(d[col].to_numpy())
        if miss.any():
            dropped.append((f"missing or non-finite {col}", int(miss.sum())))
            d = d.loc[~miss]
    if spec.estimator == "poisson":
        n_neg = int((d[spec.outcome] < 0).sum())
        if n_neg:
            raise ValueError(
                f"poisson outcome {spec.outcome!r} has {n_neg} negative values; "
                "Poisson needs counts (>= 0)."
            )
    if spec.fixed_effects:
        while True:
            changed = False
            for fe in spec.fixed_effects:
                codes = _group_codes(d, fe)
                counts = np.bincount(codes)
                single = counts[codes] == 1
                if single.any():
                    dropped.append((f"singleton in fixed effect {fe}", int(single.sum())))
                    d = d.loc[~single]
                    changed = True
                if spec.estimator == "poisson" and len(d):
                    codes = _group_codes(d, fe)
                    ysum = np.bincount(codes, weights=d[spec.outcome].to_numpy(dtype=float))
                    zero = ysum[codes] == 0
                    if zero.any():
                        dropped.append((f"all-zero outcome in fixed effect {fe}", int(zero.sum())))
                        d = d.loc[~zero]
                        changed = True
            if not changed:
                break
    if len(d) == 0:
        raise ValueError(
            f"no rows left to estimate spec {spec.name or spec.id}; dropped: {dropped}."
        )
    return _Prepared(d, dropped)


def _coordinate_columns(spec: Spec) -> tuple[str, ...]:
    v = spec.variance
    return (v.lat, v.lon) if v.type == "conley" else ()


def _fit(spec: Spec, prep: _Prepared) -> Any:
    import pyfixest as pf

    d = prep.data
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*multicollinearity.*")
        if spec.estimator == "poisson":
            fit = pf.fepois(spec.formula(), d, vcov="hetero", fixef_rm="singleton")
        else:
            fit = pf.feols(spec.formula(), d, vcov="hetero", fixef_rm="singleton")
    if len(d) != fit._N:
        raise ValueError(
            f"pyfixest dropped {len(d) - fit._N} rows beyond those reported (e.g. Poisson "
            "separation by a regressor); inspect the data for spec "
            f"{spec.name or spec.id}."
        )
    return fit


def _dk_lags(n_periods: int) -> int:
    return int(np.floor(4 * (n_periods / 100.0) ** (2.0 / 9.0)))


def _apply_variance(
    spec: Spec,
    fit: Any,
    prep: _Prepared,
    v: Variance,
    neighbors: SpatialNeighbors | None = None,
) -> tuple[np.ndarray, np.ndarray, int | None, float | None]:
    """Return (coef, vcov, n_clusters, df) for variance ``v``; df None means normal."""
    d = prep.data
    coef = fit.coef().to_numpy()
    is_pois = spec.estimator == "poisson"
    if v.type == "conley":
        assert v.cutoff_km is not None
        t = d[v.time].to_numpy() if v.time else None
        u = d[v.unit].to_numpy() if v.unit else None
        vc = conley_vcov_from_fit(
            fit,
            d[v.lat].to_numpy(dtype=float),
            d[v.lon].to_numpy(dtype=float),
            v.cutoff_km,
            time=t,
            unit=u,
            kernel=v.kernel,
            serial_lags=v.lags or 0,
            ssc=_pyfixest_hetero_ssc(fit),
            neighbors=neighbors,
        )
        return coef, vc, None, None
    n_clusters: int | None = None
    if v.type in ("iid", "hetero"):
        fit.vcov(v.type)
    elif v.type == "cluster":
        fit.vcov({"CRV1": "+".join(v.cluster)})
        n_clusters = int(np.min(fit._G))
    else:
        assert v.time is not None and v.unit is not None
        # pyfixest's DK needs numeric ids: integer codes, time in sorted order.
        tcodes = pd.factorize(d[v.time], sort=True)[0]
        ucodes = pd.factorize(d[v.unit], sort=True)[0]
        n_periods = int(tcodes.max()) + 1
        lags = _dk_lags(n_periods) if v.lags is None else int(v.lags)
        fit._data = fit._data.assign(__time__=tcodes, __unit__=ucodes)
        fit.vcov("DK", vcov_kwargs={"time_id": "__time__", "panel_id": "__unit__", "lag": lags})
        n_clusters = n_periods
    df = None if is_pois else float(fit._df_t)
    return coef, np.asarray(fit._vcov), n_clusters, df


def _tidy(
    spec: Spec,
    fit: Any,
    v: Variance,
    coef: np.ndarray,
    vc: np.ndarray,
    n_clusters: int | None,
    df: float | None,
) -> pd.DataFrame:
    names = list(fit._coefnames)
    diag = np.diag(vc)
    if (diag < 0).any():
        bad = [n for n, d in zip(names, diag, strict=True) if d < 0]
        warnings.warn(
            f"{v.label}: negative variance for {bad} (the multiway cluster variance is not "
            "positive semi-definite in this sample); standard errors set to NaN.",
            RuntimeWarning,
            stacklevel=3,
        )
    se = np.sqrt(np.where(diag < 0, np.nan, diag))
    t = coef / se
    if df is None:
        p = 2 * stats.norm.sf(np.abs(t))
        q = stats.norm.ppf(0.975)
    else:
        p = 2 * stats.t.sf(np.abs(t), df)
        q = stats.t.ppf(0.975, df)
    return pd.DataFrame(
        {
            "spec_id": spec.id,
            "spec_name": spec.name,
            "term": names,
            "estimate": coef,
            "std_error": se,
            "t_stat": t,
            "p_value": p,
            "ci_low": coef - q * se,
            "ci_high": coef + q * se,
            "df": np.nan if df is None else df,
            "n_obs": int(fit._N),
            "n_clusters": pd.array([n_clusters] * len(names), dtype="Int64"),
            "fixed_effects": " + ".join(spec.fixed_effects),
            "variance": v.label,
            "estimator": spec.estimator,
        }
    )


def _dropped_frame(rows: list[tuple[str, int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["reason", "n_rows"]).astype({"n_rows": "int64"})


def estimate(spec: Spec, data: pd.DataFrame) -> EstimationResult:
    """Estimate a spec on a data frame and return a tidy result.

    Steps, each reported in ``result.dropped``: the sample filter; rows with a missing value in
    any column the spec uses; then, repeated until nothing changes, singleton groups of every
    fixed effect (they carry no within-group information and bias clustered variances) and, for
    Poisson, fixed-effect groups whose outcome is all zero (their effect is -inf and they add
    nothing to the likelihood of the other coefficients). pyfixest (``feols`` / ``fepois``) then
    estimates the model; collinear regressors it drops are listed in ``result.collinear``.

    Parameters
    ----------
    spec : Spec
        The specification.
    data : pandas.DataFrame
        Data with every column the spec names.

    Returns
    -------
    EstimationResult
        Tidy table, variance matrix, N, clusters, dropped rows and collinear regressors.

    Raises
    ------
    ValueError
        If a column is missing (named), the sample filter fails, Conley rows lack coordinates
        (with the count), a Poisson outcome is negative, or nothing is left to estimate.
    """
    v = spec.variance
    prep = _prepare(spec, data, v.columns())
    fit = _fit(spec, prep)
    coef, vc, n_clusters, df = _apply_variance(spec, fit, prep, v)
    table = _tidy(spec, fit, v, coef, vc, n_clusters, df)
    names = list(fit._coefnames)
    return EstimationResult(
        spec=spec,
        table=table,
        vcov=pd.DataFrame(vc, index=names, columns=names),
        n_obs=int(fit._N),
        n_clusters=n_clusters,
        dropped=_dropped_frame(prep.dropped),
        collinear=tuple(getattr(fit, "_collin_vars", []) or []),
        sample_index=prep.data.index,
        variance_label=v.label,
        fit=fit,
    )


def standard_variances(
    *,
    unit: str,
    group: str,
    time: str,
    lat: str = "lat",
    lon: str = "lon",
    cutoffs_km: Sequence[float] = (50.0, 100.0, 250.0, 500.0),
    kernel: Literal["uniform", "bartlett"] = "uniform",
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
    """
    out = [
        Variance("iid"),
        Variance("hetero"),
        Variance("cluster", cluster=(unit,)),
        Variance("cluster", cluster=(group,)),
        Variance("cluster", cluster=(unit, time)),
        Variance("driscoll_kraay", time=time, unit=unit, lags=dk_lags),
    ]
    out += [
        Variance("conley", cutoff_km=c, kernel=kernel, lat=lat, lon=lon, time=time)
        for c in cutoffs_km
    ]
    return out


def compare_variances(
    spec: Spec,
    data: pd.DataFrame,
    variances: Sequence[Variance],
    *,
    term: str | None = None,
) -> pd.DataFrame:
    """Fit a spec once and report one term under several variance estimators.

    The sample is the same for every row: rows missing any column that any of the variances
    needs are dropped once (and reported in the ``dropped`` column). Conley variances share one
    neighbour search at the largest cutoff.

    Parameters
    ----------
    spec : Spec
        The specification (its own variance is ignored).
    data : pandas.DataFrame
        The data.
    variances : sequence of Variance
        Variance estimators, e.g. :func:`standard_variances`.
    term : str, optional
        The term to report; defaults to the first of :attr:`Spec.terms`.

    Returns
    -------
    pandas.DataFrame
        One row per variance: the :func:`estimate` table columns for the term, plus
        ``dropped`` (a "reason: n; ..." summary of the rows removed).
    """
    if not variances:
        raise ValueError("variances is empty: pass at least one Variance.")
    key = term or spec.terms[0]
    if key not in spec.terms:
        raise ValueError(
            f"term {key!r} is not a coefficient of the spec; choose from {spec.terms}."
        )
    cols = list(dict.fromkeys(c for v in variances for c in v.columns()))
    conley = [v for v in variances if v.type == "conley"]
    # Coordinates are checked against the first Conley variance (all must use the same columns).
    probe = spec.with_variance(conley[0]) if conley else spec
    prep = _prepare(probe, data, cols)
    fit = _fit(spec, prep)
    names = list(fit._coefnames)
    if key not in names:
        raise ValueError(f"term {key!r} was dropped by the engine (collinear: {fit._collin_vars}).")
    neighbors: dict[tuple[str, str], SpatialNeighbors] = {}
    for v in conley:
        k = (v.lat, v.lon)
        cmax = max(float(w.cutoff_km or 0) for w in conley if (w.lat, w.lon) == k)
        if k not in neighbors:
            neighbors[k] = spatial_neighbors(
                prep.data[v.lat].to_numpy(dtype=float), prep.data[v.lon].to_numpy(dtype=float), cmax
            )
    rows = []
    for v in variances:
        nb = neighbors.get((v.lat, v.lon)) if v.type == "conley" else None
        coef, vc, n_clusters, df = _apply_variance(spec, fit, prep, v, nb)
        tab = _tidy(spec.with_variance(v), fit, v, coef, vc, n_clusters, df)
        rows.append(tab.loc[tab["term"] == key])
    out = pd.concat(rows, ignore_index=True)
    out["dropped"] = "; ".join(f"{r}: {n}" for r, n in prep.dropped)
    return out
