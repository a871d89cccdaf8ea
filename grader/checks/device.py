"""Device checks: the same call on a GPU (real, or the emulated one of grader.worker.virtual_cuda).

Every function that takes a tensor or a module is called with the lecture's
data in the pack's device dtype (float64 by default), a few epochs long:
in the ordinary worker (CPU) and in a worker that runs the whole submission
on a cuda device.  On the device, every tensor that comes back must still
be on it, still in that dtype, and agree with the CPU run.
"""
from __future__ import annotations

from typing import Any, Iterator, Optional

import torch

from grader.checks import PASS, Context, Verdict, fail, outcome_problem
from grader.checks.calling import run as run_call
from grader.diagnosis import values
from grader.diagnosis.errors import device_error
from grader.execution.session import CallOutcome
from grader.pack import calls as calls_
from grader.pack.calls import Call
from grader.results import Message
from grader.vocabulary import Code, Role
from grader.worker.protocol import ModuleValue, TensorValue

EPOCHS = 5


def takes_tensors(call: Call) -> bool:
    return any(isinstance(a, (torch.Tensor, torch.nn.Module)) for a in call.args)


def probe(judge: Any) -> Call:
    """The lecture's call in the device dtype, ``EPOCHS`` long at most."""
    call = calls_.with_dtype(judge.lecture, judge.pack.spec.exercise.device_dtype)
    at = judge.positions(Role.EPOCHS)
    if at:
        args = list(call.args)
        args[at[0]] = min(int(args[at[0]]), EPOCHS)
        call = call.with_args(args)
    return call


def run(ctx: Context, judge: Any) -> Verdict:
    call = probe(judge)
    if not takes_tensors(call):
        return _dtypes(judge, run_call(ctx, judge.lecture))
    on_cpu = run_call(ctx, call)
    assert ctx.device is not None, "device checks run only with a device context (grader.execution.grading)"
    on_device = run_call(ctx, call, device=True)
    names = tuple(a.name for a in judge.spec.args)
    verdict = judge_outcomes(judge.name, judge.pack.spec.exercise.device_dtype, on_cpu, on_device, names)
    if verdict.passed and judge.pack.spec.exercise.device_dtype == "float64":
        return _float64_in_fact(judge, judge.reference(call), on_cpu, names)
    return verdict


# Relative differences from the float64 reference that single precision leaves (float32's
# epsilon is 1.2e-7; a few epochs keep it under 1e-5) and float64 code, however it is written,
# does not (the lecture's updates keep float64 rounding near 1e-15).  Where any value is
# further off than the band, the values are wrong, which the value checks report.
SINGLE_PRECISION = (1e-8, 1e-5)


def _float64_in_fact(judge: Any, reference: CallOutcome, outcome: CallOutcome, names: tuple[str, ...]) -> Verdict:
    """The worker says what dtype each tensor has; the values say what precision computed them.

    Given float64 inputs, what the function returns (histories of Python
    numbers included) and leaves in its arguments must agree with the float64
    reference to float64's precision.  Agreement only to float32's means the
    work was done in float32, whatever dtype the tensors claim.
    """
    pairs = [("the returned value", values.numbers(_plain(outcome.returned)), values.numbers(_plain(reference.returned)))]
    for position, (mine, theirs) in enumerate(zip(outcome.after, reference.after)):
        name = f"`{names[position]}` after the call" if position < len(names) else f"argument {position + 1} after the call"
        pairs.append((name, _after_numbers(mine), _after_numbers(theirs)))
    low, high = SINGLE_PRECISION
    worst: Optional[tuple[float, str]] = None
    for where, found, expected in pairs:
        if found is None or expected is None or len(found) != len(expected) or not found:
            continue
        a, b = torch.tensor(found, dtype=torch.float64), torch.tensor(expected, dtype=torch.float64)
        finite = torch.isfinite(a) & torch.isfinite(b)
        if not bool(finite.any()):
            continue
        a, b = a[finite], b[finite]
        scale = float(b.abs().max())
        if scale == 0.0:
            continue
        error = float((a - b).abs().max()) / scale
        if worst is None or error > worst[0]:
            worst = (error, where)
    if worst is not None and low < worst[0] < high:
        error, where = worst
        return fail(Code.DTYPE_CHANGED, "diagnosis.dtype-changed.why-precision", function=judge.name, where=where, found="float32", expected="float64", error=f"{error:.1e}")
    return PASS


def _dtypes(judge: Any, outcome: CallOutcome) -> Verdict:
    """A function that takes no tensor (``make_net(w0, w1)``) has no device to follow:
    what it returns must have the dtypes the reference's has."""
    problem = outcome_problem(outcome, judge.name)
    if problem is not None:
        return problem
    expected = dict(_tensors(judge.reference(judge.lecture)))
    for where, tensor in _tensors(outcome):
        wanted = expected.get(where)
        if wanted is not None and tensor.dtype != wanted.dtype:
            return fail(Code.DTYPE_CHANGED, function=judge.name, where=where, found=tensor.dtype, expected=wanted.dtype)
    return PASS


def judge_outcomes(function: str, dtype: str, on_cpu: CallOutcome, on_device: CallOutcome, names: tuple[str, ...] = ()) -> Verdict:
    for outcome in (on_cpu, on_device):
        if outcome.error is not None:
            code = device_error(outcome.error.message)
            if code is not None:
                return Verdict(
                    False,
                    code,
                    Message(f"diagnosis.{code}.why", {"function": function, "message": f"{outcome.error.type}: {outcome.error.message}", "where": _line(outcome), "detail": "", "detail_ko": ""}),
                    error=outcome.error,
                )
    problem = outcome_problem(on_cpu, function) or outcome_problem(on_device, function)
    if problem is not None:
        return problem
    device = "cuda:0"
    for where, tensor in _tensors(on_device, names):
        if not tensor.device.startswith("cuda"):
            return fail(Code.DEVICE_MISMATCH, function=function, where=f"{where} is on {tensor.device}, the inputs on {device}.", found=tensor.device, expected=device, message="")
    for where, tensor in _tensors(on_device, names):
        if tensor.dtype.startswith("float") and tensor.dtype != dtype:
            return fail(Code.DTYPE_CHANGED, function=function, where=where, found=tensor.dtype, expected=dtype)
    found, expected = values.numbers(_plain(on_device.returned)), values.numbers(_plain(on_cpu.returned))
    if found is not None and expected is not None and len(found) == len(expected):
        a, b = torch.tensor(found, dtype=torch.float64), torch.tensor(expected, dtype=torch.float64)
        close = torch.isclose(a, b, rtol=1e-6, atol=1e-9, equal_nan=True)
        if not bool(close.all()):
            return fail(Code.DEVICE_MISMATCH, function=function, where="On the GPU the returned value differs from the CPU run's.", found="a different value", expected="the CPU run's value", message="")
    # What the arguments hold after the GPU run (read by the grader, not reported) must be what the CPU run left.
    for position, (mine, theirs) in enumerate(zip(on_device.after, on_cpu.after)):
        a_values, b_values = _after_numbers(mine), _after_numbers(theirs)
        if a_values is None or b_values is None or len(a_values) != len(b_values) or not a_values:
            continue
        a, b = torch.tensor(a_values, dtype=torch.float64), torch.tensor(b_values, dtype=torch.float64)
        if not bool(torch.isclose(a, b, rtol=1e-6, atol=1e-9, equal_nan=True).all()):
            name = f"`{names[position]}`" if position < len(names) else f"argument {position + 1}"
            return fail(Code.DEVICE_MISMATCH, function=function, where=f"On the GPU {name} ends with other values than in the CPU run.", found="other values", expected="the CPU run's values", message="")
    return PASS


def _after_numbers(observed: Any) -> Any:
    value = observed.get("value") if isinstance(observed, dict) else None
    return values.numbers(_plain(value)) if value is not None else None


def _line(outcome: CallOutcome) -> str:
    if outcome.error is not None and outcome.error.frames:
        frame = outcome.error.frames[-1]
        return f"line {frame.lineno}: {frame.line.strip()}"
    return ""


def _plain(value: Any) -> Any:
    if isinstance(value, ModuleValue):
        return [list(p.data) for _, p in sorted(value.params.items())]
    if isinstance(value, str):
        return None
    return value


def _tensors(outcome: CallOutcome, names: tuple[str, ...] = ()) -> Iterator[tuple[str, TensorValue]]:
    """Every tensor the call gave back or left behind, with where it was found."""
    yield from _walk(outcome.returned, "the returned value")
    for position, observed in enumerate(outcome.after):
        if observed:
            name = f"`{names[position]}`" if position < len(names) else f"argument {position + 1}"
            yield from _walk(observed.get("value"), f"{name} after the call")


def _walk(value: Any, where: str) -> Iterator[tuple[str, TensorValue]]:
    if isinstance(value, TensorValue) and value.kind == "tensor":
        yield where, value
    elif isinstance(value, ModuleValue):
        for name, param in value.params.items():
            yield f"{where}: {name}", param
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _walk(item, where)
