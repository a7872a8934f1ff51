"""Step `data`: acquire the raw files into data_raw/ and verify every checksum.

Reads: the data mirror (AGGLOMERATION_DATA_MIRROR, --mirror, default ../shared/data_raw) or --url.
Produces: data_raw/<the 15 raw files>, verified against data_raw/SHA256SUMS.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from agglomeration.data import acquire, default_mirror

from project_paths import DATA_RAW, ROOT


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mirror", type=Path, default=None, help="folder holding the raw files")
    parser.add_argument(
        "--url", default=None, help="base URL (http, https or file) serving the raw files"
    )
    args = parser.parse_args(argv)
    mirror = None if args.url else (args.mirror or default_mirror(ROOT))
    report = acquire(DATA_RAW, mirror=mirror, base_url=args.url)
    print(report.summary())


if __name__ == "__main__":
    main()
