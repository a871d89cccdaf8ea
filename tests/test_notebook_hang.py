"""A hung cell costs only itself, and a notebook's syntax error is named at its cell; every output says so."""
from __future__ import annotations

import json
from pathlib import Path

import nbformat

from grader.worker import notebook
from grader.execution.grading import Options, grade
from grader.report.json_output import to_document
from grader.report.terminal import render_terminal
from grader.worker.sandbox.limits import Limits
from grader.intake.submission import Submission
from conftest import LECTURE_DATA

TRAIN = (Path(__file__).resolve().parent / "submissions" / "exercise2" / "lecture_style.py").read_text(encoding="utf-8")


def write(tmp_path: Path, cells: list[str], name: str = "exercise2.ipynb") -> str:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    path = tmp_path / name
    nbformat.write(nb, str(path))
    return str(path)


def test_defaults_let_a_hung_cell_cost_only_itself() -> None:
    options = Options()
    # The notebook's share of the submission's time leaves room for several hung cells and the rest.
    assert options.limits.timeout * notebook.NOTEBOOK_SHARE >= 3 * options.cell_timeout + 5
    assert notebook.DEFAULT_CELL_TIMEOUT == options.cell_timeout


def test_hung_cells_before_and_after_the_definitions(tmp_path: Path) -> None:
    path = write(tmp_path, ["import torch", "while True:\n    pass", LECTURE_DATA, TRAIN, "import time\nwhile True:\n    time.sleep(0.01)", "print('after')"])
    # Small limits keep the test short; the proportions are the defaults' (see above).
    result = grade(Submission(path, "ipynb", "exercise2"), Options(cell_timeout=1.5, limits=Limits(timeout=15), device="off"))
    assert result.full_marks, [(c.name, c.diagnosis) for c in result.checks]
    assert [(c.count, c.timed_out) for c in result.run.cells] == [(2, True), (5, True)]
    assert "after" in result.run.stdout.text
    terminal = render_terminal(result)
    assert "Cell In [2] was interrupted: the cell ran past its 1.5 s limit (--cell-timeout)" in terminal
    assert "Cell In [5] was interrupted" in terminal
    document = json.loads(json.dumps(to_document(result)))
    assert [(c["cell"], c["status"]) for c in document["cells"]] == [(2, "timed-out"), (5, "timed-out")]
    assert "--cell-timeout" in document["cells"][0]["message"]


def test_a_notebook_with_a_syntax_error_gets_syntax_error_at_its_cell(tmp_path: Path) -> None:
    broken = TRAIN.replace("for epoc in range(epochs):", "for epoc in range(epochs)")
    assert broken != TRAIN
    path = write(tmp_path, ["import torch", LECTURE_DATA, broken])
    result = grade(Submission(path, "ipynb", "exercise2"), Options(device="off"))
    assert result.score == 0
    assert result.diagnosis == "syntax-error"
    assert {c.diagnosis for c in result.checks} == {"syntax-error"}
    assert result.error is not None and result.error.frames[-1].filename == "exercise2.ipynb, Cell In [3]"
    line = next(i for i, text in enumerate(broken.splitlines(), 1) if "for epoc in range(epochs)" in text)
    assert result.error.line == line
    terminal = render_terminal(result)
    assert "missing-function" not in terminal and "Cell In [3]" in terminal


def test_a_check_cell_does_nothing_while_the_grader_runs_the_notebook(tmp_path: Path) -> None:
    # The stub notebook's last cell, and the magic: neither grades nor fails here.
    path = write(tmp_path, ["import torch", LECTURE_DATA, TRAIN, 'from grader import check\nr = check("exercise2")', "%load_ext grader", "%grade exercise2"])
    result = grade(Submission(path, "ipynb", "exercise2"), Options(device="off"))
    assert result.full_marks
    assert result.run.cells == ()
