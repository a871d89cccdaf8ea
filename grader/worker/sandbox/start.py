"""Starting a contained worker (grader side): the plan, the fork or spawn of the supervisor, the handshake."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import traceback
from typing import Any, Callable, Mapping, Optional, Sequence

from grader.worker.sandbox.contained import Contained, Status
from grader.worker.sandbox.environment import scrubbed_environment
from grader.worker.sandbox.landlock import read_rules
from grader.worker.sandbox.limits import Limits, PROTECTIONS, SandboxError, SpawnTarget, SETUP_TIMEOUT
from grader.worker.sandbox.plan import Plan, report
from grader.worker.sandbox.seccomp import apply_seccomp
from grader.worker.sandbox.supervisor import supervise
from grader.worker.sandbox.syscalls import fork_is_safe


def start_contained(
    target: Optional[Callable[[], None]] = None,
    *,
    workdir: str,
    limits: Limits,
    keep_fds: Sequence[int] = (),
    spawn: Optional[SpawnTarget] = None,
    method: Optional[str] = None,
    namespaces: bool = True,
    seccomp: bool = True,
    unix_sockets: bool = False,
    entry: Optional[Mapping[str, Any]] = None,
    entry_fds: Optional[tuple[int, int, int]] = None,
    withheld: Sequence[str] = (),
) -> Contained:
    """Start a contained worker and return once it is locked in.

    Either ``target`` runs in a child forked from this process (cwd
    ``workdir``, descriptors other than 0-2 and ``keep_fds`` replaced by
    /dev/null; it must not return into the caller's stack), or ``entry`` is
    run by a child of the fork server (``grader.worker.zygote``), which never held
    what this process holds: ``entry`` is ``{"function": "module:name",
    "path", "display", "functions", "kwargs"}`` and ``entry_fds`` the
    worker's (channel, stdout, stderr) descriptors.  Where forking is unsafe
    (see :func:`fork_is_safe`) a fresh interpreter runs ``spawn`` (or the
    entry) instead.  ``method`` forces ``"fork"``, ``"zygote"`` or ``"spawn"``;
    ``namespaces=False`` and ``seccomp=False`` exist to test the fallbacks.
    ``unix_sockets=True`` lets the worker create unix sockets (see
    :func:`apply_seccomp` for what that opens).  ``withheld`` paths stay
    unreadable even where the Python installation around them is readable.
    """
    if entry is not None:
        assert entry_fds is not None
        channel, out_w, err_w = entry_fds
        keep_fds = (channel,)
        spawn = SpawnTarget("grader.worker.zygote:run_spawned_entry", (dict(entry), channel), stdout=out_w, stderr=err_w)
    if method is None:
        if spawn is not None and not fork_is_safe():
            method = "spawn"
        else:
            method = "zygote" if entry is not None else "fork"
    if method == "spawn" and spawn is None:
        raise ValueError("method='spawn' needs a SpawnTarget")
    if method == "fork" and target is None:
        raise ValueError("method='fork' needs a target")
    workdir = os.path.realpath(workdir)
    keep = sorted({fd for fd in keep_fds if fd > 2})
    rules = read_rules(withheld) + [(workdir, "write")]
    env = scrubbed_environment(workdir)
    status_r, status_w = os.pipe()
    go_r, go_w = os.pipe()
    plan = Plan(
        workdir=workdir,
        memory=limits.memory,
        cpu=limits.cpu_seconds,
        file_size=limits.file_size,
        processes=limits.processes,
        keep_fds=keep,
        rules=rules,
        env=env,
        grader_pid=os.getpid(),
        status_w=status_w,
        go_r=go_r,
        namespaces=namespaces,
        seccomp=seccomp,
        unix_sockets=unix_sockets,
        accelerators=any(kind == "device" for _, kind in rules),
        close_in_child=[status_r, go_w],
    )
    started = time.monotonic()
    popen = None
    pid = 0
    try:
        if method == "zygote":
            assert entry is not None and entry_fds is not None
            from grader.worker import zygote

            fields = {k: v for k, v in vars(plan).items() if k not in ("keep_fds", "status_w", "go_r", "grader_pid", "close_in_child")}
            zygote.request(
                {"plan": fields, "entry": dict(entry), "fds": {"channel": 0, "stdout": 1, "stderr": 2, "status": 3, "go": 4}},
                [entry_fds[0], entry_fds[1], entry_fds[2], status_w, go_r],
            )
        elif method == "fork":
            assert target is not None
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except (OSError, ValueError, AttributeError):
                    pass
            pid = os.fork()
            if pid == 0:
                try:
                    supervise(plan, target)
                except BaseException:
                    report(status_w, "error " + traceback.format_exc().replace("\n", "\\n"))
                finally:
                    os._exit(70)
        else:
            assert spawn is not None
            popen = _spawn_supervisor(plan, spawn)
            pid = popen.pid
    finally:
        os.close(status_w)
        os.close(go_r)
    status = Status(status_r)
    supervisor_pidfd = None
    pidfd = None
    setup = min(SETUP_TIMEOUT, max(limits.timeout, 5.0))
    try:
        if method == "zygote":
            # The fork server may first load what this worker will use (grader.worker.zygote):
            # the grader's own time, so the worker's setup is timed from the fork on.
            _handshake(status, started + _PRELOAD_TIMEOUT, forked=True)
            started_setup = time.monotonic()
        else:
            started_setup = started
        _handshake(status, started_setup + setup)
        if method == "zygote" and status.supervisor_pid is not None:
            pid = status.supervisor_pid
            try:
                supervisor_pidfd = os.pidfd_open(pid)
            except (AttributeError, OSError):
                supervisor_pidfd = None
        if status.worker_pid is not None:
            try:
                pidfd = os.pidfd_open(status.worker_pid)
            except (AttributeError, OSError):
                pidfd = None
            try:
                os.write(go_w, b"g")
            except OSError:
                pass
    finally:
        os.close(go_w)
    contained = Contained(
        pid,
        "fork" if method == "zygote" else method,
        tuple(sorted(set(status.missing), key=_protection_order)),
        worker_pid=status.worker_pid,
        worker_pidfd=pidfd,
        popen=popen,
        setup_time=time.monotonic() - started,
        status=status,
        child=method != "zygote",
        supervisor_pidfd=supervisor_pidfd,
    )
    if status.error is not None or status.worker_pid is None:
        contained.kill()
        exit_ = contained.wait()
        raise SandboxError(f"the sandbox failed to start the worker ({exit_}): {status.error or 'no report'}")
    return contained


# How long the fork server may take to load what a worker will use before it forks
# it (over a second for torch._dynamo on a busy machine; minutes only if it is stuck).
_PRELOAD_TIMEOUT = 120.0


def _protection_order(name: str) -> tuple[int, str]:
    return (PROTECTIONS.index(name) if name in PROTECTIONS else len(PROTECTIONS), name)


def _handshake(status: Status, deadline: float, forked: bool = False) -> None:
    """Wait for the worker to be locked in (or for the reason it is not); with ``forked``,
    only for its supervisor to be forked."""
    while not (status.supervisor_pid is not None if forked else status.ready and status.worker_pid is not None) and status.error is None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            status.error = "timed out waiting for the worker to start"
            return
        status.read(remaining)
        if status.closed and not status.ready:
            status.error = status.error or "the supervisor ended during setup"
            return


def _spawn_supervisor(plan: Plan, spawn: SpawnTarget) -> "subprocess.Popen[bytes]":
    config = dict(vars(plan))
    config["spawn"] = {"function": spawn.function, "args": list(spawn.args), "stdout": spawn.stdout, "stderr": spawn.stderr}
    passed = set(plan.keep_fds) | {plan.status_w, plan.go_r}
    for fd in (spawn.stdout, spawn.stderr):
        if fd is not None:
            passed.add(fd)
    config["keep_fds"] = sorted(passed - {plan.status_w, plan.go_r})
    config["close_in_child"] = []
    env = dict(plan.env)
    # Only the supervisor's own start needs the grader's import path.
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p and os.path.isdir(p))
    code = "import sys, grader.worker.sandbox.start as s; s._spawned_supervisor(sys.argv[1])"
    return subprocess.Popen(
        [sys.executable, "-B", "-c", code, json.dumps(config)],
        pass_fds=sorted(passed),
        stdin=subprocess.DEVNULL,
        env=env,
        cwd=plan.workdir,
        start_new_session=True,
    )


def _spawned_supervisor(config_json: str) -> None:
    """Entry point of a spawned supervisor (a fresh interpreter)."""
    config = json.loads(config_json)
    spawn = config.pop("spawn")
    config["rules"] = [tuple(rule) for rule in config["rules"]]
    plan = Plan(**config)
    module_name, _, function_name = spawn["function"].partition(":")
    import importlib

    function = getattr(importlib.import_module(module_name), function_name)
    args = spawn["args"]
    stdout, stderr = spawn["stdout"], spawn["stderr"]

    def target() -> None:
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        if stdout is not None:
            os.dup2(stdout, 1)
        if stderr is not None:
            os.dup2(stderr, 2)
        function(*args)

    try:
        supervise(plan, target)
    except BaseException:
        report(plan.status_w, "error " + traceback.format_exc().replace("\n", "\\n"))
    finally:
        os._exit(70)
