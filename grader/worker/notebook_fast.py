"""A notebook's cells run in the worker itself by IPython's ``InteractiveShell``: the grader's path.

Magics, ``!`` and ``display`` behave as in Jupyter, at the cost of tens of
milliseconds once IPython is imported (the fork server does it once).  The
cell loop and everything the two runners share is in ``grader.worker.notebook``.
"""
from __future__ import annotations

import builtins
import os
import signal
import sys
from typing import Any, NoReturn, Optional

from grader.worker import protocol, runtime as worker
from grader.worker.notebook import (
    SKIP_TAG,
    CellNames,
    Entry,
    NotebookWorker,
    after_cell,
    agg,
    Alarm,
    enter_device_context,
    load_message,
    make_shell,
    no_getpass,
    no_input,
    presence,
    send_invalid,
    settle_in_worker,
    timeout_error,
    read_notebook,
    run_cells,
    timeouts,
)


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

        agg()
        builtins.input = no_input
        getpass.getpass = no_getpass
        self.shell = make_shell(self.ipython_dir)
        self.names = CellNames(self.shell.compile, self.count_to_index, self.display_name)
        alarm = Alarm()
        # A replay of a kernel's history (grader.cli.inline) keeps the student's own In [N].
        replay = (nb.get("metadata", {}).get("grader") or {}).get("replay") == "history"

        def execute(index: int, source: str, limit: float, message: str) -> None:
            count = nb.cells[index].get("execution_count")
            if replay and type(count) is int and count >= self.shell.execution_count:
                self.shell.execution_count = count
            self._run_cell(index, source, alarm, limit, message)
            after_cell()

        # The cells print within the load's budget; display() too, now that the shell exists.
        with worker.printing(quiet=False, budget=worker.LOAD_PRINT_BUDGET):
            run_cells(nb, self.cell_timeout, self.notebook_timeout, self.cells, execute)

    def _run_cell(self, index: int, source: str, alarm: Alarm, limit: float, message: str) -> None:
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
            error = self._describe(exc) if isinstance(exc, KeyboardInterrupt) else timeout_error(message)
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
    settle_in_worker()
    nb, invalid = read_notebook(path, display_name)
    if invalid is not None:
        send_invalid(reply_fd, functions, invalid)
    for index in skip_cells:
        if 0 <= index < len(nb.cells):
            tags = nb.cells[index].setdefault("metadata", {}).setdefault("tags", [])
            tags.append(SKIP_TAG)
    cell_limit, notebook_limit = timeouts(cell_timeout, notebook_timeout)
    enter_device_context()
    run = FastRun(display_name, cell_limit, notebook_limit, os.path.join(os.getcwd(), ".ipython"))
    run.run(nb)
    assert run.names is not None
    protocol.send(reply_fd, load_message(presence(run.namespace, functions), run.cells))
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
