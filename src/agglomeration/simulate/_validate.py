"""Argument checks and random-number set-up shared by the generators of :mod:`agglomeration.simulate`.

Each check names the argument and the allowed range in its message.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from agglomeration.errors import InputError


def _rng(seed: int | np.random.Generator) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise InputError(
            f"seed must be an int or a numpy.random.Generator, got {type(seed).__name__} "
            f"({seed!r}); pass e.g. seed=0 or seed=np.random.default_rng(0)."
        )
    if seed < 0:
        raise InputError(f"seed must be a non-negative int, got {seed}.")
    return np.random.default_rng(int(seed))


def _pos_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value <= 0:
        raise InputError(f"{name} must be a positive integer, got {value!r}.")
    return int(value)


def _finite(name: str, value: float) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a finite number, got {value!r}.") from None
    if not math.isfinite(v):
        raise InputError(f"{name} must be a finite number, got {value!r}.")
    return v


def _nonneg(name: str, value: float) -> float:
    v = _finite(name, value)
    if v < 0:
        raise InputError(f"{name} must be >= 0, got {value!r}.")
    return v


def _positive(name: str, value: float) -> float:
    v = _finite(name, value)
    if v <= 0:
        raise InputError(f"{name} must be > 0, got {value!r}.")
    return v


def _in_open_unit(name: str, value: float, *, allow_zero: bool = True) -> float:
    v = _finite(name, value)
    lo_ok = v >= 0 if allow_zero else v > 0
    if not (lo_ok and v < 1):
        rng_txt = "[0, 1)" if allow_zero else "(0, 1)"
        raise InputError(f"{name} must lie in {rng_txt}, got {value!r}.")
    return v


def _readonly_int(a: ArrayLike) -> NDArray[np.int64]:
    """Read-only int64 view of ``a``."""
    out = np.asarray(a, dtype=np.int64).view()
    out.flags.writeable = False
    return out


def _readonly(a: ArrayLike) -> NDArray[np.float64]:
    """Read-only float64 view of ``a`` (no copy when ``a`` already is a float64 array)."""
    out = np.asarray(a, dtype=np.float64).view()
    out.flags.writeable = False
    return out



def _finite_vector(name: str, values: ArrayLike, size: int | None = None) -> NDArray[np.float64]:
    """1-D float64 copy of ``values``, all finite, of length ``size`` when given."""
    try:
        v = np.array(values, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a sequence of numbers, got {values!r}.") from None
    if size is not None and v.size != size:
        raise InputError(f"{name} must have {size} values, got {v.size} ({values!r}).")
    if not np.isfinite(v).all():
        raise InputError(f"{name} must be finite, got {values!r}.")
    return v


def _interval(name: str, value: tuple[float, float], *, lower: float) -> tuple[float, float]:
    """Check a pair ``(lo, hi)`` with ``lower <= lo <= hi``, both finite; return it."""
    v = _finite_vector(name, value, 2)
    if not lower <= v[0] <= v[1]:
        raise InputError(f"{name} must be a pair (lo, hi) with {lower} <= lo <= hi, got {value!r}.")
    return float(v[0]), float(v[1])
