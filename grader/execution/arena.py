"""The grader's side of the arena (``grader.worker.arena``): it places a call's arguments, and reads them back.

What the grader believes about the arguments after a call (the caller's What
moved, the data unchanged, the gradient cleared) is read here, from the
shared file, by this process, which never runs student code.  The worker's
reply may still describe the arguments (their dtype, device, whether a tensor
is still a leaf): those descriptions are claims, used only where they can
take a point away.  The file is read with ``pread``, never mapped here: a
student who truncates it makes the values unreadable (the arguments then
read as they were passed), not the grader crash.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Any, Optional, Union

import torch

from grader.worker import arena
from grader.worker.protocol import ModuleValue, TensorValue

_BYTES = {"float16": 2, "bfloat16": 2, "float32": 4, "float64": 8, "int64": 8, "int32": 4, "bool": 1, "uint8": 1}


@dataclass(frozen=True)
class Slot:
    """Where one tensor lives in the arena, and what it was when the call began."""

    body: dict[str, Any]  # the worker's view of it: arena, grad, flag offsets, shape, dtype, requires_grad
    initial: TensorValue


Placed = Union[None, Slot, dict[str, Slot]]


class ArenaFile:
    """The arena of one worker: a sparse file in its folder, written and read with pwrite/pread."""

    def __init__(self, workdir: str) -> None:
        self.path = os.path.join(workdir, arena.ARENA)
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        self.size = 0  # grown to what a call needs (the worker maps no more than that)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    # -- before the call -----------------------------------------------------

    def place(self, args: list[Any]) -> tuple[list[Any], list[Placed]]:
        """The arguments as the worker builds them from the arena, and where each tensor went."""
        offset = [0]
        specs: list[Any] = []
        placed: list[Placed] = []
        for spec in args:
            if type(spec) is dict and "tensor" in spec and "data" in spec["tensor"]:
                slot = self._tensor(spec["tensor"], offset)
                if slot is None:
                    return args, [None] * len(args)  # larger than the arena: the request carries the data
                specs.append({"tensor": slot.body})
                placed.append(slot)
            elif type(spec) is dict and "module" in spec:
                state, slots = {}, {}
                for name, value in spec["module"]["state"].items():
                    slot = self._tensor(value["tensor"], offset)
                    if slot is None:
                        return args, [None] * len(args)
                    state[name] = {"tensor": slot.body}
                    slots[name] = slot
                specs.append({"module": {**spec["module"], "state": state}})
                placed.append(slots)
            else:
                specs.append(spec)
                placed.append(None)
        return specs, placed

    def _tensor(self, body: dict[str, Any], offset: list[int]) -> Optional[Slot]:
        dtype = body.get("dtype")
        if dtype not in _BYTES:
            return None
        values = torch.tensor(body["data"], dtype=getattr(torch, dtype))
        data = values.reshape(-1).numpy().tobytes() if dtype != "bfloat16" else values.view(torch.int16).reshape(-1).numpy().tobytes()
        size = _aligned(len(data))
        start, grad, flag = offset[0], offset[0] + size, offset[0] + 2 * size
        if flag + arena.ALIGN > arena.LIMIT:
            return None
        offset[0] = flag + arena.ALIGN
        if offset[0] > self.size:
            self.size = min(arena.LIMIT, max(offset[0], 2 * self.size, 64 << 10))
            os.ftruncate(self.fd, self.size)
        os.pwrite(self.fd, data, start)
        os.pwrite(self.fd, b"\0", flag)
        shape = list(values.shape)
        slot = {"arena": start, "grad": grad, "flag": flag, "shape": shape, "dtype": dtype, "requires_grad": bool(body.get("requires_grad"))}
        initial = TensorValue(tuple(shape), dtype, tuple(float(v) for v in values.to(torch.float64).reshape(-1).tolist()), "cpu", bool(body.get("requires_grad")))
        return Slot(slot, initial)

    # -- after the call ------------------------------------------------------

    def observe(self, placed: list[Placed], claimed: tuple[Any, ...]) -> tuple[Any, ...]:
        """The arguments after the call, read here: values and gradients from the arena, the
        worker's own description (dtype, device, leaf) where it gave one."""
        out: list[Any] = []
        for index, where in enumerate(placed):
            claim = claimed[index] if index < len(claimed) else None
            if isinstance(where, Slot):
                out.append(self._tensor_after(where, claim))
            elif isinstance(where, dict):
                out.append(self._module_after(where, claim))
            else:
                out.append(claim)
        return tuple(out)

    def _tensor_after(self, slot: Slot, claim: Any) -> dict[str, Any]:
        value, grad = self._read(slot)
        told = claim.get("value") if isinstance(claim, dict) else None
        if isinstance(told, TensorValue):
            # claims the memory cannot show; each can only take a point away (a changed shape, a lost leaf)
            value = replace(value, dtype=told.dtype, device=told.device, requires_grad=told.requires_grad, shape=told.shape if told.shape != value.shape else value.shape)
        observed: dict[str, Any] = {"value": value, "grad": grad}
        observed["is_leaf"] = bool(claim.get("is_leaf")) if isinstance(claim, dict) and "is_leaf" in claim else True
        observed["requires_grad"] = bool(claim.get("requires_grad")) if isinstance(claim, dict) and "requires_grad" in claim else slot.initial.requires_grad
        return observed

    def _module_after(self, slots: dict[str, Slot], claim: Any) -> dict[str, Any]:
        told = claim.get("value") if isinstance(claim, dict) else None
        params, grads = {}, {}
        for name, slot in slots.items():
            value, grad = self._read(slot)
            said = told.params.get(name) if isinstance(told, ModuleValue) else None
            if isinstance(said, TensorValue):
                value = replace(value, dtype=said.dtype, device=said.device, requires_grad=said.requires_grad)
            params[name] = value
            grads[name] = grad
        kind = told.type if isinstance(told, ModuleValue) else "Module"
        tree = told.tree if isinstance(told, ModuleValue) else ()
        features = (told.in_features, told.out_features) if isinstance(told, ModuleValue) else (None, None)
        return {"value": ModuleValue(kind, params, features[0], features[1], tree), "grads": grads}

    def _read(self, slot: Slot) -> tuple[TensorValue, Optional[TensorValue]]:
        body, initial = slot.body, slot.initial
        values = self._values(body["arena"], body["dtype"], len(initial.data))
        value = replace(initial, data=values) if values is not None else initial
        flag = os.pread(self.fd, 1, body["flag"])
        grad = None
        if flag == b"\x01":
            data = self._values(body["grad"], body["dtype"], len(initial.data))
            if data is not None:
                grad = TensorValue(initial.shape, body["dtype"], data, "cpu", False)
        return value, grad

    def _values(self, offset: int, dtype: str, count: int) -> Optional[tuple[float, ...]]:
        size = _BYTES[dtype] * count
        raw = os.pread(self.fd, size, offset) if size else b""
        if len(raw) != size:
            return None  # the file was cut short: what it held is gone
        if count == 0:
            return ()
        kind = getattr(torch, dtype) if dtype != "bfloat16" else torch.int16
        tensor = torch.frombuffer(bytearray(raw), dtype=kind)
        if dtype == "bfloat16":
            tensor = tensor.view(torch.bfloat16)
        return tuple(float(v) for v in tensor.to(torch.float64).tolist())


def _aligned(n: int) -> int:
    return max(arena.ALIGN, (n + arena.ALIGN - 1) // arena.ALIGN * arena.ALIGN)
