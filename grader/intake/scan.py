"""Reading a submission's source in the grader, never in the worker: what it imports of the grader.

The worker refuses every grader module at run time and reports the attempt,
but a report from the worker is the student's word; the source, read here
with :mod:`ast`, is not.  A notebook's code cells are read one by one (IPython
syntax such as ``%magic`` and ``!cmd`` lines is blanked first).
"""
from __future__ import annotations

import ast
import json
import warnings
from dataclasses import dataclass
from typing import Iterator, Optional

# What a notebook may use of the grader: the in-notebook self-check.
PUBLIC = frozenset({"check", "load_ipython_extension", "__version__"})


@dataclass(frozen=True)
class GraderUse:
    """One place where a submission reaches for the grader's code."""

    line: int  # 1-based, in the file (a .py) or in the cell
    text: str  # the source line, stripped
    cell: Optional[int] = None  # the notebook cell's index (0-based, among all cells)


def grader_uses(path: str) -> tuple[GraderUse, ...]:
    """Every import of the grader (or of a private reference) in the submission at ``path``.

    ``from grader import check`` and ``%load_ext grader`` are allowed: they are
    the notebook's self-check, inert while grading.  Unreadable or unparsable
    sources give no finding (the worker reports their syntax errors).
    """
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError:
        return ()
    uses: list[GraderUse] = []
    for cell, source in _sources(path, raw):
        uses += [GraderUse(line, text, cell) for line, text in _scan(source)]
    return tuple(uses)


def _sources(path: str, raw: bytes) -> Iterator[tuple[Optional[int], str]]:
    from grader.checks.source import cell_python, python_text

    if not path.endswith(".ipynb"):
        yield None, python_text(raw)
        return
    try:
        notebook = json.loads(raw.decode("utf-8", "replace"))
        cells = notebook["cells"]
    except (ValueError, KeyError, TypeError):
        return
    for index, cell in enumerate(cells if isinstance(cells, list) else []):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(s for s in source if isinstance(s, str))
        if isinstance(source, str):
            yield index, cell_python(source)


_IMPORTERS = frozenset({"__import__", "import_module", "find_spec", "spec_from_file_location", "run_module", "load_module"})


def _call_name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _module_is_grader(name: str) -> bool:
    return name == "grader" or name.startswith(("grader.", "grader_private"))


def _scan(source: str) -> Iterator[tuple[int, str]]:
    try:
        with warnings.catch_warnings():
            # An invalid escape in the student's text warns, quoting it, on the grader's stderr.
            warnings.simplefilter("ignore")
            tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return
    lines = source.splitlines()

    def text(node: ast.AST) -> str:
        number = getattr(node, "lineno", 0)
        return lines[number - 1].strip()[:200] if 0 < number <= len(lines) else ""

    aliases = set()  # names bound to the grader package itself
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "grader":
                    aliases.add(alias.asname or "grader")
                elif _module_is_grader(alias.name):
                    yield node.lineno, text(node)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module is not None:
            if node.module == "grader":
                # `from grader import *` binds only the public self-check (the stub's names).
                if any(alias.name not in PUBLIC and alias.name != "*" for alias in node.names):
                    yield node.lineno, text(node)
            elif _module_is_grader(node.module):
                yield node.lineno, text(node)
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
            if node.attr not in PUBLIC:
                yield node.lineno, text(node)
        elif isinstance(node, ast.Call) and _call_name(node.func) in _IMPORTERS and node.args:
            # importlib.import_module("grader.reference"), __import__("grader..."), find_spec(...)
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str) and _module_is_grader(first.value) and first.value != "grader":
                yield node.lineno, text(node)
