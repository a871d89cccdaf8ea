"""Dropping every capability the worker still holds (it may be root in its user namespace)."""
from __future__ import annotations

import ctypes

from grader.worker.sandbox.syscalls import LIBC, LINUX


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def drop_capabilities() -> bool:
    """Give up the capabilities a user namespace grants inside it."""
    if LIBC is None or not LINUX:
        return False
    header = _CapHeader(0x20080522, 0)
    data = (_CapData * 2)()
    capset = LIBC.capset
    capset.restype = ctypes.c_int
    return capset(ctypes.byref(header), ctypes.byref(data)) == 0
