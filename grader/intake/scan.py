"""Reading a submission's source in the grader, never in the worker: what it imports of the grader.

The worker refuses every grader module at run time and reports the attempt,
but a report from the worker is the student's word; the source, read here
with :mod:`ast`, is not.  A notebook's code cells are read one by one (IPython
syntax such as ``%magic`` and ``!cmd`` lines is blanked first).
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Iterator, Optional, Union

from grader.intake import reading
from grader.intake.reading import Caps, Code, Oversize, load

# What a notebook may use of the grader: the in-notebook self-check.
PUBLIC = frozenset({"check", "load_ipython_extension", "__version__"})


@dataclass(frozen=True)
class GraderUse:
    """One place where a submission reaches for the grader's code."""

    line: int  # 1-based, in the file (a .py) or in the cell
    text: str  # the source line, stripped
    cell: Optional[int] = None  # the notebook cell's index (0-based, among all cells)


def grader_uses(submission: Union[str, Code], kind: Optional[str] = None, caps: Caps = Caps()) -> tuple[GraderUse, ...]:
    """Every import of the grader (or of a private reference) in a submission.

    ``submission``: the file's path (read within ``caps``; ``kind`` as for
    :func:`grader.intake.reading.load`), or the :class:`~grader.intake.reading.Code`
    already read from it.  ``from grader import check`` and ``%load_ext grader``
    are allowed: they are the notebook's self-check, inert while grading.
    Unreadable, unparsable or oversized sources give no finding (the worker
    reports syntax errors; ``grade`` refuses what is over the caps).
    """
    code = load(submission, kind, caps) if isinstance(submission, str) else submission
    if isinstance(code, Oversize):
        return ()
    uses: list[GraderUse] = []
    for cell in code.cells:
        tree = reading.tree(cell.python)  # parsed once, shared with the structure checks
        if tree is not None:
            uses += [GraderUse(line, text, cell.index) for line, text in _scan(tree, cell.python)]
    return tuple(uses)


_IMPORTERS = frozenset({"__import__", "import_module", "find_spec", "spec_from_file_location", "run_module", "load_module"})


def _call_name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _module_is_grader(name: str) -> bool:
    return name == "grader" or name.startswith(("grader.", "grader_private"))


def _scan(tree: ast.Module, source: str) -> Iterator[tuple[int, str]]:
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
