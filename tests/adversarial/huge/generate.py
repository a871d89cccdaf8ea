"""Hostile submissions that attack the grader's own costs (issue 17: "the grader's own costs are bounded").

The grader parses each submission itself, outside every sandbox limit.  These
files are too large to keep in the repository, so they are made here, from a
correct solution: each is correct underneath its bulk, so that only a bound on
what the grader reads can stop it.  ``python tests/adversarial/huge/generate.py DIR``
writes them all, to try them by hand (``grade DIR/huge_source.py --exercise exercise2``).
"""
from __future__ import annotations

import base64
import json
import sys
from pathlib import Path
from typing import Any, Callable

CORRECT = '''import torch


def train(X, y, What, alpha, epochs):
    loss_history = []
    What_history = [What.data.reshape(-1).tolist()]
    for epoc in range(epochs):
        yhat = X @ What
        loss = torch.sum((y - yhat) ** 2)
        loss.backward()
        What.data = What.data - alpha * What.grad
        What.grad = None
        loss_history.append(loss.item())
        What_history.append(What.data.reshape(-1).tolist())
    return loss_history, What_history
'''

DATA = '''torch.manual_seed(43052)
x, _ = torch.randn(100).sort()
eps = torch.randn(100) * 0.5
X = torch.stack([torch.ones(100), x], axis=1)
y = X @ torch.tensor([[2.5], [4.0]]) + eps.reshape(100, 1)
'''


# --------------------------------------------------------------------------
# .py files: the correct train, then bulk up to ``size`` bytes


def _fill(line: Callable[[int], str], size: int, head: str = CORRECT) -> str:
    parts, total, i = [head], len(head.encode()), 0
    while True:
        piece = line(i)
        if total + len(piece) > size:
            return "".join(parts)
        parts.append(piece)
        total += len(piece)
        i += 1


def tiny_functions(size: int) -> str:
    """As the issue's 1.6 MB file: thousands of small functions after a correct train."""
    return _fill(lambda i: f"\n\ndef helper_{i}(a, b):\n    return a * {i} + b - {i}\n", size)


def dense_names(size: int) -> str:
    """The most tree per byte: one list of a name repeated (two bytes per node), on one very long line."""
    body = "a," * max((size - len(CORRECT) - 16) // 2, 0)
    return CORRECT + "\na = 0\nB = [" + body + "]\n"


def long_lines(size: int) -> str:
    """Very long lines: each a sum of thousands of terms (a flat, wide tree)."""
    return _fill(lambda i: f"\nv{i} = " + " + ".join(["1"] * 400) + "\n", size)


def deep_nesting(depth: int = 5_000) -> str:
    """A correct train and one expression nested deeper than Python's parser goes (``1 + 1 + ...``)."""
    return CORRECT + "\nDEEP = " + "1 + " * depth + "1\n"


def deep_unary(depth: int = 10_000) -> str:
    """``- - - ... 1``: the parser's own stack overflows (MemoryError, not RecursionError)."""
    return CORRECT + "\nDEEP = " + "-" * depth + "1\n"


# --------------------------------------------------------------------------
# notebooks


def _cell(source: str, outputs: list[Any] | None = None) -> dict[str, Any]:
    return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": outputs or [], "source": source.splitlines(keepends=True)}


def notebook(cells: list[dict[str, Any]], **metadata: Any) -> bytes:
    return json.dumps({"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": 4}).encode()


def correct_notebook_with_figures(size: int) -> bytes:
    """A correct notebook whose outputs (PNG figures, as Jupyter stores them) make it ``size`` bytes.

    What a real student's notebook with many plots or an animation looks like:
    it must get full marks under the default caps.
    """
    figure = base64.b64encode(bytes(range(256)) * 1024).decode()  # 256 KiB of PNG-like bytes, in base64
    per = len(figure) + 200
    outputs = [{"output_type": "display_data", "data": {"image/png": figure, "text/plain": ["<Figure size 432x288 with 1 Axes>"]}, "metadata": {}}
               for _ in range(max(size // per, 1))]
    return notebook([_cell("import torch"), _cell(DATA), _cell(CORRECT.split("\n", 1)[1]), _cell("train(X, y, torch.tensor([[-5.0], [10.0]], requires_grad=True), 0.001, 30)", outputs)])


def many_cells(count: int = 100_000, code: bool = False) -> bytes:
    """A correct notebook followed by ``count`` tiny cells (markdown, or ``code`` cells)."""
    tiny = (lambda i: _cell(f"v = {i}")) if code else (lambda i: {"cell_type": "markdown", "metadata": {}, "source": f"{i}"})
    return notebook([_cell(CORRECT), *(tiny(i) for i in range(count))])


def many_items(size: int) -> bytes:
    """A correct notebook whose metadata holds tiny JSON strings up to ``size`` bytes: an object per 5 bytes."""
    count = max((size - 2000) // 5, 0)
    head = notebook([_cell(CORRECT)], junk=[])
    return head.replace(b'"junk": []', b'"junk": [' + b'"ab",' * count + b'"ab"]')


def hidden_in_deep_cell() -> bytes:
    """Tampering in a cell the grader's parser cannot read, once an earlier cell raised the recursion limit.

    Python in the worker would compile it; a grader that skipped the cell as
    "unparsable" would never see the ``sys.settrace`` in it.
    """
    return notebook([_cell("import sys\nsys.setrecursionlimit(200000)"), _cell(CORRECT), _cell("import sys\nsys.settrace(None)\nDEEP = " + "1 + " * 5000 + "1\n")])


def many_commands(commands: int = 600, filler: int = 30_000, tail: str = "") -> bytes:
    """One cell of many IPython commands and much code, with tampering at its end.

    IPython's transformer tokenizes the whole cell again after each command it
    rewrites (up to 500 times): read that way, the cell costs the grader minutes.
    """
    cell = "import sys\n" + "a = !ls\n" * commands + "x = 1\n" * filler + "sys.settrace(None)\n" + tail
    return notebook([_cell(CORRECT), _cell(cell)])


FILES: dict[str, Callable[[], Any]] = {
    "huge_source.py": lambda: tiny_functions(1_600_000),
    "dense_names.py": lambda: dense_names(1_600_000),
    "long_lines.py": lambda: long_lines(1_600_000),
    "deep_nesting.py": deep_nesting,
    "deep_unary.py": deep_unary,
    "huge_notebook.ipynb": lambda: correct_notebook_with_figures(80 * 1024**2),
    "many_cells.ipynb": many_cells,
    "many_items.ipynb": lambda: many_items(32 * 1024**2),
    "hidden_in_deep_cell.ipynb": hidden_in_deep_cell,
    "many_commands.ipynb": many_commands,
    "unreadable_commands.ipynb": lambda: many_commands(tail="d['k'] = !ls \\\n  -la\n"),
}


def write(folder: Path, name: str) -> Path:
    content = FILES[name]()
    path = folder / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    target.mkdir(parents=True, exist_ok=True)
    for file in FILES:
        print(write(target, file))
