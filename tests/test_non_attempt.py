"""No credit for a non-attempt (README, "Grading rules"), on every exercise.

A function that returns None, empty results, or results that never move, scores
0 on all of its checks, behaviour checks (in place, inputs unchanged, GPU,
structure) included.
"""
from pathlib import Path

import pytest

from grader.execution.grading import Options, grade
from grader.registry import EXERCISES
from grader.worker.sandbox.limits import Limits
from grader.intake.submission import locate

ROOT = Path(__file__).resolve().parent.parent
OPTIONS = Options(limits=Limits(timeout=30), max_examples=4)

SIGNATURES = {
    "exercise1": ["predict(X, What)", "sse_loss(yhat, y)", "gradient_step(X, y, What, alpha)"],
    "exercise2": ["train(X, y, What, alpha, epochs)"],
    "exercise3": ["mse_loss(yhat, y)", "train_mse(X, y, What, alpha, epochs)", "mse_alpha(sse_alpha, n)", "closed_form(X, y)"],
    "exercise4": ["make_net(What)", "train_net(X, y, net, lr, epochs)"],
    "exercise5": ["loss_surface(w0, w1, x, y)", "critical_alpha(X)", "classify_alpha(X, alpha)"],
}

CONSTANT = {
    "exercise1": {
        "predict": "return torch.zeros(X.shape[0], 1)",
        "sse_loss": "return torch.tensor(0.0)",
        "gradient_step": "return torch.tensor(0.0)",
    },
    "exercise2": {"train": "return [0.0] * epochs, [[-5.0, 10.0]] * (epochs + 1)"},
    "exercise3": {
        "mse_loss": "return torch.tensor(0.0)",
        "train_mse": "return [1.0] * epochs, [What.data.reshape(-1).tolist()] * (epochs + 1)",
        "closed_form": "return torch.zeros(2, 1)",
    },
    "exercise4": {"train_net": "return [1.0] * epochs"},
    "exercise5": {"loss_surface": "return torch.zeros(len(w0), len(w1))", "classify_alpha": "return 'divergent'"},
}


def _write(tmp_path: Path, exercise: str, bodies: dict[str, str]) -> Path:
    lines = ["import torch", ""]
    for signature in SIGNATURES[exercise]:
        name = signature.split("(")[0]
        lines += [f"def {signature}:", f"    {bodies.get(name, 'pass')}", ""]
    path = tmp_path / f"{exercise}.py"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@pytest.mark.parametrize("exercise", sorted(EXERCISES))
def test_stub_as_shipped_scores_zero(exercise: str) -> None:
    result = grade(locate(str(ROOT / "exercises" / f"{exercise}.py")), OPTIONS)
    assert result.score == 0, {c.name: c.diagnosis for c in result.checks if c.passed}


@pytest.mark.parametrize("exercise", sorted(EXERCISES))
def test_pass_bodies_score_zero(exercise: str, tmp_path: Path) -> None:
    result = grade(locate(str(_write(tmp_path, exercise, {}))), OPTIONS)
    assert result.score == 0, {c.name: c.diagnosis for c in result.checks if c.passed}
    assert "not-attempted" in result.diagnoses


@pytest.mark.parametrize("exercise", sorted(CONSTANT))
def test_constant_results_score_zero_for_that_function(exercise: str, tmp_path: Path) -> None:
    bodies = CONSTANT[exercise]
    result = grade(locate(str(_write(tmp_path, exercise, bodies))), OPTIONS)
    for check in result.checks:
        if check.name.split(".")[0] in bodies:
            assert not check.passed, f"{check.name} passed for a constant result"
    assert "not-attempted" in result.diagnoses


def test_none_message_names_the_return_statement(tmp_path: Path) -> None:
    from grader.messages import render
    from grader.report.common import check_diagnosis

    result = grade(locate(str(_write(tmp_path, "exercise2", {}))), OPTIONS)
    gated = [c for c in result.checks if c.diagnosis == "not-attempted"]
    assert gated
    text = check_diagnosis(gated[0], "en")
    assert text is not None and "return loss_history, What_history" in text.why


def test_never_moving_what_is_named(tmp_path: Path) -> None:
    body = "return [float(torch.sum((y - X @ What) ** 2))] * epochs, [What.data.reshape(-1).tolist()] * (epochs + 1)"
    result = grade(locate(str(_write(tmp_path, "exercise2", {"train": body}))), OPTIONS)
    assert result.score == 0
    from grader.report.common import check_diagnosis

    texts = [check_diagnosis(c, "en") for c in result.checks if c.diagnosis == "not-attempted"]
    # histories that never move are no attempt, whatever What does (a rebinding with right histories keeps its points)
    assert any(t is not None and "the same value everywhere" in t.why for t in texts)
