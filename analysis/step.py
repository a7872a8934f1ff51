"""What a pipeline step declares: its name, what it reads, what it produces.

Every step script in ``analysis/`` defines ``STEP = Step(...)`` and ``main(argv)``. The runner
(``analysis/pipeline.py``) derives the order of the steps from these declarations (a step runs
after the steps that produce what it reads) and reruns a step only when what it reads, its code
or its outputs changed since its last successful run.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Step:
    """A pipeline step.

    Attributes
    ----------
    name : str
        The step's name (``nox -s <name>`` where a session of that name exists).
    reads : tuple of Path
        Files or folders the step reads (a folder stands for every file in it).
    produces : tuple of Path
        Files or folders the step writes.
    summary : str
        One line saying what the step does (printed by ``pipeline.py list``).
    code : tuple of Path
        Extra code files whose changes make the step stale, beyond its own script, the
        library (``src/``) and ``analysis/project_paths.py``.
    """

    name: str
    reads: tuple[Path, ...]
    produces: tuple[Path, ...]
    summary: str = ""
    code: tuple[Path, ...] = field(default_factory=tuple)


def run_main(step: Step, main: Callable[[list[str] | None], None]) -> int:
    """Run a step's ``main`` from the command line: check its inputs, print expected errors.

    A missing input is reported with the step (and nox session) that produces it; an expected
    error of the package (:class:`agglomeration.errors.AgglomerationError`) prints as one
    message, not a traceback. Returns the exit status.
    """
    from agglomeration.errors import AgglomerationError

    missing = [p for p in step.reads if not p.exists()]
    if missing:
        from pipeline import producer_of

        lines = []
        for p in missing:
            who = producer_of(p)
            fix = f"run `nox -s {who}`" if who else "it is not produced by any step"
            lines.append(f"  {p}: {fix}")
        print(f"error: step {step.name!r} cannot run, inputs missing:\n" + "\n".join(lines),
              file=sys.stderr)
        return 1
    try:
        main(sys.argv[1:])
    except AgglomerationError as e:
        print(f"error: step {step.name!r}: {e}", file=sys.stderr)
        return 1
    return 0
