"""Benchmark agglomeration.simulate: speed at 1M rows, memory at 10M rows, dense baseline.

Run: python benchmarks/bench_simulate.py --out benchmarks/results/simulate.json [--quick]

Targets (issue 3): 1,000,000 region-year rows in under 10 s on 2 cores; memory proportional to
the output up to at least 10 million rows. Each case runs in a fresh subprocess so that its peak
resident memory (ru_maxrss) is its own. The baseline draws the same spatially correlated error
by the textbook dense method (Cholesky factor of the n x n covariance, then L @ z per year) at a
size where that fits, and is timed in the same run as the grid sampler used by the library.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

TARGET_SECONDS_1M = 10.0


def _child(case: dict) -> dict:
    import numpy as np

    from agglomeration import simulate

    kind = case["kind"]
    t0 = time.perf_counter()
    if kind == "noop":  # resident memory of the interpreter with the imports, no data
        rows, out_bytes = 0, 0
    elif kind == "regional":
        sim = simulate.regional_panel(
            case["n_regions"], case.get("n_industries", 20), case["n_years"], 1,
            **case.get("kwargs", {}),
        )
        rows = len(sim.panel)
        out_bytes = int(sim.panel.memory_usage(deep=True).sum())
    elif kind == "plants":
        sp = simulate.plant_panel(case["n_plants"], case["n_years"], 1, **case.get("kwargs", {}))
        rows = len(sp.panel)
        out_bytes = int(sp.panel.memory_usage(deep=True).sum())
    elif kind == "dartboard":
        sizes = np.random.default_rng(0).lognormal(8, 1, case["n_regions"])
        df = simulate.dartboard(sizes, case["n_plants"], 1, n_industries=case["n_industries"])
        rows = len(df)
        out_bytes = int(df.memory_usage(deep=True).sum())
    elif kind in ("field_grid", "field_dense"):
        from agglomeration.geo import haversine_km

        base = simulate.regional_panel(case["n_regions"], 2, 1, 1, spatial_range_km=0.0)
        lat = base.panel["lat"].to_numpy()
        lon = base.panel["lon"].to_numpy()
        n, n_t, r = lat.size, case["n_years"], 100.0
        rng = np.random.default_rng(2)
        t0 = time.perf_counter()
        if kind == "field_dense":
            d = haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
            c = np.exp(-d / r)
            del d
            chol = np.linalg.cholesky(c + 1e-10 * np.eye(n))
            g = chol @ rng.standard_normal((n, n_t))
        else:
            from agglomeration.simulate.random_fields import _grid_field

            x, y = simulate.albers_us_km(lat, lon)
            gf = _grid_field(x, y, r, "exponential", None)
            g = gf.draw(rng, n_t)
        rows = int(g.size)
        out_bytes = int(g.nbytes)
    else:  # pragma: no cover
        raise ValueError(kind)
    seconds = time.perf_counter() - t0
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "seconds": seconds,
        "rows": rows,
        "output_bytes": out_bytes,
        "peak_rss_bytes": int(rss_kb) * 1024,
    }


def _run(case: dict) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps(case)],
        capture_output=True, text=True, check=False,
    )
    if proc.returncode != 0:
        return {**case, "error": proc.stderr[-2000:]}
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    return {**case, **res}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default="benchmarks/results/simulate.json")
    ap.add_argument("--quick", action="store_true", help="skip the 10M-row memory cases")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child is not None:
        print(json.dumps(_child(json.loads(args.child))))
        return

    results: dict = {
        "benchmark": "simulate",
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "load_average_at_start": os.getloadavg(),
        "target": f"1,000,000 region-year rows in < {TARGET_SECONDS_1M} s on 2 cores",
        "cases": [],
    }
    speed_cases = [
        {"name": "regional 10k regions x 100 years (exponential, 100 km)", "kind": "regional",
         "n_regions": 10_000, "n_years": 100},
        {"name": "regional 100k regions x 10 years", "kind": "regional",
         "n_regions": 100_000, "n_years": 10},
        {"name": "regional 3k regions x 334 years (most fields per row)", "kind": "regional",
         "n_regions": 3_000, "n_years": 334},
        {"name": "regional 10k x 100, circular kernel", "kind": "regional",
         "n_regions": 10_000, "n_years": 100, "kwargs": {"spatial_kernel": "circular"}},
        {"name": "regional 10k x 100 with spillover lag (100 km band)", "kind": "regional",
         "n_regions": 10_000, "n_years": 100, "kwargs": {"beta_spillover": 0.02}},
        {"name": "regional 10k x 100 with industries (20M industry rows)", "kind": "regional",
         "n_regions": 10_000, "n_years": 100, "kwargs": {"with_industries": True}},
        {"name": "plants 100k x 10 with exit", "kind": "plants", "n_plants": 100_000,
         "n_years": 10, "kwargs": {"exit": True}},
        {"name": "dartboard 1M plants (10 industries, 3k regions)", "kind": "dartboard",
         "n_regions": 3_000, "n_plants": 100_000, "n_industries": 10},
    ]
    for case in speed_cases:
        res = _run(case)
        if "seconds" in res and case["kind"] == "regional" and "with industries" not in res[
            "name"
        ]:
            res["target_seconds"] = TARGET_SECONDS_1M
            res["target_met"] = res["seconds"] < TARGET_SECONDS_1M
        results["cases"].append(res)
        print(json.dumps({k: v for k, v in res.items() if k != "error"}), flush=True)

    # dense baseline vs grid sampler, same n and years
    base_n, base_t = 3_000, 100
    dense = _run({"name": "dense Cholesky field", "kind": "field_dense", "n_regions": base_n,
                  "n_years": base_t})
    grid = _run({"name": "grid FFT field", "kind": "field_grid", "n_regions": base_n,
                 "n_years": base_t})
    results["baseline"] = {
        "n_regions": base_n,
        "n_years": base_t,
        "dense_cholesky": dense,
        "grid_fft": grid,
        "speedup_dense_over_grid": (
            dense["seconds"] / grid["seconds"] if "seconds" in dense and "seconds" in grid
            else None
        ),
        "dense_memory_note": "dense needs n^2 * 8 bytes for the covariance: "
        f"{base_n**2 * 8 / 1e6:.0f} MB at n={base_n}, 80 GB at n=100,000",
    }
    print(json.dumps(results["baseline"]["speedup_dense_over_grid"]), flush=True)

    if not args.quick:
        idle = _run({"name": "imports only", "kind": "noop"})
        results["import_rss_bytes"] = idle.get("peak_rss_bytes")
        mem = []
        for n_reg, n_yr in [(10_000, 100), (100_000, 100)]:
            res = _run({"name": f"memory regional {n_reg} x {n_yr}", "kind": "regional",
                        "n_regions": n_reg, "n_years": n_yr})
            if "rows" in res and "peak_rss_bytes" in idle:
                extra = res["peak_rss_bytes"] - idle["peak_rss_bytes"]
                res["peak_rss_above_imports_per_row_bytes"] = extra / res["rows"]
                res["peak_rss_above_imports_over_output"] = extra / res["output_bytes"]
            mem.append(res)
            print(json.dumps(res), flush=True)
        results["memory_scaling"] = mem
        if all("peak_rss_above_imports_per_row_bytes" in m for m in mem):
            results["memory_ratio_10M_vs_1M_per_row"] = (
                mem[1]["peak_rss_above_imports_per_row_bytes"]
                / mem[0]["peak_rss_above_imports_per_row_bytes"]
            )

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_text(json.dumps(results, indent=2))
    os.replace(tmp, out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
