"""The explorer page as text: self-contained, deterministic, and carrying exactly the frames."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from agglomeration.explorer import (
    build_explorer_data,
    colour_bins,
    explorer_payload,
    render_explorer_html,
)


def synthetic_inputs(clusters=("Alpha & Co", "Beta</script>", "Gamma, Delta"), n_metros=6):
    rng = np.random.default_rng(20190)
    rows = []
    for m in range(n_metros):
        for c in clusters:
            emp = float(rng.integers(0, 1000))
            lq = float(rng.uniform(0, 3))
            rows.append({"cbsa": f"{10000 + m:05d}", "cbsa_name": f"Metro {m}, ST",
                         "cbsa_type": "metro" if m % 2 else "micro", "cluster": c,
                         "employment": emp, "cluster_lq": lq, "strong": lq > 2.0})
    panel = pd.DataFrame(rows)
    rel = []
    for a in clusters:
        for b in clusters:
            v = 1.0 if a == b else 0.1 * (len(a) + len(b)) % 1
            rel.append({"cluster_a": a, "cluster_b": b, "cr_io": v, "cr_occ": v / 2,
                        "cr_lc": -v, "cr_all": 3 * v})
    registry = pd.DataFrame({
        "spec_name": ["metro_patents_strong__alpha_co"], "term": ["strong"],
        "estimate": [0.1 + 0.2], "ci_low": [1e-05], "ci_high": [4.865242432e-18],
        "variance": ["iid"], "n_obs": [380]})
    return panel, pd.DataFrame(rel), registry


def embedded(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="explorer-data">(.*?)</script>', html, re.S)
    assert m is not None
    return json.loads(m.group(1))


def test_page_is_byte_identical_across_rebuilds():
    a = render_explorer_html(build_explorer_data(*synthetic_inputs()))
    b = render_explorer_html(build_explorer_data(*synthetic_inputs()))
    assert a == b


def test_page_is_self_contained():
    html = render_explorer_html(build_explorer_data(*synthetic_inputs()))
    assert not re.search(r"\b(src|href)\s*=\s*[\"'](?!data:|#)", html)
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in html
    assert "<link rel=\"stylesheet\"" not in html and "@import" not in html
    # two script elements (data, code) and nothing closes them early
    assert html.count("<script") == 2 and html.count("</script>") == 2


def test_embedded_json_equals_the_frames_exactly():
    data = build_explorer_data(*synthetic_inputs())
    doc = embedded(render_explorer_html(data))
    assert doc == json.loads(json.dumps(explorer_payload(data)))
    names = [n["name"] for n in doc["nodes"]]
    assert names == sorted(["Alpha & Co", "Beta</script>", "Gamma, Delta"])
    assert [n["employment"] for n in doc["nodes"]] == data.nodes["employment"].tolist()
    assert len(doc["links"]["a"]) == 3
    # registry values as text that parses back to the same float
    (row,) = doc["patent"][0]
    assert float(row["estimate"]) == 0.1 + 0.2
    assert row["conf_low"] == "1e-05" and float(row["conf_high"]) == 4.865242432e-18
    assert row["n_obs"] == "380"
    assert doc["patent"][1] == doc["patent"][2] == []
    # metros: strong clusters in LQ order, with employment and LQ as in the panel
    port = data.portfolios
    for m in doc["metros"]:
        want = port[port["cbsa"] == m["cbsa"]]
        assert [names[s[0]] for s in m["strong"]] == want["cluster"].tolist()
        assert [s[2] for s in m["strong"]] == want["cluster_lq"].tolist()


def test_colour_bins_by_hand():
    edges, bins = colour_bins(pd.Series([0, 4, 5, 9, 24]), n_bins=5)
    assert edges == [0, 5, 10, 15, 20, 25]
    assert bins == [0, 0, 1, 1, 4]


@pytest.mark.parametrize("bad", [{"estimate": [np.inf]}])
def test_non_finite_registry_values_are_shown_as_missing(bad):
    panel, rel, reg = synthetic_inputs()
    reg = reg.assign(**bad)
    doc = embedded(render_explorer_html(build_explorer_data(panel, rel, reg)))
    assert doc["patent"][0][0]["estimate"] is None


def test_analysis_step_writes_identical_page_and_frames_twice(raw_dir, tmp_path, monkeypatch):
    import sys
    from pathlib import Path

    from agglomeration.data.readers import read_related_clusters

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "analysis"))
    import explorer as step

    clusters = sorted(set(read_related_clusters(raw_dir)["cluster_a"]))
    rng = np.random.default_rng(7)
    panel = pd.DataFrame(
        [{"cbsa": f"{c:05d}", "cbsa_name": f"Area {c}", "cbsa_type": "metro", "cluster": k,
          "employment": float(rng.integers(0, 500)), "cluster_lq": float(rng.uniform(0, 2)),
          "strong": bool(rng.uniform() > 0.7)} for c in range(3) for k in clusters])
    (tmp_path / "panels").mkdir()
    (tmp_path / "estimates").mkdir()
    panel.to_parquet(tmp_path / "panels" / "metro_clusters.parquet")
    reg = pd.DataFrame({"spec_name": ["metro_patents_strong__apparel"], "term": ["strong"],
                        "estimate": [0.5], "ci_low": [0.1], "ci_high": [0.9]})
    reg.to_csv(tmp_path / "estimates" / "estimates.csv", index=False)
    monkeypatch.setattr(step, "PANELS", tmp_path / "panels")
    monkeypatch.setattr(step, "ESTIMATES", tmp_path / "estimates")
    monkeypatch.setattr(step, "DATA_RAW", raw_dir)
    monkeypatch.setattr(step, "EXPLORER", tmp_path / "explorer")
    step.main()
    first = (tmp_path / "explorer" / "index.html").read_bytes()
    step.main()
    assert (tmp_path / "explorer" / "index.html").read_bytes() == first
    links = pd.read_csv(tmp_path / "explorer" / "links.csv")
    assert len(links) == len(clusters) * (len(clusters) - 1) // 2
    pl = pd.read_csv(tmp_path / "explorer" / "patent_links.csv")
    assert pl["cluster"].tolist() == ["Apparel"] and pl["conf_high"].tolist() == [0.9]
    for name in ["nodes", "metro_portfolios", "top_metros"]:
        assert (tmp_path / "explorer" / f"{name}.csv").stat().st_size > 0
