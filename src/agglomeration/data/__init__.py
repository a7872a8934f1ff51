"""Raw data: acquisition with checksums, readers that handle each file's quirks, panel builders.

This is the only part of the library that reads files, and it reads only from a folder it is
given. See ``data_raw/MANIFEST.md`` for the files and ``data_raw/README.md`` for provenance.
"""

from agglomeration.data.acquire import AcquireReport, ChecksumError, acquire, default_mirror, verify
from agglomeration.data.county_panel import PanelBuild, build_county_panel
from agglomeration.data.metro_clusters import build_metro_clusters
from agglomeration.data.readers import FILES, RawDataError
from agglomeration.data.schemas import PanelSchemaError
from agglomeration.data.state_industry_panel import build_state_industry_panel

__all__ = [
    "FILES",
    "AcquireReport",
    "ChecksumError",
    "PanelBuild",
    "PanelSchemaError",
    "RawDataError",
    "acquire",
    "build_county_panel",
    "build_metro_clusters",
    "build_state_industry_panel",
    "default_mirror",
    "verify",
]
