"""Device checks: each file of the device corpus gets its diagnosis under the emulated cuda device."""
from pathlib import Path

import pytest
import torch

from conftest import TESTS, expectation
from grader.execution.grading import Options, grade
from grader.worker.sandbox.limits import Limits
from grader.intake.submission import locate

CORPUS = sorted((TESTS / "device").glob("ex*.py"))
OPTIONS = Options(limits=Limits(timeout=30))


def exercise_of(path: Path) -> str:
    return "exercise" + path.name[2]


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_device_corpus_on_the_emulated_gpu(path: Path) -> None:
    expected = expectation(path)
    result = grade(locate(str(path), exercise=exercise_of(path)), OPTIONS)
    failing = {c.name: c.diagnosis for c in result.checks if not c.passed}
    if expected == "full-marks":
        assert result.full_marks, f"false failure: {failing}"
    else:
        assert expected in result.diagnoses, f"expected {expected}, got {failing}"
        device_failures = {c.name for c in result.checks if c.name.endswith(".device") and not c.passed}
        assert device_failures, "the device bug should fail a device check"


def test_device_mismatch_names_the_students_line() -> None:
    path = TESTS / "device" / "ex1_rebuilds_design_matrix.py"
    result = grade(locate(str(path), exercise="exercise1"), OPTIONS)
    failed = [c for c in result.checks if c.diagnosis == "device-mismatch"]
    assert failed and failed[0].error is not None and failed[0].error.line is not None


def test_device_checks_off_leaves_cpu_grading_alone() -> None:
    path = TESTS / "device" / "ex4_net_not_moved.py"
    result = grade(locate(str(path), exercise="exercise4"), Options(limits=Limits(timeout=30), device="off"))
    assert result.full_marks


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a real CUDA device: run `pytest -m gpu` on a machine with one")
@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_real_gpu_agrees_with_the_emulation(path: Path) -> None:
    emulated = grade(locate(str(path), exercise=exercise_of(path)), OPTIONS)
    real = grade(locate(str(path), exercise=exercise_of(path)), Options(limits=Limits(timeout=60), device="cuda"))
    assert [(c.name, c.passed, c.diagnosis) for c in real.checks] == [(c.name, c.passed, c.diagnosis) for c in emulated.checks]
