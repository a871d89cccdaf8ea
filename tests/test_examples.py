"""The minimal failing example shows the failure when a student runs it (issue 10).

Each example is run, as a student would paste it, beside a copy of the
submission: it must print the student's value beside the expected one (or
raise the student's own error), and nothing the grader owns.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import TESTS
from grader.execution.grading import Options, grade
from grader.report.common import divergence_text
from grader.report.terminal import render_terminal
from grader.results import CheckResult, Divergence, GradeResult, Message
from grader.intake.submission import locate

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers are Linux-only")

SUBMISSIONS = [
    ("exercise2", "grad_never_reset"),  # histories: What_history at the first divergent epoch
    ("exercise2", "no_initial_what"),  # wrong lengths
    ("exercise4", "no_zero_grad"),  # loss_history of train_net
    ("exercise4", "weight_not_transposed"),  # make_net's weight
    ("exercise1", "sse_mean"),  # a scalar
    ("exercise1", "predict_flat"),  # a shape
    ("exercise3", "mse_alpha_divides"),  # mse_alpha's factor n
    ("exercise2", "rebound_detach"),  # the caller's What never moves
]

RUNNER = textwrap.dedent(
    """
    import contextlib, io, json, os, sys, traceback
    out = {}
    for folder, key, code in json.load(sys.stdin):
        os.chdir(folder)
        sys.path.insert(0, folder)
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            try:
                exec(compile(code, "<example>", "exec"), {"__name__": "__main__"})
            except Exception:
                print(traceback.format_exc())
        sys.path.remove(folder)
        out[key] = buffer.getvalue()
    print(json.dumps(out))
    """
)


def test_every_example_prints_yours_beside_the_expected_value(tmp_path: Path) -> None:
    jobs, examples = [], {}
    for exercise, name in SUBMISSIONS:
        path = TESTS / "submissions" / exercise / f"{name}.py"
        result = grade(locate(str(path), exercise), Options(device="off"))
        folder = tmp_path / f"{exercise}-{name}"
        folder.mkdir()
        shutil.copy(path, folder / path.name)
        for check in result.checks:
            if check.example and not check.passed:
                key = f"{exercise}/{name}/{check.name}"
                examples[key] = check.example
                jobs.append((str(folder), key, check.example))
    done = subprocess.run([sys.executable, "-c", RUNNER], input=json.dumps(jobs), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout.splitlines()[-1])
    assert set(printed) == set(examples)
    for key, output in printed.items():
        assert "Traceback" not in output, f"{key}:\n{examples[key]}\n{output}"
        assert "Generator object" not in output
        assert "yours" in output and "expected" in output, f"{key}:\n{examples[key]}\n{output}"
        assert len(output.splitlines()) <= 6, f"{key} prints too much:\n{output}"
        assert "grader" not in examples[key] and "reference" not in examples[key].replace("# your file", "")


def _result(step: int, label: str) -> GradeResult:
    divergence = Divergence("What_history", step, label, 1.0, -5.0)
    check = CheckResult("train.lecture", Message("check.lecture", {"function": "train"}), False, 0.0, 3.0, "wrong-value", None, divergence)
    return GradeResult("exercise2", "exercise2.py", 0.0, 3.0, (check,))


@pytest.mark.parametrize("lang, initial", [("en", "the initial value of w0"), ("ko", "w0의 초기값")])
def test_the_first_history_entry_is_the_initial_value_not_epoch_zero(lang: str, initial: str) -> None:
    text = render_terminal(_result(0, "w0"), lang)
    assert initial in text
    assert "after epoch 0" not in text and "0번째 에폭" not in text
    assert "epoch 0" not in divergence_text(_result(0, "w0").checks[0], lang)
    assert "after epoch 2" in render_terminal(_result(2, "w0"), "en")
