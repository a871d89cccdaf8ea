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

import mmap
import os
from typing import Any, Optional

ARENA = ".grader-arena"  # in the worker's folder, beside its copy of the submission
SIZE = 16 << 20  # bytes: far more than any call's arguments, which the channel caps anyway
ALIGN = 64

_MAP: Optional[mmap.mmap] = None


def open_arena(submission_path: str) -> None:
    """Map the arena the grader made beside the submission (before any student code runs)."""
    global _MAP
    path = os.path.join(os.path.dirname(submission_path), ARENA)
    try:
        fd = os.open(path, os.O_RDWR | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return  # a worker started without one (a test of the runners): arguments travel in the request
    try:
        _MAP = mmap.mmap(fd, SIZE)
    except (OSError, ValueError):
        _MAP = None
    finally:
        os.close(fd)


def available() -> bool:
    return _MAP is not None


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
            _MAP[flag] = 1
        else:
            _MAP[flag] = 0


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
