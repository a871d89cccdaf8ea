#!/usr/bin/env python
"""Check the corpus of student submissions in tests/submissions/exerciseN/*.py.

Every file starts with ``# expect: <outcome>`` (``full-marks`` or a diagnosis
code) and ``# why: ...``.  This script loads each file, runs its functions on
the lecture's data (float32, alpha=0.001 for SSE, 0.1 for MSE, 30 epochs) and
on a small float64 case (other learning rates and epochs), compares the
results with ``grader.reference``, and explains every difference with the
mistake that reproduces it (gradient ascent, accumulated gradients, another
learning rate, another number of epochs, a shifted history, another loss, ...).
From the findings it names one code (by a fixed priority) and compares it
with the file's ``expect`` line.

This is an independent cross-check of the corpus, not the grader: it only
needs torch and the reference package.

    python tests/submissions/check_corpus.py            # the whole corpus
    python tests/submissions/check_corpus.py -v FILE... # some files, with details

Exit status 0 when every file's observed outcome equals its expect line.
"""
from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import math
import pathlib
import re
import sys
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import torch

import grader.reference.exercise1 as ref1
import grader.reference.exercise2 as ref2
import grader.reference.exercise3 as ref3
import grader.reference.exercise4 as ref4
import grader.reference.exercise5 as ref5

HERE = pathlib.Path(__file__).resolve().parent

FUNCTIONS = {
    1: ["predict", "sse_loss", "gradient_step"],
    2: ["train"],
    3: ["mse_loss", "train_mse", "mse_alpha", "closed_form"],
    4: ["make_net", "train_net"],
    5: ["loss_surface", "critical_alpha", "classify_alpha"],
}

# One code per file: the first code in this list that some check found.
PRIORITY = [
    "syntax-error",
    "missing-function",
    "not-implemented",
    "parameter-rebound",
    "runtime-error",
    "input-mutated",
    "wrong-type",
    "wrong-shape",
    "weight-not-transposed",
    "bias-enabled",
    "step-before-backward",
    "zero-grad-before-step",
    "grad-not-cleared",
    "gradient-ascent",
    "wrong-epochs",
    "history-misaligned",
    "wrong-loss",
    "wrong-learning-rate",
    "not-using-torch-api",
    "wrong-classification",
    "python-loop",
    "wrong-value",
]

CATEGORIES = ("monotone", "oscillating", "divergent")


# ----------------------------------------------------------------------------
# data


@dataclass
class Case:
    name: str
    X: torch.Tensor
    y: torch.Tensor
    W0: torch.Tensor
    alpha_sse: float
    alpha_mse: float
    epochs: int

    @property
    def n(self) -> int:
        return self.X.shape[0]

    @property
    def x(self) -> torch.Tensor:
        return self.X[:, [1]].clone()

    @property
    def rtol(self) -> float:
        return 1e-4 if self.X.dtype == torch.float32 else 1e-6


def lecture_case() -> Case:
    torch.manual_seed(43052)
    x, _ = torch.randn(100).sort()
    eps = torch.randn(100) * 0.5
    X = torch.stack([torch.ones(100), x], axis=1)
    y = X @ torch.tensor([[2.5], [4.0]]) + eps.reshape(100, 1)
    return Case("lecture", X, y, torch.tensor([[-5.0], [10.0]]), 0.001, 0.1, 30)


def small_case() -> Case:
    g = torch.Generator().manual_seed(7)
    n = 12
    x = torch.randn(n, generator=g, dtype=torch.float64) * 1.3 + 0.4
    X = torch.stack([torch.ones(n, dtype=torch.float64), x], axis=1)
    y = X @ torch.tensor([[1.5], [-2.0]], dtype=torch.float64) + 0.3 * torch.randn(n, 1, generator=g, dtype=torch.float64)
    lam = torch.linalg.eigvalsh(X.T @ X).max().item()
    alpha = round(0.4 / lam, 5)  # monotone, and neither 0.001 nor (times n) 0.1
    assert alpha != 0.001 and abs(alpha * n - 0.1) > 1e-3
    return Case("small-f64", X, y, torch.tensor([[0.5], [1.0]], dtype=torch.float64), alpha, alpha * n, 7)


CASES = [lecture_case(), small_case()]


# ----------------------------------------------------------------------------
# spies on the PyTorch API (installed before any submission is imported)

EVENTS: list[tuple[Any, ...]] = []
_SGD = torch.optim.SGD
_MSELoss = torch.nn.MSELoss
_backward = torch.Tensor.backward


class SpySGD(_SGD):  # type: ignore[misc,valid-type]
    def __init__(self, params: Any, lr: Any = 1e-3, *args: Any, **kwargs: Any) -> None:
        EVENTS.append(("sgd", float(lr)))
        super().__init__(params, lr, *args, **kwargs)

    def step(self, closure: Any = None) -> Any:  # type: ignore[override]
        EVENTS.append(("step",))
        return super().step(closure)

    def zero_grad(self, set_to_none: bool = True) -> None:
        EVENTS.append(("zero_grad",))
        super().zero_grad(set_to_none)


class SpyMSELoss(_MSELoss):  # type: ignore[misc,valid-type]
    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        EVENTS.append(("mse_loss", self.reduction))
        return super().forward(input, target)


def _spy_backward(self: torch.Tensor, *args: Any, **kwargs: Any) -> Any:
    EVENTS.append(("backward",))
    return _backward(self, *args, **kwargs)


torch.optim.SGD = SpySGD  # type: ignore[misc]
torch.nn.MSELoss = SpyMSELoss  # type: ignore[misc]
torch.Tensor.backward = _spy_backward  # type: ignore[method-assign]


# ----------------------------------------------------------------------------
# helpers


class Findings:
    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []
        self.notes: list[str] = []

    def add(self, code: str, detail: str) -> None:
        self.items.append((code, detail))

    def note(self, text: str) -> None:
        self.notes.append(text)

    def codes(self) -> set[str]:
        return {c for c, _ in self.items}

    def verdict(self) -> str:
        found = self.codes()
        for code in PRIORITY:
            if code in found:
                return code
        return "full-marks" if not found else sorted(found)[0]


@dataclass
class Outcome:
    ok: bool
    value: Any = None
    exc: Optional[BaseException] = None
    lines: int = 0


def call(fn: Callable[..., Any], *args: Any, trace_file: Optional[str] = None) -> Outcome:
    """Call student code, silencing its prints and warnings; optionally count its executed lines."""
    counter = [0]

    def tracer(frame: Any, event: str, arg: Any) -> Any:
        if frame.f_code.co_filename != trace_file:
            return None
        if event == "line":
            counter[0] += 1
        return tracer

    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        old = sys.gettrace()
        if trace_file:
            sys.settrace(tracer)
        try:
            value = fn(*args)
        except Exception as exc:  # noqa: BLE001 - student code may raise anything
            return Outcome(False, exc=exc, lines=counter[0])
        finally:
            if trace_file:
                sys.settrace(old)
    return Outcome(True, value, lines=counter[0])


def error_code(fname: str, out: Outcome, findings: Findings) -> None:
    exc = out.exc
    if isinstance(exc, NotImplementedError):
        findings.add("not-implemented", f"{fname} raises NotImplementedError")
    else:
        findings.add("runtime-error", f"{fname} raised {type(exc).__name__}: {exc}")


def as_number(v: Any) -> Optional[float]:
    """A float for a Python number or a one-element tensor; None otherwise (bools are not numbers)."""
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v)
    if torch.is_tensor(v) and v.numel() == 1 and v.dtype != torch.bool:
        return float(v.detach().reshape(()))
    return None


def close(a: Any, b: Any, rtol: float) -> bool:
    a = torch.as_tensor(a, dtype=torch.float64)
    b = torch.as_tensor(b, dtype=torch.float64)
    if a.shape != b.shape:
        return False
    finite = torch.isfinite(b)
    if not torch.equal(finite, torch.isfinite(a)):
        return False
    if not torch.equal(a[~finite], b[~finite]) and not (a[~finite].isnan() & b[~finite].isnan()).all():
        return False
    a, b = a[finite], b[finite]
    scale = max(float(b.abs().max()) if b.numel() else 0.0, 1e-12)
    return bool(torch.allclose(a, b, rtol=rtol, atol=rtol * scale * 1e-2))


def _flatten(v: Any) -> Optional[list[float]]:
    if torch.is_tensor(v):
        return v.detach().double().reshape(-1).tolist()
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return [float(v)]
    if isinstance(v, (list, tuple)):
        out: list[float] = []
        for e in v:
            f = _flatten(e)
            if f is None:
                return None
            out.extend(f)
        return out
    return None


def history(h: Any) -> Optional[torch.Tensor]:
    """A history (list of numbers / lists / tensors, or a stacked tensor) as a (len, width) float64 tensor."""
    if torch.is_tensor(h):
        if h.dim() == 0:
            return None
        t = h.detach().double()
        return t.reshape(t.shape[0], -1)
    if not isinstance(h, (list, tuple)):
        return None
    rows = [_flatten(e) for e in h]
    if any(r is None for r in rows):
        return None
    if not rows:
        return torch.zeros(0, 0, dtype=torch.float64)
    width = len(rows[0])  # type: ignore[arg-type]
    if any(len(r) != width for r in rows):  # type: ignore[arg-type]
        return None
    return torch.tensor(rows, dtype=torch.float64)


def fresh(W0: torch.Tensor) -> torch.Tensor:
    return W0.clone().requires_grad_(True)


def snapshot(*ts: torch.Tensor) -> list[torch.Tensor]:
    return [t.detach().clone() for t in ts]


def unchanged(before: list[torch.Tensor], after: tuple[torch.Tensor, ...]) -> bool:
    return all(b.shape == a.shape and b.dtype == a.dtype and torch.equal(b, a.detach()) for b, a in zip(before, after))


# ----------------------------------------------------------------------------
# the family of mistakes, simulated

LOSSES: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "sse": lambda r: torch.sum(r ** 2),
    "mse": lambda r: torch.mean(r ** 2),
    "sum-squared": lambda r: torch.sum(r) ** 2,
    "sse/100": lambda r: torch.sum(r ** 2) / 100,
}


@dataclass
class Trajectory:
    losses: torch.Tensor  # (epochs,) loss before each update
    Ws: torch.Tensor  # (epochs+1, 2)
    after: torch.Tensor  # (epochs,) loss after each update


def simulate(case: Case, loss: str, lr: float, epochs: int, sign: float = -1.0,
             accumulate: bool = False, lag: bool = False, frozen: bool = False) -> Trajectory:
    W = case.W0.clone().requires_grad_(True)
    losses, Ws, after = [], [W.detach().clone().reshape(-1)], []
    prev: Optional[torch.Tensor] = None
    for _ in range(epochs):
        L = LOSSES[loss](case.y - case.X @ W)
        _backward(L)
        assert W.grad is not None
        g = W.grad.clone()
        if not accumulate:
            W.grad = None
        use = g
        if lag:
            use, prev = prev, g  # type: ignore[assignment]
        if frozen:
            use = None  # type: ignore[assignment]
        with torch.no_grad():
            if use is not None:
                W += sign * lr * use
        losses.append(L.item())
        Ws.append(W.detach().clone().reshape(-1))
        after.append(LOSSES[loss](case.y - case.X @ W.detach()).item())
    return Trajectory(torch.tensor(losses, dtype=torch.float64), torch.stack(Ws).double(),
                      torch.tensor(after, dtype=torch.float64))


def grad_at(case: Case, loss: str) -> torch.Tensor:
    W = case.W0.clone().requires_grad_(True)
    _backward(LOSSES[loss](case.y - case.X @ W))
    assert W.grad is not None
    return W.grad.detach().double().reshape(-1)


def explain_training(case: Case, loss: str, lr: float, losses: Optional[torch.Tensor],
                     Ws: Optional[torch.Tensor], other_losses: list[str],
                     mutant_rtol: float) -> tuple[str, str]:
    """Which mistake reproduces (losses, Ws)?  Ws may be None (exercise 4: only the final weight is known)."""
    E = case.epochs

    def same(t: Trajectory, use_after: bool = False, W_slice: Optional[slice] = None) -> bool:
        want_losses = t.after if use_after else t.losses
        if losses is None or not close(losses, want_losses, mutant_rtol):
            return False
        if Ws is None:
            return True
        want = t.Ws if W_slice is None else t.Ws[W_slice]
        if Ws.shape[0] == 1 and want.shape[0] > 1:  # exercise 4: final weight only
            want = want[-1:]
        return close(Ws, want, mutant_rtol)

    if same(simulate(case, loss, lr, E, accumulate=True)):
        return "grad-not-cleared", "matches gradients accumulated over epochs (never reset)"
    if same(simulate(case, loss, lr, E, sign=+1.0)):
        return "gradient-ascent", "matches What + lr*grad (gradient ascent)"
    for e in (E - 1, E + 1, E - 2, E + 2):
        if e > 0 and same(simulate(case, loss, lr, e)):
            return "wrong-epochs", f"matches {e} epochs instead of {E}"
    if Ws is not None and Ws.shape[0] == 1 and same(simulate(case, loss, lr, E), use_after=True):
        return "history-misaligned", "loss_history holds the loss after each update (recomputed)"
    if Ws is not None and Ws.shape[0] > 1:
        good = simulate(case, loss, lr, E)
        if same(good, W_slice=slice(1, None)):
            return "history-misaligned", "What_history lacks the initial What (starts after the first update)"
        if same(good, W_slice=slice(None, -1)):
            return "history-misaligned", "What_history recorded before each update (final What missing)"
        if same(good, use_after=True):
            return "history-misaligned", "loss_history holds the loss after each update (recomputed)"
    for other in other_losses:
        if other == "sse/100" and case.n == 100:
            continue
        if same(simulate(case, other, lr, E)):
            return "wrong-loss", f"matches the {other} loss with lr={lr:g}"
    if Ws is not None and Ws.shape[0] > 1 and Ws.shape[1] == 2:
        g = grad_at(case, loss)
        d = Ws[0] - Ws[1]
        found = float(d @ g / (g @ g))
        if found > 0 and abs(found / lr - 1) > 1e-3 and same(simulate(case, loss, found, E)):
            return "wrong-learning-rate", f"matches learning rate {found:.6g} instead of {lr:g}"
    return "wrong-value", "no simulated mistake reproduces it"


# ----------------------------------------------------------------------------
# exercise checks


def check_ex1(mod: Any, path: str, f: Findings) -> None:
    for case in CASES:
        X, y, W0, rt = case.X, case.y, case.W0, case.rtol
        # predict
        if hasattr(mod, "predict"):
            Xc, Wc = X.clone(), fresh(W0)
            out = call(mod.predict, Xc, Wc)
            want = ref1.predict(X, W0)
            if not out.ok:
                error_code("predict", out, f)
            elif not torch.is_tensor(out.value):
                f.add("wrong-type", f"[{case.name}] predict returned {type(out.value).__name__}")
            elif tuple(out.value.shape) != tuple(want.shape):
                f.add("wrong-shape", f"[{case.name}] predict shape {tuple(out.value.shape)} != {tuple(want.shape)}")
            elif not close(out.value.detach(), want, rt):
                f.add("wrong-value", f"[{case.name}] predict values differ")
        # sse_loss
        if hasattr(mod, "sse_loss"):
            yhat = X @ W0
            yh, yc = yhat.clone(), y.clone()
            out = call(mod.sse_loss, yh, yc)
            want = ref1.sse_loss(yhat, y)
            if not unchanged([yhat, y], (yh, yc)):
                f.add("input-mutated", f"[{case.name}] sse_loss changed its inputs")
            if not out.ok:
                error_code("sse_loss", out, f)
            else:
                v = as_number(out.value)
                if v is None:
                    kind = "wrong-shape" if torch.is_tensor(out.value) else "wrong-type"
                    f.add(kind, f"[{case.name}] sse_loss returned {type(out.value).__name__} {getattr(out.value, 'shape', '')}")
                elif not close(v, want, rt):
                    alt = [k for k in ("mse", "sum-squared") if close(v, LOSSES[k](y - yhat), rt)]
                    f.add("wrong-loss" if alt else "wrong-value",
                          f"[{case.name}] sse_loss={v:.6g}, want {float(want):.6g}" + (f" (= {alt[0]})" if alt else ""))
                elif torch.is_tensor(out.value) and out.value.dim() > 0:
                    f.note(f"sse_loss returns shape {tuple(out.value.shape)}")
        # gradient_step: one step
        if hasattr(mod, "gradient_step"):
            Xc, yc, W = X.clone(), y.clone(), fresh(W0)
            out = call(mod.gradient_step, Xc, yc, W, case.alpha_sse)
            Wr = fresh(W0)
            want_loss = ref1.gradient_step(X, y, Wr, case.alpha_sse)
            g = grad_at(case, "sse").reshape(2, 1)
            if not unchanged([X, y], (Xc, yc)):
                f.add("input-mutated", f"[{case.name}] gradient_step changed X or y")
            if not out.ok:
                if W.grad is not None and torch.equal(W.detach(), W0) and "NoneType" in str(out.exc):
                    f.add("parameter-rebound", f"[{case.name}] gradient_step crashed on a None grad after rebinding What")
                else:
                    error_code("gradient_step", out, f)
                continue
            v = as_number(out.value)
            if v is None:
                f.add("wrong-type", f"[{case.name}] gradient_step returned {type(out.value).__name__}")
            elif not close(v, want_loss.detach(), rt):
                f.add("wrong-loss" if any(close(v, LOSSES[k](y - X @ W0), rt) for k in ("mse", "sum-squared")) else "wrong-value",
                      f"[{case.name}] gradient_step returned loss {v:.6g}, want {float(want_loss.detach()):.6g}")
            elif not torch.is_tensor(out.value):
                f.note("gradient_step returns a Python float")
            Wd = W.detach()
            if torch.equal(Wd, W0):
                f.add("parameter-rebound", f"[{case.name}] caller's What unchanged after gradient_step")
            elif close(Wd, W0 + case.alpha_sse * g, rt):
                f.add("gradient-ascent", f"[{case.name}] What moved to W0 + alpha*grad")
            elif not close(Wd, Wr.detach(), rt):
                f.add("wrong-value", f"[{case.name}] What after one step {Wd.reshape(-1).tolist()} != {Wr.detach().reshape(-1).tolist()}")
            if W.grad is not None and bool((W.grad != 0).any()):
                f.add("grad-not-cleared", f"[{case.name}] What.grad left non-zero after gradient_step")
            # many calls in a row, like a student's loop
            W = fresh(W0)
            losses = []
            for _ in range(case.epochs):
                out = call(mod.gradient_step, X.clone(), y.clone(), W, case.alpha_sse)
                if not out.ok or as_number(out.value) is None:
                    break
                losses.append(as_number(out.value))
            else:
                t = simulate(case, "sse", case.alpha_sse, case.epochs)
                ok = close(torch.tensor(losses), t.losses, rt) and close(W.detach().reshape(-1), t.Ws[-1], rt)
                if not ok:
                    acc = simulate(case, "sse", case.alpha_sse, case.epochs, accumulate=True)
                    if close(W.detach().reshape(-1), acc.Ws[-1], 1e-3 if rt > 1e-5 else 1e-6):
                        f.add("grad-not-cleared", f"[{case.name}] {case.epochs} calls in a row follow the accumulated-gradient path")
                    elif not f.codes():
                        f.add("wrong-value", f"[{case.name}] {case.epochs} calls in a row end at {W.detach().reshape(-1).tolist()}")


def check_training(fname: str, fn: Callable[..., Any], case: Case, loss: str, lr: float,
                   ref_fn: Callable[..., Any], other_losses: list[str], f: Findings) -> None:
    X, y, W0, rt = case.X, case.y, case.W0, case.rtol
    Xc, yc, W = X.clone(), y.clone(), fresh(W0)
    out = call(fn, Xc, yc, W, lr, case.epochs)
    Wr = fresh(W0)
    want_losses, want_Ws = ref_fn(X, y, Wr, lr, case.epochs)
    want_losses, want_Ws = history(want_losses), history(want_Ws)
    assert want_losses is not None and want_Ws is not None
    sim = simulate(case, loss, lr, case.epochs)
    assert close(sim.losses, want_losses.reshape(-1), 1e-5) and close(sim.Ws, want_Ws, 1e-5), "simulator disagrees with reference"
    if not unchanged([X, y], (Xc, yc)):
        f.add("input-mutated", f"[{case.name}] {fname} changed X or y")
    moved = not torch.equal(W.detach(), W0)
    if not out.ok:
        if not moved and W.grad is not None and "NoneType" in str(out.exc):
            f.add("parameter-rebound", f"[{case.name}] {fname} crashed on a None grad after rebinding What ({type(out.exc).__name__})")
        else:
            error_code(fname, out, f)
        return
    v = out.value
    if not (isinstance(v, (tuple, list)) and len(v) == 2):
        f.add("wrong-type", f"[{case.name}] {fname} returned {type(v).__name__}, not (loss_history, What_history)")
        return
    losses, Ws = history(v[0]), history(v[1])
    if losses is None or Ws is None or (losses.numel() and losses.shape[1] != 1) or (Ws.numel() and Ws.shape[1] != 2):
        f.add("wrong-type", f"[{case.name}] {fname} histories are not one number / one [w0, w1] per entry")
        return
    losses = losses.reshape(-1)
    if not moved:
        f.add("parameter-rebound", f"[{case.name}] caller's What unchanged after {fname}")
    if close(losses, want_losses.reshape(-1), rt) and close(Ws, want_Ws, rt):
        if moved and not close(W.detach().reshape(-1), want_Ws[-1], rt):
            f.add("wrong-value", f"[{case.name}] caller's What differs from the final history entry")
        return
    code, why = explain_training(case, loss, lr, losses, Ws, other_losses, 1e-3 if rt > 1e-5 else 1e-6)
    if code == "wrong-value" and (len(losses) != case.epochs or Ws.shape[0] != case.epochs + 1):
        code, why = "history-misaligned", f"lengths {len(losses)}/{Ws.shape[0]} for epochs={case.epochs}"
    f.add(code, f"[{case.name}] {fname}: {why}")


def check_ex2(mod: Any, path: str, f: Findings) -> None:
    if not hasattr(mod, "train"):
        return
    for case in CASES:
        check_training("train", mod.train, case, "sse", case.alpha_sse, ref2.train, ["mse", "sum-squared"], f)


def check_ex3(mod: Any, path: str, f: Findings) -> None:
    for case in CASES:
        X, y, W0, rt = case.X, case.y, case.W0, case.rtol
        if hasattr(mod, "mse_loss"):
            yhat = X @ W0
            yh, yc = yhat.clone(), y.clone()
            out = call(mod.mse_loss, yh, yc)
            if not unchanged([yhat, y], (yh, yc)):
                f.add("input-mutated", f"[{case.name}] mse_loss changed its inputs")
            if not out.ok:
                error_code("mse_loss", out, f)
            else:
                v = as_number(out.value)
                want = ref3.mse_loss(yhat, y)
                if v is None:
                    f.add("wrong-type", f"[{case.name}] mse_loss returned {type(out.value).__name__}")
                elif not close(v, want, rt):
                    alt = [k for k in ("sse", "sse/100", "sum-squared") if close(v, LOSSES[k](y - yhat), rt)]
                    f.add("wrong-loss" if alt else "wrong-value", f"[{case.name}] mse_loss={v:.6g}, want {float(want):.6g}" + (f" (= {alt[0]})" if alt else ""))
        if hasattr(mod, "train_mse"):
            check_training("train_mse", mod.train_mse, case, "mse", case.alpha_mse, ref3.train_mse, ["sse", "sse/100"], f)
        if hasattr(mod, "closed_form"):
            Xc, yc = X.clone(), y.clone()
            out = call(mod.closed_form, Xc, yc)
            want = ref3.closed_form(X, y)
            if not unchanged([X, y], (Xc, yc)):
                f.add("input-mutated", f"[{case.name}] closed_form changed X or y")
            if not out.ok:
                error_code("closed_form", out, f)
            elif not torch.is_tensor(out.value):
                f.add("wrong-type", f"[{case.name}] closed_form returned {type(out.value).__name__}")
            elif tuple(out.value.shape) != (2, 1):
                f.add("wrong-shape", f"[{case.name}] closed_form shape {tuple(out.value.shape)}")
            elif not close(out.value.detach(), want, rt):
                f.add("wrong-value", f"[{case.name}] closed_form {out.value.detach().reshape(-1).tolist()} != {want.reshape(-1).tolist()}")
    if hasattr(mod, "mse_alpha"):
        for sse_alpha, n in ((0.001, 100), (0.0023, 37)):
            out = call(mod.mse_alpha, sse_alpha, n)
            want = ref3.mse_alpha(sse_alpha, n)
            if not out.ok:
                error_code("mse_alpha", out, f)
                continue
            v = as_number(out.value)
            if v is None:
                f.add("wrong-type", f"mse_alpha returned {type(out.value).__name__}")
            elif not math.isclose(v, want, rel_tol=1e-9):
                code = "wrong-loss" if math.isclose(v, sse_alpha / n, rel_tol=1e-9) else "wrong-value"
                f.add(code, f"mse_alpha({sse_alpha}, {n}) = {v:.6g}, want {want:.6g}")


def _order_problems() -> tuple[bool, bool]:
    """(step before backward, zero_grad between backward and step) from the recorded events."""
    state, sbb, zgbs = "none", False, False
    for ev in EVENTS:
        if ev[0] == "backward":
            state = "fresh"
        elif ev[0] == "zero_grad":
            if state == "fresh":
                zgbs, state = True, "cleared"
            else:
                state = "none"
        elif ev[0] == "step":
            if state == "none":
                sbb = True
            state = "none"
    return sbb, zgbs


def check_ex4(mod: Any, path: str, f: Findings) -> None:
    for case in CASES:
        X, y, W0, rt = case.X, case.y, case.W0, case.rtol
        if hasattr(mod, "make_net"):
            W = fresh(W0)
            out = call(mod.make_net, W)
            if not out.ok:
                error_code("make_net", out, f)
            elif not isinstance(out.value, torch.nn.Linear):
                f.add("wrong-type", f"[{case.name}] make_net returned {type(out.value).__name__}")
            else:
                net = out.value
                if net.bias is not None:
                    f.add("bias-enabled", f"[{case.name}] make_net's Linear has a bias")
                if tuple(net.weight.shape) == (2, 1):
                    f.add("weight-not-transposed", f"[{case.name}] make_net weight shape (2, 1)")
                elif tuple(net.weight.shape) != (1, 2) or (net.in_features, net.out_features) != (2, 1):
                    f.add("wrong-shape", f"[{case.name}] make_net weight shape {tuple(net.weight.shape)}")
                elif not close(net.weight.detach(), W0.T, rt):
                    f.add("wrong-value", f"[{case.name}] make_net weight {net.weight.detach().tolist()}")
                elif net.bias is None:
                    pred = call(net, X.clone())
                    if not pred.ok:
                        f.add("runtime-error", f"[{case.name}] net(X) raised {type(pred.exc).__name__}: {pred.exc}")
                    elif not close(pred.value.detach(), X @ W0, rt):
                        f.add("wrong-value", f"[{case.name}] net(X) != X @ What")
                    # does training the returned net move the caller's What (shared storage)?
                    with torch.no_grad():
                        net.weight.add_(1.0)
                    if not torch.equal(W.detach(), W0):
                        f.note(f"[{case.name}] make_net's weight shares storage with What")
        if hasattr(mod, "train_net"):
            lr = case.alpha_mse
            net = ref4.make_net(fresh(W0))
            Xc, yc = X.clone(), y.clone()
            EVENTS.clear()
            out = call(mod.train_net, Xc, yc, net, lr, case.epochs)
            events = list(EVENTS)
            sbb, zgbs = _order_problems()
            rnet = ref4.make_net(fresh(W0))
            want = torch.tensor(ref4.train_net(X, y, rnet, lr, case.epochs), dtype=torch.float64)
            if not unchanged([X, y], (Xc, yc)):
                f.add("input-mutated", f"[{case.name}] train_net changed X or y")
            if not out.ok:
                error_code("train_net", out, f)
                continue
            losses = history(out.value)
            if losses is None or (losses.numel() and losses.shape[1] != 1):
                f.add("wrong-type", f"[{case.name}] train_net returned {type(out.value).__name__}, not a loss history")
                continue
            losses = losses.reshape(-1)
            Wfinal = net.weight.detach().double().reshape(1, -1)
            used_sgd = any(e[0] == "sgd" for e in events)
            used_mse = any(e[0] == "mse_loss" for e in events)
            lrs = [e[1] for e in events if e[0] == "sgd"]
            if sbb:
                f.add("step-before-backward", f"[{case.name}] optimizr.step() ran before loss.backward()")
            if zgbs:
                f.add("zero-grad-before-step", f"[{case.name}] zero_grad() between backward() and step()")
            if close(losses, want, rt) and close(Wfinal, rnet.weight.detach().double().reshape(1, -1), rt):
                missing = [name for name, used in (("torch.optim.SGD", used_sgd), ("torch.nn.MSELoss", used_mse)) if not used]
                if missing:
                    f.add("not-using-torch-api", f"[{case.name}] right values without {', '.join(missing)}")
                continue
            mrt = 1e-3 if rt > 1e-5 else 1e-6
            t_lag = simulate(case, "mse", lr, case.epochs, lag=True)
            t_frozen = simulate(case, "mse", lr, case.epochs, frozen=True)
            if close(losses, t_lag.losses, mrt) and close(Wfinal, t_lag.Ws[-1:], mrt):
                f.add("step-before-backward" if sbb else "wrong-value", f"[{case.name}] updates lag one epoch behind")
            elif close(losses, t_frozen.losses, mrt) and close(Wfinal, t_frozen.Ws[-1:], mrt):
                f.add("zero-grad-before-step" if zgbs and not sbb else "step-before-backward" if sbb else "wrong-value",
                      f"[{case.name}] the net never moves")
            elif lrs and abs(lrs[0] / lr - 1) > 1e-9 and close(losses, simulate(case, "mse", lrs[0], case.epochs).losses, mrt):
                f.add("wrong-learning-rate", f"[{case.name}] SGD built with lr={lrs[0]:g} instead of {lr:g}")
            else:
                code, why = explain_training(case, "mse", lr, losses, Wfinal, ["sse"], mrt)
                f.add(code, f"[{case.name}] train_net: {why}")


def check_ex5(mod: Any, path: str, f: Findings) -> None:
    lec, small = CASES
    grids = [
        ("lecture 34x25", lec, torch.arange(-6, 11, 0.5), torch.arange(-6, 11, 0.7), True),
        ("lecture 34x34", lec, torch.arange(-6, 11, 0.5), torch.arange(-6, 11, 0.5), False),
        ("small-f64 5x3", small, torch.linspace(-1, 2, 5, dtype=torch.float64), torch.linspace(-3, 0, 3, dtype=torch.float64), False),
    ]
    if hasattr(mod, "loss_surface"):
        for name, case, w0, w1, trace in grids:
            x, y = case.x, case.y
            args = (w0.clone(), w1.clone(), x.clone(), y.clone())
            out = call(mod.loss_surface, *args, trace_file=path if trace else None)
            want = ref5.loss_surface(w0, w1, x, y)
            if not unchanged([w0, w1, x, y], args):
                f.add("input-mutated", f"[{name}] loss_surface changed its inputs (values or shape)")
            if not out.ok:
                error_code("loss_surface", out, f)
                continue
            v = out.value
            if not torch.is_tensor(v):
                f.add("wrong-type", f"[{name}] loss_surface returned {type(v).__name__}")
                continue
            if tuple(v.shape) != tuple(want.shape):
                tr = tuple(v.shape) == tuple(want.T.shape) and close(v.detach(), want.T, case.rtol)
                f.add("wrong-shape", f"[{name}] loss_surface shape {tuple(v.shape)} != {tuple(want.shape)}" + (" (transposed)" if tr else ""))
                continue
            rt = case.rtol if v.dtype == torch.float64 or case.X.dtype == torch.float32 else 1e-5
            if not close(v.detach(), want, rt):
                tr = close(v.detach(), want.T, rt)
                f.add("wrong-shape" if tr else "wrong-value", f"[{name}] loss_surface values differ" + (" (transposed)" if tr else ""))
                continue
            if v.dtype != want.dtype:
                f.note(f"[{name}] loss_surface dtype {v.dtype} (reference {want.dtype})")
            if trace:
                rows, cols = len(w0), len(w1)
                if out.lines >= min(rows, cols):
                    f.add("python-loop", f"[{name}] {out.lines} Python lines for a {rows}x{cols} grid")
                else:
                    f.note(f"{out.lines} lines traced for the {rows}x{cols} grid")
    for case in CASES:
        X = case.X
        if hasattr(mod, "critical_alpha"):
            out = call(mod.critical_alpha, X.clone())
            want = ref5.critical_alpha(X)
            if not out.ok:
                error_code("critical_alpha", out, f)
            else:
                v = as_number(out.value)
                if v is None:
                    f.add("wrong-type", f"[{case.name}] critical_alpha returned {type(out.value).__name__}")
                elif not math.isclose(v, want, rel_tol=1e-4):
                    f.add("wrong-value", f"[{case.name}] critical_alpha={v:.6g}, want {want:.6g}")
                elif torch.is_tensor(out.value):
                    f.note(f"critical_alpha returns a {out.value.dim()}-d tensor")
        if hasattr(mod, "classify_alpha"):
            c = ref5.critical_alpha(X)
            alphas = [c * k for k in (0.01, 0.2, 0.5 * (1 - 1e-3), 0.5 * (1 + 1e-3), 0.75, 1 - 1e-3, 1 + 1e-3, 1.5, 2.5)]
            if case.name == "lecture":
                alphas += [0.0001, 0.001, 0.0083, 0.0085, 0.01]
            wrong = []
            for a in alphas:
                out = call(mod.classify_alpha, X.clone(), a)
                want = ref5.classify_alpha(X, a)
                if not out.ok:
                    error_code("classify_alpha", out, f)
                    break
                if not isinstance(out.value, str) or out.value not in CATEGORIES:
                    f.add("wrong-type", f"[{case.name}] classify_alpha({a:.6g}) returned {out.value!r}")
                    break
                if out.value != want:
                    wrong.append(f"{a:.5g}: {out.value} (want {want})")
            if wrong:
                f.add("wrong-classification", f"[{case.name}] " + "; ".join(wrong[:3]) + (" ..." if len(wrong) > 3 else ""))


CHECKS = {1: check_ex1, 2: check_ex2, 3: check_ex3, 4: check_ex4, 5: check_ex5}


# ----------------------------------------------------------------------------
# driver


@dataclass
class Result:
    path: pathlib.Path
    exercise: int
    expect: str
    why: str
    observed: str
    findings: Findings = field(default_factory=Findings)

    @property
    def ok(self) -> bool:
        return self.observed == self.expect


def header(path: pathlib.Path) -> tuple[str, str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    m1 = re.fullmatch(r"# expect: (\S+)", lines[0] if lines else "")
    m2 = re.fullmatch(r"# why: (.+)", lines[1] if len(lines) > 1 else "")
    if not (m1 and m2):
        raise SystemExit(f"{path}: lines 1-2 must be '# expect: <outcome>' and '# why: ...'")
    return m1.group(1), m2.group(1)


def run_file(path: pathlib.Path) -> Result:
    exercise = int(path.parent.name.removeprefix("exercise"))
    expect, why = header(path)
    f = Findings()
    res = Result(path, exercise, expect, why, "", f)
    src = path.read_text(encoding="utf-8")
    try:
        compile(src, str(path), "exec")
    except SyntaxError as e:
        f.add("syntax-error", f"{type(e).__name__} line {e.lineno}: {e.msg}")
        res.observed = f.verdict()
        return res
    name = f"corpus_ex{exercise}_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    out = call(spec.loader.exec_module, mod)
    if not out.ok:
        f.add("runtime-error", f"import raised {type(out.exc).__name__}: {out.exc}")
        res.observed = f.verdict()
        return res
    for fn in FUNCTIONS[exercise]:
        if not callable(getattr(mod, fn, None)):
            f.add("missing-function", f"{fn} is not defined")
    torch.manual_seed(0)  # nn.Linear's random init (bias) the same for every run
    CHECKS[exercise](mod, str(path), f)
    res.observed = f.verdict()
    return res


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="*", type=pathlib.Path, help="submission files (default: the whole corpus)")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every finding and note")
    args = ap.parse_args(argv)
    files = args.files or sorted(HERE.glob("exercise[1-5]/*.py"))
    results = [run_file(p.resolve()) for p in files]

    w = max(len(f"{r.path.parent.name}/{r.path.name}") for r in results)
    print(f"{'file':<{w}}  {'expect':<22} {'observed':<22} ok  first finding")
    for r in results:
        rel = f"{r.path.parent.name}/{r.path.name}"
        first = r.findings.items[0][1] if r.findings.items else "matches the reference on every check"
        # show the finding that decided the verdict
        for code, detail in r.findings.items:
            if code == r.observed:
                first = detail
                break
        print(f"{rel:<{w}}  {r.expect:<22} {r.observed:<22} {'OK' if r.ok else '!!'}  {first}")
        if args.verbose or not r.ok:
            for code, detail in r.findings.items:
                print(f"{'':<{w}}    - {code}: {detail}")
            for note in r.findings.notes:
                print(f"{'':<{w}}    * note: {note}")
    bad = [r for r in results if not r.ok]
    codes = sorted({r.expect for r in results})
    print(f"\n{len(results)} files, {len(results) - len(bad)} as expected, {len(bad)} not; outcomes covered: {', '.join(codes)}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
