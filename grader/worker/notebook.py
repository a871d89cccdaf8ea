"""Grading a Jupyter notebook exactly as the same code in a ``.py`` file: what both runners share.

A notebook submission is run cell by cell, in order, inside the worker (see
``grader.worker.runtime`` and ``grader.execution.session``); then the checks call the functions
the notebook defined, over the same wire protocol as for a ``.py`` file.  A cell
that raises does not stop the run: it is reported in the load message's
``cells`` and the next cell runs, as in Jupyter's "Run All" with errors allowed.

Two ways to run the cells, with the same entry signature as ``worker.run``:

* ``notebook_fast.run_fast`` (the grader's path) runs the cells with IPython's
  ``InteractiveShell`` inside the forked worker itself, so magics, ``!`` and
  ``display`` behave as in Jupyter, at the cost of tens of milliseconds once
  :func:`prewarm` has imported IPython in the grader process.
* ``notebook_kernel.run_kernel`` runs them in a real ipykernel driven by nbclient.  It is
  slow (a kernel per notebook) and exists to prove the fast path faithful: the
  tests compare both on the corpus in ``tests/notebooks``.

Whatever a notebook starts (``!`` and ``%%bash`` commands, the kernel) is a
descendant of the worker, so the sandbox that contains the worker contains it
too; the kernel is also kept in the worker's process group.
"""
from __future__ import annotations

import json
import math
import os
import re
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
        return name_syntax_error(error)


_SYNTAX_WHERE = re.compile(r"\(([^()]*), line (\d+)\)$")


def name_syntax_error(error: dict[str, Any]) -> dict[str, Any]:
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


def presence(namespace: dict[str, Any], functions: list[str]) -> dict[str, bool]:
    return {name: callable(namespace.get(name)) for name in functions}


def timeout_error(message: str) -> dict[str, Any]:
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


def settle_in_worker() -> None:
    """Undo what the forked worker inherited from the grader and a fresh kernel would not have.

    The grader's stream objects may not write to fds 1 and 2 at all (pytest's
    capture), and ``os._exit`` would drop their buffers: the worker's own are
    unbuffered within the output budget.  ``tempfile`` cached the grader's
    temporary directory; the sandbox points TMPDIR at the worker's own.
    """
    # A check() cell (grader.cli.inline) does nothing while the grader runs the notebook.
    os.environ[GRADING_ENV] = "1"
    # Bounded streams and print, as for a .py file (grader.worker.output).
    worker.settle_streams()


# --------------------------------------------------------------------------
# the fast path: IPython's InteractiveShell in this process


class Alarm:
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


def no_input(prompt: Any = "") -> str:
    __tracebackhide__ = True
    from IPython.core.error import StdinNotImplementedError

    raise StdinNotImplementedError(_NO_INPUT)


def no_getpass(prompt: Any = "Password: ", stream: Any = None) -> str:
    __tracebackhide__ = True
    from IPython.core.error import StdinNotImplementedError

    raise StdinNotImplementedError(_NO_GETPASS)


def agg() -> None:
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

    The figures of a cell are closed when it ends (see ``after_cell``), as the
    inline backend closes them after drawing them into the notebook.
    """
    import matplotlib.pyplot  # noqa: F401  (%matplotlib imports pyplot in Jupyter too)

    agg()


def after_cell() -> None:
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


def make_shell(ipython_dir: str) -> Any:
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.core.profiledir import ProfileDir
    from traitlets.config import Config

    config = Config()
    # No sqlite history file, no saving thread.
    config.HistoryManager.enabled = False
    config.InteractiveShell.colors = "nocolor"
    # Tracebacks printed as Python prints them: the context view (stack_data) costs 50-150 ms each.
    config.InteractiveShell.xmode = "Plain"
    # Only text is shown (there is no front end): no HTML, LaTeX or image of a cell's value is computed.
    config.DisplayFormatter.active_types = ["text/plain"]
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


def load_message(functions: dict[str, bool], cells: list[dict[str, Any]]) -> dict[str, Any]:
    return {"op": "load", "error": None, "functions": functions, "cells": cells, "invalid": None}


def send_invalid(reply_fd: int, functions: list[str], invalid: str) -> NoReturn:
    message = load_message({name: False for name in functions}, [])
    message["invalid"] = invalid
    protocol.send(reply_fd, message)
    os._exit(0)


# --------------------------------------------------------------------------
# the faithful path: nbclient and a real ipykernel




def enter_device_context(mode: Optional[str] = None) -> None:
    """Run the cells under the device emulation that .py submissions get (``grader.worker.runtime``)."""
    if mode is not None and hasattr(worker, "MODE"):
        setattr(worker, "MODE", mode)
    context = getattr(worker, "device_context", None)
    if context is not None:
        # Entered for the rest of the process's life, as worker.run does: serving never returns.
        context().__enter__()
