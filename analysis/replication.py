r"""The replication README, generated from what the project declares (not kept by hand).

Usage::

    python analysis/replication.py [--out REPLICATION.md] [--check]

Writes ``REPLICATION.md`` in the layout of the Social Science Data Editors' template README
(data availability and provenance, computational requirements, description of the code,
instructions to replicators, the list of tables and figures) from:

- the pipeline steps' declarations (``STEP = Step(name, reads, produces, summary)`` in every
  script of ``pipeline.STEP_MODULES``): which step and script produce each file, what each
  step reads, and the order in which they run;
- ``paper/main.tex``: every ``\\input{...}`` and ``\\includegraphics{...}``, with the caption and
  label of the table or figure around it (new tables and figures appear without any change
  here);
- ``analysis/specs/*.toml`` and the committed registries in ``results/``: the specs and
  registry rows behind each table;
- ``data_raw/README.md`` and ``data_raw/SHA256SUMS``: data availability, licences, citations;
- ``requirements.lock`` and ``pyproject.toml``: the software, with exact versions;
- ``bld/pipeline_times.csv`` (appended by the pipeline runner): the measured time of every
  step, with the hardware of the machine that writes the file.

The specs of a table are the spec ids printed in the built table (``bld/tables/<name>.tex``,
e.g. a "Spec id" row); for a table that prints none, every spec whose registry rows the
producing step reads (directly or through its upstream steps), marked as such. ``--check``
exits with status 1 and writes nothing when a table or figure of the paper is produced by no
step or a raw file of ``SHA256SUMS`` is described by no source of ``data_raw/README.md``.
:func:`write_docs_pages` writes the same text for the documentation (``nox -s docs``).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from agglomeration.data.acquire import read_checksums

from pipeline import STEP_MODULES, TIMES, dependencies, load_steps, order
from project_paths import DATA_RAW, ROOT, SPECS, write_text
from replication_env import (
    LOCK,
    DataSource,
    data_sources,
    direct_dependencies,
    hardware,
    lock_python,
    locked_versions,
    markdown_section,
    measured_times,
)
from replication_sources import (
    PAPER,
    MapRow,
    PaperItem,
    Registry,
    SpecInfo,
    declared_tables,
    default_registries,
    float_in,
    map_row,
    nox_sessions,
    paper_items,
    spec_catalogue,
)
from step import Step

OUT = ROOT / "REPLICATION.md"
TABLE_SPECS = ROOT / "analysis" / "table_specs"


@dataclass(frozen=True)
class Project:
    """Everything the README is generated from (each field can be given, for tests)."""

    steps: Mapping[str, Step]
    scripts: Mapping[str, str]
    tex: str
    registries: Sequence[Registry]
    specs: Mapping[str, SpecInfo]
    data_readme: str
    checksums: Mapping[str, str]
    times: Mapping[str, tuple[float, str]]
    sessions: Sequence[str]
    root: Path = ROOT
    tables: Mapping[str, tuple[Path, tuple[str, ...]]] = field(default_factory=dict)

    @classmethod
    def load(cls) -> Project:
        """Read the project's declarations and files."""
        loaded = load_steps(STEP_MODULES)
        scripts = {
            name: str(Path(str(mod.__file__)).resolve().relative_to(ROOT))
            for name, (_, mod) in loaded.items()
        }
        readme = DATA_RAW / "README.md"
        return cls(
            steps={name: s for name, (s, _) in loaded.items()},
            scripts=scripts,
            tex=PAPER.read_text(encoding="utf-8"),
            registries=default_registries(),
            specs=spec_catalogue(SPECS),
            data_readme=readme.read_text(encoding="utf-8") if readme.is_file() else "",
            checksums=read_checksums(DATA_RAW / "SHA256SUMS"),
            times=measured_times(TIMES),
            sessions=nox_sessions(),
            tables=declared_tables(TABLE_SPECS),
        )

    def items(self) -> list[PaperItem]:
        """Return the generated files the paper uses (a declared table's caption if unbuilt)."""
        return paper_items(self.tex, self.root / "paper", self.root, self._float_of)

    def _float_of(self, path: Path) -> tuple[str, str, str] | None:
        if path.suffix == ".tex" and path.is_file():
            return float_in(path.read_text(encoding="utf-8", errors="replace"))
        declared = self.tables.get(path.stem)
        if declared is not None and path.suffix == ".tex":
            from agglomeration.report import load_table_spec

            spec = load_table_spec(declared[0])
            return ("table", spec.caption, spec.label)
        return None

    def replication_map(self) -> list[MapRow]:
        """One row per table, figure or other generated input of the paper (computed once)."""
        cached = self.__dict__.get("_map")
        if cached is None:
            cached = self._compute_map()
            object.__setattr__(self, "_map", cached)
        return list(cached)

    def _compute_map(self) -> list[MapRow]:
        return [
            map_row(i, self.steps, self.registries, self.root, self.scripts, self.tables)
            for i in self.items()
        ]

    def run_order(self) -> list[str]:
        """Every step in the order the runner runs them."""
        return order(dependencies(self.steps.values()), sorted(self.steps))

    def problems(self) -> list[str]:
        """List what makes the package incomplete: unproduced paper inputs, undescribed raw files."""
        out = [
            f"{r.item.title} ({r.item.source}) is produced by no pipeline step: declare it in "
            "the `produces` of the step that writes it."
            for r in self.replication_map()
            if r.step is None
        ]
        described = {f for s in data_sources(self.data_readme) for f, _ in s.files}
        out += [
            f"raw file `{f}` (in data_raw/SHA256SUMS) has no source section in data_raw/README.md."
            for f in self.checksums
            if f not in described
        ]
        return out


# -- rendering ---------------------------------------------------------------------------------
def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _path(p: Path | str, root: Path = ROOT) -> str:
    p = Path(p)
    if p.is_absolute() and p.is_relative_to(root):
        p = p.relative_to(root)
    return f"`{p.as_posix()}`"


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    return f"{int(seconds // 60)} min {seconds % 60:.0f} s"


def render_map(project: Project) -> str:
    """Render the list of tables and figures: item -> file -> step -> specs -> registry rows."""
    lines = [
        "| item | caption | file | produced by | specs | registry rows |",
        "|---|---|---|---|---|---|",
    ]
    for r in project.replication_map():
        item = r.item.title + (f" (`{r.item.label}`)" if r.item.label else "")
        step = (
            f"step `{r.step}` ({_path(r.script)})" if r.step else "**no step declares this file**"
        )
        if r.specs:
            shown = [f"`{s}`" for s in r.specs[:12]]
            more = f" and {len(r.specs) - 12} more" if len(r.specs) > 12 else ""
            specs = ", ".join(shown) + more
            if r.how == "drawn":
                specs += f" (the data drawn: {_path(r.item.path.with_suffix('.csv'))})"
            elif r.how == "declared":
                specs += f" (declared in `analysis/table_specs/{r.item.path.stem}.toml`)"
            rows = f"{r.rows} ({r.spec_ids} spec ids)"
        elif r.how == "unbuilt":
            specs, rows = "not built here: run `nox -s paper`, then regenerate", "-"
        else:
            specs, rows = "none (shows no registry estimate)", "-"
        caption = r.item.caption or ("macros the text quotes" if r.item.kind == "input" else "")
        lines.append(
            f"| {item} | {_cell(caption)} | {_path(r.item.path)} | {step} | {specs} | {rows} |"
        )
    return "\n".join(lines)


def render_steps(project: Project, *, with_times: bool = True) -> str:
    """Render the steps in run order: script, session, what they do, read and write, time."""
    sessions = set(project.sessions)
    head = "| step | script | what it does | reads | produces |"
    sep = "|---|---|---|---|---|"
    if with_times:
        head += " measured time |"
        sep += "---:|"
    lines = [head, sep]
    for name in project.run_order():
        s = project.steps[name]
        session = f" (`nox -s {name}`)" if name in sessions else ""
        cells = [
            f"`{name}`{session}",
            _path(project.scripts.get(name, f"analysis/{name}.py")),
            _cell(s.summary),
            _files(s.reads, project.root),
            _files(s.produces, project.root),
        ]
        if with_times:
            t = project.times.get(name)
            cells.append(_duration(t[0]) if t else "not measured")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _files(paths: Sequence[Path], root: Path, limit: int = 6) -> str:
    shown = [_path(p, root) for p in paths[:limit]]
    more = f" and {len(paths) - limit} more" if len(paths) > limit else ""
    return ", ".join(shown) + more


def render_runtime(project: Project) -> str:
    """Render the measured time per step, the total, and the hardware."""
    if not project.times:
        return (
            "No step time has been measured on this machine yet (`bld/pipeline_times.csv` is "
            "written by the pipeline runner): run `nox -s paper`, then regenerate this file."
        )
    total = sum(t for t, _ in project.times.values())
    last = max(w for _, w in project.times.values())
    hw = hardware()
    lines = [
        f"A full run of every step took {_duration(total)} (the sum of each step's most recent "
        f"complete run in `bld/pipeline_times.csv`, the last on {last.replace('T', ' ')}), "
        "excluding the one-time creation of the environment from `requirements.lock`. The times "
        "were measured on:",
        "",
        *(f"- {k}: {v}" for k, v in hw.items()),
        "",
        "| step | seconds | measured at |",
        "|---|---:|---|",
    ]
    for name in project.run_order():
        if name in project.times:
            s, w = project.times[name]
            lines.append(f"| `{name}` | {s:.1f} | {w.replace('T', ' ')} |")
    return "\n".join(lines)


def render_software(project: Project) -> str:
    """Render the software: Python, the pinned packages (direct dependencies listed), LaTeX."""
    pins = locked_versions(project.root / LOCK.name)
    py = lock_python(project.root / LOCK.name)
    deps = direct_dependencies(project.root / "pyproject.toml")
    lines = [
        f"- Python {py or '>= 3.11'}; every session installs the exact versions pinned in "
        f"`requirements.lock` ({len(pins)} packages) into one environment, then the package "
        "itself without dependencies.",
        "- LaTeX with latexmk for the PDF (Debian/Ubuntu: `apt-get install -y "
        f"{_latex_packages()}`).",
        "",
        "The project's direct dependencies and their pinned versions:",
        "",
        "| package | version | needed for |",
        "|---|---|---|",
    ]
    for name, group in deps:
        lines.append(f"| {name} | {pins.get(name, 'not in the lock')} | {group} |")
    return "\n".join(lines)


def _latex_packages() -> str:
    try:
        import latex  # analysis/latex.py

        return str(latex.LATEX_PACKAGES)
    except (ImportError, AttributeError):
        return "latexmk texlive-latex-base texlive-latex-recommended texlive-fonts-recommended"


def render_seeds(project: Project) -> str:
    """Render every ``seed`` set in a spec file, and where."""
    found = []
    for f in sorted((project.root / SPECS.relative_to(ROOT)).glob("*.toml")):
        for m in re.finditer(r"^\s*seed\s*=\s*(\d+)", f.read_text(encoding="utf-8"), re.M):
            found.append((f.name, m.group(1)))
    if not found:
        return "No spec sets a random seed."
    by_file: dict[str, set[str]] = {}
    for name, seed in found:
        by_file.setdefault(name, set()).add(seed)
    return "Random seeds are set in the specs: " + "; ".join(
        f"`analysis/specs/{n}`: seed {', '.join(sorted(s))}" for n, s in by_file.items()
    ) + ". Simulations (tests, Monte Carlo, examples) pass seeded `numpy.random.Generator`s."


def render_data(project: Project) -> str:
    """Render data availability: the rights statements and one entry per source."""
    parts = []
    for heading in ("Statement about rights", "License for data", "Summary of availability"):
        body = markdown_section(project.data_readme, f"### {heading}")
        if body:
            parts += [f"### {heading}", "", body, ""]
    parts += ["### Data sources", ""]
    for src in data_sources(project.data_readme):
        parts += _render_source(src)
    parts += [
        "### Checksums",
        "",
        f"`data_raw/SHA256SUMS` lists the SHA-256 of the {len(project.checksums)} raw files; "
        "`nox -s data` acquires them and every step verifies them before reading anything "
        "(`cd data_raw && sha256sum -c SHA256SUMS` checks them without Python). The full "
        "provenance (origin repository, commit and path of each file) is in "
        "`data_raw/README.md` and `data_raw/MANIFEST.md`.",
    ]
    return "\n".join(parts)


def _render_source(src: DataSource) -> list[str]:
    files = ", ".join(f"`{f}` ({rows} rows)" if rows else f"`{f}`" for f, rows in src.files)
    out = [f"#### {src.title}", "", f"- Files: {files}"]
    for label, names in (
        ("Access", ("Access",)),
        ("Licence and terms", ("Licence and terms", "License and terms")),
        ("Citation", ("Citation", "Citations")),
    ):
        text = _field(src, *names)
        if text:
            out.append(f"- {label}: {text}")
    return [*out, ""]


def _field(src: DataSource, *names: str) -> str:
    return next((src.fields[n] for n in names if n in src.fields), "")


def render_specs(project: Project) -> str:
    """Render every spec with its file, kind and registry rows."""
    lines = ["| spec | file | kind | registry rows (spec ids) | registry |", "|---|---|---|---|---|"]
    for name, info in project.specs.items():
        regs = [(r, [x.spec_id for x in r.rows if x.spec_name == name])
                for r in project.registries]
        regs = [(r, ids) for r, ids in regs if ids]
        rows = sum(len(ids) for _, ids in regs)
        n_ids = len({i for _, ids in regs for i in ids})
        where = ", ".join(_path(r.committed) for r, _ in regs) or "not in a committed registry"
        lines.append(f"| `{name}` | `analysis/specs/{info.file}` | {info.kind} | "
                     f"{rows} ({n_ids}) | {where} |")
    return "\n".join(lines)


def _title(tex: str) -> str:
    m = re.search(r"\\title\{(.*?)(\\\\|\})", tex, re.S)
    return re.sub(r"\s+", " ", m.group(1)).strip() if m else "the paper"


def render(project: Project) -> str:
    """Render the whole README."""
    items = project.items()
    n_tables = len({i.number for i in items if i.kind == "table"})
    n_figures = len({i.number for i in items if i.kind == "figure"})
    total = sum(t for t, _ in project.times.values())
    runtime = f"about {_duration(total)} on the hardware below" if project.times else "unmeasured"
    problems = project.problems()
    sections = [
        f"# Replication package: {_title(project.tex)}",
        "",
        "This file is generated by `python analysis/replication.py` from the pipeline steps' "
        "declarations, `paper/main.tex`, the specs, `data_raw/README.md`, `requirements.lock` "
        "and the measured step times: do not edit it by hand, regenerate it. "
        f"Generated on {time.strftime('%Y-%m-%d')}.",
        "",
        "## Overview",
        "",
        f"The code in this package builds every table ({n_tables}), figure ({n_figures}) and "
        f"number of `paper/main.tex` from {len(project.checksums)} public raw data files, in "
        f"{len(project.steps)} pipeline steps (`analysis/*.py`) and {len(project.specs)} "
        "declared specifications (`analysis/specs/*.toml`). One command runs everything, in "
        f"{runtime}: `nox -s paper`. `nox -s verify` recomputes every estimate and compares it "
        "with the committed registry (`results/`).",
        "",
    ]
    if problems:
        sections += ["**Incomplete:**", "", *(f"- {p}" for p in problems), ""]
    sections += [
        "## Data availability and provenance statements",
        "",
        render_data(project),
        "",
        "## Computational requirements",
        "",
        "### Software requirements",
        "",
        render_software(project),
        "",
        "### Controlled randomness",
        "",
        render_seeds(project),
        "",
        "### Memory, runtime and storage requirements",
        "",
        render_runtime(project),
        "",
        "## Description of programs/code",
        "",
        "Each step script declares what it reads and produces; the runner "
        "(`analysis/pipeline.py`) derives their order from these declarations and reruns only "
        "the steps whose inputs or code changed. In run order:",
        "",
        render_steps(project, with_times=False),
        "",
        "## Instructions to replicators",
        "",
        "On a machine with Python >= 3.11, from the repository root:",
        "",
        "```bash",
        'python3 -m pip install "nox==2026.10.20" "uv==0.13.9"',
        "nox -s paper    # raw data -> panels -> estimates -> tables -> paper/main.pdf",
        "nox -s verify   # recompute every estimate and compare with results/",
        "nox -s tests    # the test suite",
        "```",
        "",
        "`nox -s paper` copies the raw files from the data mirror (`../shared/data_raw`, or "
        "`AGGLOMERATION_DATA_MIRROR=/path`, or `-- --url https://...`) and verifies them.",
        "",
        "## List of tables and figures",
        "",
        "Every file that `paper/main.tex` inputs, the step that produces it (and so the script "
        "to read), and the specs and rows of the committed registry (`results/`) behind it: the "
        "specs a table declared in `analysis/table_specs/` names, otherwise the registry rows "
        "the built table shows (it prints their spec id, or their estimate with its standard "
        "error or interval as the table rounds them).",
        "",
        render_map(project),
        "",
        "### Specifications and registry rows",
        "",
        render_specs(project),
        "",
    ]
    return "\n".join(sections)


def write_docs_pages(outdir: Path) -> list[Path]:
    """Write the documentation's generated pages: ``replication.md`` and ``stages.md``."""
    project = Project.load()
    outdir.mkdir(parents=True, exist_ok=True)
    pages = {
        "replication.md": render(project),
        "stages.md": render_steps(project) + "\n\n" + render_runtime(project) + "\n",
    }
    out = []
    for name, text in pages.items():
        path = outdir / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            write_text(path, text)
        out.append(path)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=OUT, help="file to write (default REPLICATION.md)")
    p.add_argument("--check", action="store_true", help="fail on an incomplete package")
    args = p.parse_args(argv)
    project = Project.load()
    problems = project.problems()
    if args.check and problems:
        print("replication package incomplete:\n- " + "\n- ".join(problems), file=sys.stderr)
        return 1
    write_text(args.out, render(project))
    print(f"replication: {args.out} ({len(project.items())} paper inputs, "
          f"{len(problems)} problems)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
