"""Project paths and atomic writes for the analysis steps (the library never touches paths)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATA_RAW = ROOT / "data_raw"
BLD = ROOT / "bld"
PANELS = BLD / "panels"
ESTIMATES = BLD / "estimates"
TABLES = BLD / "tables"
FIGURES = BLD / "figures"
RESULTS = ROOT / "results"
SPECS = ROOT / "analysis" / "specs"
MONTECARLO_CONLEY = ROOT / "analysis" / "montecarlo_conley_coverage.csv"
"""The committed result of `nox -s montecarlo` (500 replications; 3-5 minutes on 2 cores)."""
MONTECARLO_SHIFT_SHARE = ROOT / "analysis" / "montecarlo_shift_share_coverage.csv"
"""The committed result of analysis/montecarlo_shift_share.py (AKM coverage)."""


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` on a temporary file next to ``path``, then rename it into place.

    A failure leaves no partial file behind and any previous ``path`` untouched. The file gets
    the permissions of an ordinary new file (``0o666`` less the umask), not the temporary
    file's ``0o600``.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_text(path: Path, text: str) -> Path:
    """Write text atomically (UTF-8, Unix newlines)."""
    return atomic_write(path, lambda p: p.write_text(text, encoding="utf-8", newline="\n"))


def write_csv(path: Path, df: pd.DataFrame) -> Path:
    """Write a CSV atomically, without the index, with fixed float formatting for stability."""
    return atomic_write(
        path, lambda p: df.to_csv(p, index=False, lineterminator="\n", float_format="%.10g")
    )


def write_parquet(path: Path, df: pd.DataFrame) -> Path:
    """Write a Parquet file atomically, without the index."""
    return atomic_write(path, lambda p: df.to_parquet(p, index=False))
