"""The check from inside a notebook: ``check("exercise2")`` or ``%grade exercise2``.

What is graded is what the kernel ran: the source of its cells, in the order
they ran, from IPython's history (``In``), replayed as a notebook submission by
the same sandboxed worker as ``grade`` (``grader.execution.grading.grade``).  So the
student need not save (Colab has no file at all), and the grade is what a
restart-and-run-all of those cells would give.  Nothing runs in the student's
kernel but this module: it reads the history and the names the namespace
holds, and binds nothing there.

The grading happens in a server process, one per kernel, started at the first
check (``python -m grader.cli.inline serve``): it imports torch once, and each
later check costs a forked worker, a fraction of a second.  Requests and replies
are length-prefixed JSON over the server's stdin and stdout; the result travels
as ``grader.serialize`` data, rebuilt field by field (nothing is unpickled).

Where the grade depends on something the notebook no longer shows (a cell
edited or deleted after it ran) or on a value outside the graded function (a
global it reads instead of an argument), the report says so.
"""
from __future__ import annotations

import ast
import dis
import json
import os
import struct
import subprocess
import sys
import tempfile
import threading
import time
import types
from dataclasses import dataclass, field
from typing import IO, Any, Iterable, Optional

# Set in the grading server: a check() among the replayed cells does nothing there.
_SERVING = False

DEFAULT_TIMEOUT = 60.0
_HEADER = struct.Struct(">Q")
_PIP_LINE = ("%pip", "!pip", "%conda", "!conda", "!apt", "%%capture", "%load_ext grader", "%reload_ext grader")


# --------------------------------------------------------------------------
# the result


@dataclass(frozen=True)
class Note:
    """A warning about the kernel's history, as a catalogue message key and its parameters."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)


class CheckResult:
    """What ``check()`` returns: the score, the checks, and the report as HTML.

    ``score`` and ``max_score`` are points (floats); ``checks`` are
    :class:`grader.results.CheckResult` values, one per public check;
    ``result`` is the whole :class:`grader.results.GradeResult`; ``notes`` the
    warnings about the history (edited cells, globals), as plain text.
    """

    def __init__(self, result: Any, html: str, text: str, notes: tuple[str, ...]) -> None:
        self.result = result
        self.exercise: str = result.exercise
        self.score: float = result.score
        self.max_score: float = result.max_score
        self.checks: tuple[Any, ...] = result.checks
        self.diagnosis: Optional[str] = result.diagnosis
        self.notes = notes
        self.html = html
        self.text = text
        self._shown_in: Optional[int] = None

    @property
    def diagnoses(self) -> tuple[str, ...]:
        return tuple(self.result.diagnoses)

    @property
    def full_marks(self) -> bool:
        return bool(self.result.full_marks)

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return self.text

    def _ipython_display_(self) -> None:
        # check() displays the report itself; as the cell's last expression the
        # same object would be shown a second time.
        shell = _shell()
        count = getattr(shell, "execution_count", None)
        if self._shown_in is not None and self._shown_in == count:
            return
        self._show()

    def _show(self) -> None:
        from IPython.display import display

        shell = _shell()
        self._shown_in = getattr(shell, "execution_count", None)
        display({"text/html": self.html, "text/plain": self.text}, raw=True)


class CheckError(Exception):
    """The check could not run (no kernel, no exercise function, the server failed)."""


# --------------------------------------------------------------------------
# the kernel's side


def _shell() -> Any:
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def check(exercise: Optional[str] = None, *, lang: Optional[str] = None, notebook: Optional[str] = None, display: bool = True, timeout: float = DEFAULT_TIMEOUT) -> Optional[CheckResult]:
    """Grade the functions this kernel has defined, with the public checks of ``exercise``.

    ``exercise`` is "exercise1" … "exercise5" (default: the one whose functions
    the namespace defines).  ``lang`` is "en" or "ko" (default: the locale).
    ``notebook`` is the path of this notebook's file, to compare the cells that
    ran with the cells it holds now (default: found in Jupyter, VS Code and
    Colab where they say).  The report is displayed unless ``display=False``;
    the result is returned either way.  ``timeout`` is the submission's wall
    limit in seconds, as ``grade --timeout``.

    Raises :class:`CheckError` outside an IPython kernel, or when no exercise
    fits.  Inside the grader's own replay of the cells it does nothing and
    returns None.
    """
    if _SERVING or os.environ.get("GRADER_GRADING_NOTEBOOK") == "1":
        return None
    shell = _shell()
    if shell is None:
        raise CheckError("check() grades the cells of a running Jupyter or IPython kernel; outside one, run `grade FILE` in a terminal.")
    from grader.messages import default_language, render
    from grader.results import Message

    language = lang if lang in ("en", "ko") else default_language()
    history = kernel_history(shell)
    namespace = shell.user_ns
    names = sorted(name for name, value in list(namespace.items()) if not name.startswith("_") and callable(value))
    request = {
        "op": "grade",
        "cells": history,
        "exercise": exercise,
        "names": names,
        "lang": language,
        "timeout": float(timeout),
    }
    reply = _server().ask(request, timeout=float(timeout) + 60.0)
    if not reply.get("ok"):
        message = reply.get("message")
        if isinstance(message, list) and len(message) == 2 and isinstance(message[1], dict):
            raise CheckError(render(Message(str(message[0]), message[1]), language))
        raise CheckError(render(Message("inline.failed", {"detail": str(reply.get("error"))}), language))
    functions = reply["functions"]
    notes = [render(Message(n.key, n.params), language) for n in history_notes(shell, history, functions, notebook)]
    # The server renders the page; the notes (found here, in the kernel) go in front.
    html = reply["html"].replace("<!--grader-notes-->", "".join(_note_html(n) for n in notes), 1)
    text = reply["text"] + "".join(f"\n! {n}" for n in notes)
    from grader.serialize import result_from_data

    result = CheckResult(result_from_data(reply["result"]), html, text, tuple(notes))
    if display:
        result._show()
    return result


def _note_html(note: str) -> str:
    from grader.report.html import code_spans

    return f'<p class="notice" role="note">{code_spans(note)}</p>'


def kernel_history(shell: Any) -> list[tuple[int, str]]:
    """``(execution count, source)`` of the cells this kernel has run, in order, the running one included.

    From the history manager (the same list as ``In``, which the student may
    rebind).  Cells that only install packages or load this extension are left
    out: the replay needs neither, and the sandbox has no network.
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


# -- the server, seen from the kernel ----------------------------------------


def _write(stream: IO[bytes], message: Any) -> None:
    data = json.dumps(message, ensure_ascii=False, allow_nan=False).encode("utf-8", "replace")
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def _read(stream: IO[bytes]) -> Any:
    header = _read_exactly(stream, _HEADER.size)
    (size,) = _HEADER.unpack(header)
    return json.loads(_read_exactly(stream, size).decode("utf-8", "replace"))


def _read_exactly(stream: IO[bytes], size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if not chunk:
            raise EOFError("the grading server closed its pipe")
        data += chunk
    return bytes(data)


class Server:
    """The grading server of this kernel: a child process, warm after its first request."""

    def __init__(self) -> None:
        self.log = tempfile.NamedTemporaryFile(prefix="grader-inline-", suffix=".log", delete=False)
        env = dict(os.environ)
        env.setdefault("MPLBACKEND", "Agg")
        env.pop("PYTHONSTARTUP", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "grader.cli.inline", "serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            env=env,
            start_new_session=True,
        )
        self.counter = 0
        self.lock = threading.Lock()

    def alive(self) -> bool:
        return self.process.poll() is None

    def ask(self, request: dict[str, Any], timeout: float) -> dict[str, Any]:
        with self.lock:
            self.counter += 1
            request = dict(request, id=self.counter)
            assert self.process.stdin is not None and self.process.stdout is not None
            timer = threading.Timer(timeout, self.stop)
            timer.start()
            try:
                _write(self.process.stdin, request)
                while True:
                    reply = _read(self.process.stdout)
                    if type(reply) is dict and reply.get("id") == request["id"]:
                        return reply
            except BaseException as exc:
                # Interrupted (the student pressed stop) or the server died: start afresh next time.
                self.stop()
                if isinstance(exc, (EOFError, OSError)):
                    raise CheckError(f"the grading server stopped: {self.log_tail() or exc}") from None
                raise
            finally:
                timer.cancel()

    def log_tail(self) -> str:
        try:
            with open(self.log.name, encoding="utf-8", errors="replace") as handle:
                return handle.read()[-2000:].strip()
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass


_SERVER: Optional[Server] = None


def _server() -> Server:
    global _SERVER
    if _SERVER is None or not _SERVER.alive():
        _SERVER = Server()
    return _SERVER


def shutdown() -> None:
    """Stop this kernel's grading server (the next check starts a new one)."""
    global _SERVER
    if _SERVER is not None:
        _SERVER.stop()
        _SERVER = None


# --------------------------------------------------------------------------
# the %grade magic


def load_ipython_extension(shell: Any) -> None:
    """``%load_ext grader``: registers ``%grade [exercise] [--lang ko]``."""

    def grade_magic(line: str) -> None:
        words = line.split()
        lang = None
        if "--lang" in words:
            at = words.index("--lang")
            lang = words[at + 1] if at + 1 < len(words) else None
            del words[at : at + 2]
        check(words[0] if words else None, lang=lang)

    shell.register_magic_function(grade_magic, magic_kind="line", magic_name="grade")


# --------------------------------------------------------------------------
# the server's side


def choose_exercise(exercise: Optional[str], names: Iterable[str]) -> tuple[Optional[str], Optional[tuple[str, dict[str, Any]]]]:
    """The exercise to grade: the one named, else the one whose functions the kernel defines.

    Returns ``(name, None)`` or ``(None, (message key, params))``.
    """
    from grader.registry import EXERCISES, detect

    if exercise is not None:
        name = detect(str(exercise)) or str(exercise)
        if name not in EXERCISES:
            return None, ("inline.unknown-exercise", {"name": str(exercise)[:100], "names": ", ".join(EXERCISES)})
        return name, None
    defined = set(names)
    scores = {}
    for name, entry in EXERCISES.items():
        functions = entry.functions()
        hits = sum(1 for f in functions if f in defined)
        if hits:
            scores[name] = (hits == len(functions), hits)
    if not scores:
        examples = "; ".join(f"{name}: {', '.join(entry.functions())}" for name, entry in EXERCISES.items())
        return None, ("inline.no-exercise", {"examples": examples})
    best = max(scores.values())
    chosen = [name for name, score in scores.items() if score == best]
    if len(chosen) > 1:
        return None, ("inline.ambiguous", {"names": ", ".join(chosen), "first": chosen[0]})
    return chosen[0], None


def history_notebook(cells: list[tuple[int, str]]) -> Any:
    """The kernel's history as a notebook: one code cell per run cell, numbered as it ran."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["grader"] = {"replay": "history"}
    for count, source in cells:
        cell = nbformat.v4.new_code_cell(source)
        cell.execution_count = count
        nb.cells.append(cell)
    return nb


def grade_history(request: dict[str, Any], workdir: str, serial: int) -> dict[str, Any]:
    """One request in the server: write the history as a notebook, grade it, render the reports."""
    import nbformat

    from grader.execution.grading import Options, grade
    from grader.registry import EXERCISES
    from grader.report.html import render_inline
    from grader.report.terminal import render_terminal
    from grader.worker.sandbox.limits import Limits
    from grader.serialize import to_data
    from grader.intake.submission import Submission

    exercise, problem = choose_exercise(request.get("exercise"), request.get("names") or [])
    if exercise is None:
        return {"ok": False, "message": problem}
    cells = [(int(c), str(s)) for c, s in request.get("cells") or []]
    path = os.path.join(workdir, f"{exercise}.ipynb")
    with open(path, "w", encoding="utf-8") as handle:
        nbformat.write(history_notebook(cells), handle)
    lang = str(request.get("lang")) if request.get("lang") in ("en", "ko") else "en"
    timeout = float(request.get("timeout") or DEFAULT_TIMEOUT)
    result = grade(Submission(path=path, kind="ipynb", exercise=exercise), Options(limits=Limits(timeout=timeout)))
    graded: tuple[str, ...] = ()
    if cells:
        from grader.messages import render
        from grader.results import Message

        graded = (render(Message("inline.cells", {"n": len(cells), "first": cells[0][0], "last": cells[-1][0]}), lang),)
    html = render_inline(result, lang, notes=graded, key_prefix=f"grader{os.getpid()}-{serial}")
    text = render_terminal(result, lang)
    return {"ok": True, "result": to_data(result), "html": html, "text": text, "functions": EXERCISES[exercise].functions()}


def serve(stdin: IO[bytes], stdout: IO[bytes]) -> None:
    """The server's loop: a reply per request, until the kernel closes the pipe."""
    global _SERVING
    _SERVING = True
    import torch  # noqa: F401  (once, before the fork server: every worker inherits it)

    from grader.worker import zygote

    # Before any check is loaded: the workers come from a process that never held one.
    zygote.start()
    zygote.prewarm(["notebook"])
    from grader.execution.grading import grade  # noqa: F401
    from grader.report import figures  # noqa: F401

    workdir = tempfile.mkdtemp(prefix="grader-inline-")
    serial = 0
    while True:
        try:
            request = _read(stdin)
        except EOFError:
            break
        serial += 1
        started = time.monotonic()
        try:
            reply = grade_history(request, workdir, serial)
        except Exception as exc:  # reported to the student's cell, not swallowed
            reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        reply["id"] = request.get("id") if type(request) is dict else None
        reply["seconds"] = time.monotonic() - started
        _write(stdout, reply)


def main(argv: list[str]) -> int:
    if argv[:1] != ["serve"]:
        print("usage: python -m grader.cli.inline serve  (started by grader.check(); speaks over stdin/stdout)", file=sys.stderr)
        return 2
    # Our replies own fd 1: anything else printed here goes to the log (fd 2).
    channel = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    # Run as __main__, this file is not the module that a replayed `from grader import check`
    # imports: serve from that one, so that its _SERVING is the flag the workers see.
    from grader.cli import inline

    inline.serve(sys.stdin.buffer, channel)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
