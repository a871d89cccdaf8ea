"""User and PID namespaces (the worker is PID 1 of its own), and the subreaper sweep where there are none."""
from __future__ import annotations

import ctypes
import os
import signal
import stat
import time

from grader.worker.sandbox.syscalls import CLONE_NEWIPC, CLONE_NEWPID, CLONE_NEWUSER, LIBC, LINUX, PR_SET_DUMPABLE, prctl


def enter_namespaces(missing: list[str]) -> bool:
    """unshare a user and a PID namespace; the next fork becomes its PID 1."""
    if LIBC is None or not LINUX:
        missing.append("user-namespace")
        return False
    uid, gid = os.geteuid(), os.getegid()
    # A process that changed its credentials is non-dumpable, which makes
    # /proc/self/uid_map root's; we only need to write it, then W gives it
    # up again once the worker is forked.
    prctl(PR_SET_DUMPABLE, 1)
    unshare = LIBC.unshare
    unshare.restype = ctypes.c_int
    # A new IPC namespace too: System V objects die with the worker, and no two workers share them.
    if unshare(ctypes.c_int(CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWIPC)) == 0:
        try:
            write_file("/proc/self/setgroups", "deny")
            write_file("/proc/self/uid_map", f"{uid} {uid} 1")
            write_file("/proc/self/gid_map", f"{gid} {gid} 1")
            return True
        except OSError:
            # Unmapped ids would leave the worker unable to own its files;
            # the pid namespace still kills the tree, so go on.
            missing.append("user-namespace")
            return True
    missing.append("user-namespace")
    # A privileged grader can still get a PID namespace without a user one.
    return unshare(ctypes.c_int(CLONE_NEWPID)) == 0


def write_file(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def sweep_descendants() -> None:
    """Without a PID namespace: kill whatever the worker left behind.

    We are a subreaper, so every orphan of the worker's tree becomes our
    child: kill all descendants, reap, and repeat until we have no children.
    """
    me = os.getpid()
    deadline = time.monotonic() + 5.0
    while True:
        victims = _descendants(me)
        for pid in victims:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        try:
            while os.waitpid(-1, os.WNOHANG)[0] > 0:
                pass
        except ChildProcessError:
            if not victims:
                return
        if time.monotonic() > deadline:
            return
        time.sleep(0.0005)


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                ppid = int(handle.read().rsplit(b")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    found: list[int] = []
    stack = [root]
    while stack:
        for pid in children.get(stack.pop(), []):
            found.append(pid)
            stack.append(pid)
    return found
