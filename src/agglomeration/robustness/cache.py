"""On-disk cache of grid results, one file per spec id, written atomically.

An entry is a JSON file ``<root>/<data fingerprint>/<id[:2]>/<id>.json`` holding the spec's
canonical form, its status, the reason it failed (if it did), its registry rows and its
null-bootstrap contributions. It is written to a temporary file in the same folder and renamed
into place, so a reader sees either a whole entry or none: an interrupted run leaves at most a
``.tmp`` file, which is never read. An entry that cannot be parsed, or whose spec, data
fingerprint or format differ from what is asked, is treated as missing and recomputed.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from agglomeration.estimation.spec import Spec
from agglomeration.robustness.shared import SpecOutcome

__all__ = ["FORMAT", "ResultCache", "data_fingerprint"]

FORMAT = 1


def data_fingerprint(data: pd.DataFrame, columns: Iterable[str]) -> str:
    """Hash of the values, dtypes and index of the given columns (24 hex digits)."""
    cols = sorted(c for c in dict.fromkeys(columns) if c in data.columns)
    h = hashlib.blake2b(digest_size=12)
    h.update(json.dumps([[c, str(data[c].dtype)] for c in cols]).encode())
    h.update(pd.util.hash_pandas_object(data.index, index=False).to_numpy().tobytes())
    for c in cols:
        h.update(pd.util.hash_pandas_object(data[c], index=False).to_numpy().tobytes())
    return h.hexdigest()


class ResultCache:
    """Results by spec id under ``root``, for one data fingerprint.

    Parameters
    ----------
    root : str or pathlib.Path
        Cache folder (created when the first entry is written).
    fingerprint : str
        :func:`data_fingerprint` of the data the results come from.
    boot_cluster : str, optional
        Null-bootstrap cluster the entries must carry contributions for (None: not needed).
    """

    def __init__(self, root: str | Path, fingerprint: str, boot_cluster: str | None = None):
        self.root = Path(root)
        self.fingerprint = fingerprint
        self.boot_cluster = boot_cluster

    def path(self, spec_id: str) -> Path:
        """File of a spec's entry."""
        return self.root / self.fingerprint / spec_id[:2] / f"{spec_id}.json"

    def get(
        self, spec: Spec, focal: str | None = None, spec_id: str | None = None
    ) -> SpecOutcome | None:
        """Return the cached outcome of ``spec``, or None if absent, unreadable or stale."""
        sid = spec.id if spec_id is None else spec_id
        p = self.path(sid)
        try:
            entry = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if (
            not isinstance(entry, dict)
            or entry.get("format") != FORMAT
            or entry.get("spec") != spec.canonical_json()
            or entry.get("fingerprint") != self.fingerprint
        ):
            return None
        if (
            entry["status"] == "ok"
            and self.boot_cluster is not None
            and focal is not None
            and (entry.get("boot_cluster") != self.boot_cluster or entry.get("focal") != focal)
        ):
            return None
        table = entry.get("table")
        if table is not None:
            table["spec_name"] = [spec.name] * len(table["term"])
        boot = np.asarray(entry["boot"], dtype=float) if entry.get("boot") is not None else None
        return SpecOutcome(sid, entry["status"], entry.get("reason", ""), table, boot)

    def put(self, spec: Spec, outcome: SpecOutcome, focal: str | None = None) -> Path:
        """Write an entry atomically (temporary file in the same folder, then rename)."""
        return self._put(spec, outcome, focal)

    def _put(self, spec: Spec, outcome: SpecOutcome, focal: str | None) -> Path:
        table = None
        if outcome.table is not None:
            table = {c: v for c, v in outcome.table.items() if c != "spec_name"}
        entry = {
            "format": FORMAT,
            "spec": spec.canonical_json(),
            "fingerprint": self.fingerprint,
            "status": outcome.status,
            "reason": outcome.reason,
            "table": table,
            "boot": None if outcome.boot is None else outcome.boot.tolist(),
            "boot_cluster": self.boot_cluster if outcome.boot is not None else None,
            "focal": focal,
        }
        p = self.path(outcome.spec_id)
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(entry, fh, allow_nan=True)
            os.replace(tmp, p)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return p
