"""Specification grids declared as axes over a base spec, expanded to :class:`Spec` objects.

A grid is a base specification and a set of axes; every axis is a list of options, and every
option changes some fields of the base. The grid is the Cartesian product of the axes, less the
combinations that declared rules exclude. Grids live in TOML (``analysis/grids/*.toml``)::

    [grid]
    name = "county_pay_density"
    data = "county"                      # the panel the analysis step loads
    focal = "log_density"                # the regressor the curve is about
    [grid.base]                          # a spec table, as in analysis/specs/
    outcome = "log_pay_per_emp"
    regressors = ["log_density"]
    fixed_effects = ["state_fips^year"]
    [grid.base.variance]
    type = "cluster"
    cluster = ["state_fips"]

    [grid.derive]                        # optional new columns (see derive.py)
    pay_asinh = "arcsinh(pay_per_emp)"

    [grid.axes.outcome]                  # axis "outcome": label = { overrides }
    log_pay = {}
    asinh_pay = { outcome = "pay_asinh" }
    [grid.axes.controls]
    none = {}
    neighbours = { controls = ["log_density_lag100"] }
    [grid.axes.sample]
    all = {}
    no_ak_hi = { sample = "state_abbr not in ['AK', 'HI']" }

    [[grid.exclude]]                     # rules: a combination matching every entry is dropped
    fixed_effects = "county_year"
    sample = ["year_2017"]
    reason = "county effects absorb a single cross-section"

Option fields: any :class:`~agglomeration.estimation.spec.Spec` field (``outcome``,
``regressors``, ``fixed_effects``, ``estimator``, ``sample``, ``weights``, ``variance``, ...)
plus ``controls`` (regressors appended after the focal one; they add up across axes) and
``focal`` (replaces the focal regressor by another measure). Sample filters of several axes are
combined with ``and``; ``weights = ""`` removes the base's weights. Any other field set by two
axes in one combination is an error.
"""

from __future__ import annotations

import itertools
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from agglomeration.errors import SpecError
from agglomeration.estimation.spec import Spec, tuple_of_names
from agglomeration.estimation.variance import Variance

__all__ = ["Axis", "ExpandedGrid", "Grid", "Option", "Rule", "load_grid"]

_SPEC_FIELDS = (
    "outcome",
    "regressors",
    "fixed_effects",
    "estimator",
    "endogenous",
    "instruments",
    "sample",
    "variance",
    "weights",
    "categorical",
)
_OPTION_FIELDS = (*_SPEC_FIELDS, "controls", "focal")
_ADDITIVE = ("controls", "sample")


@dataclass(frozen=True)
class Option:
    """One option of an axis: a label and the spec fields it sets."""

    label: str
    overrides: Mapping[str, Any]


@dataclass(frozen=True)
class Axis:
    """A named choice with its options (in declared order)."""

    name: str
    options: tuple[Option, ...]

    def option(self, label: str) -> Option:
        """Return the option with this label."""
        for o in self.options:
            if o.label == label:
                return o
        raise SpecError(
            f"axis {self.name!r} has no option {label!r}; its options are "
            f"{[o.label for o in self.options]}."
        )


@dataclass(frozen=True)
class Rule:
    """An exclusion rule: a combination is excluded when every named axis takes a listed label."""

    match: Mapping[str, tuple[str, ...]]
    reason: str

    def excludes(self, combo: Mapping[str, str]) -> bool:
        """Whether the combination (axis -> label) matches every entry of the rule."""
        return all(combo[a] in labels for a, labels in self.match.items())


def _check_option(axis: str, label: str, raw: Any) -> Option:
    where = f"axis {axis!r}, option {label!r}"
    if not isinstance(raw, Mapping):
        raise SpecError(f"{where}: an option is a table of spec fields, got {raw!r}.")
    unknown = sorted(set(raw) - set(_OPTION_FIELDS))
    if unknown:
        raise SpecError(f"{where}: unknown field(s) {unknown}; allowed: {list(_OPTION_FIELDS)}.")
    out = dict(raw)
    try:
        if "variance" in out:
            v = out["variance"]
            out["variance"] = v if isinstance(v, Variance) else Variance.from_dict(v)
        for f in ("regressors", "fixed_effects", "controls", "endogenous", "instruments"):
            if f in out:
                out[f] = tuple_of_names(out[f], f)
        for fe in out.get("fixed_effects", ()):
            # the same check a Spec applies, raised here with the axis and option
            Spec("y", ("x",), (fe,))
        if "weights" in out and out["weights"] in ("", "none"):
            out["weights"] = None
        if "focal" in out and (not isinstance(out["focal"], str) or not out["focal"]):
            raise SpecError(f"focal must be a column name, got {out['focal']!r}.")
    except SpecError as e:
        raise SpecError(f"{where}: {e}") from None
    return Option(label, out)


@dataclass(frozen=True)
class Grid:
    """A base spec, axes of options over it, and rules that exclude combinations.

    Attributes
    ----------
    name : str
        Grid name (prefix of every spec's name).
    base : Spec
        The base specification; its variance is the default variance.
    focal : str
        The regressor the specification curve is about (in ``base.regressors``).
    axes : tuple of Axis
        Axes, in declared order (the order of the curve's indicator panel).
    rules : tuple of Rule
        Exclusion rules.
    derive : dict
        New columns (:func:`agglomeration.robustness.derive.derive_columns`).
    data : str, optional
        Name of the panel (for the analysis step).
    """

    name: str
    base: Spec
    focal: str
    axes: tuple[Axis, ...] = ()
    rules: tuple[Rule, ...] = ()
    derive: Mapping[str, Any] = field(default_factory=dict)
    data: str | None = None

    def __post_init__(self) -> None:
        if self.focal not in self.base.regressors and self.focal not in self.base.endogenous:
            raise SpecError(
                f"grid {self.name!r}: focal {self.focal!r} is not a regressor of the base spec "
                f"({list(self.base.regressors)}); add it to base.regressors."
            )
        names = [a.name for a in self.axes]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise SpecError(f"grid {self.name!r}: axis names repeat: {dup}.")
        for a in self.axes:
            if not a.options:
                raise SpecError(f"grid {self.name!r}: axis {a.name!r} has no options.")
            labels = [o.label for o in a.options]
            if len(set(labels)) != len(labels):
                raise SpecError(f"grid {self.name!r}: axis {a.name!r} repeats option labels.")
        for r in self.rules:
            for axis, allowed in r.match.items():
                if axis not in names:
                    raise SpecError(
                        f"grid {self.name!r}: exclusion rule names axis {axis!r}, which is not "
                        f"an axis ({names})."
                    )
                ax = self.axes[names.index(axis)]
                for lab in allowed:
                    ax.option(lab)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Grid:
        """Build a grid from the ``[grid]`` table of a TOML file."""
        known = {"name", "data", "focal", "base", "axes", "exclude", "derive", "description"}
        unknown = sorted(set(d) - known)
        if unknown:
            raise SpecError(f"unknown grid field(s) {unknown}; allowed: {sorted(known)}.")
        name = str(d.get("name", ""))
        if "base" not in d:
            raise SpecError(f"grid {name!r} has no [grid.base] spec table.")
        base_d = dict(d["base"])
        base_d.setdefault("data", d.get("data"))
        base_d.setdefault("name", name)
        try:
            base = Spec.from_dict(base_d)
        except (SpecError, TypeError) as e:
            raise SpecError(f"grid {name!r}: invalid base spec: {e}") from None
        focal = d.get("focal") or (base.regressors[0] if base.regressors else base.endogenous[0])
        axes = tuple(
            Axis(str(a), tuple(_check_option(str(a), str(lab), raw) for lab, raw in opts.items()))
            for a, opts in dict(d.get("axes", {})).items()
        )
        rules = []
        for r in d.get("exclude", []):
            r = dict(r)
            reason = str(r.pop("reason", ""))
            match = {k: tuple_of_names(v, f"exclude.{k}") for k, v in r.items()}
            rules.append(Rule(match, reason))
        return cls(
            name, base, str(focal), axes, tuple(rules), dict(d.get("derive", {})), d.get("data")
        )

    # -- expansion -----------------------------------------------------------------------------
    def combinations(self) -> list[dict[str, str]]:
        """Every combination of option labels (axis -> label), in product order."""
        labels = [[o.label for o in a.options] for a in self.axes]
        return [
            dict(zip((a.name for a in self.axes), c, strict=True))
            for c in itertools.product(*labels)
        ]

    def spec_for(self, combo: Mapping[str, str]) -> tuple[Spec, str]:
        """Return the spec of one combination and its focal regressor."""
        fields_set: dict[str, str] = {}
        kw: dict[str, Any] = {f: getattr(self.base, f) for f in _SPEC_FIELDS}
        focal = self.focal
        controls: list[str] = []
        samples = [self.base.sample] if self.base.sample else []
        for a in self.axes:
            opt = a.option(combo[a.name])
            for k, v in opt.overrides.items():
                if k == "controls":
                    controls += list(v)
                elif k == "sample":
                    if v:
                        samples.append(str(v))
                else:
                    if k in fields_set:
                        raise SpecError(
                            f"grid {self.name!r}: axes {fields_set[k]!r} and {a.name!r} both set "
                            f"{k!r} in the combination {dict(combo)}; exclude it with a rule."
                        )
                    fields_set[k] = a.name
                    if k == "focal":
                        focal = v
                    else:
                        kw[k] = v
        regs = list(kw["regressors"])
        if focal != self.focal and "regressors" not in fields_set:
            regs = [focal if r == self.focal else r for r in regs]
        regs += [c for c in controls if c not in regs]
        kw["regressors"] = tuple(regs)
        kw["sample"] = (
            None
            if not samples
            else samples[0]
            if len(samples) == 1
            else " and ".join(f"({s})" for s in samples)
        )
        label = ", ".join(f"{a.name}={combo[a.name]}" for a in self.axes)
        try:
            spec = Spec(**kw, data=self.base.data, name=f"{self.name}[{label}]")
        except SpecError as e:
            raise SpecError(f"grid {self.name!r}, combination {dict(combo)}: {e}") from None
        return spec, focal

    def expand(self) -> ExpandedGrid:
        """Expand to specs: the product of the axes, less excluded and duplicate combinations."""
        specs: list[Spec] = []
        rows: list[dict[str, Any]] = []
        excluded: list[dict[str, Any]] = []
        seen: set[str] = set()
        n_dup = 0
        for combo in self.combinations():
            rule = next((r for r in self.rules if r.excludes(combo)), None)
            if rule is not None:
                excluded.append({**combo, "reason": rule.reason})
                continue
            spec, focal = self.spec_for(combo)
            sid = spec.id
            if sid in seen:
                n_dup += 1
                continue
            seen.add(sid)
            specs.append(spec)
            rows.append({"spec_id": sid, "focal": focal, **combo})
        cols = ["spec_id", "focal", *(a.name for a in self.axes)]
        return ExpandedGrid(
            grid=self,
            specs=tuple(specs),
            choices=pd.DataFrame(rows, columns=cols),
            excluded=pd.DataFrame(excluded, columns=[*(a.name for a in self.axes), "reason"]),
            n_duplicates=n_dup,
        )


@dataclass(frozen=True)
class ExpandedGrid:
    """The specs of a grid, with the choices that produced each one.

    Attributes
    ----------
    grid : Grid
        The grid.
    specs : tuple of Spec
        Distinct specs in product order.
    choices : pandas.DataFrame
        ``spec_id``, ``focal`` and one column per axis with the option label.
    excluded : pandas.DataFrame
        Combinations removed by a rule, with the rule's reason.
    n_duplicates : int
        Combinations that gave a spec already in the grid (counted once).
    """

    grid: Grid
    specs: tuple[Spec, ...]
    choices: pd.DataFrame
    excluded: pd.DataFrame
    n_duplicates: int

    def __len__(self) -> int:
        return len(self.specs)


def load_grid(path: str | Path) -> Grid:
    """Read a grid from the ``[grid]`` table of a TOML file, naming the file on any error."""
    p = Path(path)
    try:
        with p.open("rb") as fh:
            doc = tomllib.load(fh)
    except tomllib.TOMLDecodeError as e:
        raise SpecError(f"{p}: not valid TOML ({e}); fix the syntax at that line.") from None
    except OSError as e:
        raise SpecError(f"{p}: cannot be read ({e.strerror}).") from None
    if "grid" not in doc:
        raise SpecError(f"{p}: no [grid] table; see agglomeration.robustness.grid for the format.")
    try:
        return Grid.from_dict(doc["grid"])
    except SpecError as e:
        raise SpecError(f"{p}: {e}") from None


def option_columns(opt: Option) -> list[str]:
    """Columns an option names directly (the sample filter is checked by evaluating it)."""
    o = opt.overrides
    cols: list[str] = []
    for f in ("outcome", "focal", "weights"):
        if o.get(f):
            cols.append(str(o[f]))
    for f in ("regressors", "controls", "endogenous", "instruments"):
        cols += list(o.get(f, ()))
    for fe in o.get("fixed_effects", ()):
        cols += fe.split("^")
    if "variance" in o:
        cols += list(o["variance"].columns())
    return cols


def spec_columns(spec: Spec) -> Sequence[str]:
    """Columns a spec and its variance name."""
    return (*spec.model_columns(), *spec.variance.columns())
