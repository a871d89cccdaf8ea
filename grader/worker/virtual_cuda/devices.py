"""The virtual device's bookkeeping: which device a tensor claims to be on (a tag), placing tensors and modules, and the errors a real CUDA run would raise, with their classification."""
from __future__ import annotations

import torch
from typing import Any, Optional, TypeVar, Union


CUDA = torch.device("cuda", 0)
CPU = torch.device("cpu")

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


def set_tag(t: torch.Tensor, device: Optional[torch.device]) -> None:
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
    target = as_device(device)
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
            set_tag(t, target)
            if t.grad is not None:
                set_tag(t.grad, target)
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
                set_tag(grad, owner)


def as_device(spec: Any) -> torch.device:
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


def is_device_like(value: Any) -> bool:
    return isinstance(value, (str, torch.device)) or type(value) is int


def virtual(t: torch.Tensor) -> torch.device:
    # Only called inside __torch_function__, where the mode is popped and
    # t.device is the real one.
    tag = device_of(t)
    return tag if tag is not None else t.device


def real(device: torch.device) -> torch.device:
    return CPU if device.type == "cuda" else device



def mark(exc: BaseException, kind: str) -> BaseException:
    setattr(exc, _KIND, kind)
    return exc


def mismatch(a: torch.device, b: torch.device) -> BaseException:
    # Always the cuda device first, so that each pair gives one fixed text
    # (PyTorch's own order depends on the kernel and on the operands' order).
    if a.type != "cuda" and b.type == "cuda":
        a, b = b, a
    return mark(
        RuntimeError(f"{_MISMATCH_PREFIX}, but found at least two devices, {a} and {b}!"),
        DEVICE_MISMATCH,
    )


def numpy_error(device: torch.device) -> BaseException:
    return mark(
        TypeError(
            f"can't convert {device} device type tensor to numpy. "
            "Use Tensor.cpu() to copy the tensor to host memory first."
        ),
        NUMPY_ON_CUDA,
    )


def requires_cuda_error() -> BaseException:
    # The exact error a CPU-only build of PyTorch raises for .cuda() or device="cuda".
    return mark(AssertionError(_NOT_COMPILED), REQUIRES_CUDA)


def invalid_ordinal(device: torch.device) -> BaseException:
    return mark(
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
