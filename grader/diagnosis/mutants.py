"""The catalogue of mistakes: the lecture's loop, run the ways students get it wrong.

Each mutant is the reference loop with one mistake (gradients never cleared,
the sign flipped, another loss, another learning rate, the update one epoch
late...).  When a student's trajectory leaves the reference, every mutant runs
on the same data, and the nearest one that matches names the mistake.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Optional, Sequence

import torch

from grader.diagnosis import compare
from grader.checks.cases import TrainCase

# How loosely a mutant must match: mistakes are recognised even when the
# student's arithmetic differs from the mutant's in the last digits.
MATCH_FACTOR = 10.0


@dataclass(frozen=True)
class Loop:
    """One way of running the four steps."""

    loss: str = "sse"  # sse | mse | sse/100 | square-of-sum | sum
    sign: int = -1  # -1 descends, +1 ascends
    clear: bool = True  # False: gradients accumulate
    lag: bool = False  # the update uses the previous epoch's gradient
    frozen: bool = False  # the gradient is cleared before it is used
    lr: Optional[float] = None  # a learning rate other than the one passed
    stale: bool = False  # yhat and the loss computed once, before the loop (retain_graph=True)


@dataclass(frozen=True)
class Run:
    losses: torch.Tensor  # (epochs, 1)
    weights: torch.Tensor  # (epochs + 1, 2)


@dataclass(frozen=True)
class Mutant:
    code: str
    loop: Loop
    params: tuple[tuple[str, object], ...] = ()


def loss_and_grad(X: torch.Tensor, y: torch.Tensor, W: torch.Tensor, kind: str) -> tuple[torch.Tensor, torch.Tensor]:
    r = y - X @ W
    n = X.shape[0]
    if kind == "sse":
        return (r**2).sum(), -2 * X.T @ r
    if kind == "mse":
        return (r**2).sum() / n, -2 * X.T @ r / n
    if kind == "sse/100":
        return (r**2).sum() / 100, -2 * X.T @ r / 100
    if kind == "square-of-sum":
        s = r.sum()
        return s**2, -2 * s * X.T @ torch.ones_like(r)
    if kind == "sum":
        return r.sum(), -X.T @ torch.ones_like(r)
    if kind in ("broadcast-sse", "broadcast-mse"):
        # y (n, 1) minus yhat (n,) (or the reverse) broadcasts to D[i, j] = y[i] - yhat[j]
        yhat = (X @ W).reshape(1, -1)
        D = y.reshape(-1, 1) - yhat
        scale = float(n * n) if kind == "broadcast-mse" else 1.0
        g = -2 * D.sum(dim=0).reshape(-1, 1) / scale
        return (D**2).sum() / scale, X.T @ g
    raise ValueError(f"unknown loss {kind!r}")


def simulate(case: TrainCase, loop: Loop, epochs: Optional[int] = None) -> Run:
    """Run ``loop`` on the case, in the case's dtype, without autograd."""
    X, y = case.data.X, case.data.y
    W = case.What(requires_grad=False).clone()
    lr = case.alpha if loop.lr is None else loop.lr
    epochs = case.epochs if epochs is None else epochs
    grad_sum = torch.zeros_like(W)
    previous = torch.zeros_like(W)
    losses, weights = [], [W.reshape(-1).clone()]
    first = loss_and_grad(X, y, W, loop.loss)
    with torch.no_grad():
        for _ in range(epochs):
            loss, grad = first if loop.stale else loss_and_grad(X, y, W, loop.loss)
            losses.append(loss.reshape(1))
            grad_sum = grad_sum + grad if not loop.clear else grad
            used = previous if loop.lag else grad_sum
            previous = grad_sum
            if not loop.frozen:
                W = W + loop.sign * lr * used
            weights.append(W.reshape(-1).clone())
    empty = torch.zeros((0, 1), dtype=torch.float64)
    return Run(
        losses=torch.stack(losses).to(torch.float64) if losses else empty,
        weights=torch.stack(weights).to(torch.float64),
    )


def fitted_learning_rate(case: TrainCase, weights: torch.Tensor, loss: str) -> Optional[float]:
    """The learning rate that the student's first update corresponds to."""
    if weights.shape[0] < 2:
        return None
    _, grad = loss_and_grad(case.data.X.to(torch.float64), case.data.y.to(torch.float64), case.What(False).to(torch.float64), loss)
    g = grad.reshape(-1)
    step = weights[1] - weights[0]
    denom = float(g @ g)
    if denom == 0 or not torch.isfinite(step).all():
        return None
    lr = -float(step @ g) / denom
    return lr if lr > 0 else None


BROADCAST_HINTS = {
    "sse": "loss = torch.sum((y - yhat) ** 2)   # y and yhat both (n, 1)",
    "mse": "loss = torch.mean((y - yhat) ** 2)   # y and yhat both (n, 1)",
    "optimizer": "loss = loss_fn(net(X), y)   # net(X) is (n, 1), like y: no .squeeze()",
}
HINTS = {"sse": "loss = torch.sum((y - yhat) ** 2)", "mse": "loss = torch.mean((y - yhat) ** 2)"}


def wrong_loss(expected: str, found: str) -> dict[str, object]:
    """The parameters of a wrong-loss diagnosis: the two losses, named in the catalogue (loss.*)."""
    return {"expected": {"key": f"loss.{expected}"}, "found": {"key": f"loss.{found}"}, "hint_code": HINTS[expected]}


def broadcast_alternative(y: torch.Tensor, yhat: torch.Tensor, loss: str) -> tuple[str, dict[str, object], torch.Tensor]:
    """The loss a (n,) yhat against a (n, 1) y gives (or the reverse), as a check alternative."""
    n = int(y.shape[0])
    D = y.reshape(-1, 1).to(torch.float64) - yhat.reshape(1, -1).to(torch.float64)
    value = (D**2).sum() / (n * n if loss == "mse" else 1)
    return "broadcast-shape", {"n": n, "hint_code": BROADCAST_HINTS[loss]}, value.reshape(1)


def training_mutants(case: TrainCase, loss: str, lr_name: str, optimizer: bool = False) -> list[Mutant]:
    """The mistakes worth trying for a training loop whose loss should be ``loss``."""
    n = case.data.n
    other = "mse" if loss == "sse" else "sse"
    base = Loop(loss=loss)
    mutants = [
        Mutant("grad-not-cleared", replace(base, clear=False)),
        Mutant("wrong-loss", replace(base, loss=other), tuple(wrong_loss(loss, other).items())),
        Mutant("wrong-loss", replace(base, loss="square-of-sum"), tuple(wrong_loss(loss, "square-of-sum").items())),
        Mutant("wrong-loss", replace(base, loss="sum"), tuple(wrong_loss(loss, "sum").items())),
    ]
    mutants.append(Mutant("broadcast-shape", replace(base, loss=f"broadcast-{loss}"), (("n", n), ("hint_code", BROADCAST_HINTS["optimizer" if optimizer else loss]))))
    mutants.append(Mutant("forward-outside-loop", replace(base, stale=True)))
    mutants.append(Mutant("forward-outside-loop", replace(base, stale=True, clear=False)))
    if loss == "mse" and n != 100:
        mutants.append(Mutant("wrong-loss", replace(base, loss="sse/100"), tuple(wrong_loss(loss, "sse/100").items())))
    if optimizer:
        mutants += [
            Mutant("step-before-backward", replace(base, lag=True)),
            Mutant("zero-grad-before-step", replace(base, frozen=True)),
        ]
    else:
        mutants.append(Mutant("gradient-ascent", replace(base, sign=+1)))
    for lr in (0.001, 0.01, 0.1, case.alpha * n, case.alpha / n, case.alpha * 2, case.alpha / 2):
        if abs(lr / case.alpha - 1) > 1e-3:
            mutants.append(Mutant("wrong-learning-rate", replace(base, lr=lr), (("name", lr_name), ("expected", case.alpha), ("found", lr))))
    return mutants


@dataclass(frozen=True)
class Match:
    code: str
    params: dict[str, object]
    distance: float
    # every mistake that matches this case (the best first): checks of one
    # function agree on one of them (grader.checks.review)
    candidates: tuple[tuple[str, dict[str, object]], ...] = ()


def nearest(
    case: TrainCase,
    mutants: Sequence[Mutant],
    rtol: float,
    losses: Optional[torch.Tensor] = None,
    weights: Optional[torch.Tensor] = None,
    final: Optional[torch.Tensor] = None,
    expected: Loop = Loop(),
) -> Optional[Match]:
    """The mutant whose run matches what the student produced, if any does.

    Weights are compared by their updates (W[t+1] - W[t]), not their values:
    the updates are what a mistake changes, and they can be tiny next to the
    weights themselves.  A mutant that behaves like the reference on this case
    cannot explain a difference, and is skipped.
    """
    reference = simulate(case, expected)
    start = case.What(False).reshape(1, -1).to(torch.float64)
    best: Optional[Match] = None
    loose = rtol * MATCH_FACTOR
    found: list[tuple[float, str, dict[str, object]]] = []
    for mutant in mutants:
        run = simulate(case, mutant.loop)
        if _distance(run, reference, rtol, start, True, True, True) <= 1.0:
            continue
        distance = _distance_to(run, loose, start, losses, weights, final)
        if distance is not None and distance <= 1.0:
            found.append((distance, mutant.code, dict(mutant.params)))
            if best is None or distance < best.distance:
                best = Match(mutant.code, dict(mutant.params), distance)
    if best is None:
        return None
    ordered = sorted(found, key=lambda item: item[0])
    return replace(best, candidates=tuple((code, params) for _, code, params in ordered))


def _updates(weights: torch.Tensor) -> torch.Tensor:
    return weights[1:] - weights[:-1]


def _distance_to(
    run: Run, tolerance: float, start: torch.Tensor, losses: Optional[torch.Tensor], weights: Optional[torch.Tensor], final: Optional[torch.Tensor]
) -> Optional[float]:
    distances = []
    if losses is not None:
        distances.append(compare.mismatch(losses, run.losses, tolerance))
    if weights is not None:
        if weights.shape != run.weights.shape:
            return None
        distances.append(compare.mismatch(weights[:1], run.weights[:1], tolerance))
        distances.append(compare.mismatch(_updates(weights), _updates(run.weights), tolerance))
    if final is not None:
        distances.append(compare.mismatch(final.reshape(1, -1) - start, run.weights[-1:] - start, tolerance))
    return max(distances) if distances else None


def _distance(run: Run, reference: Run, tolerance: float, start: torch.Tensor, use_losses: bool, use_weights: bool, use_final: bool) -> float:
    found = _distance_to(
        run,
        tolerance,
        start,
        reference.losses if use_losses else None,
        reference.weights if use_weights else None,
        reference.weights[-1] if use_final else None,
    )
    return 0.0 if found is None else found
