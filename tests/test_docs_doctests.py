"""The docstring examples of the library run as doctests, and the public API has examples.

Every module of ``agglomeration`` is searched for docstring examples (``>>>``); each module
with examples is one test, run with the standard library's doctest (ELLIPSIS and
NORMALIZE_WHITESPACE). This is what ``pytest --doctest-modules src/agglomeration`` runs, made
part of the default test run. The examples check numbers that can be verified independently
(hand-computed values, parameters recovered from simulated data with a known truth), not just
that the code runs.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from types import ModuleType

import pytest

import agglomeration

FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _modules() -> list[str]:
    names = [agglomeration.__name__]
    for info in pkgutil.walk_packages(agglomeration.__path__, prefix="agglomeration."):
        names.append(info.name)
    return sorted(names)


def _tests(module: ModuleType) -> list[doctest.DocTest]:
    finder = doctest.DocTestFinder(exclude_empty=True)
    return [t for t in finder.find(module, module.__name__) if t.examples]


MODULES_WITH_EXAMPLES = [m for m in _modules() if _tests(importlib.import_module(m))]


@pytest.mark.parametrize("name", MODULES_WITH_EXAMPLES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    failures = []
    for test in _tests(module):
        out: list[str] = []
        result = runner.run(test, out=out.append, clear_globs=True)
        if result.failed:
            failures.append("".join(out))
    assert not failures, "\n".join(failures)


# The public API a user meets first: each needs a runnable example in its docstring.
PUBLIC_API = [
    "agglomeration.estimation.Spec",
    "agglomeration.estimation.Variance",
    "agglomeration.estimation.estimate",
    "agglomeration.estimation.estimate_variances",
    "agglomeration.estimation.compare_variances",
    "agglomeration.estimation.standard_variances",
    "agglomeration.estimation.load_specs",
    "agglomeration.estimation.EstimationResult",
    "agglomeration.measures.employment_density",
    "agglomeration.measures.location_quotient",
    "agglomeration.measures.region_herfindahl",
    "agglomeration.measures.plant_herfindahl",
    "agglomeration.measures.plant_herfindahl_from_counts",
    "agglomeration.measures.krugman_specialisation",
    "agglomeration.measures.hoover_localisation",
    "agglomeration.measures.locational_gini",
    "agglomeration.measures.ellison_glaeser_gamma",
    "agglomeration.measures.coagglomeration",
    "agglomeration.measures.colocation_relatedness",
    "agglomeration.measures.related_employment",
    "agglomeration.measures.mark_suppressed",
    "agglomeration.measures.cluster_strength",
    "agglomeration.measures.related_cluster_strength",
    "agglomeration.tfp.estimate",
    "agglomeration.tfp.TFPSpec",
    "agglomeration.inference.conley_vcov",
    "agglomeration.geo.haversine_km",
    "agglomeration.spatial.distance_band_weights",
    "agglomeration.spatial.spatial_lag",
    "agglomeration.simulate.regional_panel",
    "agglomeration.simulate.plant_panel",
    "agglomeration.simulate.dartboard",
]


def _resolve(path: str) -> object:
    module, _, attr = path.rpartition(".")
    return getattr(importlib.import_module(module), attr)


@pytest.mark.parametrize("path", PUBLIC_API)
def test_public_api_has_examples(path: str) -> None:
    obj = _resolve(path)
    examples = [e for t in doctest.DocTestFinder().find(obj, path) for e in t.examples]
    assert examples, f"{path} has no docstring example (an 'Examples' section with >>> lines)"


def test_doctests_are_found() -> None:
    # the harness itself: a module with examples is collected, one without is not
    assert "agglomeration.estimation.api" in MODULES_WITH_EXAMPLES
    assert "agglomeration.errors" not in MODULES_WITH_EXAMPLES or _tests(
        importlib.import_module("agglomeration.errors")
    )
