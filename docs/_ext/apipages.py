"""Write the API reference pages (``generated/api/*.rst``) and check every Python reference.

Pages: one per subpackage (its docstring, the names its ``__init__`` defines, then each public
module with its members, in the order of :data:`PACKAGES`), and one per top-level module.
A private module (``_name``) is documented only when the package re-exports names from it
(e.g. ``agglomeration.measures._validate`` holds :class:`MeasureResult`). New modules appear
without any change here.

References: a docstring may name an object by any of its import paths
(``agglomeration.estimation.Spec`` or ``agglomeration.estimation.spec.Spec``); an unresolved
``py`` reference is resolved through the object's canonical ``__module__.__qualname__``. A
reference to a real object that has no page (a private helper, the standard library) is
rendered as code without a link. A reference to nothing importable stays unresolved, which the
strict build (``-n -W``) turns into an error: a renamed or mistyped name fails the build.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path
from types import ModuleType
from typing import Any

PACKAGES: list[tuple[str, str]] = [
    ("agglomeration.estimation", "Specifications and estimation"),
    ("agglomeration.inference", "Inference"),
    ("agglomeration.measures", "Measures"),
    ("agglomeration.spatial", "Spatial weights"),
    ("agglomeration.geo", "Great-circle geometry"),
    ("agglomeration.tfp", "Production functions (TFP)"),
    ("agglomeration.robustness", "Robustness"),
    ("agglomeration.simulate", "Simulation"),
    ("agglomeration.data", "Raw data: acquisition and readers"),
    ("agglomeration.panels", "Panels"),
    ("agglomeration.report", "Tables and macros"),
    ("agglomeration.results", "The shared result interface"),
    ("agglomeration.effects", "Implied gains (the claims table)"),
    ("agglomeration.errors", "Errors"),
    ("agglomeration.explorer", "Cluster explorer"),
]


def _title(text: str, char: str) -> list[str]:
    return [text, char * len(text), ""]


def _own_names(mod: ModuleType) -> list[str]:
    """Names of ``__all__`` defined in the module itself (not re-exported from elsewhere)."""
    out = []
    for name in getattr(mod, "__all__", []):
        obj = getattr(mod, name, None)
        home = getattr(obj, "__module__", None)
        if inspect.ismodule(obj):
            continue
        if home == mod.__name__ or (home is None and not inspect.isclass(obj)):
            out.append(name)
    return out


def _submodules(pkg: ModuleType) -> list[str]:
    """Public submodules, and private ones the package re-exports names from."""
    reexported = {
        getattr(getattr(pkg, n, None), "__module__", "") for n in getattr(pkg, "__all__", [])
    }
    out = []
    for info in pkgutil.iter_modules(pkg.__path__):
        full = f"{pkg.__name__}.{info.name}"
        if not info.name.startswith("_") or full in reexported:
            out.append(full)
    return out


def _directive(mod: ModuleType, name: str) -> str:
    obj = getattr(mod, name)
    if inspect.isclass(obj):
        kind = "exception" if issubclass(obj, BaseException) else "class"
    elif inspect.isfunction(obj):
        kind = "function"
    else:
        kind = "data"
    return f".. auto{kind}:: {mod.__name__}.{name}"


def _page(name: str, title: str) -> str | None:
    try:
        mod = importlib.import_module(name)
    except ImportError:
        return None  # a package not on this branch yet
    lines = _title(f"{title} (``{name}``)", "=")
    if not hasattr(mod, "__path__"):
        return "\n".join([*lines, f".. automodule:: {name}", "   :members:", ""])
    lines += [f".. automodule:: {name}", ""]
    for own in _own_names(mod):
        lines += [_directive(mod, own), ""]
    for sub in _submodules(mod):
        lines += _title(f"``{sub}``", "-")
        lines += [f".. automodule:: {sub}", "   :members:", ""]
    return "\n".join(lines)


def write_api_pages(outdir: Path) -> list[str]:
    """Write ``index.rst`` and one page per package; return the page names."""
    outdir.mkdir(parents=True, exist_ok=True)
    names = []
    for name, title in PACKAGES:
        text = _page(name, title)
        if text is None:
            continue
        page = name.split(".")[-1]
        _write(outdir / f"{page}.rst", text)
        names.append(page)
    index = _title("API reference", "=") + [
        "Generated from the NumPy docstrings of the library. The names a user needs most are "
        "importable from the top level (``from agglomeration import Spec, Variance, estimate, "
        "compare_variances, load_specs``) and documented where they are defined.",
        "",
        ".. automodule:: agglomeration",
        "   :no-members:",
        "",
        ".. toctree::",
        "   :maxdepth: 1",
        "",
        *(f"   {n}" for n in names),
        "",
    ]
    _write(outdir / "index.rst", "\n".join(index))
    return names


def _write(path: Path, text: str) -> None:
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def _import_object(path: str) -> Any:
    """Return the object at a dotted path (module, then attributes), or None."""
    parts = path.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attr in parts[i:]:
            if hasattr(obj, attr):
                obj = getattr(obj, attr)
            elif attr in getattr(obj, "__annotations__", {}):  # a dataclass field, no default
                return _Field(f"{getattr(obj, '__module__', '')}.{obj.__qualname__}.{attr}")
            else:
                return None
        return obj
    return None


class _Field:
    """A dataclass field without a default (not a class attribute, but documented)."""

    def __init__(self, path: str) -> None:
        self.path = path


def _canonical(obj: Any, attr_path: str) -> str | None:
    if isinstance(obj, _Field):
        return obj.path
    if inspect.ismodule(obj):
        return obj.__name__
    owner = getattr(obj, "__module__", None)
    qual = getattr(obj, "__qualname__", None)
    if owner and qual:
        return f"{owner}.{qual}"
    return None


def resolve_reference(app: Any, env: Any, node: Any, contnode: Any) -> Any:
    """``missing-reference`` handler: follow re-exports; leave links to nowhere unresolved."""
    if node.get("refdomain") != "py":
        return None
    target = node["reftarget"].lstrip(".~")
    module = node.get("py:module") or ""
    cls = node.get("py:class") or ""
    candidates = [target]
    if module:
        candidates += [f"{module}.{cls}.{target}" if cls else "", f"{module}.{target}"]
        parent = module.rsplit(".", 1)[0]
        candidates.append(f"{parent}.{target}")
    domain = env.get_domain("py")
    for cand in filter(None, candidates):
        obj = _import_object(cand)
        if obj is None:
            continue
        canonical = _canonical(obj, cand)
        for name in filter(None, [canonical, cand]):
            for role in ("obj", "mod"):
                hit = domain.resolve_xref(
                    env, node["refdoc"], app.builder, role, name, node, contnode
                )
                if hit is not None:
                    return hit
        return contnode  # a real object without a page: code, no link
    return None


def setup(app: Any) -> dict[str, Any]:
    """Register the reference resolver (the pages are written by conf.py)."""
    app.connect("missing-reference", resolve_reference)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
