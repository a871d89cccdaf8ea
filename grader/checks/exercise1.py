"""Exercise 1: one gradient step by hand (predict, sse_loss, gradient_step)."""
from __future__ import annotations

from dataclasses import replace
from typing import Any

import torch

from grader.diagnosis import mutants
from grader.checks.cases import TrainCase, call_code, lecture_case, tensor_arg, tensor_code, train_cases
from grader.checks import Check
from grader.checks.common import (
    grad_cleared_check,
    in_place_check,
    inputs_unchanged_check,
    judge_scalar,
    judge_tensor,
    training_checks,
    value_checks,
)
from grader.checks.training import TrainingSpec
from grader.reference import exercise1 as ref

FUNCTIONS = ["predict", "sse_loss", "gradient_step"]


def _what(case: TrainCase) -> torch.Tensor:
    return case.What(False)


def _predict_args(case: TrainCase) -> list[Any]:
    return [tensor_arg(case.data.X), tensor_arg(_what(case), True)]


def _predict_expected(case: TrainCase) -> torch.Tensor:
    return ref.predict(case.data.X, _what(case))


def _yhat(case: TrainCase) -> torch.Tensor:
    return case.data.X @ _what(case)


def _loss_args(case: TrainCase) -> list[Any]:
    return [tensor_arg(_yhat(case)), tensor_arg(case.data.y)]


def _loss_alternatives(case: TrainCase) -> list[tuple[str, dict[str, Any], torch.Tensor]]:
    r = case.data.y - _yhat(case)
    found = [("mse", (r**2).mean()), ("square-of-sum", r.sum() ** 2), ("sum", r.sum())]
    out = [("wrong-loss", mutants.wrong_loss("sse", kind), value.reshape(1)) for kind, value in found]
    return out + [mutants.broadcast_alternative(case.data.y, _yhat(case), "sse")]


def _step_args(case: TrainCase) -> list[Any]:
    return [tensor_arg(case.data.X), tensor_arg(case.data.y), tensor_arg(_what(case), True), case.alpha]


def _step_reference(case: TrainCase) -> mutants.Run:
    What = case.What()
    loss = ref.gradient_step(case.data.X.clone(), case.data.y.clone(), What, case.alpha)
    weights = torch.stack([_what(case).reshape(-1), What.detach().reshape(-1)]).to(torch.float64)
    return mutants.Run(losses=torch.tensor([[float(loss.detach())]], dtype=torch.float64), weights=weights)


def _step_code(case: TrainCase) -> str:
    data = case.data
    return call_code(
        "gradient_step",
        [("X", tensor_code(data.X)), ("y", tensor_code(data.y)), ("What", tensor_code(_what(case), True)), ("alpha", repr(case.alpha))],
        data,
    )


def _one_epoch(case: TrainCase) -> TrainCase:
    return replace(case, epochs=1)


def checks() -> list[Check]:
    lecture = _one_epoch(lecture_case("sse"))
    generated = train_cases("sse").map(_one_epoch)
    spec = TrainingSpec("gradient_step", "sse", "alpha", "loss", _step_reference)
    found: list[Check] = []
    found += value_checks(
        "predict",
        _predict_args(lecture),
        lambda outcome: judge_tensor("predict", outcome, _predict_expected(lecture), lecture.data.dtype),
        call_code("predict", [("X", "X"), ("What", tensor_code(_what(lecture), True))], lecture.data),
        generated,
        _predict_args,
        lambda case, outcome: judge_tensor("predict", outcome, _predict_expected(case), case.data.dtype),
        lambda case: call_code("predict", [("X", tensor_code(case.data.X)), ("What", tensor_code(_what(case), True))], case.data),
        (1, 1),
    )
    found += value_checks(
        "sse_loss",
        _loss_args(lecture),
        lambda outcome: judge_scalar("sse_loss", outcome, float(ref.sse_loss(_yhat(lecture), lecture.data.y)), lecture.data.dtype, _loss_alternatives(lecture)),
        call_code("sse_loss", [("yhat", "X @ torch.tensor([[-5.0], [10.0]])"), ("y", "y")], lecture.data),
        generated,
        _loss_args,
        lambda case, outcome: judge_scalar("sse_loss", outcome, float(ref.sse_loss(_yhat(case), case.data.y)), case.data.dtype, _loss_alternatives(case)),
        lambda case: call_code("sse_loss", [("yhat", tensor_code(_yhat(case))), ("y", tensor_code(case.data.y))], case.data),
        (1, 1),
    )
    found += training_checks(spec, lecture, generated, (2, 2), args=_step_args, code=_step_code)
    found.append(in_place_check("gradient_step", lecture, _step_args, 1, code=_step_code))
    found.append(grad_cleared_check("gradient_step", lecture, _step_args, 1, code=_step_code))
    found.append(inputs_unchanged_check("gradient_step", lecture, _step_args, 1))
    return found
