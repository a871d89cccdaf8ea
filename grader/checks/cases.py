"""The inputs a submission is graded on: the lecture's data, and generated cases.

The lecture's case is the canonical one (``torch.manual_seed(43052)``, 100 points,
``What`` starting at [[-5], [10]]).  Generated cases come from Hypothesis
strategies over n, x, the true W, the noise, the initial What, a learning rate
inside the stable range, the number of epochs and the dtype.  Values are drawn
on a grid of hundredths so that a shrunk example reads like one a person would
write, and pastes as a short call.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Optional

import torch
from hypothesis import strategies as st

from grader.worker import protocol

LECTURE_SEED = 43052
LECTURE_WHAT = (-5.0, 10.0)
LECTURE_TRUE_W = (2.5, 4.0)
LECTURE_SSE_ALPHA = 0.001
LECTURE_MSE_ALPHA = 0.1
LECTURE_EPOCHS = 30
LECTURE_DIVERGENT_ALPHA = 0.0083

DTYPES = {"float32": torch.float32, "float64": torch.float64}


@dataclass(frozen=True)
class Data:
    """A regression data set: X = [1, x] (n, 2) and y (n, 1)."""

    X: torch.Tensor
    y: torch.Tensor
    true_w: Optional[tuple[float, float]] = None
    lecture: bool = False

    @property
    def n(self) -> int:
        return int(self.X.shape[0])

    @property
    def x(self) -> torch.Tensor:
        """x as the lecture keeps it: ``X[:, [1]]``, shape (n, 1)."""
        return self.X[:, [1]]

    @property
    def dtype(self) -> str:
        return str(self.X.dtype).replace("torch.", "")

    def lam_max(self) -> float:
        """λmax(X'X), computed in float64."""
        X64 = self.X.to(torch.float64)
        return float(torch.linalg.eigvalsh(X64.T @ X64).max())


@dataclass(frozen=True)
class TrainCase:
    """One call of a training function."""

    data: Data
    what0: tuple[float, float]
    alpha: float
    epochs: int

    def What(self, requires_grad: bool = True) -> torch.Tensor:
        return torch.tensor([[self.what0[0]], [self.what0[1]]], dtype=self.data.X.dtype, requires_grad=requires_grad)


def lecture_data(dtype: str = "float32") -> Data:
    """The lecture's data, reproduced exactly (float32 as in the lecture)."""
    generator_state = torch.random.get_rng_state()
    try:
        torch.manual_seed(LECTURE_SEED)
        x, _ = torch.randn(100).sort()
        eps = torch.randn(100) * 0.5
    finally:
        torch.random.set_rng_state(generator_state)
    X = torch.stack([torch.ones(100), x], dim=1)
    W = torch.tensor([[LECTURE_TRUE_W[0]], [LECTURE_TRUE_W[1]]])
    y = X @ W + eps.reshape(100, 1)
    return Data(X=X.to(DTYPES[dtype]), y=y.to(DTYPES[dtype]), true_w=LECTURE_TRUE_W, lecture=True)


def lecture_case(loss: str = "sse") -> TrainCase:
    alpha = LECTURE_SSE_ALPHA if loss == "sse" else LECTURE_MSE_ALPHA
    return TrainCase(lecture_data(), LECTURE_WHAT, alpha, LECTURE_EPOCHS)


# --------------------------------------------------------------------------
# strategies

@st.composite
def datasets(draw: st.DrawFn, min_n: int = 3, max_n: int = 30) -> Data:
    """A data set like the lecture's, smaller: sorted x, a true W, noise, a dtype.

    x and the noise come from a seeded generator rather than one draw per
    point: Hypothesis then shrinks a handful of choices (n, seed, W) instead of
    sixty, which keeps a failing submission's grading fast.
    """
    n = draw(st.integers(min_n, max_n), label="n")
    seed = draw(st.integers(0, 2**16), label="data seed")
    w = draw(st.tuples(st.integers(-50, 50), st.integers(-50, 50)), label="true W")
    noise_scale = draw(st.integers(0, 10), label="noise scale") / 10
    dtype = draw(st.sampled_from(["float32", "float64"]), label="dtype")
    generator = torch.Generator().manual_seed(seed)
    x, _ = (torch.round(torch.randn(n, generator=generator, dtype=torch.float64) * 150) / 100).sort()
    # A design matrix with (almost) constant x has a singular X'X: no unique
    # answer to compare against, and no stable learning rate.
    if float(x[-1] - x[0]) < 0.5:
        x[-1] = x[0] + 0.5
    noise = torch.round(torch.randn(n, generator=generator, dtype=torch.float64) * noise_scale * 100) / 100
    X = torch.stack([torch.ones(n, dtype=torch.float64), x], dim=1)
    true_w = (w[0] / 10, w[1] / 10)
    y = X @ torch.tensor([[true_w[0]], [true_w[1]]], dtype=torch.float64) + noise.reshape(n, 1)
    return Data(X=X.to(DTYPES[dtype]), y=_round(y).to(DTYPES[dtype]), true_w=true_w)


def _round(t: torch.Tensor) -> torch.Tensor:
    return torch.round(t * 10000) / 10000


@st.composite
def train_cases(draw: st.DrawFn, loss: str = "sse", max_epochs: int = 20) -> TrainCase:
    """A training call whose learning rate lies inside the stable range for ``loss``."""
    data = draw(datasets(), label="data")
    what0 = draw(st.tuples(st.integers(-100, 100), st.integers(-100, 100)), label="initial What")
    fraction = draw(st.integers(5, 90), label="alpha as % of the critical rate") / 100
    critical = 1.0 / data.lam_max() * (data.n if loss == "mse" else 1.0)
    alpha = float(f"{fraction * critical:.3g}")
    epochs = draw(st.integers(1, max_epochs), label="epochs")
    return TrainCase(data, (what0[0] / 10, what0[1] / 10), alpha, epochs)


# --------------------------------------------------------------------------
# crossing to the worker, and back to the student as code


def tensor_arg(t: torch.Tensor, requires_grad: bool = False) -> dict[str, Any]:
    return protocol.tensor_spec(t.tolist(), str(t.dtype).replace("torch.", ""), requires_grad)


def train_args(case: TrainCase) -> list[Any]:
    data = case.data
    return [tensor_arg(data.X), tensor_arg(data.y), tensor_arg(case.What(False), True), case.alpha, case.epochs]


def tensor_code(t: torch.Tensor, requires_grad: bool = False) -> str:
    """A tensor as a ``torch.tensor(...)`` literal the student can paste."""
    values = _literal(t.detach().to(torch.float64).tolist())
    extra = ""
    if t.dtype != torch.float32:
        extra += f", dtype=torch.{str(t.dtype).replace('torch.', '')}"
    if requires_grad:
        extra += ", requires_grad=True"
    return f"torch.tensor({values}{extra})"


def _literal(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    return repr(float(f"{value:.6g}"))


def call_code(function: str, arguments: list[tuple[str, str]], data: Optional[Data] = None) -> str:
    """A paste-able reproduction of one call."""
    if data is not None and data.lecture:
        setup = [
            "import torch",
            f"_ = torch.manual_seed({LECTURE_SEED})",  # assigned, so that Python does not echo the generator
            "x, _ = torch.randn(100).sort()",
            "eps = torch.randn(100) * 0.5",
            "X = torch.stack([torch.ones(100), x], axis=1)",
            "y = X @ torch.tensor([[2.5], [4.0]]) + eps.reshape(100, 1)",
        ]
        arguments = [(name, "X" if name == "X" else "y" if name == "y" else code) for name, code in arguments]
    else:
        setup = ["import torch"]
    # The tensor being trained gets a name, so that the example can look at it after the call.
    bound = []
    for name, code in arguments:
        if name == "What" and "requires_grad=True" in code:
            setup.append(f"What = {code}")
            code = "What"
        bound.append((name, code))
    call = f"{function}(" + ", ".join(f"{name}={code}" for name, code in bound) + ")"
    return "\n".join(setup + [f"from submission import {function}  # your file", call])


def train_call_code(function: str, case: TrainCase, lr_name: str = "alpha") -> str:
    data = case.data
    return call_code(
        function,
        [
            ("X", tensor_code(data.X)),
            ("y", tensor_code(data.y)),
            ("What", tensor_code(case.What(False), requires_grad=True)),
            (lr_name, repr(case.alpha)),
            ("epochs", str(case.epochs)),
        ],
        data,
    )


def with_dtype(case: TrainCase, dtype: str) -> TrainCase:
    data = replace(case.data, X=case.data.X.to(DTYPES[dtype]), y=case.data.y.to(DTYPES[dtype]))
    return replace(case, data=data)
