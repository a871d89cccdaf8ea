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
import functools
from dataclasses import dataclass
from typing import Any, Iterator, Optional, Union

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


def _all_definitions(source: str) -> dict[str, list[ast.AST]]:
    """Every function, method, class and lambda bound to a name anywhere in the module, by that name."""
    out: dict[str, list[ast.AST]] = {}
    for node in ast.walk(parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.setdefault(node.name, []).append(node)
        elif isinstance(node, ast.Assign) and isinstance(node.value, (ast.Lambda, ast.Call)):
            # helper = lambda ...: ...  /  helper = staticmethod(...), functools.partial(...)
            for target in node.targets:
                for sub in ast.walk(target):
                    if isinstance(sub, ast.Name):
                        out.setdefault(sub.id, []).append(node.value)
                    elif isinstance(sub, ast.Attribute):
                        out.setdefault(sub.attr, []).append(node.value)
    return out


def _reach(source: str, name: str) -> list[ast.AST]:
    """The function ``name`` and everything it can reach by name, transitively.

    A name used in any way counts, not only a call: a loop moved into a method,
    a class, a decorator, a lambda, a nested function or a helper handed to
    ``map`` is still reached.  Names are matched by their last component
    (``Grid.compute`` reaches every ``compute``), which can only add code.
    """
    definitions = _all_definitions(source)
    top = _top_functions(source)
    if name in top:
        todo: list[ast.AST] = [top[name]]
    else:
        # Bound some other way (name = make(), name = helper, a loop over globals()):
        # what the name is bound to, or, where no binding can be read, the whole module.
        todo = _bindings(parse(source), name) or list(parse(source).body)
    # What the module hands to a thread, a process or a pool runs beside the call, whoever names it.
    todo += _started_elsewhere(parse(source))
    seen: set[int] = set()
    out: list[ast.AST] = []
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        out.append(current)
        local = _locals(current)
        for node in ast.walk(current):
            referred = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None
            if isinstance(node, ast.Name) and referred in local:
                continue  # a parameter or local variable, not the module's name of the same spelling
            if referred is not None and referred in definitions:
                todo.extend(definitions[referred])
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                todo.extend(node.decorator_list)
    # A root inside another (a lambda or a call bound to a name in the function) is walked with it already.
    inner = {id(n) for root in out for n in ast.walk(root) if n is not root}
    return [root for root in out if id(root) not in inner]


# Calls that run a function given to them in another thread or process.
_STARTERS = frozenset({"Thread", "Process", "Timer", "start_new_thread", "submit", "apply_async", "map_async", "run_in_executor", "call_soon_threadsafe"})


def _started_elsewhere(tree: ast.Module) -> list[ast.AST]:
    """The functions the module starts in a thread, a process or a pool (``Thread(target=serve)``)."""
    found: list[ast.AST] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        called = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id if isinstance(node.func, ast.Name) else None
        found += [k.value for k in node.keywords if k.arg in ("target", "function", "fn", "func")]
        if called in _STARTERS:
            found += node.args
    return found


def _bindings(tree: ast.Module, name: str) -> list[ast.AST]:
    """The values a module-level statement binds to ``name`` (``name = ...``, ``name: T = ...``,
    ``import ... as name``); a binding inside ``if``/``try``/``with`` counts too."""
    found: list[ast.AST] = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in ast.walk(ast.Tuple(elts=node.targets))):
            found.append(node.value)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.NamedExpr)) and isinstance(node.target, ast.Name) and node.target.id == name and node.value is not None:
            found.append(node.value)
        elif isinstance(node, (ast.Import, ast.ImportFrom)) and any((a.asname or a.name) == name for a in node.names):
            found.append(node)
    return found


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
# loops


SMALL_LOOP = 8  # a loop over at most this many literal items (`for t in (w0, w1, x, y)`) is not a loop over the grid


def python_loops(source: str, name: str) -> list[int]:
    """The lines of every ``for``/``while``/comprehension that ``name``'s code runs (helpers included).

    A loop over a literal tuple or list, or a ``range`` of a literal number,
    of at most SMALL_LOOP items is left out: it cannot be a loop over the grid.
    """
    lines = []
    aliases = _iterating_aliases(source)
    # import functools as ft: ft.reduce is functools.reduce
    functools_names = {"functools"} | {a.asname for n in ast.walk(parse(source)) if isinstance(n, ast.Import) for a in n.names if a.name == "functools" and a.asname}
    for root in _reach(source, name):
        for node in ast.walk(root):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in aliases and node.args:
                lines.append(node.lineno)  # each = map; each(torch.sub, rows): map under another name
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
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "reduce" and isinstance(node.func.value, ast.Name) and node.func.value.id in functools_names:
                lines.append(node.lineno)
            elif isinstance(node, ast.Call) and _iterates(node.func):
                # an executor's map, itertools.starmap over torch functions: a loop whose body has no Python frame
                lines.append(node.lineno)
    lines += _recursion(source, name)
    return sorted(set(lines))


# Calls that run a function once per item: a Python loop, whoever writes the `for`.
ITERATING = frozenset({"map", "starmap", "imap", "imap_unordered", "map_async", "starmap_async", "accumulate", "filterfalse", "takewhile", "dropwhile", "submit"})


def _iterating_aliases(source: str) -> set[str]:
    """Names bound anywhere to an iterating builtin or helper (``each = map``,
    ``from itertools import starmap as each``, ``run = pool.map``)."""
    iterating = ITERATING | {"filter", "reduce"}
    aliases: set[str] = set()
    for node in ast.walk(parse(source)):
        if isinstance(node, ast.Assign):
            named = _named_by(node.value)
            if named in iterating or named in aliases:
                aliases |= {t.id for target in node.targets for t in ast.walk(target) if isinstance(t, ast.Name)}
        elif isinstance(node, ast.ImportFrom):
            aliases |= {a.asname for a in node.names if a.asname and a.name in iterating}
    return aliases


def _named_by(value: ast.AST) -> Optional[str]:
    """The name a value fetches: ``map``, ``pool.map``, ``getattr(builtins, "map")``, ``vars(builtins)["map"]``."""
    if isinstance(value, ast.Name):
        return value.id
    if isinstance(value, ast.Attribute):
        return value.attr
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "getattr" and len(value.args) >= 2:
        key = value.args[1]
    elif isinstance(value, ast.Subscript):
        key = value.slice
    else:
        return None
    return key.value if isinstance(key, ast.Constant) and isinstance(key.value, str) else None


def _iterates(func: ast.AST) -> bool:
    if isinstance(func, ast.Name):
        return func.id in ITERATING - {"map", "submit"} or func.id == "starmap"
    return isinstance(func, ast.Attribute) and func.attr in ITERATING


def _recursion(source: str, name: str) -> list[int]:
    """The definitions, among what ``name`` reaches, that reach themselves (directly, or through
    each other): recursion is a loop.

    Linear in the size of the module: the names each definition refers to are
    read once, and the names that reach each other are found once (their
    strongly connected components), so a file of thousands of functions that
    all name one huge one costs one reading of each.
    """
    component = _components(source)
    found = []
    for root in _reach(source, name):
        for fn in ast.walk(root):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            own = fn.name
            refs = _refers_to(fn)
            # fn refers to r and r reaches own again: r and own reach each other
            if own in refs or any(component.get(r, -1) == component.get(own) for r in refs):
                found.append(fn.lineno)
    return found


def _locals(node: ast.AST) -> set[str]:
    """The names a function binds for itself (parameters, assignments): inside it they are not
    the module's names of the same spelling."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return _bound_locally(node)
    if isinstance(node, ast.Lambda):
        return {a.arg for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs}
    return set()


def _refers_to(node: ast.AST) -> set[str]:
    """The names ``node``'s code refers to: by name (not its own parameters and locals), or as
    self.name / cls.name (torch.sum in a helper named sum is no recursion)."""
    names = set()
    local = _locals(node)
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and n.id not in local:
            names.add(n.id)
        elif isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id in ("self", "cls"):
            names.add(n.attr)
    return names


@functools.lru_cache(maxsize=8)
def _components(source: str) -> dict[str, int]:
    """Each defined name's strongly connected component in the graph 'a definition of a refers to b'."""
    definitions = _all_definitions(source)
    edges = {name: sorted(set().union(*(_refers_to(d) for d in nodes)) & definitions.keys()) for name, nodes in definitions.items()}
    # Tarjan's algorithm, iteratively (a long chain of definitions must not exhaust the stack).
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    component: dict[str, int] = {}
    counter = 0
    for start in edges:
        if start in index:
            continue
        work = [(start, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            successors = edges[node]
            if i < len(successors):
                work.append((node, i + 1))
                nxt = successors[i]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component[member] = index[node]
                    if member == node:
                        break
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return component


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
     "__closure__", "cell_contents", "__globals__",
     # editing code objects: a relabelled co_filename hides a loop from the line counter
     "__code__", "CodeType", "FunctionType", "co_filename", "co_code", "co_name", "co_firstlineno", "co_lines",
     "co_consts", "co_names", "co_varnames", "co_qualname", "marshal", "SourceFileLoader", "spec_from_file_location",
     "module_from_spec", "exec_module", "run_path", "run_module", "import_module"}
)


HIDDEN_CODE = frozenset({"exec", "eval", "compile", "__import__"})
FRAME_ACCESS = frozenset({"currentframe", "stack", "getouterframes", "getinnerframes", "trace", "_current_frames", "call_tracing"})


@dataclass(frozen=True)
class Finding:
    """One place in the source: its line and what was found there."""

    line: int
    what: str


# Modules whose attributes, fetched by a name computed at run time, reach the worker's
# instruments or build code (getattr(gc, "get_" + "objects"), getattr(builtins, "com" + "pile")).
INTROSPECTIVE = frozenset({"gc", "builtins", "__builtins__", "sys", "types", "marshal", "inspect", "ctypes", "_thread", "threading", "importlib", "runpy"})


def _introspective_names(tree: ast.Module) -> set[str]:
    """The names under which the module imports an introspective module (``import gc as g`` gives g)."""
    names = {"__builtins__"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names if a.name.split(".")[0] in INTROSPECTIVE}
    return names


def tampering(source: str) -> Optional[Finding]:
    """The first use of the worker's instruments (``sys.settrace``, the spies, frames, the gc's object list)."""
    tree = parse(source)
    introspective = _introspective_names(tree)
    for node in ast.walk(tree):
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
        elif isinstance(node, ast.keyword) and node.arg is not None and node.arg.startswith("co_"):
            # code.replace(co_filename=...): a code object made to pass for another
            name = f"{node.arg}="
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("getattr", "setattr", "delattr")
              and len(node.args) >= 2 and not isinstance(node.args[1], ast.Constant)
              and isinstance(node.args[0], ast.Name) and node.args[0].id in introspective):
            # a name the reading cannot see: getattr(gc, "get_" + "objects")
            name = f"{node.func.id}({node.args[0].id}, ...)"
        elif isinstance(node, (ast.Import, ast.ImportFrom)) and any((a.name if isinstance(node, ast.Import) else (node.module or "")).split(".")[0] in ("marshal", "runpy", "_thread") for a in node.names):
            name = "import " + ", ".join(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module in ("marshal", "runpy", "types") and any(a.name in TAMPER_NAMES for a in node.names):
            name = f"from {node.module} import ..."
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


def globals_read(source: str, name: str, data_names: frozenset[str] = frozenset()) -> list[Finding]:
    """Data the module (or an earlier notebook cell) defines that ``name`` reads instead of an argument.

    Only names bound to data at the top level count, and among them only the
    exercise's data (``data_names``: what the pack's setup binds, such as X, y,
    What) and the function's own parameters' names: a global constant, a
    module-level loss_fn or a helper table is no mistake, and blaming it would
    hide the real one.  One finding per name, at its first use.
    """
    fn = function(source, name)
    if fn is None:
        return []
    local = _bound_locally(fn)
    arguments = {a.arg for a in (*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs)}
    data = (_module_data(source) - set(_top_functions(source)) - set(dir(builtins))) & (arguments | set(data_names))
    data |= _derived(source, data) - set(dir(builtins))
    found: dict[str, int] = {}
    for node in ast.walk(fn):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in data and node.id not in local:
            found.setdefault(node.id, node.lineno)
    return [Finding(line, global_name) for global_name, line in sorted(found.items(), key=lambda kv: kv[1])]


def _derived(source: str, data: set[str]) -> set[str]:
    """Top-level names bound from the data (``Xg = X``, ``X2 = X.clone()``, ``Xs, ys = X, y``): data too."""
    derived: set[str] = set()
    assignments = [n for node in _module_level(source) for n in ast.walk(node) if isinstance(n, (ast.Assign, ast.AnnAssign)) and n.value is not None]
    for _ in range(8):  # aliases of aliases, a few deep
        known = data | derived
        grown = False
        for node in assignments:
            assert node.value is not None
            if {n.id for n in ast.walk(node.value) if isinstance(n, ast.Name)} & known:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    for sub in ast.walk(target):
                        if isinstance(sub, ast.Name) and sub.id not in known:
                            derived.add(sub.id)
                            grown = True
        if not grown:
            break
    return derived


def module_names(source: str) -> set[str]:
    """Every name the module binds to data at its top level."""
    return _module_data(source) - set(_top_functions(source))


def rebound_later(source: str, function_name: str, global_name: str) -> Optional[Finding]:
    """In a notebook: a code cell after ``function_name``'s that binds ``global_name`` again.

    The function reads the global when it is called, so the value it sees is
    the later cell's, not the one beside its definition.
    """
    fn = function(source, function_name)
    if fn is None:
        return None
    defined_cell = cell_line(source, fn.lineno)[0]
    for node in _module_level(source):
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and sub.id == global_name and isinstance(sub.ctx, ast.Store) and sub.lineno > fn.lineno:
                cell = cell_line(source, sub.lineno)[0]
                if cell > defined_cell:
                    return Finding(sub.lineno, ast.get_source_segment(source, node) or global_name)
    return None


def first_use(source: str, name: str, what: str) -> Optional[Finding]:
    """The first line of ``name``'s code (helpers included) that mentions ``what``."""
    for root in _reach(source, name):
        for node in _walk_in_order(root):
            if (isinstance(node, ast.Name) and node.id == what) or (isinstance(node, ast.Attribute) and node.attr == what):
                return Finding(node.lineno, _line_at(source, node.lineno))
    return None


def _line_at(source: str, line: int) -> str:
    lines = source.splitlines()
    return lines[line - 1].strip() if 0 < line <= len(lines) else ""


MUTABLE = (ast.List, ast.Dict, ast.Set, ast.ListComp, ast.DictComp, ast.SetComp)


def mutable_defaults(source: str, name: str) -> list[Finding]:
    """Default arguments of ``name`` that are lists, dicts or sets: made once, shared by every call (``what``: the argument)."""
    fn = function(source, name)
    if fn is None:
        return []
    found = []
    positional = fn.args.posonlyargs + fn.args.args
    pairs = list(zip(positional[len(positional) - len(fn.args.defaults):], fn.args.defaults)) + [(a, d) for a, d in zip(fn.args.kwonlyargs, fn.args.kw_defaults) if d is not None]
    for argument, node in pairs:
        if isinstance(node, MUTABLE) or (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("list", "dict", "set")):
            found.append(Finding(node.lineno, argument.arg))
    return found


CONVERSIONS = ("item", "tolist", "numpy")


def conversions(source: str, name: str) -> list[Finding]:
    """Where ``name`` turns a tensor into Python numbers: ``.item()``, ``.tolist()``, ``.numpy()``, ``float(...)``."""
    found = []
    for root in _reach(source, name):
        for node in _walk_in_order(root):
            if isinstance(node, ast.Call):
                if isinstance(node.func, ast.Attribute) and node.func.attr in CONVERSIONS:
                    found.append(Finding(node.lineno, _line_at(source, node.lineno)))
                elif isinstance(node.func, ast.Name) and node.func.id == "float" and node.args:
                    found.append(Finding(node.lineno, _line_at(source, node.lineno)))
    return found


CASTS = ("float", "double", "half", "bfloat16")
_DTYPES = ("float32", "float64", "float", "double", "half", "float16", "bfloat16")


def casts(source: str, name: str) -> list[Finding]:
    """Where ``name`` fixes a dtype: ``.float()``, ``.double()``, ``.to(torch.float32)``, ``dtype=torch.float32``.

    Then, where it builds a tensor from Python numbers without a dtype
    (``torch.tensor(W.tolist())``: float32, whatever the inputs were).
    """
    explicit, built = [], []
    for root in _reach(source, name):
        for node in _walk_in_order(root):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in CASTS and not node.args:
                explicit.append(Finding(node.lineno, _line_at(source, node.lineno)))
            elif isinstance(func, ast.Attribute) and func.attr == "to" and any(_is_dtype(a) for a in node.args):
                explicit.append(Finding(node.lineno, _line_at(source, node.lineno)))
            elif any(k.arg == "dtype" and _is_dtype(k.value) for k in node.keywords):
                explicit.append(Finding(node.lineno, _line_at(source, node.lineno)))
            elif _dotted(func) in ("torch.tensor", "torch.Tensor", "torch.FloatTensor", "torch.as_tensor") and not any(k.arg == "dtype" for k in node.keywords):
                built.append(Finding(node.lineno, _line_at(source, node.lineno)))
    return explicit + built


def _is_dtype(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr in _DTYPES


def no_grad_forward(source: str, name: str, parameter: str) -> Optional[Finding]:
    """A ``with torch.no_grad():`` block in ``name`` whose body computes with ``parameter`` and is later differentiated.

    Under ``no_grad`` the forward pass records nothing, so ``loss.backward()``
    has no graph: the forward belongs outside it (only the update goes inside).
    """
    fn = function(source, name)
    if fn is None:
        return None
    backward = any(isinstance(n, ast.Attribute) and n.attr == "backward" for n in ast.walk(fn))
    if not backward:
        return None
    for node in ast.walk(fn):
        if isinstance(node, ast.With) and any("no_grad" in _dotted(item.context_expr.func if isinstance(item.context_expr, ast.Call) else item.context_expr) for item in node.items):
            for statement in node.body:
                if isinstance(statement, ast.Assign) and not _assigns_parameter(statement, parameter):
                    uses = any(isinstance(n, ast.Name) and n.id == parameter for n in ast.walk(statement.value))
                    if uses:
                        return Finding(statement.lineno, _line_at(source, statement.lineno))
    return None


def _assigns_parameter(statement: ast.Assign, parameter: str) -> bool:
    for target in statement.targets:
        base = target
        while isinstance(base, (ast.Attribute, ast.Subscript)):
            base = base.value
        if isinstance(base, ast.Name) and base.id == parameter:
            return True
    return False


def optimizer_options(source: str, name: str) -> list[tuple[Finding, dict[str, str]]]:
    """Every ``torch.optim`` class ``name`` builds, with the keyword options written in its call."""
    found = []
    seen: set[int] = set()
    for root in _reach(source, name) + list(_module_level(source)):
        for node in _walk_in_order(root):
            if isinstance(node, ast.Call) and id(node) not in seen and len(_dotted(node.func).split(".")) >= 2 and _dotted(node.func).split(".")[-2] == "optim":
                seen.add(id(node))
                options = {k.arg: ast.unparse(k.value) for k in node.keywords if k.arg}
                found.append((Finding(node.lineno, _line_at(source, node.lineno)), options))
    return found


def optimizers(source: str, name: str) -> list[Finding]:
    """The ``torch.optim`` classes ``name``'s code builds (``what``: the class name)."""
    return [Finding(finding.line, _dotted_class(source, finding.line)) for finding, _ in optimizer_options(source, name)]


def _dotted_class(source: str, line: int) -> str:
    """The optimizer class named on ``line`` (``torch.optim.Adam(...)`` -> ``Adam``)."""
    for node in ast.walk(parse(source)):
        if isinstance(node, ast.Call) and getattr(node, "lineno", 0) == line:
            parts = _dotted(node.func).split(".")
            if len(parts) >= 2 and parts[-2] == "optim":
                return parts[-1]
    return "?"


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
