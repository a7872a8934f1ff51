"""What the replication README says, collected from the project's own declarations and files.

The facts behind ``analysis/replication.py`` that trace the paper: the generated files it uses
(parsed from ``paper/main.tex``), the step that declares each of them, and the specs and
registry rows behind it (the data, software, hardware and times are in
``analysis/replication_env.py``).
"""

from __future__ import annotations

import ast
import csv
import functools
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from agglomeration.estimation import load_specs
from agglomeration.tfp import load_tfp_specs

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


Float = tuple[str, str, str]  # (kind, caption, label) of a table or figure


def float_in(text: str) -> Float | None:
    r"""Return the first table or figure environment of a LaTeX text: kind, caption, label."""
    text = _strip_comments(text)
    m = _ENV.search(text)
    if m is None or m.group(1) != "begin":
        return None
    end = text.find(f"\\end{{{m.group(2)}", m.end())
    body = text[m.start() : end if end > 0 else len(text)]
    return (m.group(2), *_caption_label(body))


def _caption_label(body: str) -> tuple[str, str]:
    caption = label = ""
    c = re.search(r"\\caption\s*(\[[^\]]*\])?\s*\{", body)
    if c:
        caption = _clean_caption(_braced(body, c.end() - 1)[0])
    lab = re.search(r"\\label\{([^}]*)\}", body)
    if lab:
        label = lab.group(1)
    return caption, label


def paper_items(
    tex: str,
    paper_dir: Path = PAPER.parent,
    root: Path = ROOT,
    inner: Callable[[Path], Float | None] | None = None,
) -> list[PaperItem]:
    r"""Return every file that ``tex`` inputs or includes as a graphic, in order, with its float.

    A file input inside a ``table`` or ``figure`` environment of ``tex`` takes that float's
    caption and label; a file input outside one may hold its own float (a generated table with
    its caption), which ``inner(path)`` reports (default: read the file if it exists).
    Tables and figures are numbered in order of appearance, as LaTeX numbers them (ignoring
    ``\appendix``); several inputs in one float share its number. Paths are resolved from
    ``paper_dir`` and returned relative to ``root``.
    """
    inner = inner or _float_of_file
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
    commands = []
    for m in _COMMAND.finditer(tex):
        source = _braced(tex, m.end() - 1)[0].strip()
        path = Path(os.path.normpath(paper_dir / source))
        if m.group(1) != "includegraphics" and not path.suffix:
            path = path.with_suffix(".tex")
        try:
            rel = path.relative_to(root)
        except ValueError:
            rel = path
        env = next((e for e in envs if e[0] <= m.start() < e[1]), None)
        own = None if env is not None or m.group(1) == "includegraphics" else inner(path)
        commands.append((m.start(), source, rel, env, own))
    # number the floats in document order: environments of tex, and floats inside inputs
    events = sorted([(e[0], "env", e) for e in envs] + [
        (pos, "input", k) for k, (pos, _, _, env, own) in enumerate(commands) if own
    ], key=lambda ev: ev[0])
    counts = {"table": 0, "figure": 0}
    env_number: dict[tuple[int, int, str], int] = {}
    input_number: dict[int, int] = {}
    for _, what, ref in events:
        if what == "env":
            counts[ref[2]] += 1
            env_number[ref] = counts[ref[2]]
        else:
            kind = commands[ref][4][0]
            counts[kind] += 1
            input_number[ref] = counts[kind]
    items = []
    for k, (_, source, rel, env, own) in enumerate(commands):
        if env is not None:
            caption, label = _caption_label(tex[env[0] : env[1]])
            kind, number = env[2], env_number[env]
        elif own is not None:
            kind, caption, label = own
            number = input_number[k]
        else:
            kind, number, caption, label = "input", 0, "", ""
        items.append(PaperItem(kind, number, source, rel, caption, label))
    return items


def _float_of_file(path: Path) -> Float | None:
    if path.suffix != ".tex" or not path.is_file():
        return None
    return float_in(path.read_text(encoding="utf-8", errors="replace"))


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
                reader = csv.DictReader(fh)
                if "spec_id" not in (reader.fieldnames or []):
                    continue  # not a registry of estimates (e.g. the macros)
                rows = [
                    RegistryRow(
                        r.get("spec_name") or "",
                        r["spec_id"],
                        r.get("term") or "",
                        tuple(_float(r.get(c)) for c in NUMBER_COLUMNS),
                    )
                    for r in reader
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


@functools.cache
def _forms(value: float) -> frozenset[str]:
    """``value`` as tables round it: 2, 3 or 4 decimals, at least two significant digits."""
    if value != value:  # NaN
        return frozenset()
    forms = (f"{abs(value):.{d}f}" for d in (2, 3, 4))
    return frozenset(f for f in forms if len(f.replace(".", "").lstrip("0")) >= 2)


def rows_shown(text: str, rows: Sequence[RegistryRow]) -> list[RegistryRow]:
    """Return the registry rows a generated LaTeX table shows.

    A row is shown when its spec id or its spec's name is printed in the table (e.g. in a
    macro name), or when a pair of its numbers,
    rounded as tables round them (2 to 4 decimals, at least two significant digits), is printed
    where a table puts such a pair: the estimate with its standard error (in one cell, in the
    next cell, or in the same column of the next line) or the standard error and interval
    bounds in one cell or in adjacent cells of a line. Cells are the ``&``-separated parts of a
    line. Rows found by their numbers count only when at least half of the coefficients of their
    spec id are found: an isolated coincidence of two numbers is not enough.
    """
    ids = set(_SPEC_ID.findall(text))
    names = set(re.split(r"[^A-Za-z0-9_]+", text))
    grid = [[_numbers(cell) for cell in line.split("&")] for line in text.splitlines()]
    everywhere = _numbers(text)
    named, laid = [], []
    for r in rows:
        if r.spec_id in ids or r.spec_name in names:
            named.append(r)
            continue
        forms = [_forms(v) for v in r.values]
        if sum(bool(f & everywhere) for f in forms) < 2:
            continue  # cheap test on the whole text first
        if _laid_out(forms, grid):
            laid.append(r)
    return named + _most_of_their_spec(laid, rows)


def _most_of_their_spec(
    found: Sequence[RegistryRow], rows: Sequence[RegistryRow]
) -> list[RegistryRow]:
    """Keep the rows found by their numbers whose spec id has at least half its coefficients found.

    A table shows a specification's coefficients, not one of several by coincidence
    (coefficients: rows with a standard error, the intercept excepted).
    """
    coef: dict[str, int] = {}
    for r in rows:
        if r.values[1] == r.values[1] and r.term != "Intercept":
            coef[r.spec_id] = coef.get(r.spec_id, 0) + 1
    hits: dict[str, int] = {}
    for r in found:
        hits[r.spec_id] = hits.get(r.spec_id, 0) + 1
    return [r for r in found if 2 * hits[r.spec_id] >= max(coef.get(r.spec_id, 1), 1)]


def _laid_out(forms: list[frozenset[str]], grid: list[list[set[str]]]) -> bool:
    est, se, lo, hi = forms
    # one cell or adjacent cells of a line; two numbers that print alike prove nothing
    across = [(a, b) for a, b in ((est, se), (se, lo), (se, hi), (lo, hi)) if not a & b]
    for i, line in enumerate(grid):
        for c, cell in enumerate(line):
            nxt = line[c + 1] if c + 1 < len(line) else set()
            for a, b in across:
                if (a & cell) and (b & cell or b & nxt):
                    return True
                if (b & cell) and (a & nxt):
                    return True
            below = grid[i + 1][c] if i + 1 < len(grid) and c < len(grid[i + 1]) else set()
            if (est & cell) and (se & below) and not est & se:
                return True
    return False


def rows_drawn(path: Path, rows: Sequence[RegistryRow]) -> list[RegistryRow]:
    """Return the registry rows whose numbers a figure's data file (CSV) holds at full precision.

    A row is drawn when two of its numbers (estimate, standard error, bounds) equal, to nine
    significant digits, numbers of one line of the CSV written beside the figure.
    """
    lines = []
    with path.open(newline="", encoding="utf-8") as fh:
        for rec in csv.reader(fh):
            vals = set()
            for cell in rec:
                v = _float(cell)
                if v == v:
                    vals.add(f"{v:.9g}")
            lines.append(vals)
    everywhere = set().union(*lines) if lines else set()
    out = []
    for r in rows:
        keys = [f"{v:.9g}" for v in r.values if v == v and v != 0]
        if sum(k in everywhere for k in keys) < 2:
            continue
        if any(sum(k in line for k in keys) >= 2 for line in lines):
            out.append(r)
    return out


@dataclass(frozen=True)
class MapRow:
    """One line of the replication map.

    ``how`` says where the specs come from: ``"declared"`` (the table's TOML file in
    ``analysis/table_specs/``, read by the producing step, names the spec of every column),
    ``"shown"`` (registry rows whose spec id or numbers the built table prints), ``"drawn"``
    (registry rows whose numbers the data file written beside a figure holds), ``"none"``
    (built, shows no registry row), or ``"unbuilt"`` (not built here, nothing to read).
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
    tables: Mapping[str, tuple[Path, tuple[str, ...]]] | None = None,
) -> MapRow:
    """Trace one table or figure to its step, its specs and its registry rows."""
    step = producer(item.path, steps, root)
    script = (scripts or {}).get(step or "", f"analysis/{step}.py" if step else "")
    all_rows = [r for reg in registries for r in reg.rows]
    built = root / item.path
    declared = (tables or {}).get(item.path.with_suffix("").name)
    if declared is not None and step is not None and any(
        _covers(_rel(r, root), _rel(declared[0], root)) for r in steps[step].reads
    ):
        names = declared[1]
        shown = [r for r in all_rows if r.spec_name in names]
        return MapRow(item, step, script, names, "declared", len(shown),
                      len({r.spec_id for r in shown}))
    data = built.with_suffix(".csv") if built.suffix else built.with_name(built.name + ".csv")
    if built.is_file() and built.suffix == ".tex":
        shown = rows_shown(built.read_text(encoding="utf-8", errors="replace"), all_rows)
        how = "shown" if shown else "none"
    elif data.is_file() and producer(_rel(data, root), steps, root) == step:
        shown = rows_drawn(data, all_rows)
        how = "drawn" if shown else "none"
    else:
        shown, how = [], "unbuilt"
    names = tuple(dict.fromkeys(r.spec_name for r in shown))
    return MapRow(item, step, script, names, how, len(shown), len({r.spec_id for r in shown}))


def _covers(a: Path, b: Path) -> bool:
    return a == b or a in b.parents or b in a.parents


def declared_tables(folder: Path) -> dict[str, tuple[Path, tuple[str, ...]]]:
    """Table name -> (its TOML file, the specs its columns name), from ``analysis/table_specs/``.

    A table declared in TOML (:func:`agglomeration.report.load_table_spec`) names the spec of
    every column; the ``tables`` step writes it to ``bld/tables/<name>.tex``.
    """
    from agglomeration.report import load_table_spec

    out: dict[str, tuple[Path, tuple[str, ...]]] = {}
    if not folder.is_dir():
        return out
    for f in sorted(folder.glob("*.toml")):
        spec = load_table_spec(f)
        names = [c.spec for panel in spec.panels for c in panel.columns if c.spec]
        out[f.stem] = (f, tuple(dict.fromkeys(names)))
    return out
