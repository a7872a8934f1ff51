"""Benchmark sparse spatial weights and lags (agglomeration.spatial).

Run: python benchmarks/bench_spatial.py [--out benchmarks/results/spatial.json] [--quick]

Cases (targets from issue 4):
- distance-band weights for 1,000,000 random points in the contiguous-US box, band chosen for
  about 50 neighbours per point: under 15 s, memory proportional to the number of pairs (peak
  RSS increment per pair reported, and compared with 250,000 points at the same density);
- 100 km weights for 3,100 county-like points: well under 1 s;
- the ratio to the dense n x n computation at sizes where the dense one still fits;
- informational: k-nearest-neighbour weights and the SLX lag on 1,000,000 points.

The large cases run in fresh child processes so that their peak memory is their own.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from agglomeration.geo import EARTH_RADIUS_KM, haversine_km
from agglomeration.spatial import distance_band_weights, knn_weights, spatial_lag

LAT = (25.0, 49.0)
LON = (-124.0, -67.0)
DEFAULT_OUT = Path("benchmarks/results/spatial.json")


def box_area_km2() -> float:
    """Area of the lat/lon box on the sphere."""
    return (EARTH_RADIUS_KM**2 * math.radians(LON[1] - LON[0])
            * (math.sin(math.radians(LAT[1])) - math.sin(math.radians(LAT[0]))))


def points(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Uniform random points on the sphere within the box (uniform in sin(lat) and lon)."""
    rng = np.random.default_rng(seed)
    s = rng.uniform(math.sin(math.radians(LAT[0])), math.sin(math.radians(LAT[1])), n)
    return np.degrees(np.arcsin(s)), rng.uniform(LON[0], LON[1], n)


def band_for_neighbours(n: int, k: float) -> float:
    """Band (km) such that a disc holds about ``k`` of ``n`` uniform points (edge effects aside)."""
    return math.sqrt(k * box_area_km2() / (n * math.pi))


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


# ----------------------------------------------------------------------------------- workers
def worker_band(n: int, neighbours: float, with_lag: bool) -> dict[str, Any]:
    lat, lon = points(n, seed=1)
    band = band_for_neighbours(n, neighbours)
    base = rss_mb()
    t0 = time.perf_counter()
    c0 = time.process_time()
    w = distance_band_weights(lat, lon, band)
    secs = time.perf_counter() - t0
    cpu = time.process_time() - c0
    peak = peak_rss_mb()
    n_pairs = w.n_nonzero // 2
    out: dict[str, Any] = {
        "n_points": n, "band_km": band, "seconds": secs, "cpu_seconds": cpu,
        "unordered_pairs": n_pairs, "nonzero_weights": w.n_nonzero,
        "mean_neighbours": w.mean_neighbors, "islands": w.n_islands,
        "pairs_per_second": n_pairs / secs,
        "rss_before_mb": base, "peak_rss_mb": peak,
        "peak_increment_bytes_per_pair": (peak - base) * 2**20 / max(n_pairs, 1),
        "matrix_bytes_per_pair": (w.matrix.data.nbytes + w.matrix.indices.nbytes
                                  + w.matrix.indptr.nbytes) / max(n_pairs, 1),
    }
    if with_lag:
        rng = np.random.default_rng(2)
        panel = pd.DataFrame({"unit": np.tile(np.arange(n), 2), "year": np.repeat([1, 2], n),
                              "x": rng.normal(size=2 * n)})
        wr = distance_band_weights(lat, lon, band, row_standardize=True)
        t0 = time.perf_counter()
        spatial_lag(panel, wr, unit="unit", time="year", columns="x")
        out["lag_seconds_1M_units_x_2_periods"] = time.perf_counter() - t0
    return out


def worker_knn(n: int, k: int) -> dict[str, Any]:
    lat, lon = points(n, seed=1)
    base = rss_mb()
    t0 = time.perf_counter()
    w = knn_weights(lat, lon, k, workers=-1)
    secs = time.perf_counter() - t0
    return {"n_points": n, "k": k, "seconds": secs, "nonzero_weights": w.n_nonzero,
            "links_per_second": w.n_nonzero / secs,
            "peak_increment_mb": peak_rss_mb() - base}


def run_child(args: list[str]) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, __file__, "--worker", *args], capture_output=True,
                          text=True, check=True)
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


# ----------------------------------------------------------------------------------- dense
def dense_band(lat: np.ndarray, lon: np.ndarray, band: float) -> Any:
    from scipy import sparse

    d = haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    a = (d <= band)
    np.fill_diagonal(a, False)
    return sparse.csr_array(a.astype(np.float64))


def best_of(fn: Any, repeat: int) -> float:
    best = math.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--quick", action="store_true", help="smaller sizes (smoke run)")
    ap.add_argument("--worker", nargs="*", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        kind, *rest = a.worker
        if kind == "band":
            res = worker_band(int(rest[0]), float(rest[1]), rest[2] == "1")
        else:
            res = worker_knn(int(rest[0]), int(rest[1]))
        print(json.dumps(res))
        return

    n_big = 100_000 if a.quick else 1_000_000
    cases: list[dict[str, Any]] = []

    # 1. one million points, ~50 neighbours each
    big = run_child(["band", str(n_big), "50", "1"])
    big.update(case="distance_band_1M", target_seconds=15.0,
               target_met=big["seconds"] < 15.0)
    cases.append(big)
    # memory proportional to pairs: a quarter of the points at the same density
    quarter = run_child(["band", str(n_big // 4), "50", "0"])
    quarter.update(case="distance_band_quarter_size_same_neighbours")
    cases.append(quarter)
    cases.append({
        "case": "memory_scaling",
        "bytes_per_pair_big": big["peak_increment_bytes_per_pair"],
        "bytes_per_pair_quarter": quarter["peak_increment_bytes_per_pair"],
        "ratio_seconds_big_over_quarter": big["seconds"] / quarter["seconds"],
        "ratio_pairs_big_over_quarter": big["unordered_pairs"] / quarter["unordered_pairs"],
        "note": "peak RSS increment per pair is about constant: memory grows with pairs",
    })

    # 2. 100 km weights for 3,100 county-like points
    lat, lon = points(3100, seed=3)
    secs = best_of(lambda: distance_band_weights(lat, lon, 100.0), 7)
    w = distance_band_weights(lat, lon, 100.0)
    dense_secs = best_of(lambda: dense_band(lat, lon, 100.0), 3)
    agree = bool((dense_band(lat, lon, 100.0) != w.matrix).nnz == 0)
    cases.append({"case": "band_100km_3100_points", "n_points": 3100, "band_km": 100.0,
                  "seconds": secs, "target_seconds": 1.0, "target_met": secs < 1.0,
                  "mean_neighbours": w.mean_neighbors, "dense_seconds": dense_secs,
                  "dense_over_sparse": dense_secs / secs, "dense_agrees": agree})

    # 3. dense ratio at a size where the dense one still fits (n = 6,000: 290 MB per n x n array)
    n_d = 3000 if a.quick else 6000
    lat, lon = points(n_d, seed=4)
    band = band_for_neighbours(n_d, 50)
    secs = best_of(lambda: distance_band_weights(lat, lon, band), 3)
    dense_secs = best_of(lambda: dense_band(lat, lon, band), 1)
    cases.append({"case": "dense_vs_sparse", "n_points": n_d, "band_km": band,
                  "sparse_seconds": secs, "dense_seconds": dense_secs,
                  "dense_over_sparse": dense_secs / secs,
                  "dense_agrees": bool((dense_band(lat, lon, band)
                                        != distance_band_weights(lat, lon, band).matrix).nnz
                                       == 0)})

    # 4. informational: k nearest neighbours on the big point set
    knn = run_child(["knn", str(n_big), "10"])
    knn.update(case="knn_k10_1M")
    cases.append(knn)

    report = {
        "benchmark": "spatial",
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "load_average_at_start": os.getloadavg(),
        "quick": a.quick,
        "cases": cases,
    }
    a.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = a.out.with_suffix(a.out.suffix + ".tmp")
    tmp.write_text(json.dumps(report, indent=2) + "\n")
    os.replace(tmp, a.out)
    for c in cases:
        print(json.dumps(c))


if __name__ == "__main__":
    main()
