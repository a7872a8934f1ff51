"""Run a grid: plan the samples, share the fits, run in parallel, cache by spec id.

:func:`run_grid` takes a :class:`~agglomeration.robustness.grid.Grid` (or its expansion, or a
list of specs) and a panel and

1. derives the grid's columns and checks every axis against the data
   (:func:`~agglomeration.robustness.validate.check_grid`): a missing column, an unknown
   fixed effect or variance type is an error before any specification runs;
2. reads the cached results (:class:`~agglomeration.robustness.cache.ResultCache`) and keeps
   only the specs that are missing;
3. finds every remaining spec's estimation rows (:class:`~agglomeration.robustness.samples.SamplePlanner`);
   a spec that cannot be estimated (empty sample, bad filter) is recorded as failed with its
   reason;
4. groups OLS specs by (rows, fixed effects, weights): each group is demeaned once and every
   spec and variance in it is computed from the shared cross-products
   (:func:`~agglomeration.robustness.fwl.fit_group`); other specs (Poisson, IV, categorical
   regressors, Driscoll-Kraay) are fitted once per spec-without-variance by the engine, with
   every variance from that one fit;
5. runs the groups with :func:`~agglomeration.robustness.runner.run_tasks` (inline, local
   processes, or a Dask cluster) and writes each spec's cache entry as its group finishes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from agglomeration.errors import AgglomerationError, InputError
from agglomeration.estimation import engine
from agglomeration.estimation.api import estimate_variances
from agglomeration.estimation.spec import Spec
from agglomeration.estimation.variance import Hetero
from agglomeration.robustness.cache import ResultCache, data_fingerprint
from agglomeration.robustness.derive import derive_columns
from agglomeration.robustness.fwl import fast_path_supports, fit_group
from agglomeration.robustness.grid import ExpandedGrid, Grid, spec_columns
from agglomeration.robustness.rows import rows_frame, table_rows
from agglomeration.robustness.runner import run_tasks
from agglomeration.robustness.samples import PlannedSample, SamplePlanner
from agglomeration.robustness.shared import GridData, SpecOutcome
from agglomeration.robustness.validate import check_grid

__all__ = ["GridResult", "run_grid"]

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class GridResult:
    """Results of a grid.

    Attributes
    ----------
    specs : tuple of Spec
        Every spec of the grid, in grid order.
    table : pandas.DataFrame
        Registry rows (:data:`agglomeration.estimation.REGISTRY_COLUMNS` and model statistics)
        of every estimated spec, one row per term, in grid order.
    status : pandas.DataFrame
        ``spec_id, spec_name, focal, status, reason, cached``: one row per spec.
    choices : pandas.DataFrame
        ``spec_id, focal`` and one column per axis (empty axes for a plain list of specs).
    boot : dict
        Spec id -> null-bootstrap contributions of its focal term, one per cluster.
    boot_cluster : str or None
        Cluster column of those contributions.
    """

    specs: tuple[Spec, ...]
    table: pd.DataFrame
    status: pd.DataFrame
    choices: pd.DataFrame
    boot: dict[str, np.ndarray] = field(default_factory=dict)
    boot_cluster: str | None = None

    @property
    def failed(self) -> pd.DataFrame:
        """Specs that could not be estimated, with the reason."""
        return self.status.loc[self.status["status"] != "ok"].reset_index(drop=True)

    def focal_table(self) -> pd.DataFrame:
        """One row per estimated spec: its focal term's registry row joined with its choices.

        Registry columns whose name is also an axis name (e.g. ``fixed_effects``) get the
        suffix ``_est``; the axis columns keep their names.
        """
        t = self.table.merge(self.choices, on="spec_id", how="inner", suffixes=("_est", ""))
        return t.loc[t["term"] == t["focal"]].reset_index(drop=True)


def _sample_columns(spec: Spec, data: pd.DataFrame) -> list[str]:
    if not spec.sample:
        return []
    if "`" in spec.sample:
        return list(map(str, data.columns))
    return [c for c in _IDENT.findall(spec.sample) if c in data.columns]


def _engine_task(gd: GridData, specs: Sequence[Spec], ids: Sequence[str]) -> list[SpecOutcome]:
    """Fit one spec once with the engine and compute each spec's variance from that fit."""
    base = specs[0]
    try:
        results = estimate_variances(base, gd.frame, [s.variance for s in specs])
    except AgglomerationError as e:
        return [SpecOutcome(i, "failed", f"{type(e).__name__}: {e}") for i in ids]
    out = []
    for s, sid, r in zip(specs, ids, results, strict=True):
        t = table_rows(r.table)
        n = len(t["term"])
        t["spec_id"], t["spec_name"] = [sid] * n, [s.name] * n
        out.append(SpecOutcome(sid, "ok", "", t, None, r.collinear))
    return out


def _run_task(task: dict[str, Any], *, shared: GridData) -> list[SpecOutcome]:
    if task["kind"] == "fwl":
        return fit_group(
            shared,
            task["planned"],
            task["fixed_effects"],
            task["weights"],
            task["specs"],
            ids=task["ids"],
            focal=task["focal"],
            boot_cluster=task["boot_cluster"],
        )
    return _engine_task(shared, task["specs"], task["ids"])


def _as_specs(
    grid: Grid | ExpandedGrid | Sequence[Spec], focal: str | None
) -> tuple[list[Spec], pd.DataFrame, dict[str, Any]]:
    if isinstance(grid, Grid):
        grid = grid.expand()
    if isinstance(grid, ExpandedGrid):
        return list(grid.specs), grid.choices, dict(grid.grid.derive)
    specs = list(grid)
    if not specs or not all(isinstance(s, Spec) for s in specs):
        raise InputError("run_grid needs a Grid, an ExpandedGrid or a non-empty list of Specs.")
    rows, seen = [], set()
    for s in specs:
        if s.id in seen:
            continue
        seen.add(s.id)
        f = focal if focal is not None else (s.terms[0] if s.terms else "")
        rows.append({"spec_id": s.id, "focal": f})
    uniq = list({s.id: s for s in specs}.values())
    return uniq, pd.DataFrame(rows, columns=["spec_id", "focal"]), {}


def run_grid(
    grid: Grid | ExpandedGrid | Sequence[Spec],
    data: pd.DataFrame,
    *,
    focal: str | None = None,
    cache_dir: str | Path | None = None,
    n_workers: int = 1,
    scheduler: Any = None,
    progress: bool = True,
    boot_cluster: str | None = None,
) -> GridResult:
    """Estimate every specification of a grid, sharing work between them.

    Parameters
    ----------
    grid : Grid, ExpandedGrid or sequence of Spec
        What to run.
    data : pandas.DataFrame
        The panel.
    focal : str, optional
        For a list of specs: the focal term (default: each spec's first term).
    cache_dir : str or pathlib.Path, optional
        Cache folder: finished specs are read from it and new ones written to it, so a rerun
        after an interruption computes only what is missing.
    n_workers : int
        Local worker processes (1: inline).
    scheduler : str or distributed.Client, optional
        Dask scheduler to run on instead.
    progress : bool
        Show a progress bar.
    boot_cluster : str, optional
        Also compute, for OLS specs, the null-bootstrap contributions of the focal term by this
        cluster column (for :func:`agglomeration.robustness.curve.curve_inference`).

    Returns
    -------
    GridResult

    Raises
    ------
    ColumnMissingError, SpecError
        Before anything runs, if an axis names a missing column, an unknown fixed effect or
        variance type (the message names the axis and the option).
    """
    if isinstance(grid, Grid | ExpandedGrid):
        g = grid if isinstance(grid, Grid) else grid.grid
        data = derive_columns(data, g.derive)
        check_grid(g, data)
    specs, choices, _ = _as_specs(grid, focal)
    ids = list(choices["spec_id"])  # Spec.id of each spec, computed once
    focal_of = dict(zip(ids, choices["focal"], strict=True))
    cols: list[str] = []
    for s in specs:
        cols += [*spec_columns(s), *_sample_columns(s, data)]
    if boot_cluster is not None:
        if boot_cluster not in data.columns:
            raise InputError(f"boot_cluster {boot_cluster!r} is not a column of the data.")
        cols.append(boot_cluster)
    gd = GridData.from_frame(data, cols)
    cache = (
        ResultCache(cache_dir, data_fingerprint(gd.frame, gd.frame.columns), boot_cluster)
        if cache_dir is not None
        else None
    )
    outcomes: dict[str, SpecOutcome] = {}
    cached: set[str] = set()
    if cache is not None:
        for s, sid in zip(specs, ids, strict=True):
            hit = cache.get(s, focal_of.get(sid) if s.estimator == "ols" else None, sid)
            if hit is not None:
                outcomes[sid] = hit
                cached.add(sid)
    todo = [(s, sid) for s, sid in zip(specs, ids, strict=True) if sid not in outcomes]
    by_id = dict(zip(ids, specs, strict=True))

    def record(o: SpecOutcome) -> None:
        outcomes[o.spec_id] = o
        if cache is not None:
            cache.put(by_id[o.spec_id], o, focal_of.get(o.spec_id))

    tasks = _plan(todo, gd, focal_of, boot_cluster, record)

    def on_result(_: int, outs: list[SpecOutcome]) -> None:
        for o in outs:
            record(o)

    tasks.sort(key=lambda t: -len(t["specs"]))
    run_tasks(
        _run_task,
        tasks,
        shared=gd,
        scheduler=scheduler,
        n_workers=n_workers,
        progress=progress,
        desc="specifications",
        on_result=on_result,
        sizes=[len(t["specs"]) for t in tasks],
    )
    table = rows_frame([t for i in ids if outcomes[i].status == "ok" and (t := outcomes[i].table)])
    status = pd.DataFrame(
        {
            "spec_id": ids,
            "spec_name": [s.name for s in specs],
            "focal": [focal_of.get(i, "") for i in ids],
            "status": [outcomes[i].status for i in ids],
            "reason": [outcomes[i].reason for i in ids],
            "cached": [i in cached for i in ids],
        }
    )
    boot = {i: b for i in ids if (b := outcomes[i].boot) is not None}
    return GridResult(tuple(specs), table, status, choices, boot, boot_cluster)


def _plan(
    todo: Sequence[tuple[Spec, str]],
    gd: GridData,
    focal_of: dict[str, str],
    boot_cluster: str | None,
    record: Any,
) -> list[dict[str, Any]]:
    """Group the specs to run into tasks; record specs whose sample cannot be built as failed."""
    planner = SamplePlanner(gd.frame)
    fast: dict[Any, dict[str, Any]] = {}
    slow: dict[Any, dict[str, Any]] = {}
    for s, sid in todo:
        try:
            planned: PlannedSample = planner.prepare(s)
        except AgglomerationError as e:
            record(SpecOutcome(sid, "failed", f"{type(e).__name__}: {e}"))
            continue
        if fast_path_supports(s):
            key = (planned.key, s.fixed_effects, s.weights)
            t = fast.setdefault(
                key,
                {
                    "kind": "fwl",
                    "planned": planned,
                    "fixed_effects": engine.fixed_effect_order(s.fixed_effects),
                    "weights": s.weights,
                    "specs": [],
                    "ids": [],
                    "focal": {},
                    "boot_cluster": boot_cluster,
                },
            )
            t["specs"].append(s)
            t["ids"].append(sid)
            t["focal"][sid] = focal_of.get(sid)
        else:
            skey = (replace(s, variance=Hetero(), name="").id, planned.key)
            eng = slow.setdefault(skey, {"kind": "engine", "specs": [], "ids": []})
            eng["specs"].append(s)
            eng["ids"].append(sid)
    return [*fast.values(), *slow.values()]
