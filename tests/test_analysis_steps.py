"""The analysis steps' I/O guarantees: atomic writes, no output from altered raw data, registry."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "analysis"))

import build  # noqa: E402
import project_paths  # noqa: E402
import registry  # noqa: E402


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old")

    def boom(p: Path) -> None:
        p.write_text("half-writ")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        project_paths.atomic_write(target, boom)
    assert target.read_text() == "old"
    assert sorted(x.name for x in tmp_path.iterdir()) == ["out.csv"]


def test_build_refuses_altered_raw_data_before_writing(raw_dir, tmp_path, monkeypatch):
    import shutil

    from agglomeration.data import ChecksumError

    data = tmp_path / "data_raw"
    data.mkdir()
    for f in raw_dir.iterdir():
        if f.suffix == ".csv":
            shutil.copy(f, data / f.name)
    shutil.copy(ROOT / "data_raw" / "SHA256SUMS", data / "SHA256SUMS")
    p = data / "cbp_county_total_2001_2021.csv"
    p.write_bytes(p.read_bytes().replace(b"9189", b"9190", 1))
    panels = tmp_path / "bld" / "panels"
    monkeypatch.setattr(build, "DATA_RAW", data)
    monkeypatch.setattr(build, "PANELS", panels)
    with pytest.raises(ChecksumError, match="cbp_county_total_2001_2021.csv"):
        build.main()
    assert not panels.exists()


def _est(**kw):
    row = {
        "spec_id": "abc",
        "term": "x",
        "variance": "iid",
        "estimate": 0.5,
        "std_error": 0.1,
        "conf_low": 0.3,
        "conf_high": 0.7,
        "n_obs": 100,
        "n_clusters": float("nan"),
    }
    row.update(kw)
    return pd.DataFrame([row])


def test_registry_compare_detects_differences():
    assert registry.compare(_est(), _est()) == []
    assert registry.compare(_est(estimate=0.5 + 1e-12), _est()) == []
    assert any("estimate" in p for p in registry.compare(_est(estimate=0.5001), _est()))
    assert any("n_obs" in p for p in registry.compare(_est(n_obs=99), _est()))
    assert any("registry only" in p for p in registry.compare(_est(term="y"), _est()))


def test_registry_main_catches_a_perturbed_and_a_missing_entry(tmp_path, monkeypatch, capsys):
    """verify's comparison exits 1 and names a changed number and a missing row."""
    est, res = tmp_path / "estimates", tmp_path / "results"
    est.mkdir()
    res.mkdir()
    for reg in registry.REGISTRIES:
        if reg.text:
            frame = pd.DataFrame({"macro": ["A", "B"], "value": ["0.074", "65,410"], "source": "x"})
        else:
            row = {c: "k" for c in reg.keys} | {c: 0.5 for c in reg.numeric}
            row |= {c: 3 for c in reg.exact}
            frame = pd.DataFrame([row])
        frame.to_csv(est / reg.built, index=False)
        frame.to_csv(res / reg.committed, index=False)
    monkeypatch.setattr(registry, "ESTIMATES", est)
    monkeypatch.setattr(registry, "RESULTS", res)
    assert registry.main(["compare"]) == 0
    assert "differences" in capsys.readouterr().out
    # a printed number of the text changes, and a regression row disappears
    (est / "macros.csv").write_text("macro,value,source\nA,0.075,x\nB,\"65,410\",x\n")
    first = registry.REGISTRIES[0]
    pd.read_csv(est / first.built).iloc[:0].to_csv(est / first.built, index=False)
    assert registry.main(["compare"]) == 1
    out = capsys.readouterr().out
    assert "A: value 0.075 != 0.074" in out
    assert "k k k: registry only" in out
