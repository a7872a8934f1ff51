"""Shared fixtures: the real raw data (from the project's data_raw/ or the data mirror)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _raw_dir() -> Path | None:
    from agglomeration.data import default_mirror, verify

    for candidate in (ROOT / "data_raw", default_mirror(ROOT)):
        if candidate.is_dir() and not verify(candidate, ROOT / "data_raw" / "SHA256SUMS"):
            return candidate
    return None


@pytest.fixture(scope="session")
def raw_dir() -> Path:
    """Folder with the 15 verified raw files; tests that need it skip when it is absent."""
    found = _raw_dir()
    if found is None:
        pytest.skip(
            "real raw data not available: run `nox -s data` or set AGGLOMERATION_DATA_MIRROR"
        )
    return found
