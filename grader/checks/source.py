"""Reading a submission's source in the grader process (never in the worker).

What the worker reports about itself (API spy events, the line counter) lives
in the student's process and can be edited there; the source text cannot.  The
structure checks (exercise 4's nn.Linear / MSELoss / SGD, exercise 5's "no
Python loop"), ``tampering``, ``uses-global`` and the line of a rebinding are
decided here, with Python's ``ast``, from the file the grader was given.

Everything but :func:`read` is a pure function over source text.  A source that
does not parse gives the answers of an empty module: the checks then fall back
on what the run showed.
"""
from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass
from typing import Iterator, Optional, Union

from grader.intake import reading
from grader.intake.reading import CELL_MARK, Caps, cell_python, python_text  # noqa: F401  (read here by grader.checks and its tests)

FunctionNode = Union[ast.FunctionDef, ast.AsyncFunctionDef]


def read(path: str, kind: Optional[str] = None, caps: Optional[Caps] = None) -> str:
    """The Python source of a submission: a ``.py`` file, or a notebook's code cells in order.

    Notebook lines that IPython would not hand to Python (``%magic``, ``!shell``)
    become blank lines, so that every other line keeps its place within its cell.
    An unreadable file, or one over the grader's caps (:class:`grader.intake.reading.Caps`),
    gives ``""``: ``grade`` refuses those before any check reads them.
    """
    code = reading.load(path, kind, caps or Caps())
    return "" if isinstance(code, reading.Oversize) else reading.python_of(code)


def cell_line(text: str, line: int) -> tuple[int, int]:
    """(code cell, line within it) of a line of :func:`read`'s notebook text; (0, line) outside cells."""
    lines = text.splitlines()
    for index in range(min(line, len(lines)) - 1, -1, -1):
        if lines[index].startswith(CELL_MARK):
            try:
                return int(lines[index][len(CELL_MARK):]), line - index - 1
            except ValueError:
                break
    return 0, line


def parse(source: str) -> ast.Module:
    """The module's tree; an empty module when the text does not parse.

    Shared with every other reader of the same text, through a cache bounded in
    characters of source (:func:`grader.intake.reading.tree`): do not modify it.
    """
    return reading.tree(source) or ast.Module(body=[], type_ignores=[])


def function(source: str, name: str) -> Optional[FunctionNode]:
    """The last top-level definition of ``name`` (the one Python would call)."""
    found = None
    for node in parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            found = node
    return found


def _top_functions(source: str) -> dict[str, FunctionNode]:
    out: dict[str, FunctionNode] = {}
    for node in parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out[node.name] = node
    return out


def _reach(source: str, name: str) -> list[ast.AST]:
    """The function ``name`` and every top-level function it calls by name, transitively."""
    functions = _top_functions(source)
    seen: list[str] = []
    todo = [name]
    while todo:
        current = todo.pop()
        if current in seen or current not in functions:
            continue
        seen.append(current)
        for node in ast.walk(functions[current]):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                todo.append(node.func.id)
    return [functions[n] for n in seen]


def _module_level(source: str) -> list[ast.stmt]:
    return [n for n in parse(source).body if not isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]


def _dotted(node: ast.AST) -> str:
    """``torch.nn.MSELoss`` for an attribute chain; the last name for anything else."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def _call_names(nodes: list[ast.AST]) -> set[str]:
    """The last component of every name called or referred to (``MSELoss``, ``step``, ...)."""
    names: set[str] = set()
    for root in nodes:
        for node in ast.walk(root):
            if isinstance(node, ast.Attribute):
                names.add(node.attr)
            elif isinstance(node, ast.Name):
                names.add(node.id)
            elif isinstance(node, ast.alias):
                names.add((node.asname or node.name).rsplit(".", 1)[-1])
                names.add(node.name.rsplit(".", 1)[-1])
    return names


# --------------------------------------------------------------------------
# exercise 4: the PyTorch pattern


API = (("torch.nn.MSELoss", ("MSELoss", "mse_loss")), ("torch.optim.SGD", ("SGD",)), ("optimizr.step()", ("step",)))


def missing_api(source: str, name: str) -> Optional[list[str]]:
    """The parts of the lecture's pattern that ``name``'s code never mentions.

    Looks at the function, the top-level functions it calls, and the module's
    own statements (a ``loss_fn`` made once at the top counts).  ``None`` when
    the function is not in the source (the run decides then).
    """
    if function(source, name) is None:
        return None
    names = _call_names(_reach(source, name) + list(_module_level(source)))
    aliases = _import_aliases(source)
    names |= {aliases[n] for n in names if n in aliases}
    return [label for label, accepted in API if not any(a in names for a in accepted)]


def _import_aliases(source: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for node in ast.walk(parse(source)):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.asname:
                    out[alias.asname] = alias.name.rsplit(".", 1)[-1]
    return out


# --------------------------------------------------------------------------
# exercise 5: loops


SMALL_LOOP = 3  # a loop over at most this many literal items (`for t in (x, y)`) is not a loop over the grid


def python_loops(source: str, name: str) -> list[int]:
    """The lines of every ``for``/``while``/comprehension that ``name``'s code runs (helpers included).

    A loop over a literal tuple or list, or a ``range`` of a literal number,
    of at most SMALL_LOOP items is left out: it cannot be a loop over the grid.
    """
    lines = []
    for root in _reach(source, name):
        for node in ast.walk(root):
            if isinstance(node, ast.While):
                lines.append(node.lineno)
            elif isinstance(node, (ast.For, ast.AsyncFor)) and not _small(node.iter):
                lines.append(node.lineno)
            elif isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
                if not all(_small(g.iter) for g in node.generators):
                    lines.append(node.lineno)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("map", "filter", "reduce") and node.args:
                # map(lambda ...) over the grid is a Python loop written as a call.
                lines.append(node.lineno)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "reduce" and isinstance(node.func.value, ast.Name) and node.func.value.id == "functools":
                lines.append(node.lineno)
    return sorted(lines)


def _small(iterable: ast.AST) -> bool:
    if isinstance(iterable, (ast.Tuple, ast.List)):
        return len(iterable.elts) <= SMALL_LOOP
    if isinstance(iterable, ast.Call) and isinstance(iterable.func, ast.Name) and iterable.func.id == "range":
        bounds = iterable.args
        return bool(bounds) and all(isinstance(b, ast.Constant) and isinstance(b.value, int) for b in bounds) and len(range(*[b.value for b in bounds][:3])) <= SMALL_LOOP  # type: ignore[attr-defined]
    return False


# --------------------------------------------------------------------------
# tampering with the worker


# Names whose only use in an exercise is to blind or edit the worker's own
# instruments: the tracer that counts lines, the spies on the torch API, and
# the frames and objects of the process around the student's call.
TAMPER_NAMES = frozenset(
    {"settrace", "setprofile", "gettrace", "getprofile", "_getframe", "f_back", "f_locals", "f_globals",
     "get_objects", "get_referrers", "get_referents", "__wrapped__", "Spy", "spy", "_LineCounter", "tb_frame",
     "__closure__", "cell_contents", "__globals__"}
)


HIDDEN_CODE = frozenset({"exec", "eval", "compile", "__import__"})
FRAME_ACCESS = frozenset({"currentframe", "stack", "getouterframes", "getinnerframes", "trace", "_current_frames", "call_tracing"})


@dataclass(frozen=True)
class Finding:
    """One place in the source: its line and what was found there."""

    line: int
    what: str


def tampering(source: str) -> Optional[Finding]:
    """The first use of the worker's instruments (``sys.settrace``, the spies, frames, the gc's object list)."""
    for node in ast.walk(parse(source)):
        name = None
        if isinstance(node, ast.Attribute) and node.attr in TAMPER_NAMES:
            name = _dotted(node) or node.attr
        elif isinstance(node, ast.Name) and node.id in TAMPER_NAMES:
            name = node.id
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in TAMPER_NAMES:
            name = repr(node.value)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in HIDDEN_CODE:
            # Code built at run time (exec, eval, compile) is code this reading never sees.
            name = node.func.id
        elif isinstance(node, ast.Attribute) and node.attr in FRAME_ACCESS and isinstance(node.value, ast.Name) and node.value.id in ("inspect", "sys"):
            name = _dotted(node) or node.attr
        if name is not None:
            return Finding(getattr(node, "lineno", 0), name)
    return None


# --------------------------------------------------------------------------
# globals read instead of arguments


def _bound_locally(fn: FunctionNode) -> set[str]:
    args = fn.args
    bound = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}
    if args.vararg:
        bound.add(args.vararg.arg)
    if args.kwarg:
        bound.add(args.kwarg.arg)
    declared_global: set[str] = set()
    for node in ast.walk(fn):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            bound.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node is not fn:
            bound.add(node.name)
            inner = node.args if not isinstance(node, ast.ClassDef) else None
            if inner is not None:
                bound |= {a.arg for a in inner.posonlyargs + inner.args + inner.kwonlyargs}
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, ast.Global):
            declared_global |= set(node.names)
    return bound - declared_global


def _module_data(source: str) -> set[str]:
    """Names the module binds to data (not to functions, classes or imports)."""
    names: set[str] = set()
    for node in _module_level(source):
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                names.add(sub.id)
    return names


LECTURE_DATA = frozenset({"x", "X", "y", "What", "eps", "yhat", "net", "optimizr", "loss_fn"})


def globals_read(source: str, name: str) -> list[Finding]:
    """Data the module (or an earlier notebook cell) defines that ``name`` reads instead of an argument.

    Only names bound to data at the top level count (``X``, ``y``, ``What``,
    ``x`` ...); functions, imports and builtins do not.  One finding per name,
    at its first use.
    """
    fn = function(source, name)
    if fn is None:
        return []
    local = _bound_locally(fn)
    # Only the lecture's data and the function's own parameters: a global constant,
    # a module-level loss_fn or a helper table is no mistake, and blaming it would
    # hide the real one.
    arguments = {a.arg for a in (*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs)}
    data = (_module_data(source) - set(_top_functions(source)) - set(dir(builtins))) & (arguments | LECTURE_DATA)
    found: dict[str, int] = {}
    for node in ast.walk(fn):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in data and node.id not in local:
            found.setdefault(node.id, node.lineno)
    return [Finding(line, global_name) for global_name, line in sorted(found.items(), key=lambda kv: kv[1])]


# --------------------------------------------------------------------------
# rebinding the parameter


def rebinding(source: str, name: str, parameter: str) -> Optional[Finding]:
    """The first line of ``name`` that binds ``parameter`` (``What = ...``) to a new object.

    An assignment to the name itself, not to ``What.data`` or ``What[...]``:
    after it, the caller's tensor no longer changes.
    """
    fn = function(source, name)
    if fn is None:
        return None
    for node in _walk_in_order(fn):
        targets: list[ast.AST] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            # `What -= ...` rebinds only if it is not in place; in-place is an error of its own
            targets = [node.target] if isinstance(node, ast.AnnAssign) else []
        for target in targets:
            for sub in ast.walk(target):
                if isinstance(sub, ast.Name) and sub.id == parameter and isinstance(sub.ctx, ast.Store):
                    return Finding(getattr(node, "lineno", 0), ast.get_source_segment(source, node) or f"{parameter} = ...")
    return None


def _walk_in_order(root: ast.AST) -> Iterator[ast.AST]:
    """Nodes in source order (ast.walk is breadth-first)."""
    nodes = [n for n in ast.walk(root) if hasattr(n, "lineno")]
    return iter(sorted(nodes, key=lambda n: (n.lineno, getattr(n, "col_offset", 0))))


def parameters(source: str, name: str) -> list[str]:
    """The parameter names of ``name`` as the student wrote them."""
    fn = function(source, name)
    if fn is None:
        return []
    return [a.arg for a in fn.args.posonlyargs + fn.args.args]
