"""Estimation samples of many specs from shared masks (the rows :func:`estimate` would use).

:func:`agglomeration.estimation.sample.prepare_sample` copies the selected columns, runs the
sample query and regroups the fixed effects for every spec. A grid of thousands of specs shares
almost all of that work: :class:`SamplePlanner` evaluates each distinct sample filter once,
each column's missing-value mask once and each fixed effect's group codes once (on the whole
panel), and then finds a spec's rows with boolean masks and ``bincount``. It applies the same
rules in the same order (sample filter, missing values column by column, singleton groups and,
for Poisson, all-zero groups, repeated until nothing changes), so the rows and the report of
dropped rows equal ``prepare_sample``'s; ``tests/test_robustness_samples.py`` checks it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from agglomeration.errors import EstimationError, InputError, SpecError
from agglomeration.estimation import sample as _sample
from agglomeration.estimation.spec import Spec
from agglomeration.estimation.variance_geo import Conley

__all__ = ["PlannedSample", "SamplePlanner", "fe_codes"]

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class PlannedSample:
    """Rows of a spec's estimation sample and the rows removed on the way.

    The rows are kept as a packed bit mask over the panel (one bit per row: 8 KB for the
    65,000 rows of the county panel), so that a grid with thousands of distinct samples holds
    them, and sends them to workers, in bounded memory.

    Attributes
    ----------
    bits : numpy.ndarray
        ``numpy.packbits`` of the row mask.
    n_panel : int
        Rows of the panel.
    dropped : tuple of (str, int)
        ``(reason, rows)`` in the order the rules were applied.
    """

    bits: np.ndarray
    n_panel: int
    dropped: tuple[tuple[str, int], ...]

    @classmethod
    def from_rows(
        cls, rows: np.ndarray, n_panel: int, dropped: tuple[tuple[str, int], ...]
    ) -> PlannedSample:
        """Build from sorted row positions."""
        mask = np.zeros(n_panel, dtype=bool)
        mask[rows] = True
        return cls(np.packbits(mask), int(n_panel), tuple(dropped))

    @property
    def rows(self) -> np.ndarray:
        """Positions of the sample's rows in the panel (ascending)."""
        return np.flatnonzero(np.unpackbits(self.bits, count=self.n_panel)).astype(np.int64)

    @cached_property
    def key(self) -> str:
        """Hash of the row set: specs with equal keys are estimated on the same rows."""
        return hashlib.blake2b(self.bits.tobytes(), digest_size=12).hexdigest()

    def dropped_frame(self) -> pd.DataFrame:
        """``reason, n_rows`` as :meth:`~agglomeration.estimation.sample.Sample.dropped_frame` gives it."""
        return pd.DataFrame(list(self.dropped), columns=["reason", "n_rows"]).astype(
            {"n_rows": "int64"}
        )


def fe_codes(data: pd.DataFrame, fe: str) -> np.ndarray:
    """Non-negative integer group codes of a fixed effect (``a^b`` interacted) on every row."""
    cols = fe.split("^")
    raw: np.ndarray
    if len(cols) == 1:
        raw = np.asarray(pd.factorize(data[cols[0]])[0])
    else:
        raw = data.groupby(cols, sort=False, dropna=False).ngroup().to_numpy()
    codes: np.ndarray = raw.astype(np.int64)
    if (codes < 0).any():
        codes = np.where(codes < 0, codes.max() + 1, codes)
    return codes


class SamplePlanner:
    """Find the estimation rows of many specs on one panel, sharing masks and group codes.

    Parameters
    ----------
    data : pandas.DataFrame
        The panel (any index; rows are addressed by position).
    """

    def __init__(self, data: pd.DataFrame) -> None:
        self.data = data
        self.n = len(data)
        self._missing: dict[str, np.ndarray] = {}
        self._sample: dict[str, np.ndarray] = {}
        self._codes: dict[str, np.ndarray] = {}
        self._done: dict[Any, PlannedSample] = {}
        self._checked: set[Any] = set()

    # -- shared pieces -------------------------------------------------------------------------
    def missing(self, col: str) -> np.ndarray:
        """Missing or non-finite mask of a column (cached)."""
        m = self._missing.get(col)
        if m is None:
            s = self.data[col]
            m = s.isna().to_numpy().copy()
            if s.dtype.kind == "f":
                m |= ~np.isfinite(s.to_numpy())
            self._missing[col] = m
        return m

    def codes(self, fe: str) -> np.ndarray:
        """Group codes of a fixed effect on the whole panel (cached)."""
        c = self._codes.get(fe)
        if c is None:
            c = fe_codes(self.data, fe)
            self._codes[fe] = c
        return c

    def sample_rows(self, spec: Spec) -> np.ndarray:
        """Positions selected by the spec's sample filter (cached by filter)."""
        q = spec.sample
        if not q:
            return np.arange(self.n)
        pos = self._sample.get(q)
        if pos is None:
            cols = [c for c in _IDENT.findall(q) if c in self.data.columns]
            d = self.data if "`" in q else self.data[list(dict.fromkeys(cols))]
            d = d.set_axis(pd.RangeIndex(self.n), axis=0)
            try:
                pos = d.query(q).index.to_numpy(dtype=np.int64)
            except Exception as e:  # pandas raises several types for a bad query
                raise SpecError(
                    f"spec {spec.name or spec.id}: sample filter {q!r} failed on the data "
                    f"({type(e).__name__}: {e}); check the column names and the pandas query "
                    "syntax."
                ) from None
            self._sample[q] = pos
        return pos

    # -- one spec ------------------------------------------------------------------------------
    def prepare(self, spec: Spec) -> PlannedSample:
        """Return the rows and dropped-row report of ``spec`` under its own variance.

        Raises the errors :func:`~agglomeration.estimation.sample.prepare_sample` raises.
        """
        data = self.data
        variances = [spec.variance]
        vcols = list(dict.fromkeys(c for v in variances for c in v.columns()))
        # the checks depend on the columns and their roles only: once per distinct set
        ckey = (
            spec.outcome,
            spec.regressors,
            spec.endogenous,
            spec.instruments,
            spec.categorical,
            spec.fixed_effects,
            spec.weights,
            tuple(vcols),
        )
        if ckey not in self._checked:
            _sample._check_columns(data, spec.model_columns(), _sample._who(spec))
            _sample._check_columns(data, vcols, f"variance of {_sample._who(spec)}")
            _sample._check_types(spec, data)
            self._checked.add(ckey)
        needed = list(dict.fromkeys((*spec.model_columns(), *vcols)))
        order = (
            [c for c in data.columns if c in needed]
            if spec.sample and "`" in spec.sample
            else needed
        )
        conley = isinstance(spec.variance, Conley)
        poisson = spec.estimator == "poisson"
        key = (
            spec.sample,
            tuple(order),
            spec.fixed_effects,
            spec.outcome if poisson else None,
            spec.weights,
            spec.variance if conley else None,
        )
        done = self._done.get(key)
        if done is not None:
            return done
        dropped: list[tuple[str, int]] = []
        rows = self.sample_rows(spec)
        if spec.sample and rows.size < self.n:
            dropped.append((f"outside sample ({spec.sample})", self.n - rows.size))
        if spec.weights:
            w = data[spec.weights].to_numpy(dtype=float)[rows]
            bad = int((~np.isfinite(w) | (w < 0)).sum())
            if bad:
                raise InputError(
                    f"{_sample._who(spec)}: weights column {spec.weights!r} has {bad} missing, "
                    "infinite or negative values in the sample; weights must be finite and >= 0 "
                    "(restrict the sample or fix the column)."
                )
        if conley:
            v = spec.variance
            assert isinstance(v, Conley)
            _sample._check_conley(spec, v, data.iloc[rows][list(v.columns())])
        for col in order:
            miss = self.missing(col)[rows]
            if miss.any():
                dropped.append((f"missing or non-finite {col}", int(miss.sum())))
                rows = rows[~miss]
        if poisson:
            n_neg = int((data[spec.outcome].to_numpy(dtype=float)[rows] < 0).sum())
            if n_neg:
                raise InputError(
                    f"poisson outcome {spec.outcome!r} has {n_neg} negative values; "
                    "Poisson needs counts (>= 0)."
                )
        if spec.fixed_effects:
            y = data[spec.outcome].to_numpy(dtype=float) if poisson else None
            full = {fe: self.codes(fe) for fe in spec.fixed_effects}
            while True:
                changed = False
                for fe in spec.fixed_effects:
                    codes = full[fe][rows]
                    counts = np.bincount(codes)
                    single = counts[codes] == 1
                    if single.any():
                        dropped.append((f"singleton in fixed effect {fe}", int(single.sum())))
                        rows = rows[~single]
                        codes = codes[~single]
                        changed = True
                    if poisson and rows.size:
                        assert y is not None
                        ysum = np.bincount(codes, weights=y[rows])
                        zero = ysum[codes] == 0
                        if zero.any():
                            dropped.append(
                                (f"all-zero outcome in fixed effect {fe}", int(zero.sum()))
                            )
                            rows = rows[~zero]
                            changed = True
                if not changed:
                    break
        if rows.size == 0:
            raise EstimationError(
                f"no rows left to estimate {_sample._who(spec)}; dropped: {dropped}."
            )
        out = PlannedSample.from_rows(rows, self.n, tuple(dropped))
        self._done[key] = out
        return out
