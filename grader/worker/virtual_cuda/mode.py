"""The ``TorchFunctionMode`` that emulates one CUDA device (or a machine without one) on the CPU."""
from __future__ import annotations

import itertools
import torch
from torch.overrides import TorchFunctionMode
from typing import Any, Iterator, Optional

from grader.worker.virtual_cuda.devices import CUDA, CPU, as_device, invalid_ordinal, mismatch, requires_cuda_error, set_tag, device_of
from grader.worker.virtual_cuda.handlers import HANDLERS


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
                    set_tag(made, device_of(data))
                return made

            self._patch(torch.nn.Parameter, "__new__", staticmethod(new_parameter))
        else:

            def unavailable(*args: Any, **kwargs: Any) -> Any:
                raise requires_cuda_error()

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
            handler = HANDLERS.get(func)
        except TypeError:  # an unhashable callable
            handler = None
        if handler is not None:
            return handler(self, func, args, kwargs)
        return self._generic(func, args, kwargs)

    def _check_cuda(self, device: torch.device) -> None:
        if not self.available:
            raise requires_cuda_error()
        if device.index not in (None, 0):
            raise invalid_ordinal(device)

    def _generic(self, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        requested = kwargs.get("device")
        if requested is not None:
            # A factory (torch.ones, *_like, new_*): the device it is given wins.
            try:
                target = as_device(requested)
            except (TypeError, RuntimeError):
                return func(*args, **kwargs)
            if target.type != "cuda":
                return func(*args, **kwargs)
            self._check_cuda(target)
            result = func(*args, **dict(kwargs, device=CPU))
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
        raise mismatch(found, other)
    return found


def _is_input(obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    return any(obj is t for t, _ in _tensors_in(args, kwargs))


def _tag_results(result: Any, device: torch.device, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    # An input returned as the result (in-place ops, a no-op .to) keeps its own tag.
    if isinstance(result, torch.Tensor):
        if not _is_input(result, args, kwargs):
            set_tag(result, device)
    elif isinstance(result, (list, tuple)):
        for item in result:
            if isinstance(item, torch.Tensor) and not _is_input(item, args, kwargs):
                set_tag(item, device)
