"""The package's layout keeps its promises: the worker side imports nothing of the grader
side, no two modules import each other (not even lazily), no module reaches into another's
private names, and the top level holds only what every stage shares (docs/architecture.md).

(Issue 16 replaced the ~600-line cap by the private-name rule: a module may be as long as its
one responsibility needs, so long as others use only what it makes public. A loose cap of
1000 lines remains, as a prompt to split.)"""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "grader"

# The worker side may hold these grader modules, and nothing else.
WORKER = "grader.worker"

TOP_LEVEL = {"__init__.py", "__main__.py", "results.py", "serialize.py", "registry.py", "vocabulary.py"}

MAX_LINES = 1000


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def _imports(path: Path, modules: dict[str, Path], lazy: bool) -> set[str]:
    """The grader modules ``path`` imports (function bodies too when ``lazy``; never under TYPE_CHECKING)."""
    found: set[str] = set()

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.dump(node.test):
                visit(node.orelse)
                continue
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    found.add(full if full in modules else node.module)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not lazy:
                continue
            for field in ("body", "orelse", "finalbody", "handlers"):
                children = getattr(node, field, None)
                if isinstance(children, list):
                    visit([c for c in children if isinstance(c, ast.stmt)] + [s for h in children if isinstance(h, ast.ExceptHandler) for s in h.body])

    visit(ast.parse(path.read_text(encoding="utf-8")).body)
    return {name for name in found if name in modules}


def _is_worker(name: str) -> bool:
    return name in ("grader", WORKER) or name.startswith(WORKER + ".")


def test_the_worker_package_imports_nothing_of_the_grader_side() -> None:
    """Importing the whole worker side in a fresh interpreter loads no grader module outside it."""
    modules = [name for name in _modules() if name.startswith(WORKER)]
    code = f"import importlib, json, sys\nfor m in {modules!r}: importlib.import_module(m)\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout)
    assert "grader.worker.runtime" in loaded and "grader.worker.sandbox.confine" in loaded
    foreign = [m for m in loaded if (m == "grader" or m.startswith("grader.")) and not _is_worker(m)]
    assert foreign == [], f"the worker side loaded {foreign}"


def test_no_worker_module_names_a_grader_side_module_even_lazily() -> None:
    modules = _modules()
    # The finder sees imports, lazy ones too: the grader side's own do show.
    assert "grader.worker.protocol" in _imports(modules["grader.execution.session"], modules, lazy=False)
    assert "grader.report.escape" in _imports(modules["grader.cli.main"], modules, lazy=True)
    offending = {
        name: sorted(m for m in _imports(path, modules, lazy=True) if not _is_worker(m))
        for name, path in modules.items()
        if name.startswith(WORKER)
    }
    assert {k: v for k, v in offending.items() if v} == {}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            connect(v)
    return found


def test_no_import_cycles_not_even_lazy_ones() -> None:
    modules = _modules()
    graph = {name: _imports(path, modules, lazy=True) - {name} for name, path in modules.items()}
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_is_over_a_thousand_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): n
        for path in PACKAGE.rglob("*.py")
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, long


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _private_uses(path: Path, modules: dict[str, Path], own: str) -> list[str]:
    """``from grader.x import _name`` and ``x._name`` on an imported grader module, in ``path``."""
    where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[str] = []
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and node.module.startswith("grader"):
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                if full in modules:
                    aliases[alias.asname or alias.name] = full
                elif _private(alias.name) and node.module != own:
                    found.append(f"{where}:{node.lineno} imports {alias.name} from {node.module}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in modules and alias.asname:
                    aliases[alias.asname] = alias.name
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
            target = aliases[node.value.id]
            if _private(node.attr) and target != own:
                found.append(f"{where}:{node.lineno} uses {target}.{node.attr}")
    return found


def test_no_module_uses_another_modules_private_names() -> None:
    modules = _modules()
    found = [use for name, path in modules.items() for use in _private_uses(path, modules, name)]
    assert not found, found


def test_the_private_name_rule_finds_a_private_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("from grader.checks.judge import _close\nfrom grader.checks import source\nsource._reach('', 'f')\nsource.__doc__\n", encoding="utf-8")
    found = _private_uses(module, _modules(), "m")
    assert len(found) == 2, found


def test_the_top_level_holds_only_what_every_stage_shares() -> None:
    files = {p.name for p in PACKAGE.glob("*.py")}
    assert files <= TOP_LEVEL, files - TOP_LEVEL
