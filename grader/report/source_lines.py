"""Where in the student's ``.py`` file a failure points when no traceback does (GitHub annotations).

A mistake found in the numbers (``wrong-loss``, ``gradient-ascent``, …) raised
nothing, so no frame names its line.  The line is then read from the source,
with Python's ``ast`` (the file is parsed, never run), by what the mistake is
about:

- the loss (``wrong-loss``, ``broadcast-shape``, ``forward-outside-loop``): the
  line that computes the loss that ``backward()`` is called on; where that is a
  call to another function of the file (``loss = sse_loss(yhat, y)``), or to a
  loss object built in the function (``loss_fn = nn.MSELoss(...)``), the line
  there; in a function that returns the loss (``sse_loss``), its ``return``;
- the update (``gradient-ascent``, ``wrong-learning-rate``): the line that
  builds ``optim.SGD`` (its ``lr``), else the first assignment that reads
  ``.grad`` (``What.data = What.data - alpha * What.grad``);
- a gradient never cleared (``grad-not-cleared``): the ``step()`` call, else that
  same update, after which the gradient must be cleared;
- the order of the steps: the first ``zero_grad()`` / ``grad.zero_()`` call
  (``zero-grad-before-step``), the first ``step()`` call (``step-before-backward``);
- the number of epochs (``wrong-epochs``): the loop's line;
- anything else about a function: the line of its ``def``.

A mistake about the whole file (a timeout, a crash) or a function that does not
exist has no line; nor has a notebook, whose lines are not the file's.
"""
from __future__ import annotations

import ast
import os
import tokenize
from functools import lru_cache
from typing import Iterator, Optional

_LOSS = frozenset({"wrong-loss", "broadcast-shape", "forward-outside-loop"})
_UPDATE = frozenset({"gradient-ascent", "wrong-learning-rate"})
_LARGEST = 1_000_000  # bytes: a larger "source" is not read (it is no student's exercise)


def line_of(path: str, function: Optional[str], code: Optional[str]) -> Optional[int]:
    """The line of ``path`` that a failure of ``function`` with diagnosis ``code`` is about; None if none.

    ``path`` is the graded ``.py`` file; a file that cannot be read or parsed,
    or that does not define ``function``, gives None.
    """
    if not function or not path.endswith(".py"):
        return None
    try:
        stat = os.stat(path)
    except OSError:
        return None
    module = _parse(path, stat.st_mtime_ns, stat.st_size)
    if module is None:
        return None
    defs = _top_level_functions(module)
    node = defs.get(function)
    if node is None:
        return None
    try:
        return _line(node, defs, code) or node.lineno
    except RecursionError:
        return node.lineno


@lru_cache(maxsize=16)
def _parse(path: str, mtime_ns: int, size: int) -> Optional[ast.Module]:
    if size > _LARGEST:
        return None
    try:
        with tokenize.open(path) as handle:  # honours the file's `# coding:` line, as Python does
            return ast.parse(handle.read())
    except (OSError, SyntaxError, ValueError, UnicodeDecodeError, RecursionError, MemoryError):
        return None


def _top_level_functions(module: ast.Module) -> dict[str, ast.FunctionDef]:
    defs: dict[str, ast.FunctionDef] = {}
    for node in module.body:
        if isinstance(node, ast.FunctionDef):
            defs[node.name] = node  # the last definition is the one Python keeps
    return defs


def _line(node: ast.FunctionDef, defs: dict[str, ast.FunctionDef], code: Optional[str]) -> Optional[int]:
    if code in _LOSS:
        return _loss_line(node, defs, depth=0)
    if code in _UPDATE:
        return _first_call(node, "SGD") or _update_line(node)
    if code == "grad-not-cleared":
        return _first_call(node, "step") or _update_line(node)
    if code == "zero-grad-before-step":
        return _first_call(node, "zero_grad") or _first_call(node, "zero_")
    if code == "step-before-backward":
        return _first_call(node, "step")
    if code == "wrong-epochs":
        return next((n.lineno for n in _walk(node) if isinstance(n, (ast.For, ast.While))), None)
    return None


def _walk(node: ast.AST) -> Iterator[ast.AST]:
    """The nodes under ``node`` (nested functions' bodies included), in source order."""
    nodes = [n for n in ast.walk(node) if hasattr(n, "lineno") and n is not node]
    return iter(sorted(nodes, key=lambda n: (n.lineno, getattr(n, "col_offset", 0))))


def _called(node: ast.AST) -> Optional[str]:
    """The name a call calls: ``f(...)`` -> f, ``a.b.f(...)`` -> f."""
    if not isinstance(node, ast.Call):
        return None
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def _first_call(node: ast.FunctionDef, name: str) -> Optional[int]:
    return next((n.lineno for n in _walk(node) if isinstance(n, ast.Call) and _called(n) == name), None)


def _assignments(node: ast.FunctionDef, name: str) -> list[ast.stmt]:
    """The statements of ``node`` that bind ``name`` (``name = …``, ``name: T = …``, ``name += …``), in order."""
    found: list[ast.stmt] = []
    for n in _walk(node):
        targets = n.targets if isinstance(n, ast.Assign) else [n.target] if isinstance(n, (ast.AnnAssign, ast.AugAssign)) else []
        if isinstance(n, ast.stmt) and any(isinstance(t, ast.Name) and t.id == name for target in targets for t in ast.walk(target)):
            found.append(n)
    return found


def _loss_line(node: ast.FunctionDef, defs: dict[str, ast.FunctionDef], depth: int) -> Optional[int]:
    backward = next((n for n in _walk(node) if _called(n) == "backward" and isinstance(n, ast.Call)), None)
    if backward is not None:
        assert isinstance(backward, ast.Call) and isinstance(backward.func, ast.Attribute)
        receiver = backward.func.value
        if not isinstance(receiver, ast.Name):
            return _value_line(receiver, node, defs, depth) or backward.lineno
        bound = [a for a in _assignments(node, receiver.id) if a.lineno <= backward.lineno]
        if not bound:
            return backward.lineno
        last = bound[-1]
        assigned = getattr(last, "value", None)
        return (_value_line(assigned, node, defs, depth) if assigned is not None else None) or last.lineno
    # A function that returns the loss (sse_loss, mse_loss): its return.
    returned = [n for n in _walk(node) if isinstance(n, ast.Return) and n.value is not None]
    if not returned:
        return None
    value: Optional[ast.expr] = returned[-1].value
    if isinstance(value, ast.Name):
        bound = _assignments(node, value.id)
        if bound:
            inner = getattr(bound[-1], "value", None)
            return (_value_line(inner, node, defs, depth) if inner is not None else None) or bound[-1].lineno
    return (_value_line(value, node, defs, depth) if value is not None else None) or returned[-1].lineno


def _value_line(value: ast.AST, node: ast.FunctionDef, defs: dict[str, ast.FunctionDef], depth: int) -> Optional[int]:
    """Where the loss that ``value`` computes is decided, when that is elsewhere than ``value``'s own line."""
    if not isinstance(value, ast.Call) or not isinstance(value.func, ast.Name) or depth >= 3:
        return getattr(value, "lineno", None)
    callee = value.func.id
    local: list[ast.stmt] = _assignments(node, callee) + [n for n in _walk(node) if isinstance(n, ast.FunctionDef) and n.name == callee]
    if local:
        # loss_fn = nn.MSELoss(reduction="sum"), loss_fn = lambda …, def loss_fn(…): the loss is decided there.
        return local[-1].lineno
    if callee in defs and defs[callee] is not node:
        return _loss_line(defs[callee], defs, depth + 1) or defs[callee].lineno
    return value.lineno


def _update_line(node: ast.FunctionDef) -> Optional[int]:
    """The first assignment that reads a gradient: the update step."""
    for n in _walk(node):
        if isinstance(n, (ast.Assign, ast.AugAssign)):
            reads = any(isinstance(a, ast.Attribute) and a.attr == "grad" for a in ast.walk(n.value))
            targets = n.targets if isinstance(n, ast.Assign) else [n.target]
            clears = all(isinstance(t, ast.Attribute) and t.attr == "grad" for t in targets)
            if reads and not clears:
                return n.lineno
    return None
