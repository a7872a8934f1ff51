"""Shared fixtures: the real raw data (from the project's data_raw/ or the data mirror)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def find_raw_dir() -> Path | None:
    """The project's data_raw/ if it holds the verified raw files, else the data mirror."""
    from agglomeration.data import default_mirror, verify

    for candidate in (ROOT / "data_raw", default_mirror(ROOT)):
        if candidate.is_dir() and not verify(candidate, ROOT / "data_raw" / "SHA256SUMS"):
            return candidate
    return None


@pytest.fixture(scope="session")
def raw_dir() -> Path:
    """Folder with the verified raw files (data_raw/ or the data mirror).

    A test that needs the real data fails, never skips, when it cannot find them: run
    `nox -s data` or set AGGLOMERATION_DATA_MIRROR.
    """
    found = find_raw_dir()
    if found is None:
        pytest.fail(
            "real raw data not found: neither data_raw/ nor the data mirror "
            "(../shared/data_raw or $AGGLOMERATION_DATA_MIRROR) holds the verified raw files; "
            "run `nox -s data` or set AGGLOMERATION_DATA_MIRROR",
            pytrace=False,
        )
    return found
