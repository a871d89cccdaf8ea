"""An emulated ``cuda`` device, so that device bugs show up on CPU-only machines.

Student code that silently creates tensors on the CPU (``torch.ones(n, 1)``),
calls ``.numpy()`` on a result, or never moves its ``nn.Linear`` works on a
laptop and breaks on a GPU.  ``VirtualCuda`` makes those bugs fail on any
machine, the way they fail on a GPU:

    with VirtualCuda():
        X = place(X, "cuda")            # X now claims to live on cuda:0
        student.predict(X, What)        # torch.ones(n, 1) mixed with X raises

Every tensor still really lives on the CPU, so every number comes out exactly
as without the emulation.  What changes is a *virtual device tag* carried by
each tensor (see ``device_of``): factories take the device they are given,
``.to`` / ``.cuda`` / ``.cpu`` move the tag, results of operations inherit it,
and an operation that mixes a tagged tensor with a CPU tensor raises PyTorch's
own "Expected all tensors to be on the same device" error.  ``.device``,
``.is_cuda`` and ``torch.cuda.is_available()`` answer as on a one-GPU machine.

``VirtualCuda(available=False)`` emulates the opposite machine, one without a
GPU: ``torch.cuda.is_available()`` is False and every attempt to reach cuda
raises ``AssertionError("Torch not compiled with CUDA enabled")``, whatever
the machine really has.  That is how hard-coded ``.cuda()`` is detected.

Errors raised by the emulation carry a marker; ``classify_error`` reads it
(and falls back on the message, so that errors from a real GPU classify the
same way).  See ``DIAGNOSIS`` for the grader's diagnosis codes.

Import the submission with the emulation already active: the common
``device = "cuda" if torch.cuda.is_available() else "cpu"`` runs at import.

Not emulated: device checks inside code that runs without the mode (backward
hooks, custom autograd Functions' backward), indexing a CPU tensor with cuda
indices (allowed here, an error on a GPU), CUDA random numbers (cuda factories
draw from the CPU generator), pinned memory, streams, ``torch.Generator("cuda")``
and memory statistics.  Real CUDA kernels word some mismatches differently
("but got mat2 is on cpu, different from other tensors on cuda:0"); match on
the common prefix, as ``classify_message`` does.
"""
from __future__ import annotations

import itertools
from typing import Any, Callable, Iterator, Optional, TypeVar, Union

import torch
from torch.overrides import TorchFunctionMode

__all__ = [
    "CUDA",
    "DEVICE_MISMATCH",
    "DIAGNOSIS",
    "NUMPY_ON_CUDA",
    "REQUIRES_CUDA",
    "VirtualCuda",
    "classify_error",
    "classify_message",
    "device_of",
    "place",
    "tag_gradients",
]

CUDA = torch.device("cuda", 0)
_CPU = torch.device("cpu")

# Kinds of failure the emulation produces (the values of classify_error).
DEVICE_MISMATCH = "device-mismatch"  # a CPU tensor met a cuda one, or a grad of the wrong device
NUMPY_ON_CUDA = "numpy-on-cuda"  # .numpy() / np.asarray on a cuda tensor
REQUIRES_CUDA = "requires-cuda"  # cuda used on a machine without one (or a second GPU asked for)

# The diagnosis code of the device corpus (tests/device) for each kind.
DIAGNOSIS: dict[str, str] = {
    DEVICE_MISMATCH: "device-mismatch",
    NUMPY_ON_CUDA: "device-mismatch",
    REQUIRES_CUDA: "requires-cuda",
}

# Kept in the tensor's own __dict__ rather than in a weak dictionary: PyTorch
# preserves a tensor's Python object (and so its __dict__) while the C++ tensor
# lives, e.g. a .grad nobody in Python refers to, and a dict lookup is about
# twenty times cheaper than a WeakTensorKeyDictionary one.
_TAG = "_grader_virtual_device"
_KIND = "_grader_virtual_cuda_kind"

_MISMATCH_PREFIX = "Expected all tensors to be on the same device"
_NOT_COMPILED = "Torch not compiled with CUDA enabled"

Placed = TypeVar("Placed", bound=Union[torch.Tensor, torch.nn.Module])


# --------------------------------------------------------------------------
# tags


def device_of(t: Any) -> Optional[torch.device]:
    """The virtual device of ``t`` (``cuda:0``), or None for an untagged tensor or a non-tensor.

    Never goes through ``__torch_function__``, so it is safe to call inside the
    emulation and from the worker's encoder after it.
    """
    if not isinstance(t, torch.Tensor):
        return None
    try:
        tag = t.__dict__.get(_TAG)
    except AttributeError:  # a subclass with __slots__ cannot carry a tag
        return None
    return tag if isinstance(tag, torch.device) else None


def _set_tag(t: torch.Tensor, device: Optional[torch.device]) -> None:
    try:
        if device is not None and device.type == "cuda":
            t.__dict__[_TAG] = device
        else:
            t.__dict__.pop(_TAG, None)
    except AttributeError:
        pass


def place(obj: Placed, device: Union[str, torch.device]) -> Placed:
    """Tag ``obj`` (a CPU tensor or module) as living on ``device``, in place, and return it.

    Unlike ``.to``, the object keeps its identity: a leaf tensor that requires
    grad stays that leaf, and a module keeps its parameter objects (their
    gradients are tagged too).  ``device`` is "cuda", "cuda:0" or "cpu".
    """
    target = _as_device(device)
    if target.type == "cuda" and target.index != 0:
        raise ValueError(f"the emulation has one device, cuda:0, not {target}")
    if target.type not in ("cuda", "cpu"):
        raise ValueError(f"cannot place on {target}: only 'cuda' and 'cpu' are emulated")
    if isinstance(obj, torch.Tensor):
        tensors: list[torch.Tensor] = [obj]
    elif isinstance(obj, torch.nn.Module):
        tensors = [*obj.parameters(), *obj.buffers()]
    else:
        raise TypeError(f"place() takes a tensor or an nn.Module, not {type(obj).__name__}")
    # Reading .device or .grad inside the emulation would go through the mode.
    with torch._C.DisableTorchFunction():
        for t in tensors:
            if t.device.type != "cpu":
                raise ValueError(f"place() tags CPU tensors; this one really is on {t.device}")
            _set_tag(t, target)
            if t.grad is not None:
                _set_tag(t.grad, target)
    return obj


def tag_gradients(obj: Union[torch.Tensor, torch.nn.Module]) -> None:
    """Give each untagged ``.grad`` of ``obj`` (a tensor, or a module's parameters) its owner's tag.

    Gradients made by ``backward()`` are tagged when the emulation sees them
    read; call this before reading them with the emulation no longer active
    (e.g. when the worker observes the arguments after the call).
    """
    tensors = list(obj.parameters()) if isinstance(obj, torch.nn.Module) else [obj]
    with torch._C.DisableTorchFunction():
        for t in tensors:
            owner = device_of(t)
            grad = t.grad
            if owner is not None and grad is not None and device_of(grad) is None:
                _set_tag(grad, owner)


def _as_device(spec: Any) -> torch.device:
    """``spec`` as a torch.device; an int is a cuda index and a bare "cuda" is cuda:0, as in PyTorch."""
    if isinstance(spec, torch.device):
        device = spec
    elif type(spec) is int:
        device = torch.device("cuda", spec)
    elif isinstance(spec, str):
        device = torch.device(spec)
    else:
        raise TypeError(f"not a device: {spec!r}")
    if device.type == "cuda" and device.index is None:
        return CUDA
    return device


def _is_device_like(value: Any) -> bool:
    return isinstance(value, (str, torch.device)) or type(value) is int


def _virtual(t: torch.Tensor) -> torch.device:
    # Only called inside __torch_function__, where the mode is popped and
    # t.device is the real one.
    tag = device_of(t)
    return tag if tag is not None else t.device


def _real(device: torch.device) -> torch.device:
    return _CPU if device.type == "cuda" else device


# --------------------------------------------------------------------------
# errors


def _mark(exc: BaseException, kind: str) -> BaseException:
    setattr(exc, _KIND, kind)
    return exc


def _mismatch(a: torch.device, b: torch.device) -> BaseException:
    # Always the cuda device first, so that each pair gives one fixed text
    # (PyTorch's own order depends on the kernel and on the operands' order).
    if a.type != "cuda" and b.type == "cuda":
        a, b = b, a
    return _mark(
        RuntimeError(f"{_MISMATCH_PREFIX}, but found at least two devices, {a} and {b}!"),
        DEVICE_MISMATCH,
    )


def _numpy_error(device: torch.device) -> BaseException:
    return _mark(
        TypeError(
            f"can't convert {device} device type tensor to numpy. "
            "Use Tensor.cpu() to copy the tensor to host memory first."
        ),
        NUMPY_ON_CUDA,
    )


def _requires_cuda_error() -> BaseException:
    # The exact error a CPU-only build of PyTorch raises for .cuda() or device="cuda".
    return _mark(AssertionError(_NOT_COMPILED), REQUIRES_CUDA)


def _invalid_ordinal(device: torch.device) -> BaseException:
    return _mark(
        RuntimeError(f"CUDA error: invalid device ordinal (the grader's machine has one GPU, {device} was asked for)"),
        REQUIRES_CUDA,
    )


def classify_message(message: str) -> Optional[str]:
    """The kind of a device failure from an exception's message, or None.

    For the grader's side, which only sees what the worker sent.  Recognises
    both the emulation's errors and those of real PyTorch on a GPU or on a
    CPU-only build (real CUDA kernels also say "but got mat2 is on cpu,
    different from other tensors on cuda:0"; the common prefix covers both).
    """
    if _MISMATCH_PREFIX in message or "attempting to assign a gradient with device type" in message:
        return DEVICE_MISMATCH
    if "device type tensor to numpy" in message:
        return NUMPY_ON_CUDA
    if (
        _NOT_COMPILED in message
        or "No CUDA GPUs are available" in message
        or "Found no NVIDIA driver" in message
        or "invalid device ordinal" in message
    ):
        return REQUIRES_CUDA
    return None


def classify_error(exc: BaseException) -> Optional[str]:
    """The kind of device failure behind ``exc`` (DEVICE_MISMATCH, NUMPY_ON_CUDA, REQUIRES_CUDA), or None.

    Follows ``__cause__`` / ``__context__``, because student code may wrap the
    error in its own.  An error raised by the emulation is recognised by its
    marker; any other one by its message.
    """
    seen: set[int] = set()
    chain: list[BaseException] = []
    current: Optional[BaseException] = exc
    while current is not None and id(current) not in seen and len(chain) < 20:
        seen.add(id(current))
        chain.append(current)
        current = current.__cause__ or current.__context__
    for item in chain:
        try:
            kind = vars(item).get(_KIND)
        except TypeError:
            kind = None
        if isinstance(kind, str):
            return kind
    for item in chain:
        try:
            message = str(item)
        except BaseException:  # a hostile __str__
            continue
        kind = classify_message(message)
        if kind is not None:
            return kind
    return None


# --------------------------------------------------------------------------
# the mode

_Handler = Callable[["VirtualCuda", Any, tuple[Any, ...], dict[str, Any]], Any]
_HANDLERS: dict[Any, _Handler] = {}


def _handles(*funcs: Any) -> Callable[[_Handler], _Handler]:
    def register(handler: _Handler) -> _Handler:
        for func in funcs:
            _HANDLERS[func] = handler
        return handler

    return register


class VirtualCuda(TorchFunctionMode):
    """Context manager that emulates one CUDA device (``available=True``) or a machine without one.

    Inside ``VirtualCuda()``: ``torch.cuda.is_available()`` is True,
    ``device_count()`` is 1, tensors asked for on cuda are created on the CPU
    and tagged ``cuda:0``, and device errors are raised as on a GPU.

    Inside ``VirtualCuda(available=False)``: ``torch.cuda.is_available()`` is
    False and ``.cuda()``, ``.to("cuda")``, ``device="cuda"`` and
    ``torch.cuda.current_device()`` raise
    ``AssertionError("Torch not compiled with CUDA enabled")``.

    Not re-entrant; not thread-safe (it patches ``torch.cuda`` functions while
    active, and torch function modes are per thread).
    """

    def __init__(self, available: bool = True) -> None:
        super().__init__()
        self.available = available
        self._saved: list[tuple[Any, str, Any, bool]] = []
        self._active = False

    # -- entering and leaving

    def __enter__(self) -> "VirtualCuda":
        if self._active:
            raise RuntimeError("VirtualCuda is already active")
        self._patch_torch()
        try:
            super().__enter__()
        except BaseException:
            self._restore()
            raise
        self._active = True
        return self

    def __exit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> None:
        try:
            super().__exit__(exc_type, exc_value, traceback)
        finally:
            self._restore()
            self._active = False

    def _patch(self, owner: Any, name: str, value: Any) -> None:
        had = name in vars(owner)
        self._saved.append((owner, name, vars(owner).get(name), had))
        setattr(owner, name, value)

    def _restore(self) -> None:
        while self._saved:
            owner, name, value, had = self._saved.pop()
            if had:
                setattr(owner, name, value)
            else:
                delattr(owner, name)

    def _patch_torch(self) -> None:
        cuda = torch.cuda
        if self.available:
            self._patch(cuda, "is_available", lambda: True)
            self._patch(cuda, "device_count", lambda: 1)
            self._patch(cuda, "current_device", lambda: 0)
            self._patch(cuda, "get_device_name", lambda device=None: "Virtual CUDA device (emulated on the CPU)")
            self._patch(cuda, "synchronize", lambda device=None: None)
            self._patch(cuda, "is_current_stream_capturing", lambda: False)
            # nn.Parameter(t) builds its object with Tensor._make_subclass,
            # which __torch_function__ never sees; without this the parameter
            # of a tagged tensor would come out untagged.  Parameter.__new__ is
            # patched rather than _make_subclass itself: torch._dynamo, which
            # the first torch.optim.SGD(...) imports, checks the signature of
            # _make_subclass at import time and refuses a wrapper.
            parameter_new = torch.nn.Parameter.__new__

            def new_parameter(cls: Any, data: Any = None, requires_grad: bool = True) -> Any:
                made = parameter_new(cls, data, requires_grad)
                if isinstance(data, torch.Tensor) and made is not data:
                    _set_tag(made, device_of(data))
                return made

            self._patch(torch.nn.Parameter, "__new__", staticmethod(new_parameter))
        else:

            def unavailable(*args: Any, **kwargs: Any) -> Any:
                raise _requires_cuda_error()

            self._patch(cuda, "is_available", lambda: False)
            self._patch(cuda, "device_count", lambda: 0)
            self._patch(cuda, "current_device", unavailable)
            self._patch(cuda, "get_device_name", unavailable)
            self._patch(cuda, "synchronize", unavailable)
            self._patch(cuda, "is_current_stream_capturing", lambda: False)

    # -- dispatch

    def __torch_function__(
        self, func: Any, types: Any, args: tuple[Any, ...] = (), kwargs: Optional[dict[str, Any]] = None
    ) -> Any:
        if kwargs is None:
            kwargs = {}
        try:
            handler = _HANDLERS.get(func)
        except TypeError:  # an unhashable callable
            handler = None
        if handler is not None:
            return handler(self, func, args, kwargs)
        return self._generic(func, args, kwargs)

    def _check_cuda(self, device: torch.device) -> None:
        if not self.available:
            raise _requires_cuda_error()
        if device.index not in (None, 0):
            raise _invalid_ordinal(device)

    def _generic(self, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        requested = kwargs.get("device")
        if requested is not None:
            # A factory (torch.ones, *_like, new_*): the device it is given wins.
            try:
                target = _as_device(requested)
            except (TypeError, RuntimeError):
                return func(*args, **kwargs)
            if target.type != "cuda":
                return func(*args, **kwargs)
            self._check_cuda(target)
            result = func(*args, **dict(kwargs, device=_CPU))
            _tag_results(result, target, args, kwargs)
            return result
        if not self.available:
            return func(*args, **kwargs)
        common = _common_device(args, kwargs)
        result = func(*args, **kwargs)
        if common is not None:
            _tag_results(result, common, args, kwargs)
        return result


def _tensors_in(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Iterator[tuple[torch.Tensor, bool]]:
    """Each tensor argument, with whether it came inside a list (torch.cat's tensors)."""
    for value in itertools.chain(args, kwargs.values()):
        if isinstance(value, torch.Tensor):
            yield value, False
        elif type(value) is list or type(value) is tuple:
            for item in value:
                if isinstance(item, torch.Tensor):
                    yield item, True


def _common_device(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Optional[torch.device]:
    """The virtual device of an operation's result; None when no input is tagged.

    Raises PyTorch's device-mismatch error when a tagged tensor meets one on
    another device.  A CPU tensor of zero dimensions passed directly may mix
    with cuda tensors, as in PyTorch (``cuda_t * torch.tensor(2.0)`` works);
    inside a list (``torch.cat``, ``torch.stack``) it may not.
    """
    found: Optional[torch.device] = None
    other: Optional[torch.device] = None
    tagged = False
    for t, in_list in _tensors_in(args, kwargs):
        tag = device_of(t)
        if tag is None:
            if not in_list and t.dim() == 0:
                continue
            device = t.device
        else:
            tagged = True
            device = tag
        if found is None:
            found = device
        elif other is None and device != found:
            other = device
    if not tagged:
        return None
    if found is not None and other is not None:
        raise _mismatch(found, other)
    return found


def _is_input(obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    return any(obj is t for t, _ in _tensors_in(args, kwargs))


def _tag_results(result: Any, device: torch.device, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    # An input returned as the result (in-place ops, a no-op .to) keeps its own tag.
    if isinstance(result, torch.Tensor):
        if not _is_input(result, args, kwargs):
            _set_tag(result, device)
    elif isinstance(result, (list, tuple)):
        for item in result:
            if isinstance(item, torch.Tensor) and not _is_input(item, args, kwargs):
                _set_tag(item, device)


# --------------------------------------------------------------------------
# the special cases


def _property(name: str) -> Any:
    # Tensor properties reach __torch_function__ as their descriptor's
    # __get__ / __set__ (e.g. Tensor.device.__get__ for `t.device`).
    return vars(torch._C.TensorBase)[name]


@_handles(_property("device").__get__)
def _device(mode: VirtualCuda, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    tag = device_of(args[0])
    return tag if tag is not None else func(*args, **kwargs)


@_handles(_property("is_cuda").__get__)
def _is_cuda(mode: VirtualCuda, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return device_of(args[0]) is not None or func(*args, **kwargs)


@_handles(_property("is_cpu").__get__)
def _is_cpu(mode: VirtualCuda, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return device_of(args[0]) is None and func(*args, **kwargs)


@_handles(torch.Tensor.get_device)
def _get_device(mode: VirtualCuda, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    tag = device_of(args[0])
    return tag.index if tag is not None else func(*args, **kwargs)


@_handles(torch.Tensor.type)
def _type(mode: VirtualCuda, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    t = args[0]
    spec = args[1] if len(args) > 1 else kwargs.get("dtype")
    if spec is None:
        name = func(*args, **kwargs)
        return name.replace("torch.", "torch.cuda.", 1) if device_of(t) is not None else name
    # A legacy type name says where the result lives: x.type(torch.FloatTensor)
    # moves x to the CPU, x.type(torch.cuda.FloatTensor) to the GPU.
    if isinstance(spec, type):
        spec = f"{spec.__module__}.{spec.__name__}"
    source = _virtual(t)
    if isinstance(spec, str):
        target = CUDA if spec.startswith("torch.cuda.") else _CPU
        spec = spec.replace("torch.cuda.", "torch.", 1)
    else:
        target = source
    if target.type == "cuda":
        mode._check_cuda(target)
    rest = dict(kwargs)
    rest.pop("dtype", None)
    result = func(t, spec, **rest)
    if result is t and target != source:
        result = torch.Tensor.to(t, copy=True)
    if result is not t:
        _set_tag(result, target)
    return result


@_handles(_property("grad").__get__)
def _grad_get(mode: VirtualCuda, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    # The autograd engine creates gradients without __torch_function__; they
    # take the device of their tensor when first seen.
    grad = func(*args, **kwargs)
    owner = device_of(args[0])
    if isinstance(grad, torch.Tensor) and owner is not None and device_of(grad) is None:
        _set_tag(grad, owner)
    return grad


@_handles(_property("grad").__set__)
def _grad_set(mode: VirtualCuda, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    t, grad = args[0], args[1]
    if isinstance(grad, torch.Tensor):
        have, want = _virtual(grad), _virtual(t)
        if have != want:
            raise _mark(
                RuntimeError(
                    f"attempting to assign a gradient with device type '{have.type}' to a tensor with "
                    f"device type '{want.type}'. Please ensure that the gradient and the tensor are on "
                    "the same device"
                ),
                DEVICE_MISMATCH,
            )
    return func(*args, **kwargs)


@_handles(_property("data").__get__)
def _data_get(mode: VirtualCuda, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    data = func(*args, **kwargs)
    if isinstance(data, torch.Tensor) and data is not args[0]:
        _set_tag(data, device_of(args[0]))
    return data


@_handles(_property("data").__set__)
def _data_set(mode: VirtualCuda, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    # `t.data = other` really moves t to other's device (Module._apply relies on it).
    result = func(*args, **kwargs)
    if isinstance(args[1], torch.Tensor):
        _set_tag(args[0], device_of(args[1]))
    return result


@_handles(torch._C._nn._parse_to)
def _parse_to(mode: VirtualCuda, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    # Module.to parses its arguments with this; a tensor argument must give its
    # virtual device, and a bare int means a cuda index (which this CPU build
    # refuses to parse).
    rest: list[Any] = list(args)
    if rest and isinstance(rest[0], torch.Tensor):
        other = rest[0]
        rest[0:1] = [_virtual(other), other.dtype]
    elif rest and type(rest[0]) is int:
        rest[0] = _as_device(rest[0])
    if type(kwargs.get("device")) is int:
        kwargs = dict(kwargs, device=_as_device(kwargs["device"]))
    return func(*rest, **kwargs)


@_handles(torch.Tensor.to)
def _to(mode: VirtualCuda, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    t, rest, kwargs = args[0], list(args[1:]), dict(kwargs)
    source = _virtual(t)
    target: Optional[torch.device] = None
    if rest and isinstance(rest[0], torch.Tensor):
        # to(other, non_blocking, copy) is to(other.device, other.dtype, non_blocking, copy)
        other = rest[0]
        target = _virtual(other)
        rest[0:1] = [_real(target), other.dtype]
    elif rest and _is_device_like(rest[0]):
        target = _as_device(rest[0])
        rest[0] = _real(target)
    elif kwargs.get("device") is not None:
        target = _as_device(kwargs["device"])
        kwargs["device"] = _real(target)
    if target is not None and target.type == "cuda":
        mode._check_cuda(target)
    if target is not None and target != source:
        # A move between devices always copies, even when the real data stays on the CPU.
        if len(rest) >= 4:
            rest[3] = True
        else:
            kwargs["copy"] = True
    else:
        target = source
    result = func(t, *rest, **kwargs)
    if result is not t:
        _set_tag(result, target)
    return result


@_handles(torch.Tensor.type_as)
def _type_as(mode: VirtualCuda, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return _to(mode, torch.Tensor.to, (args[0], args[1]), {})


@_handles(torch.Tensor.cuda)
def _cuda(mode: VirtualCuda, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    t = args[0]
    requested = args[1] if len(args) > 1 else kwargs.get("device")
    target = CUDA if requested is None else _as_device(requested)
    if target.type != "cuda":
        raise RuntimeError(f"Invalid device, must be cuda device, got {target}")
    mode._check_cuda(target)
    if device_of(t) == target:
        return t
    moved = torch.Tensor.to(t, copy=True, memory_format=kwargs.get("memory_format", torch.preserve_format))
    _set_tag(moved, target)
    return moved


@_handles(torch.Tensor.cpu)
def _cpu(mode: VirtualCuda, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    t = args[0]
    if device_of(t) is None:
        return func(*args, **kwargs)
    return torch.Tensor.to(t, copy=True, memory_format=kwargs.get("memory_format", torch.preserve_format))


@_handles(torch.Tensor.numpy, torch.Tensor.__array__)
def _numpy(mode: VirtualCuda, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    tag = device_of(args[0])
    forced = func is torch.Tensor.numpy and bool(kwargs.get("force", args[1] if len(args) > 1 else False))
    if tag is not None and not forced:
        raise _numpy_error(tag)
    return func(*args, **kwargs)


@_handles(torch.tensor, torch.as_tensor, torch.asarray)
def _from_data(mode: VirtualCuda, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    # The data is not an operand: a list holding cuda scalars still makes a
    # CPU tensor unless device= says otherwise; a tensor passes on its device.
    data = args[0] if args else kwargs.get("data", kwargs.get("obj"))
    source = _virtual(data) if isinstance(data, torch.Tensor) else _CPU
    requested = kwargs.get("device")
    target = source if requested is None else _as_device(requested)
    if target.type == "cuda":
        mode._check_cuda(target)
        kwargs = dict(kwargs, device=_CPU)
    result = func(*args, **kwargs)
    if result is data and target != source:
        result = torch.Tensor.to(data, copy=True)
    if isinstance(result, torch.Tensor) and result is not data:
        _set_tag(result, target)
    return result


@_handles(
    torch.Tensor.new_tensor,
    torch.Tensor.new_ones,
    torch.Tensor.new_zeros,
    torch.Tensor.new_full,
    torch.Tensor.new_empty,
    torch.Tensor.new_empty_strided,
    torch.Tensor.__getitem__,
)
def _like_self(mode: VirtualCuda, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    # The result lives where self lives; the other tensors (new_tensor's data,
    # index tensors) are not operands and may sit on the CPU, as in PyTorch.
    requested = kwargs.get("device")
    if requested is not None:
        return mode._generic(func, args, kwargs)
    result = func(*args, **kwargs)
    tag = device_of(args[0])
    if tag is not None and isinstance(result, torch.Tensor) and result is not args[0]:
        _set_tag(result, tag)
    return result


@_handles(
    torch.Tensor.copy_,
    torch.Tensor.__setitem__,
    torch._has_compatible_shallow_copy_type,
)
def _cross_device(mode: VirtualCuda, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    # Allowed between devices in PyTorch; the result is self, on its own device.
    return func(*args, **kwargs)


@_handles(torch.Tensor.__format__)
def _format(mode: VirtualCuda, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    # f"{t}" of a tensor with dimensions prints its repr, which must show the device.
    t = args[0]
    if device_of(t) is not None and t.dim() != 0 and len(args) > 1 and args[1] == "":
        return _repr(mode, torch.Tensor.__repr__, (t,), {})
    return func(*args, **kwargs)


@_handles(torch.Tensor.__repr__)
def _repr(mode: VirtualCuda, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    if device_of(args[0]) is None:
        return func(*args, **kwargs)
    # Format with the mode pushed back, so that the formatter sees the cuda
    # device and prints device='cuda:0' where PyTorch would.
    TorchFunctionMode.__enter__(mode)
    try:
        return torch._tensor_str._str(args[0], tensor_contents=kwargs.get("tensor_contents"))  # type: ignore[no-untyped-call]
    finally:
        TorchFunctionMode.__exit__(mode, None, None, None)  # type: ignore[no-untyped-call]
