"""Writes the notebook corpus of tests/test_notebook.py: ``python tests/notebooks/make_corpus.py``.

Each valid notebook carries what grading it must give in
``metadata["grader_expect"]``: the exercise, the outcome, the functions it
defines, and the cells that raise (index in ``nb.cells``, exception type,
whether it is a timeout).  Cell ids are fixed so that regenerating gives the
same files.
"""
from __future__ import annotations

import json
import os
from typing import Any

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = os.path.dirname(os.path.abspath(__file__))

# The escape notebook tries to write here; the tests look for it.
ESCAPE_MARKER = "/tmp/escape-marker-grader-notebook"

IMPORTS = """import torch
import matplotlib.pyplot as plt
%matplotlib inline"""

DATA = """torch.manual_seed(43052)
x,_ = torch.randn(100).sort()
eps = torch.randn(100)*0.5
X = torch.stack([torch.ones(100),x],axis=1)
W = torch.tensor([[2.5],[4.0]])
y = X@W + eps.reshape(100,1)"""

DATA_PLOT = """plt.plot(x,y,'o')
plt.show()"""

TRAIN = """def train(X, y, What, alpha, epochs):
    loss_history = []
    What_history = [What.data.reshape(-1).tolist()]
    for epoc in range(epochs):
        # step1: yhat
        yhat = X@What
        # step2: loss
        loss = torch.sum((y-yhat)**2)
        # step3: 미분
        loss.backward()
        # step4: update
        {update}
        loss_history.append(loss.item())
        What_history.append(What.data.reshape(-1).tolist())
    return loss_history, What_history"""

UPDATE_OK = "What.data = What.data - alpha * What.grad\n        What.grad = None"
UPDATE_NOT_CLEARED = "What.data = What.data - alpha * What.grad"
UPDATE_ASCENT = "What.data = What.data + alpha * What.grad\n        What.grad = None"

RUN = """%%time
What = torch.tensor([[-5.0],[10.0]],requires_grad=True)
loss_history, What_history = train(X, y, What, alpha=0.001, epochs=30)"""

RESULT_PLOT = """fig, ax = plt.subplots(1, 2, figsize=(8, 3))
ax[0].plot(loss_history)
ax[0].set_title('loss')
ax[1].plot(x, y, 'o')
ax[1].plot(x, (X@What).data, '--')
plt.show()"""

SHOW = "What.data"
DISPLAY = "display(What_history[-1])"

EX1 = """def predict(X, What):
    return X@What

def sse_loss(yhat, y):
    return {loss}

def gradient_step(X, y, What, alpha):
    yhat = predict(X, What)    # step1
    loss = sse_loss(yhat, y)   # step2
    loss.backward()            # step3
    What.data = What.data - alpha * What.grad   # step4
    What.grad = None
    return loss"""

EX1_RUN = """What = torch.tensor([[-5.0],[10.0]],requires_grad=True)
for epoc in range(30):
    loss = gradient_step(X, y, What, 0.001)
print(loss.item(), What.data.reshape(-1).tolist())"""


def cell(source: str, kind: str = "code") -> Any:
    return new_code_cell(source) if kind == "code" else new_markdown_cell(source)


def md(source: str) -> Any:
    return new_markdown_cell(source)


def train_cells(update: str = UPDATE_OK) -> list[Any]:
    return [
        cell(IMPORTS),
        md("## 데이터"),
        cell(DATA),
        cell(DATA_PLOT),
        md("## 학습"),
        cell(TRAIN.format(update=update)),
        cell(RUN),
        cell(RESULT_PLOT),
        cell(SHOW),
        cell(DISPLAY),
    ]


def notebook(title: str, cells: list[Any], expect: dict[str, Any]) -> Any:
    nb = new_notebook(
        cells=[md(title)] + cells,
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"},
            "language_info": {"name": "python"},
            "grader_expect": expect,
        },
    )
    for i, c in enumerate(nb.cells):
        c["id"] = f"cell-{i}"
    return nb


def ex2(outcome: str, cell_errors: list[dict[str, Any]] | None = None, functions: list[str] | None = None) -> dict[str, Any]:
    return {
        "exercise": "exercise2",
        "outcome": outcome,
        "functions": functions or ["train"],
        "cell_errors": cell_errors or [],
    }


def error(index: int, kind: str, timed_out: bool = False) -> dict[str, Any]:
    return {"index": index, "type": kind, "timed_out": timed_out}


def corpus() -> dict[str, Any]:
    nbs: dict[str, Any] = {}
    nbs["ex2_correct"] = notebook("# 연습 2: 학습 루프 (정답)", train_cells(), ex2("full-marks"))
    nbs["ex2_grad_not_cleared"] = notebook(
        "# 연습 2: What.grad를 비우지 않음", train_cells(UPDATE_NOT_CLEARED), ex2("grad-not-cleared")
    )
    nbs["ex2_gradient_ascent"] = notebook(
        "# 연습 2: 기울기를 더함 (경사상승)", train_cells(UPDATE_ASCENT), ex2("gradient-ascent")
    )
    # 11: a typo; 12: the student's own function raises (What without requires_grad);
    # 13: a syntax error; 14 still runs.
    stray = train_cells() + [
        cell("print(loss_histroy[-1])"),
        cell("train(X, y, torch.tensor([[-5.0],[10.0]]), 0.001, 3)"),
        cell("for epoc in range(3)\n    print(epoc)"),
        cell("stray_done = True\nprint('after the failing cells')"),
    ]
    nbs["ex2_stray_error"] = notebook(
        "# 연습 2: 정의 뒤에 실패하는 셀",
        stray,
        ex2("full-marks", [error(11, "NameError"), error(12, "RuntimeError"), error(13, "SyntaxError")]),
    )
    hang = train_cells() + [
        cell("# 끝나지 않는 셀\nwhile True:\n    pass"),
        cell("import time\ntime.sleep(10**6)"),
        cell("def after_hang():\n    return 'ran'"),
    ]
    nbs["ex2_hang"] = notebook(
        "# 연습 2: 멈추지 않는 셀",
        hang,
        ex2("full-marks", [error(11, "KeyboardInterrupt", True), error(12, "KeyboardInterrupt", True)], ["train", "after_hang"]),
    )
    escape = train_cells() + [
        cell("!touch ../escaped.txt"),
        cell(f"!echo x > {ESCAPE_MARKER}"),
        cell("%%bash\necho inside > inside.txt\ncat inside.txt"),
        cell("%%bash\necho x > ../escaped-bash.txt"),
        cell("!ls"),
    ]
    # Which of these cells fail depends on the sandbox (no pty, no writes outside the workdir): null.
    nbs["ex2_shell_escape"] = notebook("# 연습 2: 샌드박스 밖에 쓰려는 셸 명령", escape, dict(ex2("full-marks"), cell_errors=None))
    ask = [cell(IMPORTS), cell(DATA), cell('name = input("이름을 입력하세요: ")'), cell(TRAIN.format(update=UPDATE_OK)), cell(RUN)]
    nbs["ex2_input"] = notebook("# 연습 2: input()을 부르는 셀", ask, ex2("full-marks", [error(3, "StdinNotImplementedError")]))
    # The import cell was deleted: the data cell and the run fail, and train fails when graded.
    forgot = [cell("import matplotlib.pyplot as plt\n%matplotlib inline"), cell(DATA), cell(TRAIN.format(update=UPDATE_OK)), cell(RUN)]
    nbs["ex2_no_import"] = notebook(
        "# 연습 2: import torch 셀을 지움", forgot, ex2("runtime-error", [error(2, "NameError"), error(4, "NameError")])
    )
    ex1 = [cell(IMPORTS), cell(DATA), cell(EX1.format(loss="torch.sum((y-yhat)**2)")), cell(EX1_RUN)]
    ex1_expect = {"exercise": "exercise1", "outcome": "full-marks", "functions": ["predict", "sse_loss", "gradient_step"], "cell_errors": []}
    nbs["ex1_correct"] = notebook("# 연습 1: 경사하강법 한 스텝 (정답)", ex1, ex1_expect)
    ex1_mean = [cell(IMPORTS), cell(DATA), cell(EX1.format(loss="torch.mean((y-yhat)**2)")), cell(EX1_RUN)]
    nbs["ex1_mean_loss"] = notebook("# 연습 1: SSE 대신 MSE", ex1_mean, dict(ex1_expect, outcome="wrong-loss"))
    return nbs


def old_v40() -> dict[str, Any]:
    """A notebook as Jupyter wrote them in 2015: nbformat 4.0, no cell ids, sources as lists of lines."""
    sources = [IMPORTS, DATA, TRAIN.format(update=UPDATE_OK), RUN]
    cells: list[dict[str, Any]] = [{"cell_type": "markdown", "metadata": {}, "source": ["# 연습 2 (nbformat 4.0)"]}]
    for source in sources:
        lines = source.splitlines(keepends=True)
        cells.append({"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": lines})
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "grader_expect": ex2("full-marks"),
        },
        "nbformat": 4,
        "nbformat_minor": 0,
    }


def main() -> None:
    for name, nb in corpus().items():
        nbformat.validate(nb)
        with open(os.path.join(HERE, f"{name}.ipynb"), "w", encoding="utf-8") as handle:
            nbformat.write(nb, handle)
    old = old_v40()
    nbformat.validate(nbformat.from_dict(old))
    with open(os.path.join(HERE, "ex2_old_v40.ipynb"), "w", encoding="utf-8") as handle:
        json.dump(old, handle, indent=1, ensure_ascii=False)
        handle.write("\n")
    # Broken files: a save cut short, JSON that is no notebook, a notebook that breaks the schema.
    text = nbformat.writes(corpus()["ex2_correct"])
    with open(os.path.join(HERE, "broken_truncated.ipynb"), "w", encoding="utf-8") as handle:
        handle.write(text[: len(text) * 3 // 5])
    with open(os.path.join(HERE, "broken_not_a_notebook.ipynb"), "w", encoding="utf-8") as handle:
        json.dump({"student": "kim", "answers": [1, 2, 3]}, handle)
        handle.write("\n")
    bad = json.loads(text)
    bad["cells"][5]["source"] = 42
    bad["metadata"]["grader_expect"] = {"exercise": "exercise2", "outcome": "invalid-notebook", "functions": [], "cell_errors": []}
    with open(os.path.join(HERE, "broken_schema.ipynb"), "w", encoding="utf-8") as handle:
        json.dump(bad, handle, indent=1, ensure_ascii=False)
        handle.write("\n")


if __name__ == "__main__":
    main()
