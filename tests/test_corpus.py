"""Every real submission in tests/submissions gets the outcome its first line declares.

Correct styles (`# expect: full-marks`) must get full marks: a false failure is
the worst bug we can ship.  Each buggy submission must be named by its diagnosis.
"""
from pathlib import Path

import pytest

from conftest import PACK6, corpus, expectation
from grader.execution.grading import Options, grade
from grader.worker.sandbox.limits import Limits
from grader.intake.submission import locate

CORPUS = corpus()
OPTIONS = Options(limits=Limits(timeout=30), packs=(str(PACK6),))


def exercise_of(path: Path) -> str:
    """tests/submissions/<exercise>/x.py, or <pack>/examples/x.py."""
    return path.parent.parent.name if path.parent.name == "examples" else path.parent.name


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: f"{exercise_of(p)}/{p.stem}")
def test_corpus_submission(path: Path) -> None:
    from grader.registry import add_pack

    add_pack(str(PACK6))
    expected = expectation(path)
    result = grade(locate(str(path), exercise=exercise_of(path)), OPTIONS)
    failing = {c.name: c.diagnosis for c in result.checks if not c.passed}
    if expected == "full-marks":
        assert result.full_marks, f"false failure: {failing}"
    else:
        assert not result.full_marks, "a buggy submission got full marks"
        assert expected in result.diagnoses, f"expected {expected}, got {failing} (submission: {result.diagnosis})"


def test_corpus_covers_every_diagnosis_code() -> None:
    required = {
        "grad-not-cleared", "gradient-ascent", "wrong-epochs", "wrong-learning-rate", "wrong-loss",
        "history-misaligned", "parameter-rebound", "weight-not-transposed", "bias-enabled",
        "not-using-torch-api", "step-before-backward", "input-mutated", "wrong-shape", "wrong-type",
        "wrong-value", "not-implemented", "missing-function", "syntax-error", "runtime-error",
        "broadcast-shape", "forward-outside-loop", "history-aliased", "uses-global", "inplace-on-leaf",
    }
    found = {expectation(p) for p in CORPUS}
    assert required <= found, f"no corpus submission demonstrates {sorted(required - found)}"
