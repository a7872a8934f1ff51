"""The task runner: order, per-task seeds independent of the workers, a real Dask cluster."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from agglomeration.errors import InputError
from agglomeration.robustness import load_grid, run_grid, run_tasks, task_generators
from agglomeration.simulate import regional_panel


def _draws():
    def draw(task, *, rng, shared):
        return (task, shared["offset"] + rng.normal(size=3))

    return draw


def test_inline_results_are_ordered_and_seeded_per_task():
    out = run_tasks(_draws(), list(range(6)), shared={"offset": 10.0}, seed=7, progress=False)
    assert [t for t, _ in out] == list(range(6))
    kids = task_generators(7, 6)
    for (_, x), kid in zip(out, kids, strict=True):
        np.testing.assert_array_equal(x, 10.0 + np.random.default_rng(kid).normal(size=3))
    # a task's draw does not depend on how many tasks run with it
    head = run_tasks(_draws(), list(range(3)), shared={"offset": 10.0}, seed=7, progress=False)
    np.testing.assert_array_equal(head[0][1], out[0][1])


@pytest.mark.slow
def test_process_pool_equals_inline():
    inline = run_tasks(_draws(), list(range(5)), shared={"offset": 1.0}, seed=3, progress=False)
    pooled = run_tasks(
        _draws(), list(range(5)), shared={"offset": 1.0}, seed=3, n_workers=2, progress=False
    )
    for (a, x), (b, y) in zip(inline, pooled, strict=True):
        assert a == b
        np.testing.assert_array_equal(x, y)


def test_bad_worker_count():
    with pytest.raises(InputError, match="n_workers"):
        run_tasks(lambda t: t, [1], n_workers=0)


def test_on_result_sees_every_task_once():
    seen = []
    run_tasks(
        lambda t: t * 2, [1, 2, 3], on_result=lambda i, r: seen.append((i, r)), progress=False
    )
    assert sorted(seen) == [(0, 2), (1, 4), (2, 6)]


GRID = """
[grid]
name = "dask_toy"
focal = "log_density"
[grid.base]
outcome = "log_wage"
regressors = ["log_density"]
fixed_effects = ["year"]
[grid.base.variance]
type = "cluster"
cluster = ["state"]
[grid.axes.controls]
none = {}
x2 = { controls = ["x2"] }
[grid.axes.fixed_effects]
year = {}
region_year = { fixed_effects = ["region", "year"] }
[grid.axes.variance]
state = {}
hetero = { variance = { type = "hetero" } }
conley = { variance = { type = "conley", cutoff_km = 250, time = "year" } }
"""


@pytest.mark.slow
def test_dask_local_cluster_equals_local_run(tmp_path):
    from distributed import LocalCluster

    d = regional_panel(n_regions=150, n_years=5, seed=4).panel.copy()
    rng = np.random.default_rng(0)
    d["state"] = (d["region"] % 10).astype(str)
    d["x2"] = rng.normal(size=len(d))
    p = tmp_path / "g.toml"
    p.write_text(GRID, encoding="utf-8")
    g = load_grid(p)
    local = run_grid(g, d, progress=False, boot_cluster="state")
    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        host="127.0.0.1",
        processes=True,
        dashboard_address=None,
    ) as cluster:
        remote = run_grid(
            g, d, progress=False, scheduler=cluster.scheduler_address, boot_cluster="state"
        )
        seeded = run_tasks(
            _draws(),
            list(range(4)),
            shared={"offset": 0.0},
            seed=11,
            scheduler=cluster.scheduler_address,
            progress=False,
        )
    pd.testing.assert_frame_equal(local.table, remote.table, check_exact=True)
    assert local.boot.keys() == remote.boot.keys()
    for k in local.boot:
        np.testing.assert_array_equal(local.boot[k], remote.boot[k])
    inline = run_tasks(_draws(), list(range(4)), shared={"offset": 0.0}, seed=11, progress=False)
    for (_, x), (_, y) in zip(inline, seeded, strict=True):
        np.testing.assert_array_equal(x, y)


def test_explicit_seed_sequences_per_task():
    seeds = np.random.SeedSequence([5, 1]).spawn(3)
    out = run_tasks(_draws(), [0, 1, 2], shared={"offset": 0.0}, seed=seeds, progress=False)
    np.testing.assert_array_equal(out[2][1], np.random.default_rng(seeds[2]).normal(size=3))
    with pytest.raises(InputError, match="2 seed sequences for 3 tasks"):
        run_tasks(_draws(), [0, 1, 2], shared={"offset": 0.0}, seed=seeds[:2], progress=False)
