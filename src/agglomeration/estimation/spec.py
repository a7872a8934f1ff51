"""The specification language: a frozen :class:`Spec`, its canonical form and id, TOML files.

A :class:`Spec` says what is estimated (outcome, regressors, fixed effects, sample, estimator,
weights) and how its variance is computed (a :class:`~agglomeration.estimation.variance.Variance`).
Specs live in ``analysis/specs/*.toml``; a file holds one ``[spec]`` table or several ``[[spec]]``
tables::

    [spec]
    name = "county_baseline"            # label; not part of the id
    data = "county"                     # which panel the analysis step loads
    outcome = "log_pay_per_emp"
    regressors = ["log_density"]
    fixed_effects = ["state_fips^year"] # "a^b" is the interaction of a and b
    estimator = "ols"                   # "ols" | "poisson" | "iv"
    sample = "year >= 2001"             # optional pandas query string
    weights = "employment"              # optional analytic (OLS/IV) or frequency weights
    # endogenous = ["log_density"]      # iv only: endogenous regressors
    # instruments = ["log_popdens_1900"] # iv only: excluded instruments
    # categorical = ["sector"]          # regressors entered as categories (dummies)
    [spec.variance]
    type = "cluster"                    # see agglomeration.estimation.variance
    cluster = ["state_fips"]

A spec may instead list several variance estimators; it then stands for one spec per variance
(each with its own id), estimated from one fit::

    variances = [
        {type = "cluster", cluster = ["state_fips"]},
        {type = "conley", cutoff_km = 100, time = "year", unit = "fips", lags = 20},
    ]

``Spec.id`` is the first 12 hex digits of the SHA-256 of :meth:`Spec.canonical_json`: every field
but ``name``, sorted keys, lists for tuples. Fields added after the first release (``weights``,
``categorical``) enter the canonical form only when they differ from their default, so the id of
every spec written before they existed is unchanged.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np

from agglomeration.errors import SpecError
from agglomeration.estimation.variance import Hetero, Variance

__all__ = ["Estimator", "LinearTest", "Spec", "load_linear_tests", "load_specs", "parse_spec_file"]

Estimator = Literal["ols", "poisson", "iv"]
_ESTIMATORS = ("ols", "poisson", "iv")
_OPTIONAL_IN_ID = ("weights", "categorical")
_FE_TERM = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\^[A-Za-z_][A-Za-z0-9_]*)*$")


def tuple_of_names(value: Any, name: str) -> tuple[str, ...]:
    """Normalise a column name or a list of them to a tuple of non-empty strings."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    try:
        out = tuple(value)
    except TypeError:
        raise SpecError(f"{name} must be a list of column names, got {value!r}.") from None
    if not all(isinstance(v, str) and v for v in out):
        raise SpecError(f"{name} must be a list of column names, got {value!r}.")
    return out


def _check_fixed_effect(fe: str) -> None:
    if _FE_TERM.fullmatch(fe):
        return
    hint = ""
    if "*" in fe or ":" in fe:
        hint = f" Write an interaction with '^', e.g. {re.sub(r'[*:]+', '^', fe)!r}."
    elif fe.endswith("^") or fe.startswith("^") or "^^" in fe:
        hint = " '^' joins two column names, e.g. 'state_fips^year'."
    raise SpecError(
        f"fixed effect {fe!r} is not a column name or an interaction 'a^b' of column names.{hint}"
    )


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
        OLS, Poisson pseudo-maximum likelihood (PPML), or two-stage least squares.
    endogenous, instruments : tuple of str
        IV only: endogenous regressors and excluded instruments.
    sample : str, optional
        pandas ``DataFrame.query`` string selecting the sample.
    variance : Variance
        Variance estimator (:mod:`agglomeration.estimation.variance`).
    data : str, optional
        Name of the data set (panel) the spec runs on; part of :attr:`id`.
    weights : str, optional
        Column of non-negative weights (weighted least squares / weighted PPML).
    categorical : tuple of str
        Regressors that enter as categories (one dummy per level but the first). Any other
        regressor must be numeric: a text column is an error, never silently a category.
    name : str
        Label (not part of :attr:`id`).

    Examples
    --------
    The formula sent to the engine, and the id: a hash of everything that defines the estimate,
    the name excepted, so that renaming a spec keeps its id and changing its variance does not:

    >>> from agglomeration import Spec, Variance
    >>> spec = Spec(outcome="log_wage", regressors=("log_density",),
    ...             fixed_effects=("state^year",), name="baseline")
    >>> spec.formula()
    'log_wage ~ log_density | state^year'
    >>> spec.id == Spec(outcome="log_wage", regressors=("log_density",),
    ...                 fixed_effects=("state^year",), name="renamed").id
    True
    >>> spec.id == spec.with_variance(Variance("cluster", cluster=["state"])).id
    False
    >>> iv = Spec(outcome="log_wage", endogenous=("log_density",), instruments=("hist",),
    ...           estimator="iv")
    >>> iv.formula()
    'log_wage ~ 1 | log_density ~ hist'
    """

    outcome: str
    regressors: tuple[str, ...] = ()
    fixed_effects: tuple[str, ...] = ()
    estimator: Estimator = "ols"
    endogenous: tuple[str, ...] = ()
    instruments: tuple[str, ...] = ()
    sample: str | None = None
    variance: Variance = field(default_factory=Hetero)
    data: str | None = None
    weights: str | None = None
    categorical: tuple[str, ...] = ()
    name: str = ""

    def __post_init__(self) -> None:
        for f in ("regressors", "fixed_effects", "endogenous", "instruments", "categorical"):
            object.__setattr__(self, f, tuple_of_names(getattr(self, f), f))
        if isinstance(self.variance, Mapping):
            object.__setattr__(self, "variance", Variance.from_dict(self.variance))
        if not isinstance(self.variance, Variance):
            raise SpecError(f"variance must be a Variance, got {type(self.variance).__name__}.")
        if not isinstance(self.outcome, str) or not self.outcome:
            raise SpecError(f"outcome must be a column name, got {self.outcome!r}.")
        if self.estimator not in _ESTIMATORS:
            raise SpecError(f"estimator must be one of {_ESTIMATORS}, got {self.estimator!r}.")
        if self.estimator == "iv":
            if not self.endogenous or len(self.instruments) < len(self.endogenous):
                raise SpecError(
                    f"iv needs endogenous regressors and at least as many instruments; got "
                    f"endogenous={self.endogenous!r}, instruments={self.instruments!r}."
                )
        elif self.endogenous or self.instruments:
            raise SpecError(
                "endogenous/instruments are only used with estimator 'iv'; set estimator = 'iv' "
                "or remove them."
            )
        if not self.regressors and not self.endogenous:
            raise SpecError("regressors is empty: name at least one regressor.")
        unknown_cat = [c for c in self.categorical if c not in self.regressors]
        if unknown_cat:
            raise SpecError(
                f"categorical names {unknown_cat}, which are not regressors of the spec; list them "
                "in regressors too."
            )
        if self.weights is not None and (not isinstance(self.weights, str) or not self.weights):
            raise SpecError(f"weights must be a column name, got {self.weights!r}.")
        for fe in self.fixed_effects:
            _check_fixed_effect(fe)
        for col in self.model_columns():
            if not col.isidentifier():
                raise SpecError(
                    f"column name {col!r} cannot be used in a formula; rename it to an identifier "
                    "(letters, digits, underscores)."
                )

    # -- canonical form ------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form (lists for tuples), as written in TOML."""
        out: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            out[f.name] = v.to_dict() if isinstance(v, Variance) else _plain(v)
        return out

    def canonical_json(self) -> str:
        """Canonical JSON of every field but ``name``: sorted keys, no whitespace.

        ``weights`` and ``categorical`` are left out when at their defaults (see the module
        docstring), so that ids of specs written before these fields existed are unchanged.
        """
        d = self.to_dict()
        d.pop("name")
        defaults = {f.name: f.default for f in fields(self)}
        for k in _OPTIONAL_IN_ID:
            if d[k] in (defaults[k], [], ()):
                d.pop(k)
        return json.dumps(d, sort_keys=True, separators=(",", ":"), ensure_ascii=True)

    @property
    def id(self) -> str:
        """First 12 hex digits of the SHA-256 of :meth:`canonical_json`."""
        return hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()[:12]

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Spec:
        """Build a spec from a mapping (e.g. a parsed TOML ``[spec]`` table)."""
        known = [f.name for f in fields(cls)]
        unknown = sorted(set(d) - set(known))
        if unknown:
            raise SpecError(f"unknown spec field(s) {unknown}; allowed: {sorted(known)}.")
        kw = dict(d)
        if "variance" in kw and isinstance(kw["variance"], Mapping):
            kw["variance"] = Variance.from_dict(kw["variance"])
        if "outcome" not in kw:
            raise SpecError("the spec has no outcome; add outcome = '<column>'.")
        return cls(**kw)

    def with_variance(self, variance: Variance) -> Spec:
        """Return the same spec with another variance estimator."""
        return replace(self, variance=variance)

    # -- columns and formula -------------------------------------------------------------------
    def fe_columns(self) -> tuple[str, ...]:
        """Columns used by the fixed effects (interactions split)."""
        return tuple(dict.fromkeys(c for fe in self.fixed_effects for c in fe.split("^")))

    def model_columns(self) -> tuple[str, ...]:
        """Columns used by the model (outcome, regressors, instruments, fixed effects, weights)."""
        cols = (self.outcome, *self.regressors, *self.endogenous, *self.instruments)
        w = (self.weights,) if self.weights else ()
        return tuple(dict.fromkeys((*cols, *self.fe_columns(), *w)))

    def formula(self) -> str:
        """Return the engine formula ``y ~ x | fe | endog ~ instr`` (categories as ``C(x)``)."""
        terms = [f"C({r})" if r in self.categorical else r for r in self.regressors]
        rhs = " + ".join(terms) if terms else "1"
        parts = [f"{self.outcome} ~ {rhs}"]
        if self.fixed_effects:
            parts.append(" + ".join(self.fixed_effects))
        if self.estimator == "iv":
            parts.append(f"{' + '.join(self.endogenous)} ~ {' + '.join(self.instruments)}")
        return " | ".join(parts)

    @property
    def terms(self) -> tuple[str, ...]:
        """Coefficients reported for numeric regressors, in order (endogenous first for IV)."""
        return (*self.endogenous, *(r for r in self.regressors if r not in self.categorical))


def _plain(v: Any) -> Any:
    if isinstance(v, tuple | list):
        return [_plain(x) for x in v]
    if isinstance(v, np.generic):
        return v.item()
    return v


def parse_spec_file(path: Path) -> list[dict[str, Any]]:
    """Read the ``[spec]`` / ``[[spec]]`` tables of one TOML file, naming the file on any error."""
    try:
        with path.open("rb") as fh:
            doc = tomllib.load(fh)
    except tomllib.TOMLDecodeError as e:
        raise SpecError(f"{path}: not valid TOML ({e}); fix the syntax at that line.") from None
    except OSError as e:
        raise SpecError(f"{path}: cannot be read ({e.strerror}).") from None
    raw = doc.get("spec")
    if raw is None:
        if set(doc) & {"test", "claim"}:
            return []  # a file of tests or claims only
        raise SpecError(
            f"{path}: no [spec] table (nor [[test]] or [[claim]] tables); see "
            "agglomeration.estimation.spec for the format."
        )
    tables = [raw] if isinstance(raw, Mapping) else list(raw)
    return [dict(t) for t in tables]


def load_specs(path: str | Path) -> list[Spec]:
    """Read specs from a TOML file, or from every ``*.toml`` in a folder (sorted by name).

    Parameters
    ----------
    path : str or pathlib.Path
        A ``.toml`` file with a ``[spec]`` table or ``[[spec]]`` array, or a folder of them.

    Returns
    -------
    list of Spec
        In file order; a spec with a ``variances`` list gives one spec per variance.

    Raises
    ------
    SpecError
        If a file is not valid TOML, has no ``spec`` table, or holds an invalid spec (the
        message names the file and the spec).

    Examples
    --------
    A file with one spec and two variances stands for two specs; the one built in Python has the
    same id as the one read from the file:

    >>> import tempfile
    >>> from pathlib import Path
    >>> from agglomeration import Spec, Variance, load_specs
    >>> toml = '''
    ... [spec]
    ... name = "baseline"
    ... outcome = "log_wage"
    ... regressors = ["log_density"]
    ... fixed_effects = ["year"]
    ... variances = [{type = "iid"}, {type = "cluster", cluster = ["region"]}]
    ... '''
    >>> with tempfile.TemporaryDirectory() as d:
    ...     _ = (Path(d) / "baseline.toml").write_text(toml)
    ...     specs = load_specs(d)
    >>> [s.variance.label for s in specs]
    ['iid', 'cluster(region)']
    >>> specs[1].id == Spec("log_wage", ("log_density",), ("year",),
    ...                     variance=Variance("cluster", cluster=["region"])).id
    True
    """
    p = Path(path)
    files = sorted(p.glob("*.toml")) if p.is_dir() else [p]
    if not files:
        raise SpecError(f"no *.toml spec files in {p}.")
    specs: list[Spec] = []
    for f in files:
        for t in parse_spec_file(f):
            if t.get("kind", "regression") != "regression":
                continue
            t = {k: v for k, v in t.items() if k != "kind"}
            try:
                variances = t.pop("variances", None)
                if variances is not None and "variance" in t:
                    raise SpecError("give either variance or variances, not both")
                if variances is None:
                    specs.append(Spec.from_dict(t))
                else:
                    specs += [Spec.from_dict({**t, "variance": v}) for v in variances]
            except (TypeError, SpecError) as e:
                raise SpecError(f"{f}: invalid spec {t.get('name', '')!r}: {e}") from None
    return specs


@dataclass(frozen=True)
class LinearTest:
    """A test of a linear combination of one spec's coefficients, declared beside the specs.

    In a spec file::

        [[test]]
        spec = "ladder_size"                           # the spec's name
        label = "log_employment + log_land_area"       # the registry row's term
        weights = {log_employment = 1, log_land_area = 1}
        value = 0

    Attributes
    ----------
    spec : str
        Name of the spec (every variance of it gets the test).
    label : str
        Term under which the test is registered.
    weights : mapping of str to float
        Coefficient of each term.
    value : float
        Hypothesised value of the combination.
    """

    spec: str
    label: str
    weights: Mapping[str, float]
    value: float = 0.0

    def __post_init__(self) -> None:
        if not self.weights:
            raise SpecError(f"test {self.label!r}: weights is empty; name at least one term.")
        object.__setattr__(
            self, "weights", {str(k): float(v) for k, v in dict(self.weights).items()}
        )


def load_linear_tests(path: str | Path) -> list[LinearTest]:
    """Read the ``[[test]]`` tables of a spec file or folder (see :class:`LinearTest`)."""
    p = Path(path)
    files = sorted(p.glob("*.toml")) if p.is_dir() else [p]
    out: list[LinearTest] = []
    for f in files:
        try:
            with f.open("rb") as fh:
                doc = tomllib.load(fh)
        except tomllib.TOMLDecodeError as e:
            raise SpecError(f"{f}: not valid TOML ({e}); fix the syntax at that line.") from None
        for t in doc.get("test", []):
            try:
                out.append(LinearTest(**t))
            except TypeError as e:
                raise SpecError(f"{f}: invalid [[test]] {t.get('label', '')!r}: {e}") from None
    return out
