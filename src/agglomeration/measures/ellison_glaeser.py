"""Ellison & Glaeser (1997) agglomeration index and Ellison, Glaeser & Kerr (2010) coagglomeration.

Notation (per period): ``s_ri = E_ri / E_i`` industry ``i``'s share of its employment in
region ``r``; ``x_r = E_r / E`` region ``r``'s share of aggregate employment (all industries in
the frame); ``H_i = sum_k z_k²`` the industry's plant Herfindahl.

References
----------
Ellison, G. and Glaeser, E. L. (1997). Geographic concentration in U.S. manufacturing
industries: a dartboard approach. *Journal of Political Economy* 105(5), 889-927.

Ellison, G., Glaeser, E. L. and Kerr, W. R. (2010). What causes industry agglomeration?
Evidence from coagglomeration patterns. *American Economic Review* 100(3), 1195-1213.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from agglomeration.errors import InputError
from agglomeration.measures._validate import (
    Coded,
    MeasureResult,
    check_columns,
    check_positive_totals,
    fully_observed,
    group_labels,
    numeric_values,
    prepare_long,
)

__all__ = ["coagglomeration", "ellison_glaeser_gamma"]


def _shares(c: Coded, value: str) -> tuple[NDArray[np.float64], NDArray[np.float64],
                                           NDArray[np.float64], NDArray[np.float64]]:
    """Cell shares ``s`` and ``x``, industry totals and ``sum_r x_r²`` per period."""
    n_i = c.n_i * c.n_t
    er = c.sum_by(c.rt, c.n_r * c.n_t)
    ei = c.sum_by(c.it, n_i)
    has = fully_observed(c, c.it, n_i)
    check_positive_totals(ei, has, group_labels(c, which="industry"), what="industries",
                          value=value)
    e = np.bincount(c.t, weights=c.v, minlength=c.n_t)
    if (e <= 0).any():
        raise InputError(f"column {value!r} sums to zero in {int((e <= 0).sum())} period(s).")
    x_rt = er / np.repeat(e, c.n_r)
    sum_x2 = (x_rt * x_rt).reshape(c.n_t, c.n_r).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = c.v / ei[c.it]
    return s, x_rt[c.rt], ei, sum_x2


def ellison_glaeser_gamma(
    df: pd.DataFrame,
    *,
    region: str,
    industry: str,
    value: str,
    time: str | None = None,
    plant_herfindahl: pd.DataFrame | None = None,
    herfindahl: str = "herfindahl",
    missing: str = "drop",
) -> MeasureResult:
    """Ellison & Glaeser (1997) index of agglomeration gamma of every industry [and period].

    With ``G_i = sum_r (s_ri - x_r)²`` the raw geographic concentration and ``H_i`` the plant
    Herfindahl,

    ``gamma_i = (G_i / (1 - sum_r x_r²) - H_i) / (1 - H_i)``

    (EG 1997, the index gamma of their Section I; equivalently
    ``[G - (1 - sum x²) H] / [(1 - sum x²)(1 - H)]``). Under their dartboard model, in which
    plants choose regions with probabilities ``x_r`` independently, ``E[G] = (1 - sum x²) H``
    and ``E[gamma] = 0``. The sum over regions includes regions where the industry is absent
    (``s_ri = 0``): ``G = sum_present s² - 2 sum_present s x + sum_all x²``, so absent cells
    need not be listed. ``x_r`` is the region's share of *all* employment in the frame in that
    period.

    Parameters
    ----------
    df : pandas.DataFrame
        Long region x industry [x period] employment; absent cells are zeros.
    region, industry, value, time : str
        Column names (``time`` optional).
    plant_herfindahl : pandas.DataFrame, optional
        ``H_i`` by industry [and period]: columns ``industry`` [, ``time``] and
        ``herfindahl``, e.g. the ``table`` of :func:`plant_herfindahl` (plant data) or of
        :func:`plant_herfindahl_from_counts` (the equal-size approximation for data without
        plant sizes, such as CBP; it understates ``H`` and so overstates gamma, see there).
        If omitted, ``H = 0`` (infinitely many small plants) and gamma is the upper bound
        ``G / (1 - sum x²)``: say so when reporting it.
    herfindahl : str
        Name of the Herfindahl column in ``plant_herfindahl``.
    missing : {"drop", "zero", "raise"}
        Rule for missing cells (see :mod:`agglomeration.measures`).

    Returns
    -------
    MeasureResult
        ``table``: one row per industry [and period]: ``gamma``, ``G`` (raw concentration),
        ``H``, ``sum_x2`` (``sum_r x_r²``), ``n_regions`` (regions with positive employment of
        the industry), ``employment``. gamma is NaN where ``H = 1`` (a single plant) or
        where every cell of the industry was dropped by the missing rule;
        ``info["n_undefined"]`` counts these industry-periods.

    Raises
    ------
    ValueError
        Unknown columns, negative employment, an industry with zero total employment,
        industries without a Herfindahl, Herfindahls outside ``[0, 1]``.

    Examples
    --------
    Steel: ``G = (0.6 - 0.5)² + (0.4 - 0.5)² = 0.02``, ``sum x² = 0.5``; with ``H = 0``,
    ``gamma = 0.02 / 0.5 = 0.04``:

    >>> import pandas as pd
    >>> import agglomeration.measures as m
    >>> cells = pd.DataFrame({"region": ["A", "A", "B", "B"],
    ...                       "industry": ["steel", "software", "steel", "software"],
    ...                       "jobs": [30, 70, 20, 80]})
    >>> kw = dict(region="region", industry="industry", value="jobs")
    >>> h = pd.DataFrame({"industry": ["steel", "software"], "herfindahl": [0.0, 0.0]})
    >>> g = m.ellison_glaeser_gamma(cells, **kw, plant_herfindahl=h).table.set_index("industry")
    >>> g.loc["steel", ["G", "sum_x2", "gamma"]].round(4).tolist()
    [0.02, 0.5, 0.04]
    """
    c = prepare_long(df, region=region, industry=industry, value=value, time=time,
                     missing=missing)
    n = c.n_i * c.n_t
    s, x, ei, sum_x2 = _shares(c, value)
    obs = c.observed.astype(np.float64)
    g = (c.sum_by(c.it, n, s * s * obs) - 2.0 * c.sum_by(c.it, n, s * x * obs)
         + np.repeat(sum_x2, c.n_i))
    g = np.maximum(g, 0.0)  # rounding: G is a sum of squares
    h = _herfindahl_by_cell(c, plant_herfindahl, industry=industry, time=time,
                            herfindahl=herfindahl)
    denom_x = np.repeat(1.0 - sum_x2, c.n_i)
    with np.errstate(invalid="ignore", divide="ignore"):
        gamma = (g / denom_x - h) / (1.0 - h)
    gamma = np.where(h < 1.0, gamma, np.nan)
    present = np.bincount(c.it, minlength=n) > 0
    t_idx, i_idx = np.divmod(np.arange(n), c.n_i)
    out = c.key_frame(region=None, industry=industry, time=time, i=i_idx, t=t_idx)
    out["gamma"] = gamma
    out["G"] = g
    out["H"] = h
    out["sum_x2"] = np.repeat(sum_x2, c.n_i)
    out["n_regions"] = np.bincount(c.it, weights=(c.v > 0).astype(np.float64),
                                   minlength=n).astype(np.int64)
    out["employment"] = ei
    out = out.loc[present].reset_index(drop=True)
    n_undef = int(out["gamma"].isna().sum())
    return MeasureResult(out, c.missing_rule, c.n_missing, c.dropped,
                         {"n_undefined": n_undef, "herfindahl_given": plant_herfindahl is not None})


def _herfindahl_by_cell(c: Coded, ph: pd.DataFrame | None, *, industry: str,
                        time: str | None, herfindahl: str) -> NDArray[np.float64]:
    """``H`` for every industry-period code (``t * n_i + i``)."""
    n = c.n_i * c.n_t
    if ph is None:
        return np.zeros(n)
    check_columns(ph, industry=industry, time=time, herfindahl=herfindahl)
    h = numeric_values(ph, herfindahl)
    bad = int(((h < 0) | (h > 1)).sum())
    if bad:
        raise InputError(f"{bad} values of {herfindahl!r} lie outside [0, 1].")
    hi = c.industries.get_indexer(pd.Index(ph[industry]))
    if time is None:
        ht = np.zeros(len(ph), dtype=np.intp)
    else:
        assert c.times is not None
        ht = c.times.get_indexer(pd.Index(ph[time]))
    ok = (hi >= 0) & (ht >= 0) & ~np.isnan(h)
    key = ht[ok] * c.n_i + hi[ok]
    counts = np.bincount(key, minlength=n)
    if (counts > 1).any():
        raise InputError(f"plant_herfindahl has {int((counts > 1).sum())} duplicated "
                         "industry (period) rows.")
    out = np.full(n, np.nan)
    out[key] = h[ok]
    needed = np.zeros(n, dtype=bool)
    needed[c.it[c.observed & (c.v > 0)]] = True  # industries whose gamma is defined
    lacking = needed & np.isnan(out)
    if lacking.any():
        labels = group_labels(c, which="industry")
        raise InputError(
            f"{int(lacking.sum())} industries (periods) of the data have no {herfindahl!r} in "
            f"plant_herfindahl (e.g. {list(labels[np.flatnonzero(lacking)[:5]])}); supply one "
            "for each (e.g. from plant_herfindahl_from_counts)."
        )
    return out


def coagglomeration(
    df: pd.DataFrame,
    *,
    region: str,
    industry: str,
    value: str,
    time: str | None = None,
    pairs: Literal["all", "upper"] = "all",
    missing: str = "drop",
) -> MeasureResult:
    """Ellison, Glaeser & Kerr (2010) coagglomeration index for every pair of industries.

    ``gamma^c_ij = sum_r (s_ri - x_r)(s_rj - x_r) / (1 - sum_r x_r²)``

    (EGK 2010, their coagglomeration index, the Ellison & Glaeser 1997 index for a pair of
    industries without the plant-Herfindahl correction). For each period it is computed for
    all pairs at once as ``D'D / (1 - sum x²)`` with the dense region x industry matrix
    ``D_ri = s_ri - x_r`` (one matrix product; memory ``n_regions * n_industries`` floats).

    Parameters
    ----------
    df : pandas.DataFrame
        Long region x industry [x period] employment; absent cells are zeros.
    region, industry, value, time : str
        Column names.
    pairs : {"all", "upper"}
        ``"all"``: every ordered pair ``i != j`` (the table is symmetric); ``"upper"``: each
        unordered pair once (``i < j`` in sorted industry order).
    missing : {"drop", "zero", "raise"}
        Rule for missing cells; a dropped cell enters ``D`` as ``s = 0``.

    Returns
    -------
    MeasureResult
        ``table`` with columns ``{industry}_i``, ``{industry}_j`` [, ``time``],
        ``coagglomeration``.

    Examples
    --------
    ``[(0.6 - 0.5)(0.4667 - 0.5) + (0.4 - 0.5)(0.5333 - 0.5)] / 0.5 = -0.0133``: steel and
    software lean towards different regions.

    >>> import pandas as pd
    >>> import agglomeration.measures as m
    >>> cells = pd.DataFrame({"region": ["A", "A", "B", "B"],
    ...                       "industry": ["steel", "software", "steel", "software"],
    ...                       "jobs": [30, 70, 20, 80]})
    >>> kw = dict(region="region", industry="industry", value="jobs")
    >>> co = m.coagglomeration(cells, **kw, pairs="upper").table
    >>> co.round(4).values.tolist()
    [['software', 'steel', -0.0133]]
    """
    c = prepare_long(df, region=region, industry=industry, value=value, time=time,
                     missing=missing)
    if c.n_r * c.n_i > 200_000_000:
        raise InputError(f"{c.n_r} regions x {c.n_i} industries is too large for the dense "
                         "pair computation; aggregate industries or regions.")
    s, x, ei, sum_x2 = _shares(c, value)
    s = np.where(c.observed & np.isfinite(s), s, 0.0)
    er = c.sum_by(c.rt, c.n_r * c.n_t)
    e = np.bincount(c.t, weights=c.v, minlength=c.n_t)
    x_rt = er / np.repeat(e, c.n_r)
    frames = []
    iu, ju = (np.triu_indices(c.n_i, k=1) if pairs == "upper"
              else np.nonzero(~np.eye(c.n_i, dtype=bool)))
    order = np.argsort(c.t, kind="stable")
    bounds = np.searchsorted(c.t[order], np.arange(c.n_t + 1))
    for t in range(c.n_t):  # loop over periods only; all pairs by one matrix product
        rows = order[bounds[t]:bounds[t + 1]]
        d = np.repeat(-x_rt[t * c.n_r:(t + 1) * c.n_r, None], c.n_i, axis=1)
        d[c.r[rows], c.i[rows]] += s[rows]  # cells are unique (checked)
        active = np.zeros(c.n_i, dtype=bool)
        active[c.i[rows]] = True
        active &= ei[t * c.n_i:(t + 1) * c.n_i] > 0
        cm = (d.T @ d) / (1.0 - sum_x2[t])
        keep = active[iu] & active[ju]
        fr = pd.DataFrame({f"{industry}_i": c.industries.take(iu[keep]).array,
                           f"{industry}_j": c.industries.take(ju[keep]).array})
        if time is not None and c.times is not None:
            fr[time] = c.times[t]
        fr["coagglomeration"] = cm[iu[keep], ju[keep]]
        frames.append(fr)
    out = pd.concat(frames, ignore_index=True)
    return MeasureResult(out, c.missing_rule, c.n_missing, c.dropped)
