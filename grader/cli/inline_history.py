"""What the in-notebook check reads of the kernel: its history, the notebook as it is now, and the
globals a graded function reads (``grader.cli.inline`` builds its notes from these).

Nothing here binds anything in the student's namespace or runs student code.
"""
from __future__ import annotations

import ast
import dis
import os
import sys
import types
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

_PIP_LINE = ("%pip", "!pip", "%conda", "!conda", "!apt", "%%capture")


@dataclass(frozen=True)
class Note:
    """A warning about the kernel's history, as a catalogue message key and its parameters."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)


def _note_html(note: str) -> str:
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
        if _only_setup(source):
            continue
        out.append((count, source))
    return out


def _only_setup(source: str) -> bool:
    lines = [line.strip() for line in source.splitlines() if line.strip() and not line.strip().startswith("#")]
    return bool(lines) and all(line.startswith(_PIP_LINE) for line in lines)


# -- what the history hides ---------------------------------------------------


def history_notes(shell: Any, history: list[tuple[int, str]], functions: Iterable[str], notebook: Optional[str] = None) -> list[Note]:
    """Where the grade depends on more than the notebook shows: stale cells, and globals read by the graded functions."""
    notes: list[Note] = []
    current = current_cells(shell, notebook)
    if current is not None:
        # The cell running this check is current by definition, whatever the file says.
        running = getattr(shell, "execution_count", None)
        notes += stale_cells([(count, source) for count, source in history if count != running], current)
    namespace = shell.user_ns
    for function in functions:
        value = namespace.get(function)
        if isinstance(value, types.FunctionType):
            source_file = defined_outside_cells(shell, value)
            if source_file is not None:
                notes.append(Note("inline.not-from-cell", {"function": function, "file": source_file}))
            for name in globals_read(value, namespace):
                notes.append(Note("inline.global", {"function": function, "name": name}))
    return notes


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


def stale_cells(history: list[tuple[int, str]], current: list[str]) -> list[Note]:
    """History cells whose definitions the notebook no longer holds, and no later cell that it holds redefines.

    A cell run, then edited and run again, is not stale: its new version
    redefines the same names.  A cell run, then edited and not run again, or
    deleted, is.
    """
    present = {_normal(source) for source in current}
    defined_later: set[str] = set()
    notes = []
    for count, source in reversed(history):
        names = defined_names(source)
        if _normal(source) in present:
            defined_later |= names
            continue
        left = sorted(names - defined_later)
        if left:
            notes.append(Note("inline.stale", {"count": count, "names": ", ".join(f"`{n}`" for n in left[:6])}))
        defined_later |= names
    return list(reversed(notes))


def _normal(source: str) -> str:
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
    found: list[str] = []
    stack = [function.__code__]
    while stack:
        code = stack.pop()
        for instruction in dis.get_instructions(code):
            if instruction.opname in ("LOAD_GLOBAL", "LOAD_NAME") and isinstance(instruction.argval, str):
                name = instruction.argval
                if name in namespace and name not in found and _is_data(namespace[name]) and not name.startswith("_"):
                    found.append(name)
        stack.extend(c for c in code.co_consts if isinstance(c, types.CodeType))
    return found


def _is_data(value: Any) -> bool:
    return not (isinstance(value, (types.ModuleType, type)) or callable(value))


def current_cells(shell: Any, notebook: Optional[str] = None) -> Optional[list[str]]:
    """The code cells of the notebook as it is now, where the front end lets us know: None otherwise.

    Colab hands the live notebook to its kernel; Jupyter Server and VS Code
    name the file (its last save), which is what a restart-and-run-all runs.
    """
    colab = _colab_notebook()
    if colab is not None and notebook is None:
        return colab
    path = notebook or _notebook_path(shell)
    if path and not os.path.isfile(path) and notebook is None:
        # Jupyter Server may name the notebook relative to its root; the kernel runs beside it.
        path = os.path.basename(path)
    if not path or not os.path.isfile(path):
        return None
    try:
        import nbformat

        nb = nbformat.read(path, as_version=4)
    except Exception:
        return None
    return [cell.get("source", "") for cell in nb.cells if cell.get("cell_type") == "code"]


def _notebook_path(shell: Any) -> Optional[str]:
    namespace = shell.user_ns
    for name in ("__vsc_ipynb_file__", "__session__"):
        value = namespace.get(name)
        if isinstance(value, str) and value.endswith(".ipynb"):
            return value
    value = os.environ.get("JPY_SESSION_NAME")
    if value and value.endswith(".ipynb"):
        return value
    return None


def _colab_notebook() -> Optional[list[str]]:
    if "google.colab" not in sys.modules:
        return None
    try:
        from google.colab import _message  # type: ignore[import-not-found]

        reply = _message.blocking_request("get_ipynb", request="", timeout_sec=10)
        cells = reply["ipynb"]["cells"]
        return ["".join(c.get("source", "")) if isinstance(c.get("source"), list) else str(c.get("source", "")) for c in cells if c.get("cell_type") == "code"]
    except Exception:
        return None
