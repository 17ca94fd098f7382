"""The package's layers, checked by parsing every module's imports (nothing of resnet_lab is imported here).

Each module sits on a layer of :data:`LAYERS`; a module may import its own layer and the layers below, never a
higher one. A lesson (``resnet_lab.lessons.<topic>``) imports the core and its own folder, never another lesson.
The modules' import graph has no cycles. An import of one of our modules sits at the top of the file, never
inside a function; only a heavy, optional third-party dependency may be imported inside a function, with a
``# deferred: <reason>`` comment on that line or the line above.

Every form counts: ``import resnet_lab.x``, ``from resnet_lab.x import y``, relative imports, and
``from resnet_lab import x``, where ``x`` is resolved as Python resolves it: a name the package's
``__init__`` binds (then the import depends on that ``__init__``), else a submodule.
"""
from __future__ import annotations

import ast
import importlib.util
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Set, Tuple

import pytest

PACKAGE = "resnet_lab"
SOURCE = Path(__file__).resolve().parents[1] / PACKAGE

#: Module (or package, for everything inside it) -> layer, from the bottom. A module takes the layer of its own
#: entry, else of the innermost package holding it; the root's entry covers only resnet_lab/__init__.py, so a new
#: top-level module fails the test until it is given a layer here.
LAYERS: Dict[str, int] = {
    "resnet_lab.runtime": 0,
    "resnet_lab.config": 1,
    "resnet_lab.checks": 1,
    "resnet_lab.solutions": 1,
    "resnet_lab.predictions": 1,
    "resnet_lab.models": 2,
    "resnet_lab.data": 2,
    "resnet_lab.session": 2,
    "resnet_lab.training": 3,
    "resnet_lab.gradients": 4,   # uses training.history.save_json
    "resnet_lab.plots": 4,
    "resnet_lab.runs": 5,        # records gradients while it trains
    "resnet_lab.lessons": 6,
    "resnet_lab.tools": 7,
    "resnet_lab": 8,             # the package's __init__: the names notebooks use
    "resnet_lab.__main__": 8,
}
LESSONS = "resnet_lab.lessons"
DEFERRED_TAG = "deferred:"


# ------------------------------------------------------------------------------------------ the checker
@dataclass(frozen=True)
class Module:
    name: str          # dotted, e.g. "resnet_lab.data.cifar10"; a package is named by its folder
    path: str          # for messages, e.g. "resnet_lab/data/cifar10.py"
    is_package: bool
    source: str


@dataclass(frozen=True)
class Import:
    importer: str      # the module holding the import statement
    target: str        # one of our modules (ours=True), or the dotted name of another module
    ours: bool
    path: str
    line: int
    deferred: bool     # inside a function (runs when the function is called, not when the module loads)
    statement: str     # the source line, for messages

    def where(self) -> str:
        return f"{self.path}:{self.line}"


def load_package(root: Path = SOURCE) -> Dict[str, Module]:
    """Every ``.py`` file under ``root`` (the package folder), by dotted module name."""
    modules = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        is_package = parts[-1] == "__init__"
        name = ".".join(parts[:-1] if is_package else parts)
        modules[name] = Module(name, path.relative_to(root.parent).as_posix(), is_package,
                               path.read_text(encoding="utf-8"))
    return modules


def _imports_in(tree: ast.AST) -> Iterable[Tuple[ast.stmt, bool]]:
    """Every import statement with whether it sits inside a function (at any depth)."""
    def walk(node, in_function):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                yield child, in_function
            yield from walk(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                                     ast.Lambda)))
    yield from walk(tree, False)


def _bound_names(module: Module) -> Dict[str, Optional[Tuple[str, int, str]]]:
    """Names a module binds when it loads: name -> (from-module, level, original name) for a from-import, else None."""
    bound = {}

    def walk(node):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                bound[child.name] = None
                continue  # their bodies run later, in their own namespace
            if isinstance(child, ast.Lambda):
                continue
            if isinstance(child, ast.Import):
                for alias in child.names:
                    bound[alias.asname or alias.name.split(".")[0]] = None
            elif isinstance(child, ast.ImportFrom):
                for alias in child.names:
                    bound[alias.asname or alias.name] = (child.module or "", child.level, alias.name)
            elif isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
                bound[child.id] = None
            walk(child)

    walk(ast.parse(module.source))
    return bound


def _absolute(module: Module, name: str, level: int) -> str:
    """The absolute module name of ``from <level dots><name> import ...`` written in ``module``."""
    if level == 0:
        return name
    package = module.name if module.is_package else module.name.rpartition(".")[0]
    parts = package.split(".")
    if level - 1 > len(parts) - 1:
        raise ValueError(f"{module.path}: relative import beyond the top of the package")
    base = ".".join(parts[:len(parts) - (level - 1)])
    return f"{base}.{name}" if name else base


def collect_imports(modules: Dict[str, Module], package: str = PACKAGE) -> Tuple[List[Import], List[str]]:
    """All import statements of ``modules``, ours resolved to the module they load; and imports that do not resolve."""
    bound = {name: _bound_names(m) for name, m in modules.items() if m.is_package}
    imports, unresolved = [], []

    def ours(name):
        return name == package or name.startswith(package + ".")

    for module in modules.values():
        lines = module.source.splitlines()
        for node, deferred in _imports_in(ast.parse(module.source, module.path)):
            text = lines[node.lineno - 1].strip()

            def add(target, is_ours=True):
                found = Import(module.name, target, is_ours, module.path, node.lineno, deferred, text)
                if found not in imports[-len(node.names):]:  # one entry per statement and module it loads
                    imports.append(found)

            if isinstance(node, ast.Import):
                for alias in node.names:
                    if not ours(alias.name):
                        add(alias.name, False)
                    elif alias.name in modules:
                        add(alias.name)
                    else:
                        unresolved.append(f"{module.path}:{node.lineno}: no module {alias.name} ({text})")
                continue
            base = _absolute(module, node.module or "", node.level)
            if not ours(base):
                add(base, False)
                continue
            if base not in modules:
                unresolved.append(f"{module.path}:{node.lineno}: no module {base} ({text})")
                continue
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                binding = bound.get(base, {}).get(alias.name, "unbound")
                if alias.name == "*" or not modules[base].is_package:
                    add(base)
                elif binding != "unbound":
                    # Python looks the name up in the package first; a binding that is the submodule itself
                    # (``from resnet_lab import data`` inside resnet_lab/__init__.py) still means the submodule
                    is_submodule = (binding is not None and submodule in modules
                                    and _absolute(modules[base], binding[0], binding[1]) == base
                                    and binding[2] == alias.name)
                    add(submodule if is_submodule else base)
                elif submodule in modules:
                    add(submodule)
                else:
                    unresolved.append(f"{module.path}:{node.lineno}: {base} has no submodule or name "
                                      f"{alias.name!r} ({text})")
    return imports, unresolved


def layer_of(name: str, layers: Dict[str, int] = LAYERS) -> Optional[int]:
    """The layer of ``name``'s own entry, else of the innermost package holding it (the root package's entry
    covers its ``__init__`` alone, so a new top-level module needs an entry). None: no entry."""
    if name in layers:
        return layers[name]
    parts = name.split(".")
    for end in range(len(parts) - 1, 1, -1):
        key = ".".join(parts[:end])
        if key in layers:
            return layers[key]
    return None


def lesson_of(name: str, lessons: str = LESSONS) -> Optional[str]:
    """``resnet_lab.lessons.toy2d.nets`` -> ``toy2d``; None outside a lesson folder."""
    if name.startswith(lessons + "."):
        return name[len(lessons) + 1:].split(".")[0]
    return None


def unassigned_modules(modules: Iterable[str], layers: Dict[str, int] = LAYERS) -> List[str]:
    return sorted(name for name in modules if layer_of(name, layers) is None)


def upward_imports(imports: Iterable[Import], layers: Dict[str, int] = LAYERS) -> List[str]:
    """Imports of one of our modules from a higher layer than the importer's."""
    found = []
    for imp in imports:
        if imp.ours:
            low, high = layer_of(imp.importer, layers), layer_of(imp.target, layers)
            if low is not None and high is not None and high > low:
                found.append(f"{imp.where()}: {imp.importer} (layer {low}) imports {imp.target} (layer {high}), "
                             f"a higher layer: {imp.statement}")
    return found


def cross_lesson_imports(imports: Iterable[Import], lessons: str = LESSONS) -> List[str]:
    """Imports of one lesson's module by another lesson's."""
    found = []
    for imp in imports:
        mine, theirs = lesson_of(imp.importer, lessons), lesson_of(imp.target, lessons)
        if imp.ours and mine and theirs and mine != theirs:
            found.append(f"{imp.where()}: lesson {mine} ({imp.importer}) imports lesson {theirs} ({imp.target}); "
                         f"a lesson imports only the core and its own folder: {imp.statement}")
    return found


def is_standard_library(top: str) -> bool:
    """True for a top-level module of Python's standard library (found without importing it)."""
    if hasattr(sys, "stdlib_module_names"):  # Python 3.10+
        return top in sys.stdlib_module_names
    spec = importlib.util.find_spec(top)
    if spec is None or spec.origin in ("built-in", "frozen"):
        return spec is not None
    return spec.origin.startswith(sysconfig.get_paths()["stdlib"]) and "site-packages" not in spec.origin


def deferred_imports(imports: Iterable[Import], modules: Dict[str, Module]) -> List[str]:
    """Imports inside functions: never of our modules or the standard library; others need a ``deferred:`` reason."""
    found = []
    for imp in imports:
        if not imp.deferred:
            continue
        if imp.ours:
            found.append(f"{imp.where()}: {imp.importer} imports {imp.target} inside a function; import it at the "
                         f"top of the file: {imp.statement}")
            continue
        top = imp.target.split(".")[0]
        if is_standard_library(top):
            found.append(f"{imp.where()}: {imp.importer} imports the standard-library {imp.target} inside a "
                         f"function; import it at the top of the file: {imp.statement}")
            continue
        lines = modules[imp.importer].source.splitlines()
        nearby = lines[imp.line - 1] + "\n" + (lines[imp.line - 2] if imp.line > 1 else "")
        reason = nearby.partition(DEFERRED_TAG)[2].split("\n")[0].strip() if DEFERRED_TAG in nearby else ""
        if not reason:
            found.append(f"{imp.where()}: {imp.importer} imports {imp.target} inside a function without a "
                         f"'# {DEFERRED_TAG} <reason>' comment on that line or the line above; import it at the "
                         f"top unless it is a heavy optional dependency: {imp.statement}")
    return found


def find_cycles(imports: Iterable[Import]) -> List[str]:
    """One cycle path per strongly connected group of our modules, with the import making each step."""
    edges: Dict[str, Dict[str, Import]] = {}
    for imp in imports:
        if imp.ours:
            edges.setdefault(imp.importer, {}).setdefault(imp.target, imp)
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def connect(node):  # Tarjan's algorithm
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, {})):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1 or node in edges.get(node, {}):
                groups.append(group)

    old_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old_limit, 10_000))
    try:
        for node in sorted(edges):
            if node not in index:
                connect(node)
    finally:
        sys.setrecursionlimit(old_limit)

    found = []
    for group in groups:
        start = min(group)
        path = _path_back(start, group, edges)
        steps = " -> ".join(path)
        detail = "; ".join(f"{edges[a][b].where()} {edges[a][b].statement}" for a, b in zip(path, path[1:]))
        found.append(f"import cycle {steps} ({detail})")
    return sorted(found)


def _path_back(start: str, group: Set[str], edges: Dict[str, Dict[str, Import]]) -> List[str]:
    """The shortest path start -> ... -> start inside ``group`` (breadth first)."""
    came_from: Dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for nxt in sorted(edges.get(node, {})):
                if nxt == start:
                    back = [node]
                    while back[-1] != start:
                        back.append(came_from[back[-1]])
                    return back[::-1] + [start]
                if nxt in group and nxt not in came_from:
                    came_from[nxt] = node
                    following.append(nxt)
        frontier = following
    raise AssertionError(f"no cycle through {start}")  # a strongly connected group always has one


# ------------------------------------------------------------------------------------------ the package
@pytest.fixture(scope="module")
def package():
    modules = load_package()
    imports, unresolved = collect_imports(modules)
    return modules, imports, unresolved


def report(problems: List[str]) -> str:
    return f"{len(problems)} problem(s):\n  " + "\n  ".join(problems)


def test_the_layer_table_names_every_module_and_only_modules(package):
    modules, _, _ = package
    assert len(modules) > 30  # the parse found the package
    assert unassigned_modules(modules) == [], "modules with no layer; add them to LAYERS"
    assert sorted(key for key in LAYERS if key not in modules) == [], "LAYERS names modules that do not exist"
    assert sorted({lesson_of(m) for m in modules} - {None}) == ["building", "degradation", "gradient_flow", "identity", "paths", "toy2d"]


def test_every_import_of_ours_resolves(package):
    _, imports, unresolved = package
    assert not unresolved, report(unresolved)
    assert sum(imp.ours for imp in imports) > 50


def test_no_module_imports_a_higher_layer(package):
    _, imports, _ = package
    problems = upward_imports(imports)
    assert not problems, report(problems)


def test_no_lesson_imports_another_lesson(package):
    _, imports, _ = package
    problems = cross_lesson_imports(imports)
    assert not problems, report(problems)


def test_no_import_cycles(package):
    _, imports, _ = package
    problems = find_cycles(imports)
    assert not problems, report(problems)


def test_imports_inside_functions_are_only_heavy_third_party_ones_with_a_reason(package):
    modules, imports, _ = package
    problems = deferred_imports(imports, modules)
    assert not problems, report(problems)


# ------------------------------------------------------------------------------------------ the checker itself
def synthetic(sources: Dict[str, str]) -> Dict[str, Module]:
    """Modules from source text; a name ending in '/' is a package (its __init__)."""
    modules = {}
    for key, source in sources.items():
        name, is_package = key.rstrip("/"), key.endswith("/")
        path = name.replace(".", "/") + ("/__init__.py" if is_package else ".py")
        modules[name] = Module(name, path, is_package, source)
    return modules


def test_checker_resolves_every_import_form():
    modules = synthetic({
        "resnet_lab/": "from resnet_lab import data\nfrom resnet_lab.models import get_model\n",
        "resnet_lab.runtime": "import os\n",
        "resnet_lab.data/": "from .augment import augment\nfrom . import images\n",
        "resnet_lab.data.augment": "import torch\nfrom ..runtime import seed\n\ndef augment():\n    pass\n",
        "resnet_lab.data.images": "import resnet_lab.runtime as rt\n",
        "resnet_lab.models/": "from resnet_lab.models.registry import get_model\n",
        "resnet_lab.models.registry": "from resnet_lab.data import augment, images\nfrom resnet_lab import data\n",
    })
    imports, unresolved = collect_imports(modules)
    assert unresolved == []
    edges = {(i.importer, i.target) for i in imports if i.ours}
    assert edges == {
        ("resnet_lab", "resnet_lab.data"),                # bound in __init__ by importing the submodule itself
        ("resnet_lab", "resnet_lab.models"),
        ("resnet_lab.data", "resnet_lab.data.augment"),
        ("resnet_lab.data", "resnet_lab.data.images"),
        ("resnet_lab.data.augment", "resnet_lab.runtime"),
        ("resnet_lab.data.images", "resnet_lab.runtime"),
        ("resnet_lab.models", "resnet_lab.models.registry"),
        ("resnet_lab.models.registry", "resnet_lab.data"),         # augment: a name data/__init__ binds
        ("resnet_lab.models.registry", "resnet_lab.data.images"),  # images: bound to the submodule itself
    }
    assert {(i.importer, i.target) for i in imports if not i.ours} == {("resnet_lab.runtime", "os"),
                                                                       ("resnet_lab.data.augment", "torch")}
    assert find_cycles(imports) == [] and upward_imports(imports) == [] and deferred_imports(imports, modules) == []


def test_checker_reports_upward_cross_lesson_deferred_and_cyclic_imports():
    modules = synthetic({
        "resnet_lab/": "from resnet_lab.models import get_model\n",
        "resnet_lab.runtime": "from resnet_lab import config\n",                       # up: 0 imports 1
        "resnet_lab.config": "from .runtime import seed\n",                            # closes runtime <-> config
        "resnet_lab.models/": "from resnet_lab.models.registry import get_model\n",
        "resnet_lab.models.registry": ("def get_model():\n"
                                       "    from resnet_lab import get_model as g\n"   # deferred, up to the top
                                       "    return g\n"),
        "resnet_lab.lessons/": "",
        "resnet_lab.lessons.a/": "",
        "resnet_lab.lessons.a.x": "from resnet_lab.lessons.b import y\nfrom resnet_lab.lessons.a import z\n",
        "resnet_lab.lessons.a.z": "",
        "resnet_lab.lessons.b/": "",
        "resnet_lab.lessons.b.y": ("import numpy\n\n\ndef f():\n"
                                   "    import scipy  # deferred: heavy and optional\n"
                                   "    # deferred: only the widget needs it\n"
                                   "    import ipywidgets\n"
                                   "    import json\n"
                                   "    import matplotlib  # no reason given\n"
                                   "    from resnet_lab.models import registry\n"),
        "resnet_lab.broken": "from resnet_lab.models import nothing_here\nimport resnet_lab.missing\n",
    })
    layers = {**LAYERS, "resnet_lab.broken": 1}
    imports, unresolved = collect_imports(modules)
    assert unresolved == [
        "resnet_lab/broken.py:1: resnet_lab.models has no submodule or name 'nothing_here' "
        "(from resnet_lab.models import nothing_here)",
        "resnet_lab/broken.py:2: no module resnet_lab.missing (import resnet_lab.missing)"]

    upward = upward_imports(imports, layers)
    assert upward == [
        "resnet_lab/runtime.py:1: resnet_lab.runtime (layer 0) imports resnet_lab.config (layer 1), a higher layer: "
        "from resnet_lab import config",
        "resnet_lab/models/registry.py:2: resnet_lab.models.registry (layer 2) imports resnet_lab (layer 8), "
        "a higher layer: from resnet_lab import get_model as g"]

    across = cross_lesson_imports(imports)
    assert len(across) == 1 and across[0].startswith(
        "resnet_lab/lessons/a/x.py:1: lesson a (resnet_lab.lessons.a.x) imports lesson b (resnet_lab.lessons.b.y)")

    deferred = deferred_imports(imports, modules)
    assert [d.split(": ")[0] for d in deferred] == [
        "resnet_lab/models/registry.py:2",  # ours, inside a function
        "resnet_lab/lessons/b/y.py:8",      # json: standard library
        "resnet_lab/lessons/b/y.py:9",      # matplotlib: no reason
        "resnet_lab/lessons/b/y.py:10"]     # ours, even with no other problem
    assert "standard-library json" in deferred[1] and "without a '# deferred: <reason>'" in deferred[2]

    cycles = find_cycles(imports)
    assert cycles == [
        "import cycle resnet_lab -> resnet_lab.models -> resnet_lab.models.registry -> resnet_lab "
        "(resnet_lab/__init__.py:1 from resnet_lab.models import get_model; "
        "resnet_lab/models/__init__.py:1 from resnet_lab.models.registry import get_model; "
        "resnet_lab/models/registry.py:2 from resnet_lab import get_model as g)",
        "import cycle resnet_lab.config -> resnet_lab.runtime -> resnet_lab.config "
        "(resnet_lab/config.py:1 from .runtime import seed; resnet_lab/runtime.py:1 from resnet_lab import config)"]
    assert unassigned_modules(modules) == ["resnet_lab.broken"] and unassigned_modules(modules, layers) == []


def test_cycle_path_is_reported_for_a_module_importing_itself():
    modules = synthetic({"resnet_lab/": "", "resnet_lab.runtime": "import resnet_lab.runtime\n"})
    imports, _ = collect_imports(modules)
    assert find_cycles(imports) == ["import cycle resnet_lab.runtime -> resnet_lab.runtime "
                                    "(resnet_lab/runtime.py:1 import resnet_lab.runtime)"]
