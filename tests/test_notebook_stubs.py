"""The notebook stubs: generated from the references beside the .py stubs, copied by `grade init --notebook`, gradable."""
from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from grader.cli import main as cli
from grader.authoring import stubs
from grader.execution.grading import Options, grade
from grader.intake.submission import Submission

EXERCISES = Path(__file__).resolve().parent.parent / "exercises"


@pytest.mark.parametrize("n", range(1, 6))
def test_notebook_stub_is_the_py_stub_in_cells(n: int) -> None:
    name = f"exercise{n}"
    text = (EXERCISES / f"{name}.ipynb").read_text(encoding="utf-8")
    assert text == stubs.expected_stubs()[f"{name}.ipynb"], "stale: run python -m grader.authoring.stubs --write"
    nb = nbformat.reads(text, as_version=4)
    nbformat.validate(nb)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    py = (EXERCISES / f"{name}.py").read_text(encoding="utf-8")
    # Every function of the .py stub is a cell of its own, docstrings and all.
    functions = [c for c in code if c.startswith("def ")]
    assert functions and all(f in py for f in functions)
    assert len(functions) == py.count("\ndef ")
    assert code[1].startswith("torch.manual_seed(43052)")
    assert code[-1] == f'from grader import check\ncheck("{name}")'


def test_init_notebook_writes_notebooks_and_keeps_existing_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "exercise2.ipynb").write_text("{}")
    assert cli.main(["init", "--notebook", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "kept" in out and "exercise2.ipynb" in out
    assert (tmp_path / "exercise2.ipynb").read_text() == "{}"
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"exercise{n}.ipynb" for n in range(1, 6)]
    assert json.loads((tmp_path / "exercise4.ipynb").read_text(encoding="utf-8"))["nbformat"] == 4


def test_a_notebook_stub_scores_zero_as_not_implemented(tmp_path: Path) -> None:
    stubs.write_stubs(str(tmp_path), notebook=True)
    result = grade(Submission(str(tmp_path / "exercise2.ipynb"), "ipynb", "exercise2"), Options(device="off"))
    assert result.score == 0
    assert {c.diagnosis for c in result.checks} == {"not-implemented"}
