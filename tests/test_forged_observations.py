"""Forged observations earn nothing (issue 9, "nothing the worker says is believed unchecked").

Exercise 4's structure and exercise 5's "no Python loop" are read from the
source in the grader; what the worker reports about itself can only add to a
failure.  Editing the worker's instruments (the spy, the tracer, its frames)
is `tampering`: 0 points for the whole submission.
"""
from pathlib import Path

import pytest

from conftest import TESTS, expectation
from grader.execution.grading import Options, grade
from grader.worker.sandbox.limits import Limits
from grader.intake.submission import locate

FORGED = sorted((TESTS / "adversarial" / "forged").glob("*.py"))
OPTIONS = Options(limits=Limits(timeout=30), max_examples=4)


@pytest.mark.parametrize("path", FORGED, ids=lambda p: p.stem)
def test_forged_observation_earns_nothing(path: Path) -> None:
    exercise = path.stem.split("_")[0]
    result = grade(locate(str(path), exercise=exercise), OPTIONS)
    expected = expectation(path)
    assert expected in result.diagnoses, {c.name: c.diagnosis for c in result.checks if not c.passed}
    if expected == "tampering":
        assert result.score == 0
    else:
        structure = {"exercise4": "train_net.torch-api", "exercise5": "loss_surface.vectorized"}[exercise]
        assert not next(c for c in result.checks if c.name == structure).passed
