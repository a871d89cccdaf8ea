"""Grading a Jupyter notebook exactly as the same code in a ``.py`` file.

A notebook submission is run cell by cell, in order, inside the worker (see
``grader.worker.runtime`` and ``grader.execution.session``); then the checks call the functions
the notebook defined, over the same wire protocol as for a ``.py`` file.  A cell
that raises does not stop the run: it is reported in the load message's
``cells`` and the next cell runs, as in Jupyter's "Run All" with errors allowed.

Two ways to run the cells, with the same entry signature as ``worker.run``:

* :func:`run_fast` (the grader's path) runs the cells with IPython's
  ``InteractiveShell`` inside the forked worker itself, so magics, ``!`` and
  ``display`` behave as in Jupyter, at the cost of tens of milliseconds once
  :func:`prewarm` has imported IPython in the grader process.
* :func:`run_kernel` runs them in a real ipykernel driven by nbclient.  It is
  slow (a kernel per notebook) and exists to prove the fast path faithful: the
  tests compare both on the corpus in ``tests/notebooks``.

Whatever a notebook starts (``!`` and ``%%bash`` commands, the kernel) is a
descendant of the worker, so the sandbox that contains the worker contains it
too; the kernel is also kept in the worker's process group.
"""
from __future__ import annotations

import builtins
import json
import math
import os
import re
import selectors
import signal
import sys
import time
import warnings
from typing import Any, Callable, NoReturn, Optional

from grader.worker import protocol, runtime as worker

# A hung cell must cost only itself: it is interrupted at its own limit and the
# next cells run.  With a submission's 60 s, the notebook gets 40 s (NOTEBOOK_SHARE;
# the checks need the rest) and a cell 10 s, so up to three hung cells still leave
# the rest of the notebook its time.  No lecture cell takes a second.
DEFAULT_CELL_TIMEOUT = 10.0
DEFAULT_NOTEBOOK_TIMEOUT = 40.0
NOTEBOOK_SHARE = 2 / 3
CELL_TIMEOUT_ENV = "GRADER_CELL_TIMEOUT"
GRADING_ENV = "GRADER_GRADING_NOTEBOOK"
NOTEBOOK_TIMEOUT_ENV = "GRADER_NOTEBOOK_TIMEOUT"

# nbclient's default: cells tagged so are not run, in Jupyter's batch tools either.
SKIP_TAG = "skip-execution"

# ipykernel's own wording, so that both paths report the same exception.
_NO_INPUT = "raw_input was called, but this frontend does not support input requests."
_NO_GETPASS = "getpass was called, but this frontend does not support input requests."

# Code that IPython's %%time / %%timeit compile from a cell's body.
_MAGIC_FILENAMES = frozenset({"<timed exec>", "<timed eval>", "<magic-timeit>"})
_IPYTHON_INPUT = re.compile(r"<ipython-input-(\d+)-[0-9a-f]+>$")

Entry = Callable[[str, str, list[str], int, int], None]


# --------------------------------------------------------------------------
# settings


def timeouts(cell_timeout: Optional[float] = None, notebook_timeout: Optional[float] = None) -> tuple[float, float]:
    """The per-cell and whole-notebook wall limits: the arguments, else the environment, else defaults."""
    return (
        _positive(cell_timeout, CELL_TIMEOUT_ENV, DEFAULT_CELL_TIMEOUT),
        _positive(notebook_timeout, NOTEBOOK_TIMEOUT_ENV, DEFAULT_NOTEBOOK_TIMEOUT),
    )


# The sandbox hands the worker a scrubbed environment: these are read here too,
# while the module is imported in the grader (prewarm), before any fork.
_ENV_AT_IMPORT = {name: os.environ.get(name) for name in (CELL_TIMEOUT_ENV, NOTEBOOK_TIMEOUT_ENV)}


def _positive(value: Optional[float], env: str, default: float) -> float:
    """The first of the argument, the variable now, the variable at import, that is a positive number."""
    for candidate in (value, os.environ.get(env), _ENV_AT_IMPORT.get(env)):
        try:
            number = float(candidate) if candidate is not None else math.nan
        except ValueError:
            continue
        if math.isfinite(number) and number > 0:
            return number
    return default


# What a worker would otherwise import on its first notebook: the shell, its
# magics, the traceback formatter (stack_data, pygments), ``!`` (pexpect).
_PREWARM_MODULES = (
    "IPython.core.interactiveshell",
    "IPython.core.completer",
    "IPython.core.completerlib",
    "IPython.core.logger",
    "IPython.core.oinspect",
    "IPython.core.application",
    "IPython.core.crashhandler",
    "IPython.core.magics.execution",
    "IPython.core.magics.script",
    "IPython.core.profiledir",
    "IPython.core.ultratb",
    "IPython.utils.timing",
    "IPython.utils.wildcard",
    "IPython.utils.generics",
    "IPython.utils._process_posix",
    "bdb",
    "getpass",
    "stack_data",
    "executing",
    "asttokens",
    "pure_eval",
    "pygments.lexers.python",
    "pygments.formatters.terminal256",
    "pexpect",
    "ptyprocess",
    "pty",
    "tty",
    "termios",
    "nbformat.v4",
    "nbformat.validator",
)


def prewarm(with_matplotlib: bool = True) -> None:
    """Import what the fast path needs, once, in the grader process before it forks workers.

    Without it each worker pays about 0.3 s for IPython and nbformat, and
    0.4 s more for pyplot, which nearly every lecture notebook imports.
    """
    import importlib

    for module in _PREWARM_MODULES:
        try:
            importlib.import_module(module)
        except ImportError:
            pass
    import nbformat
    from nbformat import validator

    # The first validation loads and compiles the JSON schemas.
    for minor in (0, 1, 2, 3, 4, 5):
        validator.get_validator(version=4, version_minor=minor)
    nbformat.v4.new_notebook()
    if with_matplotlib:
        os.environ.setdefault("MPLBACKEND", "Agg")
        try:
            import matplotlib.backends.backend_agg  # noqa: F401
            import matplotlib.pyplot  # noqa: F401
        except ImportError:
            pass


# --------------------------------------------------------------------------
# reading


def read_notebook(path: str, display_name: Optional[str] = None) -> tuple[Any, Optional[str]]:
    """``(notebook, None)``, or ``(None, why)`` with a sentence naming what is wrong with the file.

    Older 4.x notebooks (no cell ids) are accepted as nbformat reads them;
    version 3 and older are converted to 4.
    """
    import nbformat
    from nbformat import validator

    name = display_name or os.path.basename(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        return None, f"{name} could not be read: {exc.strerror or exc}"
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, f"{name} is not a notebook: it is not UTF-8 text (byte {exc.start} cannot be decoded)"
    if not text.strip():
        return None, f"{name} is empty: it is not a notebook (was it saved?)"
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        damage = "it ends too early: the file was cut off" if exc.pos >= len(text.rstrip()) else "the file is damaged"
        return None, f"{name} is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}); {damage}"
    except RecursionError:
        return None, f"{name} is not a notebook: its JSON is nested too deeply"
    if type(data) is not dict:
        return None, f"{name} is valid JSON but not a Jupyter notebook: its top level is a {type(data).__name__}, not an object"
    major = data.get("nbformat")
    if type(major) is not int:
        return None, f"{name} is valid JSON but not a Jupyter notebook: it has no 'nbformat' version number"
    if major > nbformat.current_nbformat:
        return None, f"{name} uses notebook format {major}, newer than this grader reads ({nbformat.current_nbformat})"
    if major == 4 and type(data.get("cells")) is not list:
        return None, f"{name} does not follow the notebook format: it has no list of 'cells'"
    try:
        nb = nbformat.reader.reads(text)
        nb = nbformat.convert(nb, 4)
        with warnings.catch_warnings():
            # Missing cell ids are repaired by normalize; the warning is nbformat telling us so.
            warnings.simplefilter("ignore")
            _, nb = validator.normalize(nb)
            validator.validate(nb)
    except validator.ValidationError as exc:
        return None, f"{name} does not follow the notebook format: {_schema_problem(exc)}"
    except Exception as exc:  # nbformat's converters raise whatever a malformed dict makes them raise
        return None, f"{name} could not be read as a notebook: {type(exc).__name__}: {str(exc)[:300]}"
    return nb, None


def _schema_problem(exc: Exception) -> str:
    message = str(getattr(exc, "message", "") or exc).splitlines()[0][:300]
    where = list(getattr(exc, "absolute_path", []) or [])
    if where:
        location = "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else str(p)) for i, p in enumerate(where))
        return f"{message} (at {location})"
    return message


def _code_cells(nb: Any) -> list[tuple[int, str]]:
    """(index, source) of the cells that Jupyter's batch runners execute."""
    out = []
    for index, cell in enumerate(nb.cells):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if not isinstance(source, str) or not source.strip():
            continue
        if SKIP_TAG in (cell.get("metadata", {}).get("tags") or []):
            continue
        out.append((index, source))
    return out


# --------------------------------------------------------------------------
# naming cells in tracebacks


class CellNames:
    """Which filenames are notebook cells, and how to name them to the student.

    IPython compiles each cell under a name of its own (``<ipython-input-N-…>``
    in a plain shell, ``/tmp/ipykernel_PID/HASH.py`` in ipykernel) and records
    name -> execution count in ``compile._filename_map``; the runner records
    execution count -> cell index.
    """

    def __init__(self, compiler: Any, count_to_index: dict[int, int], display_name: str) -> None:
        self.compiler = compiler
        self.count_to_index = count_to_index
        self.display_name = display_name

    def _names(self) -> dict[str, int]:
        names = getattr(self.compiler, "_filename_map", None)
        return names if isinstance(names, dict) else {}

    def is_student(self, filename: str) -> bool:
        return filename in self._names() or filename in _MAGIC_FILENAMES or bool(_IPYTHON_INPUT.match(filename))

    def label_for_count(self, count: Optional[int]) -> str:
        """``exercise2.ipynb, Cell In [3]``: Jupyter's number, the one the captured output shows too."""
        index = self.count_to_index.get(count) if count is not None else None
        return self.display_name if index is None else f"{self.display_name}, Cell In [{count}]"

    def label(self, basename: str) -> str:
        for name, count in self._names().items():
            if os.path.basename(name) == basename:
                return self.label_for_count(count)
        match = _IPYTHON_INPUT.match(basename)
        return self.label_for_count(int(match.group(1)) if match else None)

    def relabel(self, error: Optional[dict[str, Any]]) -> Optional[dict[str, Any]]:
        """An error from ``worker.describe_error`` with its frames named by notebook cell."""
        if error is None:
            return None
        frames = error.get("frames", [])
        error["frames"] = [dict(f, filename=self.label(f.get("filename", ""))) for f in frames]
        return _name_syntax_error(error)


_SYNTAX_WHERE = re.compile(r"\(([^()]*), line (\d+)\)$")


def _name_syntax_error(error: dict[str, Any]) -> dict[str, Any]:
    """``invalid syntax (<ipython-input-3-…>, line 1)`` names the cell as the frames do."""
    frames = error.get("frames") or []
    if error.get("type") in ("SyntaxError", "IndentationError", "TabError") and frames:
        where = frames[-1]["filename"]
        error["message"] = _SYNTAX_WHERE.sub(lambda m: f"({where}, line {m.group(2)})", str(error.get("message", "")))
    return error


class NotebookWorker(worker.Worker):
    """``worker.Worker`` whose error frames name notebook cells instead of IPython's filenames."""

    def __init__(self, namespace: dict[str, Any], names: CellNames) -> None:
        super().__init__(namespace, names.is_student)
        self.names = names

    def call(self, request: dict[str, Any]) -> dict[str, Any]:
        reply = super().call(request)
        if reply.get("error") is not None:
            self.names.relabel(reply["error"])
        return reply


def _presence(namespace: dict[str, Any], functions: list[str]) -> dict[str, bool]:
    return {name: callable(namespace.get(name)) for name in functions}


def _timeout_error(message: str) -> dict[str, Any]:
    return {"type": "KeyboardInterrupt", "message": message, "frames": []}


def cell_limit_message(cell_timeout: float) -> str:
    return f"the cell ran past its {cell_timeout:g} s limit (--cell-timeout)"


def notebook_limit_message(notebook_timeout: float) -> str:
    return f"the notebook ran past its {notebook_timeout:g} s limit (two thirds of --timeout)"


def _not_run(index: int, notebook_timeout: float) -> dict[str, Any]:
    return {
        "index": index,
        "timed_out": True,
        "error": {"type": "NotRun", "message": f"not run: {notebook_limit_message(notebook_timeout)}", "frames": []},
    }


def _settle_in_worker() -> None:
    """Undo what the forked worker inherited from the grader and a fresh kernel would not have.

    The grader's stream objects may not write to fds 1 and 2 at all (pytest's
    capture), and ``os._exit`` would drop their buffers.  ``tempfile`` cached
    the grader's temporary directory; the sandbox points TMPDIR at the
    worker's own.
    """
    import io
    import tempfile

    # A check() cell (grader.cli.inline) does nothing while the grader runs the notebook.
    os.environ[GRADING_ENV] = "1"
    for fd, name in ((1, "stdout"), (2, "stderr")):
        raw = io.FileIO(fd, "w", closefd=False)
        setattr(sys, name, io.TextIOWrapper(raw, encoding="utf-8", errors="backslashreplace", write_through=True))
    tempfile.tempdir = None


# --------------------------------------------------------------------------
# the fast path: IPython's InteractiveShell in this process


class _Alarm:
    """Interrupts the running cell with KeyboardInterrupt, as Jupyter's interrupt button does.

    After the first interrupt it fires again every second, in case the cell
    swallows KeyboardInterrupt; nbclient likewise keeps interrupting.
    """

    def __init__(self) -> None:
        self.armed = False
        self.fired = False
        self.message = ""

    def handler(self, signum: int, frame: Any) -> None:
        __tracebackhide__ = True  # IPython leaves this frame out of the traceback it prints
        if self.armed:
            self.fired = True
            raise KeyboardInterrupt(self.message)

    def arm(self, seconds: float, message: str) -> None:
        self.fired = False
        self.message = message
        signal.signal(signal.SIGALRM, self.handler)
        self.armed = True
        signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.001), 1.0)

    def disarm(self) -> None:
        self.armed = False
        signal.setitimer(signal.ITIMER_REAL, 0)


def _no_input(prompt: Any = "") -> str:
    __tracebackhide__ = True
    from IPython.core.error import StdinNotImplementedError

    raise StdinNotImplementedError(_NO_INPUT)


def _no_getpass(prompt: Any = "Password: ", stream: Any = None) -> str:
    __tracebackhide__ = True
    from IPython.core.error import StdinNotImplementedError

    raise StdinNotImplementedError(_NO_GETPASS)


def _agg() -> None:
    os.environ["MPLBACKEND"] = "Agg"
    if "matplotlib" in sys.modules:
        import matplotlib

        if "matplotlib.pyplot" in sys.modules:
            import matplotlib.pyplot as plt

            if plt.get_backend().lower() != "agg":
                plt.switch_backend("Agg")
        else:
            matplotlib.use("Agg")


def _matplotlib_magic(line: str = "") -> None:
    """``%matplotlib`` for a shell with no front end: every backend is Agg here.

    The figures of a cell are closed when it ends (see ``_after_cell``), as the
    inline backend closes them after drawing them into the notebook.
    """
    import matplotlib.pyplot  # noqa: F401  (%matplotlib imports pyplot in Jupyter too)

    _agg()


def _after_cell() -> None:
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        try:
            pyplot.close("all")
        except Exception:
            pass
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass


def _make_shell(ipython_dir: str) -> Any:
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.core.profiledir import ProfileDir
    from traitlets.config import Config

    config = Config()
    # No sqlite history file, no saving thread.
    config.HistoryManager.enabled = False
    config.InteractiveShell.colors = "nocolor"
    # Tracebacks printed as Python prints them: the context view (stack_data) costs 50-150 ms each.
    config.InteractiveShell.xmode = "Plain"
    InteractiveShell.clear_instance()
    # A profile of our own: the student's ~/.ipython startup files must not run,
    # and the sandbox only lets the worker write in its own directory.
    profile = ProfileDir.create_profile_dir(os.path.join(ipython_dir, "profile_default"), config=config)
    # .instance() so that IPython.get_ipython() (used by display() and libraries) finds it, as in a kernel.
    shell: Any = InteractiveShell.instance(config=config, profile_dir=profile)
    # A kernel's enable_gui has nothing to do for the inline backend; a plain shell's raises.
    shell.enable_gui = lambda gui=None: None
    shell.register_magic_function(_matplotlib_magic, magic_kind="line", magic_name="matplotlib")
    return shell


def run_cells(
    nb: Any,
    cell_timeout: float,
    notebook_timeout: float,
    cells: list[dict[str, Any]],
    execute: Callable[[int, str, float, str], None],
    floor: float = 0.0,
) -> None:
    """The one cell loop of both runners: each code cell in order, under its own limit.

    A cell gets ``cell_timeout`` seconds, or what is left of the notebook's
    ``notebook_timeout`` when that is less (at least ``floor``); the message
    names the limit that applies.  Once the notebook's time is spent, the
    remaining cells are recorded as not run.  ``execute(index, source, limit,
    message)`` is the back end: IPython in this process, or a kernel.
    """
    started = time.monotonic()
    for index, source in _code_cells(nb):
        remaining = notebook_timeout - (time.monotonic() - started)
        if remaining <= 0:
            cells.append(_not_run(index, notebook_timeout))
            continue
        if remaining < cell_timeout:
            limit, message = max(remaining, floor), notebook_limit_message(notebook_timeout)
        else:
            limit, message = cell_timeout, cell_limit_message(cell_timeout)
        execute(index, source, limit, message)


class FastRun:
    """The cells of one notebook, run in this process by IPython's InteractiveShell."""

    def __init__(self, display_name: str, cell_timeout: float, notebook_timeout: float, ipython_dir: str) -> None:
        self.display_name = display_name
        self.cell_timeout = cell_timeout
        self.notebook_timeout = notebook_timeout
        self.ipython_dir = ipython_dir
        self.cells: list[dict[str, Any]] = []
        self.count_to_index: dict[int, int] = {}
        self.shell: Any = None
        self.names: Optional[CellNames] = None

    @property
    def namespace(self) -> dict[str, Any]:
        return self.shell.user_ns if self.shell is not None else {}

    def run(self, nb: Any) -> None:
        import getpass

        _agg()
        builtins.input = _no_input
        getpass.getpass = _no_getpass
        self.shell = _make_shell(self.ipython_dir)
        self.names = CellNames(self.shell.compile, self.count_to_index, self.display_name)
        alarm = _Alarm()
        # A replay of a kernel's history (grader.cli.inline) keeps the student's own In [N].
        replay = (nb.get("metadata", {}).get("grader") or {}).get("replay") == "history"

        def execute(index: int, source: str, limit: float, message: str) -> None:
            count = nb.cells[index].get("execution_count")
            if replay and type(count) is int and count >= self.shell.execution_count:
                self.shell.execution_count = count
            self._run_cell(index, source, alarm, limit, message)
            _after_cell()

        run_cells(nb, self.cell_timeout, self.notebook_timeout, self.cells, execute)

    def _run_cell(self, index: int, source: str, alarm: _Alarm, limit: float, message: str) -> None:
        shell = self.shell
        count = shell.execution_count
        self.count_to_index[count] = index
        exc: Optional[BaseException] = None
        try:
            try:
                alarm.arm(limit, message)
                result = shell.run_cell(source, store_history=True)
            finally:
                alarm.disarm()
            exc = result.error_before_exec or result.error_in_exec
        except KeyboardInterrupt as escaped:
            # The interrupt landed in IPython's own code around the cell, not in the cell.
            alarm.disarm()
            exc = escaped
            if shell.execution_count == count:
                shell.execution_count += 1
        if alarm.fired:
            # Also when the cell swallowed the interrupt (``!sleep`` does), as nbclient reports it.
            error = self._describe(exc) if isinstance(exc, KeyboardInterrupt) else _timeout_error(message)
            error["message"] = message
            self.cells.append({"index": index, "count": count, "timed_out": True, "error": error})
        elif exc is not None:
            self.cells.append({"index": index, "count": count, "timed_out": False, "error": self._describe(exc)})

    def _describe(self, exc: BaseException) -> dict[str, Any]:
        assert self.names is not None
        described = self.names.relabel(worker.describe_error(exc, self.names.is_student))
        assert described is not None
        return described


def execute_in_process(
    nb_path: str,
    cell_timeout: Optional[float] = None,
    notebook_timeout: Optional[float] = None,
    display_name: Optional[str] = None,
) -> tuple[dict[str, Any], list[dict[str, Any]], Optional[str]]:
    """Run a notebook's cells in this process: ``(namespace, cells, invalid)``.

    For tests and tools.  It changes this process as a notebook would (the
    ``__main__`` module, matplotlib's backend, ``input``, SIGALRM, IPython's
    shell instance): use it in a disposable process, or accept that.
    ``__main__``, ``input``, ``getpass``, MPLBACKEND and the SIGALRM handler
    are restored afterwards; pyplot stays on Agg.
    """
    import getpass
    import shutil
    import tempfile

    display = display_name or os.path.basename(nb_path)
    nb, invalid = read_notebook(nb_path, display)
    if invalid is not None:
        return {}, [], invalid
    cell_limit, notebook_limit = timeouts(cell_timeout, notebook_timeout)
    ipython_dir = tempfile.mkdtemp(prefix="grader-ipython-")
    saved = (sys.modules.get("__main__"), builtins.input, getpass.getpass, signal.getsignal(signal.SIGALRM), os.environ.get("MPLBACKEND"))
    try:
        run = FastRun(display, cell_limit, notebook_limit, ipython_dir)
        run.run(nb)
        return run.namespace, run.cells, None
    finally:
        main, builtins.input, getpass.getpass, handler, backend = saved
        if main is not None:
            sys.modules["__main__"] = main
        signal.signal(signal.SIGALRM, handler)
        if backend is None:
            os.environ.pop("MPLBACKEND", None)
        else:
            os.environ["MPLBACKEND"] = backend
        shutil.rmtree(ipython_dir, ignore_errors=True)


def run_fast(
    path: str,
    display_name: str,
    functions: list[str],
    request_fd: int,
    reply_fd: int,
    *,
    cell_timeout: Optional[float] = None,
    notebook_timeout: Optional[float] = None,
    skip_cells: tuple[int, ...] = (),
) -> NoReturn:
    """Entry point in the forked worker: run the notebook in-process, report, then serve calls.

    ``skip_cells`` are not run (as if tagged skip-execution): the device pass
    skips the cells that already hung in the CPU pass rather than wait for them again.
    """
    _settle_in_worker()
    nb, invalid = read_notebook(path, display_name)
    if invalid is not None:
        _send_invalid(reply_fd, functions, invalid)
    for index in skip_cells:
        if 0 <= index < len(nb.cells):
            tags = nb.cells[index].setdefault("metadata", {}).setdefault("tags", [])
            tags.append(SKIP_TAG)
    cell_limit, notebook_limit = timeouts(cell_timeout, notebook_timeout)
    _enter_device_context()
    run = FastRun(display_name, cell_limit, notebook_limit, os.path.join(os.getcwd(), ".ipython"))
    run.run(nb)
    assert run.names is not None
    protocol.send(reply_fd, _load_message(_presence(run.namespace, functions), run.cells))
    NotebookWorker(run.namespace, run.names).serve(request_fd, reply_fd)


def fast_entry(cell_timeout: Optional[float] = None, notebook_timeout: Optional[float] = None, skip_cells: tuple[int, ...] = ()) -> Entry:
    """:func:`run_fast` with its limits bound, for ``Session(..., entry=...)``.

    Binding them in the grader process does not depend on the worker's
    environment, which the sandbox may clear.
    """
    cell_limit, notebook_limit = timeouts(cell_timeout, notebook_timeout)

    def entry(path: str, display_name: str, functions: list[str], request_fd: int, reply_fd: int) -> None:
        run_fast(path, display_name, functions, request_fd, reply_fd, cell_timeout=cell_limit, notebook_timeout=notebook_limit, skip_cells=skip_cells)

    return entry


def _load_message(functions: dict[str, bool], cells: list[dict[str, Any]]) -> dict[str, Any]:
    return {"op": "load", "error": None, "functions": functions, "cells": cells, "invalid": None}


def _send_invalid(reply_fd: int, functions: list[str], invalid: str) -> NoReturn:
    message = _load_message({name: False for name in functions}, [])
    message["invalid"] = invalid
    protocol.send(reply_fd, message)
    os._exit(0)


# --------------------------------------------------------------------------
# the faithful path: nbclient and a real ipykernel


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_CELL_FRAME = re.compile(r"^\s*Cell In\[(\d+)\], line (\d+)(?:, in ([^\s(]+))?")
_FILE_FRAME = re.compile(r"^\s*File (<timed exec>|<timed eval>|<magic-timeit>):(\d+)(?:, in ([^\s(]+))?")
_ARROW = re.compile(r"^-+>\s*(\d+)\s?(.*)$")
_SYNTAX_LINE = re.compile(r"^ {4}(.*)$")


def parse_kernel_traceback(traceback_lines: list[str], names: CellNames) -> list[dict[str, Any]]:
    """The student's frames in a kernel's (coloured) traceback, in ``describe_error``'s format."""
    frames = []
    for entry in traceback_lines:
        lines = _ANSI.sub("", entry).splitlines()
        if not lines:
            continue
        cell = _CELL_FRAME.match(lines[0])
        magic = _FILE_FRAME.match(lines[0])
        if cell:
            filename = names.label_for_count(int(cell.group(1)))
            lineno, function = int(cell.group(2)), cell.group(3) or "<module>"
        elif magic:
            # IPython has no source for what %%time compiled; the fast path shows no line either.
            frames.append({"filename": names.display_name, "lineno": int(magic.group(2)), "function": magic.group(3) or "<module>", "line": ""})
            continue
        else:
            continue
        line = ""
        for text in lines[1:]:
            arrow = _ARROW.match(text)
            if arrow and int(arrow.group(1)) == lineno:
                line = arrow.group(2).strip()
                break
        else:
            # A SyntaxError shows the offending line, indented, right under its location.
            if len(lines) > 1 and _SYNTAX_LINE.match(lines[1]):
                line = lines[1].strip()
        frames.append({"filename": filename[:200], "lineno": lineno, "function": function[:200], "line": line[:400]})
    return frames[-12:]


# Imported in the kernel before the notebook runs; the fast path's worker has them from the grader.
KERNEL_PREIMPORT = ("torch", "matplotlib.pyplot")


def prepare_kernel(mode: str, modules: list[str]) -> None:
    """Runs in the kernel before the notebook: what the fast path's worker has before its cells run.

    The modules the grader imported, and the device emulation ``grader.worker.runtime``
    runs submissions under (``worker.device_context``, where it exists).
    """
    import importlib

    for module in modules:
        try:
            importlib.import_module(module)
        except Exception:
            pass
    _enter_device_context(mode)


def _enter_device_context(mode: Optional[str] = None) -> None:
    """Run the cells under the device emulation that .py submissions get (``grader.worker.runtime``)."""
    if mode is not None and hasattr(worker, "MODE"):
        setattr(worker, "MODE", mode)
    context = getattr(worker, "device_context", None)
    if context is not None:
        # Entered for the rest of the process's life, as worker.run does: serving never returns.
        context().__enter__()


def _popen_in_worker_group(popen: Any) -> Any:
    """jupyter_client starts kernels in a session of their own; keep ours in the worker's process group.

    Otherwise killing the worker's group (timeout, memory) would leave the
    kernel running outside the sandbox's reach.
    """

    def start(*args: Any, **kwargs: Any) -> Any:
        kwargs["start_new_session"] = False
        return popen(*args, **kwargs)

    return start


class KernelRun:
    """The cells of one notebook, run by nbclient in a child ipykernel; the kernel is kept for serving."""

    def __init__(self, display_name: str, cell_timeout: float, notebook_timeout: float, workdir: str) -> None:
        self.display_name = display_name
        self.cell_timeout = cell_timeout
        self.notebook_timeout = notebook_timeout
        self.workdir = workdir
        self.cells: list[dict[str, Any]] = []
        self.count_to_index: dict[int, int] = {}
        self.client: Any = None

    def run(self, nb: Any) -> None:
        import jupyter_client.launcher
        import nbclient

        setattr(jupyter_client.launcher, "Popen", _popen_in_worker_group(jupyter_client.launcher.Popen))
        os.environ["JUPYTER_RUNTIME_DIR"] = os.path.join(self.workdir, ".jupyter")
        env = dict(os.environ)
        # The kernel chooses its own backend (inline), as in Jupyter.
        env.pop("MPLBACKEND", None)
        env["IPYTHONDIR"] = os.path.join(self.workdir, ".ipython")
        timed_out: set[int] = set()
        current = [-1]
        limit = [self.cell_timeout]

        class Client(nbclient.NotebookClient):  # type: ignore[misc]
            async def _async_handle_timeout(self, timeout: int, cell: Any = None) -> Any:
                timed_out.add(current[0])
                return await super()._async_handle_timeout(timeout, cell)

        client = Client(
            nb,
            timeout=int(self.cell_timeout) or 1,
            timeout_func=lambda cell: limit[0],
            allow_errors=True,
            interrupt_on_timeout=True,
            kernel_name="python3",
            startup_timeout=60,
        )
        self.client = client
        km = client.create_kernel_manager()
        # Unix sockets in the worker's directory rather than TCP ports on localhost.
        km.transport = "ipc"
        km.ip = os.path.join(self.workdir, "kernel")
        client.start_new_kernel(cwd=self.workdir, env=env)
        # Interrupt the kernel alone: its process group is the worker's now.
        setattr(km.provisioner, "pgid", None)
        client.start_new_kernel_client()
        self._preimport(client)
        names = CellNames(None, self.count_to_index, self.display_name)

        def execute(index: int, source: str, cell_limit: float, message: str) -> None:
            limit[0] = cell_limit
            current[0] = index
            cell = client.execute_cell(nb.cells[index], index)
            count = cell.get("execution_count")
            if type(count) is int:
                self.count_to_index[count] = index
            errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            if index in timed_out:
                error = _timeout_error(message)
                if errors:
                    error = self._error(errors[-1], names)
                    error["message"] = message
                self.cells.append({"index": index, "count": count, "timed_out": True, "error": error})
            elif errors:
                self.cells.append({"index": index, "count": count, "timed_out": False, "error": self._error(errors[-1], names)})

        # A kernel is never given less than a tenth of a second for a cell.
        run_cells(nb, self.cell_timeout, self.notebook_timeout, self.cells, execute, floor=0.1)

    def _preimport(self, client: Any) -> None:
        """Import what the fast path's worker inherits already imported, so that both run the cells alike.

        Otherwise the first cell pays for ``import torch`` here and not there,
        and a cell limit that the fast path meets can interrupt the import.
        """
        # One call that binds no name: the notebook must not find torch it did not import.
        code = f"__import__('grader.worker.notebook', fromlist=['_']).prepare_kernel({getattr(worker, 'MODE', 'cpu')!r}, {list(KERNEL_PREIMPORT)!r})"
        msg_id = client.kc.execute(code, silent=True, store_history=False, allow_stdin=False)
        saved, client.timeout = client.timeout, 300
        try:
            client.wait_for_reply(msg_id)
        finally:
            client.timeout = saved

    @staticmethod
    def _error(output: Any, names: CellNames) -> dict[str, Any]:
        return _name_syntax_error(
            {
                "type": str(output.get("ename", "Error"))[:200],
                "message": str(output.get("evalue", ""))[:2000],
                "frames": parse_kernel_traceback(list(output.get("traceback", [])), names),
            }
        )

    def kernel_alive(self) -> bool:
        process = getattr(getattr(self.client.km, "provisioner", None), "process", None)
        return process is not None and process.poll() is None

    def kill_kernel(self) -> None:
        process = getattr(getattr(self.client.km, "provisioner", None), "process", None)
        if process is not None:
            try:
                process.kill()
                process.wait(timeout=5)
            except Exception:
                pass


def _serve_in_kernel(functions: list[str], count_to_index: dict[int, int], display_name: str, requests: str, replies: str) -> NoReturn:
    """Runs in the kernel (sent as one more cell by :func:`run_kernel`): serve calls over two FIFOs."""
    from IPython import get_ipython

    shell = get_ipython()
    reply_fd = os.open(replies, os.O_WRONLY)
    request_fd = os.open(requests, os.O_RDONLY)
    names = CellNames(shell.compile, dict(count_to_index), display_name)
    namespace = shell.user_ns
    protocol.send(reply_fd, {"op": "functions", "functions": _presence(namespace, functions)})
    NotebookWorker(namespace, names).serve(request_fd, reply_fd)


def run_kernel(
    path: str,
    display_name: str,
    functions: list[str],
    request_fd: int,
    reply_fd: int,
    *,
    cell_timeout: Optional[float] = None,
    notebook_timeout: Optional[float] = None,
    startup_timeout: float = 60.0,
) -> NoReturn:
    """Entry point in the forked worker: run the notebook in a child ipykernel, then serve calls from it.

    The calls are answered by ``NotebookWorker`` running in the kernel, on the
    kernel's own namespace: this process only relays bytes between the
    grader's pipes and two FIFOs in its directory.
    """
    _settle_in_worker()
    # The worker's group gets no SIGINT from us, but a stray one must not kill the relay.
    signal.signal(signal.SIGINT, lambda signum, frame: None)
    nb, invalid = read_notebook(path, display_name)
    if invalid is not None:
        _send_invalid(reply_fd, functions, invalid)
    cell_limit, notebook_limit = timeouts(cell_timeout, notebook_timeout)
    workdir = os.getcwd()
    run = KernelRun(display_name, cell_limit, notebook_limit, workdir)
    try:
        run.run(nb)
        requests = os.path.join(workdir, "grader-requests.fifo")
        replies = os.path.join(workdir, "grader-replies.fifo")
        os.mkfifo(requests, 0o600)
        os.mkfifo(replies, 0o600)
        # Opened so that neither side's open blocks: the kernel finds a writer and a reader waiting.
        replies_fd = os.open(replies, os.O_RDONLY | os.O_NONBLOCK)
        requests_fd = os.open(requests, os.O_RDWR)
        code = (
            "__import__('grader.worker.notebook', fromlist=['_serve_in_kernel'])._serve_in_kernel("
            f"{functions!r}, {run.count_to_index!r}, {display_name!r}, {requests!r}, {replies!r})"
        )
        run.client.kc.execute(code, store_history=False, allow_stdin=False)
        presence = _first_message(replies_fd, run, time.monotonic() + startup_timeout)
    except Exception as exc:
        print(f"grader: the notebook kernel failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        if run.client is not None:
            run.kill_kernel()
        os._exit(70)
    functions_present = presence.get("functions", {}) if type(presence) is dict else {}
    present = {name: functions_present.get(name) is True for name in functions}
    protocol.send(reply_fd, _load_message(present, run.cells))
    _relay(request_fd, reply_fd, requests_fd, replies_fd, run)


def _first_message(fd: int, run: KernelRun, deadline: float) -> Any:
    reader = protocol.Reader()
    while time.monotonic() < deadline:
        if not run.kernel_alive():
            raise RuntimeError("the kernel died before serving")
        try:
            chunk = os.read(fd, 1 << 16)
        except BlockingIOError:
            chunk = None
        if chunk:
            messages = reader.feed(chunk)
            if messages:
                return messages[0]
        else:
            # Before the kernel opens its end a read finds no writer and returns b"" at once.
            time.sleep(0.01)
    raise RuntimeError("the kernel did not start serving")


def _relay(request_fd: int, reply_fd: int, requests_fd: int, replies_fd: int, run: KernelRun) -> NoReturn:
    selector = selectors.DefaultSelector()
    selector.register(request_fd, selectors.EVENT_READ, requests_fd)
    selector.register(replies_fd, selectors.EVENT_READ, reply_fd)
    done = False
    try:
        while not done:
            events = selector.select(timeout=1.0)
            if not events and not run.kernel_alive():
                break
            for key, _ in events:
                try:
                    chunk = os.read(key.fd, 1 << 16)
                except BlockingIOError:
                    continue
                if not chunk:
                    # The grader closed its end, or the kernel ended (after "exit").
                    done = True
                    break
                view = memoryview(chunk)
                while view:
                    view = view[os.write(key.data, view) :]
    except OSError:
        pass
    finally:
        try:
            os.close(requests_fd)
        except OSError:
            pass
        run.kill_kernel()
    os._exit(0)


def kernel_entry(cell_timeout: Optional[float] = None, notebook_timeout: Optional[float] = None) -> Entry:
    """:func:`run_kernel` with its limits bound, for ``Session(..., entry=...)``."""
    cell_limit, notebook_limit = timeouts(cell_timeout, notebook_timeout)

    def entry(path: str, display_name: str, functions: list[str], request_fd: int, reply_fd: int) -> None:
        run_kernel(path, display_name, functions, request_fd, reply_fd, cell_timeout=cell_limit, notebook_timeout=notebook_limit)

    return entry
