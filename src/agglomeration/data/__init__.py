"""Raw data: acquisition with checksums, and readers that handle each file's quirks.

This is the only part of the library that reads files, and it reads only from a folder it is
given. See ``data_raw/MANIFEST.md`` for the files and ``data_raw/README.md`` for provenance. The
panels built from these files are in :mod:`agglomeration.panels`.
"""

from agglomeration.data.acquire import AcquireReport, acquire, default_mirror, verify
from agglomeration.data.raw import RawData
from agglomeration.data.readers import FILES
from agglomeration.errors import ChecksumError, DataIntegrityError, RawDataError

__all__ = [
    "FILES",
    "AcquireReport",
    "ChecksumError",
    "DataIntegrityError",
    "RawData",
    "RawDataError",
    "acquire",
    "default_mirror",
    "verify",
]
