"""Reading a returned value through the pack's contract: numbers to compare, or what is wrong with it.

The contract (``[[function]] result`` in ``pack.toml``) says what each
returned value is: a scalar, a tensor, a history, a module, one of some
strings.  What the stub accepts, this accepts, and nothing else: a value
of another type or shape is a :class:`~grader.diagnosis.values.Problem`
(``wrong-type`` / ``wrong-shape``) that says what the stub promised.
The reference's value is read the same way, so the two compare series by
series.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional, Sequence, Union

import torch

from grader.diagnosis import values
from grader.pack import spec as specs
from grader.worker.protocol import ModuleValue, TensorValue


@dataclass(frozen=True)
class Series:
    """Numbers to compare, as a (k, m) float64 tensor.

    ``stepped``: rows are epochs (a history), and the first divergent row is
    reported as an epoch, counted from ``offset`` (1 for losses recorded
    before each update, 0 for a history that starts with the initial value).
    Otherwise the series is one value, of ``shape``.
    """

    name: str
    values: torch.Tensor
    labels: tuple[str, ...]
    stepped: bool = False
    offset: int = 0
    shape: tuple[int, ...] = ()
    start: Optional[torch.Tensor] = None  # a parameter's values before the call: a mistake changes the update, not the value


@dataclass(frozen=True)
class Reading:
    """A returned value (and what is judged with it) as series; ``choice`` for a string answer."""

    series: tuple[Series, ...] = ()
    choice: Optional[str] = None
    module: Optional[ModuleValue] = None

    def named(self, name: str) -> Optional[Series]:
        return next((s for s in self.series if s.name == name), None)


Problem = values.Problem


def read(result: Sequence[specs.Value], returned: Any, expected: Optional[Reading] = None, names: Sequence[str] = ()) -> Union[Reading, Problem]:
    """``returned`` read through ``result``.  ``expected`` (the reference's reading)
    gives the shapes a tensor must have; ``names`` are the contract's names for the
    values, used in messages."""
    if len(result) > 1:
        if not isinstance(returned, (list, tuple)) or len(returned) != len(result):
            return Problem("wrong-type", values.describe(returned), _tuple_text(result), "type.none" if returned is None else "type.other")
        parts = list(returned)
    else:
        parts = [returned]
    series: list[Series] = []
    choice = None
    module = None
    for index, (value_spec, part) in enumerate(zip(result, parts)):
        found = _one(value_spec, part, expected, index)
        if isinstance(found, Problem):
            return found
        if isinstance(found, str):
            choice = found
        elif isinstance(found, ModuleValue):
            module = found
            series.extend(module_series(found, value_spec.name or "net"))
        else:
            series.append(found)
    return Reading(tuple(series), choice, module)


def _tuple_text(result: Sequence[specs.Value]) -> str:
    names = ", ".join(v.name or v.kind for v in result)
    return f"a tuple ({names})"


def _one(spec: specs.Value, value: Any, expected: Optional[Reading], index: int) -> Union[Series, str, ModuleValue, Problem]:
    name = spec.name or "the returned value"
    promised = _promised(spec)
    kind = spec.kind
    if kind in ("scalar", "number"):
        accepted = {"tensor0d"} | set(spec.accept)
        if kind == "number":
            accepted |= {"number", "tensor1"}
        found = _scalar(value, accepted, promised)
        if isinstance(found, Problem):
            return found
        return Series(name, torch.tensor([[found]], dtype=torch.float64), (name,))
    if kind == "tensor":
        shape = _expected_shape(expected, name, index)
        if isinstance(value, TensorValue) and shape is not None and "squeezed" in spec.accept and value.numel == _numel(shape):
            value = TensorValue(shape, value.dtype, value.data, value.device, value.requires_grad, value.kind)
        if shape is None:
            if not isinstance(value, TensorValue):
                return Problem("wrong-type", values.describe(value), promised, "type.none" if value is None else "type.other")
            shape = value.shape
        found_tensor = values.tensor_of_shape(value, shape)
        if isinstance(found_tensor, Problem):
            return Problem(found_tensor.code, found_tensor.found, promised if found_tensor.code == "wrong-type" else found_tensor.expected, found_tensor.detail_key)
        return Series(name, found_tensor.reshape(1, -1), tuple(_index_labels(shape)), shape=shape)
    if kind == "series":
        width = len(spec.labels) if spec.item == "vector" else 1
        history = values.history(value, width)
        if isinstance(history, Problem):
            return Problem(history.code, history.found, promised, history.detail_key)
        labels = tuple(spec.labels) if spec.item == "vector" else ("loss" if "loss" in name else name,)
        return Series(name, history, labels, stepped=True, offset=1 if spec.length.strip() == "epochs" else 0)
    if kind == "module":
        if not isinstance(value, ModuleValue):
            return Problem("wrong-type", values.describe(value), promised, "type.none" if value is None else "type.not-a-net")
        return value
    if kind == "choice":
        if not isinstance(value, str) or value not in spec.options:
            options = ", ".join(f'"{o}"' for o in spec.options)
            return Problem("wrong-type", values.describe(value), f"one of {options}", "type.none" if value is None else "type.other")
        return value
    raise ValueError(f"unknown kind {kind!r}")


def _promised(spec: specs.Value) -> str:
    if spec.describe is not None:
        return spec.describe.en
    if spec.kind == "scalar":
        return "a scalar tensor"
    if spec.kind == "number":
        return "a number"
    if spec.kind == "series":
        return "a list with one number per epoch" if spec.item == "scalar" else f"a list of [{', '.join(spec.labels)}] entries"
    if spec.kind == "module":
        return "an nn.Module"
    return f"a {spec.kind}"


def _scalar(value: Any, accepted: set[str], promised: str) -> Union[float, Problem]:
    """One number, in the forms the contract accepts: a 0-d tensor, and where the stub says so a Python number or a (1,) tensor."""
    if isinstance(value, TensorValue):
        if value.shape == () and "tensor0d" in accepted:
            return value.data[0]
        if value.numel == 1 and "tensor1" in accepted:
            return value.data[0]
        if value.numel == 1:
            return Problem("wrong-shape", values.describe(value), promised, "shape.scalar")
        return Problem("wrong-shape", values.describe(value), promised, "shape.value")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "number" in accepted:
            return float(value)
        return Problem("wrong-type", values.describe(value), promised, "type.number-not-tensor")
    return Problem("wrong-type", values.describe(value), promised, "type.none" if value is None else "type.other")


def _expected_shape(expected: Optional[Reading], name: str, index: int) -> Optional[tuple[int, ...]]:
    if expected is None:
        return None
    found = expected.named(name)
    if found is None and index < len(expected.series):
        found = expected.series[index]
    return found.shape if found is not None else None


def _numel(shape: tuple[int, ...]) -> int:
    out = 1
    for s in shape:
        out *= s
    return out


def _index_labels(shape: tuple[int, ...]) -> list[str]:
    labels = []
    for flat in range(_numel(shape)):
        index = []
        for size in reversed(shape):
            index.append(flat % size)
            flat //= size
        labels.append("[" + ", ".join(str(i) for i in reversed(index)) + "]" if shape else "")
    return labels


def module_series(module: ModuleValue, name: str) -> list[Series]:
    """One series per parameter, named as Python reads it (``net.weight``, ``net[0].bias``)."""
    out = []
    for key, param in sorted(module.params.items()):  # by name: the student's order need not be the reference's
        label = f"{name}{_attribute(key)}"
        out.append(Series(label, values.as_tensor(param).reshape(1, -1), tuple(f"{label}{i}" for i in _index_labels(param.shape)), shape=param.shape))
    return out


def _attribute(key: str) -> str:
    return "".join(f"[{part}]" if part.isdigit() else f".{part}" for part in key.split("."))


def parameter_series(observed: Mapping[str, Any], name: str, labels: Sequence[str] = (), before: Any = None) -> list[Series]:
    """The series of a parameter after the call: a tensor's values, or a module's parameters.

    ``before`` is the argument as it was passed (a tensor or an ``nn.Module``): each
    series then knows where it started."""
    value = observed.get("value") if observed else None
    if isinstance(value, TensorValue):
        tensor = values.as_tensor(value).reshape(1, -1)
        names = tuple(labels) if len(labels) == tensor.shape[1] else tuple(f"{name}{i}" for i in _index_labels(value.shape))
        start = _start(before, None, tensor.shape)
        return [Series(f"{name} after the call", tensor, names, shape=value.shape, start=start)]
    if isinstance(value, ModuleValue):
        out = []
        for s, key in zip(module_series(value, name), sorted(value.params)):
            out.append(Series(f"{s.name} after the call", s.values, s.labels, shape=s.shape, start=_start(before, key, s.values.shape)))
        return out
    return []


def _start(before: Any, key: Optional[str], shape: Any) -> Optional[torch.Tensor]:
    if isinstance(before, torch.nn.Module) and key is not None:
        state = before.state_dict()
        before = state.get(key)
    if isinstance(before, torch.Tensor) and before.numel() == int(torch.Size(shape).numel()):
        return before.detach().to(torch.float64).reshape(shape)
    return None
