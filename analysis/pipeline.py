"""The pipeline runner: order derived from the steps' declarations, stale steps only.

Usage::

    python analysis/pipeline.py run TARGET [TARGET ...] [--force] [--mirror PATH | --url URL]
    python analysis/pipeline.py list        # steps in order, with what they read and produce
    python analysis/pipeline.py status      # which steps are up to date

Each step script in ``analysis/`` declares ``STEP = Step(name, reads, produces)`` and a
``main(argv)``. A step depends on every step that produces a file it reads; ``run TARGET`` runs
the target and everything upstream of it, in dependency order, skipping a step when

- every output exists with the hash recorded at the step's last successful run,
- every input has the hash recorded then (for an input produced by another step, that step's
  recorded output hash, so a step never mixes outputs of two builds), and
- its code (the script, the library under ``src/``, ``analysis/project_paths.py``) is unchanged.

The record is ``bld/.pipeline/state.json``, written only after a step succeeds, so a step
killed half-way is rerun. Before a step runs, stale temporary files (``.*.tmp``) left in its
output folders by a killed run are removed. ``--force`` reruns every step of the targets.
Each run appends the time of every step to ``bld/pipeline_times.csv``. An expected error (an
:class:`agglomeration.errors.AgglomerationError`, a missing input) prints as one message naming
the step and exits with status 1; a traceback means a bug.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import ModuleType

from agglomeration.errors import AgglomerationError

from project_paths import BLD, ROOT, write_text
from step import Step

STEP_MODULES: tuple[str, ...] = (
    "data",
    "build",
    "estimate",
    "risk",
    "robustness",
    "tfp_table",
    "tables",
    "figures",
    "latex",
    "explorer",
)
"""The step scripts (module names in analysis/); their order here does not matter."""

STATE = BLD / ".pipeline" / "state.json"
TIMES = BLD / "pipeline_times.csv"
LIBRARY = ROOT / "src" / "agglomeration"


class PipelineError(Exception):
    """The declarations are inconsistent (a cycle, two producers of a file, an unknown step)."""


class StepFailed(Exception):
    """A step raised an expected error (its message names the step and the fix)."""


def load_steps(names: Sequence[str] | None = None) -> dict[str, tuple[Step, ModuleType]]:
    """Import every step script and return its declaration and module, by step name."""
    out: dict[str, tuple[Step, ModuleType]] = {}
    for mod_name in STEP_MODULES if names is None else names:
        mod = importlib.import_module(mod_name)
        step = getattr(mod, "STEP", None)
        if not isinstance(step, Step):
            raise PipelineError(f"analysis/{mod_name}.py declares no STEP = Step(...).")
        if step.name in out:
            raise PipelineError(f"two scripts declare the step {step.name!r}.")
        out[step.name] = (step, mod)
    return out


def _covers(path: Path, other: Path) -> bool:
    """Return whether ``other`` is ``path`` or lies inside it (or vice versa)."""
    return path == other or path in other.parents or other in path.parents


def dependencies(steps: Iterable[Step]) -> dict[str, set[str]]:
    """Step name -> names of the steps that produce something it reads."""
    steps = list(steps)
    producers: dict[Path, str] = {}
    for s in steps:
        for p in s.produces:
            for q, other in producers.items():
                if _covers(p, q) and other != s.name:
                    raise PipelineError(f"{p} is produced by both {other!r} and {s.name!r}.")
            producers[p] = s.name
    deps: dict[str, set[str]] = {s.name: set() for s in steps}
    for s in steps:
        for r in s.reads:
            for p, who in producers.items():
                if who != s.name and _covers(r, p):
                    deps[s.name].add(who)
    return deps


def producer_of(path: Path) -> str | None:
    """Name of the step that produces ``path`` (a file or a folder), or None."""
    for name, (step, _) in load_steps().items():
        if any(path == p or p in path.parents or path in p.parents for p in step.produces):
            return name
    return None


def order(deps: dict[str, set[str]], targets: Sequence[str]) -> list[str]:
    """Targets and everything upstream of them, in a dependency order (ties by name)."""
    unknown = [t for t in targets if t not in deps]
    if unknown:
        raise PipelineError(f"unknown step(s) {unknown}; steps: {sorted(deps)}.")
    need: set[str] = set()
    stack = list(targets)
    while stack:
        s = stack.pop()
        if s not in need:
            need.add(s)
            stack.extend(deps[s])
    done: list[str] = []
    remaining = {s: set(deps[s]) & need for s in need}
    while remaining:
        ready = sorted(s for s, d in remaining.items() if not d - set(done))
        if not ready:
            raise PipelineError(f"the steps {sorted(remaining)} depend on each other (a cycle).")
        for s in ready:
            done.append(s)
            del remaining[s]
    return done


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(
            p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")
        )
    return [path] if path.is_file() else []


def _hash_paths(paths: Iterable[Path]) -> dict[str, str | None]:
    """Relative path -> sha256 of every file under ``paths`` (None for a missing path)."""
    out: dict[str, str | None] = {}
    for p in paths:
        files = _files(p)
        if not files:
            out[str(p.relative_to(ROOT))] = None
        for f in files:
            out[str(f.relative_to(ROOT))] = hashlib.sha256(f.read_bytes()).hexdigest()
    return out


def _code_hash(step: Step, module: ModuleType) -> str:
    h = hashlib.sha256()
    code = [Path(str(module.__file__)), ROOT / "analysis" / "project_paths.py", *step.code]
    code += sorted(LIBRARY.rglob("*.py"))
    for f in code:
        h.update(str(f.relative_to(ROOT)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def _load_state() -> dict[str, dict[str, object]]:
    if not STATE.is_file():
        return {}
    try:
        state = json.loads(STATE.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    return state if isinstance(state, dict) else {}


def _stale_reason(step: Step, module: ModuleType, state: dict[str, dict[str, object]]) -> str:
    """Why the step must run ('' if it is up to date)."""
    rec = state.get(step.name)
    if not rec:
        return "never run"
    if rec.get("code") != _code_hash(step, module):
        return "code changed"
    if rec.get("inputs") != _hash_paths(step.reads):
        return "inputs changed"
    outputs = _hash_paths(step.produces)
    if any(v is None for v in outputs.values()):
        return "output missing"
    if rec.get("outputs") != outputs:
        return "outputs changed since the last run"
    return ""


def _clean_temporaries(step: Step) -> int:
    n = 0
    folders = {p if p.suffix == "" else p.parent for p in step.produces}
    for folder in folders:
        if folder.is_dir():
            for tmp in folder.glob(".*.tmp"):
                tmp.unlink(missing_ok=True)
                n += 1
    return n


def _record_time(name: str, seconds: float, ran: bool) -> None:
    line = f"{time.strftime('%Y-%m-%dT%H:%M:%S')},{name},{seconds:.2f},{'ran' if ran else 'skipped'}\n"
    TIMES.parent.mkdir(parents=True, exist_ok=True)
    new = not TIMES.is_file()
    with TIMES.open("a", encoding="utf-8") as fh:
        if new:
            fh.write("time,step,seconds,status\n")
        fh.write(line)


def run(targets: Sequence[str], *, force: bool = False, data_args: Sequence[str] = ()) -> None:
    """Run the targets and their upstream steps that are stale (all of them with ``force``)."""
    steps = load_steps()
    deps = dependencies(s for s, _ in steps.values())
    plan = order(deps, targets)
    state = _load_state()
    for name in plan:
        step, module = steps[name]
        reason = "forced" if force else _stale_reason(step, module, state)
        if not reason:
            print(f"[{name}] up to date")
            _record_time(name, 0.0, ran=False)
            continue
        removed = _clean_temporaries(step)
        extra = f"; removed {removed} stale temporary files" if removed else ""
        print(f"[{name}] running ({reason}{extra})", flush=True)
        t0 = time.perf_counter()
        try:
            module.main(list(data_args) if name == "data" else [])
        except (AgglomerationError, FileNotFoundError) as e:
            raise StepFailed(f"step {name!r} failed: {e}") from e
        seconds = time.perf_counter() - t0
        state[name] = {
            "code": _code_hash(step, module),
            "inputs": _hash_paths(step.reads),
            "outputs": _hash_paths(step.produces),
        }
        write_text(STATE, json.dumps(state, indent=1, sort_keys=True))
        _record_time(name, seconds, ran=True)
        print(f"[{name}] done in {seconds:.1f} s", flush=True)


def _rel(p: Path) -> str:
    return str(p.relative_to(ROOT)) if p.is_absolute() else str(p)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="run targets and their stale upstream steps")
    r.add_argument("targets", nargs="+")
    r.add_argument("--force", action="store_true", help="rerun every step of the targets")
    r.add_argument("--mirror", default=None, help="data mirror folder (data step)")
    r.add_argument("--url", default=None, help="base URL of the raw files (data step)")
    sub.add_parser("list", help="steps in order, with what they read and produce")
    sub.add_parser("status", help="which steps are up to date")
    args = parser.parse_args(argv)
    try:
        if args.command == "run":
            data_args = (["--mirror", args.mirror] if args.mirror else []) + (
                ["--url", args.url] if args.url else []
            )
            run(args.targets, force=args.force, data_args=data_args)
        else:
            steps = load_steps()
            deps = dependencies(s for s, _ in steps.values())
            state = _load_state()
            for name in order(deps, sorted(deps)):
                step, module = steps[name]
                if args.command == "list":
                    print(f"{name}: {step.summary}")
                    print(f"  after: {', '.join(sorted(deps[name])) or '-'}")
                    print(f"  reads: {', '.join(_rel(p) for p in step.reads)}")
                    print(f"  produces: {', '.join(_rel(p) for p in step.produces)}")
                else:
                    print(f"{name}: {_stale_reason(step, module, state) or 'up to date'}")
    except (StepFailed, PipelineError, AgglomerationError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
