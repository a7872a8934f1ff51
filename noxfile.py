"""The one entry point of the project: `nox -l` lists the sessions.

Every session runs in one shared environment, `.nox/shared`, built with uv from the exact versions
in requirements.lock (plus the project itself, without dependencies) and byte-compiled at
install; it is rebuilt only when requirements.lock or pyproject.toml change. Pipeline sessions
call the runner analysis/pipeline.py, which derives the order of the steps from what each step
declares it reads and produces, and reruns only the steps whose inputs or code changed.

  nox -s tests        unit and validation tests (slow Monte Carlo tests deselected)
  nox -s lint         ruff and mypy
  nox -s data         acquire raw files into data_raw/ and verify checksums
                      (-- --mirror PATH or -- --url URL; env AGGLOMERATION_DATA_MIRROR)
  nox -s build        raw files -> bld/panels/
  nox -s estimate     panels + analysis/specs -> bld/estimates/
  nox -s tables       estimates -> bld/tables/, bld/macros.tex
  nox -s paper        everything above, then paper/main.pdf and the explorer; updates results/
                      and REPLICATION.md
  nox -s explorer     the self-contained cluster explorer page bld/explorer/index.html
  nox -s verify       recompute every estimate from raw data and compare with results/
  nox -s robustness   specification grids and curves, baseline robustness checks
  nox -s montecarlo   rerun the Conley coverage Monte Carlo (analysis/montecarlo_conley_coverage.csv)
  nox -s bench        benchmarks/ -> benchmarks/results/*.json
  nox -s docs         the documentation site docs/_build/html (every example executed)
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from pathlib import Path

import nox

nox.options.sessions = ["lint", "tests"]

ROOT = Path(__file__).parent
LOCK = ROOT / "requirements.lock"
ENV = ROOT / ".nox" / "shared"
BIN = ENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")


def _env(session: nox.Session) -> dict[str, str]:
    """Create or reuse the shared environment; return the variables to run inside it."""
    want = hashlib.sha256(LOCK.read_bytes() + (ROOT / "pyproject.toml").read_bytes()).hexdigest()
    stamp = ENV / ".lock-sha256"
    if not (PY.is_file() and stamp.is_file() and stamp.read_text().strip() == want):
        env = {"UV_COMPILE_BYTECODE": "1", "VIRTUAL_ENV": str(ENV)}
        if shutil.which("uv"):
            session.run("uv", "venv", "--quiet", "--allow-existing", "--python", sys.executable,
                        str(ENV), external=True)
            session.run("uv", "pip", "install", "--quiet", "-r", str(LOCK), env=env, external=True)
            session.run("uv", "pip", "install", "--quiet", "--no-deps", "-e", str(ROOT), env=env,
                        external=True)
        else:
            session.run(sys.executable, "-m", "venv", str(ENV), external=True)
            session.run(str(PY), "-m", "pip", "install", "-q", "-r", str(LOCK), external=True)
            session.run(str(PY), "-m", "pip", "install", "-q", "--no-deps", "-e", str(ROOT),
                        external=True)
            session.run(str(PY), "-m", "compileall", "-q", str(ENV), external=True)
        stamp.write_text(want + "\n")
    return {
        "VIRTUAL_ENV": str(ENV),
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "MPLBACKEND": "Agg",
        # the engine keeps fixed effects in a set: a fixed hash seed fixes the order of its
        # alternating projections, so reruns reproduce every digit
        "PYTHONHASHSEED": "0",
    }


def _py(session: nox.Session, *args: str) -> None:
    session.run(str(PY), *args, env=_env(session), external=True)


def _pipeline(session: nox.Session, *targets: str, force: bool = False) -> None:
    args = ["analysis/pipeline.py", "run", *targets, *session.posargs]
    if force:
        args.append("--force")
    _py(session, *args)


def _ensure_chromium(session: nox.Session) -> None:
    """Install Debian's chromium for the explorer's browser tests if it is missing (as root)."""
    if os.environ.get("AGGLOMERATION_CHROMIUM") or any(
        shutil.which(b) for b in ("chromium", "chromium-browser")
    ):
        return
    if shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        env = {"DEBIAN_FRONTEND": "noninteractive"}
        session.run("apt-get", "update", "-qq", external=True, env=env)
        session.run(
            "apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium",
            external=True, env=env,
        )
    else:
        session.warn(
            "chromium not found and not installable here (needs root and apt-get): the "
            "explorer's browser tests will fail. Install it (e.g. sudo apt-get install -y "
            "chromium) or set AGGLOMERATION_CHROMIUM to a Chromium binary."
        )


@nox.session(venv_backend="none")
def tests(session: nox.Session) -> None:
    """Run the test suite (pass pytest options after --, e.g. -- -m slow)."""
    _ensure_chromium(session)
    args = session.posargs or ["-m", "not slow", "-n", "2"]
    _py(session, "-m", "pytest", *args)


@nox.session(venv_backend="none")
def lint(session: nox.Session) -> None:
    """ruff (style, imports, docstrings) and mypy (types) on the library."""
    _py(session, "-m", "ruff", "check", "src", "analysis", "tests", "benchmarks", "noxfile.py")
    _py(session, "-m", "mypy", "src")


@nox.session(venv_backend="none")
def data(session: nox.Session) -> None:
    """Acquire and verify the raw data (-- --mirror PATH | -- --url URL)."""
    _pipeline(session, "data")


@nox.session(venv_backend="none")
def build(session: nox.Session) -> None:
    """Build the validated panels from the verified raw files (and what they need first)."""
    _pipeline(session, "build")


@nox.session(venv_backend="none")
def estimate(session: nox.Session) -> None:
    """Estimate every specification in analysis/specs/ and the production functions."""
    _pipeline(session, "estimate", "tfp_table")


@nox.session(venv_backend="none")
def tables(session: nox.Session) -> None:
    """Write the LaTeX tables and macros from the estimates."""
    _pipeline(session, "tables")


@nox.session(venv_backend="none")
def paper(session: nox.Session) -> None:
    """Raw data to PDF (and the explorer page): every stale step, then refresh the registry."""
    _pipeline(session, "latex", "explorer")
    _py(session, "analysis/registry.py", "update")
    _py(session, "analysis/replication.py")
    session.log(f"paper written to {ROOT / 'paper' / 'main.pdf'}")


@nox.session(venv_backend="none")
def robustness(session: nox.Session) -> None:
    """Specification grids, curves with inference, leave-one-out, placebo, Oster, Conley cutoffs."""
    _pipeline(session, "robustness")


@nox.session(venv_backend="none")
def explorer(session: nox.Session) -> None:
    """Write the self-contained cluster explorer bld/explorer/index.html."""
    _pipeline(session, "explorer")


@nox.session(venv_backend="none")
def verify(session: nox.Session) -> None:
    """Recompute every estimate and quoted number from raw data; compare with the registry."""
    _pipeline(session, "tables", force=True)
    _py(session, "analysis/registry.py", "compare")


@nox.session(venv_backend="none")
def montecarlo(session: nox.Session) -> None:
    """Rerun the Conley coverage Monte Carlo (500 replications) into the committed result."""
    _py(
        session,
        "analysis/montecarlo_conley.py",
        "analysis/montecarlo_conley_coverage.csv",
        "--workers",
        "2",
        *session.posargs,
    )


@nox.session(venv_backend="none")
def bench(session: nox.Session) -> None:
    """Run every benchmark in benchmarks/; results go to benchmarks/results/."""
    for script in sorted((ROOT / "benchmarks").glob("bench_*.py")):
        out = ROOT / "benchmarks" / "results" / f"{script.stem.removeprefix('bench_')}.json"
        _py(session, str(script), "--out", str(out))


@nox.session(venv_backend="none")
def docs(session: nox.Session) -> None:
    """Build the documentation site: examples executed, warnings are errors, links checked."""
    _pipeline(session, "data")  # a few examples read the raw files
    html = ROOT / "docs" / "_build" / "html"
    # -E: read every page again, so that every example runs at every build
    _py(session, "-m", "sphinx", "-b", "html", "-E", "-W", "--keep-going", "-n", "docs", str(html))
    _py(session, "docs/check_links.py", str(html))
    session.log(f"documentation written to {html / 'index.html'}")
