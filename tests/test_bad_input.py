"""The bad-input catalogue: what a careless input meets, with the exact messages.

Each case is a mistake a user makes (a number stored as text, a typo in a spec file, a step run
before its inputs exist, ...) and the message the package gives; a regression in a message
fails here. Every error is a subclass of `agglomeration.errors.AgglomerationError`.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from agglomeration import Spec, Variance, estimate, load_specs
from agglomeration.errors import (
    AgglomerationError,
    ColumnTypeError,
    EstimationError,
    InputError,
    SpecError,
)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "analysis"))


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    rng = np.random.default_rng(16)
    n_units, n_years = 60, 4
    d = pd.DataFrame(
        {
            "unit": np.repeat(np.arange(n_units), n_years),
            "year": np.tile(np.arange(2001, 2001 + n_years), n_units),
            "g": np.repeat(rng.integers(0, 6, n_units), n_years),
        }
    )
    d["lat"] = np.repeat(rng.uniform(30, 45, n_units), n_years)
    d["lon"] = np.repeat(rng.uniform(-110, -80, n_units), n_years)
    d["x"] = rng.normal(size=len(d))
    d["y"] = 0.5 * d["x"] + rng.normal(size=len(d))
    return d


# -- silent wrong answers that must be errors -----------------------------------------------


def test_numeric_regressor_stored_as_text_is_an_error_naming_it(panel):
    d = panel.assign(x=panel["x"].round(1).astype(str))
    with pytest.raises(ColumnTypeError) as e:
        estimate(Spec("y", ("x",)), d)
    msg = str(e.value)
    assert "the regressor 'x' has dtype" in msg and "not a number" in msg
    assert "categorical = ['x']" in msg


def test_text_regressor_allowed_as_categories_when_the_spec_says_so(panel):
    d = panel.assign(grp=panel["g"].map(lambda v: f"g{v}"))
    res = estimate(Spec("y", ("x", "grp"), categorical=("grp",)), d)
    assert res.params.index.str.startswith("C(grp)").sum() == d["grp"].nunique() - 1


def test_text_outcome_is_an_error_naming_it(panel):
    with pytest.raises(ColumnTypeError, match=r"the outcome 'y' has dtype (str|object|string)"):
        estimate(Spec("y", ("x",)), panel.assign(y=panel["y"].astype(str)))


def test_duplicate_unit_periods_refused_under_serial_conley(panel):
    d = pd.concat([panel, panel.iloc[:3]], ignore_index=True)
    v = Variance("conley", cutoff_km=100, time="year", unit="unit", lags=2)
    with pytest.raises(InputError) as e:
        estimate(Spec("y", ("x",), variance=v), d)
    assert "needs one row per (unit, year); 6 rows share a key" in str(e.value)


def test_fixed_effect_on_a_float_column_warns_naming_it(panel):
    with pytest.warns(UserWarning, match=r"fixed effect 'lat' uses the float column 'lat'"):
        estimate(Spec("y", ("x",), ("lat",)), panel)


def test_longitude_out_of_range_is_an_error(panel):
    d = panel.assign(lon=panel["lon"].where(panel.index > 0, 200.0))
    with pytest.raises(InputError, match=r"1 longitudes lie outside \[-180, 180\] \(e.g. \[200.0\]\)"):
        estimate(Spec("y", ("x",), variance=Variance("conley", cutoff_km=100, time="year")), d)


def test_conley_on_a_panel_without_time_warns(panel):
    with pytest.warns(UserWarning, match=r"has no time column but coordinates repeat"):
        estimate(Spec("y", ("x",), variance=Variance("conley", cutoff_km=100)), panel)


def test_weak_instrument_is_estimated_and_flagged():
    rng = np.random.default_rng(3)
    n = 400
    d = pd.DataFrame({"z": rng.normal(size=n)})
    d["x"] = 0.02 * d["z"] + rng.normal(size=n)
    d["y"] = d["x"] + rng.normal(size=n)
    res = estimate(
        Spec("y", (), estimator="iv", endogenous=("x",), instruments=("z",),
             variance=Variance("hetero")),
        d,
    )
    assert res.stats["effective_f"] < 10 and res.stats["weak_instrument"] == 1.0


# -- messages that name the file, the field, the value and the fix ----------------------------


def test_malformed_spec_file_names_the_file(tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text("[spec]\nname = 'x'\noutcome = \n")
    with pytest.raises(SpecError, match=r"bad\.toml: not valid TOML .*fix the syntax"):
        load_specs(f)


@pytest.mark.parametrize(
    ("fe", "hint"),
    [
        ("state_fips*year", "Write an interaction with '^', e.g. 'state_fips^year'."),
        ("state_fips^", "'^' joins two column names, e.g. 'state_fips^year'."),
    ],
)
def test_fixed_effect_syntax_errors_give_the_caret_syntax(fe, hint):
    with pytest.raises(SpecError) as e:
        Spec("y", ("x",), (fe,))
    assert hint in str(e.value)


def test_unknown_panel_lists_the_known_panels(tmp_path, monkeypatch):
    import estimate as step

    (tmp_path / "s.toml").write_text(
        "[spec]\nname = 'typo'\ndata = 'countyy'\noutcome = 'y'\nregressors = ['x']\n"
    )
    monkeypatch.setattr(step, "SPECS", tmp_path)
    with pytest.raises(SpecError) as e:
        step.main([])
    assert "name data ['countyy'], which is not a built panel; known panels: ['county'" in str(
        e.value
    )


def test_regressor_absorbed_by_the_fixed_effects_is_named(panel):
    d = panel.assign(gx=panel["g"] * 1.0)
    with pytest.raises(EstimationError) as e:
        estimate(Spec("y", ("gx",), ("g",), name="absorbed"), d)
    msg = str(e.value)
    assert msg.startswith("spec absorbed: every regressor (gx) is collinear with the fixed effects (g)")
    assert "contact" not in msg and not msg.startswith("\n")


def test_negative_land_area_is_named_as_land_area():
    from agglomeration.measures import employment_density

    df = pd.DataFrame({"r": ["a", "b"], "e": [1.0, 2.0], "area": [-1.0, 3.0]})
    with pytest.raises(InputError, match=r"column 'area' has 1 negative values; land area must be >= 0\.$"):
        employment_density(df, region="r", value="e", area="area")


def test_step_run_before_its_inputs_exist_names_the_session(tmp_path, monkeypatch, capsys):
    from step import Step, run_main

    missing = ROOT / "bld" / "panels" / "does_not_exist.parquet"
    st = Step("estimate", reads=(ROOT / "bld" / "panels" / "county.parquet", missing), produces=())
    monkeypatch.setattr("pipeline.producer_of", lambda p: "build")
    assert run_main(st, lambda argv: None) == 1
    assert f"  {missing}: run `nox -s build`" in capsys.readouterr().err


def test_expected_errors_print_one_message_not_a_traceback(capsys):
    from step import Step, run_main

    def boom(argv):
        raise InputError("column 'x' has 3 negative values; fix them.")

    assert run_main(Step("demo", reads=(), produces=()), boom) == 1
    err = capsys.readouterr().err
    assert err == "error: step 'demo': column 'x' has 3 negative values; fix them.\n"


def test_every_expected_error_is_an_agglomeration_error():
    import agglomeration.errors as E

    for name in E.__all__:
        assert issubclass(getattr(E, name), AgglomerationError), name


# -- builds that could leave a mixed state -------------------------------------------------


def test_outputs_respect_the_umask(tmp_path):
    from project_paths import write_text

    old = os.umask(0o022)
    try:
        p = write_text(tmp_path / "out.csv", "a\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE(p.stat().st_mode) == 0o644


def test_complete_data_raw_needs_no_mirror(tmp_path, monkeypatch, capsys):
    import hashlib

    import data as step

    (tmp_path / "a.csv").write_bytes(b"x,y\n1,2\n")
    digest = hashlib.sha256(b"x,y\n1,2\n").hexdigest()
    (tmp_path / "SHA256SUMS").write_text(f"{digest}  a.csv\n")
    monkeypatch.setattr(step, "DATA_RAW", tmp_path)
    monkeypatch.setenv("AGGLOMERATION_DATA_MIRROR", str(tmp_path / "no_such_mirror"))
    step.main([])
    assert "all 1 raw files present and verified; nothing to acquire" in capsys.readouterr().out


def test_verify_says_how_to_refresh_the_registry(tmp_path, monkeypatch, capsys):
    import registry

    est, res = tmp_path / "e", tmp_path / "r"
    est.mkdir()
    res.mkdir()
    for reg in registry.REGISTRIES:
        cols = list(reg.keys) + list(reg.numeric) + list(reg.exact)
        pd.DataFrame(columns=cols).to_csv(res / reg.committed, index=False)
        row = dict.fromkeys(cols, "1")
        pd.DataFrame([row]).to_csv(est / reg.built, index=False)
    monkeypatch.setattr(registry, "ESTIMATES", est)
    monkeypatch.setattr(registry, "RESULTS", res)
    assert registry.main(["compare"]) == 1
    assert "`nox -s paper` refreshes the registry" in capsys.readouterr().out

