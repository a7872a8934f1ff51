"""Step `data`: acquire the raw files into data_raw/ and verify every checksum.

Reads: data_raw/SHA256SUMS; the data mirror (AGGLOMERATION_DATA_MIRROR, --mirror, default
../shared/data_raw) or --url, only for files that are missing or altered.
Produces: data_raw/<every raw file listed in SHA256SUMS>, verified.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from agglomeration.data import acquire, default_mirror, verify
from agglomeration.data.acquire import read_checksums

from project_paths import DATA_RAW, ROOT
from step import Step, run_main

STEP = Step(
    "data",
    reads=(DATA_RAW / "SHA256SUMS",),
    produces=tuple(DATA_RAW / name for name in read_checksums(DATA_RAW / "SHA256SUMS")),
    summary="acquire the raw files (mirror or URL) and verify their checksums",
)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mirror", type=Path, default=None, help="folder holding the raw files")
    parser.add_argument(
        "--url", default=None, help="base URL (http, https or file) serving the raw files"
    )
    args = parser.parse_args(argv)
    if not args.mirror and not args.url and not verify(DATA_RAW):
        n = len(read_checksums(DATA_RAW / "SHA256SUMS"))
        print(f"data_raw/: all {n} raw files present and verified; nothing to acquire")
        return
    mirror = None if args.url else (args.mirror or default_mirror(ROOT))
    report = acquire(DATA_RAW, mirror=mirror, base_url=args.url)
    print(report.summary())


if __name__ == "__main__":
    sys.exit(run_main(STEP, main))
