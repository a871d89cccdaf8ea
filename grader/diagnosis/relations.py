"""How a student's values relate to the reference's, when a plain relation explains the difference.

Each rule looks only at the two readings: a module built with other
parameters, a history whose every entry is the last one, a square result
transposed, parameters swapped, an exact constant factor.  Each returns a
diagnosis code and its message parameters, or None.
"""
from __future__ import annotations

import math
from dataclasses import replace
from typing import Any, Optional

import torch

from grader.checks.contract import Reading
from grader.diagnosis import compare, values
from grader.vocabulary import Code
from grader.worker.protocol import ModuleValue

Found = Optional[tuple[Code, dict[str, Any]]]


def structure(found: Reading, expected: Reading) -> Found:
    """A module of another class, or with other parameters, than the reference's."""
    mine, theirs = found.module, expected.module
    if mine is None or theirs is None:
        return None
    if mine.type != theirs.type:
        return Code.WRONG_TYPE, {"found": f"a {mine.type}", "expected": f"a {theirs.type}", "detail": {"key": "type.module", "params": {"expected": theirs.type, "found": mine.type}}}
    if mine.tree and theirs.tree and mine.tree != theirs.tree:
        return Code.WRONG_STRUCTURE, {"found": _layers(mine.tree), "expected": _layers(theirs.tree)}
    mine = aligned(mine, theirs)
    extra = [name for name in mine.params if name not in theirs.params]
    missing = [name for name in theirs.params if name not in mine.params]
    if any(name.rsplit(".", 1)[-1] == "bias" for name in extra):
        return Code.BIAS_ENABLED, {"name": next(n for n in extra if n.rsplit(".", 1)[-1] == "bias")}
    if missing:
        return Code.MISSING_PARAMETER, {"name": missing[0]}
    if extra:
        return Code.WRONG_TYPE, {"found": f"a {mine.type} with {', '.join(extra)}", "expected": f"a {theirs.type}", "detail": {"key": "type.module", "params": {"expected": theirs.type, "found": mine.type}}}
    for name, param in theirs.params.items():
        other = mine.params[name]
        if other.shape != param.shape:
            if tuple(reversed(other.shape)) == param.shape:
                return Code.WEIGHT_NOT_TRANSPOSED, {"name": name, "found": values.shape_text(other.shape), "expected": values.shape_text(param.shape)}
            return Code.WRONG_SHAPE, {"found": values.shape_text(other.shape), "expected": values.shape_text(param.shape), "detail": {"key": "shape.value", "params": {"expected": values.shape_text(param.shape)}}}
    return None


def aligned(mine: ModuleValue, theirs: ModuleValue) -> ModuleValue:
    """``mine`` with the reference's parameter names, where only the names differ.

    Layers named in an ``OrderedDict`` (``fc.weight``) are the same layers as
    numbered ones (``0.weight``): parameters are matched by their order and
    shapes, as the modules hold them.
    """
    if list(mine.params) == list(theirs.params) or len(mine.params) != len(theirs.params):
        return mine
    pairs = list(zip(mine.params.items(), theirs.params))
    if any(value.shape != theirs.params[name].shape for (_, value), name in pairs):
        return mine
    return replace(mine, params={name: value for (_, value), name in pairs})


def _layers(tree: tuple[Any, ...]) -> str:
    """``Sequential(Linear, Sigmoid)``: a module tree as a person writes it."""
    kind, children = tree
    return f"{kind}({', '.join(_layers(c) for c in children)})" if children else kind


def unmoved(found: Reading, expected: Reading, rtol: float) -> Found:
    """The parameter was never updated in place: after the call it holds what it was given, where the reference's moved."""
    for f, e in zip(found.series, expected.series):
        if f.start is None or e.start is None or f.values.shape != f.start.shape:
            continue
        if torch.equal(f.values, f.start) and not compare.all_close(e.values, e.start, rtol):
            return Code.PARAMETER_REBOUND, {"parameter": f.name.split(" ")[0].split("[")[0].split(".")[0]}
    return None


def before_variants(found: Reading, expected: Reading, rtol: float) -> Found:
    """Relations more telling than any variant: an aliased history, parameters swapped, a square result transposed."""
    for f, e in zip(found.series, expected.series):
        if f.stepped and f.values.shape[1] > 1 and f.values.shape[0] > 1 and f.values.shape == e.values.shape:
            w = f.values
            trained = compare.all_close(w[-1:], e.values[-1:], rtol * 10)  # the entries are the trained value, not garbage
            if bool(torch.isfinite(w).all()) and bool((w == w[-1]).all()) and not bool((e.values == e.values[0]).all()) and trained:
                return Code.HISTORY_ALIASED, {"count": int(w.shape[0]), "name": f.name}
    swapped = _swapped(found, expected, rtol)
    if swapped is not None:
        return swapped
    for f, e in zip(found.series, expected.series):
        if len(f.shape) == 2 and f.shape[0] == f.shape[1] and f.shape[0] > 1:
            square = e.values.reshape(f.shape).T.reshape(1, -1)
            if compare.all_close(f.values, square, rtol) and not compare.all_close(f.values, e.values, rtol):
                return Code.WRONG_SHAPE, {"found": "transposed", "expected": values.shape_text(f.shape), "detail": {"key": "shape.transposed-square", "params": {}}}
    return None


def _swapped(found: Reading, expected: Reading, rtol: float) -> Found:
    """Two one-number parameters holding each other's values (bias and weight exchanged)."""
    singles = [(f, e) for f, e in zip(found.series, expected.series) if f.values.numel() == 1 and not f.stepped]
    for i, (f1, e1) in enumerate(singles):
        for f2, e2 in singles[i + 1 :]:
            if compare.all_close(e1.values, e2.values, rtol):
                continue
            if compare.all_close(f1.values, e2.values, rtol) and compare.all_close(f2.values, e1.values, rtol):
                return Code.PARAMETERS_SWAPPED, {"first": f1.name, "second": f2.name}
    return None


def after_variants(found: Reading, expected: Reading, rtol: float, n: Optional[int] = None) -> Found:
    """An exact constant factor between every value and the reference's (when no variant names its place)."""
    ratios = []
    for f, e in zip(found.series, expected.series):
        mask = torch.isfinite(f.values) & torch.isfinite(e.values) & (e.values.abs() > 1e-12)
        if not bool(mask.any()):
            continue
        ratios.append(f.values[mask] / e.values[mask])
    if not ratios:
        return None
    joined = torch.cat([r.reshape(-1) for r in ratios])
    factor = float(joined.median())
    if not math.isfinite(factor) or abs(factor - 1) < 10 * rtol or factor == 0:
        return None
    if not compare.all_close(joined, torch.full_like(joined, factor), rtol * 10):
        return None
    word = _nice(factor, n)
    if joined.numel() == 1 and word is None:
        return None  # one number is always some multiple of another: only a telling factor explains it
    return Code.CONSTANT_FACTOR, {"factor": word or f"{factor:.4g}"}


def _nice(factor: float, n: Optional[int] = None) -> Optional[str]:
    """The factor as a person would name it (2, 1/2, -1, n, 1/n, ...), or None."""
    named = [("2", 2.0), ("1/2", 0.5), ("-1", -1.0), ("-2", -2.0), ("-1/2", -0.5), ("10", 10.0), ("1/10", 0.1)]
    if n is not None and n > 2:
        named += [(f"n = {n}", float(n)), (f"1/n = 1/{n}", 1.0 / n), (f"2n = {2 * n}", 2.0 * n), (f"1/(2n) = 1/{2 * n}", 1.0 / (2 * n))]
    for word, value in named:
        if abs(factor - value) <= 1e-3 * abs(value):
            return word
    return None
