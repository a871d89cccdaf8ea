"""GradeResult <-> plain JSON data, for results that cross between grader processes or to disk.

Only our own frozen dataclasses are rebuilt, field by field, from their type
hints: nothing is unpickled or evaluated.
"""
from __future__ import annotations

import dataclasses
import math
import typing
from typing import Any, Union

from grader import results


def to_data(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_data(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [to_data(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_data(v) for k, v in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def from_data(cls: Any, data: Any) -> Any:
    """Rebuild ``cls`` (a results dataclass or a typing form) from plain data."""
    origin = typing.get_origin(cls)
    if origin is Union:
        options = [a for a in typing.get_args(cls) if a is not type(None)]
        if data is None:
            return None
        return from_data(options[0], data)
    if origin in (tuple,):
        items = typing.get_args(cls)
        if len(items) == 2 and items[1] is Ellipsis:
            return tuple(from_data(items[0], item) for item in data)
        return tuple(from_data(a, item) for a, item in zip(items, data))
    if origin in (dict, typing.Mapping) or cls is typing.Mapping or origin is typing.Mapping or str(origin) == "<class 'collections.abc.Mapping'>":
        return dict(data)
    if isinstance(cls, type) and dataclasses.is_dataclass(cls):
        if not isinstance(data, dict):
            raise ValueError(f"expected an object for {cls.__name__}")
        hints = typing.get_type_hints(cls, vars(results))
        kwargs = {f.name: from_data(hints[f.name], data[f.name]) for f in dataclasses.fields(cls) if f.name in data}
        return cls(**kwargs)
    return data


def result_from_data(data: Any) -> results.GradeResult:
    result = from_data(results.GradeResult, data)
    assert isinstance(result, results.GradeResult)
    return result
