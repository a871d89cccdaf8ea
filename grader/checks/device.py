"""Device checks: the same calls on a GPU (real, or the emulated one of grader.worker.virtual_cuda).

Each function that takes tensors is called twice with the lecture's data in
float64: in the ordinary worker (CPU) and in a worker that runs the whole
submission on a cuda device.  On the device, every tensor that comes back
must still be on it, still float64, and agree with the CPU run.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterator

import torch

from grader.diagnosis import values
from grader.checks.cases import TrainCase, lecture_case, tensor_arg, with_dtype
from grader.checks import PASS, Check, Context, Verdict, fail, outcome_problem, title
from grader.diagnosis.errors import device_error
from grader.execution.session import CallOutcome
from grader.worker.protocol import ModuleValue, TensorValue, linear_spec
from grader.results import Message

EPOCHS = 5


@dataclass(frozen=True)
class Probe:
    function: str
    args: Callable[[TrainCase], list[Any]]


def _lecture64(loss: str = "sse") -> TrainCase:
    case = with_dtype(lecture_case(loss), "float64")
    return TrainCase(case.data, case.what0, case.alpha, EPOCHS)


def _what(case: TrainCase) -> dict[str, Any]:
    return tensor_arg(case.What(False), True)


def _X(case: TrainCase) -> dict[str, Any]:
    return tensor_arg(case.data.X)


def _y(case: TrainCase) -> dict[str, Any]:
    return tensor_arg(case.data.y)


def _yhat(case: TrainCase) -> dict[str, Any]:
    return tensor_arg(case.data.X @ case.What(False))


def _train(case: TrainCase) -> list[Any]:
    return [_X(case), _y(case), _what(case), case.alpha, case.epochs]


PROBES: dict[str, list[Probe]] = {
    "exercise1": [
        Probe("predict", lambda c: [_X(c), _what(c)]),
        Probe("sse_loss", lambda c: [_yhat(c), _y(c)]),
        Probe("gradient_step", lambda c: [_X(c), _y(c), _what(c), c.alpha]),
    ],
    "exercise2": [Probe("train", _train)],
    "exercise3": [
        Probe("mse_loss", lambda c: [_yhat(c), _y(c)]),
        Probe("train_mse", _train),
        Probe("closed_form", lambda c: [_X(c), _y(c)]),
    ],
    "exercise4": [
        Probe("make_net", lambda c: [_what(c)]),
        Probe("train_net", lambda c: [_X(c), _y(c), linear_spec(c.What(False).T.tolist(), "float64"), c.alpha, c.epochs]),
    ],
    "exercise5": [
        Probe("loss_surface", lambda c: [tensor_arg(torch.linspace(-6, 10, 9, dtype=torch.float64)), tensor_arg(torch.linspace(-6, 10, 7, dtype=torch.float64)), tensor_arg(c.data.x), _y(c)]),
        Probe("critical_alpha", lambda c: [_X(c)]),
        Probe("classify_alpha", lambda c: [_X(c), 0.0083]),
    ],
}
LOSS = {"exercise3": "mse", "exercise4": "mse"}


def checks(exercise: str) -> list[Check]:
    case = _lecture64(LOSS.get(exercise, "sse"))
    return [_check(probe, case) for probe in PROBES.get(exercise, [])]


def _check(probe: Probe, case: TrainCase) -> Check:
    def run(ctx: Context) -> Verdict:
        args = probe.args(case)
        on_cpu = ctx.call(probe.function, args)
        assert ctx.device is not None, "device checks run only with a device context (grader.execution.grading)"
        on_device = ctx.device.call(probe.function, args)
        return judge(probe.function, on_cpu, on_device)

    return Check(f"{probe.function}.device", probe.function, title("device", probe.function), 1, run)


def judge(function: str, on_cpu: CallOutcome, on_device: CallOutcome) -> Verdict:
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
    for where, tensor in _tensors(on_device):
        if not tensor.device.startswith("cuda"):
            return fail("device-mismatch", function=function, where=f"{where} is on {tensor.device}, the inputs on {device}.", found=tensor.device, expected=device, message="")
    for where, tensor in _tensors(on_device):
        if tensor.dtype.startswith("float") and tensor.dtype != "float64":
            return fail("dtype-changed", function=function, where=where, found=tensor.dtype)
    found, expected = values.numbers(_plain(on_device.returned)), values.numbers(_plain(on_cpu.returned))
    if found is not None and expected is not None and len(found) == len(expected):
        a, b = torch.tensor(found, dtype=torch.float64), torch.tensor(expected, dtype=torch.float64)
        close = torch.isclose(a, b, rtol=1e-6, atol=1e-9, equal_nan=True)
        if not bool(close.all()):
            return fail("device-mismatch", function=function, where="On the GPU the returned value differs from the CPU run's.", found="a different value", expected="the CPU run's value", message="")
    return PASS


def _line(outcome: CallOutcome) -> str:
    if outcome.error is not None and outcome.error.frames:
        frame = outcome.error.frames[-1]
        return f"line {frame.lineno}: {frame.line.strip()}"
    return ""


def _plain(value: Any) -> Any:
    if isinstance(value, ModuleValue):
        return [list(p.data) for p in value.params.values()]
    if isinstance(value, str):
        return None
    return value


def _tensors(outcome: CallOutcome) -> Iterator[tuple[str, TensorValue]]:
    """Every tensor the call gave back or left behind, with where it was found."""
    yield from _walk(outcome.returned, "the returned value")
    names = ("X", "y", "What / net", "argument 4", "argument 5")
    for name, observed in zip(names, outcome.after):
        if observed:
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
