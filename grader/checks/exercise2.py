"""Exercise 2: the training loop (train, SSE)."""
from __future__ import annotations

import torch

from grader.diagnosis import mutants
from grader.checks.cases import TrainCase, lecture_case, train_args, train_cases
from grader.checks import Check
from grader.checks.common import in_place_check, inputs_unchanged_check, training_checks
from grader.checks.training import TrainingSpec
from grader.reference import exercise2 as ref

FUNCTIONS = ["train"]


def history_run(function: object, case: TrainCase) -> mutants.Run:
    """The reference's histories for a case, as tensors."""
    loss_history, what_history = function(case.data.X.clone(), case.data.y.clone(), case.What(), case.alpha, case.epochs)  # type: ignore[operator]
    losses = torch.tensor(loss_history, dtype=torch.float64).reshape(-1, 1)
    weights = torch.tensor(what_history, dtype=torch.float64).reshape(-1, 2)
    return mutants.Run(losses=losses, weights=weights)


def checks() -> list[Check]:
    lecture = lecture_case("sse")
    spec = TrainingSpec("train", "sse", "alpha", "histories", lambda case: history_run(ref.train, case))
    found = training_checks(spec, lecture, train_cases("sse"), (3, 3))
    found.append(in_place_check("train", lecture, train_args, 1))
    found.append(inputs_unchanged_check("train", lecture, train_args, 1))
    return found
