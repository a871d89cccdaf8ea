"""The line a GitHub annotation points at when no traceback names one (grader.report.source_lines)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import TESTS
from grader.report import source_lines
from grader.report.github import workflow_commands

CORPUS = TESTS / "submissions"


def line_text(path: Path, line: int) -> str:
    return path.read_text(encoding="utf-8").splitlines()[line - 1].strip()


@pytest.mark.parametrize(
    "file, function, code, expected",
    [
        # the loss: where it is computed, followed into the function or object that computes it
        ("exercise1/sse_mean.py", "sse_loss", "wrong-loss", "return torch.mean((y - yhat) ** 2)"),
        ("exercise1/sse_mean.py", "gradient_step", "wrong-loss", "return torch.mean((y - yhat) ** 2)"),
        ("exercise2/mse_instead.py", "train", "wrong-loss", "loss_fn = lambda yhat, y: torch.mean((y - yhat) ** 2)"),
        ("exercise4/mseloss_sum.py", "train_net", "wrong-loss", "loss_fn = torch.nn.MSELoss(reduction='sum')"),
        # the update
        ("exercise2/gradient_ascent.py", "train", "gradient-ascent", "What.data += alpha * What.grad"),
        ("exercise2/grad_never_reset.py", "train", "grad-not-cleared", "What.data = What.data - alpha * What.grad"),
        ("exercise4/hardcoded_lr.py", "train_net", "wrong-learning-rate", "torch.optim.SGD("),
        # the loop
        ("exercise2/range_epochs_plus_one.py", "train", "wrong-epochs", "for epoc in range(epochs + 1):"),
        # anything else: the def
        ("exercise2/aliased_history.py", "train", "history-aliased", "def train("),
    ],
)
def test_a_mistake_points_at_the_line_it_is_about(file: str, function: str, code: str, expected: str) -> None:
    path = CORPUS / file
    line = source_lines.line_of(str(path), function, code)
    assert line is not None
    assert expected in line_text(path, line), (line, line_text(path, line))


def test_the_order_of_the_steps_points_at_the_misplaced_call(tmp_path: Path) -> None:
    path = tmp_path / "exercise4.py"
    path.write_text(
        "def train_net(X, y, net, lr, epochs):\n"
        "    opt = SGD(net.parameters(), lr=lr)\n"
        "    for _ in range(epochs):\n"
        "        loss = ((net(X) - y) ** 2).mean()\n"
        "        opt.step()\n"
        "        opt.zero_grad()\n"
        "        loss.backward()\n",
        encoding="utf-8",
    )
    assert source_lines.line_of(str(path), "train_net", "step-before-backward") == 5
    assert source_lines.line_of(str(path), "train_net", "zero-grad-before-step") == 6
    assert source_lines.line_of(str(path), "train_net", "wrong-loss") == 4


def test_no_line_where_there_is_none(tmp_path: Path) -> None:
    broken = tmp_path / "exercise2.py"
    broken.write_text("def train(:\n", encoding="utf-8")
    assert source_lines.line_of(str(broken), "train", "wrong-loss") is None
    assert source_lines.line_of(str(tmp_path / "absent.py"), "train", "wrong-loss") is None
    assert source_lines.line_of(str(CORPUS / "exercise2" / "lecture_style.py"), "missing_function", "missing-function") is None
    assert source_lines.line_of(str(TESTS / "notebooks" / "ex1_mean_loss.ipynb"), "sse_loss", "wrong-loss") is None


def test_a_recursive_helper_chain_ends(tmp_path: Path) -> None:
    path = tmp_path / "exercise1.py"
    path.write_text("def a(y):\n    return b(y)\n\ndef b(y):\n    return a(y)\n", encoding="utf-8")
    assert source_lines.line_of(str(path), "a", "wrong-loss") in (2, 5)


@pytest.mark.slow
def test_a_wrong_loss_annotation_has_its_line_and_one_bug_one_annotation() -> None:
    from grader.execution.grading import Options, grade
    from grader.intake.submission import Submission

    path = CORPUS / "exercise1" / "sse_mean.py"
    result = grade(Submission(str(path), "py", "exercise1"), Options(device="off"))
    errors = workflow_commands([result], ["exercise1.py"], "en")
    # sse_loss computes the mean: its checks and gradient_step's (which calls it) are one mistake, on one line.
    assert len(errors) == 1, errors
    line = int(re.search(r",line=(\d+),", errors[0]).group(1))  # type: ignore[union-attr]
    assert line_text(path, line).startswith("return torch.mean(")
    assert "`sse_loss` on the lecture's data" in errors[0] and "`gradient_step` on generated data" in errors[0]
