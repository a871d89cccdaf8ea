"""libc through ctypes: ``syscall``, ``prctl`` and the flag values the other mechanisms share."""
from __future__ import annotations

import ctypes
import os
import sys
from typing import Any, Optional


def _load_libc() -> Optional[ctypes.CDLL]:
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


LIBC = _load_libc()
LINUX = sys.platform.startswith("linux")


def syscall(number: int, *args: Any) -> int:
    if LIBC is None or not LINUX:
        return -1
    call = LIBC.syscall
    call.restype = ctypes.c_long
    # syscall() is variadic: plain Python ints would travel as 32-bit ints.
    converted = [ctypes.c_long(a) if isinstance(a, int) else a for a in args]
    return int(call(ctypes.c_long(number), *converted))


def prctl(option: int, arg2: int = 0, arg3: int = 0) -> bool:
    if LIBC is None or not LINUX:
        return False
    call = LIBC.prctl
    call.restype = ctypes.c_int
    zero = ctypes.c_ulong(0)
    return call(ctypes.c_int(option), ctypes.c_ulong(arg2), ctypes.c_ulong(arg3), zero, zero) == 0


PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_SECCOMP = 22
PR_SET_NO_NEW_PRIVS = 38
PR_SET_CHILD_SUBREAPER = 36

CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000


def fork_is_safe() -> bool:
    """Whether forking this (torch-importing) process is safe here."""
    if not hasattr(os, "fork") or sys.platform == "darwin":
        return False
    torch = sys.modules.get("torch")
    if torch is not None:
        try:
            if torch.cuda.is_initialized():  # a forked child cannot use CUDA again
                return False
        except Exception:
            pass
    return True
