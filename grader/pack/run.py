"""Running the pack's own code on a call, in the grader: the reference, and variants of it.

The outcome has the same form as a student's call (``CallOutcome``: the
returned value and the arguments after the call as plain data), so that
everything downstream compares like with like.  Only the instructor's
code runs here; student code runs only in the worker.
"""
from __future__ import annotations

import warnings
from collections import OrderedDict
from typing import Any, Callable, Optional

import torch

from grader.execution.session import CallOutcome
from grader.pack.calls import Call
from grader.results import StudentError
from grader.worker import protocol
from grader.worker.runtime import encode, observe

_CACHE: "OrderedDict[tuple[str, str, str], CallOutcome]" = OrderedDict()
_CACHE_SIZE = 256  # reference runs kept: a few per check of one submission, never per student


def outcome(function: Callable[..., Any], call: Call, *, key: Optional[tuple[str, str]] = None) -> CallOutcome:
    """``function(*call)`` run here on fresh copies of the arguments, as a :class:`CallOutcome`.

    ``key`` (who, which function) caches the outcome by the call's identity:
    the reference's run of one call is computed once.
    """
    cache_key = (key[0], key[1], call.key) if key is not None else None
    if cache_key is not None and cache_key in _CACHE:
        _CACHE.move_to_end(cache_key)
        return _CACHE[cache_key]
    found = _run(function, call)
    if cache_key is not None:
        _CACHE[cache_key] = found
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return found


def _run(function: Callable[..., Any], call: Call) -> CallOutcome:
    args = call.fresh()
    state = torch.random.get_rng_state()
    caught: list[str] = []
    try:
        with warnings.catch_warnings(record=True) as recorded, torch.autograd.set_grad_enabled(True):
            warnings.simplefilter("always")
            returned = function(*args)
            for _ in range(call.times - 1):
                returned = function(*args)
        caught = [f"{w.category.__name__}: {w.message}"[:300] for w in recorded][:20]
    except Exception as exc:
        return CallOutcome(ok=False, error=StudentError(type(exc).__name__, str(exc)[:2000]))
    finally:
        torch.random.set_rng_state(state)
    try:
        count = [0]
        plain = protocol.decode(encode(returned), 0, count)
        after = tuple(_observed(observe(a), count) for a in args)
    except (protocol.ProtocolError, protocol.TooLarge) as exc:
        return CallOutcome(ok=False, too_large=str(exc))
    return CallOutcome(ok=True, returned=plain, after=after, warnings=tuple(caught))


def _observed(raw: Any, count: list[int]) -> Any:
    if raw is None:
        return None
    out: dict[str, Any] = {"value": protocol.decode(raw["value"], 0, count)}
    if "grad" in raw:
        out["grad"] = protocol.decode(raw["grad"], 0, count)
        out["is_leaf"] = raw["is_leaf"]
        out["requires_grad"] = raw["requires_grad"]
    if "grads" in raw:
        out["grads"] = {k: protocol.decode(v, 0, count) for k, v in raw["grads"].items()}
    return out
