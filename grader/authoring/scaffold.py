"""``grade pack new NAME``: a complete, working pack to start from.

The scaffold is a small exercise (a straight line fitted by gradient descent,
by hand) with every part a pack can have: ``pack.toml`` with its comments,
a reference with solution markers, a Hypothesis strategy, a named
misconception, a hidden check, and two examples.  ``grade pack check NAME``
passes on it as written; edit it into your own exercise.
"""
from __future__ import annotations

import os

PACK_TOML = '''# An exercise pack: the spec of the exercise "{name}".  See the README, "Exercise packs".
format = 1

[exercise]
name = "{name}"
summary = {{ en = "a straight line by gradient descent: fit", ko = "경사하강법으로 직선 맞추기: fit" }}
reference = "reference.py"          # the solution, with # BEGIN SOLUTION / # END SOLUTION markers
helpers = ["cases.py"]               # Python run in the grader only: strategies and hooks
stub_setup = "data"                  # the setup block the stubs show as the data
show_reference_lines = false         # hints may not quote the reference's own lines

# Code run before a call, in the grader and in the examples shown to students.
[setup.data]
code = """
torch.manual_seed(0)
x = torch.linspace(0, 1, 50).reshape(50, 1)
y = 3 * x + 1 + torch.randn(50, 1) * 0.1
"""

[[function]]
name = "fit"
returns = "loss_history"             # the stub's return statement, for "did you forget `return ...`?"
args = [
    {{ name = "x", role = "data" }},               # only read: must be unchanged
    {{ name = "y", role = "data" }},
    {{ name = "w", role = "parameter" }},          # trained in place
    {{ name = "lr", role = "learning-rate" }},
    {{ name = "epochs", role = "epochs" }},
]
result = [{{ kind = "series", name = "loss_history", item = "scalar", length = "epochs" }}]
# The checks and their points: lecture, generated, in-place, grad-cleared, inputs-unchanged,
# device, api (requires), no-loop (requires).  A kind left out is not checked.
points = {{ lecture = 2, generated = 2, in-place = 1, inputs-unchanged = 1, device = 1 }}
lecture = {{ setup = ["data"], before = "w = torch.zeros(2, requires_grad=True)", call = "fit(x, y, w, lr=0.5, epochs=20)" }}
generated = "fit_cases"              # a helper in cases.py: a Hypothesis strategy of argument dicts

# A mistake worth its own words: the reference with one change.
[[misconception]]
id = "no-mean"
function = "fit"
code = "wrong-loss"
find = "torch.mean("
replace = "torch.sum("
why = {{ en = "The loss is a mean over the points, not their sum: the sum makes every step n times larger.", ko = "손실은 점들의 합이 아니라 평균입니다: 합을 쓰면 업데이트 폭이 n배가 됩니다." }}

# A check of the pack's own, with its title and points (hidden: the student sees only these).
[[check]]
name = "long-runs"
function = "fit"
title = {{ en = "`fit` on long runs", ko = "긴 학습에서 `fit`" }}
points = 1
hidden = true
calls = [{{ setup = ["data"], before = "w = torch.zeros(2, requires_grad=True)", call = "fit(x, y, w, lr=0.5, epochs=200)" }}]
'''

REFERENCE = '''"""{name}: a straight line y = w[0] + w[1] * x, fitted by gradient descent by hand.
{name}: 경사하강법으로 직선 y = w[0] + w[1] * x 맞추기.
"""
import torch


def fit(x, y, w, lr, epochs):
    """Run `epochs` gradient-descent steps on the mean squared error, updating w in place.
    평균제곱오차로 경사하강법을 `epochs`번 반복하고 w를 제자리에서 업데이트하세요.

    x, y: (n, 1) float32 tensors. w: (2,) with requires_grad. / x, y는 (n, 1), w는 (2,) 텐서입니다.
    Return loss_history: the loss before each update. / 업데이트 전 손실의 목록을 반환하세요.
    """
    # BEGIN SOLUTION
    loss_history = []
    for epoch in range(epochs):
        yhat = w[0] + w[1] * x
        loss = torch.mean((y - yhat) ** 2)
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
        w.grad = None
        loss_history.append(loss.item())
    return loss_history
    # END SOLUTION
'''

CASES = '''"""Generated calls of {name} (run in the grader only)."""
import torch
from hypothesis import strategies as st


@st.composite
def _fit(draw):
    n = draw(st.integers(3, 30), label="n")
    slope = draw(st.integers(-30, 30), label="slope in tenths") / 10
    x = torch.linspace(0, 1, n).reshape(n, 1)
    y = slope * x + 1
    w = torch.tensor([draw(st.integers(-10, 10)) / 10, 0.0], requires_grad=True)
    return {{"x": x, "y": y, "w": w, "lr": draw(st.integers(1, 9), label="lr in tenths") / 10, "epochs": draw(st.integers(1, 15))}}


def fit_cases():
    return _fit()
'''

CORRECT = '''# expect: full-marks
import torch


def fit(x, y, w, lr, epochs):
    history = []
    for _ in range(epochs):
        loss = ((y - (w[0] + w[1] * x)) ** 2).mean()
        loss.backward()
        w.data = w.data - lr * w.grad
        w.grad = None
        history.append(float(loss))
    return history
'''

MISTAKE = '''# expect: grad-not-cleared
import torch


def fit(x, y, w, lr, epochs):
    history = []
    for _ in range(epochs):
        loss = torch.mean((y - (w[0] + w[1] * x)) ** 2)
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
        history.append(loss.item())
    return history
'''


def write(folder: str, name: str) -> list[str]:
    """Write the scaffold of exercise ``name`` into ``folder`` (which must not exist); the paths written."""
    if os.path.exists(folder):
        raise FileExistsError(f"{folder} exists already: `grade pack new` writes a new folder, and never over files.")
    files = {
        "pack.toml": PACK_TOML,
        "reference.py": REFERENCE,
        "cases.py": CASES,
        os.path.join("examples", "correct_data_update.py"): CORRECT,
        os.path.join("examples", "gradient_never_cleared.py"): MISTAKE,
    }
    written = []
    for relative, template in files.items():
        path = os.path.join(folder, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(template.format(name=name))
        written.append(path)
    return written
