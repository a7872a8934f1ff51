"""Sphinx configuration of the agglomeration documentation (`nox -s docs`).

The build is strict: `sphinx-build -W --keep-going -n` turns every warning (a broken internal
reference, a failing example, a malformed docstring) into an error. Every page under `guide/`
and `methods/validation.md` is a MyST notebook executed at each build by myst-nb; an exception
in any cell that is not inside an explicit `try`/`except` fails the build. Generated pages (the
replication map, the stage table) are written into `generated/` by analysis/replication.py
before the build reads the sources.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "analysis"))
# the executed notebooks import the library from src/ as well (kernels inherit the environment)
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]
)
os.environ.setdefault("MPLBACKEND", "Agg")

sys.path.insert(0, str(DOCS / "_ext"))

import apipages  # noqa: E402  (docs/_ext/apipages.py)

import replication  # noqa: E402  (analysis/replication.py)

replication.write_docs_pages(DOCS / "generated")
apipages.write_api_pages(DOCS / "generated" / "api")

project = "agglomeration"
author = "agglomeration developers"
copyright = "the agglomeration developers"
release = version = "0.1.0"

extensions = [
    "myst_nb",
    "numpydoc",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "apipages",
]

exclude_patterns = ["_build", "jupyter_execute", "**.ipynb_checkpoints", ".gitignore"]
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb"}
root_doc = "index"

# -- strictness ------------------------------------------------------------------------------
nitpicky = True
# Types from other packages are not linked (no network, hence no intersphinx inventories).
nitpick_ignore_regex = [
    (r"py:.*", r"(pd|pandas|np|numpy|scipy|sparse|pa|pandera|nx|networkx|matplotlib|pyfixest)(\..*)?"),
    (r"py:.*", r"(NDArray|ArrayLike|FloatArray|IntArray|Path|pathlib\..*|Any|Literal|Callable)(\[.*)?"),
    (r"py:.*", r"(collections\.abc|typing|types|concurrent)\..*"),
    (r"py:.*", r"(Sequence|Mapping|MutableMapping|Iterable|Iterator|Protocol|BinaryIO)"),
    (r"py:.*", r"(optional|default.*|array_like|array-like|callable|file-like)"),
]
suppress_warnings: list[str] = []

# -- MyST and myst-nb --------------------------------------------------------------------------
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
nb_execution_mode = "force"  # every example runs at every build
nb_execution_raise_on_error = True  # an exception in a cell fails the build
nb_execution_timeout = 300
nb_execution_show_tb = True
nb_merge_streams = True
nb_execution_in_temp = False

# -- autodoc and numpydoc -------------------------------------------------------------------
autodoc_default_options = {"show-inheritance": True}
autodoc_member_order = "bysource"
autodoc_typehints = "none"  # types are documented in the NumPy docstrings
autosummary_generate = False
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# -- output ------------------------------------------------------------------------------------
html_theme = "furo"
html_title = "agglomeration"
html_static_path: list[str] = []
