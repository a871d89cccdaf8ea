"""The arena: shared memory where a call's arguments live, so that the grader reads them back itself.

The grader (which never runs student code) writes each tensor argument of a
call into a file of the worker's folder, ``ARENA``, and the worker builds the
tensor as a view of that memory (``torch.frombuffer``).  An update in place
(``What -= ...`` under ``no_grad``, ``optimizer.step()``) lands in the arena
without the worker's help; after the call the worker also writes back what
the caller's objects hold (``What.data = ...`` gives a tensor new memory) and
their gradients.  The grader then reads the arguments' final state from the
arena, not from the worker's reply: a process that takes over the reply
channel can claim anything about a call, but to move the caller's What it has
to write the trained values where the grader reads them, which is the work.

Layout of one call's slots (offsets in bytes, aligned to ``ALIGN``), decided
by the grader and sent in the request: for each tensor (an argument, or a
module's parameter) ``{"arena": offset, "grad": offset, "flag": offset,
"shape": [...], "dtype": name}``.  The flag byte is 1 when the worker wrote a
gradient, 0 when the gradient is None.  Worker side only: nothing here knows
an answer.
"""
from __future__ import annotations

import ctypes
import mmap
import os
from typing import Any, Optional

ARENA = ".grader-arena"  # in the worker's folder, beside its copy of the submission
ALIGN = 64
LIMIT = 256 << 20  # bytes: the most one call's arguments may take (the request's own cap is smaller)

_PATH: Optional[str] = None
# The current mapping (bytes-like, writable) and its size.  A mapping is never unmapped:
# a tensor the student kept from an earlier call still points into it.
_MAP: Any = None
_SIZE = 0


def open_arena(submission_path: str) -> None:
    """Where the arena is: beside the submission (mapped at the first call, at the size it asks for)."""
    global _PATH
    path = os.path.join(os.path.dirname(submission_path), ARENA)
    _PATH = path if os.path.exists(path) else None  # a worker started without one (a test of the runners)


def available() -> bool:
    return _PATH is not None


def mapped() -> bool:
    return _MAP is not None


def ensure(size: int) -> None:
    """Map at least ``size`` bytes of the arena (the grader grew the file to hold a call's arguments).

    Mapped through libc, so that no descriptor of the file stays open: a
    submission that writes to every descriptor it has cannot reach the arena
    by accident.  Only as much as the calls need is mapped, since the
    worker's address space is limited (``--memory-limit``).
    """
    global _MAP, _SIZE
    if _PATH is None or size <= _SIZE or size > LIMIT:
        return
    fd = os.open(_PATH, os.O_RDWR | getattr(os, "O_NOFOLLOW", 0))
    try:
        _MAP, _SIZE = _mapped(fd, size), size
    finally:
        os.close(fd)


def _mapped(fd: int, size: int) -> Any:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.mmap.restype = ctypes.c_void_p
        libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
        address = libc.mmap(None, size, mmap.PROT_READ | mmap.PROT_WRITE, mmap.MAP_SHARED, fd, 0)
    except (OSError, AttributeError):
        address = None
    if address is None or address == ctypes.c_void_p(-1).value:
        return mmap.mmap(fd, size)  # (keeps a copy of the descriptor)
    return (ctypes.c_char * size).from_address(address)


def view(slot: dict[str, Any]) -> Any:
    """The tensor a slot holds, sharing its memory (CPU, the slot's dtype and shape)."""
    import torch

    assert _MAP is not None
    dtype = getattr(torch, slot["dtype"])
    shape = [int(s) for s in slot["shape"]]
    count = 1
    for s in shape:
        count *= s
    if count == 0:
        return torch.zeros(shape, dtype=dtype)
    flat = torch.frombuffer(_MAP, dtype=dtype, count=count, offset=int(slot["arena"]))
    return flat.reshape(shape)


def write_back(slot: dict[str, Any], tensor: Any, grad: Any) -> None:
    """After the call: the values the caller's object holds, and its gradient, into the slot.

    A tensor whose memory is still the arena's needs no copy; one given new
    memory (``.data = ...``, moved to a GPU) is copied back.  Shapes that no
    longer fit are left alone: the grader then sees the arguments as they were.
    """
    import torch

    if _MAP is None:
        return
    with torch.no_grad(), torch._C.DisableTorchFunction():
        target = view(slot)
        _copy(target, tensor)
        flag = int(slot["flag"])
        if grad is not None and _copy(view({**slot, "arena": slot["grad"]}), grad):
            _MAP[flag : flag + 1] = b"\x01"
        else:
            _MAP[flag : flag + 1] = b"\x00"


def _copy(target: Any, source: Any) -> bool:
    import torch

    if not isinstance(source, torch.Tensor):
        return False
    source = source.detach()
    if source.numel() != target.numel():
        return False
    if source.device.type == "cpu" and source.untyped_storage().data_ptr() == target.untyped_storage().data_ptr() and source.data_ptr() == target.data_ptr():
        return True  # still the arena's memory: the update landed there
    try:
        target.copy_(source.reshape(target.shape).to(device="cpu", dtype=target.dtype))
    except (RuntimeError, TypeError, ValueError):
        return False
    return True
