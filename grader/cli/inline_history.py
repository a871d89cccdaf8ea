"""What the in-notebook check reads of the kernel: its history, the notebook as it is now, and the
globals a graded function reads (``grader.cli.inline`` builds its notes from these).

Nothing here binds anything in the student's namespace or runs student code.
"""
from __future__ import annotations

import ast
import dis
import functools
import math
import os
import sys
import time
import types
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Optional

PIP_LINE = ("%pip", "!pip", "%conda", "!conda", "!apt", "%%capture")


@dataclass(frozen=True)
class Note:
    """A warning about the kernel's history, as a catalogue message key and its parameters."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)


def note_html(note: str) -> str:
    from grader.report.html import code_spans

    return f'<p class="notice" role="note">{code_spans(note)}</p>'


def kernel_history(shell: Any) -> list[tuple[int, str]]:
    """``(execution count, source)`` of the cells this kernel has run, in order, the running one included.

    From the history manager (the same list as ``In``, which the student may
    rebind).  Cells that only install packages are left out: the replay does
    not need them, and the sandbox has no network.
    """
    manager = getattr(shell, "history_manager", None)
    raw = list(getattr(manager, "input_hist_raw", None) or shell.user_ns.get("In", []))
    out = []
    for count, source in enumerate(raw):
        if count == 0 or not isinstance(source, str) or not source.strip():
            continue
        if only_setup(source):
            continue
        out.append((count, source))
    return out


def only_setup(source: str) -> bool:
    lines = [line.strip() for line in source.splitlines() if line.strip() and not line.strip().startswith("#")]
    return bool(lines) and all(line.startswith(PIP_LINE) for line in lines)


# -- what the history hides ---------------------------------------------------


def history_notes(shell: Any, history: list[tuple[int, str]], functions: Iterable[str], notebook: Optional[str] = None) -> list[Note]:
    """Where the grade depends on more than the notebook shows: stale cells, and globals read by the graded functions.

    A stale cell is named only for the definitions the grade depends on
    (:func:`grade_dependencies`): a check cell edited since it ran changes no
    grade, and is not mentioned.  Its cause is said as far as it can be known
    (:class:`Saved`): a cell edited or deleted since it ran, or a notebook not
    saved since.
    """
    functions = list(functions)
    notes: list[Note] = []
    namespace = shell.user_ns
    found = current_notebook(shell, notebook)
    if found is not None:
        current, saved = found
        # The cell running this check (the history's last) is current by definition, whatever the file says.
        current = current + [source for _, source in history[-1:]]
        depends = grade_dependencies(namespace, functions)
        # A module imported again by the notebook as it is now is the same module: not a difference.
        bound_now = set().union(*(defined_names(source) for source in current)) if current else set()
        depends -= {name for name in bound_now if isinstance(namespace.get(name), types.ModuleType)}
        if saved is not None:
            saved = Saved(saved.mtime, saved.started, dict(_RAN), time.time(), saved.path)
        notes += stale_cells(history, current, depends, saved)
    for function in functions:
        value = namespace.get(function)
        if isinstance(value, types.FunctionType):
            source_file = defined_outside_cells(shell, value)
            if source_file is not None:
                notes.append(Note("inline.not-from-cell", {"function": function, "file": source_file}))
            for name in globals_read(value, namespace):
                notes.append(Note("inline.global", {"function": function, "name": name}))
    return notes


@dataclass(frozen=True)
class Saved:
    """The saved notebook file the current cells were read from, and what is known of when cells ran.

    ``path`` is the file; ``mtime`` its last save; ``started`` when this kernel's session
    began (None if unknown); ``ran`` the time each cell began to run, for the
    cells run since the first check (:func:`watch` records them); ``now`` this
    check's time.  All in seconds since the epoch.
    """

    mtime: float
    started: Optional[float] = None
    ran: Mapping[int, float] = field(default_factory=dict)
    now: float = math.inf
    path: str = ""

    def cause(self, count: int) -> str:
        """Why the file lacks cell ``count`` as it ran: the catalogue key that says so.

        Saved before the cell could have run: the notebook was not saved since
        (``inline.unsaved``).  Saved after it surely ran: the cell was edited or
        deleted since (``inline.stale``).  In between, either
        (``inline.stale-or-unsaved``).
        """
        earliest = max([t for c, t in self.ran.items() if c <= count] + [self.started if self.started is not None else -math.inf])
        latest = min([t for c, t in self.ran.items() if c >= count] + [self.now])
        if self.mtime < earliest:
            return "inline.unsaved"
        if self.mtime > latest:
            return "inline.stale"
        return "inline.stale-or-unsaved"


def grade_dependencies(namespace: Mapping[str, Any], functions: Iterable[str]) -> set[str]:
    """The names the grade depends on: the exercise's functions and, transitively, the globals their code reads.

    A helper the function calls, a class it builds, a module it uses, data it
    reads: each is in.  Names the functions never read (a check cell's ``r``,
    a plot) are not.
    """
    wanted = list(functions)
    found: set[str] = set()
    while wanted:
        name = wanted.pop()
        if name in found:
            continue
        found.add(name)
        for code in _codes(namespace.get(name)):
            wanted += [read for read in _names_read(code) if read in namespace and read not in found]
    return found


def _codes(value: Any) -> list[types.CodeType]:
    """The code objects that run when ``value`` is called or built (a class: its methods)."""
    try:
        return _own_codes(value)
    except Exception:  # the student's objects may answer getattr in any way
        return []


def _own_codes(value: Any) -> list[types.CodeType]:
    if isinstance(value, functools.partial):
        value = value.func
    value = getattr(value, "__wrapped__", value) if callable(value) else value
    if isinstance(value, types.MethodType):
        value = value.__func__
    if isinstance(value, types.FunctionType):
        return [value.__code__]
    if isinstance(value, type) and getattr(value, "__module__", None) == "__main__":
        codes = []
        for member in vars(value).values():
            member = getattr(member, "__func__", member)
            if isinstance(member, property):
                member = member.fget
            if isinstance(member, types.FunctionType):
                codes.append(member.__code__)
        return codes
    return []


def _names_read(code: types.CodeType) -> list[str]:
    """The global names a code object (and the functions nested in it) reads."""
    found: list[str] = []
    stack = [code]
    while stack:
        current = stack.pop()
        for instruction in dis.get_instructions(current):
            if instruction.opname in ("LOAD_GLOBAL", "LOAD_NAME", "LOAD_FROM_DICT_OR_GLOBALS") and isinstance(instruction.argval, str):
                if instruction.argval not in found:
                    found.append(instruction.argval)
        stack.extend(c for c in current.co_consts if isinstance(c, types.CodeType))
    return found


# When each cell began to run, for the cells run since the first check in this kernel (Saved.ran).
_RAN: dict[int, float] = {}
_WATCHED: set[int] = set()


def watch(shell: Any) -> None:
    """From now on, note when each cell of this kernel begins to run (once per shell).

    This only adds two IPython event callbacks: nothing is bound in the
    student's namespace, and the callbacks do nothing but take the time.  The
    cell's number is read after it ran (``post_run_cell`` gets it): during a
    cell, ``shell.execution_count`` is already the next one's in IPython 9.
    """
    events = getattr(shell, "events", None)
    if events is None or id(shell) in _WATCHED:
        return
    began: list[float] = []

    def before(*_: Any) -> None:
        began[:] = [time.time()]

    def after(result: Any = None, *_: Any) -> None:
        count = getattr(result, "execution_count", None)
        if isinstance(count, int) and not isinstance(count, bool) and began:
            for later in [c for c in _RAN if c > count]:
                del _RAN[later]  # %reset starts the numbers again
            _RAN[count] = began[0]

    try:
        events.register("pre_run_cell", before)
        events.register("post_run_cell", after)
    except Exception:
        return
    _WATCHED.add(id(shell))


def session_started(shell: Any) -> Optional[float]:
    """When this kernel's IPython session began (seconds since the epoch), if its history says."""
    try:
        manager = shell.history_manager
        start = manager.get_session_info(manager.session_number)[1]
        if isinstance(start, str):
            import datetime

            start = datetime.datetime.fromisoformat(start)
        value = float(start.timestamp())
    except Exception:
        return None
    return value if math.isfinite(value) else None


def defined_outside_cells(shell: Any, function: types.FunctionType) -> Optional[str]:
    """The file a function of the namespace comes from, when it is not one of the kernel's cells.

    IPython compiles each cell under a name of its own and records it
    (``compile._filename_map``); a function imported from a ``.py`` file
    next to the notebook has that file's name instead, which the replay
    (in a directory of its own) cannot import.
    """
    filename = function.__code__.co_filename
    cells = getattr(getattr(shell, "compile", None), "_filename_map", None) or {}
    if filename in cells or filename.startswith("<") or not os.path.isfile(filename):
        return None
    return os.path.basename(filename)


def stale_cells(history: list[tuple[int, str]], current: list[str], depends: Optional[set[str]] = None, saved: Optional[Saved] = None) -> list[Note]:
    """History cells whose definitions the notebook no longer holds, and no later cell that it holds redefines.

    A cell run, then edited and run again, is not stale: its new version
    redefines the same names.  A cell run, then edited and not run again, or
    deleted, is; so is, against a saved file, a cell run and not saved since.
    Only the names in ``depends`` (default: all) are named; a stale cell
    defining none of them gives no note.  ``saved`` is the file ``current`` was
    read from (None: the live notebook, as in Colab, where only an edit or a
    deletion explains a missing cell); it decides the note's key
    (:meth:`Saved.cause`).
    """
    present = {normal(source) for source in current}
    defined_later: set[str] = set()
    notes = []
    for count, source in reversed(history):
        names = defined_names(source)
        if normal(source) in present:
            defined_later |= names
            continue
        left = sorted(n for n in names - defined_later if depends is None or n in depends)
        if left:
            key = saved.cause(count) if saved is not None else "inline.stale"
            params: dict[str, Any] = {"count": count, "names": ", ".join(f"`{n}`" for n in left[:6])}
            if saved is not None:
                params["file"] = os.path.basename(saved.path)
            notes.append(Note(key, params))
        defined_later |= names
    return list(reversed(notes))


def normal(source: str) -> str:
    return "\n".join(line.rstrip() for line in source.strip().splitlines())


def defined_names(source: str) -> set[str]:
    """The names a cell binds at its top level (functions, classes, assignments, imports)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names if a.name != "*"}
    return names


def globals_read(function: types.FunctionType, namespace: dict[str, Any]) -> list[str]:
    """The notebook's data (not modules, functions or classes) that ``function`` reads as globals."""
    return [name for name in _names_read(function.__code__) if name in namespace and is_data(namespace[name]) and not name.startswith("_")]


def is_data(value: Any) -> bool:
    return not (isinstance(value, (types.ModuleType, type)) or callable(value))


def current_cells(shell: Any, notebook: Optional[str] = None) -> Optional[list[str]]:
    """The code cells of the notebook as it is now, where the front end lets us know: None otherwise."""
    found = current_notebook(shell, notebook)
    return None if found is None else found[0]


def current_notebook(shell: Any, notebook: Optional[str] = None) -> Optional[tuple[list[str], Optional[Saved]]]:
    """The code cells of the notebook as it is now, and the file they were read from (None: the live notebook).

    Colab hands the live notebook to its kernel; Jupyter Server and VS Code
    name the file (its last save), which is what a restart-and-run-all runs.
    None where neither is known.
    """
    colab = colab_notebook()
    if colab is not None and notebook is None:
        return colab, None
    path = notebook or notebook_path(shell)
    if path and not os.path.isfile(path) and notebook is None:
        # Jupyter Server may name the notebook relative to its root; the kernel runs beside it.
        path = os.path.basename(path)
    if not path or not os.path.isfile(path):
        return None
    try:
        import nbformat

        mtime = os.stat(path).st_mtime
        nb = nbformat.read(path, as_version=4)
    except Exception:
        return None
    return [cell.get("source", "") for cell in nb.cells if cell.get("cell_type") == "code"], Saved(mtime, session_started(shell), path=path)


def notebook_path(shell: Any) -> Optional[str]:
    namespace = shell.user_ns
    for name in ("__vsc_ipynb_file__", "__session__"):
        value = namespace.get(name)
        if isinstance(value, str) and value.endswith(".ipynb"):
            return value
    value = os.environ.get("JPY_SESSION_NAME")
    if value and value.endswith(".ipynb"):
        return value
    return None


def colab_notebook() -> Optional[list[str]]:
    if "google.colab" not in sys.modules:
        return None
    try:
        from google.colab import _message  # type: ignore[import-not-found]

        reply = _message.blocking_request("get_ipynb", request="", timeout_sec=10)
        cells = reply["ipynb"]["cells"]
        return ["".join(c.get("source", "")) if isinstance(c.get("source"), list) else str(c.get("source", "")) for c in cells if c.get("cell_type") == "code"]
    except Exception:
        return None
