"""The supervisor (W): sets up the namespaces, forks the worker, waits for it and ends the way it ended."""
from __future__ import annotations

import gc
import os
import resource
import signal
import traceback
from typing import Any, Callable

from grader.worker.sandbox.confine import become_worker
from grader.worker.sandbox.limits import setrlimit
from grader.worker.sandbox.namespaces import enter_namespaces, sweep_descendants
from grader.worker.sandbox.plan import Plan, report
from grader.worker.sandbox.syscalls import PR_SET_CHILD_SUBREAPER, PR_SET_DUMPABLE, PR_SET_PDEATHSIG, prctl


def supervise(plan: Plan, target: Callable[[], None]) -> None:
    """Runs in W: set up the namespaces, fork the worker, end the way it ended."""
    # A collection walking the inherited heap would copy every page it
    # touches (reference counts, gc headers): freeze what the grader built.
    gc.disable()
    gc.freeze()
    missing: list[str] = []
    report(plan.status_w, f"supervisor {os.getpid()}")
    for fd in plan.close_in_child:
        os.close(fd)
    try:
        os.setsid()  # off the grader's terminal and process group: no stray Ctrl-C
    except OSError:
        pass
    if prctl(PR_SET_PDEATHSIG, signal.SIGKILL):
        if os.getppid() != plan.grader_pid:
            os._exit(0)  # the grader died before we could ask to follow it
    else:
        missing.append("pdeathsig")
    _reset_signals()
    _replace_stray_fds(set(plan.keep_fds) | {plan.status_w, plan.go_r})
    setrlimit(resource.RLIMIT_CORE, 0)
    was_root = os.geteuid() == 0
    in_namespace = plan.namespaces and enter_namespaces(missing)
    if not in_namespace:
        if "pid-namespace" not in missing:
            missing.append("pid-namespace")
        # Orphans of the worker's tree are re-parented to us, so that we can
        # sweep them when the worker ends.
        prctl(PR_SET_CHILD_SUBREAPER, 1)
    child = os.fork()
    if child == 0:
        try:
            become_worker(plan, target, in_namespace, was_root)
        except BaseException:
            report(plan.status_w, "error " + traceback.format_exc().replace("\n", "\\n"))
        finally:
            os._exit(71)
    report(plan.status_w, f"pid {child} {','.join(missing)}")
    os.close(plan.go_r)
    for fd in plan.keep_fds:
        try:
            os.close(fd)
        except OSError:
            pass
    # No core dumps of the grader's memory when we mirror a crash.
    prctl(PR_SET_DUMPABLE, 0)
    cpu = 0.0
    while True:
        try:
            _, status, usage = os.wait4(child, 0)
            cpu = usage.ru_utime + usage.ru_stime
            break
        except ChildProcessError:
            status = 0
            break
    # The grader may not be our parent (the fork server is): it learns how the
    # worker ended, and its CPU time, from this line.
    report(plan.status_w, f"exit {status} {cpu!r}")
    if not in_namespace:
        try:
            os.killpg(child, signal.SIGKILL)  # the worker's own group (it called setsid)
        except OSError:
            pass
        sweep_descendants()
    _mirror(status)


def _mirror(status: int) -> None:
    """End this process exactly as the worker ended."""
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            if number not in (signal.SIGKILL, signal.SIGSTOP):
                signal.signal(number, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {number})
            os.kill(os.getpid(), number)
        except (OSError, ValueError):
            pass
        os._exit(128 + number)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 70)


def _reset_signals() -> None:
    """Default dispositions, nothing blocked: the grader's handlers must not run here."""
    for number in signal.valid_signals():
        if number in (signal.SIGKILL, signal.SIGSTOP):
            continue
        # Python's own choice: failed writes raise instead of killing.
        wanted: Any = signal.SIG_IGN if number in (signal.SIGPIPE, signal.SIGXFSZ) else signal.SIG_DFL
        try:
            if signal.getsignal(number) is not wanted:
                signal.signal(number, wanted)
        except (OSError, ValueError, RuntimeError):
            pass
    try:
        signal.pthread_sigmask(signal.SIG_SETMASK, set())
        signal.set_wakeup_fd(-1)
    except (OSError, ValueError):
        pass


def _open_fds() -> list[int]:
    for path in ("/proc/self/fd", "/dev/fd"):
        try:
            return sorted(int(name) for name in os.listdir(path))
        except OSError:
            continue
    return list(range(3, 256))


def _replace_stray_fds(keep: set[int]) -> None:
    """Point every descriptor inherited from the grader at /dev/null.

    Closing them would be simpler, but the caller's target may close the
    grader's ends of its pipes itself; /dev/null keeps those numbers valid
    while cutting the worker off from everything the grader had open.
    """
    null = os.open(os.devnull, os.O_RDWR | os.O_CLOEXEC)
    for fd in _open_fds():
        if fd > 2 and fd not in keep and fd != null:
            try:
                os.dup2(null, fd, inheritable=False)
            except OSError:
                pass
    os.close(null)
