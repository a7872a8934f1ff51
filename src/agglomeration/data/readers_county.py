"""Readers of the county characteristics files: ACS 2013-2017, ABS 2017, historical population.

The same conventions as :mod:`agglomeration.data.readers` (whose helpers these readers use): the
file and the columns the project relies on are checked, FIPS codes are zero-padded strings,
values are numeric, and no row is dropped. Each reader handles its file's quirks as listed in
``data_raw/MANIFEST.md``:

- ``acs5_2017_county.csv``: ``NA`` is missing; shares are fractions in [0, 1] (checked).
- ``abs_2017_county_naics2.csv``: a cell with zero in every column was withheld (or has no
  firms; the file cannot tell which): every value missing, never zero. A zero next to positive
  values of the same cell (zero receipts of firms that exist: 288 cells) is a withheld value:
  missing. Sector ``00`` (all sectors) and ``99`` (not classified) are kept as codes.
- ``county_population_1790_2010.csv``: decimal estimates on 2010 boundaries; ``0`` is kept as a
  value (a true zero for the area; the panel builder decides what a zero means for a log).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from agglomeration.data.readers import (
    FILES,
    RawDataError,
    _check_unique,
    _pad,
    _read_csv,
    _to_numeric,
)

__all__ = [
    "ABS_VALUES",
    "ACS_SHARES",
    "CENSUS_YEARS",
    "read_abs_county_naics2",
    "read_acs_county",
    "read_county_population",
]

ACS_SHARES: tuple[str, ...] = (
    "pct_edu_hsplus",
    "pct_edu_hs",
    "pct_edu_somecollege",
    "pct_edu_associate",
    "pct_edu_ba",
    "pct_edu_grad",
    "pct_edu_baplus",
    "lfp_total",
    "epratio_total",
    "unemp_total",
    "pct_publictrans_total",
)
"""ACS share columns returned by :func:`read_acs_county` (fractions of the relevant population)."""

_ACS_LEVELS = ("pop_total", "med_hh_inc_total", "med_earnings_total")

ABS_VALUES: dict[str, str] = {
    "FIRMPDEMP": "firms",
    "RCPPDEMP": "receipts_k",
    "EMP": "employment",
    "PAYANN": "payroll_k",
}
"""ABS file column -> reader column (receipts and payroll stay in $1,000, as in the file)."""

CENSUS_YEARS: tuple[int, ...] = tuple(range(1790, 2011, 10))
"""Decennial census years of the historical population file (``epop1790`` ... ``pop2010``)."""


def read_acs_county(raw_dir: Path | str) -> pd.DataFrame:
    """Read selected 2013-2017 ACS 5-year county statistics.

    The estimates pool 2013-2017 responses: they describe a county around the middle of the
    county panel, not each year, and are meant as fixed county characteristics.

    Returns
    -------
    DataFrame
        One row per county or county equivalent (Puerto Rico included): ``fips`` (5-digit
        string), ``county_name``, ``pop_total``, ``med_hh_inc_total``, ``med_earnings_total``
        (dollars) and the shares of :data:`ACS_SHARES` as fractions (``pct_edu_baplus``: share of
        adults 25 and over with a bachelor's degree or more). ``NA`` in the file is missing. The
        race-specific columns are not returned (small samples; ``pct_publictrans_black`` has
        divisions by zero, ``inf``, and values above 1).

    Raises
    ------
    RawDataError
        A required column is absent, a code is malformed, a county repeats, or a share lies
        outside [0, 1] (a file in percent rather than fractions).
    """
    f = FILES["acs_county"]
    cols = ["stco_code", "stco_name", *_ACS_LEVELS, *ACS_SHARES]
    df = _read_csv(raw_dir, "acs_county", cols, dtype={"stco_code": str}, na_values=["NA"])
    df = _to_numeric(df, [*_ACS_LEVELS, *ACS_SHARES], f)
    out = pd.DataFrame({"fips": _pad(df["stco_code"], 5, "stco_code", f)})
    out["county_name"] = df["stco_name"].astype(str)
    for c in (*_ACS_LEVELS, *ACS_SHARES):
        out[c] = df[c].astype("float64")
    for c in ACS_SHARES:
        v = out[c]
        bad = v.notna() & ~v.between(0.0, 1.0)
        if bad.any():
            raise RawDataError(
                f"{f}: column {c!r} has {int(bad.sum())} values outside [0, 1] (e.g. "
                f"{v[bad].head(3).tolist()}); ACS shares are fractions in the deposited file: "
                "re-acquire it with `nox -s data`."
            )
    _check_unique(out, ["fips"], f)
    return out


def read_abs_county_naics2(raw_dir: Path | str) -> pd.DataFrame:
    """Read the 2017 Annual Business Survey, county x 2-digit NAICS 2017 sector.

    Withheld values are missing, never zero: a cell whose four values are all zero was
    withheld or has no firms (the file cannot tell which), so every value is missing and
    ``cell_withheld`` is True; a zero next to positive values of the same cell (e.g. zero
    receipts of firms that exist) is a withheld value, missing, flagged ``<value>_withheld``.

    Returns
    -------
    DataFrame
        One row per file row: ``fips`` (5-digit), ``state_fips``, ``sector`` (NAICS 2017 sector
        code as text: ``"00"`` all sectors, ``"31-33"``, ..., ``"99"`` not classified),
        ``sector_label``, ``firms`` (employer firms), ``receipts_k`` (sales, value of shipments
        or revenue, $1,000), ``employment`` (pay period including March 12), ``payroll_k``
        (annual payroll, $1,000), and the flags ``cell_withheld``, ``firms_withheld``,
        ``receipts_withheld``, ``employment_withheld``, ``payroll_withheld``.
    """
    f = FILES["abs_county_naics2"]
    cols = ["stco_code", "state", "county", "NAICS2017", "NAICS2017_LABEL", *ABS_VALUES]
    df = _read_csv(
        raw_dir,
        "abs_county_naics2",
        cols,
        dtype={"stco_code": str, "state": str, "county": str, "NAICS2017": str},
    )
    df = _to_numeric(df, list(ABS_VALUES), f)
    fips = _pad(df["stco_code"], 5, "stco_code", f)
    parts = _pad(df["state"], 2, "state", f) + _pad(df["county"], 3, "county", f)
    if not fips.eq(parts).all():
        n = int(fips.ne(parts).sum())
        raise RawDataError(f"{f}: {n} rows whose 'stco_code' differs from 'state' + 'county'.")
    sector = df["NAICS2017"].astype(str).str.strip()
    bad = ~sector.str.fullmatch(r"\d{2}(-\d{2})?")
    if bad.any():
        raise RawDataError(
            f"{f}: column 'NAICS2017' has {int(bad.sum())} codes that are not 2-digit sectors "
            f"(e.g. {sector[bad].head(3).tolist()})."
        )
    values = df[list(ABS_VALUES)].to_numpy(dtype=np.float64)
    if (values < 0).any():
        raise RawDataError(f"{f}: negative values in {list(ABS_VALUES)}.")
    zero = values == 0
    all_zero = zero.all(axis=1)
    out = pd.DataFrame(
        {
            "fips": fips,
            "state_fips": fips.str[:2],
            "sector": sector.astype(str),
            "sector_label": df["NAICS2017_LABEL"].astype(str).str.strip(),
        }
    )
    out["cell_withheld"] = all_zero
    for k, (col, name) in enumerate(ABS_VALUES.items()):
        withheld = zero[:, k] & ~all_zero
        out[name] = df[col].astype("float64").mask(zero[:, k])
        out[f"{name.removesuffix('_k')}_withheld"] = withheld
    _check_unique(out, ["fips", "sector"], f)
    return out


def read_county_population(raw_dir: Path | str) -> pd.DataFrame:
    """Read the historical population of 2010 counties, 1790-2010 (Schroeder 2016, NHGIS).

    Returns
    -------
    DataFrame
        One row per 2010 county: ``fips`` (``GEOID10`` zero-padded to 5 digits), ``gisjoin``,
        ``state_name``, ``county_name``, ``epop1790`` ... ``epop2000`` (population estimated
        inside the 2010 boundaries, decimals) and ``pop2010`` (the 2010 count), all float.
        Zero is kept as a value (nobody enumerated inside today's borders that year).
    """
    f = FILES["county_population"]
    pops = [f"epop{y}" for y in CENSUS_YEARS[:-1]] + ["pop2010"]
    cols = ["GISJOIN", "GEOID10", "STATE", "COUNTY", *pops]
    df = _read_csv(raw_dir, "county_population", cols, dtype={"GEOID10": str})
    df = _to_numeric(df, pops, f)
    out = pd.DataFrame(
        {
            "fips": _pad(df["GEOID10"], 5, "GEOID10", f),
            "gisjoin": df["GISJOIN"].astype(str),
            "state_name": df["STATE"].astype(str),
            "county_name": df["COUNTY"].astype(str),
        }
    )
    for c in pops:
        out[c] = df[c].astype("float64")
    neg = (out[pops] < 0).sum()
    if neg.any():
        raise RawDataError(
            f"{f}: negative population in {neg[neg > 0].index.tolist()}; the deposited file "
            "has none: re-acquire it with `nox -s data`."
        )
    _check_unique(out, ["fips"], f)
    return out
