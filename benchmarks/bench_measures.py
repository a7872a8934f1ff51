"""Benchmark the concentration and agglomeration measures (agglomeration.measures).

Run: python benchmarks/bench_measures.py [--out benchmarks/results/measures.json] [--quick]

Cases (targets from issue 4):
- location quotients, region Herfindahl and Krugman indices for a simulated 10,000,000-row
  region x industry x year table (1,000 regions x 1,000 industries x 10 years): under 10 s
  for the three together; baseline: the same LQ by pandas groupby-transform;
- Ellison-Glaeser gammas for 1,000 industries x 3,000 regions (with the plant Herfindahl from
  establishment counts): under 10 s; baseline: a per-industry groupby-apply (a Python loop
  over groups), checked to give the same numbers;
- informational: EGK coagglomeration for all 999,000 ordered pairs of the same table.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import agglomeration.measures as m

DEFAULT_OUT = Path("benchmarks/results/measures.json")


def timed(fn: Any, repeat: int = 1) -> tuple[float, float, Any]:
    """Best wall time (perf_counter) and its CPU time over ``repeat`` runs, and the output."""
    best, best_cpu, out = math.inf, math.inf, None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        if wall < best:
            best, best_cpu = wall, cpu
    return best, best_cpu, out


def table(n_r: int, n_i: int, n_t: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = n_r * n_i * n_t
    emp = np.floor(rng.lognormal(3.0, 1.5, n))
    return pd.DataFrame({
        "region": np.tile(np.arange(n_r, dtype=np.int64), n_i * n_t),
        "industry": np.tile(np.repeat(np.arange(n_i, dtype=np.int64), n_r), n_t),
        "year": np.repeat(np.arange(2001, 2001 + n_t, dtype=np.int64), n_r * n_i),
        "emp": emp,
    })


def lq_pandas(df: pd.DataFrame) -> np.ndarray:
    er = df.groupby(["region", "year"])["emp"].transform("sum")
    ei = df.groupby(["industry", "year"])["emp"].transform("sum")
    e = df.groupby("year")["emp"].transform("sum")
    return ((df["emp"] / er) / (ei / e)).to_numpy()


def gamma_groupby_apply(df: pd.DataFrame, h: pd.Series) -> pd.Series:
    """The naive way: one Python call per industry (what the library avoids)."""
    er = df.groupby("region")["emp"].sum()
    x = er / er.sum()
    sx2 = float((x**2).sum())

    def one(g: pd.DataFrame) -> float:
        s = g["emp"].to_numpy() / g["emp"].sum()
        xr = x.reindex(g["region"]).to_numpy()
        big_g = float(((s - xr) ** 2).sum()) + float((x**2).sum() - (xr**2).sum())
        hh = float(h.loc[g.name])
        return (big_g / (1 - sx2) - hh) / (1 - hh)

    return df.groupby("industry")[["region", "emp"]].apply(one)


def case_lq(quick: bool, kw: dict[str, str]) -> dict[str, Any]:
    n_r, n_i, n_t = (300, 300, 10) if quick else (1000, 1000, 10)
    df = table(n_r, n_i, n_t, seed=1)
    s_lq, c_lq, lq = timed(lambda: m.location_quotient(df, **kw, time="year"), 2)
    s_h, c_h, _ = timed(lambda: m.region_herfindahl(df, **kw, time="year"), 2)
    s_k, c_k, _ = timed(lambda: m.krugman_specialisation(df, **kw, time="year"), 2)
    s_base, _, lq_ref = timed(lambda: lq_pandas(df), 2)
    total = s_lq + s_h + s_k
    return {
        "case": "lq_herfindahl_krugman", "rows": len(df), "regions": n_r, "industries": n_i,
        "years": n_t, "seconds_lq": s_lq, "seconds_herfindahl": s_h, "seconds_krugman": s_k,
        "cpu_seconds_total": c_lq + c_h + c_k, "seconds_total": total,
        "target_seconds": 10.0, "target_met": total < 10.0,
        "baseline": "pandas groupby-transform LQ (no input checks)", "baseline_seconds_lq": s_base,
        "baseline_over_library_lq": s_base / s_lq,
        "agree_with_baseline": bool(np.allclose(lq.table["lq"].to_numpy(), lq_ref,
                                                rtol=1e-10, equal_nan=True)),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--quick", action="store_true", help="smaller sizes (smoke run)")
    a = ap.parse_args()
    cases: list[dict[str, Any]] = []
    kw = {"region": "region", "industry": "industry", "value": "emp"}

    # 1. LQ, Herfindahl, Krugman on 10M rows
    cases.append(case_lq(a.quick, kw))

    # 2. EG gamma, 1,000 industries x 3,000 regions
    n_i, n_r = (300, 1000) if a.quick else (1000, 3000)
    rng = np.random.default_rng(2)
    cells = table(n_r, n_i, 1, seed=3).drop(columns="year")
    cells["estab"] = np.maximum(1, np.ceil(cells["emp"].to_numpy() / rng.uniform(5, 50, len(cells))))
    cells.loc[cells["emp"] == 0, "estab"] = 0

    s_h, c_h, phr = timed(lambda: m.plant_herfindahl_from_counts(
        cells, industry="industry", establishments="estab", value="emp", region="region"), 3)
    ph = phr.table
    s_g, c_g, gr = timed(lambda: m.ellison_glaeser_gamma(cells, **kw, plant_herfindahl=ph), 3)
    g = gr.table
    h = g.set_index("industry")["H"]
    s_gb, _, g_ref = timed(lambda: gamma_groupby_apply(cells, h), 3)
    cases.append({
        "case": "ellison_glaeser_gamma", "rows": len(cells), "industries": n_i, "regions": n_r,
        "seconds_herfindahl_from_counts": s_h, "seconds_gamma": s_g,
        "seconds": s_h + s_g, "cpu_seconds": c_h + c_g, "target_seconds": 10.0,
        "target_met": s_h + s_g < 10.0,
        "baseline": "groupby-apply, one Python call per industry, H given, no input checks",
        "baseline_seconds": s_gb, "baseline_over_library_gamma": s_gb / s_g,
        "agree_with_baseline": bool(np.allclose(g["gamma"].to_numpy(), g_ref.to_numpy(),
                                                rtol=1e-9, atol=1e-12)),
    })

    # 3. coagglomeration for all pairs (informational)
    s_c, c_c, co = timed(lambda: m.coagglomeration(cells, **kw))
    cases.append({"case": "coagglomeration_all_pairs", "industries": n_i, "regions": n_r,
                  "pairs": len(co.table), "seconds": s_c, "cpu_seconds": c_c})

    report = {
        "benchmark": "measures",
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "load_average_at_start": os.getloadavg(),
        "quick": a.quick,
        "cases": cases,
    }
    a.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = a.out.with_suffix(a.out.suffix + ".tmp")
    tmp.write_text(json.dumps(report, indent=2, default=lambda o: None
                              if isinstance(o, float) and math.isnan(o) else o) + "\n")
    os.replace(tmp, a.out)
    for c in cases:
        print(json.dumps(c))


if __name__ == "__main__":
    main()
