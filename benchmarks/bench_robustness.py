"""Benchmark: the robustness grid (agglomeration.robustness) against a naive loop, side by side.

Cases, all on the real county panel (built from data_raw/ or the data mirror) and the paper's
grid ``analysis/grids/county_pay_density.toml`` (its derived columns added):

- ``grid_1000``: the first 1,000 OLS specifications of the grid run by ``run_grid`` on 2 local
  worker processes (target: under 60 s), and the same inline (one process);
- ``naive_loop``: the same 1,000 specifications as independent ``pyfixest.feols`` calls (sample
  query, formula, weights, clustered variance), one after another; the grid must be at least 5
  times faster, with every coefficient equal to the loop's to 1e-8 (|a - b| <= 1e-8 (1 + |b|));
- ``dask_1000``: the same grid on a 2-worker ``dask.distributed.LocalCluster`` on 127.0.0.1
  (startup included and reported apart), with the largest difference from the local run;
- ``memory``: a fresh process reads the panel (with the grid's derived columns) and runs 100,
  1,000 and 5,000 specifications (the grid with one more axis to exceed 5,000): its peak
  resident memory after loading and at the end, and the peak of the allocations traced during
  the grid (tracemalloc, which sees numpy's buffers; the timing of this case is slowed by it);
- ``estimate_overhead``: single-spec ``estimate()`` against a bare ``pyfixest.feols`` on the
  county baseline (median of repeated timings) and the ratio.

The machine's load average is recorded: other jobs share the 2 cores, and every number here is
wall-clock time under that load.

Usage::

    python benchmarks/bench_robustness.py [--out benchmarks/results/robustness.json] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "robustness.json"
GRID = ROOT / "analysis" / "grids" / "county_pay_density.toml"


def county_panel() -> pd.DataFrame:
    from agglomeration.data import default_mirror
    from agglomeration.panels import build_county_panel

    for d in (ROOT / "data_raw", default_mirror(ROOT)):
        if d is not None and (d / "cbp_county_total_2001_2021.csv").exists():
            return build_county_panel(d).data
    raise SystemExit("raw data not found: run `nox -s data` or set AGGLOMERATION_DATA_MIRROR")


def grid_specs(n: int, extra_axis: bool = False) -> tuple[Any, pd.DataFrame]:
    """The first ``n`` specs of the paper's grid (with one more axis when more are needed)."""
    import tomllib

    from agglomeration.robustness import Grid

    doc = tomllib.loads(GRID.read_text(encoding="utf-8"))["grid"]
    if extra_axis:
        doc["axes"]["trim"] = {
            "all": {},
            "no_top_density": {"sample": "log_density < 8"},
        }
    g = Grid.from_dict(doc)
    ex = g.expand()
    return g, ex


def naive_loop(specs: list[Any], data: pd.DataFrame) -> tuple[float, dict[str, np.ndarray]]:
    import pyfixest as pf

    out = {}
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for s in specs:
            d = data.query(s.sample) if s.sample else data
            d = d.dropna(subset=list(s.variance.cluster))  # the engine refuses missing clusters
            kw: dict[str, Any] = {"vcov": {"CRV1": "+".join(s.variance.cluster)}}
            if s.weights:
                kw["weights"] = s.weights
            m = pf.feols(s.formula(), d, fixef_rm="singleton", **kw)
            out[s.id] = m.coef().to_numpy(dtype=float)
    return time.perf_counter() - t0, out


def peak_rss_mb() -> float:
    """High-water mark of this process's resident memory (MB).

    Linux ``VmHWM`` (reset by ``exec``, so a fresh process reports its own peak);
    ``ru_maxrss`` elsewhere, which on Linux carries the parent's peak across ``exec``.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return float(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def memory_child(n: int, panel: Path) -> None:
    """Run ``n`` specs in this fresh process; print peak RSS and traced allocations (MB)."""
    import tracemalloc

    from agglomeration.robustness import run_grid

    data = pd.read_parquet(panel)
    _, ex = grid_specs(n, extra_axis=n > 4000)
    specs = list(ex.specs[:n])
    base = peak_rss_mb()
    tracemalloc.start()
    t0 = time.perf_counter()
    res = run_grid(specs, data, progress=False, boot_cluster="state_fips")
    secs = time.perf_counter() - t0
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    peak = peak_rss_mb()
    print(
        json.dumps(
            {
                "n_specs": len(specs),
                "n_ok": int((res.status.status == "ok").sum()),
                "peak_rss_mb_after_loading": base,
                "peak_rss_mb": peak,
                "traced_peak_mb_during_grid": traced_peak / 2**20,
                "seconds_inline_traced": secs,
            }
        )
    )


def estimate_overhead(data: pd.DataFrame, reps: int) -> dict[str, Any]:
    import pyfixest as pf

    from agglomeration.estimation import Spec, Variance, estimate

    spec = Spec(
        "log_pay_per_emp",
        ("log_density",),
        ("state_fips^year",),
        variance=Variance("cluster", cluster=["state_fips"]),
    )
    t_est, t_pf = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(reps):
            t = time.perf_counter()
            estimate(spec, data)
            t_est.append(time.perf_counter() - t)
            t = time.perf_counter()
            pf.feols(spec.formula(), data, vcov={"CRV1": "state_fips"})
            t_pf.append(time.perf_counter() - t)
    return {
        "reps": reps,
        "median_seconds_estimate": float(np.median(t_est)),
        "median_seconds_feols": float(np.median(t_pf)),
        "ratio": float(np.median(t_est) / np.median(t_pf)),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--quick", action="store_true", help="200 specs, no 5,000-spec memory case")
    ap.add_argument("--memory-child", type=int, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--panel", type=Path, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.memory_child is not None:
        memory_child(args.memory_child, args.panel)
        return {}
    from distributed import LocalCluster

    from agglomeration.robustness import run_grid
    from agglomeration.robustness.derive import derive_columns

    n = 200 if args.quick else 1000
    data = county_panel()
    g, ex = grid_specs(n)
    data = derive_columns(data, g.derive)
    specs = list(ex.specs[:n])
    results: dict[str, Any] = {}

    t0 = time.perf_counter()
    local2 = run_grid(specs, data, n_workers=2, progress=False)
    results["grid_2_workers"] = {
        "n_specs": n,
        "seconds": time.perf_counter() - t0,
        "n_failed": len(local2.failed),
        "target_seconds": 60.0,
    }
    t0 = time.perf_counter()
    inline = run_grid(specs, data, progress=False)
    results["grid_inline"] = {"n_specs": n, "seconds": time.perf_counter() - t0}
    pd.testing.assert_frame_equal(local2.table, inline.table, check_exact=True)

    secs, loop = naive_loop(specs, data)
    t = inline.table
    worst, n_cmp = 0.0, 0
    for s in specs:
        a = t.loc[t.spec_id == s.id, "estimate"].to_numpy(float)
        b = loop[s.id]
        worst = max(worst, float(np.max(np.abs(a - b) / (1.0 + np.abs(b)))))
        n_cmp += a.size
    results["naive_loop"] = {
        "n_specs": n,
        "seconds": secs,
        "specs_per_second": n / secs,
        "speedup_grid_2_workers": secs / results["grid_2_workers"]["seconds"],
        "speedup_grid_inline": secs / results["grid_inline"]["seconds"],
        "target_speedup": 5.0,
        "coefficients_compared": n_cmp,
        "max_scaled_difference": worst,
        "tolerance": 1e-8,
    }

    t0 = time.perf_counter()
    with LocalCluster(
        n_workers=2, threads_per_worker=1, host="127.0.0.1", processes=True, dashboard_address=None
    ) as cluster:
        started = time.perf_counter() - t0
        t1 = time.perf_counter()
        remote = run_grid(specs, data, scheduler=cluster.scheduler_address, progress=False)
        secs_dask = time.perf_counter() - t1
    diff = float(
        np.nanmax(
            np.abs(
                remote.table["std_error"].to_numpy(float)
                - inline.table["std_error"].to_numpy(float)
            )
        )
    )
    results["dask_local_cluster"] = {
        "n_specs": n,
        "n_workers": 2,
        "seconds_startup": started,
        "seconds_grid": secs_dask,
        "max_abs_difference_from_local": diff,
    }

    mem = []
    with tempfile.TemporaryDirectory() as tmpdir:
        panel = Path(tmpdir) / "county_derived.parquet"
        data.to_parquet(panel)
        for m in [100, 200] if args.quick else [100, 1000, 5000]:
            cp = subprocess.run(
                [sys.executable, __file__, "--memory-child", str(m), "--panel", str(panel)],
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ, "PYTHONPATH": os.environ.get("PYTHONPATH", "src")},
            )
            mem.append(json.loads(cp.stdout.strip().splitlines()[-1]))
    results["memory"] = mem
    results["estimate_overhead"] = estimate_overhead(data, reps=5 if args.quick else 15)

    out = {
        "benchmark": "robustness",
        "quick": bool(args.quick),
        "machine": {
            "cpu_count": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "load_average_at_end": list(os.getloadavg()),
        },
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(f".{args.out.name}.tmp")
    tmp.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, args.out)
    print(json.dumps(results, indent=2))
    return out


if __name__ == "__main__":
    main()
