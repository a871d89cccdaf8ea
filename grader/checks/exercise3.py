"""Exercise 3: from SSE to MSE (mse_loss, train_mse, mse_alpha, closed_form)."""
from __future__ import annotations

from typing import Any

import torch
from hypothesis import strategies as st

from grader.checks.cases import Data, TrainCase, call_code, datasets, lecture_case, lecture_data, tensor_arg, tensor_code, train_cases
from grader.diagnosis import compare, mutants
from grader.checks import Check, Context, Verdict, review, title
from grader.execution.session import CallOutcome
from grader.checks.common import judge_scalar, judge_tensor, showing_value, training_checks, value_checks
from grader.checks.exercise2 import history_run
from grader.checks.training import TrainingSpec
from grader.reference import exercise3 as ref

FUNCTIONS = ["mse_loss", "train_mse", "mse_alpha", "closed_form"]


def _yhat(case: TrainCase) -> torch.Tensor:
    return case.data.X @ case.What(False)


def _alternatives(case: TrainCase) -> list[tuple[str, dict[str, Any], torch.Tensor]]:
    r = case.data.y - _yhat(case)
    found = [("sse", (r**2).sum()), ("sse/100", (r**2).sum() / 100), ("square-of-mean", r.mean() ** 2), ("mean", r.mean())]
    out = [("wrong-loss", mutants.wrong_loss("mse", kind), v.reshape(1)) for kind, v in found]
    return out + [mutants.broadcast_alternative(case.data.y, _yhat(case), "mse")]


def _loss_args(case: TrainCase) -> list[Any]:
    return [tensor_arg(_yhat(case)), tensor_arg(case.data.y)]


def _mse_expected(case: TrainCase) -> float:
    return float(ref.mse_loss(_yhat(case), case.data.y))


def _closed_expected(data: Data) -> torch.Tensor:
    X, y = data.X.to(torch.float64), data.y.to(torch.float64)
    return ref.closed_form(X, y)


def judge_closed(data: Data, outcome: CallOutcome) -> Verdict:
    """An ill-conditioned X'X is compared as loosely as its condition number deserves."""
    X = data.X.to(torch.float64)
    condition = float(torch.linalg.cond(X.T @ X))
    eps = torch.finfo(data.X.dtype).eps
    rtol = max(compare.rtol_for(data.dtype), 100 * eps * condition)
    return judge_tensor("closed_form", outcome, _closed_expected(data), data.dtype, rtol=rtol)


def _mse_alpha_check() -> Check:
    cases = st.tuples(st.integers(1, 1000).map(lambda k: k / 100000), st.integers(1, 500))

    def judge(case: tuple[float, int], ctx: Context) -> Verdict:
        alpha, n = case
        outcome = ctx.call("mse_alpha", [alpha, n])
        alternatives = [
            ("wrong-learning-rate", {"name": "mse_alpha", "expected": alpha * n, "found": alpha / n}, torch.tensor([alpha / n])),
        ]
        return judge_scalar("mse_alpha", outcome, ref.mse_alpha(alpha, n), "float64", alternatives)

    def run(ctx: Context) -> Verdict:
        lecture = judge((0.001, 100), ctx)
        if not lecture.passed:
            from dataclasses import replace

            return replace(lecture, example=showing_value(call_code("mse_alpha", [("sse_alpha", "0.001"), ("n", "100")]) + "  # the lecture: 0.001 (SSE) -> 0.1 (MSE)", lecture))
        verdict = ctx.search(cases, lambda case: judge(case, ctx), lambda case: call_code("mse_alpha", [("sse_alpha", repr(case[0])), ("n", str(case[1]))]))
        if verdict.passed or verdict.example is None:
            return verdict
        from dataclasses import replace

        return replace(verdict, example=showing_value(verdict.example, verdict))

    return Check("mse_alpha", "mse_alpha", title("generated", "mse_alpha"), 1, run, attempt=lambda ctx: review.value_attempt("mse_alpha", ctx.call("mse_alpha", [0.001, 100])))


def checks() -> list[Check]:
    lecture = lecture_case("mse")
    spec = TrainingSpec("train_mse", "mse", "alpha", "histories", lambda case: history_run(ref.train_mse, case))
    found: list[Check] = []
    found += value_checks(
        "mse_loss",
        _loss_args(lecture),
        lambda outcome: judge_scalar("mse_loss", outcome, _mse_expected(lecture), "float32", _alternatives(lecture)),
        call_code("mse_loss", [("yhat", "X @ torch.tensor([[-5.0], [10.0]])"), ("y", "y")], lecture.data),
        train_cases("mse"),
        _loss_args,
        lambda case, outcome: judge_scalar("mse_loss", outcome, _mse_expected(case), case.data.dtype, _alternatives(case)),
        lambda case: call_code("mse_loss", [("yhat", tensor_code(_yhat(case))), ("y", tensor_code(case.data.y))], case.data),
        (1, 1),
    )
    found += training_checks(spec, lecture, train_cases("mse"), (2, 2))
    found.append(_mse_alpha_check())
    data = lecture_data()
    found += value_checks(
        "closed_form",
        [tensor_arg(data.X), tensor_arg(data.y)],
        lambda outcome: judge_closed(data, outcome),
        call_code("closed_form", [("X", "X"), ("y", "y")], data),
        datasets(),
        lambda d: [tensor_arg(d.X), tensor_arg(d.y)],
        judge_closed,
        lambda d: call_code("closed_form", [("X", tensor_code(d.X)), ("y", tensor_code(d.y))], d),
        (1, 1),
    )
    return found
