"""The worker: the only place where student code runs.

It lives in a process forked from the warm grader (see ``grader.execution.session``),
inside the sandbox of ``grader.worker.sandbox``.  It loads the submission, then serves
calls: it builds the arguments, calls the student's function, and sends back
what came out as plain JSON (``grader.worker.protocol``).  It never decides anything:
all comparison happens in the grader process.
"""
from __future__ import annotations

import math
import os
import sys
import traceback
import threading
import types
import warnings
from typing import Any, Callable, NoReturn, Optional

from grader.worker import arena as _arena
from grader.worker import protocol
from grader.worker import virtual_cuda as _emulation
from grader.worker.guard import CODE_MADE_AT_RUN_TIME, GRADER_IMPORTS, seal, watch_the_submission  # noqa: F401  (the runners call worker.seal(), worker.watch_the_submission())
from grader.worker.output import LOAD_PRINT_BUDGET, PRINT_BUDGET, deliver_output, own_streams, printing  # noqa: F401  (the runners and tests use them from here)

_MAX_EVENTS = 5000
_MAX_TRACKED = 4096  # parameter values recorded around each optimizer step (the lecture's nets have 2 or 3)
_MAX_WARNINGS = 20

# Bound when the grader imports this module, before any submission loads:
# student code can replace attributes of torch.Tensor, torch and math in its
# own process, but these references keep pointing at the originals.
import torch as _torch  # noqa: E402

_TB = _torch._C.TensorBase
_Tensor = _torch.Tensor
_Module = _torch.nn.Module
_isfinite = math.isfinite
_float64 = _torch.float64
_DisableSubclass = _torch._C.DisableTorchFunctionSubclass
_get: dict[str, Callable[[Any], Any]] = {name: vars(_TB)[name].__get__ for name in ("grad", "dtype", "requires_grad", "is_leaf", "device", "grad_fn")}

# Which device the worker's calls run on: "cpu", "virtual-cuda" (emulated, on
# every machine) or "cuda" (a real GPU).  Set in the child before it loads
# the submission (grader.execution.session.Session).
MODE = "cpu"


def device_context(mode: Optional[str] = None) -> Any:
    """The emulation the whole worker runs under, the submission's import included.

    A submission may pick its device at import (``device = "cuda" if
    torch.cuda.is_available() else "cpu"``), so the import must already see
    the machine being emulated.  On a machine with a real GPU the CPU pass
    pretends there is none, so that an unconditional ``.cuda()`` is caught
    there too.
    """
    import contextlib

    import torch

    mode = mode or MODE
    if mode == "virtual-cuda":
        return _emulation.VirtualCuda()
    if mode == "cpu" and torch.cuda.is_available():
        return _emulation.VirtualCuda(available=False)
    return contextlib.nullcontext()


# --------------------------------------------------------------------------
# encoding whatever student code returned


class _Budget:
    def __init__(self) -> None:
        self.numbers = 0

    def take(self, n: int) -> None:
        self.numbers += n
        if self.numbers > protocol.MAX_NUMBERS:
            raise protocol.TooLarge(f"more than {protocol.MAX_NUMBERS} numbers")


def encode(obj: Any, budget: Optional[_Budget] = None, depth: int = 0) -> Any:
    """Plain JSON for ``obj``, looking only at exact built-in types and real tensors.

    Never calls a method the object could override (``__iter__``, ``__len__``,
    ``__float__``, ``__eq__``, ``__reduce__``): anything unknown crosses as its
    type name only.
    """
    import torch

    budget = budget or _Budget()
    kind = type(obj)
    if obj is None or kind is bool or kind is int:
        return obj
    if kind is float:
        return protocol.number_out(obj) if math.isfinite(obj) else {"float": protocol.number_out(obj)}
    if kind is str:
        return obj[: protocol.MAX_STRING]
    if kind is list or kind is tuple:
        if depth >= protocol.MAX_DEPTH:
            raise protocol.TooLarge("nested too deeply")
        budget.take(list.__len__(obj) if kind is list else tuple.__len__(obj))
        items = [encode(item, budget, depth + 1) for item in (list.__iter__(obj) if kind is list else tuple.__iter__(obj))]
        return {"list" if kind is list else "tuple": items}
    if issubclass(kind, _Tensor):
        return {"tensor": _encode_tensor(obj, budget)}
    if issubclass(kind, _Module):
        return {"module": _encode_module(obj, budget)}
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        if issubclass(kind, numpy.ndarray):
            return {"ndarray": _encode_tensor(torch.from_numpy(numpy.array(obj, dtype=numpy.float64)), budget, str(obj.dtype))}
        if issubclass(kind, numpy.generic) and issubclass(kind, (numpy.floating, numpy.integer, numpy.bool_)):
            value = float(numpy.float64(obj))
            return value if math.isfinite(value) else {"float": protocol.number_out(value)}
    return {"object": f"{kind.__module__}.{kind.__qualname__}"[:200]}


def _encode_tensor(t: Any, budget: _Budget, dtype: Optional[str] = None) -> dict[str, Any]:
    with _DisableSubclass():
        plain = _TB.detach(t)
        budget.take(int(_TB.numel(plain)))
        if _TB.is_complex(plain):
            raise protocol.ProtocolError("complex tensors are not graded")
        device = _device_of(t)
        data = _TB.tolist(_TB.reshape(_TB.to(plain, "cpu", _float64), (-1,)))
        if not all(_isfinite(v) for v in data):
            data = [protocol.number_out(v) for v in data]
        return {
            "shape": list(_TB.size(plain)),
            "dtype": dtype or str(_get["dtype"](plain)).replace("torch.", ""),
            "device": device,
            "data": data,
            "requires_grad": bool(_get["requires_grad"](t)),
        }


def _device_of(t: Any) -> str:
    """The device a tensor claims to be on (the emulated one, when emulation is active)."""
    tagged = _emulation.device_of(t)
    if tagged is not None:
        return str(tagged)
    return str(_get["device"](t))


def _module_tree(module: Any, budget: _Budget, depth: int = 0) -> list[Any]:
    """``[class name, [children...]]``: the layers a module is made of."""
    budget.take(1)
    children = [] if depth >= protocol.MAX_DEPTH else [_module_tree(c, budget, depth + 1) for c in _Module.children(module)]
    return [type(module).__qualname__[:200], children]


def _encode_module(module: Any, budget: _Budget) -> dict[str, Any]:
    import torch

    params = {name: {"tensor": _encode_tensor(p, budget)} for name, p in _Module.named_parameters(module)}
    body: dict[str, Any] = {"type": type(module).__qualname__, "params": params, "tree": _module_tree(module, budget)}
    if isinstance(module, torch.nn.Linear):
        body["in_features"] = int(module.in_features)
        body["out_features"] = int(module.out_features)
    return body


# --------------------------------------------------------------------------
# errors, trimmed to the student's frames


def describe_error(exc: BaseException, student_files: Callable[[str], bool]) -> dict[str, Any]:
    try:
        message = str(exc)
    except BaseException:  # a hostile __str__
        message = "<the exception's message could not be read>"
    frames = []
    for frame in traceback.extract_tb(exc.__traceback__):
        if student_files(frame.filename):
            frames.append(
                {
                    "filename": os.path.basename(frame.filename)[:200],
                    "lineno": int(frame.lineno or 0),
                    "function": str(frame.name)[:200],
                    "line": (frame.line or "")[:400],
                }
            )
    if isinstance(exc, SyntaxError) and exc.lineno:
        frames.append(
            {
                "filename": os.path.basename(exc.filename or "")[:200],
                "lineno": int(exc.lineno),
                "function": "<module>",
                "line": (exc.text or "").rstrip("\n")[:400],
            }
        )
    described = {"type": type(exc).__name__[:200], "message": message[:2000], "frames": frames[-12:]}
    kind = _emulation.classify_error(exc)
    if kind is not None:
        described["device"] = _emulation.DIAGNOSIS.get(kind, kind)
    return described


# --------------------------------------------------------------------------
# spying on the torch API (what a structure check asks of the run)

# The functional form of every loss class (what nn.MSELoss and the others call).
LOSSES = ("mse_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits", "l1_loss", "cross_entropy", "nll_loss", "huber_loss", "smooth_l1_loss")
_GRAPH_LIMIT = 2000  # autograd nodes looked at to tell whether a loss comes from the trained parameter


def _flat(tensor: Any) -> list[Any]:
    return [protocol.number_out(float(v)) for v in _Tensor.tolist(_Tensor.reshape(_Tensor.detach(tensor), (-1,)))]


def _clear(grads: Optional[list[Any]]) -> bool:
    """No gradient at all (None or zeros): a step from it moves nothing."""
    return grads is not None and all(g is None or g == 0 for g in grads)


class Spy:
    """Records, during one student call, what is done with the arguments it trains.

    Events: ``["optimizer", {class, module, over_parameter, lr, id}]`` when an
    optimizer is built (``over_parameter``: its parameters are exactly the
    watched argument's), ``["step", {id, before, after, grad, grad_from_loss,
    hooks, closure, sgd_lr}]`` per optimizer step, ``["loss", {name,
    from_parameter, from_output}]`` per functional loss (computed from the
    watched argument; from a watched net's output), ``["backward", {loss,
    from_output}]`` (the spied loss behind it), ``["zero_grad", {id}]``.
    This is the student's process speaking of itself: the grader believes it
    only beside values it checked.
    """

    def __init__(self) -> None:
        self.active = False
        self.events: list[Any] = []
        self.watched: set[int] = set()
        self.tracked: list[Any] = []
        self._before: Optional[list[float]] = None
        self.outputs: set[int] = set()  # ids of the autograd nodes of what a watched net's forward returned
        self.kept: list[Any] = []
        self._step: dict[str, Any] = {}
        self._sgd: tuple[Any, Any] = (None, None)  # torch's SGD class and its step(), kept at install
        self._hooks: Callable[[Any], bool] = lambda optimizer: False
        # The watched gradients as the last backward() of the required loss left them (None: changed since
        # by something else); the gradient a step uses must be that one.
        self.from_loss: Optional[list[Any]] = None
        # id of the autograd node of each loss the spied functionals returned -> (name, from the net's output)
        self.loss_nodes: dict[int, tuple[str, bool]] = {}

    def begin(self, watched: list[Any]) -> None:
        ids: set[int] = set()
        for obj in watched:
            if isinstance(obj, _Module):
                ids |= {id(p) for p in _Module.parameters(obj)}
            elif isinstance(obj, _Tensor):
                ids.add(id(obj))
        self.watched = ids
        self.outputs = set()
        self.from_loss = None
        self.loss_nodes = {}
        self.kept = []
        self.tracked = list(watched)
        self._before = None
        self.events = []
        self.active = True

    def _tensors(self) -> list[Any]:
        """The watched parameters, in argument order (a net's in its own order)."""
        return [t for obj in self.tracked for t in (list(_Module.parameters(obj)) if isinstance(obj, _Module) else [obj])]

    def _values(self) -> Optional[list[float]]:
        """The watched parameters' values, flattened in argument order (None past ``_MAX_TRACKED``)."""
        out: list[float] = []
        for tensor in self._tensors():
            out.extend(_flat(tensor))
            if len(out) > _MAX_TRACKED:
                return None
        return out

    def _grads(self) -> Optional[list[Any]]:
        """The watched parameters' gradients, in the order of ``_values`` (None where a parameter has none)."""
        out: list[Any] = []
        for tensor in self._tensors():
            grad = _get["grad"](tensor)
            size = int(_Tensor.numel(tensor))
            out.extend(_flat(grad) if grad is not None and int(_Tensor.numel(grad)) == size else [None] * size)
            if len(out) > _MAX_TRACKED:
                return None
        return out

    def before_step(self, optimizer: Any, args: Any, kwargs: Any) -> None:
        # What the step will work from: the values, the gradients it reads, and whether a closure
        # (code of the caller's, run inside the step) came with it.
        self._before = self._values()
        grads = self._grads()
        self._step = {
            "grad": grads,
            # the gradient the step works from is the one the loss's backward() left
            "grad_from_loss": _clear(grads) or (grads is not None and grads == self.from_loss),
            # code of the caller's registered to run inside step()
            "hooks": self._hooks(optimizer),
            # torch hands the hook step's own arguments, the optimizer first
            "closure": (isinstance(args, tuple) and len(args) > 1 and args[1] is not None) or (isinstance(kwargs, dict) and kwargs.get("closure") is not None),
            "sgd_lr": self._plain_sgd_lr(optimizer),
        }

    def backward(self, tensor: Any, run: Callable[[], Any]) -> Any:
        """``tensor.backward()``, noting which loss it ran on and what it left in the watched gradients."""
        if not self.active:
            return run()
        behind = self._loss_behind(tensor)
        self.record("backward", {"loss": behind[0] if behind else None, "from_output": bool(behind and behind[1])})
        # the required loss: computed from the parameter, and from the net's output where a net is trained
        nets = any(isinstance(obj, _Module) for obj in self.tracked)
        required = bool(behind and behind[1]) if nets else self._from_parameter(tensor)
        before = self._grads()
        result = run()
        after = self._grads()
        if required:
            self.from_loss = after if _clear(before) or before == self.from_loss else None
        elif after != before:
            self.from_loss = None  # the gradients moved by another backward()
        return result

    def _loss_behind(self, tensor: Any) -> Optional[tuple[str, bool]]:
        """The spied loss ``tensor`` is computed from (the loss itself, ``loss / n``, ``losses.mean()``),
        where every path from it to a watched parameter goes through such a loss; else None
        (a term of the caller's own beside it would put a gradient of its own into the step)."""
        if not isinstance(tensor, _Tensor) or not self.loss_nodes:
            return None
        found: Optional[tuple[str, bool]] = None
        todo, seen, visited = [_get["grad_fn"](tensor)], 0, set()
        while todo and seen < _GRAPH_LIMIT:
            node = todo.pop()
            seen += 1
            if node is None or id(node) in visited:
                continue
            visited.add(id(node))
            if id(node) in self.loss_nodes:
                found = found or self.loss_nodes[id(node)]
                continue  # what lies behind a loss is the loss's
            if id(getattr(node, "variable", None)) in self.watched:
                return None
            todo.extend(child for child, _ in getattr(node, "next_functions", ()))
        return found

    def _plain_sgd_lr(self, optimizer: Any) -> Optional[float]:
        """lr, where a step is exactly p -= lr * p.grad (torch's SGD, no momentum, decay or maximize)."""
        sgd, step = self._sgd
        if sgd is None or type(optimizer) is not sgd or type(optimizer).__dict__.get("step") is not step:
            return None
        rates: set[float] = set()
        for group in optimizer.param_groups:
            if group.get("momentum") or group.get("weight_decay") or group.get("maximize"):
                return None
            lr: Any = group.get("lr")
            if not (type(lr) in (int, float) or isinstance(lr, _Tensor)):
                return None
            rates.add(float(lr))
        rate = rates.pop() if len(rates) == 1 else None
        return rate if rate is not None and math.isfinite(rate) else None

    def around_step(self) -> dict[str, Any]:
        before, after = self._before, self._values()
        self._before = None
        if before is None or after is None:
            return {}
        return {"before": before, "after": after, **self._step}

    def record(self, event: str, value: Any = None) -> None:
        if self.active and len(self.events) < _MAX_EVENTS:
            self.events.append(event if value is None else [event, value])

    def _reaches(self, tensor: Any, found: Callable[[Any], bool]) -> bool:
        """Whether ``tensor``'s autograd graph holds a node that ``found`` accepts (bounded walk)."""
        if not isinstance(tensor, _Tensor):
            return False
        todo, seen = [_get["grad_fn"](tensor)], 0
        while todo and seen < _GRAPH_LIMIT:
            node = todo.pop()
            seen += 1
            if node is None:
                continue
            if found(node):
                return True
            todo.extend(child for child, _ in getattr(node, "next_functions", ()))
        return False

    def _from_output(self, tensor: Any) -> bool:
        """Whether ``tensor`` was computed from what a watched net's forward returned."""
        return bool(self.outputs) and self._reaches(tensor, lambda node: id(node) in self.outputs)

    def forward_done(self, module: Any, output: Any) -> None:
        """A forward pass of a module holding a watched parameter (the net, or one of its layers)."""
        if any(id(p) in self.watched for p in _Module.parameters(module)):
            self.mark_output(output)

    def mark_output(self, output: Any) -> None:
        """``output`` is what the net (or a layer of it) returned."""
        if not isinstance(output, _Tensor) or len(self.outputs) >= _MAX_EVENTS:
            return
        node = _get["grad_fn"](output)
        if node is not None:
            self.outputs.add(id(node))
            self.kept.append(node)  # alive until the call ends: its id names no other node

    def _from_parameter(self, tensor: Any) -> bool:
        """Whether ``tensor``'s autograd graph reaches a watched parameter (bounded walk)."""
        return bool(self.watched) and self._reaches(tensor, lambda node: id(getattr(node, "variable", None)) in self.watched)

    def install(self) -> None:
        import torch
        import torch.nn.functional as F

        spy = self

        def wrap(owner: Any, name: str, before: Callable[..., None]) -> None:
            original = getattr(owner, name)

            def spied(*args: Any, **kwargs: Any) -> Any:
                if spy.active:
                    try:
                        before(*args, **kwargs)
                    except Exception:
                        pass
                return original(*args, **kwargs)

            spied.__wrapped__ = original  # type: ignore[attr-defined]
            setattr(owner, name, spied)

        # backward() says which loss it runs on: a loss computed and thrown away trains nothing.
        # torch.autograd.backward: tensor.backward() goes through it too.
        original_backward = torch.autograd.backward

        def backward(tensors: Any, *args: Any, **kwargs: Any) -> Any:
            first = tensors if isinstance(tensors, _Tensor) else tensors[0] if isinstance(tensors, (list, tuple)) and tensors else None
            return spy.backward(first, lambda: original_backward(tensors, *args, **kwargs))

        backward.__wrapped__ = original_backward  # type: ignore[attr-defined]
        torch.autograd.backward = backward
        # What a net holding the trained parameters returns: the loss must be computed from it.
        # A layer's own function marks it too: net.forward(X) runs no hook.
        original_linear = F.linear

        def linear(*args: Any, **kwargs: Any) -> Any:
            output = original_linear(*args, **kwargs)
            if spy.active and spy.watched:
                weight = args[1] if len(args) > 1 else kwargs.get("weight")
                if isinstance(weight, _Tensor) and id(weight) in spy.watched:
                    spy.mark_output(output)
            return output

        linear.__wrapped__ = original_linear  # type: ignore[attr-defined]
        F.linear = linear
        torch.nn.modules.module.register_module_forward_hook(lambda module, args, output: spy.forward_done(module, output) if spy.active and spy.watched else None)
        for loss in LOSSES:
            if hasattr(F, loss):
                original_loss = getattr(F, loss)

                def spied_loss(*args: Any, _name: str = loss, _original: Any = original_loss, **kwargs: Any) -> Any:
                    result = _original(*args, **kwargs)
                    if spy.active:
                        try:
                            # either operand: MSELoss(y, yhat) is MSELoss(yhat, y)
                            given = [args[0] if args else kwargs.get("input"), args[1] if len(args) > 1 else kwargs.get("target")]
                            from_output = any(spy._from_output(g) for g in given)
                            from_parameter = any(spy._from_parameter(g) for g in given)
                            spy.record("loss", {"name": _name, "from_parameter": from_parameter, "from_output": from_output})
                            node = _get["grad_fn"](result)
                            if node is not None and len(spy.loss_nodes) < _MAX_EVENTS:
                                spy.loss_nodes[id(node)] = (_name, from_output)
                                spy.kept.append(node)  # alive until the call ends: its id names no other node
                        except Exception:
                            pass
                    return result

                spied_loss.__wrapped__ = original_loss  # type: ignore[attr-defined]
                setattr(F, loss, spied_loss)
        # The optimizer classes as torch defines them, before any student code: a class of the
        # student's own that takes an optimizer's name and module is not that optimizer.
        genuine = {name: cls for name, cls in vars(torch.optim).items() if isinstance(cls, type) and issubclass(cls, torch.optim.Optimizer)}
        genuine_steps = {name: cls.__dict__.get("step") for name, cls in genuine.items()}
        original_init = torch.optim.Optimizer.__init__

        def init(optimizer: Any, *args: Any, **kwargs: Any) -> None:
            original_init(optimizer, *args, **kwargs)
            if spy.active:
                ids = {id(p) for group in optimizer.param_groups for p in group["params"]}
                lr = optimizer.defaults.get("lr")
                kind = type(optimizer)
                name = kind.__name__
                spy.record("optimizer", {
                    "class": name, "module": kind.__module__, "over_parameter": bool(spy.watched) and ids == spy.watched,
                    "lr": float(lr) if type(lr) in (int, float) else None, "id": id(optimizer) % 2**31,
                    "genuine": genuine.get(name) is kind and kind.__dict__.get("step") is genuine_steps.get(name),
                })

        torch.optim.Optimizer.__init__ = init  # type: ignore[method-assign,assignment]
        from torch.optim.optimizer import register_optimizer_step_pre_hook

        from torch.optim.optimizer import register_optimizer_step_post_hook

        # Each step with the watched parameters' values around it: the grader chains them from
        # the values it placed to the values it reads back, so the steps must do the training.
        spy._sgd = (genuine.get("SGD"), genuine_steps.get("SGD"))
        register_optimizer_step_pre_hook(lambda optimizer, args, kwargs: spy.before_step(optimizer, args, kwargs) if spy.active else None)
        register_optimizer_step_post_hook(lambda optimizer, args, kwargs: spy.record("step", {"id": id(optimizer) % 2**31, **spy.around_step()}) if spy.active else None)
        from torch.optim import optimizer as optimizer_module

        # counted after ours are in: any other is the caller's
        ours = (len(optimizer_module._global_optimizer_pre_hooks), len(optimizer_module._global_optimizer_post_hooks))

        def hooks(optimizer: Any) -> bool:
            """Whether step() runs code besides torch's and ours: the optimizer's own hooks, or global ones."""
            return (
                bool(getattr(optimizer, "_optimizer_step_pre_hooks", None)) or bool(getattr(optimizer, "_optimizer_step_post_hooks", None))
                or len(optimizer_module._global_optimizer_pre_hooks) > ours[0] or len(optimizer_module._global_optimizer_post_hooks) > ours[1]
            )

        spy._hooks = hooks
        wrap(torch.optim.Optimizer, "zero_grad", lambda optimizer, *a, **k: spy.record("zero_grad", {"id": id(optimizer) % 2**31}))


# --------------------------------------------------------------------------
# building arguments, calling, observing


def build_argument(spec: Any, mode: Optional[str] = None) -> Any:
    """A fresh argument from its spec, on the device of ``mode`` (default: the worker's)."""
    import torch

    mode = mode or MODE
    device = "cuda" if mode == "cuda" else "cpu"
    if type(spec) is dict and "tensor" in spec:
        body = spec["tensor"]
        if "arena" in body and _arena.mapped():
            # the arena's memory itself: an update in place lands where the grader reads it
            tensor = _arena.view(body)
            tensor = tensor.to(device) if device != "cpu" else tensor
        else:
            tensor = torch.tensor(body["data"], dtype=getattr(torch, body["dtype"]), device=device)
        return _placed(tensor.requires_grad_(bool(body.get("requires_grad"))), mode)
    if type(spec) is dict and "module" in spec:
        body = spec["module"]
        net = _build_module(body["tree"])
        state = body["state"]
        dtype = next((getattr(torch, s["tensor"]["dtype"]) for s in state.values()), torch.float32)
        net = net.to(device=device, dtype=dtype)
        with torch.no_grad():
            for name, param in net.state_dict(keep_vars=True).items():
                if name not in state:
                    continue
                body = state[name]["tensor"]
                if "arena" in body and _arena.mapped() and device == "cpu":
                    param.data = _arena.view(body)  # the parameter's memory is the arena's
                elif "arena" in body and _arena.mapped():
                    param.copy_(_arena.view(body).to(device))
                else:
                    param.copy_(torch.tensor(body["data"], dtype=dtype, device=device))
        return _placed(net, mode)
    return spec


def _build_module(tree: Any) -> Any:
    """An allow-listed ``nn.Module`` from ``[class, kwargs, children]`` (see ``protocol.module_spec``)."""
    import torch

    kind, kwargs, children = tree
    allowed = protocol.MODULE_ARGUMENTS.get(kind)
    if allowed is None or not isinstance(kwargs, dict) or set(kwargs) - set(allowed):
        raise protocol.ProtocolError(f"module {kind!r} is not built by the worker")
    if kind == "Sequential":
        return torch.nn.Sequential(*[_build_module(child) for child in children])
    return getattr(torch.nn, kind)(**kwargs)


def _placed(obj: Any, mode: str) -> Any:
    if mode != "virtual-cuda":
        return obj
    return _emulation.place(obj, "cuda")


def observe(arg: Any) -> Any:
    """What an argument looks like after the call: value, gradient, leaf status."""
    import warnings

    # Reading .grad of a non-leaf warns: that is our observation, not the student's output.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _observe(arg)


def _observe(arg: Any) -> Any:
    if isinstance(arg, _Tensor):
        grad = _get["grad"](arg)
        return {
            "value": encode(arg),
            "grad": None if grad is None else encode(grad),
            "is_leaf": bool(_get["is_leaf"](arg)),
            "requires_grad": bool(_get["requires_grad"](arg)),
        }
    if isinstance(arg, _Module):
        grads = {name: (None if _get["grad"](p) is None else encode(_get["grad"](p))) for name, p in _Module.named_parameters(arg)}
        return {"value": encode(arg), "grads": grads}
    return None


def _library_roots() -> tuple[str, ...]:
    """Where installed code lives: the standard library, the packages, and the grader itself."""
    import sysconfig

    roots = {sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in sysconfig.get_paths()}
    roots |= {sys.prefix, sys.base_prefix, os.path.dirname(os.path.dirname(os.path.abspath(__file__)))}
    return tuple(sorted(os.path.realpath(r) + os.sep for r in roots if r))


class _LineCounter:
    """Counts the lines of student code a call executes (to tell loops from broadcasting).

    Student code is any code that is not installed: the submission, a notebook's
    cells, a module the submission wrote; not only frames named after its file
    (a code object can be relabelled, and a loop moved into another module).
    """

    def __init__(self, student_files: Callable[[str], bool]) -> None:
        self.count = 0
        self.student_files = student_files
        self.roots = _library_roots()

    def _is_student(self, filename: str) -> bool:
        if self.student_files(filename) or filename in CODE_MADE_AT_RUN_TIME:
            return True  # the submission's, or code it made (a library's file name claims nothing)
        if filename.startswith("<frozen") or not filename:
            return False
        path = os.path.realpath(filename) if os.path.isabs(filename) else filename
        return not path.startswith(self.roots)

    def trace(self, frame: Any, event: str, arg: Any) -> Any:
        if event == "call":
            return self.local if self._is_student(frame.f_code.co_filename) else None
        return None

    def local(self, frame: Any, event: str, arg: Any) -> Any:
        if event == "line":
            self.count += 1
        return self.local


class Worker:
    """Serves the grader's requests against one loaded submission.

    A request with ``"device"`` runs on that device instead: the submission is
    loaded a second time, under the device's emulation, into a namespace of
    its own (so that a device chosen at import sees the emulated machine),
    and the call, its arguments and their encoding all happen on the device.
    This costs no second process.
    """

    def __init__(self, namespace: dict[str, Any], student_files: Callable[[str], bool], reload: Optional[Callable[[], tuple[Optional[dict[str, Any]], Optional[dict[str, Any]]]]] = None) -> None:
        self.namespace = namespace
        self.student_files = student_files
        self.reload = reload
        self.on_device: dict[str, tuple[Optional[dict[str, Any]], Optional[dict[str, Any]]]] = {}
        self.spy = Spy()
        self.spy.install()

    def call(self, request: dict[str, Any]) -> dict[str, Any]:
        device = request.get("device")
        if device is None:
            return self._call(self.namespace, request, MODE)
        if device not in ("virtual-cuda", "cuda"):
            return {"ok": False, "error": {"type": "GraderError", "message": f"device {device!r} is not served by this worker", "frames": []}}
        with device_context(device):
            if device not in self.on_device:
                # Without a way to load again (a notebook that already ran), the
                # grader asks only when nothing in the source can tell the devices apart.
                self.on_device[device] = self.reload() if self.reload is not None else (self.namespace, None)
            namespace, error = self.on_device[device]
            if namespace is None or (error is not None and not callable((namespace or {}).get(request["fn"]))):
                return {"ok": False, "error": error or {"type": "ImportError", "message": "the submission did not load", "frames": []}}
            return self._call(namespace, request, device)

    def _call(self, namespace: dict[str, Any], request: dict[str, Any], mode: str) -> dict[str, Any]:
        name = request["fn"]
        function = namespace.get(name)
        if not callable(function):
            return {"ok": False, "missing": True}
        size = request.get("arena_size")
        if type(size) is int:
            _arena.ensure(size)
        args = [build_argument(spec, mode) for spec in request.get("args", [])]
        watch = request.get("watch") or []
        self.spy.begin([args[i] for i in watch if type(i) is int and 0 <= i < len(args)])
        lines = _LineCounter(self.student_files) if request.get("trace") else None
        caught: list[str] = []

        shown = warnings.showwarning

        def keep_warning(message: Any, category: Any, *rest: Any, **kw: Any) -> None:
            # PyTorch's warnings are evidence (MSELoss's "target size ... different to the input size");
            # each distinct one is kept, and still printed once as it would have been.
            text = f"{getattr(category, '__name__', 'Warning')}: {message}"[:300]
            if text not in caught and len(caught) < _MAX_WARNINGS:
                caught.append(text)
                shown(message, category, *rest, **kw)

        try:
            if lines is not None:
                sys.settrace(lines.trace)
                threading.settrace(lines.trace)  # and every thread the call starts: a loop in a thread is a loop
            with printing(quiet=bool(request.get("quiet"))), warnings.catch_warnings():
                warnings.simplefilter("always")
                warnings.showwarning = keep_warning
                returned = function(*args)
                for _ in range(_times(request) - 1):
                    # the caller's loop: the same objects, called again (what one call leaves behind shows)
                    returned = function(*args)
            if lines is not None and sys.gettrace() != lines.trace:
                lines.count = 0  # the tracer was turned off or replaced: the grader reads a count of 0 as tampering
        except BaseException as exc:  # SystemExit and KeyboardInterrupt are the student's too
            sys.settrace(None)
            self.spy.active = False
            return {"ok": False, "error": describe_error(exc, self.student_files), "events": self.spy.events}
        finally:
            sys.settrace(None)
            if lines is not None:
                threading.settrace(None)  # type: ignore[arg-type]
            self.spy.active = False
        _write_back(request.get("args", []), args)
        try:
            return {
                "ok": True,
                "return": encode(returned),
                "after": [observe(arg) for arg in args],
                "events": self.spy.events,
                "lines": lines.count if lines is not None else None,
                "warnings": caught,
            }
        except protocol.TooLarge as exc:
            return {"ok": False, "too_large": str(exc)}
        except BaseException as exc:
            return {"ok": False, "error": describe_error(exc, self.student_files), "conversion": True}

    def serve(self, request_fd: int, reply_fd: int) -> NoReturn:
        while True:
            try:
                request = protocol.receive_blocking(request_fd)
            except EOFError:
                os._exit(0)
            if request.get("op") == "exit":
                _flush()
                os._exit(0)
            reply = self.call(request)
            if GRADER_IMPORTS:
                reply["imports_grader"] = GRADER_IMPORTS[:20]
            _flush()
            try:
                protocol.send(reply_fd, reply)
            except protocol.TooLarge as exc:
                protocol.send(reply_fd, {"ok": False, "too_large": str(exc)})


def _times(request: dict[str, Any]) -> int:
    times = request.get("times", 1)
    return times if type(times) is int and 1 <= times <= 4 else 1


def _write_back(specs: list[Any], args: list[Any]) -> None:
    """The arguments' final state (and gradients) into their arena slots, for the grader to read."""
    if not _arena.mapped():
        return
    for spec, arg in zip(specs, args):
        try:
            if type(spec) is dict and "tensor" in spec and "arena" in spec["tensor"] and isinstance(arg, _Tensor):
                _arena.write_back(spec["tensor"], arg, _get["grad"](arg))
            elif type(spec) is dict and "module" in spec and isinstance(arg, _Module):
                params = dict(_Module.named_parameters(arg))
                for name, body in spec["module"]["state"].items():
                    param = params.get(name)
                    if param is not None and "arena" in body["tensor"]:
                        _arena.write_back(body["tensor"], param, _get["grad"](param))
        except Exception:  # a student's object that cannot be read: the grader sees what the arena holds
            continue


def _flush() -> None:
    """Push the student's output into the capture pipes before we answer or exit."""
    deliver_output()


# --------------------------------------------------------------------------
# loading a .py submission


def load_module(path: str, display_name: str, source: Optional[bytes] = None) -> tuple[Optional[dict[str, Any]], Optional[dict[str, Any]]]:
    """Execute the submission as a module; return (namespace, error).

    ``source`` is the file's content when already read: the submission may
    delete its own file before it is loaded again for the device calls.
    """
    if source is None:
        with open(path, "rb") as handle:
            source = handle.read()

    def is_student(filename: str) -> bool:
        return filename == path

    try:
        code = compile(source, path, "exec", dont_inherit=True)
    except SyntaxError as exc:
        described = describe_error(exc, is_student)
        described["frames"] = [dict(f, filename=display_name) for f in described["frames"]]
        return None, {"syntax": True, **described}
    except (ValueError, UnicodeDecodeError) as exc:
        return None, {"syntax": True, "type": type(exc).__name__, "message": str(exc)[:2000], "frames": []}
    module = types.ModuleType("submission")
    module.__file__ = path
    sys.modules["submission"] = module
    try:
        exec(code, module.__dict__)
    except BaseException as exc:
        described = describe_error(exc, is_student)
        described["frames"] = [dict(f, filename=display_name) for f in described["frames"]]
        return module.__dict__, described
    return module.__dict__, None


def settle_streams() -> None:
    """The worker's bounded streams and ``print`` for its whole life (``grader.worker.output``), and temporary files in the worker's folder."""
    import tempfile

    own_streams()
    tempfile.tempdir = None


def run(path: str, display_name: str, functions: list[str], request_fd: int, reply_fd: int) -> NoReturn:
    """Entry point in the forked worker: load, report, then serve calls."""
    settle_streams()
    device_context().__enter__()  # for the rest of the worker's life: serve() never returns
    with open(path, "rb") as handle:
        source = handle.read()
    namespace, error = load_module(path, display_name, source)
    present = {name: bool(namespace and callable(namespace.get(name))) for name in functions}
    _flush()
    protocol.send(reply_fd, {"op": "load", "error": error, "functions": present, "imports_grader": GRADER_IMPORTS[:20]})
    if error is not None and error.get("syntax"):
        os._exit(0)

    def is_student(filename: str) -> bool:
        return filename == path

    Worker(namespace or {}, is_student, reload=lambda: load_module(path, display_name, source)).serve(request_fd, reply_fd)
