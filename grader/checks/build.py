"""The checks of an exercise, built from its pack: one mechanism for every exercise.

Each function listed in ``pack.toml`` gets the checks its ``points`` name:
its values on the lecture's call and on generated calls (with the lecture's
divergent rates), the parameter updated in place, the data left unchanged,
the gradient cleared, a run on a GPU, the optimizer and loss it must use,
no Python loop; then the pack's own (often hidden) checks.  What each
check asks comes from the argument roles and the reference, never from
the exercise's name.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable, Optional

import torch

from grader.checks import PASS, Check, Context, Verdict, device, fail, outcome_problem, review, structure
from grader.checks.calling import run
from grader.checks.examples import showing, showing_unchanged
from grader.checks.judge import Judge
from grader.diagnosis import compare, values
from grader.execution.session import CallOutcome
from grader.pack import calls as calls_
from grader.pack import spec as specs
from grader.pack.calls import Call
from grader.pack.load import Pack
from grader.results import Message
from grader.vocabulary import CheckKind, Code, Role
from grader.worker.protocol import ModuleValue, TensorValue

# Check names as gradebooks have always called them.
SUFFIX = {CheckKind.API: "torch-api", CheckKind.NO_LOOP: "vectorized"}


def checks(pack: Pack, device: bool = True) -> list[Check]:
    """Every check of the pack's exercise, in the order of ``pack.toml`` (device checks last)."""
    out: list[Check] = []
    device_checks: list[Check] = []
    for spec in pack.spec.function:
        judge = Judge(pack, spec, calls_.lecture(pack, spec.name))
        for check in function_checks(judge):
            (device_checks if check.name.endswith(".device") else out).append(check)
    for extra in pack.extra_checks:
        spec = pack.function(extra.function)
        out.append(extra_check(Judge(pack, spec, calls_.lecture(pack, spec.name)), extra))
    return out + (device_checks if device else [])


def title(kind: str, judge: Judge, **params: Any) -> Message:
    return Message(f"check.{kind}", {"function": judge.name, "exercise": judge.pack.name, **params})


def function_checks(judge: Judge) -> list[Check]:
    points = judge.spec.points
    name = judge.name
    found: list[Check] = []

    def add(kind: CheckKind, check_title: Message, run_check: Callable[[Context], Verdict], attempt: Any = None) -> None:
        if kind in points:
            found.append(Check(f"{name}.{SUFFIX.get(kind, kind.value)}", name, check_title, points[kind], run_check, attempt=attempt, kind=kind))

    searched = judge.spec.generated is not None and CheckKind.GENERATED not in points
    add(CheckKind.LECTURE, title("lecture", judge), lambda ctx: _on_lecture(ctx, judge, search=searched), attempt=lambda ctx: review.attempt(judge, run(ctx, judge.lecture), lambda call: run(ctx, call)))
    if judge.spec.generated is not None or judge.spec.divergent:
        add(CheckKind.GENERATED, title("generated", judge), lambda ctx: _on_generated(ctx, judge))
    parameter = judge.parameter
    if parameter is not None:
        argument = judge.spec.args[parameter].name
        add(CheckKind.IN_PLACE, title("in-place", judge, argument=argument), lambda ctx: _in_place(ctx, judge))
        add(CheckKind.GRAD_CLEARED, title("grad-cleared", judge, argument=argument), lambda ctx: _grad_cleared(ctx, judge))
    data = [judge.spec.args[i].name for i in judge.positions(Role.DATA)]
    add(CheckKind.INPUTS_UNCHANGED, title("inputs-unchanged", judge, names=", ".join(data)), lambda ctx: _inputs_unchanged(ctx, judge))
    requires = judge.spec.requires
    if requires.optimizer or requires.loss:
        add(CheckKind.API, title("torch-api", judge, uses=structure.uses_text(requires)), lambda ctx: structure.api(ctx, judge))
    if requires.no_loop is not None:
        add(CheckKind.NO_LOOP, title("vectorized", judge), lambda ctx: structure.no_loop(ctx, judge))
    # A function that takes no tensor has no device to follow: its check is about dtypes only.
    add(CheckKind.DEVICE, title("device" if device.takes_tensors(judge.lecture) else "dtype", judge), lambda ctx: device.run(ctx, judge))
    return found


# --------------------------------------------------------------------------
# values


def _on_lecture(ctx: Context, judge: Judge, search: bool = False) -> Verdict:
    call = judge.lecture
    verdict = judge.judge(call, run(ctx, call, shown=True), source=ctx.source)
    if not verdict.passed:
        return replace(verdict, example=showing(call, verdict, judge))
    if search and judge.spec.generated is not None:
        return _search(ctx, judge, judge.spec.generated)
    return verdict


def _on_generated(ctx: Context, judge: Judge) -> Verdict:
    if judge.spec.generated is not None:
        verdict = _search(ctx, judge, judge.spec.generated)
        if not verdict.passed:
            return verdict
    # The generated cases keep the learning rate stable; the lecture's divergent
    # rates are checked here too (histories full length, inf and nan included).
    for call in calls_.divergent(judge.pack, judge.name):
        found = judge.judge_divergent(call, run(ctx, call), source=ctx.source)
        if not found.passed:
            return replace(found, example=showing(call, found, judge))
    return PASS


def _search(ctx: Context, judge: Judge, helper: str) -> Verdict:
    strategy = calls_.strategy(judge.pack, judge.name, helper)

    def judged(call: Call, diagnose: bool = True) -> Verdict:
        return judge.judge(call, run(ctx, call), diagnose, source=ctx.source)

    reported: list[Call] = []

    def example(call: Call) -> str:
        reported[:] = [call]
        return call.code

    verdict = ctx.search(strategy, judged, example)
    if verdict.passed or not reported:
        return verdict
    return replace(verdict, example=showing(reported[0], verdict, judge))


def extra_check(judge: Judge, extra: specs.Extra) -> Check:
    """A pack's own check: the values on its own cases, under its own title."""

    def run_extra(ctx: Context) -> Verdict:
        for call in calls_.extra_calls(judge.pack, extra):
            verdict = judge.judge(call, run(ctx, call), source=ctx.source)
            if not verdict.passed:
                return replace(verdict, example=showing(call, verdict, judge))
        if extra.generated is not None:
            return _search(ctx, judge, extra.generated)
        return PASS

    message = Message(f"check.extra.{judge.pack.name}.{extra.name}", {"function": judge.name})
    from grader import messages

    messages.extend({message.key: (extra.title.en, extra.title.ko)})
    return Check(f"{judge.name}.{extra.name}", judge.name, message, extra.points, run_extra, hidden=extra.hidden, kind=CheckKind.EXTRA)


# --------------------------------------------------------------------------
# behaviour: in place, inputs unchanged, gradient cleared


def _in_place(ctx: Context, judge: Judge) -> Verdict:
    """The caller's parameter holds the values the reference's holds after the call."""
    call = judge.lecture
    outcome = run(ctx, call)
    problem = outcome_problem(outcome, judge.name)
    if problem is not None:
        return problem
    position = judge.parameter
    assert position is not None
    expected = judge.reference(call).after[position]
    observed = outcome.after[position] if position < len(outcome.after) else None
    argument = judge.spec.args[position].name
    if observed is None:
        return fail(Code.PARAMETER_REBOUND, function=judge.name, parameter=argument)
    before = _numbers(call.args[position])
    after, reference_after = _flat(observed.get("value")), _flat(expected.get("value") if expected else None)
    if after is None or reference_after is None or len(after) != len(reference_after):
        return fail(Code.PARAMETER_REBOUND, function=judge.name, parameter=argument)
    moved_reference = reference_after != before
    if moved_reference and after == before:
        verdict = fail(Code.PARAMETER_REBOUND, function=judge.name, parameter=argument)
        return replace(verdict, example=showing_unchanged(call, argument))
    if "is_leaf" in observed and not (observed["is_leaf"] and observed["requires_grad"]):
        return fail(Code.PARAMETER_REBOUND, function=judge.name, parameter=argument)
    if moved_reference and not _near(after, reference_after) and (_trained_elsewhere(judge, call, outcome) or _carried_nothing(ctx, judge, call, outcome)):
        # Moved, but not by the training: a copy was trained and the caller's parameter nudged.
        verdict = fail(Code.PARAMETER_REBOUND, function=judge.name, parameter=argument)
        return replace(verdict, example=showing_unchanged(call, argument))
    return PASS


def _trained_elsewhere(judge: Judge, call: Call, outcome: Any) -> bool:
    """Whether the function returns the reference's history over two or more epochs (so its
    training is right) while the caller's parameter ends elsewhere than the reference's.

    Where the history is wrong the value checks say so, and this check asks no more.
    """
    at = judge.positions(Role.EPOCHS)
    epochs = call.args[at[0]] if at else None
    if not isinstance(epochs, int) or epochs < 2:
        return False  # one update: what is returned says nothing of where the parameter went
    return _near(values.numbers(outcome.returned), values.numbers(judge.reference(call).returned))


def _carried_nothing(ctx: Context, judge: Judge, call: Call, outcome: Any) -> bool:
    """Whether a second call on the same parameter returns what the first returned, where the
    reference's second call (starting where its first ended) returns something else.

    A parameter trained in place starts the second call where the first
    ended, whatever the training's mistakes; one left (nearly) where it was
    starts it over.  The function is compared with itself, so a value mistake
    elsewhere costs nothing here.
    """
    twice = run(ctx, call.repeated(2))
    reference_once, reference_twice = judge.reference(call), judge.reference(call.repeated(2))
    if not (twice.ok and reference_once.ok and reference_twice.ok):
        return False
    if _near(values.numbers(reference_twice.returned), values.numbers(reference_once.returned)):
        return False  # the reference's own calls cannot tell
    return _near(values.numbers(twice.returned), values.numbers(outcome.returned))


def _near(a: Optional[list[float]], b: Optional[list[float]]) -> bool:
    """The same numbers up to float32 arithmetic over a run (non-finite ones equal as such)."""
    import math

    if a is None or b is None or len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if not (math.isfinite(x) and math.isfinite(y)):
            if not (x == y or (math.isnan(x) and math.isnan(y))):
                return False
        elif abs(x - y) > 1e-3 * max(1.0, abs(y)):
            return False
    return True


def _grad_cleared(ctx: Context, judge: Judge) -> Verdict:
    """The gradient is left cleared, as the stub asks, and what one call leaves behind does not
    change the next.

    Two observations: the gradient the worker reports after one call (a claim,
    so it can only take the point away), and a behaviour the grader reads
    itself from the arena: called twice in a row on the same parameter, the
    function ends where a second call on a fresh parameter, started where the
    first call ended, ends.  That compares the function with itself, so a
    value mistake elsewhere is not taken for a gradient left behind.
    """
    call = judge.lecture
    outcome = run(ctx, call)
    problem = outcome_problem(outcome, judge.name)
    if problem is not None:
        return problem
    position = judge.parameter
    assert position is not None
    argument = judge.spec.args[position].name
    observed = outcome.after[position] if position < len(outcome.after) else None
    if _grad_left(observed) or not _second_call_is_fresh(ctx, call, position, observed):
        from grader.checks.examples import showing_grad

        verdict = fail(Code.GRAD_NOT_CLEARED, "diagnosis.grad-not-cleared.why-step", function=judge.name, parameter=argument)
        return replace(verdict, example=showing_grad(call, argument))
    return PASS


def _grad_left(observed: Any) -> bool:
    grads: list[Any] = []
    if observed:
        if "grad" in observed:
            grads = [observed["grad"]]
        elif "grads" in observed:
            grads = list(observed["grads"].values())
    for grad in grads:
        numbers = values.numbers(grad) if grad is not None else None
        if grad is not None and not (numbers is not None and all(v == 0 for v in numbers)):
            return True
    return False


def _second_call_is_fresh(ctx: Context, call: Call, position: int, observed: Any) -> bool:
    """Whether two calls in a row end where one call on the first call's result ends."""
    original = call.args[position]
    first = _flat(observed.get("value")) if observed else None
    if not isinstance(original, torch.Tensor) or first is None or len(first) != original.numel():
        return True  # a net, or nothing to start from: the reported gradient decides
    restarted = torch.tensor(first, dtype=original.dtype).reshape(original.shape).requires_grad_(original.requires_grad)
    args = list(call.args)
    args[position] = restarted
    fresh = run(ctx, call.with_args(args))
    twice = run(ctx, call.repeated(2))
    if not (fresh.ok and twice.ok):
        return True  # an error the value checks report
    a = _flat(twice.after[position].get("value")) if position < len(twice.after) and twice.after[position] else None
    b = _flat(fresh.after[position].get("value")) if position < len(fresh.after) and fresh.after[position] else None
    if a is None or b is None or len(a) != len(b):
        return True
    return compare.all_close(torch.tensor(a, dtype=torch.float64), torch.tensor(b, dtype=torch.float64), 1e-6)


def _inputs_unchanged(ctx: Context, judge: Judge) -> Verdict:
    call = judge.lecture
    outcome = run(ctx, call)
    problem = outcome_problem(outcome, judge.name)
    if problem is not None:
        return problem
    changed = []
    for position in judge.positions(Role.DATA):
        original = call.args[position]
        observed = outcome.after[position] if position < len(outcome.after) else None
        value = observed.get("value") if observed else None
        if not _equal(value, original):
            changed.append(judge.spec.args[position].name)
    if changed:
        return fail(Code.INPUT_MUTATED, names=", ".join(changed), function=judge.name)
    return PASS


def _equal(value: Any, original: Any) -> bool:
    import torch

    if isinstance(original, torch.Tensor):
        if not isinstance(value, TensorValue) or value.shape != tuple(original.shape):
            return False
        return torch.equal(values.as_tensor(value), original.detach().to(torch.float64))
    return True


def _numbers(value: Any) -> Optional[list[float]]:
    import torch

    if isinstance(value, torch.Tensor):
        return [float(v) for v in value.detach().to(torch.float64).reshape(-1).tolist()]
    if isinstance(value, torch.nn.Module):
        return [float(v) for _, p in sorted(value.state_dict().items()) for v in p.detach().to(torch.float64).reshape(-1).tolist()]
    return None


def _flat(value: Any) -> Optional[list[float]]:
    if isinstance(value, TensorValue):
        return list(value.data)
    if isinstance(value, ModuleValue):
        return [v for _, p in sorted(value.params.items()) for v in p.data]
    return None
