"""Grids in TOML: expansion, exclusion rules, early errors, failures, cache and resumption."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from agglomeration.errors import ColumnMissingError, SpecError
from agglomeration.estimation import Spec, Variance
from agglomeration.robustness import Grid, load_grid, run_grid
from agglomeration.robustness import fwl as fwl_module
from agglomeration.simulate import regional_panel

GRID = """
[grid]
name = "toy"
focal = "log_density"
[grid.base]
outcome = "log_wage"
regressors = ["log_density"]
fixed_effects = ["year"]
[grid.base.variance]
type = "cluster"
cluster = ["state"]

[grid.derive]
wage_asinh = "arcsinh(log_wage)"
log_wage_w = { transform = "winsorize", column = "log_wage", limits = 0.05 }

[grid.axes.outcome]
log = {}
asinh = { outcome = "wage_asinh" }
winsor = { outcome = "log_wage_w" }
[grid.axes.controls]
none = {}
x2 = { controls = ["x2"] }
[grid.axes.fixed_effects]
year = {}
region_year = { fixed_effects = ["region", "year"] }
state_year = { fixed_effects = ["state^year"] }
[grid.axes.sample]
all = {}
late = { sample = "year >= 2003" }
[grid.axes.variance]
state = {}
hetero = { variance = { type = "hetero" } }

[[grid.exclude]]
fixed_effects = "region_year"
variance = "hetero"
reason = "reported with clustered errors only"
"""


@pytest.fixture(scope="module")
def toy() -> pd.DataFrame:
    d = regional_panel(n_regions=120, n_years=5, seed=2).panel.copy()
    rng = np.random.default_rng(1)
    d["state"] = (d["region"] % 9).astype(str)
    d["x2"] = rng.normal(size=len(d))
    d.loc[rng.random(len(d)) < 0.05, "x2"] = np.nan
    return d


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "g.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_expansion_counts_rules_and_choices(tmp_path):
    g = load_grid(write(tmp_path, GRID))
    ex = g.expand()
    # 3 x 2 x 3 x 2 x 2 = 72 combinations; the rule drops 3 x 2 x 2 = 12
    assert len(ex) == 60 and len(ex.excluded) == 12
    assert (ex.excluded["reason"] == "reported with clustered errors only").all()
    assert list(ex.choices.columns) == [
        "spec_id",
        "focal",
        "outcome",
        "controls",
        "fixed_effects",
        "sample",
        "variance",
    ]
    row = ex.choices.iloc[-1]
    spec = next(s for s in ex.specs if s.id == row.spec_id)
    assert spec.outcome == "log_wage_w" and spec.regressors == ("log_density", "x2")
    assert spec.fixed_effects == ("state^year",) and spec.sample == "year >= 2003"
    assert spec.variance == Variance("hetero")
    assert len(set(ex.choices.spec_id)) == 60


def test_samples_combine_and_focal_measure_replaces(tmp_path):
    text = (
        GRID
        + """
[grid.axes.window]
all = {}
no_first = { sample = "year != 2001" }
[grid.axes.measure]
density = {}
cluster = { focal = "log_cluster_employment" }
"""
    )
    g = load_grid(write(tmp_path, text))
    spec, focal = g.spec_for(
        {
            "outcome": "log",
            "controls": "x2",
            "fixed_effects": "year",
            "sample": "late",
            "variance": "state",
            "window": "no_first",
            "measure": "cluster",
        }
    )
    assert spec.sample == "(year >= 2003) and (year != 2001)"
    assert focal == "log_cluster_employment"
    assert spec.regressors == ("log_cluster_employment", "x2")


@pytest.mark.parametrize(
    ("replace", "by", "error", "words"),
    [
        (
            'x2 = { controls = ["x2"] }',
            'x2 = { controls = ["not_a_column"] }',
            ColumnMissingError,
            ["axis 'controls'", "option 'x2'", "not_a_column"],
        ),
        (
            'region_year = { fixed_effects = ["region", "year"] }',
            'region_year = { fixed_effects = ["region", "county"] }',
            ColumnMissingError,
            ["axis 'fixed_effects'", "option 'region_year'", "county"],
        ),
        (
            'region_year = { fixed_effects = ["region", "year"] }',
            'region_year = { fixed_effects = ["region*year"] }',
            SpecError,
            ["axis 'fixed_effects'", "option 'region_year'", "region^year"],
        ),
        (
            'hetero = { variance = { type = "hetero" } }',
            'hetero = { variance = { type = "hc9" } }',
            SpecError,
            ["axis 'variance'", "option 'hetero'", "hc9"],
        ),
        (
            'late = { sample = "year >= 2003" }',
            'late = { sample = "yeer >= 2003" }',
            SpecError,
            ["axis 'sample'", "option 'late'", "yeer"],
        ),
    ],
)
def test_bad_axes_fail_before_any_spec_runs(tmp_path, toy, monkeypatch, replace, by, error, words):
    calls = []
    monkeypatch.setattr(fwl_module, "_fit_one", lambda *a, **k: calls.append(1))
    with pytest.raises(error) as e:
        g = load_grid(write(tmp_path, GRID.replace(replace, by)))
        run_grid(g, toy, progress=False, cache_dir=tmp_path / "cache")
    for w in words:
        assert w in str(e.value), (w, str(e.value))
    assert not calls
    assert not (tmp_path / "cache").exists()


def test_rule_naming_unknown_label_is_an_error(tmp_path):
    with pytest.raises(SpecError, match="no option 'county'"):
        load_grid(
            write(
                tmp_path, GRID.replace('fixed_effects = "region_year"', 'fixed_effects = "county"')
            )
        )


def test_failed_specs_are_recorded_and_the_rest_runs(toy):
    d = toy.assign(const_in_region=toy["region"].astype(float) * 2.0)
    specs = [
        Spec("log_wage", ("log_density",), ("year",)),
        Spec("log_wage", ("const_in_region",), ("region", "year")),  # absorbed: collinear
        Spec("log_wage", ("log_density",), ("year",), sample="year > 3000"),  # empty
        Spec("log_wage", ("log_density", "x2"), ("region",)),
    ]
    res = run_grid(specs, d, progress=False)
    st = res.status.set_index("spec_id")
    assert st.loc[specs[0].id, "status"] == "ok" and st.loc[specs[3].id, "status"] == "ok"
    assert "collinear" in st.loc[specs[1].id, "reason"]
    assert "no rows left" in st.loc[specs[2].id, "reason"]
    assert len(res.failed) == 2
    assert set(res.table.spec_id) == {specs[0].id, specs[3].id}


def _entries(root: Path) -> list[Path]:
    return sorted(root.rglob("*.json"))


def test_cache_rerun_computes_only_what_is_missing(tmp_path, toy, monkeypatch):
    g = load_grid(write(tmp_path, GRID))
    first = run_grid(g, toy, progress=False, cache_dir=tmp_path / "c")
    entries = _entries(tmp_path / "c")
    assert len(entries) == 60 and not first.status.cached.any()
    # delete one entry, truncate another (a partial write), leave a stray temporary file
    entries[0].unlink()
    entries[1].write_text(entries[1].read_text()[:40])
    (entries[2].parent / f".{entries[2].name}.x.tmp").write_text("{")
    fitted = []
    real = fwl_module._fit_one
    monkeypatch.setattr(
        fwl_module, "_fit_one", lambda grp, spec, *a: fitted.append(spec.id) or real(grp, spec, *a)
    )
    second = run_grid(g, toy, progress=False, cache_dir=tmp_path / "c")
    assert sorted(fitted) == sorted([entries[0].stem, entries[1].stem])
    assert int((~second.status.cached).sum()) == 2
    pd.testing.assert_frame_equal(first.table, second.table, check_exact=True)
    json.loads(entries[1].read_text())  # rewritten whole


def test_interrupted_run_leaves_only_whole_entries_and_resumes(tmp_path, toy, monkeypatch):
    g = load_grid(write(tmp_path, GRID))
    real = fwl_module.fit_group
    n = {"groups": 0}

    def flaky(*a, **k):
        n["groups"] += 1
        if n["groups"] == 4:
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setattr("agglomeration.robustness.run.fit_group", flaky)
    with pytest.raises(KeyboardInterrupt):
        run_grid(g, toy, progress=False, cache_dir=tmp_path / "c")
    done = _entries(tmp_path / "c")
    assert 0 < len(done) < 60
    for p in done:
        json.loads(p.read_text())
    assert not list((tmp_path / "c").rglob("*.tmp"))
    monkeypatch.setattr("agglomeration.robustness.run.fit_group", real)
    res = run_grid(g, toy, progress=False, cache_dir=tmp_path / "c")
    assert int(res.status.cached.sum()) == len(done)
    fresh = run_grid(g, toy, progress=False)
    pd.testing.assert_frame_equal(res.table, fresh.table, check_exact=True)


def test_changed_data_do_not_reuse_the_cache(tmp_path, toy):
    g = load_grid(write(tmp_path, GRID))
    run_grid(g, toy, progress=False, cache_dir=tmp_path / "c")
    d2 = toy.assign(log_wage=toy["log_wage"] + 0.01)
    res = run_grid(g, d2, progress=False, cache_dir=tmp_path / "c")
    assert not res.status.cached.any()


def test_grid_from_dict_requires_focal_in_base():
    with pytest.raises(SpecError, match="focal 'x9'"):
        Grid.from_dict({"name": "g", "focal": "x9", "base": {"outcome": "y", "regressors": ["x"]}})


def test_derived_columns_by_hand():
    from agglomeration.robustness.derive import derive_columns

    d = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0, 100.0], "b": [0.0, 1.0, -1.0, 2.0, 5.0]})
    out = derive_columns(
        d,
        {
            "ratio": "a / (b + 2)",
            "w": {"transform": "winsorize", "column": "a", "limits": 0.2},
            "z": {"transform": "standardize", "column": "a"},
            "lb": {"transform": "log", "column": "b"},
            "sb": {"transform": "asinh", "column": "b"},
        },
    )
    np.testing.assert_allclose(out["ratio"], d.a / (d.b + 2))
    # 20% and 80% quantiles (linear interpolation) of 1, 2, 3, 4, 100: 1.8 and 23.2
    np.testing.assert_allclose(out["w"], [1.8, 2.0, 3.0, 4.0, 23.2])
    assert out["z"].mean() == pytest.approx(0.0, abs=1e-12)
    assert out["z"].std(ddof=1) == pytest.approx(1.0)
    assert np.isnan(out["lb"][[0, 2]]).all() and out["lb"][1] == 0.0
    np.testing.assert_allclose(out["sb"], np.arcsinh(d.b))
    assert "ratio" not in d.columns  # the input is not modified
    with pytest.raises(SpecError, match="already exists"):
        derive_columns(d, {"a": "b * 2"})
    with pytest.raises(ColumnMissingError, match="'nope'"):
        derive_columns(d, {"x": {"transform": "log", "column": "nope"}})
    with pytest.raises(SpecError, match="unknown transform"):
        derive_columns(d, {"x": {"transform": "cube", "column": "a"}})
