"""One runner for independent tasks: inline, a local process pool, or a Dask cluster.

Grids, bootstraps and Monte Carlo replications are lists of independent tasks. :func:`run_tasks`
runs them and returns their results in task order, whichever way they ran:

- inline (``n_workers=1``, no scheduler);
- in a local pool of ``n_workers`` processes (started by ``forkserver`` where available, so no
  worker inherits the parent's threads);
- on a ``dask.distributed`` cluster when ``scheduler`` is given (an address such as
  ``"tcp://127.0.0.1:8786"`` or a ``distributed.Client``).

``shared`` (e.g. the panel) is sent once to every worker, not once per task. With ``seed``,
task ``i`` gets its own generator from the ``i``-th child of ``numpy.random.SeedSequence(seed)``,
so that results do not depend on the number of workers or on the order tasks finish in. A
progress bar (tqdm) counts finished tasks.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any

import numpy as np

from agglomeration.errors import InputError

__all__ = ["run_tasks", "task_generators"]

_WORKER: dict[str, Any] = {}
_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def task_generators(seed: int | np.random.SeedSequence, n: int) -> list[np.random.SeedSequence]:
    """Return the ``n`` independent child seed sequences of ``seed``, one per task."""
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    return ss.spawn(n)


def _call(fn: Callable[..., Any], task: Any, shared: Any, child: Any, has_shared: bool) -> Any:
    kw: dict[str, Any] = {}
    if has_shared:
        kw["shared"] = shared
    if child is not None:
        kw["rng"] = np.random.default_rng(child)
    return fn(task, **kw)


def _init_worker(payload: bytes) -> None:
    import cloudpickle

    fn, shared, has_shared = cloudpickle.loads(payload)
    _WORKER.update(fn=fn, shared=shared, has_shared=has_shared)


def _pool_call(task: Any, child: Any) -> Any:
    return _call(_WORKER["fn"], task, _WORKER["shared"], child, _WORKER["has_shared"])


def _dask_call(fn: Callable[..., Any], task: Any, shared: Any, child: Any, has_shared: bool) -> Any:
    return _call(fn, task, shared, child, has_shared)


def _progress(total: int, desc: str | None, enabled: bool) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, disable=not enabled, leave=False, mininterval=0.5)


def run_tasks(
    fn: Callable[..., Any],
    tasks: Sequence[Any],
    *,
    shared: Any = None,
    seed: int | np.random.SeedSequence | Sequence[np.random.SeedSequence] | None = None,
    scheduler: Any = None,
    n_workers: int = 1,
    progress: bool = True,
    desc: str | None = None,
    on_result: Callable[[int, Any], None] | None = None,
    sizes: Sequence[int] | None = None,
) -> list[Any]:
    """Run ``fn`` on every task and return the results in task order.

    Parameters
    ----------
    fn : callable
        ``fn(task, [shared=...], [rng=...])``: ``shared`` is passed when given, ``rng`` (a
        ``numpy.random.Generator``) when ``seed`` is given. It must be picklable by cloudpickle
        (a module-level function, or a closure over picklable data).
    tasks : sequence
        The tasks (picklable).
    shared : object, optional
        Data every task reads (sent once per worker).
    seed : int, numpy.random.SeedSequence or sequence of them, optional
        Root seed; task ``i`` gets ``default_rng(SeedSequence(seed).spawn(n)[i])``. A sequence
        gives each task its own seed sequence (e.g. several studies, each with its own root,
        in one run).
    scheduler : str or distributed.Client, optional
        Run on this Dask cluster instead of locally.
    n_workers : int
        Local worker processes (1: run inline in this process).
    progress : bool
        Show a progress bar.
    desc : str, optional
        Progress bar label.
    on_result : callable, optional
        ``on_result(i, result)``, called in this process as each task finishes (e.g. to write
        a cache entry at once, so that an interrupted run keeps what it finished).
    sizes : sequence of int, optional
        Units of work per task for the progress bar (e.g. specifications per group).

    Returns
    -------
    list
        ``fn``'s results, in the order of ``tasks``.
    """
    if int(n_workers) < 1:
        raise InputError(f"n_workers must be at least 1, got {n_workers!r}.")
    n = len(tasks)
    children: list[Any]
    if seed is None:
        children = [None] * n
    elif isinstance(seed, int | np.random.SeedSequence):
        children = task_generators(seed, n)
    else:
        children = list(seed)
        if len(children) != n:
            raise InputError(f"seed has {len(children)} seed sequences for {n} tasks.")
    has_shared = shared is not None
    results: list[Any] = [None] * n
    units = [1] * n if sizes is None else [int(x) for x in sizes]
    bar = _progress(sum(units), desc, progress)

    def done(i: int, r: Any) -> None:
        results[i] = r
        if on_result is not None:
            on_result(i, r)
        bar.update(units[i])

    try:
        if scheduler is not None:
            _run_dask(fn, tasks, shared, children, has_shared, scheduler, done)
        elif n_workers == 1 or n <= 1:
            for i, t in enumerate(tasks):
                done(i, _call(fn, t, shared, children[i], has_shared))
        else:
            _run_pool(fn, tasks, shared, children, has_shared, int(n_workers), done)
    finally:
        bar.close()
    return results


def _run_pool(
    fn: Callable[..., Any],
    tasks: Sequence[Any],
    shared: Any,
    children: list[Any],
    has_shared: bool,
    n_workers: int,
    done: Callable[[int, Any], None],
) -> None:
    import cloudpickle

    methods = mp.get_all_start_methods()
    ctx = mp.get_context("forkserver" if "forkserver" in methods else "spawn")
    payload = cloudpickle.dumps((fn, shared, has_shared))
    # one BLAS thread per worker: the workers already use the cores (set before the worker
    # processes start, so that their BLAS reads it when it loads)
    saved = {v: os.environ.get(v) for v in _THREAD_VARS}
    os.environ.update(dict.fromkeys(_THREAD_VARS, "1"))
    try:
        _pool(ctx, payload, tasks, children, n_workers, done)
    finally:
        for v, old in saved.items():
            if old is None:
                os.environ.pop(v, None)
            else:
                os.environ[v] = old


def _pool(
    ctx: Any,
    payload: bytes,
    tasks: Sequence[Any],
    children: list[Any],
    n_workers: int,
    done: Callable[[int, Any], None],
) -> None:
    with ProcessPoolExecutor(
        max_workers=min(n_workers, len(tasks)),
        mp_context=ctx,
        initializer=_init_worker,
        initargs=(payload,),
    ) as ex:
        futures = {ex.submit(_pool_call, t, children[i]): i for i, t in enumerate(tasks)}
        try:
            pending = set(futures)
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for f in finished:
                    done(futures[f], f.result())
        except BaseException:
            for f in futures:
                f.cancel()
            raise


def _run_dask(
    fn: Callable[..., Any],
    tasks: Sequence[Any],
    shared: Any,
    children: list[Any],
    has_shared: bool,
    scheduler: Any,
    done: Callable[[int, Any], None],
) -> None:
    from distributed import Client, as_completed

    own = not isinstance(scheduler, Client)
    client = Client(scheduler) if own else scheduler
    try:
        shared_f = client.scatter(shared, broadcast=True) if has_shared else None
        futures = [
            client.submit(_dask_call, fn, t, shared_f, children[i], has_shared, pure=False)
            for i, t in enumerate(tasks)
        ]
        index = {f.key: i for i, f in enumerate(futures)}
        for f in as_completed(futures):
            done(index[f.key], f.result())
            f.release()
    finally:
        if own:
            client.close()
