"""Golden trajectories of the lecture's data, stored as JSON in reference/.

``python -m grader.authoring.golden --write`` recomputes them from the reference
solutions; a test checks that the stored file and the references agree and
that they reproduce the numbers the lecture printed.
"""
from __future__ import annotations

import argparse
import json
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import torch

from grader.checks.cases import LECTURE_EPOCHS, LECTURE_MSE_ALPHA, LECTURE_SSE_ALPHA, LECTURE_WHAT, lecture_data

FILE = "lecture_trajectories.json"


def compute() -> dict[str, Any]:
    from grader.reference import exercise1, exercise2, exercise3, exercise4, exercise5

    data = lecture_data()
    X, y = data.X, data.y

    def what() -> torch.Tensor:
        return torch.tensor([[LECTURE_WHAT[0]], [LECTURE_WHAT[1]]], requires_grad=True)

    W = what()
    loss = exercise1.sse_loss(exercise1.predict(X, W), y)
    loss.backward()
    assert W.grad is not None
    first_gradient = W.grad.reshape(-1).tolist()
    W1 = what()
    exercise1.gradient_step(X, y, W1, LECTURE_SSE_ALPHA)
    sse_losses, sse_weights = exercise2.train(X, y, what(), LECTURE_SSE_ALPHA, LECTURE_EPOCHS)
    mse_losses, mse_weights = exercise3.train_mse(X, y, what(), LECTURE_MSE_ALPHA, LECTURE_EPOCHS)
    net = exercise4.make_net(what())
    net_losses = exercise4.train_net(X, y, net, LECTURE_MSE_ALPHA, LECTURE_EPOCHS)
    return {
        "data": {"seed": 43052, "n": data.n, "true_W": list(data.true_w or ()), "initial_What": list(LECTURE_WHAT)},
        "first_loss": loss.item(),
        "first_gradient": first_gradient,
        "What_after_one_step": W1.detach().reshape(-1).tolist(),
        "sse": {"alpha": LECTURE_SSE_ALPHA, "epochs": LECTURE_EPOCHS, "loss_history": sse_losses, "What_history": sse_weights},
        "mse": {"alpha": LECTURE_MSE_ALPHA, "epochs": LECTURE_EPOCHS, "loss_history": mse_losses, "What_history": mse_weights},
        "net": {"lr": LECTURE_MSE_ALPHA, "epochs": LECTURE_EPOCHS, "loss_history": net_losses, "weight": net.weight.detach().reshape(-1).tolist()},
        "closed_form": exercise3.closed_form(X, y).reshape(-1).tolist(),
        "critical_alpha": exercise5.critical_alpha(X),
        "classify_0.0083": exercise5.classify_alpha(X, 0.0083),
    }


def stored() -> dict[str, Any]:
    return json.loads(resources.files("grader.reference").joinpath(FILE).read_text(encoding="utf-8"))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.authoring.golden", description=__doc__)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args(argv)
    text = json.dumps(compute(), indent=1, allow_nan=False) + "\n"
    target = Path(__file__).resolve().parent.parent / "reference" / FILE
    if args.write:
        target.write_text(text, encoding="utf-8")
        return 0
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
