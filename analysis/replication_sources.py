"""What the replication README says, collected from the project's own declarations and files.

The facts behind ``analysis/replication.py``: the generated files the paper uses (parsed from
``paper/main.tex``), the step that declares each of them, the specs and registry rows behind
it, the data sources of ``data_raw/README.md``, the pinned software of ``requirements.lock``,
the hardware of this machine and the step times the pipeline runner measured.
"""

from __future__ import annotations

import ast
import contextlib
import csv
import os
import platform
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from agglomeration.estimation import load_specs
from agglomeration.tfp import load_tfp_specs

from pipeline import TIMES, dependencies, order
from project_paths import RESULTS, ROOT, SPECS
from step import Step

PAPER = ROOT / "paper" / "main.tex"
LOCK = ROOT / "requirements.lock"
GRAPHICS_EXTENSIONS = (".pdf", ".png", ".jpg", ".jpeg", ".eps", ".svg")
_SPEC_ID = re.compile(r"\b[0-9a-f]{12}\b")


# -- the paper ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class PaperItem:
    r"""A generated file the paper uses: a table or figure body, or another ``\\input``.

    Attributes
    ----------
    kind : {"table", "figure", "input"}
        The environment it sits in (``input``: outside any table or figure, e.g. macros).
    number : int
        Position among the paper's items of the same kind (Table 1, 2, ...; 0 for inputs).
    source : str
        The path as written in the LaTeX source.
    path : Path
        The path relative to the project root (extension added for ``\\input``).
    caption, label : str
        Of the enclosing table or figure ('' if none).
    """

    kind: str
    number: int
    source: str
    path: Path
    caption: str = ""
    label: str = ""

    @property
    def title(self) -> str:
        """E.g. ``Table 3`` or ``Figure 1`` (the input's file name for inputs)."""
        return f"{self.kind.capitalize()} {self.number}" if self.number else self.path.name


def _strip_comments(tex: str) -> str:
    """Remove LaTeX comments (an unescaped % to the end of the line)."""
    return "\n".join(re.sub(r"(?<!\\)%.*", "", line) for line in tex.splitlines())


def _braced(tex: str, start: int) -> tuple[str, int]:
    """Return the balanced ``{...}`` group opening at or after ``start`` and the index after it."""
    i = tex.index("{", start)
    depth = 0
    for j in range(i, len(tex)):
        if tex[j] == "{" and tex[j - 1] != "\\":
            depth += 1
        elif tex[j] == "}" and tex[j - 1] != "\\":
            depth -= 1
            if depth == 0:
                return tex[i + 1 : j], j + 1
    raise ValueError(f"unbalanced braces after position {start} of the LaTeX source.")


def _clean_caption(text: str) -> str:
    text = re.sub(r"\\label\{[^}]*\}", "", text)
    text = re.sub(r"\\(?:textit|emph|textbf|texttt|large|small|footnotesize)\s*", "", text)
    text = re.sub(r"\\times\b", "x", text).replace("\\%", "%").replace("~", " ")
    text = re.sub(r"\$([^$]*)\$", r"\1", text)
    text = text.replace("--", "-").replace("{", "").replace("}", "").replace("\\", "")
    return re.sub(r"\s+", " ", text).strip()


_COMMAND = re.compile(r"\\(input|include|includegraphics)\s*(\[[^\]]*\])?\s*\{")
_ENV = re.compile(r"\\(begin|end)\{(table|figure)\*?\}")


def paper_items(tex: str, paper_dir: Path = PAPER.parent, root: Path = ROOT) -> list[PaperItem]:
    r"""Return every file that ``tex`` inputs or includes as a graphic, in order, with its environment.

    Tables and figures are numbered in order of appearance (as LaTeX numbers them, ignoring
    ``\\appendix``); a table environment with several inputs gives one item per input, with
    the same number. Paths are resolved from ``paper_dir`` and returned relative to ``root``.
    """
    tex = _strip_comments(tex)
    envs: list[tuple[int, int, str]] = []  # (start, end, kind)
    stack: list[tuple[int, str]] = []
    for m in _ENV.finditer(tex):
        if m.group(1) == "begin":
            stack.append((m.start(), m.group(2)))
        elif stack:
            s, kind = stack.pop()
            envs.append((s, m.end(), kind))
    envs.sort()
    numbers: dict[tuple[int, int, str], int] = {}
    counts = {"table": 0, "figure": 0}
    for env in envs:
        counts[env[2]] += 1
        numbers[env] = counts[env[2]]
    items = []
    for m in _COMMAND.finditer(tex):
        source, _ = _braced(tex, m.end() - 1)
        source = source.strip()
        path = Path(os.path.normpath(paper_dir / source))
        if m.group(1) != "includegraphics" and not path.suffix:
            path = path.with_suffix(".tex")
        env = next((e for e in envs if e[0] <= m.start() < e[1]), None)
        caption = label = ""
        if env is not None:
            body = tex[env[0] : env[1]]
            c = re.search(r"\\caption\s*(\[[^\]]*\])?\s*\{", body)
            if c:
                caption = _clean_caption(_braced(body, c.end() - 1)[0])
            lab = re.search(r"\\label\{([^}]*)\}", body)
            label = lab.group(1) if lab else ""
        try:
            rel = path.relative_to(root)
        except ValueError:
            rel = path
        items.append(
            PaperItem(
                kind=env[2] if env else "input",
                number=numbers[env] if env else 0,
                source=source,
                path=rel,
                caption=caption,
                label=label,
            )
        )
    return items


# -- what produces what ------------------------------------------------------------------------
def _rel(p: Path, root: Path = ROOT) -> Path:
    return p.relative_to(root) if p.is_absolute() and p.is_relative_to(root) else p


def producer(path: Path, steps: Mapping[str, Step], root: Path = ROOT) -> str | None:
    r"""Return the step that declares ``path`` (relative to ``root``) among its products, if any.

    A folder in ``produces`` covers every file in it; a graphic written without its extension
    (as ``\\includegraphics`` allows) matches a product with any graphics extension.
    """
    for name, step in steps.items():
        for p in step.produces:
            q = _rel(p, root)
            if q == path or q in path.parents:
                return name
            if not path.suffix and q.suffix in GRAPHICS_EXTENSIONS and q.with_suffix("") == path:
                return name
    return None


def upstream(name: str, steps: Mapping[str, Step]) -> list[str]:
    """Return the step and every step it depends on, in the runner's order."""
    return order(dependencies(steps.values()), [name])


def nox_sessions(noxfile: Path = ROOT / "noxfile.py") -> list[str]:
    """Names of the functions decorated with ``@nox.session`` in the noxfile."""
    if not noxfile.is_file():
        return []
    tree = ast.parse(noxfile.read_text(encoding="utf-8"))
    out = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            for d in node.decorator_list:
                target = d.func if isinstance(d, ast.Call) else d
                if isinstance(target, ast.Attribute) and target.attr == "session":
                    out.append(node.name)
    return out


# -- specs and registry ------------------------------------------------------------------------
@dataclass(frozen=True)
class SpecInfo:
    """A spec of ``analysis/specs/``: its name, file and kind."""

    name: str
    file: str
    kind: str


def spec_catalogue(specs_dir: Path = SPECS) -> dict[str, SpecInfo]:
    """Every spec of the spec files, by name (regression and production-function specs)."""
    out: dict[str, SpecInfo] = {}
    for f in sorted(specs_dir.glob("*.toml")):
        for s in load_specs(f):
            out.setdefault(s.name, SpecInfo(s.name, f.name, "regression"))
        for t in load_tfp_specs(f):
            out.setdefault(t.name, SpecInfo(t.name, f.name, "production function"))
    return out


@dataclass(frozen=True)
class RegistryRow:
    """One row of a committed registry: its spec, term and the numbers a table may show."""

    spec_name: str
    spec_id: str
    term: str
    values: tuple[float, ...]  # estimate, std_error, conf_low, conf_high (NaN if absent)


NUMBER_COLUMNS = ("estimate", "std_error", "conf_low", "conf_high")


@dataclass(frozen=True)
class Registry:
    """A committed registry file, where it is built, and its rows."""

    built: Path
    committed: Path
    rows: tuple[RegistryRow, ...]

    def names(self) -> list[str]:
        """Spec names in order of first appearance."""
        return list(dict.fromkeys(r.spec_name for r in self.rows))


def _float(x: str | None) -> float:
    try:
        return float(x) if x not in (None, "") else float("nan")
    except ValueError:
        return float("nan")


def read_registries(pairs: Sequence[tuple[Path, Path]]) -> list[Registry]:
    """Read ``(built, committed)`` registry pairs; a missing committed file has no rows."""
    out = []
    for built, committed in pairs:
        rows: list[RegistryRow] = []
        if committed.is_file():
            with committed.open(newline="", encoding="utf-8") as fh:
                rows = [
                    RegistryRow(
                        r.get("spec_name") or "",
                        r["spec_id"],
                        r.get("term") or "",
                        tuple(_float(r.get(c)) for c in NUMBER_COLUMNS),
                    )
                    for r in csv.DictReader(fh)
                ]
        out.append(Registry(built, committed, tuple(rows)))
    return out


def default_registries() -> list[Registry]:
    """Read the registries of ``analysis/registry.py`` (built in bld/, committed in results/)."""
    import registry  # analysis/registry.py
    from project_paths import ESTIMATES

    return read_registries(
        [(ESTIMATES / r.built, RESULTS / r.committed) for r in registry.REGISTRIES]
    )


_NUMBER = re.compile(r"(?<![\w.])\d{1,3}(?:,\d{3})*(?:\.\d+)?|(?<![\w.])\d+(?:\.\d+)?")


def _numbers(text: str) -> set[str]:
    """Every unsigned decimal number printed in ``text``, thousands separators removed."""
    return {m.group(0).replace(",", "") for m in _NUMBER.finditer(text)}


def _printed(value: float, numbers: set[str]) -> bool:
    """Whether ``value`` appears at 2, 3 or 4 decimals with at least 2 significant digits."""
    if value != value:  # NaN
        return False
    for d in (2, 3, 4):
        s = f"{abs(value):.{d}f}"
        if len(s.replace(".", "").lstrip("0")) >= 2 and s in numbers:
            return True
    return False


def rows_shown(text: str, rows: Sequence[RegistryRow]) -> list[RegistryRow]:
    """Return the registry rows a generated table shows.

    A row is shown when its spec id is printed in the table, or when its estimate and
    standard error, its two interval bounds, or its standard error and one bound are printed,
    rounded as tables round them (2 to 4 decimals, at least two significant digits), on one
    line or two consecutive lines (an estimate with its standard error beside or below it).
    An estimate with one bound alone is not enough: the two are close in value, so a table of
    many similar numbers (e.g. indices) can hold both by coincidence.
    """
    ids = set(_SPEC_ID.findall(text))
    lines = text.splitlines() or [""]
    windows = [_numbers("\n".join(lines[i : i + 2])) for i in range(len(lines))]
    return [
        r
        for r in rows
        if r.spec_id in ids
        or any(_pair_printed([_printed(v, w) for v in r.values]) for w in windows)
    ]


def _pair_printed(hit: list[bool]) -> bool:
    est, se, lo, hi = hit
    return (est and se) or (lo and hi) or (se and (lo or hi))


@dataclass(frozen=True)
class MapRow:
    """One line of the replication map.

    ``how`` says where the specs come from: ``"shown"`` (registry rows whose spec id or
    numbers the built table prints), ``"none"`` (built, shows no registry row), or
    ``"step"`` (not built here: every spec whose registry rows the step reads).
    """

    item: PaperItem
    step: str | None
    script: str
    specs: tuple[str, ...]
    how: str
    rows: int
    spec_ids: int


def map_row(
    item: PaperItem,
    steps: Mapping[str, Step],
    registries: Sequence[Registry],
    root: Path = ROOT,
    scripts: Mapping[str, str] | None = None,
) -> MapRow:
    """Trace one table or figure to its step, its specs and its registry rows."""
    step = producer(item.path, steps, root)
    script = (scripts or {}).get(step or "", f"analysis/{step}.py" if step else "")
    all_rows = [r for reg in registries for r in reg.rows]
    built = root / item.path
    if built.is_file() and built.suffix == ".tex":
        shown = rows_shown(built.read_text(encoding="utf-8", errors="replace"), all_rows)
        how = "shown" if shown else "none"
    else:
        shown, how = [], "none"
        if step is not None:
            chain = set(upstream(step, steps))
            for reg in registries:
                b = _rel(reg.built, root)
                reads = any(_covers(_rel(r, root), b) for n in chain for r in steps[n].reads)
                if reads or producer(b, steps, root) == step:
                    shown += list(reg.rows)
            how = "step" if shown else "none"
    names = tuple(dict.fromkeys(r.spec_name for r in shown))
    return MapRow(item, step, script, names, how, len(shown), len({r.spec_id for r in shown}))


def _covers(a: Path, b: Path) -> bool:
    return a == b or a in b.parents or b in a.parents


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
