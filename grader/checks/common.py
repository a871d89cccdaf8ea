"""Check builders shared by the exercises: lecture case, generated cases, behaviour."""
from __future__ import annotations

from typing import Any, Callable, Optional, Sequence

import torch
from hypothesis.strategies import SearchStrategy

from grader import compare, values
from grader.cases import TrainCase, train_args, train_call_code
from grader.checks import PASS, Check, Context, Verdict, fail, outcome_problem, problem_verdict, review, title
from grader.checks.training import TrainingSpec, divergent_cases, judge, judge_divergent
from grader.execution import CallOutcome
from grader.protocol import TensorValue
from grader.results import Message

Args = Callable[[TrainCase], list[Any]]


def training_checks(
    spec: TrainingSpec,
    lecture: TrainCase,
    generated: SearchStrategy[TrainCase],
    points: tuple[float, float],
    args: Args = train_args,
    code: Optional[Callable[[TrainCase], str]] = None,
) -> list[Check]:
    """The lecture-data check and the generated-data check of a training function."""
    code = code or (lambda case: train_call_code(spec.function, case, spec.lr_name))

    def on_lecture(ctx: Context) -> Verdict:
        verdict = judge(spec, lecture, ctx.call(spec.function, args(lecture)))
        return verdict if verdict.passed else _example(verdict, code(lecture))

    def on_generated(ctx: Context) -> Verdict:
        def judged(case: TrainCase, diagnose: bool = True) -> Verdict:
            return judge(spec, case, ctx.call(spec.function, args(case)), diagnose)

        verdict = ctx.search(generated, judged, code)
        if not verdict.passed:
            return verdict
        # The generated cases keep the learning rate stable; the lecture's
        # divergent rates are checked here too (histories full length, inf and nan included).
        for case in divergent_cases(spec, lecture):
            found = judge_divergent(spec, case, ctx.call(spec.function, args(case)))
            if not found.passed:
                return _example(found, code(case))
        return PASS

    def attempt(ctx: Context) -> Optional[Verdict]:
        return review.training_attempt(spec.function, spec.returns, lecture.What(False), spec.reference(lecture).weights[-1], ctx.call(spec.function, args(lecture)))

    return [
        Check(f"{spec.function}.lecture", spec.function, title("lecture", spec.function), points[0], on_lecture, attempt=attempt),
        Check(f"{spec.function}.generated", spec.function, title("generated", spec.function), points[1], on_generated),
    ]


def _example(verdict: Verdict, code: str) -> Verdict:
    from dataclasses import replace

    return replace(verdict, example=code)


def in_place_check(function: str, case: TrainCase, args: Args, points: float, argument: str = "What", code: Optional[Callable[[TrainCase], str]] = None) -> Check:
    """The caller's What (or net) holds the new weights after the call."""
    code = code or (lambda c: train_call_code(function, c))

    def run(ctx: Context) -> Verdict:
        outcome = ctx.call(function, args(case))
        problem = outcome_problem(outcome, function)
        if problem is not None:
            return problem
        observed = outcome.after[2] if len(outcome.after) > 2 else None
        if observed is None:
            return fail("parameter-rebound", function=function)
        value = observed["value"]
        numbers = values.numbers(value.params.get("weight")) if hasattr(value, "params") else values.numbers(value)
        start = case.What(False).reshape(-1).tolist()
        if numbers is None or len(numbers) != 2:
            return fail("parameter-rebound", function=function)
        if numbers == [float(v) for v in start] and case.epochs > 0 and _history_moves(outcome.returned):
            return _example(fail("parameter-rebound", function=function), code(case))
        if "is_leaf" in observed and not (observed["is_leaf"] and observed["requires_grad"]):
            return fail("parameter-rebound", function=function)
        return PASS

    return Check(f"{function}.in-place", function, title("in-place", function, argument=argument), points, run)


def _history_moves(returned: Any) -> bool:
    """Whether what the function returned shows training happening.

    A caller's What that never changed is a rebinding only if the student's own
    histories moved; when nothing moved at all (the gradient was thrown away
    before the update), the numeric checks say why, and this one has nothing to add.
    """
    found = values.numbers(returned)
    if found is None or len(found) < 2:
        return True
    finite = [v for v in found if v == v and abs(v) != float("inf")]
    return not finite or max(finite) - min(finite) > 1e-12 * max(1.0, max(abs(v) for v in finite))


def grad_cleared_check(function: str, case: TrainCase, args: Args, points: float, code: Callable[[TrainCase], str]) -> Check:
    def run(ctx: Context) -> Verdict:
        outcome = ctx.call(function, args(case))
        problem = outcome_problem(outcome, function)
        if problem is not None:
            return problem
        grad = outcome.after[2].get("grad") if len(outcome.after) > 2 and outcome.after[2] else None
        numbers = values.numbers(grad) if grad is not None else None
        if grad is None or (numbers is not None and all(v == 0 for v in numbers)):
            return PASS
        return _example(fail("grad-not-cleared", "diagnosis.grad-not-cleared.why-step", function=function), code(case))

    return Check(f"{function}.grad-cleared", function, title("grad-cleared", function), points, run)


def inputs_unchanged_check(
    function: str,
    case: TrainCase,
    args: Args,
    points: float,
    names: Sequence[str] = ("X", "y"),
    sent: Optional[Sequence[Optional[torch.Tensor]]] = None,
    trace: bool = False,
) -> Check:
    """The tensors the student was only meant to read are as they were (None: not checked)."""
    originals = list(sent) if sent is not None else [case.data.X, case.data.y]

    def run(ctx: Context) -> Verdict:
        outcome = ctx.call(function, args(case), trace=trace)
        problem = outcome_problem(outcome, function)
        if problem is not None:
            return problem
        changed = []
        for name, original, observed in zip(names, originals, outcome.after):
            if original is None:
                continue
            value = observed["value"] if observed else None
            if not isinstance(value, TensorValue) or value.shape != tuple(original.shape) or not torch.equal(values.as_tensor(value), original.to(torch.float64)):
                changed.append(name)
        if changed:
            return fail("input-mutated", names=", ".join(changed))
        return PASS

    return Check(f"{function}.inputs-unchanged", function, title("inputs-unchanged", function, names=", ".join(names)), points, run)


# --------------------------------------------------------------------------
# plain values: a tensor or a scalar compared with the reference


def judge_tensor(
    function: str,
    outcome: CallOutcome,
    expected: torch.Tensor,
    dtype: str,
    alternatives: Sequence[tuple[str, dict[str, Any], torch.Tensor]] = (),
    rtol: Optional[float] = None,
) -> Verdict:
    problem = outcome_problem(outcome, function)
    if problem is not None:
        return problem
    found = values.tensor_of_shape(outcome.returned, tuple(expected.shape))
    if isinstance(found, values.Problem):
        return problem_verdict(found, function)
    return _compare(function, found, expected.to(torch.float64), rtol or compare.rtol_for(dtype), alternatives)


def judge_scalar(function: str, outcome: CallOutcome, expected: float, dtype: str, alternatives: Sequence[tuple[str, dict[str, Any], torch.Tensor]] = ()) -> Verdict:
    problem = outcome_problem(outcome, function)
    if problem is not None:
        return problem
    found = values.scalar(outcome.returned)
    if isinstance(found, values.Problem):
        return problem_verdict(found, function)
    return _compare(function, torch.tensor([found], dtype=torch.float64), torch.tensor([expected], dtype=torch.float64), compare.rtol_for(dtype), alternatives)


def _compare(function: str, found: torch.Tensor, expected: torch.Tensor, rtol: float, alternatives: Sequence[tuple[str, dict[str, Any], torch.Tensor]]) -> Verdict:
    if compare.all_close(found, expected, rtol):
        return PASS
    for code, params, alternative in alternatives:
        if compare.all_close(found, alternative.to(torch.float64).reshape(found.shape), rtol * 20):
            return fail(code, function=function, **params)
    flat_found, flat_expected = found.reshape(-1), expected.reshape(-1)
    mask = compare.close_mask(flat_found, flat_expected, rtol)
    index = int((~mask).nonzero()[0][0]) if (~mask).any() else 0
    where = "" if found.numel() == 1 else f" [{_index(index, tuple(found.shape))}]"
    return Verdict(
        False,
        "wrong-value",
        Message(
            "diagnosis.wrong-value.why",
            {
                "function": function,
                "what": f"the returned value{where}",
                "what_ko": f"반환값{where}",
                "found": f"{float(flat_found[index]):.6g}",
                "expected": f"{float(flat_expected[index]):.6g}",
            },
        ),
    )


def _index(flat: int, shape: tuple[int, ...]) -> str:
    out = []
    for size in reversed(shape):
        out.append(flat % size)
        flat //= size
    return ", ".join(str(i) for i in reversed(out))


def value_checks(
    function: str,
    lecture_args: list[Any],
    lecture_judge: Callable[[CallOutcome], Verdict],
    lecture_code: str,
    strategy: SearchStrategy[Any],
    case_args: Callable[[Any], list[Any]],
    case_judge: Callable[[Any, CallOutcome], Verdict],
    case_code: Callable[[Any], str],
    points: tuple[float, float],
) -> list[Check]:
    """A lecture check and a generated check for a function with a plain return value."""

    def on_lecture(ctx: Context) -> Verdict:
        verdict = lecture_judge(ctx.call(function, lecture_args))
        return verdict if verdict.passed else _example(verdict, lecture_code)

    def on_generated(ctx: Context) -> Verdict:
        return ctx.search(strategy, lambda case: case_judge(case, ctx.call(function, case_args(case))), case_code)

    def attempt(ctx: Context) -> Optional[Verdict]:
        return review.value_attempt(function, ctx.call(function, lecture_args))

    return [
        Check(f"{function}.lecture", function, title("lecture", function), points[0], on_lecture, attempt=attempt),
        Check(f"{function}.generated", function, title("generated", function), points[1], on_generated),
    ]
