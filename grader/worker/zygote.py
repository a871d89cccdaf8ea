"""The fork server (zygote): where every worker is forked from.

Student code must run in a process that never held anything of the grader:
no reference solution, no check, no mutant, no case generator, no private
reference, no other submission, no grader frame above the worker's entry.
Forking the grader in the middle of grading would copy all of that, so the
grader starts this server *before* it loads any of it, and asks it for
each worker::

    grader (P) --socket--> zygote (Z) --fork--> supervisor (W) --fork--> worker (W')

* Z is forked from P right after torch is imported (``start()``, called by
  the command line before it parses a submission or loads an exercise).  The
  fork happens from a short-lived thread, so Z's only thread has no frame of
  P's call stack; Z then drops every grader module but the worker's own
  runtime (``RUNTIME``), the line cache and the command line, and freezes
  what is left so that forks share its pages.
* Where P already holds answers when the first worker is needed (the grader
  used as a library, e.g. under pytest), Z is *spawned* instead: a fresh
  interpreter that imports torch and the runtime, and nothing else.
* Requests are single datagrams on a ``SOCK_SEQPACKET`` pair: a JSON plan and
  the worker's descriptors (SCM_RIGHTS).  Z never answers; the supervisor it
  forks reports on the status pipe it was given (``grader.worker.sandbox``), so a
  grading child of ``-j N`` can share the one server.  Z ends when every
  client has closed its end.
* Workers inherit what student code imports, so that a notebook's import cell
  costs nothing: Z preloads, by group (``PRELOADS``), IPython's shell and
  display machinery with nbformat (``ipython``), ``numpy``, ``matplotlib``
  with the Agg backend and a first figure drawn, and what the first
  ``torch.optim`` optimizer imports (``optim``: ``torch._dynamo``, over a
  second); torch's ``nn``, ``optim`` and ``linalg`` themselves come from P
  (``torch``).  A group is loaded when the run needs it: :func:`prewarm`
  names what the run's submissions use (read off their text, ``needs``),
  and each request names what its own submission uses.  Z loads one step at
  a time between requests, so a request never waits for a group it does not
  need (at most for the step under way), and one that needs a group waits in
  Z, not in its worker, until the group is loaded.  Nothing preloaded knows
  an answer: third-party libraries only.
"""
from __future__ import annotations

import gc
import importlib
import json
import linecache
import os
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import warnings
from typing import Any, Callable, Iterable, Optional, Sequence

# The grader modules a worker may hold: its own runtime (the package
# ``grader.worker``, all of it, and the bare ``grader`` package above it), and
# nothing that knows an answer or another student.
RUNTIME = "grader.worker"


def is_runtime(name: str) -> bool:
    """Whether the module ``name`` belongs to the worker's runtime (see ``RUNTIME``)."""
    return name in ("grader", RUNTIME) or name.startswith(RUNTIME + ".")


# Entry points a request may name (``module:function``).
ENTRIES = frozenset({"grader.worker.runtime:run", "grader.worker.notebook_fast:run_fast", "grader.worker.notebook_kernel:run_kernel"})

# Modules whose presence in the grader means that forking it now would copy an answer.
_ANSWERS = ("grader.checks", "grader.pack", "grader.packs", "grader.execution.grading", "grader.execution.runner", "grader.authoring.pack_check", "grader.diagnosis", "grader_private_", "grader_pack_")

_MAX_REQUEST = 1 << 20
_READY_TIMEOUT = 300.0
_MAX_FDS = 16

_client: Optional[socket.socket] = None
_ready = False  # the server said "ready" (it has forgotten the grader and can fork)
_method = ""
_popen: Optional["subprocess.Popen[bytes]"] = None  # a spawned server, kept so that it is not collected while it runs


class ZygoteError(RuntimeError):
    """The fork server could not be started or reached."""


def holds_answers() -> bool:
    """Whether this process has loaded anything a worker must not inherit."""
    return any(name.startswith(_ANSWERS) for name in list(sys.modules))


def start(method: Optional[str] = None) -> str:
    """Start the fork server (idempotent); return how: ``"fork"`` or ``"spawn"``.

    ``"fork"`` is chosen when this process holds no answer yet (see
    :func:`holds_answers`) and forking is safe here; otherwise a fresh
    interpreter is spawned, which costs one more torch import.
    """
    global _client, _method, _popen
    if _client is not None:
        return _method
    from grader.worker.sandbox.syscalls import fork_is_safe

    if method is None:
        method = "fork" if fork_is_safe() and not holds_answers() else "spawn"
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    ours.set_inheritable(False)
    if method == "fork":
        _prepare_imports()
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError, AttributeError):
                pass
        forked: list[int] = []

        def fork_from_a_fresh_thread() -> None:
            # In the child this thread is the only one: none of the caller's frames exist there.
            pid = os.fork()
            if pid == 0:
                try:
                    ours.close()
                    _serve(theirs)
                finally:
                    os._exit(0)
            forked.append(pid)

        thread = threading.Thread(target=fork_from_a_fresh_thread, name="grader-zygote")
        thread.start()
        thread.join()
        if not forked:
            raise ZygoteError("the fork server could not be forked")
        _reap_later(forked[0])
    else:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p and os.path.isdir(p))
        _popen = subprocess.Popen(
            [sys.executable, "-B", "-c", "import sys, grader.worker.zygote as z; z._spawned(int(sys.argv[1]))", str(theirs.fileno())],
            pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
    theirs.close()
    _client, _method = ours, method
    global _ready
    _ready = False  # waited for at the first request: the grader loads its checks meanwhile
    return method


def _await_ready() -> None:
    """Wait until the server can fork: a spawned one imports torch first, and
    that time must not count against the first submission's limits."""
    global _ready
    if _ready or _client is None:
        return
    _client.settimeout(_READY_TIMEOUT)
    try:
        ready = _client.recv(16)
    except OSError as exc:
        raise ZygoteError(f"the fork server did not start within {_READY_TIMEOUT:g} s ({exc})") from None
    finally:
        if _client.fileno() >= 0:
            _client.settimeout(None)
    if ready != b"ready":
        raise ZygoteError("the fork server ended while starting")
    _ready = True


def request(plan: dict[str, Any], fds: Sequence[int]) -> None:
    """Ask the server for a worker: ``plan`` is JSON, ``fds`` travel with it.

    The server first loads the groups the entry's submission needs (``needs``), if it has not yet.
    """
    if _client is None:
        start()
    assert _client is not None
    _await_ready()
    entry = plan.get("entry")
    if type(entry) is dict and "needs" not in plan:
        plan = {**plan, "needs": needs(str(entry.get("path", "")), notebook=entry.get("function") != "grader.worker.runtime:run")}
    payload = json.dumps(plan, separators=(",", ":")).encode()
    if len(payload) > _MAX_REQUEST or len(fds) > _MAX_FDS:
        raise ZygoteError(f"a worker request of {len(payload)} bytes and {len(fds)} descriptors is over the limit")
    try:
        socket.send_fds(_client, [payload], list(fds))
    except OSError as exc:
        raise ZygoteError(f"the fork server is gone ({exc}); restart the grader") from None


def prewarm(groups: Sequence[str]) -> None:
    """Have the server load these groups (``PRELOADS``; also ``"notebook"`` and ``"torch._dynamo"``),
    in the background, so that no worker pays for them.

    Does not wait for the loading (a request that needs a group waits in the
    server), only until the server is ready: call it before forking
    processes that will share the server (``-j N``), so that none of them
    waits for the answer meant for another.
    """
    if _client is None:
        start()
    _await_ready()
    wanted = [g for name in groups for g in _ALIASES.get(name, (name,)) if g in PRELOADS]
    if wanted:
        request({"preload": wanted}, [])


# What in a submission's text says that its worker will use a group.  A
# group that is not needed costs a worker nothing; one that is needed and
# not preloaded costs every worker its import.
_NEEDS = (
    ("numpy", re.compile(rb"numpy")),
    ("matplotlib", re.compile(rb"matplotlib|pyplot")),
    ("optim", re.compile(rb"optim|SGD")),
)
_NEEDS_READ = 1 << 20  # bytes of a submission read to find them


def needs(path: str, notebook: bool) -> list[str]:
    """The preload groups the worker for the submission at ``path`` will use (grader side).

    A notebook's worker needs IPython; any submission may name numpy,
    matplotlib or an optimizer.  Only the first MiB is read.
    """
    found = ["torch"] + (["ipython"] if notebook else [])
    try:
        with open(path, "rb") as handle:
            text = handle.read(_NEEDS_READ)
    except OSError:
        return found
    return found + [group for group, pattern in _NEEDS if pattern.search(text)]


def needs_of_all(submissions: Iterable[tuple[str, bool]]) -> list[str]:
    """The union of :func:`needs` over ``(path, notebook)`` pairs, in ``PRELOADS`` order."""
    wanted: set[str] = set()
    for path, notebook in submissions:
        wanted.update(needs(path, notebook))
    return [group for group in PRELOADS if group in wanted]


# --------------------------------------------------------------------------
# the server's side


def _import(name: str) -> Callable[[], None]:
    def step() -> None:
        importlib.import_module(name)

    return step


def _ipython_rest() -> None:
    from grader.worker import notebook

    notebook.prewarm(with_matplotlib=False)


def _warm_torch() -> None:
    """The first calls of the ops the exercises use set themselves up lazily (linalg, the loss modules).

    Nothing here draws a random number: every worker starts from torch's own seed, as a fresh process does.
    """
    import torch

    a = torch.eye(2, dtype=torch.float64)
    torch.linalg.inv(a), torch.linalg.solve(a, a), torch.linalg.lstsq(a, a)
    torch.nn.MSELoss()(torch.nn.functional.linear(a, a[:1]), a[:, :1])


def _agg_pyplot() -> None:
    os.environ.setdefault("MPLBACKEND", "Agg")
    importlib.import_module("matplotlib.pyplot")


def _draw_once() -> None:
    """A first figure loads the fonts and fills matplotlib's caches: once here rather than in each worker."""
    import matplotlib.pyplot as plt

    figure = plt.figure()
    try:
        axes = figure.add_subplot()
        axes.plot([0.0, 1.0], [0.0, 1.0], "o")
        axes.set_title("warm")
        figure.canvas.draw()
    finally:
        plt.close(figure)


def _warm_optimizer() -> None:
    """The first optimizer imports ``torch._dynamo`` and sets itself up: what a student's first ``SGD`` would pay."""
    import torch

    weight = torch.zeros(2, 1, requires_grad=True)
    optimizer = torch.optim.SGD([weight], lr=0.1)
    torch.nn.functional.mse_loss(torch.ones(3, 2) @ weight, torch.ones(3, 1)).backward()
    optimizer.step()
    optimizer.zero_grad()


# Each group is a list of steps, loaded in this order; a step is one public
# import (a tenth of a second or so; torch._dynamo takes over a second), so
# that a request waits at most for the one under way.  A step that fails (a
# library not installed) is skipped: the worker imports what it uses itself.
PRELOADS: dict[str, list[Callable[[], None]]] = {
    "torch": [_warm_torch],
    "ipython": [_import("IPython.core.interactiveshell"), _ipython_rest],
    # numpy itself (torch imports it; numpy.random, Cython-built, is left to the notebooks that use it).
    "numpy": [_import("numpy")],
    "matplotlib": [_import("matplotlib"), _import("matplotlib.font_manager"), _import("matplotlib.figure"), _agg_pyplot, _draw_once],
    # torch._dynamo is one step: importing its parts out of its own order fails half-way (a circular import).
    "optim": [_import("sympy"), _import("torch._dynamo"), _warm_optimizer],
}
_ALIASES = {"notebook": ("ipython", "numpy", "matplotlib"), "torch._dynamo": ("optim",)}


class _Preloader:
    """Z's preloading: the groups asked for, one step at a time, requests first."""

    def __init__(self) -> None:
        self.queue: list[tuple[str, int]] = []  # (group, step) still to load, in order
        self.asked: set[str] = set()

    def ask(self, groups: Any) -> None:
        for group in groups if type(groups) is list else []:
            if type(group) is str and group in PRELOADS and group not in self.asked:
                self.asked.add(group)
                self.queue += [(group, step) for step in range(len(PRELOADS[group]))]

    def step(self) -> None:
        group, index = self.queue.pop(0)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # nothing printed on the grader's terminal
                PRELOADS[group][index]()
        except Exception:
            pass  # not installed, or another version: the worker imports what it uses itself
        # Some first calls read source files (the runtime's among them) into the line cache: a
        # worker starts with an empty one, as after _forget_the_grader.
        linecache.clearcache()
        # What was loaded is shared with every worker: no collection walks it again (copying its pages).
        gc.freeze()

    def complete(self, groups: Any) -> None:
        """Load the groups a request needs (asked for now if they were not) before its worker is forked."""
        self.ask(groups)
        wanted = set(groups) if type(groups) is list else set()
        while any(group in wanted for group, _ in self.queue):
            self.step()


def _prepare_imports() -> None:
    """What every worker needs, imported once in the server instead of in each worker."""
    import torch

    # One thread: forking a process whose OpenMP pool has started can deadlock the child.
    torch.set_num_threads(1)
    import torch.nn.functional  # noqa: F401
    import torch.optim  # noqa: F401

    import grader.worker.virtual_cuda  # noqa: F401
    import grader.worker.runtime  # noqa: F401


def _forget_the_grader() -> None:
    """Drop every grader module but the runtime, and what the grader's start left behind."""
    package = sys.modules.get("grader")
    for name in [n for n in list(sys.modules) if (n == "grader" or n.startswith("grader.")) and not is_runtime(n)]:
        del sys.modules[name]
        if package is not None and name.count(".") == 1:
            try:
                delattr(package, name.split(".", 1)[1])
            except AttributeError:
                pass
    linecache.clearcache()
    del sys.argv[1:]
    sys.last_type = sys.last_value = sys.last_traceback = None  # type: ignore[assignment]
    gc.collect()
    # The workers share these pages with the server instead of copying them.
    gc.freeze()


def _spawned(fd: int) -> None:
    """Entry point of a spawned server."""
    _prepare_imports()
    _serve(socket.socket(fileno=fd))


def _serve(sock: socket.socket) -> None:
    """Z's loop: one datagram, one forked supervisor.  Ends at EOF."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C is for the grader, which closes our socket
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # supervisors are reaped by the kernel
    try:
        os.setsid()
    except OSError:
        pass
    _forget_the_grader()
    from grader.worker.sandbox import plan, supervisor

    sock.send(b"ready")
    preloader = _Preloader()
    while True:
        if preloader.queue and not select.select([sock], [], [], 0)[0]:
            preloader.step()  # nobody is waiting for a worker: load on
            continue
        try:
            payload, fds, _, _ = socket.recv_fds(sock, _MAX_REQUEST, _MAX_FDS)
        except InterruptedError:
            continue
        except OSError:
            return
        if not payload:
            return
        try:
            message = json.loads(payload)
        except ValueError:
            message = {}
        if type(message) is not dict:
            message = {}
        if "preload" in message:
            preloader.ask(message["preload"])
            continue
        try:
            preloader.complete(message.get("needs"))
            _fork_supervisor(plan, supervisor, sock, message, fds)
        except Exception as exc:
            status = message.get("fds", {}).get("status") if type(message) is dict else None
            if type(status) is int and 0 <= status < len(fds):
                plan.report(fds[status], f"error the fork server could not start the worker: {exc!r}")
        finally:
            for fd in fds:
                try:
                    os.close(fd)
                except OSError:
                    pass


def _fork_supervisor(plans: Any, supervisor: Any, sock: socket.socket, message: dict[str, Any], fds: list[int]) -> None:
    plan_in = message["plan"]
    slots = message["fds"]

    def fd(name: str) -> int:
        index = slots[name]
        if type(index) is not int or not 0 <= index < len(fds):
            raise ValueError(f"descriptor {name!r} missing")
        return fds[index]

    entry = message["entry"]
    if entry["function"] not in ENTRIES:
        raise ValueError(f"unknown entry {entry['function']!r}")
    channel, out, err = fd("channel"), fd("stdout"), fd("stderr")
    plan = plans.Plan(
        workdir=plan_in["workdir"],
        memory=plan_in["memory"],
        cpu=plan_in["cpu"],
        file_size=plan_in["file_size"],
        processes=plan_in["processes"],
        keep_fds=[channel, out, err],
        rules=[tuple(rule) for rule in plan_in["rules"]],
        env=plan_in["env"],
        grader_pid=os.getpid(),
        status_w=fd("status"),
        go_r=fd("go"),
        namespaces=plan_in["namespaces"],
        seccomp=plan_in["seccomp"],
        unix_sockets=plan_in["unix_sockets"],
        accelerators=plan_in["accelerators"],
    )

    def target() -> None:
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(out, 1)
        os.dup2(err, 2)
        for fd in {out, err} - {0, 1, 2, channel}:
            os.close(fd)
        run_entry(entry, channel)

    pid = os.fork()
    if pid == 0:
        try:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            sock.close()
            supervisor.supervise(plan, target)
        except BaseException as exc:
            plans.report(plan.status_w, f"error {exc!r}")
        finally:
            os._exit(70)


def run_entry(entry: dict[str, Any], channel: int) -> None:
    """Run a worker entry (``{"function", "path", "display", "functions", "kwargs"}``) on ``channel``."""
    if entry["function"] not in ENTRIES:
        raise ValueError(f"unknown entry {entry['function']!r}")
    from grader.worker import runtime as worker

    module_name, _, function_name = entry["function"].partition(":")
    function = getattr(importlib.import_module(module_name), function_name)
    kwargs = dict(entry.get("kwargs", {}))
    worker.MODE = kwargs.pop("mode", "cpu")
    from grader.worker import arena

    arena.open_arena(entry["path"])  # before any student code runs
    worker.seal()
    worker.watch_the_submission()
    function(entry["path"], entry["display"], list(entry["functions"]), channel, channel, **kwargs)


def run_spawned_entry(entry: dict[str, Any], channel: int) -> None:
    """A worker entry in a freshly spawned interpreter (where forking is unsafe)."""
    _prepare_imports()
    run_entry(entry, channel)


def _reap_later(pid: int) -> None:
    """The forked server is our child: reap it when it ends, without blocking anyone."""

    def reap() -> None:
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass

    threading.Thread(target=reap, name="grader-zygote-reaper", daemon=True).start()
