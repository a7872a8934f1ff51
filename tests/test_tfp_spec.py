"""TFPSpec: canonical form, id, validation in one place (SpecError naming field and value)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from typing import Any

import pytest

from agglomeration.errors import SpecError
from agglomeration.tfp import TFPSpec

BASE: dict[str, Any] = dict(
    method="acf", output="Y", free=("fX1", "fX2"), state=("sX",), proxy="pX",
    unit="idvar", time="timevar",
)


def test_round_trip_and_canonical_json() -> None:
    s = TFPSpec(**BASE, poly_degree=2, name="acf_chile", data="prodest_chilean")
    d = s.to_dict()
    assert d["free"] == ["fX1", "fX2"] and d["state"] == ["sX"]
    assert TFPSpec.from_dict(d) == s
    canon = json.loads(s.canonical_json())
    assert "name" not in canon and canon["poly_degree"] == 2
    assert list(canon) == sorted(canon)
    # id: first 12 hex digits of sha256 of the canonical JSON, computed here by hand
    by_hand = {k: v for k, v in d.items() if k != "name"}
    text = json.dumps(by_hand, sort_keys=True, separators=(",", ":"))
    assert s.id == hashlib.sha256(text.encode()).hexdigest()[:12]


def test_id_ignores_name_and_tracks_every_other_field() -> None:
    s = TFPSpec(**BASE)
    assert replace(s, name="other").id == s.id
    for field, value in [
        ("poly_degree", 2), ("n_starts", 7), ("seed", 1), ("root_tol", 1e-7),
        ("acf_instruments", "lags"), ("data", "chile"), ("start_scale", 0.25),
    ]:
        assert replace(s, **{field: value}).id != s.id, field
    # a single column name and a one-element list are the same spec
    assert TFPSpec(**{**BASE, "state": "sX"}).id == s.id


def test_unknown_fields_are_named() -> None:
    with pytest.raises(SpecError, match=r"\['bogus', 'id'\].*'id' is now 'unit'"):
        TFPSpec.from_dict({**BASE, "id": "idvar", "bogus": 1})
    with pytest.raises(SpecError, match=r"missing required field\(s\) \['time'\]"):
        TFPSpec.from_dict({k: v for k, v in BASE.items() if k != "time"})


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("method", "gmm", "method must be one of"),
        ("free", [], "free must name at least one column"),
        ("state", [""], "state must hold non-empty column names"),
        ("unit", None, "unit must be a column name"),
        ("poly_degree", 0, "poly_degree must be an integer >= 1; got 0"),
        ("markov_degree", 2.5, "markov_degree must be an integer"),
        ("n_starts", 0, "n_starts must be an integer >= 1"),
        ("start_scale", -1.0, "start_scale must be a positive number; got -1.0"),
        ("optimizer", "newton", "optimizer must be one of"),
        ("n_boot", 1, "n_boot must be 0"),
        ("seed", -3, "seed must be an integer >= 0"),
        ("acf_instruments", "all", "acf_instruments must be one of"),
        ("root_tol", 0.0, "root_tol must be a positive number"),
        ("require_root", "yes", "require_root must be True or False"),
        ("wrdg_form", "stata", "wrdg_form must be one of"),
        ("exit_correction", True, "available for 'op' and 'lp' only"),
        ("proxy", None, "needs a proxy column"),
    ],
)
def test_each_option_is_validated(field: str, value: Any, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        TFPSpec(**{**BASE, field: value})


def test_closed_form_methods_need_no_proxy() -> None:
    s = TFPSpec(**{**BASE, "method": "ols", "proxy": None})
    assert not s.numerical and not s.just_identified
    assert TFPSpec(**BASE).just_identified
    assert not TFPSpec(**BASE, acf_instruments="lags").just_identified
    assert not TFPSpec(**{**BASE, "method": "wrdg"}, wrdg_form="prodest").numerical
