"""The plant panel for the production functions (Chilean manufacturing plants, 1996-2006)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from agglomeration.data.raw import RawData, as_raw
from agglomeration.errors import RawDataError
from agglomeration.panels._build import DropLog, PanelBuild
from agglomeration.panels.schemas import PLANT_SCHEMA, validate

__all__ = ["build_plant_panel"]


def build_plant_panel(raw: RawData | Path | str) -> PanelBuild:
    """Build the plant x year panel of the Chilean plants shipped with R's prodest.

    One row per plant-year with log value added ``Y``, log capital ``sX`` (state), log skilled
    and unskilled labour ``fX1``, ``fX2`` (free), log electricity ``pX`` (the LP/ACF proxy) and
    log investment ``inv`` (the OP proxy), plant ``idvar`` and year ``timevar``. The raw file's
    ``cX`` repeats ``inv`` value for value (see the data manifest); it is checked and dropped.

    Parameters
    ----------
    raw : RawData or path
        The raw files (a :class:`~agglomeration.data.RawData` or the folder that holds them).

    Returns
    -------
    PanelBuild
        ``data`` sorted by plant and year, validated; ``report`` records the dropped column.

    Raises
    ------
    RawDataError
        If ``cX`` differs from ``inv`` in any row (the file is not the deposited one).
    """
    raw = as_raw(raw)
    log = DropLog("plants")
    df = raw.get("prodest_chilean")
    same = np.isclose(df["cX"], df["inv"], rtol=0, atol=0, equal_nan=True)
    if not same.all():
        raise RawDataError(
            f"prodest_chilean.csv: column 'cX' differs from 'inv' in {int((~same).sum())} rows; "
            "the deposited file has them identical. Re-acquire it with `nox -s data`."
        )
    log.add("raw", "dropped", "column cX removed (identical to inv in every row); no row dropped", 0)
    df = df.drop(columns="cX")
    df = df.astype({"idvar": "int64", "timevar": "int64"})
    df = df.sort_values(["idvar", "timevar"], kind="stable").reset_index(drop=True)
    df = validate(df, PLANT_SCHEMA, "plant")
    return PanelBuild(df, log.frame())
