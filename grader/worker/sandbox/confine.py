"""The worker (W'): locks itself in (rlimits, no_new_privs, Landlock, seccomp, no capabilities), reports, waits for the go, runs the target."""
from __future__ import annotations

import gc
import io
import math
import os
import resource
import signal
import sys
import traceback
from typing import Callable

from grader.worker.sandbox.capabilities import drop_capabilities
from grader.worker.sandbox.environment import replace_environment
from grader.worker.sandbox.landlock import apply_landlock
from grader.worker.sandbox.limits import MAX_OPEN_FILES, limit_memory, setrlimit, tasks_of_user
from grader.worker.sandbox.namespaces import write_file
from grader.worker.sandbox.plan import Plan, report
from grader.worker.sandbox.seccomp import apply_seccomp
from grader.worker.sandbox.syscalls import PR_SET_NO_NEW_PRIVS, PR_SET_PDEATHSIG, prctl


def become_worker(plan: Plan, target: Callable[[], None], in_namespace: bool, was_root: bool) -> None:
    """Runs in W': lock this process in, report, wait for the go, run the target."""
    missing: list[str] = []
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    # Root is exempt from RLIMIT_NPROC; inside our own PID namespace the
    # per-namespace pid_max (Linux >= 6.14) still caps the tree, at >= 300.
    nproc_applies = not was_root
    if was_root:
        missing.append("rlimit-nproc")
        if in_namespace:
            try:
                write_file("/proc/sys/kernel/pid_max", str(max(301, plan.processes + 1)))
            except OSError:
                missing.append("pid-max")
    try:
        os.setsid()
    except OSError:
        pass
    # Dispositions and the mask come from the supervisor's reset; student code
    # expects Python's own SIGINT handler (KeyboardInterrupt).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    _restart_faulthandler()
    replace_environment(plan.env)
    os.chdir(plan.workdir)
    torch = sys.modules.get("torch")
    if torch is not None:
        try:
            torch.set_num_threads(1)  # the grader's OpenMP pool did not survive the fork
        except Exception:
            pass
    setrlimit(resource.RLIMIT_CORE, 0)
    if not setrlimit(resource.RLIMIT_FSIZE, plan.file_size):
        missing.append("rlimit-fsize")
    # Each pipe holds up to 64 KiB of kernel memory the address-space limit does not see.
    setrlimit(resource.RLIMIT_NOFILE, MAX_OPEN_FILES)
    cpu = max(1, math.ceil(plan.cpu))
    if not setrlimit(resource.RLIMIT_CPU, cpu, cpu + 1):
        missing.append("rlimit-cpu")
    if nproc_applies and hasattr(resource, "RLIMIT_NPROC"):
        # The kernel counts tasks per user per user namespace: in ours that
        # is the supervisor, this worker and what it starts.  Outside one it
        # is every task of this user on the machine, this worker included.
        if in_namespace:
            limit = plan.processes + 1
        else:
            limit = plan.processes - 1 + tasks_of_user(os.getuid())
        if not setrlimit(resource.RLIMIT_NPROC, limit):
            missing.append("rlimit-nproc")
    elif nproc_applies:
        missing.append("rlimit-nproc")
    if not prctl(PR_SET_NO_NEW_PRIVS, 1):
        missing.append("no-new-privs")
    missing += apply_landlock(plan.rules)
    if not (plan.seccomp and apply_seccomp(plan.unix_sockets)):
        missing.append("seccomp")
    if not drop_capabilities():
        missing.append("capabilities")
    missing += limit_memory(plan.memory, plan.accelerators)
    report(plan.status_w, "ready " + ",".join(missing))
    os.close(plan.status_w)
    go = os.read(plan.go_r, 1)
    os.close(plan.go_r)
    if not go:
        os._exit(0)  # the grader is gone
    gc.enable()
    _fresh_standard_streams()
    try:
        target()
    except BaseException:
        try:
            traceback.print_exc()
            sys.stderr.flush()
        except BaseException:
            pass
        os._exit(70)
    os._exit(0)  # never return into the grader's stack; threads die with us


def _fresh_standard_streams() -> None:
    """New sys.stdin/stdout/stderr on descriptors 0-2, unbuffered like ``python -u``.

    The inherited objects may wrap other descriptors (a test runner's capture)
    and hold the grader's unflushed text; and the worker leaves through
    os._exit, which flushes nothing, so buffered prints would be lost.
    """
    streams = []
    for fd, mode in ((0, "rb"), (1, "wb"), (2, "wb")):
        raw = io.FileIO(fd, mode, closefd=False)
        buffered = io.BufferedReader(raw) if fd == 0 else raw
        streams.append(io.TextIOWrapper(buffered, encoding="utf-8", errors="backslashreplace", write_through=fd != 0))  # type: ignore[arg-type]
    sys.stdin, sys.stdout, sys.stderr = streams
    sys.__stdin__, sys.__stdout__, sys.__stderr__ = streams  # type: ignore[misc]


def _restart_faulthandler() -> None:
    """Send crash tracebacks to our stderr (the captured one), not the grader's old fd."""
    try:
        import faulthandler

        faulthandler.cancel_dump_traceback_later()
        if faulthandler.is_enabled():
            faulthandler.disable()
            faulthandler.enable(file=2, all_threads=True)
    except Exception:
        pass
