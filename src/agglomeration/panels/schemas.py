"""Schemas of the panels (pandera), checked by every builder before it returns.

pandera is used rather than hand-written checks so that a failed check lists every offending
column, check and value at once (lazy validation).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.pandas as pa

from agglomeration.errors import PanelSchemaError

__all__ = [
    "COUNTY_SCHEMA",
    "COUNTY_SECTOR_SCHEMA",
    "county_schema",
    "METRO_CLUSTER_SCHEMA",
    "METRO_SCHEMA",
    "PLANT_SCHEMA",
    "STATE_INDUSTRY_SCHEMA",
    "PanelSchemaError",
    "shock_schema",
    "state_growth_schema",
    "validate",
]


_nonneg = pa.Check.ge(0)
_finite = pa.Check(lambda s: s.isna() | s.abs().lt(float("inf")), name="finite (never +-inf)")

COUNTY_SCHEMA = pa.DataFrameSchema(
    {
        "fips": pa.Column(str, pa.Check.str_matches(r"^\d{5}$")),
        "state_fips": pa.Column(str, pa.Check.str_matches(r"^\d{2}$")),
        "year": pa.Column("int64", pa.Check.in_range(2001, 2021)),
        "employment": pa.Column(float, _nonneg, nullable=True),
        "establishments": pa.Column(float, _nonneg),
        "payroll": pa.Column(float, _nonneg, nullable=True),
        "pay_per_emp": pa.Column(float, pa.Check.gt(0), nullable=True),
        "land_area_km2": pa.Column(float, pa.Check.gt(0)),
        "density": pa.Column(float, _nonneg, nullable=True),
        "lat": pa.Column(float, pa.Check.in_range(-90, 90)),
        "lon": pa.Column(float, pa.Check.in_range(-180, 180)),
        "cbsa": pa.Column(str, nullable=True),
        "cz": pa.Column(str, nullable=True),
        "patents": pa.Column(float, _nonneg, nullable=True),
        "pct_baplus": pa.Column(float, pa.Check.in_range(0, 1), nullable=True),
        "abs_payroll_per_emp_2017": pa.Column(float, pa.Check.gt(0), nullable=True),
    },
    checks=[
        pa.Check(
            lambda df: df["abs_payroll_per_emp_2017"].isna() | df["year"].eq(2017),
            name="abs_payroll_per_emp_2017 only on 2017 rows",
        )
    ],
    unique=["fips", "year"],
    strict=False,
    coerce=False,
)


def county_schema(log_columns: list[str]) -> pa.DataFrameSchema:
    """Return the county schema plus finite, nullable float columns (the option-named logs).

    The historical and ring densities are named after the analysis's options
    (``log_popdens_1900``, ``log_ring_density_50_100``); each must be present, float, and never
    infinite (a log of zero must be missing).
    """
    return COUNTY_SCHEMA.add_columns(
        {c: pa.Column(float, _finite, nullable=True) for c in log_columns}
    )


_VALUES = ["firms", "receipts", "employment", "payroll"]

COUNTY_SECTOR_SCHEMA = pa.DataFrameSchema(
    {
        "fips": pa.Column(str, pa.Check.str_matches(r"^\d{5}$")),
        "state_fips": pa.Column(str, pa.Check.str_matches(r"^\d{2}$")),
        "state_abbr": pa.Column(str, pa.Check.str_matches(r"^[A-Z]{2}$")),
        "county_name": pa.Column(str),
        "sector_label": pa.Column(str),
        "sector": pa.Column(
            str,
            [pa.Check.str_matches(r"^\d{2}(-\d{2})?$"), pa.Check.notin(["00", "99"])],
        ),
        **{c: pa.Column(float, pa.Check.gt(0), nullable=True) for c in _VALUES},
        **{
            c: pa.Column(float, _finite, nullable=True)
            for c in [
                "log_receipts_per_emp",
                "log_payroll_per_emp",
                "log_sector_employment",
                "log_density",
            ]
        },
        "diversity": pa.Column(float, [pa.Check.ge(0), pa.Check.lt(1)], nullable=True),
        "n_sectors_disclosed": pa.Column("int64", _nonneg),
        "abs_county_employment": pa.Column(float, pa.Check.gt(0), nullable=True),
        "disclosed_emp_share": pa.Column(float, pa.Check.in_range(0, 1), nullable=True),
        "pct_baplus": pa.Column(float, pa.Check.in_range(0, 1), nullable=True),
        "land_area_km2": pa.Column(float, pa.Check.gt(0)),
        "lat": pa.Column(float, pa.Check.in_range(-90, 90)),
        "lon": pa.Column(float, pa.Check.in_range(-180, 180)),
        "cell_withheld": pa.Column(bool),
        "receipts_withheld": pa.Column(bool),
        "employment_withheld": pa.Column(bool),
        "never_withheld_county": pa.Column(bool),
    },
    checks=[
        pa.Check(
            lambda df: ~df["cell_withheld"] | df[_VALUES].isna().all(axis=1),
            name="a withheld cell has every value missing",
        ),
        pa.Check(
            lambda df: ~df["receipts_withheld"] | df["receipts"].isna(),
            name="withheld receipts are missing",
        ),
        pa.Check(
            lambda df: df.groupby("fips")["never_withheld_county"].transform("nunique").eq(1),
            name="never_withheld_county is constant within a county",
        ),
        pa.Check(
            lambda df: (
                ~df["never_withheld_county"]
                | ~(df["cell_withheld"] | df["receipts_withheld"] | df["employment_withheld"])
            ),
            name="a never-withheld county has no withheld cell",
        ),
    ],
    unique=["fips", "sector"],
    strict=True,
)

STATE_INDUSTRY_SCHEMA = pa.DataFrameSchema(
    {
        "state_fips": pa.Column(str, pa.Check.str_matches(r"^\d{2}$")),
        "industry": pa.Column(str),
        "year": pa.Column("int64", pa.Check.in_range(2001, 2021)),
        "employment": pa.Column(float, _nonneg, nullable=True),
        "establishments": pa.Column(float, _nonneg),
        "payroll": pa.Column(float, _nonneg, nullable=True),
        "us_employment": pa.Column(float, pa.Check.gt(0), nullable=True),
        "lq": pa.Column(float, _nonneg, nullable=True),
        "gdp_per_worker": pa.Column(float, pa.Check.gt(0), nullable=True),
        "rgdp_per_worker": pa.Column(float, pa.Check.gt(0), nullable=True),
    },
    unique=["state_fips", "industry", "year"],
    strict=False,
)

def state_growth_schema(measures: tuple[str, ...]) -> pa.DataFrameSchema:
    """Return the schema of the state x industry x period growth panel for these measures.

    Each measure ``m`` has ``related_employment_<m>[_top10][_placebo]_start`` (>= 0, missing
    for industries without relatedness) and their logs (finite, missing where the pool is 0).
    Growth is defined exactly where both ends are positive.
    """
    kinds = ("", "_top10", "_placebo", "_top10_placebo")
    pools = [f"related_employment_{m}{s}_start" for m in measures for s in kinds]
    cols = {
        "state_fips": pa.Column(str, pa.Check.str_matches(r"^\d{2}$")),
        "state_abbr": pa.Column(str, pa.Check.str_matches(r"^[A-Z]{2}$")),
        "industry": pa.Column(str),
        "state_industry": pa.Column(str),
        "period": pa.Column(str, pa.Check.str_matches(r"^\d{4}-\d{4}$")),
        "period_start": pa.Column("int64", pa.Check.in_range(2001, 2021)),
        "period_end": pa.Column("int64", pa.Check.in_range(2001, 2021)),
        "employment_start": pa.Column(float, _nonneg, nullable=True),
        "employment_end": pa.Column(float, _nonneg, nullable=True),
        "growth": pa.Column(float, _finite, nullable=True),
        "log_employment_start": pa.Column(float, _finite, nullable=True),
        **{c: pa.Column(float, _nonneg, nullable=True) for c in pools},
        **{f"log_{c}": pa.Column(float, _finite, nullable=True) for c in pools},
        "industry_traded_share": pa.Column(float, pa.Check.in_range(0, 1), nullable=True),
        "lat": pa.Column(float, pa.Check.in_range(-90, 90)),
        "lon": pa.Column(float, pa.Check.in_range(-180, 180)),
    }
    return pa.DataFrameSchema(
        cols,
        checks=[
            pa.Check(
                lambda df: df["growth"].notna()
                == (df["employment_start"].gt(0) & df["employment_end"].gt(0)),
                name="growth defined exactly where start and end employment are positive",
            ),
            pa.Check(
                lambda df: df["period_start"] < df["period_end"], name="period_start < period_end"
            ),
        ],
        unique=["state_fips", "industry", "period"],
        strict=True,
    )


METRO_CLUSTER_SCHEMA = pa.DataFrameSchema(
    {
        "cbsa": pa.Column(str, pa.Check.str_matches(r"^\d{5}$")),
        "cluster": pa.Column(str),
        "employment": pa.Column(float, _nonneg, nullable=True),
        "metro_employment": pa.Column(float, pa.Check.gt(0)),
        "cluster_lq": pa.Column(float, _nonneg, nullable=True),
        "strong": pa.Column("boolean", nullable=True),
    },
    checks=[
        pa.Check(
            lambda df: df["strong"].isna() == df["cluster_lq"].isna(),
            name="strong defined exactly where cluster_lq is",
        )
    ],
    unique=["cbsa", "cluster"],
    strict=False,
)

METRO_SCHEMA = pa.DataFrameSchema(
    {
        "cbsa": pa.Column(str, pa.Check.str_matches(r"^\d{5}$")),
        "metro_employment": pa.Column(float, pa.Check.gt(0)),
        "n_strong": pa.Column("int64", pa.Check.in_range(0, 51)),
        "strong_share": pa.Column(float, pa.Check.in_range(0, 1)),
        "patents": pa.Column(float, _nonneg, nullable=True),
        "lat": pa.Column(float, pa.Check.in_range(-90, 90)),
        "lon": pa.Column(float, pa.Check.in_range(-180, 180)),
    },
    unique=["cbsa"],
    strict=False,
)

PLANT_SCHEMA = pa.DataFrameSchema(
    {
        "idvar": pa.Column("int64"),
        "timevar": pa.Column("int64", pa.Check.in_range(1990, 2010)),
        "Y": pa.Column(float),
        "sX": pa.Column(float),
        "fX1": pa.Column(float),
        "fX2": pa.Column(float),
        "pX": pa.Column(float),
        "inv": pa.Column(float),
    },
    unique=["idvar", "timevar"],
    strict=False,
)


def shock_schema(
    region: str, pattern: str, t0: int, t1: int, top: str = "top_share"
) -> pa.DataFrameSchema:
    """Return the schema of a shock panel (one row per region; :mod:`agglomeration.panels.shocks`).

    ``region`` is the region id column (matching ``pattern``); the employment columns are named
    by the years ``t0`` and ``t1`` of the shock. Shares-based columns are missing together (a
    region without a disclosed industry); the largest industry share ``top`` (of the industries
    of the Herfindahl index) bounds the index, ``top**2 <= herfindahl <= top``; ``emp_change``
    is the log ratio of the employment columns.
    """
    e0, e1 = f"employment_{t0}", f"employment_{t1}"
    mix = ["herfindahl", top, "bartik"]

    def _change_matches(df: pd.DataFrame) -> pd.Series:
        ok = df[e0].gt(0) & df[e1].gt(0)
        ref = (df[e1] / df[e0]).where(ok)
        implied = df["emp_change"].where(ok)
        return ~ok | (implied - np.log(ref)).abs().lt(1e-9)

    return pa.DataFrameSchema(
        {
            region: pa.Column(str, pa.Check.str_matches(pattern)),
            "state_fips": pa.Column(str, pa.Check.str_matches(r"^\d{2}$")),
            "census_region": pa.Column(
                str, pa.Check.isin(["Northeast", "Midwest", "South", "West"])
            ),
            e0: pa.Column(float, pa.Check.gt(0)),
            e1: pa.Column(float, _nonneg, nullable=True),
            "emp_change": pa.Column(float, _finite, nullable=True),
            f"log_employment_{t0}": pa.Column(float, _finite),
            "herfindahl": pa.Column(float, pa.Check.in_range(0, 1), nullable=True),
            "top_share": pa.Column(float, pa.Check.in_range(0, 1), nullable=True),
            top: pa.Column(float, pa.Check.in_range(0, 1), nullable=True),
            "disclosed_share": pa.Column(float, pa.Check.gt(0), nullable=True),
            "bartik": pa.Column(float, _finite, nullable=True),
            "lat": pa.Column(float, pa.Check.in_range(-90, 90)),
            "lon": pa.Column(float, pa.Check.in_range(-180, 180)),
        },
        checks=[
            pa.Check(
                lambda df: df[mix].isna().all(axis=1) | df[mix].notna().all(axis=1),
                name="herfindahl, top_share and bartik are missing together",
            ),
            pa.Check(
                lambda df: df["herfindahl"].isna()
                | (
                    df["herfindahl"].ge(df[top] ** 2 - 1e-12)
                    & df["herfindahl"].le(df[top] + 1e-12)
                ),
                name=f"{top}**2 <= herfindahl <= {top}",
            ),
            pa.Check(_change_matches, name="emp_change = log(employment_t1 / employment_t0)"),
        ],
        unique=[region],
        strict=False,
    )


def validate(df: pd.DataFrame, schema: pa.DataFrameSchema, name: str) -> pd.DataFrame:
    """Validate ``df`` against ``schema``; raise :class:`PanelSchemaError` listing every failure."""
    try:
        return schema.validate(df, lazy=True)
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases[["column", "check", "failure_case"]].head(20)
        raise PanelSchemaError(
            f"the {name} panel fails its schema ({len(err.failure_cases)} failures); "
            f"first failures:\n{cases.to_string(index=False)}"
        ) from None
