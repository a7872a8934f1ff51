"""Plants thrown at regions at random: the no-agglomeration null of Ellison & Glaeser (1997).

References
----------
Ellison, G. and Glaeser, E. (1997). Geographic concentration in U.S. manufacturing industries: a
dartboard approach. JPE 105(5), 889-927.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from agglomeration.errors import InputError
from agglomeration.simulate._validate import _finite, _nonneg, _pos_int, _positive, _rng

PlantSize = Literal["lognormal", "pareto", "constant"]

def dartboard(
    region_sizes: ArrayLike,
    n_plants: int | ArrayLike,
    seed: int | np.random.Generator = 0,
    *,
    n_industries: int | None = None,
    plant_size: PlantSize = "lognormal",
    size_mean_log: float = 3.0,
    size_sigma_log: float = 1.0,
    pareto_shape: float = 1.5,
    size_min: float = 1.0,
    integer_sizes: bool = True,
) -> pd.DataFrame:
    """Throw plants at regions at random: the no-agglomeration null of Ellison & Glaeser (1997).

    Each plant of each industry independently lands in region ``r`` with probability
    ``x_r = region_sizes[r] / sum(region_sizes)`` (EG 1997, sec. 1, the model with neither
    spillovers nor natural advantages, ``gamma = 0``). Under this null, EG's index
    ``gamma = (G - (1 - sum x_r**2) H) / ((1 - sum x_r**2)(1 - H))`` with ``G = sum (s_r -
    x_r)**2`` and ``H`` the plant-employment Herfindahl of the industry has expectation 0
    (EG 1997, Proposition 1 with ``gamma = 0``: ``E[G] = (1 - sum x_r**2) H``).

    Plant sizes (employment) are drawn i.i.d., independently of location:
    ``"lognormal"``: ``exp(N(size_mean_log, size_sigma_log**2))``; ``"pareto"``: ``size_min *
    (1 + Lomax(pareto_shape))``, i.e. Pareto with scale ``size_min`` and tail index
    ``pareto_shape``; ``"constant"``: ``exp(size_mean_log)``. With ``integer_sizes`` they are
    rounded to the nearest integer and floored at 1.

    To aggregate to region x industry employment (the input of the EG index), use
    :func:`dartboard_region_industry`, or
    ``plants.groupby(["region", "industry"])["employment"].sum()``.

    Parameters
    ----------
    region_sizes : array_like
        Non-negative sizes (e.g. total employment) of the regions, at least one positive; the
        region codes in the output are positions in this array.
    n_plants : int or array_like of int
        Plants per industry: one positive int (the same for every industry, with
        ``n_industries``) or one positive count per industry.
    seed : int or numpy.random.Generator
        Seed or generator.
    n_industries : int, optional
        Number of industries when ``n_plants`` is an int (default 1).
    plant_size : {"lognormal", "pareto", "constant"}
        Plant-size distribution.
    size_mean_log, size_sigma_log : float
        Log-normal parameters (and ``exp(size_mean_log)`` is the constant size).
    pareto_shape, size_min : float
        Pareto tail index (> 0) and scale (> 0).
    integer_sizes : bool
        Round sizes to integers >= 1 (default) or keep them real.

    Returns
    -------
    pandas.DataFrame
        One row per plant, sorted by industry: ``plant`` (int64, 0..N-1), ``industry`` (int64),
        ``region`` (int64), ``employment`` (int64 or float64).

    Examples
    --------
    A region with three quarters of the size receives about three quarters of the plants
    (4,000 plants: within two binomial standard errors, 0.007 each):

    >>> import numpy as np
    >>> from agglomeration.simulate import dartboard
    >>> plants = dartboard([1.0, 3.0], 4000, np.random.default_rng(0), n_industries=1)
    >>> plants.columns.tolist()
    ['plant', 'industry', 'region', 'employment']
    >>> bool(abs((plants["region"] == 1).mean() - 0.75) < 2 * np.sqrt(0.75 * 0.25 / 4000))
    True
    """
    x = np.asarray(region_sizes, dtype=np.float64).ravel()
    if x.size == 0:
        raise InputError("region_sizes is empty; pass one non-negative size per region.")
    bad = int((~np.isfinite(x) | (x < 0)).sum())
    if bad:
        raise InputError(
            f"region_sizes has {bad} negative or non-finite values; sizes must be >= 0."
        )
    if x.sum() <= 0:
        raise InputError("region_sizes sums to 0; at least one region must have positive size.")
    p = x / x.sum()
    if np.ndim(n_plants) == 0:
        n_pl = _pos_int("n_plants", n_plants)
        n_ind = 1 if n_industries is None else _pos_int("n_industries", n_industries)
        counts = np.full(n_ind, n_pl, dtype=np.int64)
    else:
        arr = np.asarray(n_plants)
        if arr.size == 0 or not np.issubdtype(arr.dtype, np.integer) or (arr <= 0).any():
            raise InputError(
                f"n_plants must be positive integers per industry; got {arr.size} values with "
                f"{int((arr <= 0).sum()) if arr.size else 0} non-positive (dtype {arr.dtype})."
            )
        counts = arr.astype(np.int64).ravel()
        if n_industries is not None and n_industries != counts.size:
            raise InputError(
                f"n_industries={n_industries} but n_plants has {counts.size} entries; "
                "drop n_industries or make them agree."
            )
    rng = _rng(seed)
    total = int(counts.sum())
    region = rng.choice(x.size, size=total, p=p).astype(np.int64)
    if plant_size == "lognormal":
        sm = _finite("size_mean_log", size_mean_log)
        ss = _nonneg("size_sigma_log", size_sigma_log)
        size = np.exp(rng.normal(sm, ss, total))
    elif plant_size == "pareto":
        a = _positive("pareto_shape", pareto_shape)
        xm = _positive("size_min", size_min)
        size = xm * (1.0 + rng.pareto(a, total))
    elif plant_size == "constant":
        size = np.full(total, math.exp(_finite("size_mean_log", size_mean_log)))
    else:
        raise InputError(
            f"plant_size must be 'lognormal', 'pareto' or 'constant', got {plant_size!r}."
        )
    employment: NDArray[np.generic] = (
        np.maximum(np.rint(size), 1.0).astype(np.int64) if integer_sizes else size
    )
    return pd.DataFrame(
        {
            "plant": np.arange(total, dtype=np.int64),
            "industry": np.repeat(np.arange(counts.size, dtype=np.int64), counts),
            "region": region,
            "employment": employment,
        },
        copy=False,
    )


def dartboard_region_industry(plants: pd.DataFrame, n_regions: int) -> pd.DataFrame:
    """Aggregate :func:`dartboard` plants to a complete region x industry employment frame.

    Parameters
    ----------
    plants : pandas.DataFrame
        Output of :func:`dartboard` (columns ``industry``, ``region``, ``employment``).
    n_regions : int
        Number of regions (``len(region_sizes)``), so that empty regions appear with zeros.

    Returns
    -------
    pandas.DataFrame
        Every region x industry cell (industry-major): ``region``, ``industry``, ``employment``
        (sum over plants, 0 where none landed), ``n_plants``.
    """
    n_r = _pos_int("n_regions", n_regions)
    missing = [c for c in ("industry", "region", "employment") if c not in plants.columns]
    if missing:
        raise InputError(f"plants lacks columns {missing}; pass the output of dartboard().")
    reg = plants["region"].to_numpy(dtype=np.int64)
    if reg.size and (reg.min() < 0 or reg.max() >= n_r):
        raise InputError(
            f"plants has region codes outside 0..{n_r - 1} (max {reg.max()}); check n_regions."
        )
    ind = plants["industry"].to_numpy(dtype=np.int64)
    n_i = int(ind.max()) + 1 if ind.size else 0
    key = ind * n_r + reg
    emp = np.bincount(key, weights=plants["employment"].to_numpy(np.float64), minlength=n_i * n_r)
    cnt = np.bincount(key, minlength=n_i * n_r)
    return pd.DataFrame(
        {
            "region": np.tile(np.arange(n_r, dtype=np.int64), n_i),
            "industry": np.repeat(np.arange(n_i, dtype=np.int64), n_r),
            "employment": emp,
            "n_plants": cnt.astype(np.int64),
        }
    )
