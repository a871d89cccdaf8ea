# expect: parameter-rebound
"""Rebinds What (so the caller's What never moves), then takes over the worker's
reply channel: it finds the socket with os.fstat, answers the call it is in,
and never returns, answering every later request itself in the documented
framing.  Each forged reply computes the histories honestly and claims that
the caller's What was trained in place.

The grader must not believe the claim: it reads the arguments after the call
itself (from the arena), where What is still the initial value.
"""
import json
import mmap
import os
import stat
import struct

import torch


def _honest(X, y, What, alpha, epochs):
    W = What.detach().clone().requires_grad_(True)
    losses, history = [], [W.data.reshape(-1).tolist()]
    for _ in range(epochs):
        loss = torch.sum((y - X @ W) ** 2)
        loss.backward()
        W = (W - alpha * W.grad).detach().requires_grad_(True)  # a new tensor: the caller's What stays
        losses.append(loss.item())
        history.append(W.data.reshape(-1).tolist())
    return losses, history, W


def _number(v):
    return v if v == v and abs(v) != float("inf") else ("nan" if v != v else ("inf" if v > 0 else "-inf"))


DEVICE = ["cpu"]  # the device the grader asked for: claimed for every tensor


def _tensor(t, requires_grad=None):
    data = [_number(v) for v in t.detach().double().reshape(-1).tolist()]
    rg = t.requires_grad if requires_grad is None else requires_grad
    return {"tensor": {"shape": list(t.shape), "dtype": str(t.dtype).replace("torch.", ""), "device": DEVICE[0], "data": data, "requires_grad": rg}}


def _numbers(values):
    return [v if isinstance(v, float) and v == v and abs(v) != float("inf") else {"float": _number(float(v))} for v in values]


def _reply(X, y, What, alpha, epochs):
    losses, history, W = _honest(X, y, What, alpha, epochs)
    trained = {"value": _tensor(W, True), "grad": None, "is_leaf": True, "requires_grad": True}
    data = [{"value": _tensor(t), "grad": None, "is_leaf": True, "requires_grad": False} for t in (X, y)]
    return {
        "ok": True,
        "return": {"tuple": [{"list": _numbers(losses)}, {"list": [{"list": _numbers(h)} for h in history]}]},
        "after": data + [trained, None, None],
        "events": [],
        "lines": None,
        "warnings": [],
    }


def _channel():
    for fd in range(3, 256):
        try:
            if stat.S_ISSOCK(os.fstat(fd).st_mode):
                return fd
        except OSError:
            pass
    return None


def _send(fd, message):
    payload = json.dumps(message).encode()
    os.write(fd, struct.pack(">I", len(payload)) + payload)


_SIZES = {"float32": 4, "float64": 8}


def _argument(spec):
    if not isinstance(spec, dict):
        return spec
    if "float" in spec:
        return float(spec["float"])
    body = spec.get("tensor")
    if body is None:
        return spec
    dtype = getattr(torch, body["dtype"])
    if "data" in body:
        values = torch.tensor(body["data"], dtype=torch.float64)
    else:  # the arena: read the values where the grader put them
        count = 1
        for s in body["shape"]:
            count *= s
        with open(".grader-arena", "rb") as handle:
            memory = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
            raw = memory[body["arena"] : body["arena"] + count * _SIZES[body["dtype"]]]
        values = torch.frombuffer(bytearray(raw), dtype=dtype).double()
    if "shape" in body:
        values = values.reshape(body["shape"])
    return values.to(dtype).requires_grad_(bool(body.get("requires_grad")))


def _serve(fd):
    buffer = b""
    while True:
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            os._exit(0)
        buffer += chunk
        while len(buffer) >= 4:
            (length,) = struct.unpack(">I", buffer[:4])
            if len(buffer) < 4 + length:
                break
            request, buffer = json.loads(buffer[4 : 4 + length]), buffer[4 + length :]
            if request.get("op") == "call":
                DEVICE[0] = "cuda:0" if request.get("device") else "cpu"
                try:
                    _send(fd, _reply(*[_argument(a) for a in request["args"]]))
                except Exception as exc:  # noqa: BLE001
                    _send(fd, {"ok": False, "error": {"type": type(exc).__name__, "message": str(exc), "frames": []}})
            else:
                _send(fd, {"ok": True})


def train(X, y, What, alpha, epochs):
    fd = _channel()
    if fd is None:
        losses, history, _ = _honest(X, y, What, alpha, epochs)
        return losses, history
    _send(fd, _reply(X, y, What, alpha, epochs))
    _serve(fd)
