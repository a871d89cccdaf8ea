"""Judging a training loop: a student's trajectory against the reference, step by step.

Shared by ``gradient_step`` (one epoch), ``train``, ``train_mse`` and
``train_net``.  The order of questions is the order a teaching assistant would
ask them: did it run, did it return the right kind of thing, are the histories
the right length, and where does the path first leave the reference?  A wrong
path is matched against the catalogue of mistakes (``grader.diagnosis.mutants``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional, Union

import torch

from grader.diagnosis import compare, mutants, values
from grader.checks.cases import TrainCase
from grader.checks import PASS, Verdict, fail, outcome_problem, problem_verdict
from grader.execution.session import CallOutcome
from grader.worker.protocol import ModuleValue, TensorValue
from grader.results import Divergence, Message, Trajectory


@dataclass(frozen=True)
class TrainingSpec:
    """How one training function is called and what it returns."""

    function: str
    loss: str  # "sse" | "mse": the loss the exercise asks for
    lr_name: str  # "alpha" | "lr"
    returns: str  # "histories" | "losses" | "loss"
    reference: Callable[[TrainCase], mutants.Run]
    optimizer: bool = False


@dataclass(frozen=True)
class Student:
    """What the student's call produced, as tensors."""

    losses: Optional[torch.Tensor]
    weights: Optional[torch.Tensor]
    final: Optional[torch.Tensor]


def judge(spec: TrainingSpec, case: TrainCase, outcome: CallOutcome, diagnose: bool = True) -> Verdict:
    """The verdict on one call; with ``diagnose=False``, only whether it passed (cheap)."""
    problem = outcome_problem(outcome, spec.function)
    if problem is not None:
        return problem
    read = _read(spec, outcome)
    if isinstance(read, Verdict):
        return read
    reference = spec.reference(case)
    rtol = compare.rtol_for(case.data.dtype)
    if not diagnose:
        lengths_ok = read.losses is None or read.losses.shape[0] == case.epochs
        if read.weights is not None:
            lengths_ok = lengths_ok and read.weights.shape[0] == case.epochs + 1
        # Numbers decide; what the worker observed of the API never turns a right trajectory wrong.
        ok = lengths_ok and _matches(read, reference, rtol)
        return PASS if ok else Verdict(False)
    trajectory = _trajectory(spec, case, read, reference)

    misaligned = _lengths(spec, case, read, reference, rtol)
    if misaligned is not None:
        return _with(misaligned, trajectory)
    if _matches(read, reference, rtol):
        return PASS
    aliased = _aliased(read, reference, rtol)
    if aliased is not None:
        return _with(aliased, trajectory)
    if spec.optimizer and _step_before_backward(outcome.events):
        # The run's own account, believed only because the numbers are wrong too.
        return _with(fail("step-before-backward"), trajectory)
    if spec.returns == "histories" and read.losses is not None and read.weights is not None:
        extended = mutants.simulate(case, mutants.Loop(loss=spec.loss), case.epochs + 1)
        if compare.all_close(read.weights, reference.weights, rtol) and compare.all_close(read.losses, extended.losses[1:], rtol):
            return _with(_misaligned("misaligned.loss-after-update", {}), trajectory)
    if spec.returns == "loss" and read.final is not None and case.epochs == 1:
        start = case.What(False).reshape(-1).to(torch.float64)
        if torch.equal(read.final, start) and not torch.equal(reference.weights[-1], start):
            if read.losses is not None and compare.all_close(read.losses, reference.losses, rtol):
                return _with(fail("parameter-rebound", function=spec.function), trajectory)
    divergence = _divergence(read, reference, rtol)
    match = _mistake(spec, case, read, rtol)
    if match is not None:
        params = dict(match.params)
        params.setdefault("epoch", divergence.step if divergence else 1)
        params.setdefault("function", spec.function)
        return Verdict(False, match.code, Message(f"diagnosis.{match.code}.why", params), divergence, trajectory=trajectory, candidates=match.candidates)
    if any(BROADCAST_WARNING in w for w in outcome.warnings):
        # No mutant matched, but PyTorch itself said the shapes differ.
        hint = mutants.BROADCAST_HINTS["optimizer" if spec.optimizer else spec.loss]
        return Verdict(False, "broadcast-shape", Message("diagnosis.broadcast-shape.why", {"n": case.data.n, "hint_code": hint, "function": spec.function}), divergence, trajectory=trajectory)
    return Verdict(False, "wrong-value", _wrong_value(spec, divergence), divergence, trajectory=trajectory)


BROADCAST_WARNING = "that is different to the input size"


# --------------------------------------------------------------------------
# divergent learning rates

# Past this magnitude a value counts as diverged (float32 overflows at 3.4e38):
# near the overflow, a correct solution written another way may reach inf an
# epoch earlier or later than the reference, so a band of BAND around it agrees.
DIVERGED = 1e30
BAND = 1e3
# (SSE alpha, epochs) on the lecture's data: 0.0085 oscillates outward, 0.01
# overflows to inf and nan after about 117 epochs.  MSE and SGD use n times these.
DIVERGENT = ((0.0085, 30), (0.01, 150))


def divergent_cases(spec: TrainingSpec, lecture: TrainCase) -> list[TrainCase]:
    """The lecture's data with learning rates past the critical one (training loops only)."""
    from dataclasses import replace

    if spec.returns == "loss":
        return []
    scale = lecture.data.n if spec.loss == "mse" else 1
    return [replace(lecture, alpha=float(f"{alpha * scale:.6g}"), epochs=epochs) for alpha, epochs in DIVERGENT]


def _diverged(t: torch.Tensor, threshold: float) -> torch.Tensor:
    return ~torch.isfinite(t) | (t.abs() > threshold)


def diverged_close(student: torch.Tensor, reference: torch.Tensor, rtol: float) -> bool:
    """Agreement of two runs that may overflow: close where both are finite, diverged together elsewhere."""
    if student.shape != reference.shape:
        return False
    ref_big = _diverged(reference, DIVERGED)
    ref_large = _diverged(reference, DIVERGED / BAND)
    stu_big = _diverged(student, DIVERGED)
    stu_large = _diverged(student, DIVERGED / BAND)
    # Wherever the reference is still of normal size the student must be close to it:
    # a huge constant must not pass for a divergence the reference has not reached.
    normal = ~ref_large
    finite_ref = torch.where(ref_large, torch.zeros_like(reference), reference)
    scale_ref = finite_ref.abs().max() if finite_ref.numel() else torch.tensor(1.0)
    atol = rtol * float(scale_ref)
    near = (student - reference).abs() <= atol + rtol * reference.abs()
    ok = torch.where(normal, near, torch.ones_like(near))
    ok = ok & ~(ref_big & ~stu_large) & ~(stu_big & ~ref_large)
    return bool(ok.all())


def judge_divergent(spec: TrainingSpec, case: TrainCase, outcome: CallOutcome) -> Verdict:
    """A run whose learning rate diverges: every epoch still recorded, values diverging as the reference's."""
    problem = outcome_problem(outcome, spec.function)
    if problem is not None:
        return problem
    read = _read(spec, outcome)
    if isinstance(read, Verdict):
        return read
    reference = spec.reference(case)
    rtol = compare.rtol_for(case.data.dtype)
    n_losses = read.losses.shape[0] if read.losses is not None else case.epochs
    n_weights = read.weights.shape[0] if read.weights is not None else None
    if n_losses < case.epochs and (n_weights is None or n_weights == n_losses + 1):
        # e.g. `if torch.isnan(loss): break`: the loop must still run every epoch.
        return fail("wrong-epochs", epochs=case.epochs, found=n_losses)
    ok = read.losses is None or diverged_close(read.losses, reference.losses, rtol)
    if read.weights is not None:
        ok = ok and diverged_close(read.weights, reference.weights, rtol)
    elif read.final is not None:
        ok = ok and diverged_close(read.final.reshape(1, -1), reference.weights[-1:], rtol)
    if ok:
        return PASS
    verdict = judge(spec, case, outcome)
    return verdict if not verdict.passed else Verdict(False, "wrong-value", _wrong_value(spec, _divergence(read, reference, rtol)), _divergence(read, reference, rtol))


# --------------------------------------------------------------------------


def _read(spec: TrainingSpec, outcome: CallOutcome) -> Union[Student, Verdict]:
    returned = outcome.returned
    losses = weights = None
    if spec.returns == "histories":
        if not isinstance(returned, (list, tuple)) or len(returned) != 2:
            return problem_verdict(
                values.Problem("wrong-type", values.describe(returned), "a tuple (loss_history, What_history)", "type.none" if returned is None else "type.other"),
                spec.function,
            )
        loss_hist = values.history(returned[0], 1)
        if isinstance(loss_hist, values.Problem):
            return problem_verdict(loss_hist, spec.function)
        w_hist = values.history(returned[1], 2)
        if isinstance(w_hist, values.Problem):
            return problem_verdict(w_hist, spec.function)
        losses, weights = loss_hist, w_hist
    elif spec.returns == "losses":
        loss_hist = values.history(returned, 1)
        if isinstance(loss_hist, values.Problem):
            return problem_verdict(loss_hist, spec.function)
        losses = loss_hist
    else:
        loss = values.scalar(returned)
        if isinstance(loss, values.Problem):
            return problem_verdict(loss, spec.function)
        losses = torch.tensor([[loss]], dtype=torch.float64)
    return Student(losses, weights, _final(outcome))


def _final(outcome: CallOutcome) -> Optional[torch.Tensor]:
    """The weights held by the caller's What (or net) after the call."""
    if len(outcome.after) < 3 or outcome.after[2] is None:
        return None
    value = outcome.after[2]["value"]
    if isinstance(value, TensorValue) and len(value.data) == 2:
        return torch.tensor(value.data, dtype=torch.float64)
    if isinstance(value, ModuleValue) and "weight" in value.params and len(value.params["weight"].data) == 2:
        return torch.tensor(value.params["weight"].data, dtype=torch.float64)
    return None


def _aliased(read: Student, reference: mutants.Run, rtol: float) -> Optional[Verdict]:
    """history-aliased: every What_history entry equals the last one (and the caller's final What)."""
    weights = read.weights
    if weights is None or weights.shape[0] < 2 or weights.shape != reference.weights.shape:
        return None
    if not bool(torch.isfinite(weights).all()) or not bool((weights == weights[-1]).all()):
        return None
    if bool((reference.weights == reference.weights[0]).all()) or torch.equal(weights[-1], reference.weights[0]):
        return None  # nothing moved: not an alias of a trained What
    if read.final is not None and not compare.all_close(read.final.reshape(1, -1), weights[-1:], rtol):
        return None
    return fail("history-aliased", count=int(weights.shape[0]))


def _step_before_backward(events: tuple[Any, ...]) -> bool:
    names = [e if isinstance(e, str) else e[0] for e in events]
    if "step" not in names or "backward" not in names:
        return False
    return names.index("step") < names.index("backward")


def _lengths(spec: TrainingSpec, case: TrainCase, read: Student, reference: mutants.Run, rtol: float) -> Optional[Verdict]:
    epochs = case.epochs
    n_losses = read.losses.shape[0] if read.losses is not None else None
    n_weights = read.weights.shape[0] if read.weights is not None else None
    if spec.returns == "loss":
        return None
    if n_losses == epochs and (n_weights is None or n_weights == epochs + 1):
        return None
    if read.weights is not None and n_losses == epochs and n_weights == epochs:
        if compare.all_close(read.weights, reference.weights[1:], rtol):
            return _misaligned("misaligned.missing-initial", {"found": n_weights, "expected": epochs + 1})
    ran = n_losses if n_losses is not None else 0
    if read.losses is not None and ran > 0 and (n_weights is None or n_weights == ran + 1) and ran != epochs:
        longer = mutants.simulate(case, mutants.Loop(loss=spec.loss), max(ran, epochs))
        agrees = compare.all_close(read.losses, longer.losses[:ran], rtol)
        if read.weights is not None:
            agrees = agrees and compare.all_close(read.weights, longer.weights[: ran + 1], rtol)
        if agrees:
            return fail("wrong-epochs", epochs=epochs, found=ran)
    return _misaligned("misaligned.lengths", {"losses": n_losses, "weights": n_weights, "epochs": epochs, "expected": epochs + 1})


def _misaligned(key: str, params: dict[str, Any]) -> Verdict:
    from grader.messages import render

    detail = Message(key, params)
    return fail("history-misaligned", detail=render(detail, "en"), detail_ko=render(detail, "ko"), **params)


def _matches(read: Student, reference: mutants.Run, rtol: float) -> bool:
    ok = True
    if read.losses is not None:
        ok = ok and compare.all_close(read.losses, reference.losses, rtol)
    if read.weights is not None:
        ok = ok and compare.all_close(read.weights, reference.weights, rtol)
    elif read.final is not None:
        ok = ok and compare.all_close(read.final.reshape(1, -1), reference.weights[-1:], rtol)
    return ok


def _divergence(read: Student, reference: mutants.Run, rtol: float) -> Optional[Divergence]:
    found = []
    if read.losses is not None:
        d = compare.first_divergence(read.losses, reference.losses, ["loss"], rtol, "loss_history", step_offset=1)
        if d:
            found.append(d)
    if read.weights is not None:
        d = compare.first_divergence(read.weights, reference.weights, ["w0", "w1"], rtol, "What_history")
        if d:
            found.append(d)
    elif read.final is not None:
        d = compare.first_divergence(read.final.reshape(1, -1), reference.weights[-1:], ["w0", "w1"], rtol, "What", step_offset=reference.weights.shape[0] - 1)
        if d:
            found.append(d)
    return min(found, key=lambda d: d.step) if found else None


def _mistake(spec: TrainingSpec, case: TrainCase, read: Student, rtol: float) -> Optional[mutants.Match]:
    catalogue = mutants.training_mutants(case, spec.loss, spec.lr_name, optimizer=spec.optimizer)
    fitted = mutants.fitted_learning_rate(case, read.weights, spec.loss) if read.weights is not None else None
    if fitted is not None and abs(fitted / case.alpha - 1) > 1e-3:
        catalogue.append(
            mutants.Mutant(
                "wrong-learning-rate",
                mutants.Loop(loss=spec.loss, lr=fitted),
                (("name", spec.lr_name), ("expected", case.alpha), ("found", fitted)),
            )
        )
    final = read.final if read.weights is None else None
    return mutants.nearest(case, catalogue, rtol, losses=read.losses, weights=read.weights, final=final, expected=mutants.Loop(loss=spec.loss))


def _wrong_value(spec: TrainingSpec, divergence: Optional[Divergence]) -> Message:
    from grader.messages import render

    if divergence is None:
        return Message("diagnosis.wrong-value.why", {"function": spec.function, "what": "?", "found": "?", "expected": "?"})
    what = (
        {"en": f"the loss at epoch {divergence.step}", "ko": f"{divergence.step}번째 에폭의 손실"}
        if divergence.label == "loss"
        else {"en": render("what.w-initial" if divergence.step == 0 else "what.w", "en", label=divergence.label, epoch=divergence.step), "ko": render("what.w-initial" if divergence.step == 0 else "what.w", "ko", label=divergence.label, epoch=divergence.step)}
    )
    return Message(
        "diagnosis.wrong-value.why",
        {
            "function": spec.function,
            "what": what["en"],
            "what_ko": what["ko"],
            "found": _fmt(divergence.student),
            "expected": _fmt(divergence.reference),
        },
    )


def _fmt(value: Optional[float]) -> str:
    return "nan/inf" if value is None else f"{value:.6g}"


def _with(verdict: Verdict, trajectory: Optional[Trajectory]) -> Verdict:
    from dataclasses import replace

    return replace(verdict, trajectory=trajectory)


def _trajectory(spec: TrainingSpec, case: TrainCase, read: Student, reference: mutants.Run) -> Optional[Trajectory]:
    if spec.returns == "loss":
        return None
    data = case.data
    weights = read.weights
    return Trajectory(
        x=tuple(float(v) for v in data.X[:, 1]),
        y=tuple(float(v) for v in data.y.reshape(-1)),
        loss_student=values.finite_or_none(read.losses.reshape(-1)) if read.losses is not None else (),
        loss_reference=values.finite_or_none(reference.losses.reshape(-1)),
        w_student=tuple((a, b) for a, b in zip(values.finite_or_none(weights[:, 0]), values.finite_or_none(weights[:, 1]))) if weights is not None else (),
        w_reference=tuple((a, b) for a, b in zip(values.finite_or_none(reference.weights[:, 0]), values.finite_or_none(reference.weights[:, 1]))),
        true_w=data.true_w,
        loss_kind=spec.loss,
    )
