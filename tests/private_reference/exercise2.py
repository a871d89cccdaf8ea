"""An instructor's private checks for exercise 2: the public ones plus a hidden check.

Used with `grade batch ... --reference tests/private_reference`.  A hidden check
counts in the score, but the student's report shows only its title and points.
"""
from dataclasses import replace

from grader.checks.cases import lecture_case, train_cases
from grader.checks.common import training_checks
from grader.checks.exercise2 import FUNCTIONS, checks as public_checks, history_run
from grader.checks.training import TrainingSpec
from grader.reference import exercise2 as ref

__all__ = ["FUNCTIONS", "checks"]


def checks():
    spec = TrainingSpec("train", "sse", "alpha", "histories", lambda case: history_run(ref.train, case))
    long_runs = train_cases("sse", max_epochs=60).filter(lambda case: case.epochs > 30)
    _, generated = training_checks(spec, lecture_case("sse"), long_runs, (0, 2))
    return public_checks() + [replace(generated, name="train.hidden-long-runs", hidden=True)]
