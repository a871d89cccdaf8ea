"""Check builders shared by the exercises: lecture case, generated cases, behaviour."""
from __future__ import annotations

from typing import Any, Callable, Optional, Sequence

import torch
from hypothesis.strategies import SearchStrategy

from grader.diagnosis import compare, values
from grader.checks.cases import TrainCase, train_args, train_call_code
from grader.checks import PASS, Check, Context, Verdict, fail, outcome_problem, problem_verdict, review, title
from grader.checks.training import TrainingSpec, divergent_cases, judge, judge_divergent
from grader.execution.session import CallOutcome
from grader.worker.protocol import TensorValue
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
        verdict = judge(spec, lecture, ctx.call(spec.function, args(lecture), shown=True))
        return verdict if verdict.passed else _example(verdict, showing_training(code(lecture), verdict, spec, lecture))

    def on_generated(ctx: Context) -> Verdict:
        def judged(case: TrainCase, diagnose: bool = True) -> Verdict:
            return judge(spec, case, ctx.call(spec.function, args(case)), diagnose)

        reported: list[TrainCase] = []

        def example(case: TrainCase) -> str:
            reported[:] = [case]
            return code(case)

        verdict = ctx.search(generated, judged, example)
        if not verdict.passed:
            if verdict.example is None or not reported:
                return verdict
            return _example(verdict, showing_training(verdict.example, verdict, spec, reported[0]))
        # The generated cases keep the learning rate stable; the lecture's
        # divergent rates are checked here too (histories full length, inf and nan included).
        for case in divergent_cases(spec, lecture):
            found = judge_divergent(spec, case, ctx.call(spec.function, args(case)))
            if not found.passed:
                return _example(found, showing_training(code(case), found, spec, case))
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


# --------------------------------------------------------------------------
# the minimal example ends by showing the failure: the student's value
# printed beside the expected one (a literal: the student has no reference)


def _number(value: Optional[float]) -> str:
    return 'float("nan")' if value is None else repr(float(f"{value:.6g}"))


def _pair(pair: Optional[tuple[Optional[float], Optional[float]]]) -> str:
    return "None" if pair is None else f"[{_number(pair[0])}, {_number(pair[1])}]"


def _split(code: str) -> tuple[list[str], str, str]:
    """The setup lines, the call (the last line), and a comment after it."""
    lines = code.rstrip("\n").split("\n")
    call, _, comment = lines[-1].partition("  # ")
    return lines[:-1], call, f"  # {comment}" if comment else ""


def showing_training(code: str, verdict: Verdict, spec: TrainingSpec, case: TrainCase) -> str:
    """``code`` (a call of a training function) ending with the comparison that shows ``verdict``.

    A raised error shows itself; a wrong value prints yours beside the
    expected one at the first divergent step; wrong lengths print both.
    """
    if verdict.error is not None:
        return code
    setup, call, comment = _split(code)
    if verdict.diagnosis in ("wrong-type", "wrong-shape", "result-too-large"):
        return _showing_kind(setup, call, comment, verdict)
    returned = {"histories": "loss_history, What_history", "losses": "loss_history", "loss": "loss"}[spec.returns]
    lines = setup + [f"{returned} = {call}{comment}"]
    d, trajectory = verdict.divergence, verdict.trajectory
    weights_of = "net.weight.data.reshape(-1).tolist()" if spec.optimizer else "What.data.reshape(-1).tolist()"
    if d is not None and d.series == "loss_history":
        if spec.returns == "loss":
            lines.append(f'print("the loss: yours", loss, "expected", {_number(d.reference)})')
        else:
            lines.append(f'print("loss_history[{d.step - 1}], the loss of epoch {d.step}: yours", loss_history[{d.step - 1}], "expected", {_number(d.reference)})')
    elif d is not None and d.series == "What_history":
        expected = _pair(trajectory.w_reference[d.step]) if trajectory is not None and d.step < len(trajectory.w_reference) else f"{d.label} = {_number(d.reference)}"
        where = "the initial What" if d.step == 0 else f"What after epoch {d.step}"
        lines.append(f'print("What_history[{d.step}], {where}: yours", What_history[{d.step}], "expected", {expected})')
    elif d is not None:
        lines.append(f'print("{d.label} after the call: yours", {weights_of}, "expected {d.label} =", {_number(d.reference)})')
    elif verdict.diagnosis in ("wrong-epochs", "history-misaligned") and spec.returns == "histories":
        lines.append(f'print("lengths: yours", len(loss_history), len(What_history), "expected", {case.epochs}, {case.epochs + 1})')
    elif verdict.diagnosis in ("wrong-epochs", "history-misaligned") and spec.returns == "losses":
        lines.append(f'print("length: yours", len(loss_history), "expected", {case.epochs})')
    elif verdict.diagnosis in ("parameter-rebound", "grad-not-cleared"):
        lines.append(f'print("after the call: {weights_of.split(".data")[0]}", {weights_of}, "grad", {weights_of.split(".data")[0]}.grad)')
    elif trajectory is not None and trajectory.loss_reference and spec.returns != "loss":
        first = ", ".join(_number(v) for v in trajectory.loss_reference[:3])
        lines.append(f'print("loss_history[:3]: yours", loss_history[:3], "expected", [{first}])')
    else:
        lines.append(f'print("yours:", {returned.split(",")[0]})')
    return "\n".join(lines)


def _showing_kind(setup: list[str], call: str, comment: str, verdict: Verdict) -> str:
    """A value of the wrong type or shape: what came back, beside what the contract asks for."""
    expected = verdict.message.params.get("expected") if verdict.message is not None else None
    return "\n".join(
        setup
        + [
            f"result = {call}{comment}",
            f'print("yours:", type(result).__name__, getattr(result, "shape", ""), "expected", {str(expected or "?")!r})',
        ]
    )


def showing_value(code: str, verdict: Verdict) -> str:
    """``code`` (a call returning a value) ending with the comparison that shows ``verdict``."""
    if verdict.error is not None:
        return code
    setup, call, comment = _split(code)
    if verdict.diagnosis in ("wrong-type", "wrong-shape", "result-too-large"):
        return _showing_kind(setup, call, comment, verdict)
    lines = setup + [f"result = {call}{comment}"]
    params = verdict.message.params if verdict.message is not None else {}
    expected = params.get("expected_value")
    index = params.get("index")
    if isinstance(expected, (int, float)):
        at = f"[{index}]" if index else ""
        lines.append(f'print("result{at}: yours", result{at}, "expected", {_number(float(expected))})')
    else:
        lines.append('print("yours:", result)')
    return "\n".join(lines)


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
            return _example(fail("parameter-rebound", function=function), _showing_unchanged(code(case), argument))
        if "is_leaf" in observed and not (observed["is_leaf"] and observed["requires_grad"]):
            return fail("parameter-rebound", function=function)
        return PASS

    return Check(f"{function}.in-place", function, title("in-place", function, argument=argument), points, run)


def _showing_unchanged(code: str, argument: str) -> str:
    """The in-place example: the caller's What (or net) printed after the call, beside where it started."""
    setup, call, comment = _split(code)
    weights = "net.weight.data.reshape(-1).tolist()" if argument == "net" else "What.data.reshape(-1).tolist()"
    return "\n".join(setup + [f"before = {weights}", f"{call}{comment}", f'print("{argument} after the call: yours", {weights}, "expected: moved away from", before)'])


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
        setup, call, comment = _split(code(case))
        shown = "\n".join(setup + [f"{call}{comment}", 'print("What.grad after the call:", What.grad, "(expected None or zeros)")'])
        return _example(fail("grad-not-cleared", "diagnosis.grad-not-cleared.why-step", function=function), shown)

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
    flat_found, flat_expected = found.reshape(-1), expected.reshape(-1)
    mask = compare.close_mask(flat_found, flat_expected, rtol)
    index = int((~mask).nonzero()[0][0]) if (~mask).any() else 0
    # For the minimal example: the first differing entry and its expected value.
    shown: dict[str, Any] = {"index": "" if found.numel() == 1 else _index(index, tuple(found.shape)), "expected_value": float(flat_expected[index])}
    for code, params, alternative in alternatives:
        if compare.all_close(found, alternative.to(torch.float64).reshape(found.shape), rtol * 20):
            return fail(code, function=function, **params, **shown)
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
                **shown,
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
        verdict = lecture_judge(ctx.call(function, lecture_args, shown=True))
        return verdict if verdict.passed else _example(verdict, showing_value(lecture_code, verdict))

    def on_generated(ctx: Context) -> Verdict:
        verdict = ctx.search(strategy, lambda case: case_judge(case, ctx.call(function, case_args(case))), case_code)
        return verdict if verdict.passed or verdict.example is None else _example(verdict, showing_value(verdict.example, verdict))

    def attempt(ctx: Context) -> Optional[Verdict]:
        return review.value_attempt(function, ctx.call(function, lecture_args))

    return [
        Check(f"{function}.lecture", function, title("lecture", function), points[0], on_lecture, attempt=attempt),
        Check(f"{function}.generated", function, title("generated", function), points[1], on_generated),
    ]
