"""The wire format between the grader and its worker: size-capped, validated JSON.

Nothing that crosses this boundary is ever unpickled or evaluated.  The worker
turns whatever student code returned into plain data with :func:`encode`
(under the worker's own time limit); the grader turns the bytes back into
:class:`TensorValue` / :class:`ModuleValue` / plain Python values with
:func:`decode`, which rejects anything that does not fit the schema.
"""
from __future__ import annotations

import json
import math
import os
import select
import struct
import time
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional, Union

import msgspec

MAX_MESSAGE_BYTES = 16 * 1024 * 1024
MAX_NUMBERS = 250_000
MAX_STRING = 4000
MAX_DEPTH = 8
_HEADER = struct.Struct(">I")

_NONFINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


class ProtocolError(Exception):
    """A message from the worker that does not fit the schema."""


class TooLarge(ProtocolError):
    """A value with more numbers than the channel carries."""


class Timeout(Exception):
    """The other side did not take a message before the deadline."""


# --------------------------------------------------------------------------
# grader-side values


@dataclass(frozen=True)
class TensorValue:
    """A tensor (or numpy array) as plain data: row-major ``data`` of ``shape``."""

    shape: tuple[int, ...]
    dtype: str
    data: tuple[float, ...]
    device: str = "cpu"
    requires_grad: bool = False
    kind: str = "tensor"

    @property
    def numel(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class ModuleValue:
    """An ``nn.Module`` as plain data: its class name and named parameters."""

    type: str
    params: Mapping[str, TensorValue] = field(default_factory=dict)
    in_features: Optional[int] = None
    out_features: Optional[int] = None
    tree: tuple[Any, ...] = ()  # (class name, (children...)): the layers it is made of


@dataclass(frozen=True)
class OpaqueValue:
    """Something the channel does not carry (only its type name crosses)."""

    type_name: str


# --------------------------------------------------------------------------
# the schema of what the worker sends (validated before anything reads it)
#
# The envelope of every message is checked by msgspec against these types
# (wrong types raise, unknown fields are ignored); the values inside (a
# function's return value, an argument's state) are tagged trees that
# :func:`decode` checks while it counts their numbers.


class FrameIn(msgspec.Struct):
    filename: str = ""
    lineno: int = 0
    function: str = ""
    line: str = ""


class ErrorIn(msgspec.Struct):
    type: str = "Exception"
    message: str = ""
    frames: list[FrameIn] = []
    syntax: bool = False
    device: Optional[str] = None


class CellIn(msgspec.Struct):
    index: int
    error: Optional[ErrorIn] = None
    timed_out: bool = False
    count: Optional[int] = None


class GraderImportIn(msgspec.Struct):
    name: str
    line: int


class LoadIn(msgspec.Struct):
    """The worker's first message: what loading the submission gave."""

    op: str
    error: Optional[ErrorIn] = None
    functions: dict[str, bool] = {}
    cells: list[CellIn] = []
    invalid: Optional[str] = None
    imports_grader: list[GraderImportIn] = []


class ObservationIn(msgspec.Struct):
    """An argument after the call: a tensor's value and gradient, or a module's parameters' gradients."""

    value: Any = None
    grad: Union[Any, msgspec.UnsetType] = msgspec.UNSET
    is_leaf: bool = False
    requires_grad: bool = False
    grads: Union[dict[str, Any], msgspec.UnsetType] = msgspec.UNSET


class ReplyIn(msgspec.Struct):
    """The worker's answer to one call."""

    ok: bool = False
    missing: bool = False
    too_large: Optional[str] = None
    error: Optional[ErrorIn] = None
    conversion: bool = False
    returned: Any = msgspec.field(default=None, name="return")
    after: list[Optional[ObservationIn]] = []
    events: list[Union[str, list[Any]]] = []
    lines: Optional[int] = None
    warnings: list[str] = []
    imports_grader: list[GraderImportIn] = []


def validate(raw: Any, schema: type[msgspec.Struct]) -> Any:
    """``raw`` (parsed JSON) as an instance of ``schema``; :class:`ProtocolError` if it does not fit."""
    try:
        return msgspec.convert(raw, type=schema, strict=True)
    except msgspec.ValidationError as exc:
        raise ProtocolError(f"the worker's message does not fit {schema.__name__}: {exc}") from None


# --------------------------------------------------------------------------
# framing


def send(fd: int, message: Mapping[str, Any], deadline: Optional[float] = None) -> None:
    """Write one length-prefixed JSON message.

    With a ``deadline`` (``time.monotonic()`` seconds) ``fd`` must be
    non-blocking: a reader that stops reading cannot hold the writer past it
    (raises :class:`Timeout`).
    """
    payload = json.dumps(message, allow_nan=False, separators=(",", ":")).encode()
    if len(payload) > MAX_MESSAGE_BYTES:
        raise TooLarge(f"message of {len(payload)} bytes")
    data = _HEADER.pack(len(payload)) + payload
    view = memoryview(data)
    while view:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise Timeout("the worker did not take the request in time")
            _, writable, _ = select.select([], [fd], [], remaining)
            if not writable:
                continue
            try:
                written = os.write(fd, view)
            except BlockingIOError:
                continue
        else:
            written = os.write(fd, view)
        view = view[written:]


class Reader:
    """Reassembles length-prefixed messages from bytes read off a pipe."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, chunk: bytes) -> list[Any]:
        self._buffer += chunk
        messages = []
        while len(self._buffer) >= _HEADER.size:
            (length,) = _HEADER.unpack_from(self._buffer)
            if length > MAX_MESSAGE_BYTES:
                raise TooLarge(f"message of {length} bytes announced")
            if len(self._buffer) < _HEADER.size + length:
                break
            payload = bytes(self._buffer[_HEADER.size : _HEADER.size + length])
            del self._buffer[: _HEADER.size + length]
            try:
                messages.append(json.loads(payload, parse_constant=_reject_constant))
            except (ValueError, RecursionError) as exc:
                raise ProtocolError(f"invalid JSON from worker: {exc}") from None
        return messages


def receive_blocking(fd: int) -> Any:
    """Read one message (worker side: requests from the grader)."""
    reader = Reader()
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            raise EOFError("grader closed the channel")
        messages = reader.feed(chunk)
        if messages:
            return messages[0]


def _reject_constant(name: str) -> Any:
    raise ValueError(f"non-standard JSON constant {name}")


# --------------------------------------------------------------------------
# numbers


def number_out(value: float) -> Any:
    """A float as strict JSON: non-finite values become strings."""
    if math.isfinite(value):
        return value
    return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")


def _int_in(value: int) -> Any:
    """Ints the judge can use: exact below 2**53, else the nearest float (inf past float's range)."""
    if -(2**53) <= value <= 2**53:
        return value
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def number_in(value: Any) -> float:
    if type(value) is int:
        return float(_int_in(value))
    if type(value) is float:
        return value
    if type(value) is str and value in _NONFINITE:
        return _NONFINITE[value]
    raise ProtocolError(f"expected a number, found {type(value).__name__}")


# --------------------------------------------------------------------------
# decoding (grader side)


def decode(obj: Any, _depth: int = 0, _count: Optional[list[int]] = None) -> Any:
    """Validate and convert one encoded value into grader-side values."""
    count = _count if _count is not None else [0]
    if _depth > MAX_DEPTH:
        raise ProtocolError("value nested too deeply")
    if obj is None or type(obj) is bool:
        return obj
    if type(obj) is int:
        return _int_in(obj)
    if type(obj) is float:
        return obj
    if type(obj) is str:
        return obj[:MAX_STRING]
    if type(obj) is not dict or len(obj) != 1:
        raise ProtocolError(f"unexpected value of type {type(obj).__name__}")
    ((tag, body),) = obj.items()
    if tag == "float":
        return number_in(body)
    if tag in ("list", "tuple"):
        if type(body) is not list:
            raise ProtocolError(f"{tag} body is not a list")
        items = [decode(item, _depth + 1, count) for item in body]
        return items if tag == "list" else tuple(items)
    if tag in ("tensor", "ndarray"):
        return _decode_tensor(body, tag, count)
    if tag == "module":
        return _decode_module(body, count)
    if tag == "object":
        if type(body) is not str:
            raise ProtocolError("object body is not a string")
        return OpaqueValue(body[:200])
    raise ProtocolError(f"unknown tag {tag!r}")


def _decode_tensor(body: Any, kind: str, count: list[int]) -> TensorValue:
    if type(body) is not dict:
        raise ProtocolError("tensor body is not an object")
    shape = body.get("shape")
    data = body.get("data")
    if type(shape) is not list or not all(type(s) is int and s >= 0 for s in shape):
        raise ProtocolError("tensor shape is not a list of sizes")
    if type(data) is not list:
        raise ProtocolError("tensor data is not a list")
    numel = math.prod(shape)
    if numel != len(data):
        raise ProtocolError(f"tensor of shape {shape} carries {len(data)} numbers")
    count[0] += numel
    if count[0] > MAX_NUMBERS:
        raise TooLarge(f"more than {MAX_NUMBERS} numbers")
    dtype = body.get("dtype")
    device = body.get("device", "cpu")
    if type(dtype) is not str or type(device) is not str:
        raise ProtocolError("tensor dtype/device are not strings")
    return TensorValue(
        shape=tuple(shape),
        dtype=dtype[:40],
        data=tuple(number_in(v) for v in data),
        device=device[:40],
        requires_grad=bool(body.get("requires_grad", False)),
        kind=kind,
    )


def _decode_module(body: Any, count: list[int]) -> ModuleValue:
    if type(body) is not dict:
        raise ProtocolError("module body is not an object")
    params_in = body.get("params", {})
    if type(params_in) is not dict:
        raise ProtocolError("module params are not an object")
    params = {}
    for name, value in params_in.items():
        if type(name) is not str or type(value) is not dict or set(value) != {"tensor"}:
            raise ProtocolError("module parameter is not a tensor")
        params[name[:100]] = _decode_tensor(value["tensor"], "tensor", count)
    kind = body.get("type")
    if type(kind) is not str:
        raise ProtocolError("module type is not a string")
    features = [body.get("in_features"), body.get("out_features")]
    if not all(f is None or type(f) is int for f in features):
        raise ProtocolError("module features are not integers")
    return ModuleValue(kind[:200], params, features[0], features[1], _decode_tree(body.get("tree"), 0, count))


def _decode_tree(tree: Any, depth: int, count: list[int]) -> tuple[Any, ...]:
    if tree is None:
        return ()
    if depth > MAX_DEPTH or type(tree) is not list or len(tree) != 2 or type(tree[0]) is not str or type(tree[1]) is not list:
        raise ProtocolError("module tree is not [class, [children]]")
    count[0] += 1
    if count[0] > MAX_NUMBERS:
        raise TooLarge(f"more than {MAX_NUMBERS} numbers")
    return (tree[0][:200], tuple(_decode_tree(child, depth + 1, count) for child in tree[1]))


# --------------------------------------------------------------------------
# grader -> worker argument specs


def tensor_spec(data: Any, dtype: str, requires_grad: bool = False) -> dict[str, Any]:
    """An argument the worker turns into a fresh tensor (``data``: nested lists)."""
    return {"tensor": {"data": data, "dtype": dtype, "requires_grad": requires_grad}}


def linear_spec(weight: Any, dtype: str) -> dict[str, Any]:
    """An argument the worker turns into ``nn.Linear(2, 1, bias=False)`` with this weight."""
    return module_spec(["Linear", {"in_features": 2, "out_features": 1, "bias": False}, []], {"weight": tensor_spec(weight, dtype)})


# The nn.Module classes a worker builds from a spec, with the constructor arguments each takes.
MODULE_ARGUMENTS: dict[str, tuple[str, ...]] = {
    "Linear": ("in_features", "out_features", "bias"),
    "Sigmoid": (),
    "ReLU": (),
    "Tanh": (),
    "Identity": (),
    "Flatten": (),
    "Softmax": ("dim",),
    "Sequential": (),
}


def module_spec(tree: Any, state: Mapping[str, Any]) -> dict[str, Any]:
    """An argument the worker builds as an ``nn.Module``: ``tree`` is ``[class, kwargs, children]``
    (classes of :data:`MODULE_ARGUMENTS` only), ``state`` its parameters as tensor specs."""
    return {"module": {"tree": tree, "state": dict(state)}}
