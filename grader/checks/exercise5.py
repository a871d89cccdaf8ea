"""Exercise 5: choosing the learning rate (loss_surface, critical_alpha, classify_alpha)."""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Optional

import torch
from hypothesis import strategies as st

from grader.diagnosis import values
from grader.checks.cases import LECTURE_DIVERGENT_ALPHA, Data, call_code, datasets, lecture_case, lecture_data, tensor_arg, tensor_code
from grader.checks import PASS, Check, Context, Verdict, fail, outcome_problem, problem_verdict, review, source, title
from grader.checks.common import inputs_unchanged_check, judge_scalar, judge_tensor, value_checks
from grader.execution.session import CallOutcome
from grader.reference import exercise5 as ref

FUNCTIONS = ["loss_surface", "critical_alpha", "classify_alpha"]
CLASSES = ("monotone", "oscillating", "divergent")
LOOP_THRESHOLD = 30  # a loop over a 40 x 30 grid runs at least this many lines


def _grid(data: Data, w0: torch.Tensor, w1: torch.Tensor) -> list[Any]:
    return [tensor_arg(w0), tensor_arg(w1), tensor_arg(data.x), tensor_arg(data.y)]


def _surface(data: Data, w0: torch.Tensor, w1: torch.Tensor) -> torch.Tensor:
    return ref.loss_surface(w0.to(torch.float64), w1.to(torch.float64), data.x.to(torch.float64), data.y.to(torch.float64))


def judge_surface(data: Data, w0: torch.Tensor, w1: torch.Tensor, outcome: CallOutcome) -> Verdict:
    expected = _surface(data, w0, w1)
    transposed = [("wrong-shape", {"found": "transposed", "expected": "LOSS[i, j] for w0[i], w1[j]", "detail": "LOSS[i, j] must belong to w0[i] and w1[j]; yours is transposed.", "detail_ko": "LOSS[i, j]는 w0[i], w1[j]에 대한 값이어야 하는데 전치되어 있습니다."}, expected.T)] if expected.shape[0] == expected.shape[1] else []
    return judge_tensor("loss_surface", outcome, expected, data.dtype, transposed)


def _surface_code(data: Data, w0: torch.Tensor, w1: torch.Tensor) -> str:
    if data.lecture:
        return call_code("loss_surface", [("w0", "torch.arange(-6, 11, 0.5)"), ("w1", "torch.arange(-6, 11, 0.5)"), ("x", "X[:, [1]]"), ("y", "y")], data)
    return call_code("loss_surface", [("w0", tensor_code(w0)), ("w1", tensor_code(w1)), ("x", tensor_code(data.x)), ("y", tensor_code(data.y))], data)


_grids = st.tuples(
    datasets(),
    st.lists(st.integers(-60, 110).map(lambda k: k / 10), min_size=1, max_size=6),
    st.lists(st.integers(-60, 110).map(lambda k: k / 10), min_size=1, max_size=7),
).map(lambda t: (t[0], torch.tensor(t[1], dtype=t[0].X.dtype), torch.tensor(t[2], dtype=t[0].X.dtype)))


def _vectorized_check() -> Check:
    data = lecture_data()
    w0, w1 = torch.linspace(-6, 10, 40), torch.linspace(-6, 10, 30)

    def run(ctx: Context) -> Verdict:
        # The same call as loss_surface.inputs-unchanged: one traced call serves both.
        outcome = ctx.call("loss_surface", _grid(data, w0, w1), trace=True)
        problem = outcome_problem(outcome, "loss_surface")
        if problem is not None:
            return problem
        lines = outcome.lines
        if lines is not None and lines <= 0:
            # A call that ran the student's function ran at least its return line:
            # a count of zero means the tracer was turned off or replaced.
            return fail("tampering", detail={"key": "tampering.trace", "params": {"function": "loss_surface"}})
        # The source decides (a loop the student's process cannot hide); the
        # count, when the run gives one, can only add a loop the source hid.
        loops = source.python_loops(ctx.source, "loss_surface") if ctx.source else []
        if (lines is not None and lines >= LOOP_THRESHOLD) or loops:
            return fail("python-loop", lines=lines if lines is not None else "?", rows=len(w0), cols=len(w1))
        return PASS

    return Check("loss_surface.vectorized", "loss_surface", title("vectorized", "loss_surface"), 1, run)


def _lam(data: Data) -> float:
    return data.lam_max()


def judge_class(data: Data, alpha: float, outcome: CallOutcome) -> Verdict:
    problem = outcome_problem(outcome, "classify_alpha")
    if problem is not None:
        return problem
    found = outcome.returned
    if not isinstance(found, str) or found not in CLASSES:
        return problem_verdict(values.Problem("wrong-type", values.describe(found), 'one of "monotone", "oscillating", "divergent"', "type.none" if found is None else "type.other"), "classify_alpha")
    expected = ref.classify_alpha(data.X.to(torch.float64), alpha)
    if found == expected:
        return PASS
    lam = _lam(data)
    return fail("wrong-classification", alpha=alpha, expected=expected, found=found, lam=lam, factor=1 - 2 * alpha * lam)


_alpha_fractions = st.one_of(st.integers(5, 45), st.integers(55, 95), st.integers(105, 300)).map(lambda k: k / 100)
_class_cases = st.tuples(datasets(), _alpha_fractions).map(lambda t: (t[0], float(f"{t[1] / t[0].lam_max():.4g}")))


def checks() -> list[Check]:
    data = lecture_data()
    grid = torch.arange(-6, 11, 0.5)
    found: list[Check] = []
    found += value_checks(
        "loss_surface",
        _grid(data, grid, grid),
        lambda outcome: judge_surface(data, grid, grid, outcome),
        _surface_code(data, grid, grid),
        _grids,
        lambda t: _grid(*t),
        lambda t, outcome: judge_surface(t[0], t[1], t[2], outcome),
        lambda t: _surface_code(*t),
        (2, 1),
    )
    found.append(_vectorized_check())
    loop_data, loop_w0, loop_w1 = lecture_data(), torch.linspace(-6, 10, 40), torch.linspace(-6, 10, 30)
    found.append(
        inputs_unchanged_check(
            "loss_surface",
            lecture_case(),
            lambda case: _grid(loop_data, loop_w0, loop_w1),
            1,
            names=("w0", "w1", "x", "y"),
            sent=(loop_w0, loop_w1, loop_data.x, loop_data.y),
            trace=True,
        )
    )
    found += value_checks(
        "critical_alpha",
        [tensor_arg(data.X)],
        lambda outcome: judge_scalar("critical_alpha", outcome, 1 / _lam(data), "float32"),
        call_code("critical_alpha", [("X", "X")], data),
        datasets(),
        lambda d: [tensor_arg(d.X)],
        lambda d, outcome: judge_scalar("critical_alpha", outcome, 1 / _lam(d), d.dtype),
        lambda d: call_code("critical_alpha", [("X", tensor_code(d.X))], d),
        (1, 1),
    )

    def lecture_divergent(ctx: Context) -> Verdict:
        verdict = judge_class(data, LECTURE_DIVERGENT_ALPHA, ctx.call("classify_alpha", [tensor_arg(data.X), LECTURE_DIVERGENT_ALPHA]))
        return verdict if verdict.passed else replace(verdict, example=call_code("classify_alpha", [("X", "X"), ("alpha", "0.0083")], data))

    def generated(ctx: Context) -> Verdict:
        return ctx.search(
            _class_cases,
            lambda t: judge_class(t[0], t[1], ctx.call("classify_alpha", [tensor_arg(t[0].X), t[1]])),
            lambda t: call_code("classify_alpha", [("X", tensor_code(t[0].X)), ("alpha", repr(t[1]))], t[0]),
        )

    def classify_attempt(ctx: Context) -> Optional[Verdict]:
        outcome = ctx.call("classify_alpha", [tensor_arg(data.X), LECTURE_DIVERGENT_ALPHA])
        if not outcome.ok:
            return None
        empty = review.none_or_empty("classify_alpha", outcome.returned)
        if empty is not None:
            return empty
        # one rate of each class on the lecture's data: a single answer for all three is no classification
        lam = _lam(data)
        answers = {repr(ctx.call("classify_alpha", [tensor_arg(data.X), float(f"{f / lam:.4g}")]).returned) for f in (0.25, 0.75)}
        answers.add(repr(outcome.returned))
        if len(answers) == 1:
            return review.not_attempted("classify_alpha", "constant", found=repr(outcome.returned)[:40])
        return None

    found.append(Check("classify_alpha.lecture", "classify_alpha", title("lecture-divergent", "classify_alpha"), 2, lecture_divergent, attempt=classify_attempt))
    found.append(Check("classify_alpha.generated", "classify_alpha", title("generated", "classify_alpha"), 2, generated))
    return found
