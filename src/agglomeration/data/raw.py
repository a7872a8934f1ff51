"""The raw files of one folder, each read at most once per build."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from agglomeration.data import readers, readers_county

__all__ = ["READERS", "RawData", "as_raw"]

READERS: dict[str, Callable[[Path | str], pd.DataFrame]] = {
    "cbp_county": readers.read_cbp_county,
    "cbp_state_naics3": readers.read_cbp_state_naics3,
    "cbp_national_naics3": readers.read_cbp_national_naics3,
    "cbp_national_naics6": readers.read_cbp_national_naics6,
    "cbp_cbsa_naics6": readers.read_cbp_cbsa_naics6,
    "bea_gdp": readers.read_bea_gdp,
    "patents_county": readers.read_patents_county,
    "patents_msa": readers.read_patents_msa,
    "gazetteer": readers.read_gazetteer,
    "county_cbsa": readers.read_county_cbsa,
    "commuting_zones": readers.read_commuting_zones,
    "state_fips": readers.read_state_fips,
    "cluster_crosswalk": readers.read_cluster_crosswalk,
    "related_clusters": readers.read_related_clusters,
    "prodest_chilean": readers.read_prodest_chilean,
    "acs_county": readers_county.read_acs_county,
    "abs_county_naics2": readers_county.read_abs_county_naics2,
    "county_population": readers_county.read_county_population,
}
"""Logical name of a raw file -> its reader (see :data:`agglomeration.data.readers.FILES`)."""


class RawData:
    """Read-once access to the raw files of a folder, through their readers.

    Panel builders take a ``RawData`` so that a build that needs the same file in several
    panels (the county patent file for the county and the metro panels, say) opens it once.
    Every access returns a fresh copy, so a builder may modify what it gets.

    Parameters
    ----------
    folder : path
        The folder with the raw files (the project's ``data_raw/``), verified beforehand.

    Examples
    --------
    >>> raw = RawData("data_raw")  # doctest: +SKIP
    >>> gaz = raw.get("gazetteer")  # doctest: +SKIP
    """

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)
        self._cache: dict[str, pd.DataFrame] = {}

    def get(self, name: str) -> pd.DataFrame:
        """Return a copy of the raw table ``name``, reading the file on first use."""
        if name not in READERS:
            from agglomeration.errors import InputError

            raise InputError(f"unknown raw table {name!r}; known: {sorted(READERS)}.")
        if name not in self._cache:
            self._cache[name] = READERS[name](self.folder)
        return self._cache[name].copy()

    def __repr__(self) -> str:
        return f"RawData({str(self.folder)!r}, read={sorted(self._cache)})"


def as_raw(raw: RawData | Path | str) -> RawData:
    """Return ``raw`` itself if it is a :class:`RawData`, else a new one on that folder."""
    return raw if isinstance(raw, RawData) else RawData(raw)
