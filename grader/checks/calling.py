"""Calling a student function with a pack's :class:`~grader.pack.calls.Call`: through the check's context."""
from __future__ import annotations

from grader.checks import Context
from grader.execution.session import CallOutcome
from grader.pack import calls as calls_
from grader.pack.calls import Call


def run(ctx: Context, call: Call, *, shown: bool = False, trace: bool = False, device: bool = False) -> CallOutcome:
    """The student's outcome of ``call`` (``device``: on the device context); the arguments the
    function trains are watched (``Context.watch``)."""
    target = ctx.device if device and ctx.device is not None else ctx
    return target.call(call.function, calls_.worker_args(call), trace=trace, shown=shown, watch=ctx.watch.get(call.function, ()), times=call.times)
