"""Step `latex`: the paper's PDF from main.tex and the generated tables, figures and macros.

Reads: paper/main.tex, bld/tables/, bld/macros.tex.
Produces: paper/main.pdf. LaTeX compiles in bld/latex/ (its auxiliary files never touch paper/);
the PDF is then copied over paper/main.pdf in one rename, so a failed compile leaves the previous
paper in place. latexmk's log goes to bld/latex.log; it is printed only on failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from agglomeration.errors import AgglomerationError

from project_paths import BLD, FIGURES, ROOT, TABLES, write_text
from step import Step, run_main

PAPER = ROOT / "paper"

STEP = Step(
    "latex",
    reads=(
        PAPER / "main.tex",
        PAPER / "references.bib",
        TABLES,
        FIGURES,
        BLD / "macros.tex",
        BLD / "numbers.tex",
    ),
    produces=(PAPER / "main.pdf",),
    summary="paper/main.tex + generated tables and macros -> paper/main.pdf",
)

LATEX_PACKAGES = "latexmk texlive-latex-base texlive-latex-recommended texlive-fonts-recommended"


class LatexError(AgglomerationError):
    """LaTeX is missing or the document does not compile."""


def main(argv: list[str] | None = None) -> None:
    missing = [tool for tool in ("latexmk", "pdflatex") if shutil.which(tool) is None]
    if missing:
        raise LatexError(
            f"LaTeX is missing ({', '.join(missing)} not found). Install it, e.g. on "
            f"Debian/Ubuntu: apt-get install -y {LATEX_PACKAGES} (macOS: MacTeX), then rerun "
            "`nox -s paper`."
        )
    # -g: the pipeline decides when the paper is stale; latexmk always rebuilds when asked
    outdir = BLD / "latex"
    outdir.mkdir(parents=True, exist_ok=True)
    cmd = [
        "latexmk",
        "-g",
        "-pdf",
        "-interaction=nonstopmode",
        "-halt-on-error",
        f"-outdir={outdir}",
        "main.tex",
    ]
    proc = subprocess.run(cmd, cwd=PAPER, capture_output=True, text=True, check=False)
    log = BLD / "latex.log"
    write_text(log, proc.stdout + proc.stderr)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-40:])
        raise LatexError(
            f"latexmk failed; paper/main.pdf is left as it was (full log: {log}):\n{tail}"
        )
    target = PAPER / "main.pdf"
    tmp = target.with_name(f".{target.name}.tmp")
    shutil.copyfile(outdir / "main.pdf", tmp)
    os.replace(tmp, target)
    print(f"latex: paper/main.pdf written (latexmk log: {log.relative_to(ROOT)})")


if __name__ == "__main__":
    sys.exit(run_main(STEP, main))
