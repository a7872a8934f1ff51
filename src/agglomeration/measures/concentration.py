"""Density, location quotients, Herfindahl, Krugman specialisation, Hoover and Gini localisation.

All functions take a long DataFrame (one row per region x industry [x period] cell; a cell
absent from the frame is a zero) with the key columns named by arguments, and return a
:class:`~agglomeration.measures.MeasureResult`. Group sums are ``numpy.bincount`` calls on
integer codes, so the cost is linear in the number of rows (no loop over groups).

Notation, per period: ``E_ri`` employment of industry ``i`` in region ``r``, ``E_r`` region
total, ``E_i`` industry total, ``E`` grand total (all over the cells in the frame, or the
benchmark where one is given).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from agglomeration.errors import InputError
from agglomeration.measures._validate import (
    Coded,
    MeasureResult,
    check_columns,
    check_missing_rule,
    check_positive_totals,
    check_unique_cells,
    fully_observed,
    group_labels,
    numeric_values,
    prepare_long,
)

__all__ = [
    "employment_density",
    "hoover_localisation",
    "krugman_specialisation",
    "location_quotient",
    "locational_gini",
    "plant_herfindahl",
    "plant_herfindahl_from_counts",
    "region_herfindahl",
]


# ----------------------------------------------------------------------------------- helpers
def _region_totals(c: Coded, value: str) -> NDArray[np.float64]:
    """Region-period totals ``E_r`` (indexed by ``c.rt``), refusing zero totals."""
    n = c.n_r * c.n_t
    er = c.sum_by(c.rt, n)
    has = fully_observed(c, c.rt, n)
    check_positive_totals(er, has, group_labels(c, which="region"), what="regions",
                          value=value)
    return er


def _industry_totals(c: Coded, value: str) -> NDArray[np.float64]:
    """Industry-period totals ``E_i`` (indexed by ``c.it``), refusing zero totals."""
    n = c.n_i * c.n_t
    ei = c.sum_by(c.it, n)
    has = fully_observed(c, c.it, n)
    check_positive_totals(ei, has, group_labels(c, which="industry"), what="industries",
                          value=value)
    return ei


def _national_shares(
    c: Coded,
    *,
    benchmark: pd.DataFrame | None,
    industry: str,
    value: str,
    time: str | None,
) -> NDArray[np.float64]:
    """National share ``E_i / E`` of each industry-period, indexed by ``c.it``.

    From the data (sum over regions) or from a benchmark frame with the columns
    ``industry``, ``value`` [and ``time``] (e.g. national CBP, which also counts employment
    that the regional cells suppress). With a benchmark, ``E`` is the benchmark's total over all
    its industries, including those absent from the data.
    """
    if benchmark is None:
        ei = _industry_totals(c, value)
        e = np.bincount(np.arange(c.n_t).repeat(c.n_i), weights=ei, minlength=c.n_t)
        with np.errstate(invalid="ignore", divide="ignore"):
            return ei / np.repeat(e, c.n_i)
    check_columns(benchmark, industry=industry, value=value, time=time)
    b = numeric_values(benchmark, value, allow_nan=False)
    bi = c.industries.get_indexer(pd.Index(benchmark[industry]))
    if time is None:
        bt = np.zeros(len(benchmark), dtype=np.intp)
    else:
        assert c.times is not None
        bt = c.times.get_indexer(pd.Index(benchmark[time]))
        bt_ok = bt >= 0
        b, bi, bt = b[bt_ok], bi[bt_ok], bt[bt_ok]
    total = np.bincount(bt, weights=b, minlength=c.n_t)
    known = bi >= 0
    key = bt[known] * c.n_i + bi[known]
    n = c.n_i * c.n_t
    counts = np.bincount(key, minlength=n)
    if (counts > 1).any():
        raise InputError(
            f"benchmark has {int((counts > 1).sum())} duplicated ({industry}"
            f"{', ' + time if time else ''}) rows; aggregate it first."
        )
    needed = np.zeros(n, dtype=bool)
    needed[c.it] = True
    lacking = needed & (counts == 0)
    if lacking.any():
        labels = group_labels(c, which="industry")
        raise InputError(
            f"{int(lacking.sum())} industry cells of the data are not in the benchmark (e.g. "
            f"{list(labels[np.flatnonzero(lacking)[:5]])}); give a benchmark row for every "
            "industry (and period) or omit benchmark."
        )
    bsum = np.bincount(key, weights=b[known], minlength=n)
    if (total <= 0).any():
        raise InputError(f"benchmark column {value!r} sums to zero in some period.")
    zero = needed & (bsum <= 0)
    if zero.any():
        raise InputError(
            f"{int(zero.sum())} industries have zero employment in the benchmark column "
            f"{value!r}; drop them before computing the measure."
        )
    return bsum / np.repeat(total, c.n_i)


def _result(c: Coded, table: pd.DataFrame, **info: object) -> MeasureResult:
    return MeasureResult(table, c.missing_rule, c.n_missing, c.dropped, dict(info))


def _group_keys(c: Coded, n_groups_per_t: int, *, region: str | None, industry: str | None,
                time: str | None) -> pd.DataFrame:
    """Key frame of all ``n_t * n_groups_per_t`` region-period or industry-period groups."""
    g = np.arange(c.n_t * n_groups_per_t)
    t, k = np.divmod(g, n_groups_per_t)
    if region is not None:
        return c.key_frame(region=region, industry=None, time=time, r=k, t=t)
    return c.key_frame(region=None, industry=industry, time=time, i=k, t=t)


# ----------------------------------------------------------------------------------- density
def employment_density(
    df: pd.DataFrame,
    *,
    region: str,
    value: str,
    area: str,
    time: str | None = None,
    missing: str = "drop",
) -> MeasureResult:
    """Employment density: employment per unit of land area (e.g. per km²).

    ``density_r = E_r / A_r`` (Ciccone & Hall 1996 use employment per acre; the unit is
    that of ``area``).

    Parameters
    ----------
    df : pandas.DataFrame
        One row per region [and period], with employment and land area.
    region, value, area : str
        Column names: region id, employment, land area (strictly positive).
    time : str, optional
        Period column.
    missing : {"drop", "zero", "raise"}
        Rule for missing employment: ``"drop"`` gives NaN density, ``"zero"`` density 0.

    Returns
    -------
    MeasureResult
        ``table`` aligned with the input rows: keys, ``value``, ``area``, ``density``.

    Examples
    --------
    >>> import pandas as pd
    >>> from agglomeration.measures import employment_density
    >>> d = pd.DataFrame({"county": ["a", "b"], "emp": [500.0, 90.0], "km2": [10.0, 30.0]})
    >>> employment_density(d, region="county", value="emp", area="km2").table["density"].tolist()
    [50.0, 3.0]
    """
    check_columns(df, region=region, value=value, area=area, time=time)
    check_missing_rule(missing)
    v = numeric_values(df, value)
    a = numeric_values(df, area, allow_nan=False, what="land area")
    n_bad = int((a <= 0).sum())
    if n_bad:
        raise InputError(f"column {area!r} has {n_bad} non-positive areas; density is undefined.")
    keys = [k for k in (region, time) if k is not None]
    n_dup = int(df.duplicated(keys).sum())
    if n_dup:
        raise InputError(f"{n_dup} rows duplicate a ({', '.join(keys)}) key; aggregate first.")
    nan = np.isnan(v)
    n_missing = int(nan.sum())
    if n_missing and missing == "raise":
        raise InputError(f"column {value!r} has {n_missing} missing cells and missing='raise'.")
    if missing == "zero":
        v = np.where(nan, 0.0, v)
    out = df[[*keys, value, area]].copy()
    out["density"] = v / a
    return MeasureResult(out.reset_index(drop=True), missing, n_missing,
                         df.loc[nan, [*keys, value]].copy())


# ----------------------------------------------------------------------------------- LQ
def location_quotient(
    df: pd.DataFrame,
    *,
    region: str,
    industry: str,
    value: str,
    time: str | None = None,
    benchmark: pd.DataFrame | None = None,
    missing: str = "drop",
) -> MeasureResult:
    """Location quotient of every region x industry [x period] cell.

    ``LQ_ri = (E_ri / E_r) / (E_i / E)``: the industry's share of the region's employment
    relative to its national share (e.g. Delgado, Porter & Stern 2014, cluster
    specialisation). The employment-weighted mean of ``LQ_ri`` over regions, with weights
    ``E_r / E``, is 1 when the benchmark is the data itself.

    Parameters
    ----------
    df : pandas.DataFrame
        Long frame, one row per cell; absent cells are zeros.
    region, industry, value : str
        Column names of the region id, industry id and employment.
    time : str, optional
        Period column; every total is computed within period.
    benchmark : pandas.DataFrame, optional
        National employment by industry [and period] with columns ``industry``, ``value``
        [, ``time``] (same names as in ``df``). ``E_i / E`` is then taken from it, ``E``
        being its total over all its industries. Default: sums of ``df``.
    missing : {"drop", "zero", "raise"}
        Rule for missing cells (see :mod:`agglomeration.measures`); a dropped cell gets LQ NaN.

    Returns
    -------
    MeasureResult
        ``table`` aligned with the input rows: keys, ``value``, ``lq``.

    Raises
    ------
    ValueError
        Unknown columns, negative employment, duplicated cells, a region or industry with
        zero total employment, industries missing from the benchmark.

    Examples
    --------
    Steel is 30 of region A's 100 jobs and 50 of all 200: ``(30/100) / (50/200) = 1.2``.

    >>> import pandas as pd
    >>> import agglomeration.measures as m
    >>> cells = pd.DataFrame({"region": ["A", "A", "B", "B"],
    ...                       "industry": ["steel", "software", "steel", "software"],
    ...                       "jobs": [30, 70, 20, 80]})
    >>> kw = dict(region="region", industry="industry", value="jobs")
    >>> lq = m.location_quotient(cells, **kw).table
    >>> lq["lq"].round(4).tolist()  # A steel, A software, B steel, B software
    [1.2, 0.9333, 0.8, 1.0667]
    """
    c = prepare_long(df, region=region, industry=industry, value=value, time=time,
                     missing=missing)
    er = _region_totals(c, value)
    share = _national_shares(c, benchmark=benchmark, industry=industry, value=value, time=time)
    with np.errstate(invalid="ignore", divide="ignore"):
        lq = (c.v / er[c.rt]) / share[c.it]
    lq[~c.observed] = np.nan
    keys = [k for k in (region, industry, time) if k is not None]
    out = df[[*keys, value]].reset_index(drop=True)
    out["lq"] = lq
    return _result(c, out)


# ----------------------------------------------------------------------------------- Herfindahl
def region_herfindahl(
    df: pd.DataFrame,
    *,
    region: str,
    industry: str,
    value: str,
    time: str | None = None,
    missing: str = "drop",
) -> MeasureResult:
    """Herfindahl index of each region's industry structure.

    ``HHI_r = sum_i (E_ri / E_r)²``: 1 for a one-industry region, ``1/n`` for ``n`` equal
    industries (a measure of specialisation / lack of diversity, cf. Glaeser et al. 1992).

    Returns
    -------
    MeasureResult
        ``table``: one row per region [and period] with ``herfindahl``, ``n_industries``
        (cells with positive employment) and ``employment`` (``E_r``), sorted by keys.

    Examples
    --------
    Region A: ``0.3² + 0.7² = 0.58``; region B: ``0.2² + 0.8² = 0.68``.

    >>> import pandas as pd
    >>> import agglomeration.measures as m
    >>> cells = pd.DataFrame({"region": ["A", "A", "B", "B"],
    ...                       "industry": ["steel", "software", "steel", "software"],
    ...                       "jobs": [30, 70, 20, 80]})
    >>> kw = dict(region="region", industry="industry", value="jobs")
    >>> m.region_herfindahl(cells, **kw).table.set_index("region")["herfindahl"].round(4).to_dict()
    {'A': 0.58, 'B': 0.68}
    """
    c = prepare_long(df, region=region, industry=industry, value=value, time=time,
                     missing=missing)
    n = c.n_r * c.n_t
    er = _region_totals(c, value)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = c.v / er[c.rt]
    h = c.sum_by(c.rt, n, s * s)
    npos = np.bincount(c.rt, weights=(c.v > 0).astype(np.float64), minlength=n)
    present = np.bincount(c.rt, minlength=n) > 0
    out = _group_keys(c, c.n_r, region=region, industry=None, time=time)
    out["herfindahl"] = np.where(er > 0, h, np.nan)
    out["n_industries"] = npos.astype(np.int64)
    out["employment"] = er
    return _result(c, out.loc[present].reset_index(drop=True))


def _industry_time_codes(df: pd.DataFrame, industry: str, time: str | None
                         ) -> tuple[NDArray[np.intp], pd.Index, NDArray[np.intp], pd.Index | None]:
    for col in (industry, time):
        if col is not None and df[col].isna().any():
            raise InputError(f"key column {col!r} has {int(df[col].isna().sum())} missing values.")
    i, inds = pd.factorize(df[industry], sort=True)
    if time is None:
        return i.astype(np.intp), pd.Index(inds, name=industry), np.zeros(len(df), np.intp), None
    t, times = pd.factorize(df[time], sort=True)
    return (i.astype(np.intp), pd.Index(inds, name=industry), t.astype(np.intp),
            pd.Index(times, name=time))


def _industry_key_frame(inds: pd.Index, times: pd.Index | None, industry: str,
                        time: str | None) -> pd.DataFrame:
    n_t = 1 if times is None else len(times)
    g = np.arange(n_t * len(inds))
    t, i = np.divmod(g, len(inds))
    out = pd.DataFrame({industry: inds.take(i).array})
    if time is not None and times is not None:
        out[time] = times.take(t).array
    return out


def plant_herfindahl(
    plants: pd.DataFrame,
    *,
    industry: str,
    value: str,
    time: str | None = None,
    missing: str = "drop",
) -> MeasureResult:
    """Plant Herfindahl of each industry from plant-level employment.

    ``H_i = sum_k z_k²`` with ``z_k`` plant ``k``'s share of industry ``i``'s employment
    (Ellison & Glaeser 1997, the ``H`` of their index gamma).

    Parameters
    ----------
    plants : pandas.DataFrame
        One row per plant [and period].
    industry, value : str
        Industry and plant-employment columns.
    time : str, optional
        Period column.
    missing : {"drop", "zero", "raise"}
        Rule for plants with missing employment (dropped plants add nothing).

    Returns
    -------
    MeasureResult
        ``table``: ``industry`` [, ``time``], ``herfindahl``, ``n_plants`` (observed
        plants), ``employment``; industries with no employment get NaN.

    Examples
    --------
    Plants of 50, 30 and 20 workers: ``0.5² + 0.3² + 0.2² = 0.38``; two equal plants: 0.5.

    >>> import pandas as pd
    >>> from agglomeration.measures import plant_herfindahl
    >>> plants = pd.DataFrame({"industry": ["x", "x", "x", "y", "y"], "emp": [50, 30, 20, 10, 10]})
    >>> plant_herfindahl(plants, industry="industry", value="emp").table[["industry", "herfindahl"]]
      industry  herfindahl
    0        x        0.38
    1        y        0.50
    """
    check_columns(plants, industry=industry, value=value, time=time)
    check_missing_rule(missing)
    v = numeric_values(plants, value)
    nan = np.isnan(v)
    n_missing = int(nan.sum())
    if n_missing and missing == "raise":
        raise InputError(f"column {value!r} has {n_missing} missing plants and missing='raise'.")
    keep_obs = ~nan if missing == "drop" else np.ones_like(nan)
    v = np.where(nan, 0.0, v)
    i, inds, t, times = _industry_time_codes(plants, industry, time)
    n = len(inds) * (1 if times is None else len(times))
    it = t * len(inds) + i
    e = np.bincount(it, weights=v, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = v / e[it]
        h = np.bincount(it, weights=z * z, minlength=n)
    out = _industry_key_frame(inds, times, industry, time)
    out["herfindahl"] = np.where(e > 0, h, np.nan)
    out["n_plants"] = np.bincount(it, weights=keep_obs.astype(float), minlength=n).astype(np.int64)
    out["employment"] = e
    present = np.bincount(it, minlength=n) > 0
    keys = [k for k in (industry, time) if k is not None]
    return MeasureResult(out.loc[present].reset_index(drop=True), missing, n_missing,
                         plants.loc[nan, [*keys, value]].copy())


def plant_herfindahl_from_counts(
    df: pd.DataFrame,
    *,
    industry: str,
    establishments: str,
    value: str | None = None,
    region: str | None = None,
    time: str | None = None,
    missing: str = "drop",
) -> MeasureResult:
    """Approximate an industry's plant Herfindahl when plant sizes are not observed.

    Establishment counts and employment by cell (e.g. CBP state x industry) do not reveal
    plant sizes. Assuming that the ``n_c`` establishments of a cell ``c`` are of equal size
    ``E_c / n_c``, the Ellison & Glaeser (1997) plant Herfindahl ``H_i = sum_k z_k²`` is

    ``H_i ≈ sum_c n_c (E_c / (n_c E_i))² = sum_c E_c² / (n_c E_i²)``,

    and with one cell per industry (no ``region``, or ``value=None``) simply ``1 / N_i``,
    ``N_i`` the number of establishments.

    Bias: for a given number of plants and cell totals, ``sum z²`` is smallest when the plants
    are equal (Cauchy-Schwarz), so the approximation is a *lower bound* on the true ``H``
    (``1/N_i`` is the lowest of all). Real plant sizes are very skewed, so the true ``H`` can
    be several times larger. Since ``d gamma / d H = (G/(1 - sum x²) - 1) / (1 - H)² < 0``
    whenever ``G < 1 - sum x²``, understating ``H`` *overstates* the EG gamma, by about the
    error in ``H`` for industries with many plants; the bias matters most for industries
    with few, large plants. Using region cells (``region`` and ``value`` given) recovers the
    between-cell part of the size dispersion and is the better of the two approximations.

    Parameters
    ----------
    df : pandas.DataFrame
        Long frame of cells with establishment counts [and employment].
    industry, establishments : str
        Industry and establishment-count columns.
    value : str, optional
        Employment column; needed for the cell-based formula.
    region : str, optional
        Region column; cells are region x industry [x period]. Without it, or without
        ``value``, the formula is ``1/N_i``.
    time : str, optional
        Period column.
    missing : {"drop", "zero", "raise"}
        Rule for cells with missing employment: under ``"drop"`` they are left out of the
        sums (their establishments too); under ``"zero"`` they count as zero employment.

    Returns
    -------
    MeasureResult
        ``table``: ``industry`` [, ``time``], ``herfindahl``, ``n_establishments``,
        ``herfindahl_equal_size`` (``1/N_i``, for comparison).

    Examples
    --------
    Three equal plants share 60 workers in region A, one plant has 40 in B:
    ``3 (20/100)² + (40/100)² = 0.28``, above the ``1/N = 0.25`` of four equal plants:

    >>> import pandas as pd
    >>> from agglomeration.measures import plant_herfindahl_from_counts
    >>> cells = pd.DataFrame({"region": ["A", "B"], "industry": ["x", "x"],
    ...                       "emp": [60.0, 40.0], "est": [3, 1]})
    >>> h = plant_herfindahl_from_counts(cells, industry="industry", establishments="est",
    ...                                  value="emp", region="region").table
    >>> h[["herfindahl", "herfindahl_equal_size"]].round(4).values.tolist()
    [[0.28, 0.25]]
    """
    check_columns(df, industry=industry, establishments=establishments, value=value,
                  region=region, time=time)
    check_missing_rule(missing)
    n_est = numeric_values(df, establishments, allow_nan=False)
    i, inds, t, times = _industry_time_codes(df, industry, time)
    n_t = 1 if times is None else len(times)
    n = len(inds) * n_t
    it = t * len(inds) + i
    n_missing = 0
    dropped = df.iloc[:0]
    if value is not None:
        v = numeric_values(df, value)
        nan = np.isnan(v)
        n_missing = int(nan.sum())
        if n_missing and missing == "raise":
            raise InputError(f"column {value!r} has {n_missing} missing cells and "
                             "missing='raise'.")
        keys = [k for k in (region, industry, time) if k is not None]
        dropped = df.loc[nan, [*keys, value, establishments]].copy()
        if missing == "drop":
            n_est = np.where(nan, 0.0, n_est)
        v = np.where(nan, 0.0, v)
        bad = (v > 0) & (n_est <= 0)
        if bad.any():
            raise InputError(
                f"{int(bad.sum())} cells have positive {value!r} but no establishments in "
                f"{establishments!r}; fix the counts."
            )
    if region is not None:
        r, regions = pd.factorize(df[region], sort=True)
        check_unique_cells(r.astype(np.intp), i, t, (len(regions), len(inds), n_t),
                           [k for k in (region, industry, time) if k is not None])
    total_n = np.bincount(it, weights=n_est, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        h_equal = 1.0 / total_n
        if value is not None and region is not None:
            e = np.bincount(it, weights=v, minlength=n)
            contrib = np.where(n_est > 0, v * v / np.where(n_est > 0, n_est, 1.0), 0.0)
            h = np.bincount(it, weights=contrib, minlength=n) / (e * e)
            h = np.where(e > 0, h, np.nan)
        else:
            h = h_equal
    out = _industry_key_frame(inds, times, industry, time)
    out["herfindahl"] = np.where(total_n > 0, h, np.nan)
    out["n_establishments"] = total_n
    out["herfindahl_equal_size"] = np.where(total_n > 0, h_equal, np.nan)
    present = np.bincount(it, minlength=n) > 0
    return MeasureResult(out.loc[present].reset_index(drop=True), missing, n_missing, dropped)


# ----------------------------------------------------------------------------------- Krugman
def krugman_specialisation(
    df: pd.DataFrame,
    *,
    region: str,
    industry: str,
    value: str,
    time: str | None = None,
    benchmark: pd.DataFrame | None = None,
    missing: str = "drop",
) -> MeasureResult:
    """Krugman (1991) specialisation index of each region.

    ``K_r = sum_i |s_ir - s_i|`` with ``s_ir = E_ri / E_r`` the industry's share of region
    ``r``'s employment and ``s_i = E_i / E`` its national share (Krugman 1991, *Geography and
    Trade*; Midelfart-Knarvik et al. 2000). ``K_r`` lies in ``[0, 2)``: 0 when the region
    mirrors the nation. The sum runs over *all* industries: an industry absent from the region
    adds ``s_i``, computed as ``1 - sum_(i present) s_i`` so that absent cells need not be
    listed.

    Parameters
    ----------
    benchmark : pandas.DataFrame, optional
        National employment by industry (see :func:`location_quotient`) for ``s_i``.

    Returns
    -------
    MeasureResult
        ``table``: one row per region [and period]: ``krugman``, ``employment``.

    Examples
    --------
    Region A: ``|0.3 - 0.25| + |0.7 - 0.75| = 0.1``.

    >>> import pandas as pd
    >>> import agglomeration.measures as m
    >>> cells = pd.DataFrame({"region": ["A", "A", "B", "B"],
    ...                       "industry": ["steel", "software", "steel", "software"],
    ...                       "jobs": [30, 70, 20, 80]})
    >>> kw = dict(region="region", industry="industry", value="jobs")
    >>> m.krugman_specialisation(cells, **kw).table.set_index("region")["krugman"].round(4).to_dict()
    {'A': 0.1, 'B': 0.1}
    """
    c = prepare_long(df, region=region, industry=industry, value=value, time=time,
                     missing=missing)
    n = c.n_r * c.n_t
    er = _region_totals(c, value)
    si = _national_shares(c, benchmark=benchmark, industry=industry, value=value, time=time)
    with np.errstate(invalid="ignore", divide="ignore"):
        sir = c.v / er[c.rt]
    s_nat = si[c.it]
    dev = np.abs(sir - s_nat)
    if not c.observed.all():
        dev[~c.observed] = 0.0
        s_nat[~c.observed] = 0.0
    k = c.sum_by(c.rt, n, dev) + 1.0 - c.sum_by(c.rt, n, s_nat)
    present = np.bincount(c.rt, minlength=n) > 0
    out = _group_keys(c, c.n_r, region=region, industry=None, time=time)
    out["krugman"] = np.where(er > 0, k, np.nan)
    out["employment"] = er
    return _result(c, out.loc[present].reset_index(drop=True))


# ----------------------------------------------------------------------------------- Hoover/Gini
_F = NDArray[np.float64]


def _industry_region_shares(c: Coded, value: str) -> tuple[_F, _F, _F]:
    """Per cell: industry's regional share ``s_r = E_ri/E_i``, region share ``x_r = E_r/E``."""
    er = c.sum_by(c.rt, c.n_r * c.n_t)
    ei = _industry_totals(c, value)
    e = np.bincount(c.t, weights=c.v, minlength=c.n_t)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = c.v / ei[c.it]
        x = er[c.rt] / e[c.t]
    return s, x, ei


def hoover_localisation(
    df: pd.DataFrame,
    *,
    region: str,
    industry: str,
    value: str,
    time: str | None = None,
    missing: str = "drop",
) -> MeasureResult:
    """Hoover (1936) localisation coefficient of each industry across regions.

    ``Hoover_i = 0.5 * sum_r |s_r - x_r|`` with ``s_r = E_ri / E_i`` the region's share of the
    industry and ``x_r = E_r / E`` its share of all employment: the share of the industry's
    employment that would have to move for it to be distributed like total employment
    (0 = not localised, near 1 = all in a tiny region). Regions where the industry is absent
    add ``x_r``, computed as ``1 - sum_(r present) x_r``.

    Returns
    -------
    MeasureResult
        ``table``: one row per industry [and period]: ``hoover``, ``employment``.

    Examples
    --------
    Steel: ``0.5 (|0.6 - 0.5| + |0.4 - 0.5|) = 0.1``.

    >>> import pandas as pd
    >>> import agglomeration.measures as m
    >>> cells = pd.DataFrame({"region": ["A", "A", "B", "B"],
    ...                       "industry": ["steel", "software", "steel", "software"],
    ...                       "jobs": [30, 70, 20, 80]})
    >>> kw = dict(region="region", industry="industry", value="jobs")
    >>> m.hoover_localisation(cells, **kw).table.set_index("industry")["hoover"].round(4).to_dict()
    {'software': 0.0333, 'steel': 0.1}
    """
    c = prepare_long(df, region=region, industry=industry, value=value, time=time,
                     missing=missing)
    n = c.n_i * c.n_t
    s, x, ei = _industry_region_shares(c, value)
    obs = c.observed.astype(np.float64)
    hv = 0.5 * (c.sum_by(c.it, n, np.abs(s - x) * obs) + 1.0 - c.sum_by(c.it, n, x * obs))
    present = np.bincount(c.it, minlength=n) > 0
    out = _group_keys(c, c.n_i, region=None, industry=industry, time=time)
    out["hoover"] = np.where(ei > 0, hv, np.nan)
    out["employment"] = ei
    return _result(c, out.loc[present].reset_index(drop=True))


def locational_gini(
    df: pd.DataFrame,
    *,
    region: str,
    industry: str,
    value: str,
    time: str | None = None,
    missing: str = "drop",
) -> MeasureResult:
    """Locational Gini coefficient of each industry (Krugman 1991), from the Lorenz curve of LQs.

    Regions are sorted by the industry's location quotient ``LQ_r = s_r / x_r`` (ascending);
    the Lorenz curve plots the cumulative region share of total employment ``X`` against the
    cumulative share of the industry ``S``, and

    ``Gini_i = 1 - sum_k (X_k - X_(k-1)) (S_k + S_(k-1))``

    (one minus twice the area under the curve, trapezoid rule): 0 when the industry is spread
    like total employment, close to 1 when it sits in a region with a tiny share of employment.
    Regions where the industry is absent come first with ``S = 0`` and add nothing to the sum,
    so they need not be listed. Ties in LQ do not matter (tied regions lie on one segment).

    Returns
    -------
    MeasureResult
        ``table``: one row per industry [and period]: ``gini``, ``employment``.

    Examples
    --------
    Steel, regions sorted by LQ (B 0.8, A 1.2): ``1 - [0.5 (0.4 + 0) + 0.5 (1 + 0.4)] = 0.1``.

    >>> import pandas as pd
    >>> import agglomeration.measures as m
    >>> cells = pd.DataFrame({"region": ["A", "A", "B", "B"],
    ...                       "industry": ["steel", "software", "steel", "software"],
    ...                       "jobs": [30, 70, 20, 80]})
    >>> kw = dict(region="region", industry="industry", value="jobs")
    >>> m.locational_gini(cells, **kw).table.set_index("industry")["gini"].round(4).to_dict()
    {'software': 0.0333, 'steel': 0.1}
    """
    c = prepare_long(df, region=region, industry=industry, value=value, time=time,
                     missing=missing)
    n = c.n_i * c.n_t
    s, x, ei = _industry_region_shares(c, value)
    obs = c.observed
    s = np.where(obs, s, 0.0)
    x = np.where(obs, x, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        lq = np.where(x > 0, s / np.where(x > 0, x, 1.0), 0.0)
    it = c.it
    order = np.lexsort((lq, it))
    it_o, s_o, x_o = it[order], s[order], x[order]
    cum_s = np.cumsum(s_o)
    # subtract the cumulated sum up to the start of each group
    start = np.ones(len(it_o), dtype=bool)
    start[1:] = it_o[1:] != it_o[:-1]
    first = np.flatnonzero(start)
    offset = np.zeros(len(it_o))
    offset[first[1:]] = cum_s[first[1:] - 1]
    offset = np.maximum.accumulate(offset) if len(offset) else offset
    cs = cum_s - offset
    cs_prev = cs - s_o
    area2 = np.bincount(it_o, weights=x_o * (cs + cs_prev), minlength=n)
    g = 1.0 - area2
    present = np.bincount(it, minlength=n) > 0
    out = _group_keys(c, c.n_i, region=None, industry=industry, time=time)
    out["gini"] = np.where(ei > 0, g, np.nan)
    out["employment"] = ei
    return _result(c, out.loc[present].reset_index(drop=True))
