"""Naming a mistake by the variant of the reference that reproduces it.

The variants of a function are the pack's named misconceptions and the
ones the mutation operators derive (``grader.diagnosis.mutate``).  When a
student's values leave the reference, every variant runs on the same call,
here in the grader; the nearest one whose values match (loosely: a
student's arithmetic may differ in the last digits) names the mistake,
and its :class:`~grader.diagnosis.mutate.Site` says in source terms what it
changed.  A variant that behaves like the reference on this call cannot
explain a difference, and is skipped.
"""
from __future__ import annotations

import ast
import math
from dataclasses import dataclass
from typing import Any, Callable, Optional, Sequence

import torch

from grader.checks import contract
from grader.diagnosis import compare
from grader.diagnosis.mutate import Operator, Roles, Site, Variant, derive
from grader.execution.session import CallOutcome
from grader.pack import run
from grader.pack.calls import Call
from grader.pack.load import Pack
from grader.vocabulary import Role

# How loosely a variant must match: mistakes are recognised even when the
# student's arithmetic differs from the variant's in the last digits.
MATCH_FACTOR = 10.0


@dataclass(frozen=True)
class Match:
    variant: Variant
    distance: float
    params: dict[str, Any]
    # every variant that matches this case (the best first): the checks of one
    # function agree on one of them (grader.checks.review)
    candidates: tuple[tuple[str, dict[str, Any]], ...] = ()


_VARIANTS: dict[tuple[str, str], list[Variant]] = {}


def of(pack: Pack, function: str) -> list[Variant]:
    """The pack's misconceptions of ``function`` first, then the derived variants."""
    key = (pack.digest, function)
    if key not in _VARIANTS:
        spec = pack.function(function)
        roles = Roles(
            parameter=tuple(a.name for a in spec.args if a.role == Role.PARAMETER),
            learning_rate=tuple(a.name for a in spec.args if a.role == Role.LEARNING_RATE),
            epochs=tuple(a.name for a in spec.args if a.role == Role.EPOCHS),
            hyperparameter=tuple(a.name for a in spec.args if a.role == Role.HYPERPARAMETER),
        )
        named = [_misconception(pack, m) for m in pack.misconceptions if m.function == function]
        _VARIANTS[key] = [v for v in named if v is not None] + derive(pack.reference_text, function, roles, helpers=_helpers(pack))
    return _VARIANTS[key]


def _helpers(pack: Pack) -> list[str]:
    """Reference functions a graded function may call (``train_mse`` calls ``mse_loss``)."""
    tree = ast.parse(pack.reference_text)
    return [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]


def _misconception(pack: Pack, item: Any) -> Optional[Variant]:
    tree = ast.parse(pack.reference_text)
    definitions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    definition = definitions.get(item.function)
    if definition is None:
        return None
    original = ast.get_source_segment(pack.reference_text, definition) or ast.unparse(definition)
    if item.find and item.find not in original:
        # the change may be inside a helper the function calls (train_mse -> mse_loss)
        called = {n.func.id for n in ast.walk(definition) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
        for name in sorted(called & set(definitions)):
            text = ast.get_source_segment(pack.reference_text, definitions[name]) or ""
            if item.find in text:
                definition, original = definitions[name], text
                break
    if item.source:
        source = item.source
        site = Site("", "", "", "", definition.lineno)
    else:
        if item.find not in original:
            return None
        source = original.replace(item.find, item.replace)
        line = next((ln.strip() for ln in original.splitlines() if item.find in ln or item.find.splitlines()[0] in ln), item.find)
        site = Site(line.split("  #")[0], line.replace(item.find, item.replace).split("  #")[0], item.find, item.replace, definition.lineno)
    return Variant(
        id=f"misconception:{item.function}:{item.id}",
        function=item.function,
        operator=Operator.MISCONCEPTION,
        code=item.code,
        target=definition.name if not item.source else item.function,
        source=_dedent(source),
        site=site,
        params=(("misconception", f"{pack.name}.{item.id}"),),
    )


def _dedent(source: str) -> str:
    import textwrap

    return textwrap.dedent(source)


_COMPILED: dict[tuple[str, str], Callable[..., Any]] = {}


def compiled(pack: Pack, variant: Variant) -> Optional[Callable[..., Any]]:
    """The variant as a function of the graded function's arguments (None if it does not compile)."""
    key = (pack.digest, variant.id)
    if key not in _COMPILED:
        namespace = dict(vars(pack.reference))
        namespace["__scale__"] = _scale
        try:
            exec(compile(variant.source, f"<variant {variant.id}>", "exec"), namespace)  # noqa: S102 -- the reference, changed
        except Exception:
            return None
        _COMPILED[key] = namespace[variant.function] if variant.target == variant.function else _caller(namespace, pack, variant)
    return _COMPILED[key]


def _caller(namespace: dict[str, Any], pack: Pack, variant: Variant) -> Callable[..., Any]:
    """The graded function, calling the changed helper: its own definition re-bound to the namespace."""
    original = pack.reference_function(variant.function)
    import types

    return types.FunctionType(original.__code__, namespace, original.__name__, original.__defaults__, original.__closure__)


def _scale(value: Any, factor: Any) -> Any:
    """``value`` times ``factor``: numbers and tensors, and lists or tuples of them, item by item."""
    if isinstance(value, (list, tuple)):
        return type(value)(_scale(v, factor) for v in value)
    return value * factor


def outcome(pack: Pack, variant: Variant, call: Call, lecture: Optional[Call] = None) -> Optional[CallOutcome]:
    function = compiled(pack, variant)
    if function is None:
        return None
    globals_ = getattr(function, "__globals__", {})
    globals_["__n__"] = rows(call)
    if variant.role_value is not None:
        value = (lecture or call).arg(variant.role_value)
        globals_[f"__lecture_{variant.role_value}__"] = value
    found = run.outcome(function, call, key=(pack.digest, variant.id))
    return found if found.ok else None


def rows(call: Call) -> Any:
    for value in call.args:
        if isinstance(value, torch.Tensor) and value.dim() >= 1:
            return int(value.shape[0])
    return None


# --------------------------------------------------------------------------


Reader = Callable[[CallOutcome], Optional[contract.Reading]]


def nearest(
    pack: Pack, function: str, call: Call, student: contract.Reading, reference: contract.Reading, rtol: float, read: Reader, lecture: Optional[Call] = None, source: str = ""
) -> Optional[Match]:
    """The variant whose values on ``call`` match the student's, if one does.

    Among variants that match alike (two swaps that both freeze the weights),
    the one whose steps come in the order the student's source has them wins.
    A single answer among a few choices identifies no change of the code: there
    only the pack's named misconceptions are tried.
    """
    loose = rtol * MATCH_FACTOR
    found: list[tuple[float, int, Variant, dict[str, Any]]] = []
    steps = _steps_of(source, function) if source else None
    for order, variant in enumerate(of(pack, function)):
        if student.choice is not None and variant.operator != Operator.MISCONCEPTION:
            continue
        result = outcome(pack, variant, call, lecture)
        if result is None:
            continue
        reading = read(result)
        if reading is None or distance(reading, reference, rtol) <= 1.0:
            continue  # behaves like the reference here: explains nothing
        d = distance(student, reading, loose)
        if d <= 1.0:
            found.append((d, order, variant, _params(variant, call, lecture)))
    if not found:
        return None
    def agrees(variant: Variant) -> bool:
        if variant.operator not in (Operator.SWAP, Operator.HOIST, Operator.RECOMPUTE, Operator.DROP_RESET):
            return True  # only a change of the steps' order can be told from the source's order
        return steps is not None and variant.target == variant.function and _steps_of(variant.source, variant.function) == steps

    found.sort(key=lambda item: (item[0] > 0.5, item[2].operator != Operator.MISCONCEPTION, not agrees(item[2]), item[1], item[0]))
    best = found[0]
    return Match(best[2], best[0], best[3], tuple((v.code.value, p) for _, _, v, p in found))


def _steps_of(text: str, function: str) -> Optional[list[str]]:
    """The order of a training loop's steps in ``function``: backward, step, reset, update, record."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    definition = None
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == function:
            definition = node
    if definition is None:
        return None
    order = []
    for node in sorted((n for n in ast.walk(definition) if isinstance(n, ast.stmt)), key=lambda n: (n.lineno, n.col_offset)):
        kind = _step_kind(node)
        if kind is not None:
            order.append(kind)
    return order


def _step_kind(statement: ast.stmt) -> Optional[str]:
    if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
        return None  # a docstring
    text = ast.unparse(statement) if isinstance(statement, (ast.Expr, ast.Assign, ast.AugAssign)) else ""
    if ".backward(" in text:
        return "backward"
    if ".zero_grad(" in text or ".grad.zero_(" in text or (".grad = None" in text):
        return "reset"
    if ".step(" in text:
        return "update"
    if isinstance(statement, (ast.Assign, ast.AugAssign)) and ".grad" in text:
        return "update"
    if ".append(" in text:
        return "record"
    return None


def _params(variant: Variant, call: Call, lecture: Optional[Call]) -> dict[str, Any]:
    params = dict(variant.params)
    name = params.get("name")
    if variant.code.value == "wrong-learning-rate" and isinstance(name, str) and name in call.names:
        expected = call.arg(name)
        params["expected"] = float(expected)
        if variant.role_value is not None:
            params["found"] = float((lecture or call).arg(name))
        elif variant.factor is not None:
            n = rows(call) or 1
            params["found"] = float(expected) * float(eval(variant.factor, {"__n__": n}))  # noqa: S307 -- one of FACTORS
    if variant.code.value == "wrong-epochs" and isinstance(name, str) and name in call.names:
        params["epochs"] = call.arg(name)
        params["found"] = (lecture or call).arg(name)
    return params


def distance(a: contract.Reading, b: contract.Reading, tolerance: float) -> float:
    """How far two readings are, in units of ``tolerance`` (inf when their shapes differ)."""
    if a.choice is not None or b.choice is not None:
        return 0.0 if a.choice == b.choice else math.inf
    if len(a.series) != len(b.series):
        return math.inf
    worst = 0.0
    for x, y in zip(a.series, b.series):
        if x.values.shape != y.values.shape:
            return math.inf
        if x.stepped and x.values.shape[1] > 1 and x.values.shape[0] > 1:
            # weights: compared by their updates, which are what a mistake changes
            worst = max(worst, compare.mismatch(x.values[:1], y.values[:1], tolerance), compare.mismatch(_updates(x.values), _updates(y.values), tolerance))
        elif x.start is not None and y.start is not None and x.start.shape == x.values.shape:
            # a parameter after the call: compared by how far it moved (a tiny step is no "no step")
            worst = max(worst, compare.mismatch(x.values - x.start, y.values - y.start, tolerance))
        else:
            worst = max(worst, compare.mismatch(x.values, y.values, tolerance))
    return worst


def _updates(weights: torch.Tensor) -> torch.Tensor:
    return weights[1:] - weights[:-1]


def describe(variants: Sequence[Variant]) -> list[str]:
    """One line per variant (for `grade pack check`): operator, code, and the change."""
    return [f"{v.operator}: {v.code} at `{v.site.line}` -> `{v.site.changed}`" for v in variants]
