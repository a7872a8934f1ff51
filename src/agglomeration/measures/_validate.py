"""Input validation, integer coding and the missing-cell rule shared by every measure.

Every measure takes a long DataFrame (one row per region x industry [x period] cell) and
column names as arguments. :func:`prepare_long` checks the frame once and turns the key
columns into integer codes, so that all group sums are ``numpy.bincount`` calls (vectorised,
no Python loop over groups).

Missing (suppressed) cells
--------------------------
A cell whose value is missing (NaN / NA) is handled by the ``missing`` argument:

``"drop"`` (default)
    The cell is treated as unobserved: it contributes nothing to any total (region,
    industry, national), so in sums over cells it acts like a zero, and any cell-level output
    for it (e.g. its location quotient) is NaN. Totals are therefore totals of the *observed*
    cells, a lower bound on the true totals.
``"zero"``
    The cell is set to zero and treated as observed.
``"raise"``
    Any missing cell raises ``ValueError``.

Every measure returns a :class:`MeasureResult` whose ``n_missing`` says how many cells the rule
touched and whose ``dropped`` frame lists them. In County Business Patterns a suppressed cell
is published as employment 0 with positive establishments; :func:`mark_suppressed` turns those
into NaN first (and counts them) so that the rule applies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from agglomeration.errors import ColumnMissingError, InputError

__all__ = ["MeasureResult", "MissingRule", "mark_suppressed"]

MissingRule = Literal["drop", "zero", "raise"]
_RULES = ("drop", "zero", "raise")


@dataclass(frozen=True)
class MeasureResult:
    """Result of a measure: a tidy table plus an account of what the missing-cell rule did.

    Attributes
    ----------
    table : pandas.DataFrame
        The measure, one row per unit of observation (see each function).
    missing_rule : str
        The rule applied to missing cells (``"drop"``, ``"zero"`` or ``"raise"``).
    n_missing : int
        Number of input cells the rule touched (missing values dropped or set to zero).
    dropped : pandas.DataFrame
        The input rows the rule touched (their key columns and value), empty if none.
    info : dict
        Further counts specific to the measure (e.g. unmapped industries, singleton
        industries with undefined gamma); documented by each function.
    """

    table: pd.DataFrame
    missing_rule: str
    n_missing: int
    dropped: pd.DataFrame
    info: dict[str, Any] = field(default_factory=dict)


def check_columns(df: pd.DataFrame, **columns: str | None) -> None:
    """Raise :class:`ColumnMissingError` naming every requested column that ``df`` lacks."""
    if not isinstance(df, pd.DataFrame):
        raise InputError(f"expected a pandas DataFrame, got {type(df).__name__}.")
    missing = [f"{arg}={name!r}" for arg, name in columns.items() if name is not None
               and name not in df.columns]
    if missing:
        raise ColumnMissingError(
            f"unknown column(s) {', '.join(missing)}: not in the DataFrame, whose columns are "
            f"{list(df.columns)}; pass the right column name."
        )


def check_missing_rule(missing: str) -> None:
    """Validate the ``missing`` argument."""
    if missing not in _RULES:
        raise InputError(f"missing={missing!r} is not a rule; use one of {_RULES}.")


def numeric_values(
    df: pd.DataFrame,
    column: str,
    *,
    allow_nan: bool = True,
    what: str = "employment and counts",
) -> NDArray[np.float64]:
    """Return ``df[column]`` as float64, refusing non-numeric, infinite or negative values.

    ``what`` names the quantity in the error message (e.g. ``"land area"``).
    """
    s = df[column]
    if not (pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype)):
        raise InputError(
            f"column {column!r} has dtype {s.dtype}, not numeric; convert it (e.g. "
            "pd.to_numeric) before computing measures."
        )
    v = s.to_numpy(dtype=np.float64, na_value=np.nan)
    n_inf = int(np.isinf(v).sum())
    if n_inf:
        raise InputError(f"column {column!r} has {n_inf} infinite values; fix or drop them.")
    n_neg = int((v < 0).sum())
    if n_neg:
        raise InputError(
            f"column {column!r} has {n_neg} negative values; {what} must be >= 0"
            + (" (suppressed cells should be NaN, not negative)." if what.startswith("employ") else ".")
        )
    if not allow_nan:
        n_nan = int(np.isnan(v).sum())
        if n_nan:
            raise InputError(f"column {column!r} has {n_nan} missing values; fill or drop them.")
    return v


def _codes(s: pd.Series, column: str) -> tuple[NDArray[np.intp], pd.Index]:
    n_na = int(s.isna().sum())
    if n_na:
        raise InputError(f"key column {column!r} has {n_na} missing values; drop or fill them.")
    codes, uniques = pd.factorize(s, sort=True)
    return codes.astype(np.intp, copy=False), pd.Index(uniques, name=column)


@dataclass(frozen=True)
class Coded:
    """A validated long frame as integer codes (internal)."""

    r: NDArray[np.intp]
    i: NDArray[np.intp]
    t: NDArray[np.intp]
    v: NDArray[np.float64]  # missing cells set to 0 (they then add nothing to sums)
    observed: NDArray[np.bool_]  # False for cells dropped by the rule
    regions: pd.Index
    industries: pd.Index
    times: pd.Index | None
    n_missing: int
    dropped: pd.DataFrame
    missing_rule: str

    @property
    def n_r(self) -> int:
        return len(self.regions)

    @property
    def n_i(self) -> int:
        return len(self.industries)

    @property
    def n_t(self) -> int:
        return 1 if self.times is None else len(self.times)

    @cached_property
    def rt(self) -> NDArray[np.intp]:
        """Region-period code ``t * n_r + r``."""
        return self.t * self.n_r + self.r

    @cached_property
    def it(self) -> NDArray[np.intp]:
        """Industry-period code ``t * n_i + i``."""
        return self.t * self.n_i + self.i

    def sum_by(self, key: NDArray[np.intp], n: int, w: NDArray[np.float64] | None = None
               ) -> NDArray[np.float64]:
        """Vectorised group sum ``bincount(key, w)`` of length ``n``."""
        out = np.bincount(key, weights=self.v if w is None else w, minlength=n)
        return out.astype(np.float64, copy=False)

    def key_frame(self, *, region: str | None, industry: str | None, time: str | None,
                  r: NDArray[np.intp] | None = None, i: NDArray[np.intp] | None = None,
                  t: NDArray[np.intp] | None = None) -> pd.DataFrame:
        """Build a frame of key columns from codes."""
        out: dict[str, pd.Index] = {}
        if region is not None and r is not None:
            out[region] = self.regions.take(r)
        if industry is not None and i is not None:
            out[industry] = self.industries.take(i)
        if time is not None and self.times is not None and t is not None:
            out[time] = self.times.take(t)
        return pd.DataFrame({k: v.array for k, v in out.items()})


def prepare_long(
    df: pd.DataFrame,
    *,
    region: str,
    industry: str,
    value: str,
    time: str | None = None,
    missing: str = "drop",
) -> Coded:
    """Validate a long region x industry [x period] frame and code it as integers.

    Raises ``ValueError`` for unknown columns, a non-numeric/negative/infinite value column,
    missing keys, duplicated cells and, under ``missing="raise"``, missing values.
    """
    check_columns(df, region=region, industry=industry, value=value, time=time)
    check_missing_rule(missing)
    v = numeric_values(df, value)
    nan = np.isnan(v)
    n_missing = int(nan.sum())
    if n_missing and missing == "raise":
        raise InputError(
            f"column {value!r} has {n_missing} missing (suppressed) cells and missing='raise'; "
            "use missing='drop' or 'zero', or impute them first."
        )
    keys = [c for c in (region, industry, time) if c is not None]
    dropped = df.loc[nan, [*keys, value]].copy() if n_missing else df.iloc[:0][[*keys, value]]
    observed = ~nan
    if n_missing:
        v = v.copy()
        v[nan] = 0.0
        if missing == "zero":
            observed = np.ones_like(observed)
    r, regions = _codes(df[region], region)
    i, industries = _codes(df[industry], industry)
    if time is not None:
        t, times = _codes(df[time], time)
    else:
        t, times = np.zeros(len(df), dtype=np.intp), None
    n_t = 1 if times is None else len(times)
    check_unique_cells(r, i, t, (len(regions), len(industries), n_t), keys)
    return Coded(r, i, t, v, observed, regions, industries, times, n_missing, dropped, missing)


def check_unique_cells(r: NDArray[np.intp], i: NDArray[np.intp], t: NDArray[np.intp],
                       dims: tuple[int, int, int], keys: list[str]) -> None:
    """Raise if a (region, industry, period) cell appears more than once."""
    n_r, n_i, n_t = dims
    size = n_r * n_i * n_t
    key = (t.astype(np.int64) * n_i + i) * n_r + r
    if size <= 50_000_000:
        n_dup = int(len(key) - np.count_nonzero(np.bincount(key, minlength=size)))
    else:
        n_dup = int(len(key) - np.unique(key).size)
    if n_dup:
        raise InputError(
            f"{n_dup} rows duplicate a ({', '.join(keys)}) cell; aggregate duplicates (e.g. "
            "groupby(...).sum()) before computing measures."
        )


def fully_observed(c: Coded, key: NDArray[np.intp], n: int) -> NDArray[np.bool_]:
    """Flag the groups that have rows, none of them dropped by the missing rule.

    Only these are checked for a zero total: a group whose total is zero because its cells
    were dropped gets NaN outputs (and the dropped cells are counted in ``n_missing``).
    """
    rows = np.bincount(key, minlength=n)
    if c.observed.all():
        return np.asarray(rows > 0)
    n_dropped = np.bincount(key, weights=(~c.observed).astype(np.float64), minlength=n)
    return np.asarray((rows > 0) & (n_dropped == 0))


def check_positive_totals(total: NDArray[np.float64], has_obs: NDArray[np.bool_],
                          labels: pd.Index, *, what: str, value: str) -> None:
    """Raise if a fully observed group has zero total."""
    bad = has_obs & (total <= 0)
    n_bad = int(bad.sum())
    if n_bad:
        examples = list(labels[np.flatnonzero(bad)[:5]])
        raise InputError(
            f"{n_bad} {what} have zero total employment in column {value!r} (e.g. {examples}); "
            f"shares are undefined: drop these {what} before computing the measure."
        )


def group_labels(coded: Coded, *, which: Literal["region", "industry"]) -> pd.Index:
    """Labels for region-period or industry-period group codes (for error messages)."""
    base = coded.regions if which == "region" else coded.industries
    if coded.times is None:
        return pd.Index([str(x) for x in base])
    return pd.Index([f"{b} ({t})" for t in coded.times for b in base])


def mark_suppressed(
    df: pd.DataFrame,
    *,
    value: str,
    establishments: str,
) -> MeasureResult:
    """Turn CBP disclosure suppressions (value 0 with establishments > 0) into NaN.

    County Business Patterns publishes a suppressed employment cell as ``0`` while the
    establishment count stays positive; such a zero is not a true zero. This returns a copy
    of ``df`` in which those cells are NaN, so that the ``missing`` rule of every measure
    applies to them.

    Parameters
    ----------
    df : pandas.DataFrame
        Long frame.
    value, establishments : str
        Employment column and establishment-count column.

    Returns
    -------
    MeasureResult
        ``table`` is the copy with suppressed cells set to NaN; ``n_missing`` is the number
        of cells marked; ``dropped`` lists them as they were in the input.

    Examples
    --------
    The zero with four establishments is a suppression; the zero with none is a true zero:

    >>> import pandas as pd
    >>> from agglomeration.measures import mark_suppressed
    >>> cbp = pd.DataFrame({"emp": [0.0, 50.0, 0.0], "est": [4, 2, 0]})
    >>> res = mark_suppressed(cbp, value="emp", establishments="est")
    >>> res.n_missing, res.table["emp"].tolist()
    (1, [nan, 50.0, 0.0])
    """
    check_columns(df, value=value, establishments=establishments)
    v = numeric_values(df, value)
    n = numeric_values(df, establishments)
    mask = (v == 0) & (n > 0)
    out = df.copy()
    out[value] = out[value].astype("float64")
    out.loc[mask, value] = np.nan
    return MeasureResult(out, "suppressed->NaN", int(mask.sum()), df.loc[mask].copy())
