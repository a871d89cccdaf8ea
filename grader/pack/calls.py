"""The calls a function is graded on, built from its pack: argument values, the worker's specs, the code to paste.

A :class:`Call` holds grader-side values (tensors, ``nn.Module``\\s, numbers,
strings) in the order of the function's arguments, and the code a student
can paste to reproduce it.  The lecture's call is the pack's own text
(``train(X, y, What, 0.001, 30)`` after its setup code), evaluated here;
generated calls come from the pack's Hypothesis strategies.
"""
from __future__ import annotations

import ast
import copy
import hashlib
import inspect
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Optional, Sequence

import torch
from hypothesis import strategies as st

from grader.pack import spec as specs
from grader.pack.load import Pack, PackError
from grader.vocabulary import Role
from grader.worker import protocol

# nn.Module classes a call may pass (built by the worker from this description, never unpickled).
MODULES: dict[str, Callable[[torch.nn.Module], dict[str, Any]]] = {
    "Linear": lambda m: {"in_features": int(m.in_features), "out_features": int(m.out_features), "bias": m.bias is not None},  # type: ignore[arg-type]
    "Sigmoid": lambda m: {},
    "ReLU": lambda m: {},
    "Tanh": lambda m: {},
    "Identity": lambda m: {},
    "Flatten": lambda m: {},
    "Softmax": lambda m: {"dim": m.dim},
    "Sequential": lambda m: {},
}


@dataclass(frozen=True)
class Call:
    """One call of a graded function: its arguments and how to reproduce it."""

    function: str
    args: tuple[Any, ...] = field(compare=False)
    names: tuple[str, ...]
    code: str
    lecture: bool = False
    key: str = ""  # what identifies the call (a hash of its arguments), for caches
    times: int = 1  # called that many times in a row on the same arguments (the caller's loop)

    def fresh(self) -> list[Any]:
        """Copies of the arguments, for a run that may change them (the reference's, a variant's)."""
        return [_copy(a) for a in self.args]

    def arg(self, name: str) -> Any:
        return self.args[self.names.index(name)]

    def repeated(self, times: int) -> "Call":
        """The same call made ``times`` times in a row on the same arguments, as a caller's loop does."""
        return replace(self, times=times, key=f"{self.key}*{times}")

    def with_args(self, args: Sequence[Any], code: Optional[str] = None) -> "Call":
        key = _key(self.function, args) + (f"*{self.times}" if self.times != 1 else "")
        return replace(self, args=tuple(args), key=key, code=code if code is not None else self.code)


def _copy(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        out = value.detach().clone()
        return out.requires_grad_(value.requires_grad) if out.is_floating_point() else out
    if isinstance(value, torch.nn.Module):
        return copy.deepcopy(value)
    return copy.deepcopy(value)


# --------------------------------------------------------------------------
# from the pack's text


def evaluate(pack: Pack, function: str, call: specs.Call, *, lecture: bool = False) -> Call:
    """The pack's written call, after its setup code, as a :class:`Call` (:class:`PackError` if it does not evaluate)."""
    namespace = setup_namespace(pack, call.setup)
    code_lines = [_setup_code(pack, call.setup)]
    if call.before:
        _run(pack, call.before, namespace, f"{function}: before")
        code_lines.append(call.before.strip("\n"))
    try:
        tree = ast.parse(call.call.strip(), mode="eval")
    except SyntaxError as exc:
        raise PackError(f"{pack.folder}: the call {call.call!r} is not Python ({exc.msg}).") from None
    node = tree.body
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == function):
        raise PackError(f"{pack.folder}: the call {call.call!r} must be a call of {function}(...).")
    scope = {**namespace, **{name: pack.reference_function(name) for name in pack.functions}}
    try:
        positional = [eval(compile(ast.Expression(a), "<pack call>", "eval"), scope) for a in node.args]  # noqa: S307 -- the pack's own text
        keywords = {k.arg: eval(compile(ast.Expression(k.value), "<pack call>", "eval"), scope) for k in node.keywords if k.arg}  # noqa: S307
    except Exception as exc:
        raise PackError(f"{pack.folder}: evaluating {call.call!r} raised {type(exc).__name__}: {exc}") from None
    signature = inspect.signature(pack.reference_function(function))
    bound = signature.bind(*positional, **keywords)
    bound.apply_defaults()
    args = tuple(bound.arguments.values())
    code_lines.append(f"from submission import {function}  # your file")
    code_lines.append(call.call.strip())
    return Call(function, args, tuple(signature.parameters), "\n".join(line for line in code_lines if line), lecture, _key(function, args))


def setup_namespace(pack: Pack, names: Sequence[str]) -> dict[str, Any]:
    namespace: dict[str, Any] = {"torch": torch}
    for name in names:
        _run(pack, pack.setups[name].code, namespace, f"[setup.{name}]")
    return namespace


def _setup_code(pack: Pack, names: Sequence[str]) -> str:
    lines = ["import torch"]
    for name in names:
        for line in pack.setups[name].code.strip("\n").splitlines():
            if line.strip() != "import torch":
                lines.append(line)
    return "\n".join(lines)


def _run(pack: Pack, code: str, namespace: dict[str, Any], where: str) -> None:
    state = torch.random.get_rng_state()
    try:
        exec(compile(code, f"<{pack.name} {where}>", "exec"), namespace)  # noqa: S102 -- the pack's own text
    except Exception as exc:
        raise PackError(f"{pack.folder}: {where} raised {type(exc).__name__}: {exc}") from None
    finally:
        torch.random.set_rng_state(state)


_LECTURE: dict[tuple[str, str, int], Call] = {}


def lecture(pack: Pack, function: str) -> Call:
    """The lecture's call of ``function`` (evaluated once per pack)."""
    key = (pack.folder, function, id(pack))
    if key not in _LECTURE:
        _LECTURE[key] = evaluate(pack, function, pack.function(function).lecture, lecture=True)
    return _LECTURE[key]


def divergent(pack: Pack, function: str) -> list[Call]:
    return [evaluate(pack, function, call, lecture=True) for call in pack.function(function).divergent]


def extra_calls(pack: Pack, extra: specs.Extra) -> list[Call]:
    return [evaluate(pack, extra.function, call, lecture=True) for call in extra.calls]


def strategy(pack: Pack, function: str, helper: str) -> st.SearchStrategy[Call]:
    """The pack's strategy of argument dicts (or tuples), as calls with paste-able code."""
    made = pack.helper(helper)
    found = made() if callable(made) and not isinstance(made, st.SearchStrategy) else made
    if not isinstance(found, st.SearchStrategy):
        raise PackError(f"{pack.folder}: the helper {helper!r} must be (or return) a Hypothesis strategy, found {type(found).__name__}.")
    names = tuple(a.name for a in pack.function(function).args)
    roles = {a.name: a.role for a in pack.function(function).args}
    return found.map(lambda drawn: generated(function, names, roles, drawn))


def generated(function: str, names: tuple[str, ...], roles: dict[str, Role], drawn: Any) -> Call:
    if isinstance(drawn, dict):
        missing = [n for n in names if n not in drawn]
        if missing:
            raise PackError(f"a strategy for {function} drew no value for {', '.join(missing)}")
        args = tuple(drawn[n] for n in names)
    else:
        args = tuple(drawn)
    return Call(function, args, names, literal_code(function, names, roles, args), False, _key(function, args))


def _key(function: str, args: Sequence[Any]) -> str:
    digest = hashlib.sha256(function.encode())
    for value in args:
        digest.update(repr(_plain(value)).encode())
    return digest.hexdigest()[:24]


def _plain(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return (str(value.dtype), tuple(value.shape), value.requires_grad, value.detach().to(torch.float64).reshape(-1).tolist())
    if isinstance(value, torch.nn.Module):
        return (module_tree(value), {k: _plain(v) for k, v in value.state_dict().items()})
    return value


# --------------------------------------------------------------------------
# to the worker


def worker_args(call: Call, dtype: Optional[str] = None) -> list[Any]:
    """The arguments as the worker builds them (``dtype`` overrides every floating tensor's)."""
    return [worker_value(a, dtype) for a in call.args]


def worker_value(value: Any, dtype: Optional[str] = None) -> Any:
    if isinstance(value, torch.Tensor):
        kind = dtype if dtype and value.is_floating_point() else str(value.dtype).replace("torch.", "")
        return protocol.tensor_spec(value.detach().to(torch.float64 if value.is_floating_point() else value.dtype).tolist(), kind, value.requires_grad)
    if isinstance(value, torch.nn.Module):
        state = {name: protocol.tensor_spec(p.detach().to(torch.float64).tolist(), dtype or str(p.dtype).replace("torch.", "")) for name, p in value.state_dict().items()}
        return protocol.module_spec(module_tree(value), state)
    if isinstance(value, bool) or value is None or isinstance(value, (int, float, str)):
        return value
    raise PackError(f"a call passes a {type(value).__name__}; calls pass tensors, nn.Modules, numbers and strings")


def module_tree(module: torch.nn.Module) -> list[Any]:
    """``[class name, constructor arguments, children]`` of an allow-listed module."""
    kind = type(module).__name__
    if kind not in MODULES or type(module) is not getattr(torch.nn, kind):
        raise PackError(f"a call passes an nn.{kind}; calls may pass {', '.join(sorted(MODULES))} (nested in Sequential)")
    children = [module_tree(child) for child in module.children()] if kind == "Sequential" else []
    return [kind, MODULES[kind](module), children]


def with_dtype(call: Call, dtype: str) -> Call:
    """The same call with every floating tensor (and module) in ``dtype``."""
    kind = getattr(torch, dtype)
    args = []
    for value in call.args:
        if isinstance(value, torch.Tensor) and value.is_floating_point():
            value = value.detach().to(kind).requires_grad_(value.requires_grad)
        elif isinstance(value, torch.nn.Module):
            value = copy.deepcopy(value).to(kind)
        args.append(value)
    return call.with_args(args)


# --------------------------------------------------------------------------
# back to the student, as code


def literal_code(function: str, names: Sequence[str], roles: dict[str, Role], args: Sequence[Any]) -> str:
    """A paste-able reproduction of a generated call: every value written out.

    The argument a call trains (What, net) gets a name first, so that the
    example can look at it after the call.
    """
    lines = ["import torch"]
    shown = []
    for name, value in zip(names, args):
        code = value_code(value)
        if roles.get(name) == Role.PARAMETER:
            lines.extend(_bind(name, value, code))
            code = name
        shown.append(f"{name}={code}")
    lines.append(f"from submission import {function}  # your file")
    lines.append(f"{function}(" + ", ".join(shown) + ")")
    return "\n".join(lines)


def _bind(name: str, value: Any, code: str) -> list[str]:
    if isinstance(value, torch.nn.Module):
        return module_code(name, value)
    return [f"{name} = {code}"]


def value_code(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        return tensor_code(value)
    if isinstance(value, float):
        return repr(float(f"{value:.6g}"))
    if isinstance(value, torch.nn.Module):
        return "net"
    return repr(value)


def tensor_code(t: torch.Tensor) -> str:
    """A tensor as a ``torch.tensor(...)`` literal (values to 6 significant digits)."""
    values = _literal(t.detach().to(torch.float64).tolist()) if t.is_floating_point() else repr(t.tolist())
    extra = ""
    if t.dtype not in (torch.float32, torch.int64):
        extra += f", dtype=torch.{str(t.dtype).replace('torch.', '')}"
    if t.requires_grad:
        extra += ", requires_grad=True"
    return f"torch.tensor({values}{extra})"


def _literal(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    return repr(float(f"{value:.6g}"))


def module_code(name: str, module: torch.nn.Module) -> list[str]:
    """Lines that build ``module`` under ``name``: its constructor, then its parameters' values."""
    lines = [f"{name} = {_constructor(module_tree(module))}"]
    dtype = next((p.dtype for p in module.parameters()), torch.float32)
    if dtype != torch.float32:
        lines.append(f"{name} = {name}.to(torch.{str(dtype).replace('torch.', '')})")
    for key, value in module.state_dict().items():
        lines.append(f"{name}{_attribute(key)}.data = {tensor_code(value.detach())}")
    return lines


def _constructor(tree: list[Any]) -> str:
    kind, kwargs, children = tree
    if kind == "Sequential":
        return "torch.nn.Sequential(" + ", ".join(_constructor(c) for c in children) + ")"
    if kind == "Linear":
        return f"torch.nn.Linear({kwargs['in_features']}, {kwargs['out_features']}" + ("" if kwargs["bias"] else ", bias=False") + ")"
    arguments = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
    return f"torch.nn.{kind}({arguments})"


def _attribute(key: str) -> str:
    """A state-dict key as an attribute path: ``0.weight`` -> ``[0].weight``, ``weight`` -> ``.weight``."""
    return "".join(f"[{part}]" if part.isdigit() else f".{part}" for part in key.split("."))


def data_names(pack: Pack) -> frozenset[str]:
    """The names the exercise's data has: what its setup code binds (X, y, What, ...), and what its calls name.

    A graded function that reads one of these from the module (or the
    notebook) instead of its argument is ``uses-global``.
    """
    names: set[str] = set()
    for name, setup in pack.setups.items():
        try:
            tree = ast.parse(setup.code)
        except SyntaxError:
            continue
        names |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    for function in pack.spec.function:
        for text in (function.lecture.before,):
            try:
                tree = ast.parse(text or "")
            except SyntaxError:
                continue
            names |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        names |= {a.name for a in function.args if a.role in (Role.DATA, Role.PARAMETER)}
    return frozenset(names - {"_", "torch"})
