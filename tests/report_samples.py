"""Hand-built GradeResults for the report tests, shaped like the pipeline's.

The trajectories are computed here, with numpy in float32 as torch would, on
data drawn like the lecture's (x sorted normal, y = 2.5 + 4x + 0.5·eps), so the
figures see the real shapes: convergence, the overshoot of accumulated
gradients, and an overflow to inf/NaN.  Golden tests over real submissions
will come with the pipeline.
"""
from __future__ import annotations

import math
from typing import Callable, Optional

import numpy as np

from grader.results import (
    CellError,
    CheckResult,
    Divergence,
    Frame,
    GradeResult,
    Message,
    Output,
    RunInfo,
    StepRow,
    StudentError,
    Trajectory,
)

TRUE_W = (2.5, 4.0)
START = (-5.0, 10.0)


def lecture_data(n: int = 100, seed: int = 43052) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = np.sort(rng.standard_normal(n)).astype(np.float32)
    eps = (rng.standard_normal(n) * 0.5).astype(np.float32)
    y = (TRUE_W[0] + TRUE_W[1] * x + eps).astype(np.float32)
    return x, y


def gradient_descent(
    x: np.ndarray,
    y: np.ndarray,
    alpha: float,
    epochs: int,
    kind: str = "sse",
    accumulate: bool = False,
) -> tuple[list[float], list[tuple[float, float]]]:
    """The lecture's loop; ``accumulate`` forgets ``What.grad = None``."""
    X = np.stack([np.ones_like(x), x], axis=1).astype(np.float32)
    Y = y.reshape(-1, 1).astype(np.float32)
    w = np.array([[START[0]], [START[1]]], dtype=np.float32)
    grad = np.zeros_like(w)
    losses: list[float] = []
    ws = [(float(w[0, 0]), float(w[1, 0]))]
    n = np.float32(len(x))
    with np.errstate(all="ignore"):
        for _ in range(epochs):
            r = X @ w - Y
            loss = np.sum(r * r, dtype=np.float32)
            g = (2 * X.T @ r).astype(np.float32)
            if kind == "mse":
                loss, g = loss / n, g / n
            grad = grad + g if accumulate else g
            w = (w - np.float32(alpha) * grad).astype(np.float32)
            losses.append(float(loss))
            ws.append((float(w[0, 0]), float(w[1, 0])))
    return losses, ws


def _none(v: float) -> Optional[float]:
    return v if math.isfinite(v) else None


def trajectory(
    student: tuple[list[float], list[tuple[float, float]]],
    reference: tuple[list[float], list[tuple[float, float]]],
    x: np.ndarray,
    y: np.ndarray,
    kind: str = "sse",
) -> Trajectory:
    return Trajectory(
        x=tuple(float(v) for v in x),
        y=tuple(float(v) for v in y),
        loss_student=tuple(_none(v) for v in student[0]),
        loss_reference=tuple(_none(v) for v in reference[0]),
        w_student=tuple((_none(a), _none(b)) for a, b in student[1]),
        w_reference=tuple((_none(a), _none(b)) for a, b in reference[1]),
        true_w=TRUE_W,
        loss_kind=kind,
    )


def divergence(student: list[float], reference: list[float], label: str = "loss", context: int = 2) -> Optional[Divergence]:
    """The first epoch (1-based) where the losses part, with rows around it."""
    for i, (s, r) in enumerate(zip(student, reference)):
        if not (math.isfinite(s) and abs(s - r) <= 1e-4 * max(1.0, abs(r))):
            break
    else:
        return None
    rows = []
    for j in range(max(0, i - context), min(len(student), len(reference), i + context + 1)):
        rows.append(StepRow(step=j + 1, label=label, student=_none(student[j]), reference=_none(reference[j]), divergent=j == i))
    return Divergence(series="loss_history", step=i + 1, label=label, student=_none(student[i]), reference=_none(reference[i]), rows=tuple(rows))


def _title(key: str, function: str = "train", argument: str = "What") -> Message:
    params = {"function": function}
    if key == "check.in-place":
        params["argument"] = argument
    return Message(key, params)


def _passed(name: str, key: str, points: float, function: str = "train", hidden: bool = False, traj: Optional[Trajectory] = None) -> CheckResult:
    return CheckResult(name=name, title=_title(key, function), passed=True, score=points, max_score=points, hidden=hidden, trajectory=traj)


EXAMPLE_TRAIN = """import torch
from exercise2 import train

X = torch.tensor([[1.0, -1.0], [1.0, 0.0], [1.0, 1.0]])
y = torch.tensor([[-1.5], [2.5], [6.5]])
What = torch.tensor([[-5.0], [10.0]], requires_grad=True)
loss_history, What_history = train(X, y, What, alpha=0.01, epochs=3)
print(loss_history)   # reference: [270.75, 197.5, 144.9]
"""


def full_marks() -> GradeResult:
    x, y = lecture_data()
    ref = gradient_descent(x, y, 0.001, 30)
    traj = trajectory(ref, ref, x, y)
    checks = (
        _passed("lecture", "check.lecture", 3, traj=traj),
        _passed("generated", "check.generated", 3),
        _passed("in-place", "check.in-place", 1),
        _passed("grad-cleared", "check.grad-cleared", 1),
        _passed("inputs-unchanged", "check.inputs-unchanged", 1),
        _passed("history-lengths", "check.history-lengths", 1, hidden=True),
    )
    return GradeResult(
        exercise="exercise2",
        submission="exercise2.py",
        score=10,
        max_score=10,
        checks=checks,
        run=RunInfo(stdout=Output("시작값 = tensor([-5., 10.])\n"), wall_time=1.84),
    )


def grad_not_cleared() -> GradeResult:
    """Forgot ``What.grad = None``: a failing trajectory check, a hidden failure."""
    x, y = lecture_data()
    ref = gradient_descent(x, y, 0.001, 30)
    bad = gradient_descent(x, y, 0.001, 30, accumulate=True)
    div = divergence(bad[0], ref[0])
    checks = (
        CheckResult(
            name="lecture",
            title=_title("check.lecture"),
            passed=False,
            score=0,
            max_score=3,
            diagnosis="grad-not-cleared",
            message=Message("diagnosis.grad-not-cleared.why", {"epoch": div.step if div else 2}),
            divergence=div,
            example=EXAMPLE_TRAIN,
            trajectory=trajectory(bad, ref, x, y),
        ),
        CheckResult(
            name="generated",
            title=_title("check.generated"),
            passed=False,
            score=0,
            max_score=3,
            diagnosis="grad-not-cleared",
            message=Message("diagnosis.grad-not-cleared.why", {"epoch": 2}),
            example="SECRET-HIDDEN-EXAMPLE",
            hidden=True,
        ),
        _passed("in-place", "check.in-place", 1),
        CheckResult(
            name="grad-cleared",
            title=_title("check.grad-cleared"),
            passed=False,
            score=0,
            max_score=1,
            diagnosis="grad-not-cleared",
            message=Message("diagnosis.grad-not-cleared.why", {"epoch": 2}),
            example=EXAMPLE_TRAIN,
        ),
        _passed("inputs-unchanged", "check.inputs-unchanged", 1),
        _passed("history-lengths", "check.history-lengths", 1),
    )
    stdout = "".join(f"loss = {v:.2f}\n" for v in bad[0][:10])
    return GradeResult(
        exercise="exercise2",
        submission="exercise2.py",
        score=3,
        max_score=10,
        checks=checks,
        run=RunInfo(stdout=Output(stdout + "\n…\n" + "loss = 1.0e+05\n", dropped=48213), wall_time=2.31),
    )


def non_finite() -> GradeResult:
    """The lecture's MSE learning rate 0.1 hard-coded in the SSE exercise: overflow to inf, then NaN."""
    x, y = lecture_data()
    ref = gradient_descent(x, y, 0.001, 30)
    bad = gradient_descent(x, y, 0.1, 30)
    div = divergence(bad[0], ref[0])
    # The rows around the first non-finite loss, as the table would show them.
    first_bad = next(i for i, v in enumerate(bad[0]) if not math.isfinite(v))
    rows = tuple(
        StepRow(step=j + 1, label="loss", student=_none(bad[0][j]), reference=ref[0][j], divergent=j == first_bad)
        for j in range(first_bad - 2, min(first_bad + 3, 30))
    )
    div2 = Divergence(series="loss_history", step=first_bad + 1, label="loss", student=None, reference=ref[0][first_bad], rows=rows)
    checks = (
        CheckResult(
            name="lecture",
            title=_title("check.lecture"),
            passed=False,
            score=0,
            max_score=3,
            diagnosis="wrong-learning-rate",
            message=Message("diagnosis.wrong-learning-rate.why", {"name": "alpha", "expected": 0.001, "found": 0.1}),
            divergence=div2,
            example=EXAMPLE_TRAIN,
            trajectory=trajectory(bad, ref, x, y),
        ),
        CheckResult(
            name="generated",
            title=_title("check.generated"),
            passed=False,
            score=0,
            max_score=3,
            diagnosis="wrong-learning-rate",
            message=Message("x", {"name": "alpha", "expected": 0.0005, "found": 0.1}),
            divergence=div,
            trajectory=Trajectory(
                x=(0.0, 1.0, float("nan")),
                y=(1.0, float("inf"), 2.0),
                loss_student=(None, None, None),
                loss_reference=(1.0, 0.5, 0.25),
                w_student=((None, None), (None, None)),
                w_reference=((0.0, 0.0), (0.5, 0.5), (0.75, 0.75)),
                true_w=None,
                loss_kind="mse",
            ),
        ),
        _passed("in-place", "check.in-place", 1),
        _passed("grad-cleared", "check.grad-cleared", 1),
        _passed("inputs-unchanged", "check.inputs-unchanged", 1),
        _passed("history-lengths", "check.history-lengths", 1),
    )
    return GradeResult(exercise="exercise2", submission="exercise2.py", score=4, max_score=10, checks=checks, run=RunInfo(wall_time=1.2))


RUNTIME_FRAMES = (
    Frame(filename="exercise1.py", lineno=38, function="gradient_step", line="    loss.backward()"),
    Frame(filename="exercise1.py", lineno=39, function="gradient_step", line="    What = What - alpha * What.grad"),
    Frame(filename="exercise1.py", lineno=40, function="gradient_step", line="    What.data = What.data - alpha * What.grad"),
)


def runtime_error() -> GradeResult:
    """``What`` rebound, so ``What.grad`` is None: a TypeError with the student's frames."""
    err = StudentError(
        type="TypeError",
        message="unsupported operand type(s) for *: 'float' and 'NoneType'",
        frames=RUNTIME_FRAMES[1:],
    )
    example = """import torch
from exercise1 import gradient_step

X = torch.tensor([[1.0, 0.0], [1.0, 1.0]])
y = torch.tensor([[1.0], [3.0]])
What = torch.tensor([[0.0], [0.0]], requires_grad=True)
gradient_step(X, y, What, alpha=0.1)
"""
    checks = (
        _passed("predict", "check.lecture", 2, function="predict"),
        _passed("sse", "check.lecture", 2, function="sse_loss"),
        CheckResult(
            name="gradient-step",
            title=_title("check.lecture", "gradient_step"),
            passed=False,
            score=0,
            max_score=3,
            diagnosis="runtime-error",
            message=Message("diagnosis.runtime-error.why", {"function": "gradient_step", "type": "TypeError", "message": f"TypeError: {err.message}", "explanation": "error.none-grad"}),
            example=example,
            error=err,
        ),
        CheckResult(
            name="in-place",
            title=_title("check.in-place", "gradient_step", argument="What"),
            passed=False,
            score=0,
            max_score=1,
            diagnosis="parameter-rebound",
            message=Message("diagnosis.parameter-rebound.why", {}),
            example=example,
        ),
    )
    return GradeResult(
        exercise="exercise1",
        submission="exercise1.py",
        score=4,
        max_score=8,
        checks=checks,
        run=RunInfo(stderr=Output("Traceback (most recent call last):\n  ...\nTypeError: unsupported operand\n"), wall_time=0.9),
    )


def timeout() -> GradeResult:
    """An endless loop: the whole submission is ungraded; sandbox protections missing."""
    detail = {"detail": "train(X, y, What, 0.001, 30) did not return within 10 s", "detail_ko": "train(X, y, What, 0.001, 30)이(가) 10초 안에 끝나지 않았습니다"}
    checks = tuple(
        CheckResult(name=name, title=_title(key), passed=False, score=0, max_score=pts, diagnosis="timeout", message=Message("diagnosis.timeout.why", detail))
        for name, key, pts in (("lecture", "check.lecture", 3), ("generated", "check.generated", 3), ("in-place", "check.in-place", 1))
    )
    return GradeResult(
        exercise="exercise2",
        submission="exercise2.py",
        score=0,
        max_score=7,
        checks=checks,
        diagnosis="timeout",
        message=Message("diagnosis.timeout.why", detail),
        run=RunInfo(
            stdout=Output("epoch 1\nepoch 2\n\n…\nepoch 9999998\nepoch 9999999\n", dropped=123456789),
            stderr=Output("<script>alert('x')</script> & \x1b[31mred\x1b[0m \x00"),
            start_method="spawn",
            protections_missing=("seccomp", "RLIMIT_NPROC"),
            wall_time=10.4,
        ),
    )


def syntax_error() -> GradeResult:
    """Nothing could run: no checks at all, only the submission's diagnosis."""
    err = StudentError(type="SyntaxError", message="expected ':'", frames=(Frame("exercise3.py", 12, "<module>", "    for epoc in range(epochs)"),))
    return GradeResult(
        exercise="exercise3",
        submission="exercise3.py",
        score=0,
        max_score=10,
        checks=(),
        diagnosis="syntax-error",
        message=Message("diagnosis.syntax-error.why", {"line": 12, "message": "expected ':'"}),
        error=err,
    )


def notebook() -> GradeResult:
    """A notebook with two failing cells; the graded functions still passed."""
    cells = (
        CellError(index=3, error=StudentError("NameError", "name 'X' is not defined", (Frame("<cell 3>", 2, "<module>", "yhat = X @ What"),)), count=3),
        CellError(index=7, error=StudentError("KeyboardInterrupt", ""), timed_out=True, count=7),
    )
    return GradeResult(
        exercise="exercise1",
        submission="exercise1.ipynb",
        score=7,
        max_score=7,
        checks=(_passed("predict", "check.lecture", 3, function="predict"), _passed("sse", "check.lecture", 4, function="sse_loss")),
        run=RunInfo(cells=cells, wall_time=3.0),
    )


def hostile() -> GradeResult:
    """Markup, control characters and commas where a careless renderer would break."""
    err = StudentError(
        type="ValueError",
        message="bad </pre><script>alert(1)</script> 100% sure, really: yes\r\nsecond line \x07 \udc80",
        frames=(Frame("dir,with:odd%name/exercise4.py", 7, "train_torch", "    raise ValueError('<b>')"),),
    )
    checks = (
        CheckResult(
            name="torch-api",
            title=Message("check.torch-api", {"function": "train_torch"}),
            passed=False,
            score=0,
            max_score=2,
            diagnosis="runtime-error",
            message=Message("x", {"function": "train_torch", "type": "ValueError", "message": err.message}),
            example="print('<img src=http://example.com/x.png>')\n``` fence",
            error=err,
        ),
        CheckResult(
            name="structure",
            title=Message("check.structure", {"function": "make_net"}),
            passed=False,
            score=0.5,
            max_score=2,
            diagnosis="no-such-diagnosis-yet",
            message=Message("diagnosis.wrong-value.why", {"what": "the loss at epoch 3", "what_ko": "3번째 에폭의 손실", "found": "1.5", "expected": "2.5"}),
        ),
    )
    return GradeResult(
        exercise="exercise4",
        submission="dir,with:odd%name/exercise4.py",
        score=0.5,
        max_score=4,
        checks=checks,
        run=RunInfo(stdout=Output("<b>not bold</b>\n"), wall_time=float("nan")),
    )


def scoped(make: Callable[[], GradeResult]) -> Callable[[], GradeResult]:
    """A sample as grading leaves it: each message learns its exercise and function
    (grader.execution.grading._scoped), so that a pack's wording applies."""
    import dataclasses

    def made() -> GradeResult:
        result = make()
        checks = []
        for check in result.checks:
            function = check.title.params.get("function", "train") if check.title else "train"
            if check.message is not None:
                params = {"function": function, **check.message.params, "exercise": result.exercise}
                check = dataclasses.replace(check, message=Message(check.message.key, params))
            checks.append(check)
        return dataclasses.replace(result, checks=tuple(checks))

    made.__name__ = make.__name__
    return made


ALL: dict[str, Callable[[], GradeResult]] = {
    name: scoped(make)
    for name, make in {
        "full_marks": full_marks,
        "grad_not_cleared": grad_not_cleared,
        "non_finite": non_finite,
        "runtime_error": runtime_error,
        "timeout": timeout,
        "syntax_error": syntax_error,
        "notebook": notebook,
        "hostile": hostile,
    }.items()
}
