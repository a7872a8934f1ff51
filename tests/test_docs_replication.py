"""The replication README generator (analysis/replication.py) on the real paper and a synthetic one.

Independent checks: the tables and inputs of paper/main.tex are re-read with a plain regex over
the file (comments removed line by line); the synthetic paper's expected map is written by hand;
the registry-row detection is checked on hand-made table text.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "analysis"))

import replication  # noqa: E402
from replication_env import data_sources, measured_times  # noqa: E402
from replication_sources import (  # noqa: E402
    RegistryRow,
    paper_items,
    read_registries,
    rows_drawn,
    rows_shown,
)
from step import Step  # noqa: E402


def _inputs_by_regex(tex: str) -> list[str]:
    lines = [line.split("%")[0] if "\\%" not in line else line for line in tex.splitlines()]
    return re.findall(r"\\input\{([^}]*)\}", "\n".join(lines))


@pytest.fixture(scope="module")
def project() -> replication.Project:
    return replication.Project.load()


def test_every_table_of_main_tex_is_in_the_map(project: replication.Project) -> None:
    tex = (ROOT / "paper" / "main.tex").read_text(encoding="utf-8")
    inputs = _inputs_by_regex(tex)
    graphics = re.findall(r"\\includegraphics(?:\[[^\]]*\])?\{([^}]*)\}", tex)
    assert inputs, "main.tex inputs nothing?"
    text = replication.render(project)
    rows = project.replication_map()
    assert [r.item.source for r in rows if r.item.kind != "figure"] == inputs
    assert [r.item.source for r in rows if r.item.kind == "figure"] == graphics
    for r in rows:
        # the file is listed with the step that declares it, in the rendered README
        assert r.step is not None, r.item
        assert f"`{r.item.path.as_posix()}`" in text
        assert f"step `{r.step}`" in text
    # figures (captions in main.tex) and declared tables are numbered and labelled, built or not
    for label in re.findall(r"\\label\{(fig:[^}]*)\}", tex):
        assert f"(`{label}`)" in text
    for f in (ROOT / "analysis" / "table_specs").glob("*.toml"):
        if any(Path(s).stem == f.stem for s in inputs):
            label = re.search(r'^label = "([^"]*)"', f.read_text(encoding="utf-8"), re.M)
            assert label and f"(`{label.group(1)}`)" in text, f.stem
    numbers = [r.item.number for r in rows if r.item.kind == "table"]
    assert numbers == sorted(numbers)  # numbered in order of appearance
    assert project.problems() == []


def test_every_raw_file_has_a_source_with_licence_and_citation(project: replication.Project) -> None:
    sources = data_sources(project.data_readme)
    described = {f for s in sources for f, _ in s.files}
    assert set(project.checksums) <= described
    for s in sources:
        assert any(k.startswith("Licen") for k in s.fields), s.title
        assert any(k.startswith("Citation") for k in s.fields), s.title


def test_software_section_pins_the_lock(project: replication.Project) -> None:
    text = replication.render_software(project)
    lock = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    pyfixest = re.search(r"^pyfixest==(\S+)", lock, re.M)
    assert pyfixest and f"| pyfixest | {pyfixest.group(1)} | runtime |" in text
    assert f"({len(re.findall(r'^[A-Za-z0-9_.-]+==', lock, re.M))} packages)" in text


SYNTHETIC = r"""
\documentclass{article}
\input{../bld/macros.tex}
\begin{document}
% \input{../bld/tables/commented_out.tex}
\begin{table}
\caption{First table, with {nested} braces and 5\% of $x \times y$}
\label{tab:first}
\input{../bld/tables/a.tex}
\input{../bld/tables/a_panel_b}
\end{table}
\begin{figure}[htbp]
\includegraphics[width=\textwidth]{../bld/figures/curve}
\caption{A curve}\label{fig:curve}
\end{figure}
\begin{table*}
\caption[short]{Orphan table}
\input{../bld/tables/orphan.tex}
\end{table*}
\end{document}
"""


def _synthetic(tmp_path: Path, times: dict[str, tuple[float, str]] | None = None) -> replication.Project:
    bld = tmp_path / "bld"
    (tmp_path / "paper").mkdir()
    (tmp_path / "paper" / "main.tex").write_text(SYNTHETIC)
    steps = {
        "tables": Step(
            "tables",
            reads=(bld / "estimates" / "estimates.csv",),
            produces=(bld / "tables" / "a.tex", bld / "tables" / "a_panel_b.tex", bld / "macros.tex"),
            summary="tables",
        ),
        "figures": Step("figures", reads=(), produces=(bld / "figures",), summary="figures"),
        "estimate": Step(
            "estimate", reads=(), produces=(bld / "estimates" / "estimates.csv",), summary="fits"
        ),
    }
    committed = tmp_path / "results" / "estimates.csv"
    committed.parent.mkdir()
    committed.write_text(
        "spec_id,spec_name,term,estimate,std_error,conf_low,conf_high\n"
        "aaaaaaaaaaaa,spec_a,x,0.1234,0.0456,0.0340,0.2128\n"
        "bbbbbbbbbbbb,spec_b,x,0.5,0.25,0.01,0.99\n"
    )
    return replication.Project(
        steps=steps,
        scripts={n: f"analysis/{n}.py" for n in steps},
        tex=SYNTHETIC,
        registries=read_registries([(bld / "estimates" / "estimates.csv", committed)]),
        specs={},
        data_readme="## Details on each data source\n\n### Source\n\n| `raw.csv` | 10 | x | y |\n",
        checksums={"raw.csv": "0" * 64, "undescribed.csv": "1" * 64},
        times=times or {},
        sessions=["tables"],
        root=tmp_path,
    )


def test_synthetic_paper_items(tmp_path: Path) -> None:
    items = paper_items(SYNTHETIC, tmp_path / "paper", tmp_path)
    got = [(i.kind, i.number, i.path.as_posix(), i.label) for i in items]
    assert got == [
        ("input", 0, "bld/macros.tex", ""),
        ("table", 1, "bld/tables/a.tex", "tab:first"),
        ("table", 1, "bld/tables/a_panel_b.tex", "tab:first"),
        ("figure", 1, "bld/figures/curve", "fig:curve"),
        ("table", 2, "bld/tables/orphan.tex", ""),
    ]
    assert items[1].caption == "First table, with nested braces and 5% of x x y"
    assert items[4].caption == "Orphan table"


def test_synthetic_map_and_problems(tmp_path: Path) -> None:
    project = _synthetic(tmp_path)
    rows = {r.item.path.as_posix(): r for r in project.replication_map()}
    assert rows["bld/tables/a.tex"].step == "tables"
    assert rows["bld/figures/curve"].step == "figures"  # a folder covers the figure, any extension
    assert rows["bld/tables/orphan.tex"].step is None
    # not built, not declared: nothing to read
    assert rows["bld/tables/a.tex"].how == "unbuilt"
    assert rows["bld/tables/a.tex"].specs == ()
    assert rows["bld/figures/curve"].specs == ()
    problems = project.problems()
    assert len(problems) == 2
    assert "Table 2 (../bld/tables/orphan.tex) is produced by no pipeline step" in problems[0]
    assert "`undescribed.csv`" in problems[1]
    text = replication.render(project)
    assert "**no step declares this file**" in text
    assert "**Incomplete:**" in text
    assert "No step time has been measured" in text


def test_synthetic_map_reads_the_built_table(tmp_path: Path) -> None:
    project = _synthetic(tmp_path)
    table = tmp_path / "bld" / "tables" / "a.tex"
    table.parent.mkdir(parents=True)
    table.write_text("x & 0.123 \\\\\n & (0.046) \\\\\n")  # spec_a's estimate and SE, rounded
    row = next(r for r in project.replication_map() if r.item.path == Path("bld/tables/a.tex"))
    assert (row.how, row.specs, row.rows) == ("shown", ("spec_a",), 1)
    table.write_text("a table of other numbers 0.777 0.888\n")
    project = replication.Project(**{k: v for k, v in project.__dict__.items() if k != "_map"})
    row = next(r for r in project.replication_map() if r.item.path == Path("bld/tables/a.tex"))
    assert (row.how, row.specs) == ("none", ())


def test_synthetic_runtime_is_the_sum_of_the_latest_runs(tmp_path: Path) -> None:
    times = tmp_path / "times.csv"
    times.write_text(
        "time,step,seconds,status\n"
        "2026-01-01T10:00:00,estimate,10.00,ran\n"
        "2026-01-01T10:01:00,tables,2.00,ran\n"
        "2026-01-02T09:00:00,estimate,4.00,ran\n"
        "2026-01-02T09:00:01,tables,0.00,skipped\n"
    )
    measured = measured_times(times)
    assert measured == {
        "estimate": (4.0, "2026-01-02T09:00:00"),
        "tables": (2.0, "2026-01-01T10:01:00"),
    }
    text = replication.render_runtime(_synthetic(tmp_path, measured))
    assert "took 6.0 s" in text
    assert "| `estimate` | 4.0 | 2026-01-02 09:00:00 |" in text


ROW = RegistryRow("s", "0123456789ab", "x", (0.07379, 0.00550, 0.06275, 0.08484))


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("\\def\\estimate@s@x{0.5}", True),  # the spec's name printed (a macro name)
        ("density & 0.074 \\\\\n & (0.0055) \\\\", True),  # estimate, SE below it
        ("SE 0.0055 & CI 0.063 & 0.085", True),  # SE and bounds on one line
        ("Spec id & 0123456789ab", True),  # spec id printed
        ("gamma 0.074 \\\\\n next 0.063", False),  # estimate and one bound only
        ("0.074\n\n\n(0.0055)", False),  # too far apart
        ("0.07 (0.01)", False),  # one significant digit proves nothing
    ],
)
def test_rows_shown(text: str, shown: bool) -> None:
    assert (rows_shown(text, [ROW]) == [ROW]) is shown


def test_cli_writes_the_readme(tmp_path: Path) -> None:
    out = tmp_path / "REPLICATION.md"
    assert replication.main(["--out", str(out), "--check"]) == 0
    text = out.read_text(encoding="utf-8")
    for heading in (
        "## Data availability and provenance statements",
        "## Computational requirements",
        "## Description of programs/code",
        "## Instructions to replicators",
        "## List of tables and figures",
    ):
        assert heading in text


def test_declared_tables_name_their_specs(project: replication.Project) -> None:
    # independent reading of the table specs: every `spec = "..."` of each TOML file
    import tomllib

    folder = ROOT / "analysis" / "table_specs"
    rows = {r.item.path.stem: r for r in project.replication_map()}
    for f in sorted(folder.glob("*.toml")):
        doc = tomllib.loads(f.read_text(encoding="utf-8"))
        named = [c["spec"] for p in doc["table"]["panels"] for c in p["columns"] if "spec" in c]
        if f.stem in rows:  # tables the paper inputs
            row = rows[f.stem]
            assert row.how == "declared", f.stem
            assert set(row.specs) == set(named), f.stem


def test_synthetic_declared_table(tmp_path: Path) -> None:
    base = _synthetic(tmp_path)
    toml = tmp_path / "analysis" / "table_specs" / "a.toml"
    toml.parent.mkdir(parents=True)
    toml.write_text("")
    tables_step = base.steps["tables"]
    steps = dict(base.steps)
    steps["tables"] = Step("tables", reads=(*tables_step.reads, toml.parent),
                           produces=tables_step.produces, summary="tables")
    fields = {k: v for k, v in base.__dict__.items() if k != "_map"}
    project = replication.Project(**{**fields, "steps": steps, "tables": {"a": (toml, ("spec_b",))}})
    row = next(r for r in project.replication_map() if r.item.path == Path("bld/tables/a.tex"))
    assert (row.how, row.specs, row.rows) == ("declared", ("spec_b",), 1)
    # a declaration the producing step does not read is not trusted
    undeclared = replication.Project(**{**fields, "tables": {"a": (toml, ("spec_b",))}})
    row = next(r for r in undeclared.replication_map() if r.item.path == Path("bld/tables/a.tex"))
    assert row.how == "unbuilt"


def test_one_coefficient_of_three_by_coincidence_is_not_enough() -> None:
    spec = [RegistryRow("t", "abcdefabcdef", term, vals) for term, vals in (
        ("a", (0.1234, 0.0456, 0.0340, 0.2128)),
        ("b", (0.5561, 0.1111, 0.3333, 0.7777)),
        ("c", (0.9876, 0.0123, 0.9635, 1.0117)),
    )]
    one = "x & 0.123 \\\\\n & (0.046) \\\\"
    assert rows_shown(one, spec) == []
    two = one + "\ny & 0.556 \\\\\n & (0.111) \\\\"
    assert [r.term for r in rows_shown(two, spec)] == ["a", "b"]


def test_figure_data_matched_at_full_precision(tmp_path: Path) -> None:
    rows = [RegistryRow("s", "0123456789ab", "x", (0.07379709657, 0.0055, 0.06275086284, 0.0848)),
            RegistryRow("u", "ba9876543210", "x", (0.0738, 0.0055, 0.0628, 0.0848))]
    data = tmp_path / "fig.csv"
    data.write_text("label,estimate,conf_low,conf_high\nbase,0.07379709657,0.06275086284,0.5\n")
    assert rows_drawn(data, rows) == rows[:1]  # rounded values of the other row do not match


def test_float_inside_a_generated_file_is_numbered(tmp_path: Path) -> None:
    tables = tmp_path / "bld" / "tables"
    tables.mkdir(parents=True)
    (tables / "gen.tex").write_text(
        "% generated\n\\begin{table}\\caption{Generated}\\label{tab:gen}\\end{table}\n"
    )
    tex = SYNTHETIC.replace("\\begin{document}", "\\begin{document}\n\\input{../bld/tables/gen}")
    items = paper_items(tex, tmp_path / "paper", tmp_path)
    got = [(i.kind, i.number, i.path.name, i.label) for i in items if i.kind != "input"]
    assert got[:2] == [("table", 1, "gen.tex", "tab:gen"), ("table", 2, "a.tex", "tab:first")]
    assert got[-1] == ("table", 3, "orphan.tex", "")


def test_two_numbers_that_print_alike_prove_nothing() -> None:
    row = RegistryRow("s", "0123456789ab", "x", (-0.0290, 0.0301, -0.0880, 0.0299))
    assert rows_shown("TFP & (0.030) \\\\", [row]) == []  # se and upper bound both print 0.030
