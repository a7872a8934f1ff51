"""The frozen specification of a production-function estimate, :class:`TFPSpec`.

A :class:`TFPSpec` says what is estimated (method, columns, polynomial degrees, instruments,
Wooldridge formulation) and how (starts, optimiser, root handling, bootstrap, seed). Every
option is validated here, in one place, with a :class:`~agglomeration.errors.SpecError`
naming the field, the value and the fix. Like :class:`agglomeration.estimation.Spec`, its
:attr:`TFPSpec.id` is the first 12 hex digits of the SHA-256 of :meth:`TFPSpec.canonical_json`
(sorted keys, every field but ``name``), so an estimate traces to exactly what produced it.

Example (TOML, as an analysis step would declare it)::

    [tfp]
    name = "acf_chile"
    data = "prodest_chilean"
    method = "acf"
    output = "Y"
    free = ["fX1", "fX2"]
    state = ["sX"]
    proxy = "pX"
    unit = "idvar"
    time = "timevar"
    poly_degree = 2
    n_starts = 32
    n_boot = 200
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Literal

from agglomeration.errors import SpecError

__all__ = ["METHODS", "TFPSpec", "load_tfp_specs"]

Method = Literal["op", "lp", "acf", "wrdg", "ols", "fe"]
METHODS: tuple[str, ...] = ("op", "lp", "acf", "wrdg", "ols", "fe")
NEEDS_PROXY: tuple[str, ...] = ("op", "lp", "acf", "wrdg")
OPTIMIZERS: tuple[str, ...] = ("least_squares", "BFGS", "Nelder-Mead")
ACF_INSTRUMENTS: tuple[str, ...] = ("prodest", "lags")
WRDG_FORMS: tuple[str, ...] = ("joint", "prodest", "prodest_gmm")


def _names(value: Any, field: str, *, allow_empty: bool = False) -> tuple[str, ...]:
    if isinstance(value, str):
        value = (value,)
    try:
        out = tuple(value)
    except TypeError:
        raise SpecError(f"{field} must be a column name or a list of them; got {value!r}.") from None
    if not all(isinstance(v, str) and v for v in out):
        raise SpecError(f"{field} must hold non-empty column names; got {value!r}.")
    if not out and not allow_empty:
        raise SpecError(f"{field} must name at least one column; got an empty list.")
    return out


def _column(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value:
        raise SpecError(f"{field} must be a column name; got {value!r}.")
    return value


def _positive_int(value: Any, field: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise SpecError(f"{field} must be an integer >= {minimum}; got {value!r}.")
    return int(value)


def _positive_float(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SpecError(f"{field} must be a positive number; got {value!r}.")
    if value <= 0:
        raise SpecError(f"{field} must be a positive number; got {value!r}.")
    return float(value)


def _choice(value: Any, field: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise SpecError(f"{field} must be one of {list(allowed)}; got {value!r}.")
    return str(value)


@dataclass(frozen=True)
class TFPSpec:
    """One production-function estimate: what, on which columns, and with which numerics.

    Attributes
    ----------
    method : {"op", "lp", "acf", "wrdg", "ols", "fe"}
        Olley & Pakes (1996, eq. 6 and 12); Levinsohn & Petrin (2003, eq. 4-6);
        Ackerberg, Caves & Frazer (2015, section 4.1); Wooldridge (2009, eq. 2.9-2.10);
        pooled OLS; plant fixed effects.
    output : str
        Log output (value added).
    free, state : tuple of str
        Log free inputs (labour) and log state inputs (capital); a single name is accepted.
    unit, time : str
        Plant identifier and integer period (lags are t - 1; a gap means no lag).
    proxy : str, optional
        Investment (OP) or an intermediate input (LP, ACF, Wooldridge); required for those.
    poly_degree : int, default 3
        Degree of the control-function polynomial (prodest uses 2).
    markov_degree : int, default 3
        Degree of the law-of-motion polynomial (OP, LP, ACF).
    exit_correction : bool, default False
        OP/LP attrition correction (Olley & Pakes 1996, eq. 11-12).
    n_starts : int, default 20
        Starting values per numerical optimisation: the method's base starts, then a scrambled
        Sobol box (see :func:`agglomeration.tfp._multistart.make_starts`).
    start_scale : float, default 0.5
        Half-width of the Sobol box around the first base start, in every parameter.
    optimizer : {"least_squares", "BFGS", "Nelder-Mead"}, default "least_squares"
        Local solver: Levenberg-Marquardt on the residual/moment vector, or
        ``scipy.optimize.minimize`` on the criterion.
    n_boot : int, default 0
        Plant-bootstrap replications (0: none; otherwise at least 2).
    seed : int, default 0
        Seed of the start design and of the bootstrap.
    acf_instruments : {"prodest", "lags"}, default "prodest"
        ACF moments: just identified ``(w_{t-1}, k_t)`` as prodest, or over-identified lags
        (see :mod:`agglomeration.tfp.acf`).
    root_tol : float, default 1e-6
        Just-identified ACF: an end point is an exact root when the norm of its moments in
        units of their standard deviations is at most ``root_tol``.
    root_cluster_tol : float, default 1e-3
        End points closer than this in every elasticity are one solution.
    require_root : bool, default True
        Just-identified ACF: raise :class:`~agglomeration.errors.ConvergenceError` when no
        start reaches an exact root; ``False`` returns the lowest-objective end point marked
        ``converged=False`` with a :class:`~agglomeration.tfp.NoRootWarning`.
    wrdg_form : {"joint", "prodest", "prodest_gmm"}, default "joint"
        Wooldridge formulation (see :mod:`agglomeration.tfp.wrdg` and
        :mod:`agglomeration.tfp.wrdg_prodest`).
    data : str, optional
        Name of the data set the spec runs on (part of :attr:`id`).
    name : str
        Label (not part of :attr:`id`).

    Examples
    --------
    >>> from agglomeration.tfp import TFPSpec
    >>> spec = TFPSpec(method="acf", output="Y", free=("fX1", "fX2"), state=("sX",), proxy="pX",
    ...                unit="idvar", time="timevar", poly_degree=2, name="acf_chile")
    >>> spec.free, spec.numerical
    (('fX1', 'fX2'), True)
    >>> from dataclasses import replace
    >>> replace(spec, name="renamed").id == spec.id, replace(spec, poly_degree=3).id == spec.id
    (True, False)
    """

    method: Method
    output: str
    free: tuple[str, ...]
    state: tuple[str, ...]
    unit: str
    time: str
    proxy: str | None = None
    poly_degree: int = 3
    markov_degree: int = 3
    exit_correction: bool = False
    n_starts: int = 20
    start_scale: float = 0.5
    optimizer: Literal["least_squares", "BFGS", "Nelder-Mead"] = "least_squares"
    n_boot: int = 0
    seed: int = 0
    acf_instruments: Literal["prodest", "lags"] = "prodest"
    root_tol: float = 1e-6
    root_cluster_tol: float = 1e-3
    require_root: bool = True
    wrdg_form: Literal["joint", "prodest", "prodest_gmm"] = "joint"
    data: str | None = None
    name: str = ""

    def __post_init__(self) -> None:
        s = object.__setattr__
        _choice(self.method, "method", METHODS)
        s(self, "output", _column(self.output, "output"))
        s(self, "free", _names(self.free, "free"))
        s(self, "state", _names(self.state, "state"))
        s(self, "unit", _column(self.unit, "unit"))
        s(self, "time", _column(self.time, "time"))
        if self.proxy is not None:
            s(self, "proxy", _column(self.proxy, "proxy"))
        if self.method in NEEDS_PROXY and self.proxy is None:
            raise SpecError(
                f"method {self.method!r} needs a proxy column (investment for OP, an "
                "intermediate input for LP/ACF/Wooldridge); set proxy=..."
            )
        s(self, "poly_degree", _positive_int(self.poly_degree, "poly_degree"))
        s(self, "markov_degree", _positive_int(self.markov_degree, "markov_degree"))
        if not isinstance(self.exit_correction, bool):
            raise SpecError(f"exit_correction must be True or False; got {self.exit_correction!r}.")
        if self.exit_correction and self.method not in ("op", "lp"):
            raise SpecError(
                f"exit_correction=True is available for 'op' and 'lp' only; got method "
                f"{self.method!r}."
            )
        s(self, "n_starts", _positive_int(self.n_starts, "n_starts"))
        s(self, "start_scale", _positive_float(self.start_scale, "start_scale"))
        _choice(self.optimizer, "optimizer", OPTIMIZERS)
        n_boot = _positive_int(self.n_boot, "n_boot", minimum=0)
        if n_boot == 1:
            raise SpecError("n_boot must be 0 (no bootstrap) or >= 2 (e.g. 200); got 1.")
        s(self, "n_boot", n_boot)
        s(self, "seed", _positive_int(self.seed, "seed", minimum=0))
        _choice(self.acf_instruments, "acf_instruments", ACF_INSTRUMENTS)
        s(self, "root_tol", _positive_float(self.root_tol, "root_tol"))
        s(self, "root_cluster_tol", _positive_float(self.root_cluster_tol, "root_cluster_tol"))
        if not isinstance(self.require_root, bool):
            raise SpecError(f"require_root must be True or False; got {self.require_root!r}.")
        _choice(self.wrdg_form, "wrdg_form", WRDG_FORMS)
        if self.data is not None and not isinstance(self.data, str):
            raise SpecError(f"data must be a data-set name (str) or None; got {self.data!r}.")
        if not isinstance(self.name, str):
            raise SpecError(f"name must be a string; got {self.name!r}.")

    # -- canonical form ---------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form (lists for tuples), as written in TOML or JSON."""
        return {
            f.name: list(v) if isinstance(v := getattr(self, f.name), tuple) else v
            for f in fields(self)
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TFPSpec:
        """Build a spec from a mapping; unknown fields raise :class:`SpecError` naming them."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            hints = {"id": "unit", "exit": "exit_correction"}
            hint = "".join(
                f" ({u!r} is now {hints[u]!r})" for u in unknown if u in hints
            )
            raise SpecError(
                f"unknown TFPSpec field(s) {unknown}{hint}; allowed: {sorted(known)}."
            )
        missing = sorted(
            f.name for f in fields(cls) if f.name not in d and f.name in _REQUIRED
        )
        if missing:
            raise SpecError(f"TFPSpec is missing required field(s) {missing}.")
        return cls(**dict(d))

    def canonical_json(self) -> str:
        """Canonical JSON of every field but ``name``: sorted keys, no whitespace."""
        d = self.to_dict()
        d.pop("name")
        return json.dumps(d, sort_keys=True, separators=(",", ":"), ensure_ascii=True)

    @property
    def id(self) -> str:
        """First 12 hex digits of the SHA-256 of :meth:`canonical_json`."""
        return hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()[:12]

    @property
    def numerical(self) -> bool:
        """Whether the method has a numerical optimisation (multi-start, roots)."""
        if self.method == "wrdg":
            return self.wrdg_form == "joint"
        return self.method in ("op", "lp", "acf")

    @property
    def just_identified(self) -> bool:
        """Whether the estimate solves just-identified moments (roots are required)."""
        return self.method == "acf" and self.acf_instruments == "prodest"


_REQUIRED = ("method", "output", "free", "state", "unit", "time")


def load_tfp_specs(path: str | Path) -> list[TFPSpec]:
    """Read the production-function specs of a TOML file or folder (``kind = "production_function"``).

    Spec files hold ``[[spec]]`` tables like :func:`agglomeration.estimation.load_specs`; the
    tables with ``kind = "production_function"`` are :class:`TFPSpec` fields, the others are
    regression specs and are skipped here.

    Raises
    ------
    SpecError
        If a file is not valid TOML or a spec is invalid (the message names the file).
    """
    from agglomeration.estimation.spec import parse_spec_file

    p = Path(path)
    files = sorted(p.glob("*.toml")) if p.is_dir() else [p]
    out: list[TFPSpec] = []
    for f in files:
        for t in parse_spec_file(f):
            if t.get("kind") != "production_function":
                continue
            t = {k: v for k, v in t.items() if k != "kind"}
            try:
                out.append(TFPSpec.from_dict(t))
            except (TypeError, SpecError) as e:
                raise SpecError(f"{f}: invalid spec {t.get('name', '')!r}: {e}") from None
    return out
