"""The estimation sample: checks of the data against a spec, and every row removed, with why."""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from agglomeration.errors import (
    ColumnMissingError,
    ColumnTypeError,
    EstimationError,
    InputError,
    SpecError,
)
from agglomeration.estimation.spec import Spec
from agglomeration.estimation.variance import Variance
from agglomeration.estimation.variance_geo import Conley
from agglomeration.geo import check_coordinates

__all__ = ["Sample", "prepare_sample"]

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Sample:
    """The rows a spec is estimated on, and the rows removed on the way.

    Attributes
    ----------
    data : pandas.DataFrame
        The estimation sample: the columns the spec and its variances use, index labels of
        the input frame.
    dropped : list of (str, int)
        ``(reason, rows)`` in the order the rules were applied.
    """

    data: pd.DataFrame
    dropped: list[tuple[str, int]]

    def dropped_frame(self) -> pd.DataFrame:
        """``reason, n_rows`` as a frame."""
        return pd.DataFrame(self.dropped, columns=["reason", "n_rows"]).astype({"n_rows": "int64"})


def _who(spec: Spec) -> str:
    return f"spec {spec.name or spec.id}"


def _check_columns(data: pd.DataFrame, cols: Sequence[str], what: str) -> None:
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise ColumnMissingError(
            f"{what} names column(s) {missing} that are not in the data; available columns: "
            f"{list(map(str, data.columns))}."
        )


def _check_types(spec: Spec, data: pd.DataFrame) -> None:
    """Numeric outcome, regressors, instruments and weights; warn on float fixed effects."""

    def numeric(col: str) -> bool:
        dt = data[col].dtype
        return bool(pd.api.types.is_numeric_dtype(dt) or pd.api.types.is_bool_dtype(dt))

    role = {spec.outcome: "outcome"}
    for r in spec.regressors:
        role.setdefault(r, "regressor")
    for c in (*spec.endogenous, *spec.instruments):
        role.setdefault(c, "endogenous regressor or instrument")
    if spec.weights:
        role.setdefault(spec.weights, "weights")
    for col, what in role.items():
        if col in spec.categorical or numeric(col):
            continue
        fix = (
            "convert it with pd.to_numeric"
            + (
                f", or list it in the spec's categorical = [{col!r}] to enter it as categories"
                if what == "regressor"
                else ""
            )
        )
        raise ColumnTypeError(
            f"{_who(spec)}: the {what} {col!r} has dtype {data[col].dtype}, not a number; {fix}."
        )
    for fe in spec.fixed_effects:
        for col in fe.split("^"):
            if pd.api.types.is_float_dtype(data[col]):
                warnings.warn(
                    f"{_who(spec)}: fixed effect {fe!r} uses the float column {col!r}; every "
                    "distinct value becomes a group. Use an integer or text code if that is not "
                    "intended.",
                    UserWarning,
                    stacklevel=4,
                )


def _group_codes(data: pd.DataFrame, fe: str) -> np.ndarray:
    cols = fe.split("^")
    if len(cols) == 1:
        return pd.factorize(data[cols[0]])[0]
    return data.groupby(cols, sort=False, dropna=False).ngroup().to_numpy()


def _select(data: pd.DataFrame, spec: Spec, vcols: Sequence[str]) -> pd.DataFrame:
    """Return the columns the spec and variances use (and the sample filter reads)."""
    cols = list(dict.fromkeys((*spec.model_columns(), *vcols)))
    if spec.sample:
        if "`" in spec.sample:
            return data
        cols += [c for c in _IDENT.findall(spec.sample) if c in data.columns]
    return data[list(dict.fromkeys(cols))]


def _check_conley(spec: Spec, v: Conley, d: pd.DataFrame) -> None:
    coords = [v.lat, v.lon]
    n_bad = int(d[coords].isna().any(axis=1).sum())
    if n_bad:
        raise InputError(
            f"{n_bad} rows of the sample have no coordinates ({', '.join(coords)}); "
            "geocode them or exclude them with the spec's sample filter."
        )
    check_coordinates(d[v.lat].to_numpy(dtype=float), d[v.lon].to_numpy(dtype=float))
    if v.time is None and d.duplicated(coords).any():
        warnings.warn(
            f"{_who(spec)}: the Conley variance has no time column but coordinates repeat "
            f"across rows ({int(d.duplicated(coords).sum())} repeats): all rows are treated as "
            "one cross-section, so rows at the same point and at neighbouring points are "
            "correlated with each other. That is right for several sectors of one county; for "
            "a panel set time = 'year' (and lags for serial correlation within a unit).",
            UserWarning,
            stacklevel=4,
        )
    if v.lags and v.time is not None:
        unit = [v.unit] if v.unit else coords
        dup = d.duplicated([*unit, v.time], keep=False)
        if dup.any():
            example = d.loc[dup, [*unit, v.time]].head(3).to_dict("records")
            raise InputError(
                f"{_who(spec)}: the Conley variance with serial lags needs one row per "
                f"({', '.join(unit)}, {v.time}); {int(dup.sum())} rows share a key (e.g. "
                f"{example}). Aggregate them, or set unit to the panel's unit column."
            )


def prepare_sample(spec: Spec, data: pd.DataFrame, variances: Sequence[Variance]) -> Sample:
    """Apply the sample filter and drop missing values, singletons and all-zero Poisson groups.

    Steps, each recorded in :attr:`Sample.dropped`: the sample filter; rows with a missing or
    non-finite value in any column the spec or one of ``variances`` uses; then, repeated until
    nothing changes, singleton groups of every fixed effect (they carry no within-group
    information and bias clustered variances) and, for Poisson, fixed-effect groups whose outcome
    is all zero (their effect is -inf and they add nothing to the likelihood of the other
    coefficients).

    Raises
    ------
    ColumnMissingError
        If the spec or a variance names a column that is not in the data.
    ColumnTypeError
        If the outcome, a numeric regressor, an instrument or the weights are not numbers.
    InputError
        Bad sample filter, Conley rows without coordinates, negative Poisson outcome,
        negative or missing weights, duplicated unit-periods under serial Conley.
    EstimationError
        If nothing is left to estimate.
    """
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"data must be a pandas DataFrame, got {type(data).__name__}.")
    vcols = list(dict.fromkeys(c for v in variances for c in v.columns()))
    _check_columns(data, spec.model_columns(), _who(spec))
    _check_columns(data, vcols, f"variance of {_who(spec)}")
    _check_types(spec, data)
    dropped: list[tuple[str, int]] = []
    d = _select(data, spec, vcols)
    if spec.sample:
        try:
            d = d.query(spec.sample)
        except Exception as e:  # pandas raises several types for a bad query
            raise SpecError(
                f"{_who(spec)}: sample filter {spec.sample!r} failed on the data "
                f"({type(e).__name__}: {e}); check the column names and the pandas query syntax."
            ) from None
        if len(d) < len(data):
            dropped.append((f"outside sample ({spec.sample})", len(data) - len(d)))
    if spec.weights:
        w = d[spec.weights]
        bad = int((w.isna() | ~np.isfinite(w.to_numpy(dtype=float)) | (w < 0)).sum())
        if bad:
            raise InputError(
                f"{_who(spec)}: weights column {spec.weights!r} has {bad} missing, infinite or "
                "negative values in the sample; weights must be finite and >= 0 (restrict the "
                "sample or fix the column)."
            )
    conley = [v for v in variances if isinstance(v, Conley)]
    for v in conley:
        _check_conley(spec, v, d)
    for col in d.columns:
        if col not in spec.model_columns() and col not in vcols:
            continue
        miss = d[col].isna().to_numpy().copy()
        if d[col].dtype.kind == "f":
            miss |= ~np.isfinite(d[col].to_numpy())
        if miss.any():
            dropped.append((f"missing or non-finite {col}", int(miss.sum())))
            d = d.loc[~miss]
    # booleans (e.g. a strong-cluster flag) enter as 0/1 numbers, never as categories
    flags = [
        c
        for c in (*spec.regressors, *spec.endogenous, *spec.instruments)
        if c not in spec.categorical and pd.api.types.is_bool_dtype(d[c].dtype)
    ]
    if flags:
        d = d.assign(**{c: d[c].astype("float64") for c in flags})
    if spec.estimator == "poisson":
        n_neg = int((d[spec.outcome] < 0).sum())
        if n_neg:
            raise InputError(
                f"poisson outcome {spec.outcome!r} has {n_neg} negative values; "
                "Poisson needs counts (>= 0)."
            )
    if spec.fixed_effects:
        # group codes once; rows are then dropped from boolean masks and the codes subset with
        # them (a code identifies the same group in every subset), so interacted fixed effects
        # are not regrouped in every pass
        keep = np.ones(len(d), dtype=bool)
        all_codes = {fe: _group_codes(d, fe) for fe in spec.fixed_effects}
        y = d[spec.outcome].to_numpy(dtype=float) if spec.estimator == "poisson" else None
        while True:
            changed = False
            for fe in spec.fixed_effects:
                codes = all_codes[fe][keep]
                counts = np.bincount(codes)
                single = counts[codes] == 1
                if single.any():
                    dropped.append((f"singleton in fixed effect {fe}", int(single.sum())))
                    keep[np.flatnonzero(keep)[single]] = False
                    codes = codes[~single]
                    changed = True
                if y is not None and keep.any():
                    ysum = np.bincount(codes, weights=y[keep])
                    zero = ysum[codes] == 0
                    if zero.any():
                        dropped.append((f"all-zero outcome in fixed effect {fe}", int(zero.sum())))
                        keep[np.flatnonzero(keep)[zero]] = False
                        changed = True
            if not changed:
                break
        if not keep.all():
            d = d.loc[keep]
    if len(d) == 0:
        raise EstimationError(f"no rows left to estimate {_who(spec)}; dropped: {dropped}.")
    return Sample(d, dropped)
