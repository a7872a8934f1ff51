"""Reader-facing descriptions of variance estimators, from the registry's structured fields.

A registry row carries ``variance_type``, ``cluster``, ``cutoff_km``, ``kernel`` and ``lags``
(:meth:`agglomeration.estimation.Variance.describe`); tables describe a variance from these
fields, never by parsing its label.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

__all__ = ["describe_variance"]


def describe_variance(
    row: Mapping[str, object],
    names: Mapping[str, str] | None = None,
    *,
    within: str | None = None,
    serial_unit: str | None = None,
) -> str:
    """Describe a variance estimator for a reader, from its structured registry fields.

    Parameters
    ----------
    row : mapping
        A registry row (or :meth:`agglomeration.estimation.Variance.describe`) with
        ``variance_type``, ``cluster``, ``cutoff_km``, ``kernel``, ``lags``.
    names : mapping, optional
        Reader names of columns, e.g. ``{"fips": "county", "state_fips": "state"}``.
    within, serial_unit : str, optional
        For Conley: the period spatial correlation is confined to, and the unit of the serial
        part (reader names).

    Returns
    -------
    str
        E.g. ``"cluster by state"``, ``"two-way: county and year"``,
        ``"Conley 100 km, within year + serial within county"``.
    """
    nm = dict(names or {})
    vtype = str(row["variance_type"])
    if vtype == "iid":
        return "iid (homoskedastic)"
    if vtype == "hetero":
        return "heteroskedasticity-robust (HC1)"
    if vtype == "cluster":
        cols = [nm.get(c, c) for c in str(row["cluster"]).split("+")]
        return f"cluster by {cols[0]}" if len(cols) == 1 else f"two-way: {' and '.join(cols)}"
    lags = _finite_or_none(row.get("lags"))
    if vtype == "driscoll_kraay":
        return "Driscoll-Kraay (Bartlett, " + (
            f"{int(lags)} lags)" if lags is not None else "Newey-West lags)"
        )
    if vtype == "conley":
        cut = _finite_or_none(row.get("cutoff_km"))
        kernel = "" if row.get("kernel") in (None, "", "uniform") else f", {row['kernel']} kernel"
        text = f"Conley {cut:g} km{kernel}" if cut is not None else "Conley"
        if within:
            text += f", within {within}"
        if lags and serial_unit:
            text += f" + serial within {serial_unit}"
        elif lags:
            text += f" + serial ({int(lags)} lags)"
        return text
    return vtype


def _finite_or_none(x: object) -> float | None:
    try:
        v = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return v if np.isfinite(v) else None
