"""The one entry point of the project: `nox -l` lists the sessions.

Every session installs the exact versions in requirements.lock, then the project itself without
dependencies, so that a rerun later gets the same numbers. Pipeline sessions run the thin scripts
in analysis/, each of which declares what it reads and produces.

  nox -s tests        unit and validation tests (slow Monte Carlo tests deselected)
  nox -s lint         ruff and mypy
  nox -s data         acquire raw files into data_raw/ and verify checksums
                      (-- --mirror PATH or -- --url URL; env AGGLOMERATION_DATA_MIRROR)
  nox -s build        raw files -> bld/panels/
  nox -s estimate     panels + analysis/specs -> bld/estimates/
  nox -s tables       estimates -> bld/tables/, bld/macros.tex
  nox -s paper        everything above, then paper/main.pdf; updates results/estimates.csv;
                      writes the cluster explorer bld/explorer/index.html
  nox -s explorer     the self-contained cluster explorer page bld/explorer/index.html
                      (runs data and build first if the metro panel is missing)
  nox -s verify       rerun data -> estimate and compare with results/estimates.csv
  nox -s montecarlo   rerun the Conley coverage Monte Carlo (analysis/montecarlo_conley_coverage.csv)
  nox -s bench        benchmarks/ -> benchmarks/results/*.json
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["lint", "tests"]
nox.options.reuse_existing_virtualenvs = True

ROOT = Path(__file__).parent
LOCK = "requirements.lock"


def _install(session: nox.Session) -> None:
    session.install("-r", LOCK)
    session.install("--no-deps", "-e", ".")


def _step(session: nox.Session, script: str, *args: str) -> None:
    session.run("python", f"analysis/{script}", *args, env={"MPLBACKEND": "Agg"})


def _ensure_chromium(session: nox.Session) -> None:
    """Install Debian's chromium for the explorer's browser tests if it is missing (as root)."""
    if os.environ.get("AGGLOMERATION_CHROMIUM") or any(
        shutil.which(b) for b in ("chromium", "chromium-browser")
    ):
        return
    if shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        env = {"DEBIAN_FRONTEND": "noninteractive"}
        session.run("apt-get", "update", "-qq", external=True, env=env)
        session.run("apt-get", "install", "-y", "-qq", "chromium", external=True, env=env)
    else:
        session.warn(
            "chromium not found and not installable here (needs root and apt-get): the "
            "explorer's browser tests will fail. Install it (e.g. sudo apt-get install -y "
            "chromium) or set AGGLOMERATION_CHROMIUM to a Chromium binary."
        )


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite (pass pytest options after --, e.g. -- -m slow)."""
    _ensure_chromium(session)
    _install(session)
    args = session.posargs or ["-m", "not slow", "-n", "2"]
    session.run("pytest", *args)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff (style, imports, docstrings) and mypy (types) on the library."""
    _install(session)
    session.run("ruff", "check", "src", "analysis", "tests", "benchmarks", "noxfile.py")
    session.run("mypy", "src")


@nox.session
def data(session: nox.Session) -> None:
    """Acquire and verify the raw data (-- --mirror PATH | -- --url URL)."""
    _install(session)
    _step(session, "data.py", *session.posargs)


@nox.session
def build(session: nox.Session) -> None:
    """Build the validated panels from the verified raw files."""
    _install(session)
    _step(session, "build.py")


@nox.session
def estimate(session: nox.Session) -> None:
    """Estimate every specification in analysis/specs/ and the production functions."""
    _install(session)
    _step(session, "estimate.py")
    _step(session, "tfp_table.py")


@nox.session
def tables(session: nox.Session) -> None:
    """Write the LaTeX tables and macros from the estimates."""
    _install(session)
    _step(session, "tables.py")


def _require_latex(session: nox.Session) -> None:
    missing = [tool for tool in ("latexmk", "pdflatex") if shutil.which(tool) is None]
    if missing:
        session.error(
            f"LaTeX is missing ({', '.join(missing)} not found). Install it, e.g. on Debian/Ubuntu: "
            "apt-get install -y latexmk texlive-latex-base texlive-latex-recommended "
            "texlive-fonts-recommended (macOS: MacTeX), then rerun `nox -s paper`."
        )


@nox.session
def paper(session: nox.Session) -> None:
    """Raw data to PDF: data, build, estimate, tables, then latexmk; refresh the registry."""
    _require_latex(session)
    _install(session)
    _step(session, "data.py", *session.posargs)
    _step(session, "build.py")
    _step(session, "estimate.py")
    _step(session, "tfp_table.py")
    _step(session, "tables.py")
    with session.chdir("paper"):
        session.run(
            "latexmk",
            "-pdf",
            "-interaction=nonstopmode",
            "-halt-on-error",
            "main.tex",
            external=True,
        )
    _step(session, "registry.py", "update")
    _step(session, "explorer.py")
    session.log(f"paper written to {ROOT / 'paper' / 'main.pdf'}")


@nox.session
def explorer(session: nox.Session) -> None:
    """Write the self-contained cluster explorer bld/explorer/index.html (-- --mirror PATH)."""
    _install(session)
    if not (ROOT / "bld" / "panels" / "metro_clusters.parquet").exists():
        _step(session, "data.py", *session.posargs)
        _step(session, "build.py")
    _step(session, "explorer.py")


@nox.session
def verify(session: nox.Session) -> None:
    """Recompute every estimate and compare with the committed registry results/estimates.csv."""
    _install(session)
    _step(session, "data.py", *session.posargs)
    _step(session, "build.py")
    _step(session, "estimate.py")
    _step(session, "tfp_table.py")
    _step(session, "registry.py", "compare")


@nox.session
def montecarlo(session: nox.Session) -> None:
    """Rerun the Conley coverage Monte Carlo (500 replications) into the committed result."""
    _install(session)
    session.run(
        "python",
        "analysis/montecarlo_conley.py",
        "analysis/montecarlo_conley_coverage.csv",
        *session.posargs,
    )


@nox.session
def bench(session: nox.Session) -> None:
    """Run every benchmark in benchmarks/; results go to benchmarks/results/."""
    _install(session)
    for script in sorted((ROOT / "benchmarks").glob("bench_*.py")):
        out = ROOT / "benchmarks" / "results" / f"{script.stem.removeprefix('bench_')}.json"
        session.run("python", str(script), "--out", str(out))
