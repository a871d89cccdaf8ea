"""A notebook's cells run by nbclient in a real ipykernel, which then serves the calls.

Slow (a kernel per notebook): it exists to prove the fast path
(``grader.worker.notebook_fast``) faithful; the tests compare both on the
corpus in ``tests/notebooks``.  The kernel is a descendant of the worker and
stays in its process group, so the sandbox that contains the worker contains it.
"""
from __future__ import annotations

import contextvars
import os
import re
import selectors
import signal
import sys
import time
from typing import Any, NoReturn, Optional

from grader.worker import protocol, runtime as worker
from grader.worker.notebook import (
    CellNames,
    Entry,
    NotebookWorker,
    enter_device_context,
    load_message,
    name_syntax_error,
    presence,
    send_invalid,
    settle_in_worker,
    timeout_error,
    read_notebook,
    run_cells,
    timeouts,
)


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
    enter_device_context(mode)




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
                error = timeout_error(message)
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
        code = f"__import__('grader.worker.notebook_kernel', fromlist=['_']).prepare_kernel({getattr(worker, 'MODE', 'cpu')!r}, {list(KERNEL_PREIMPORT)!r})"
        msg_id = client.kc.execute(code, silent=True, store_history=False, allow_stdin=False)
        saved, client.timeout = client.timeout, 300
        try:
            client.wait_for_reply(msg_id)
        finally:
            client.timeout = saved

    @staticmethod
    def _error(output: Any, names: CellNames) -> dict[str, Any]:
        return name_syntax_error(
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

    from grader.worker import arena

    arena.open_arena(requests)  # the kernel builds the arguments: it maps the arena beside the FIFOs
    shell = get_ipython()
    reply_fd = os.open(replies, os.O_WRONLY)
    request_fd = os.open(requests, os.O_RDONLY)
    names = CellNames(shell.compile, dict(count_to_index), display_name)
    namespace = shell.user_ns
    protocol.send(reply_fd, {"op": "functions", "functions": presence(namespace, functions)})
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
    # An event loop inherited from the process this worker was forked from (a
    # Jupyter kernel that ran check(), a test that ran nbclient) polls an epoll
    # descriptor the sandbox has closed: jupyter_core keeps it in a context
    # variable, so the worker runs in a fresh context and makes its own loop.
    contextvars.Context().run(_run_kernel, path, display_name, functions, request_fd, reply_fd, cell_timeout, notebook_timeout, startup_timeout)
    os._exit(0)  # _run_kernel serves until the grader closes the pipes, then exits


def _run_kernel(
    path: str,
    display_name: str,
    functions: list[str],
    request_fd: int,
    reply_fd: int,
    cell_timeout: Optional[float],
    notebook_timeout: Optional[float],
    startup_timeout: float,
) -> None:
    settle_in_worker()
    # The worker's group gets no SIGINT from us, but a stray one must not kill the relay.
    signal.signal(signal.SIGINT, lambda signum, frame: None)
    nb, invalid = read_notebook(path, display_name)
    if invalid is not None:
        send_invalid(reply_fd, functions, invalid)
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
            "__import__('grader.worker.notebook_kernel', fromlist=['_serve_in_kernel'])._serve_in_kernel("
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
    protocol.send(reply_fd, load_message(present, run.cells))
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
