"""GradeResult <-> plain JSON data, for results that cross between grader processes or to disk.

The schema is the results dataclasses themselves, read by msgspec: only they
are rebuilt, each field checked against its type; nothing is unpickled or
evaluated.  Non-finite floats become ``None`` (strict JSON has none), which
is why the fields that may hold them are ``Optional[float]``.
"""
from __future__ import annotations

import math
from typing import Any

import msgspec

from grader import results


def to_data(value: Any) -> Any:
    """Plain lists, dicts, strings and numbers for ``value`` (a results dataclass or a collection of them)."""
    return _finite(msgspec.to_builtins(value))


def _finite(data: Any) -> Any:
    if type(data) is float:
        return data if math.isfinite(data) else None
    if type(data) is list:
        return [_finite(item) for item in data]
    if type(data) is dict:
        return {key: _finite(item) for key, item in data.items()}
    return data


def result_from_data(data: Any) -> results.GradeResult:
    """The :class:`~grader.results.GradeResult` that :func:`to_data` wrote; ``ValueError`` if ``data`` is not one."""
    try:
        return msgspec.convert(data, type=results.GradeResult, strict=False)
    except msgspec.ValidationError as exc:
        raise ValueError(f"not a grading result: {exc}") from None
