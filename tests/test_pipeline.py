"""The pipeline runner: order from the declarations, reruns only what is stale, never mixes.

A toy project of three steps in a temporary folder: `a` writes a.txt from in.txt, `b` writes
b.txt from a.txt, `c` writes c.txt from b.txt and in.txt. Each step counts its runs in a file,
so the tests see exactly which steps ran.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "analysis"))

import pipeline  # noqa: E402
from step import Step  # noqa: E402

STEP_CODE = """
from pathlib import Path
from step import Step

HERE = Path(__file__).parent
STEP = Step("{name}", reads=tuple(HERE / r for r in {reads!r}), produces=(HERE / "{out}",))


def main(argv=None):
    runs = HERE / "runs.txt"
    runs.write_text(runs.read_text() + "{name}\\n" if runs.exists() else "{name}\\n")
    if (HERE / "fail_{name}").exists():
        (HERE / ".{out}.x.tmp").write_text("half")
        raise FileNotFoundError("simulated failure of {name}")
    text = "".join((HERE / r).read_text() for r in {reads!r})
    (HERE / "{out}").write_text(text + "{name}")
"""


@pytest.fixture()
def project(tmp_path, monkeypatch):
    (tmp_path / "analysis").mkdir()
    (tmp_path / "analysis" / "project_paths.py").write_text("# stand-in\n")
    (tmp_path / "lib").mkdir()
    (tmp_path / "in.txt").write_text("input;")
    steps = {
        "toy_a": ("a", ["in.txt"]),
        "toy_b": ("b", ["a.txt"]),
        "toy_c": ("c", ["b.txt", "in.txt"]),
    }
    for mod, (name, reads) in steps.items():
        (tmp_path / f"{mod}.py").write_text(
            textwrap.dedent(STEP_CODE.format(name=name, reads=reads, out=f"{name}.txt"))
        )
    monkeypatch.syspath_prepend(str(tmp_path))
    for mod in steps:
        sys.modules.pop(mod, None)
    monkeypatch.setattr(pipeline, "ROOT", tmp_path)
    monkeypatch.setattr(pipeline, "LIBRARY", tmp_path / "lib")
    monkeypatch.setattr(pipeline, "STATE", tmp_path / "bld" / "state.json")
    monkeypatch.setattr(pipeline, "TIMES", tmp_path / "bld" / "times.csv")
    monkeypatch.setattr(pipeline, "STEP_MODULES", ("toy_c", "toy_a", "toy_b"))
    return tmp_path


def runs(project: Path) -> list[str]:
    f = project / "runs.txt"
    return f.read_text().split() if f.exists() else []


def test_order_is_derived_from_the_declarations(project):
    steps = pipeline.load_steps()
    deps = pipeline.dependencies(s for s, _ in steps.values())
    assert deps == {"a": set(), "b": {"a"}, "c": {"b"}}
    assert pipeline.order(deps, ["c"]) == ["a", "b", "c"]
    assert pipeline.order(deps, ["b"]) == ["a", "b"]


def test_only_stale_steps_rerun(project):
    pipeline.run(["c"])
    assert runs(project) == ["a", "b", "c"]
    assert (project / "c.txt").read_text() == "input;abinput;c"
    pipeline.run(["c"])  # nothing changed
    assert runs(project) == ["a", "b", "c"]
    # an output edited by hand: b reruns and restores it; c's input is then what c last read,
    # so c stays up to date (staleness follows content, not time stamps)
    (project / "b.txt").write_text("edited by hand")
    pipeline.run(["c"])
    assert runs(project)[3:] == ["b"]
    assert (project / "c.txt").read_text() == "input;abinput;c"
    (project / "in.txt").write_text("new input;")  # a raw input changed: everything reruns
    pipeline.run(["c"])
    assert runs(project)[4:] == ["a", "b", "c"]
    assert (project / "c.txt").read_text() == "new input;abnew input;c"
    pipeline.run(["c"], force=True)
    assert runs(project)[7:] == ["a", "b", "c"]


def test_a_changed_step_script_reruns_it_and_what_its_new_output_feeds(project):
    pipeline.run(["c"])
    f = project / "toy_b.py"
    f.write_text(f.read_text() + "\n# a comment: same output\n")
    pipeline.run(["c"])
    assert runs(project) == ["a", "b", "c", "b"]  # b reran; its output is the same, c is not
    f.write_text(f.read_text().replace('+ "b")', '+ "B")'))
    sys.modules.pop("toy_b", None)
    pipeline.run(["c"])
    assert runs(project)[4:] == ["b", "c"]
    assert (project / "c.txt").read_text() == "input;aBinput;c"


def test_a_failed_step_is_not_recorded_and_its_temporaries_are_cleaned(project):
    (project / "fail_b").write_text("")
    with pytest.raises(pipeline.StepFailed, match="step 'b' failed: simulated failure of b"):
        pipeline.run(["c"])
    assert (project / ".b.txt.x.tmp").exists()
    (project / "fail_b").unlink()
    pipeline.run(["c"])
    # a is up to date, b reruns (it never succeeded) after its stale temporary file is removed
    assert runs(project) == ["a", "b", "b", "c"]
    assert not (project / ".b.txt.x.tmp").exists()


def test_two_producers_of_one_file_are_an_error(tmp_path):
    s1 = Step("one", reads=(), produces=(tmp_path / "x.csv",))
    s2 = Step("two", reads=(), produces=(tmp_path / "x.csv",))
    with pytest.raises(pipeline.PipelineError, match="produced by both 'one' and 'two'"):
        pipeline.dependencies([s1, s2])


def test_the_real_pipeline_declarations_form_a_graph():
    steps = pipeline.load_steps()
    deps = pipeline.dependencies(s for s, _ in steps.values())
    plan = pipeline.order(deps, ["latex", "explorer"])
    assert plan[:2] == ["data", "build"] and plan.index("tables") < plan.index("latex")


def test_latex_step_keeps_previous_pdf_when_compile_fails(tmp_path, monkeypatch):
    """A LaTeX error leaves paper/main.pdf as it was; a good compile replaces it whole."""
    import latex

    paper, bld = tmp_path / "paper", tmp_path / "bld"
    paper.mkdir()
    monkeypatch.setattr(latex, "PAPER", paper)
    monkeypatch.setattr(latex, "BLD", bld)
    monkeypatch.setattr(latex, "ROOT", tmp_path)
    previous = b"%PDF-previous paper"
    (paper / "main.pdf").write_bytes(previous)
    (paper / "main.tex").write_text(
        "\\documentclass{article}\n\\begin{document}\n\\undefinedmacro\n"
    )
    with pytest.raises(latex.LatexError, match="left as it was"):
        latex.main([])
    assert (paper / "main.pdf").read_bytes() == previous
    assert not list(paper.glob("*.aux")) and not list(paper.glob(".*.tmp"))

    (paper / "main.tex").write_text(
        "\\documentclass{article}\n\\begin{document}\nA paper.\n\\end{document}\n"
    )
    latex.main([])
    pdf = (paper / "main.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-1.") and pdf == (bld / "latex" / "main.pdf").read_bytes()
    assert sorted(p.name for p in paper.iterdir()) == ["main.pdf", "main.tex"]
