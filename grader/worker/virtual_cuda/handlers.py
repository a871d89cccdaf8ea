"""The special cases of the mode: the torch functions and tensor properties whose answer depends on the virtual device (``.device``, ``.to``, ``.cuda``, ``.numpy``, ``.grad``, ``.data``...)."""
from __future__ import annotations

import torch
from torch.overrides import TorchFunctionMode
from typing import TYPE_CHECKING, Any, Callable, Optional

from grader.worker.virtual_cuda.devices import CUDA, DEVICE_MISMATCH, CPU, as_device, is_device_like, mark, numpy_error, real, set_tag, virtual, device_of

if TYPE_CHECKING:  # the mode imports this module for its table: no import at run time
    from grader.worker.virtual_cuda.mode import VirtualCuda


_Handler = Callable[["VirtualCuda", Any, tuple[Any, ...], dict[str, Any]], Any]
HANDLERS: dict[Any, _Handler] = {}


def _handles(*funcs: Any) -> Callable[[_Handler], _Handler]:
    def register(handler: _Handler) -> _Handler:
        for func in funcs:
            HANDLERS[func] = handler
        return handler

    return register



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
    source = virtual(t)
    if isinstance(spec, str):
        target = CUDA if spec.startswith("torch.cuda.") else CPU
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
        set_tag(result, target)
    return result


@_handles(_property("grad").__get__)
def _grad_get(mode: VirtualCuda, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    # The autograd engine creates gradients without __torch_function__; they
    # take the device of their tensor when first seen.
    grad = func(*args, **kwargs)
    owner = device_of(args[0])
    if isinstance(grad, torch.Tensor) and owner is not None and device_of(grad) is None:
        set_tag(grad, owner)
    return grad


@_handles(_property("grad").__set__)
def _grad_set(mode: VirtualCuda, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    t, grad = args[0], args[1]
    if isinstance(grad, torch.Tensor):
        have, want = virtual(grad), virtual(t)
        if have != want:
            raise mark(
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
        set_tag(data, device_of(args[0]))
    return data


@_handles(_property("data").__set__)
def _data_set(mode: VirtualCuda, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    # `t.data = other` really moves t to other's device (Module._apply relies on it).
    result = func(*args, **kwargs)
    if isinstance(args[1], torch.Tensor):
        set_tag(args[0], device_of(args[1]))
    return result


@_handles(torch._C._nn._parse_to)
def _parse_to(mode: VirtualCuda, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    # Module.to parses its arguments with this; a tensor argument must give its
    # virtual device, and a bare int means a cuda index (which this CPU build
    # refuses to parse).
    rest: list[Any] = list(args)
    if rest and isinstance(rest[0], torch.Tensor):
        other = rest[0]
        rest[0:1] = [virtual(other), other.dtype]
    elif rest and type(rest[0]) is int:
        rest[0] = as_device(rest[0])
    if type(kwargs.get("device")) is int:
        kwargs = dict(kwargs, device=as_device(kwargs["device"]))
    return func(*rest, **kwargs)


@_handles(torch.Tensor.to)
def _to(mode: VirtualCuda, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    t, rest, kwargs = args[0], list(args[1:]), dict(kwargs)
    source = virtual(t)
    target: Optional[torch.device] = None
    if rest and isinstance(rest[0], torch.Tensor):
        # to(other, non_blocking, copy) is to(other.device, other.dtype, non_blocking, copy)
        other = rest[0]
        target = virtual(other)
        rest[0:1] = [real(target), other.dtype]
    elif rest and is_device_like(rest[0]):
        target = as_device(rest[0])
        rest[0] = real(target)
    elif kwargs.get("device") is not None:
        target = as_device(kwargs["device"])
        kwargs["device"] = real(target)
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
        set_tag(result, target)
    return result


@_handles(torch.Tensor.type_as)
def _type_as(mode: VirtualCuda, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return _to(mode, torch.Tensor.to, (args[0], args[1]), {})


@_handles(torch.Tensor.cuda)
def _cuda(mode: VirtualCuda, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    t = args[0]
    requested = args[1] if len(args) > 1 else kwargs.get("device")
    target = CUDA if requested is None else as_device(requested)
    if target.type != "cuda":
        raise RuntimeError(f"Invalid device, must be cuda device, got {target}")
    mode._check_cuda(target)
    if device_of(t) == target:
        return t
    moved = torch.Tensor.to(t, copy=True, memory_format=kwargs.get("memory_format", torch.preserve_format))
    set_tag(moved, target)
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
        raise numpy_error(tag)
    return func(*args, **kwargs)


@_handles(torch.tensor, torch.as_tensor, torch.asarray)
def _from_data(mode: VirtualCuda, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    # The data is not an operand: a list holding cuda scalars still makes a
    # CPU tensor unless device= says otherwise; a tensor passes on its device.
    data = args[0] if args else kwargs.get("data", kwargs.get("obj"))
    source = virtual(data) if isinstance(data, torch.Tensor) else CPU
    requested = kwargs.get("device")
    target = source if requested is None else as_device(requested)
    if target.type == "cuda":
        mode._check_cuda(target)
        kwargs = dict(kwargs, device=CPU)
    result = func(*args, **kwargs)
    if result is data and target != source:
        result = torch.Tensor.to(data, copy=True)
    if isinstance(result, torch.Tensor) and result is not data:
        set_tag(result, target)
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
        set_tag(result, tag)
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
