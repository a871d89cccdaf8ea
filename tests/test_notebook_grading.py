"""`grade exercise2.ipynb` grades a notebook exactly as `exercise2.py`; a class batch mixes both."""
import csv
import json
import shutil
from pathlib import Path

import pytest

from conftest import TESTS
from grader.cli import main as cli
from grader.execution.grading import Options, grade
from grader.worker.sandbox.limits import Limits
from grader.intake.submission import locate

NOTEBOOKS = TESTS / "notebooks"


def expected(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("metadata", {}).get("grader_expect") or {}
    except ValueError:
        return {}


CASES = sorted(p for p in NOTEBOOKS.glob("*.ipynb") if expected(p).get("outcome"))


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_notebook_outcome(path: Path) -> None:
    expect = expected(path)
    result = grade(locate(str(path), exercise=expect["exercise"]), Options(limits=Limits(timeout=30), cell_timeout=2))
    if expect["outcome"] == "full-marks":
        assert result.full_marks, {c.name: c.diagnosis for c in result.checks if not c.passed}
    else:
        assert expect["outcome"] in result.diagnoses


def test_notebook_and_python_file_get_the_same_verdict() -> None:
    notebook = grade(locate(str(NOTEBOOKS / "ex2_grad_not_cleared.ipynb"), exercise="exercise2"), Options(limits=Limits(timeout=30)))
    script = grade(locate(str(TESTS / "submissions" / "exercise2" / "grad_never_reset.py"), exercise="exercise2"), Options(limits=Limits(timeout=30)))
    assert [(c.name, c.passed, c.diagnosis) for c in notebook.checks] == [(c.name, c.passed, c.diagnosis) for c in script.checks]


def test_truncated_notebook_is_invalid_with_a_clear_message() -> None:
    result = grade(locate(str(NOTEBOOKS / "broken_truncated.ipynb"), exercise="exercise2"), Options(limits=Limits(timeout=30)))
    assert result.diagnosis == "invalid-notebook" and result.score == 0
    assert result.message is not None and "JSON" in str(result.message.params.get("detail"))


def test_mixed_batch_of_notebooks_and_files(tmp_path: Path) -> None:
    klass = tmp_path / "class"
    klass.mkdir()
    shutil.copy(NOTEBOOKS / "ex2_correct.ipynb", klass / "ahn_exercise2.ipynb")
    shutil.copy(NOTEBOOKS / "ex2_hang.ipynb", klass / "baek_exercise2.ipynb")
    shutil.copy(NOTEBOOKS / "broken_truncated.ipynb", klass / "cho_exercise2.ipynb")
    shutil.copy(TESTS / "submissions" / "exercise2" / "gradient_ascent.py", klass / "dong_exercise2.py")
    out = tmp_path / "out"
    assert cli.main(["batch", str(klass), "--exercise", "exercise2", "--out", str(out), "-j", "2", "--timeout", "20"]) == 0
    with open(out / "gradebook.csv", newline="", encoding="utf-8-sig") as handle:
        rows = {r["student"]: r for r in csv.DictReader(handle)}
    assert set(rows) == {"ahn", "baek", "cho", "dong"}
    assert rows["ahn"]["score"] == rows["ahn"]["max_score"]
    assert rows["cho"]["diagnoses"] == "invalid-notebook"
    assert "gradient-ascent" in rows["dong"]["diagnoses"]
    # The hung cells cost only themselves, and the gradebook and the summary say so.
    assert rows["baek"]["notes"] and "timed-out" in rows["baek"]["notes"] and rows["ahn"]["notes"] == ""
    summary = (out / "summary.html").read_text(encoding="utf-8")
    assert "cho" in summary and "invalid-notebook" in summary
    assert "Notebook cells that hung or raised" in summary and "was interrupted" in summary


def test_shell_escapes_run_inside_the_sandbox(tmp_path: Path) -> None:
    import nbformat

    from grader.execution.session import Session
    from grader.worker import notebook, notebook_fast

    outside = tmp_path / "escaped.txt"
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(f"!echo ran-in-the-sandbox > inside.txt && cat inside.txt\n!touch {outside}"),
        nbformat.v4.new_code_cell("def train(X, y, What, alpha, epochs):\n    return [], []"),
    ]
    path = tmp_path / "exercise2.ipynb"
    nbformat.write(nb, str(path))
    notebook.prewarm()
    session = Session(str(path), ["train"], Limits(timeout=20), entry=notebook_fast.fast_entry(5))
    load = session.start()
    info = session.close()
    assert load.functions == {"train": True}
    assert "ran-in-the-sandbox" in info.stdout.text, "the shell escape did not run"
    assert not outside.exists(), "a shell escape wrote outside the worker's folder"
