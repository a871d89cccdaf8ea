"""Reading what student functions returned: scalars, tensors and histories.

The worker sends plain data (``grader.worker.protocol``); this module accepts every
reasonable representation the lecture allows (floats, 0-d tensors, lists,
``.tolist()`` output, stacked tensors) and says precisely what is wrong with
anything else.  It never compares values: that is ``grader.diagnosis.compare``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Optional, Union

import torch

from grader.worker.protocol import ModuleValue, OpaqueValue, TensorValue


@dataclass(frozen=True)
class Problem:
    """Why a value does not fit the contract: a diagnosis code and readable details."""

    code: str  # "wrong-type" | "wrong-shape"
    found: str
    expected: str
    detail_key: str = "type.other"


def describe(value: Any) -> str:
    """A short, student-readable description of a value's type and shape."""
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "a bool"
    if isinstance(value, (int, float)):
        return f"a number ({value!r})" if not isinstance(value, float) else "a float"
    if isinstance(value, str):
        return f"the string {value[:40]!r}"
    if isinstance(value, TensorValue):
        name = "array" if value.kind == "ndarray" else "tensor"
        return f"a {name} of shape {shape_text(value.shape)}"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of {len(value)} items"
    if isinstance(value, ModuleValue):
        return f"a {value.type}"
    if isinstance(value, OpaqueValue):
        return f"an object of type {value.type_name}"
    return type(value).__name__


def shape_text(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def as_tensor(value: TensorValue) -> torch.Tensor:
    return torch.tensor(value.data, dtype=torch.float64).reshape(value.shape)


def numbers(value: Any) -> Optional[list[float]]:
    """All numbers in a value, flattened; None if anything in it is not a number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return [float(value)]
    if isinstance(value, TensorValue):
        return list(value.data)
    if isinstance(value, (list, tuple)):
        out: list[float] = []
        for item in value:
            inner = numbers(item)
            if inner is None:
                return None
            out.extend(inner)
        return out
    return None


def scalar(value: Any) -> Union[float, Problem]:
    """A single number: a float, an int, or a tensor with one element."""
    found = numbers(value)
    if found is None:
        return Problem("wrong-type", describe(value), "a scalar tensor", "type.none" if value is None else "type.other")
    if len(found) != 1:
        return Problem("wrong-shape", describe(value), "a scalar (shape ())", "shape.value")
    return found[0]


def tensor_of_shape(value: Any, shape: tuple[int, ...]) -> Union[torch.Tensor, Problem]:
    """A tensor (or array) of exactly ``shape``."""
    if not isinstance(value, TensorValue):
        return Problem("wrong-type", describe(value), f"a tensor of shape {shape_text(shape)}", "type.none" if value is None else "type.other")
    if value.shape != shape:
        key = "shape.transposed" if tuple(reversed(value.shape)) == shape and len(shape) == 2 and shape[0] != shape[1] else "shape.value"
        return Problem("wrong-shape", shape_text(value.shape), shape_text(shape), key)
    return as_tensor(value)


def history(value: Any, width: int) -> Union[torch.Tensor, Problem]:
    """A history as a (k, width) float64 tensor.

    Entries may be floats, 0-d or 1-element tensors (width 1), or anything with
    ``width`` numbers: ``[w0, w1]``, ``What.tolist()`` (``[[w0], [w1]]``), a
    (2, 1) or (1, 2) tensor.  A whole history may also be one tensor of shape
    (k,), (k, width), (k, width, 1) or (k, 1, width).
    """
    expected = "a list with one number per epoch" if width == 1 else "a list of [w0, w1] entries"
    if isinstance(value, TensorValue):
        if len(value.shape) == 0:
            return Problem("wrong-shape", describe(value), expected, "shape.history")
        k = value.shape[0]
        if k == 0:
            return torch.zeros((0, width), dtype=torch.float64)
        if len(value.data) != k * width:
            return Problem("wrong-shape", describe(value), expected, "shape.history")
        return as_tensor(value).reshape(k, width)
    if not isinstance(value, (list, tuple)):
        return Problem("wrong-type", describe(value), expected, "type.none" if value is None else "type.other")
    rows = []
    for entry in value:
        found = numbers(entry)
        if found is None:
            return Problem("wrong-type", f"an entry that is {describe(entry)}", expected, "shape.history")
        if len(found) != width:
            return Problem("wrong-shape", f"an entry with {len(found)} numbers ({describe(entry)})", expected, "shape.history")
        rows.append(found)
    if not rows:
        return torch.zeros((0, width), dtype=torch.float64)
    return torch.tensor(rows, dtype=torch.float64)


def finite_or_none(values: Any) -> tuple[Optional[float], ...]:
    return tuple(v if math.isfinite(v) else None for v in (float(x) for x in values))
