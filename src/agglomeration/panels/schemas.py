"""Schemas of the panels (pandera), checked by every builder before it returns.

pandera is used rather than hand-written checks so that a failed check lists every offending
column, check and value at once (lazy validation).
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from agglomeration.errors import PanelSchemaError

__all__ = [
    "COUNTY_SCHEMA",
    "METRO_CLUSTER_SCHEMA",
    "PLANT_SCHEMA",
    "STATE_INDUSTRY_SCHEMA",
    "PanelSchemaError",
    "validate",
]


_nonneg = pa.Check.ge(0)

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
    },
    unique=["fips", "year"],
    strict=False,
    coerce=False,
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
