"""What the replication README says about the data, the software, the machine and the times.

The facts behind ``analysis/replication.py`` that do not come from the pipeline's declarations:
the data sources of ``data_raw/README.md`` (files, access, licence, citation), the pinned
software of ``requirements.lock`` and ``pyproject.toml``, the hardware of this machine and the
step times the pipeline runner measured (``bld/pipeline_times.csv``).
"""

from __future__ import annotations

import contextlib
import csv
import os
import platform
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from pipeline import TIMES
from project_paths import ROOT

LOCK = ROOT / "requirements.lock"


# -- data, software, hardware, times ------------------------------------------------------------
@dataclass
class DataSource:
    """A section of the data README's 'Details on each data source'."""

    title: str
    files: list[tuple[str, str]] = field(default_factory=list)  # (file, rows)
    fields: dict[str, str] = field(default_factory=dict)  # "Licence and terms" -> text


def markdown_section(text: str, heading: str) -> str:
    """Return the body of the Markdown section whose heading line is ``heading`` (to the next one)."""
    level = len(heading) - len(heading.lstrip("#"))
    lines = text.splitlines()
    try:
        i = next(k for k, line in enumerate(lines) if line.strip() == heading)
    except StopIteration:
        return ""
    out = []
    for line in lines[i + 1 :]:
        m = re.match(r"^(#+)\s", line)
        if m and len(m.group(1)) <= level:
            break
        out.append(line)
    return "\n".join(out).strip()


def data_sources(readme: str) -> list[DataSource]:
    """Parse the sources of ``data_raw/README.md``: files (with rows), licence, citations, access."""
    body = markdown_section(readme, "## Details on each data source")
    sources: list[DataSource] = []
    current_field = None
    for line in body.splitlines():
        if line.startswith("### "):
            sources.append(DataSource(line[4:].strip()))
            current_field = None
            continue
        if not sources:
            continue
        src = sources[-1]
        row = re.match(r"^\|\s*`([^`]+)`\s*\|\s*([\d,]+)?", line)
        if row:
            src.files.append((row.group(1), row.group(2) or ""))
            continue
        bullet = re.match(r"^- \*\*([^*]+?)\.?\*\*\s*(.*)", line)
        if bullet:
            current_field = bullet.group(1).strip()
            src.fields[current_field] = bullet.group(2).strip()
        elif current_field and line.startswith("  "):
            src.fields[current_field] = f"{src.fields[current_field]} {line.strip()}".strip()
        elif not line.strip():
            current_field = None
    return sources


def _field(src: DataSource, *names: str) -> str:
    return next((src.fields[n] for n in names if n in src.fields), "")


def locked_versions(lock: Path = LOCK) -> dict[str, str]:
    """Package -> exact version pinned in the lock file (names normalised to lower case, '-')."""
    out: dict[str, str] = {}
    if not lock.is_file():
        return out
    for line in lock.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)", line)
        if m:
            out[re.sub(r"[-_.]+", "-", m.group(1)).lower()] = m.group(2)
    return out


def lock_python(lock: Path = LOCK) -> str:
    """Return the Python version the lock was compiled for (``--python-version``), if recorded."""
    if not lock.is_file():
        return ""
    m = re.search(r"--python-version[ =](\S+)", lock.read_text(encoding="utf-8"))
    return m.group(1) if m else ""


def direct_dependencies(pyproject: Path = ROOT / "pyproject.toml") -> list[tuple[str, str]]:
    """(package, group) for the project's dependencies and each optional group."""
    if not pyproject.is_file():
        return []
    with pyproject.open("rb") as fh:
        proj = tomllib.load(fh)["project"]
    out = [(_req_name(r), "runtime") for r in proj.get("dependencies", [])]
    for group, reqs in proj.get("optional-dependencies", {}).items():
        out += [(_req_name(r), group) for r in reqs]
    return out


def _req_name(req: str) -> str:
    name = re.match(r"^\s*([A-Za-z0-9_.\-]+)", req)
    return re.sub(r"[-_.]+", "-", name.group(1)).lower() if name else req


def hardware() -> dict[str, str]:
    """CPU model, logical cores, memory and OS of this machine."""
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        m = re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(errors="replace"), re.M)
        cpu = m.group(1).strip() if m else cpu
    mem = ""
    with contextlib.suppress(ValueError, OSError, AttributeError):
        mem = f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.1f} GiB"
    return {
        "CPU": cpu,
        "logical cores": str(os.cpu_count() or "?"),
        "memory": mem or "unknown",
        "operating system": platform.platform(),
        "Python": platform.python_version(),
    }


def measured_times(times: Path = TIMES) -> dict[str, tuple[float, str]]:
    """Step -> (seconds, when) of its most recent run that did the work (not 'skipped')."""
    out: dict[str, tuple[float, str]] = {}
    if not times.is_file():
        return out
    with times.open(newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r.get("status") == "ran":
                out[r["step"]] = (float(r["seconds"]), r["time"])
    return out
