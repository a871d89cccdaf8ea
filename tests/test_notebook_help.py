"""What a student in a notebook is told: check()'s options, and a minimal example that fits a notebook.

These run without a Jupyter kernel (tests/test_notebook_inline.py drives a real one).
"""
from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

import nbformat
import pytest

import grader
from conftest import TESTS
from grader.cli import inline
from grader.execution.grading import Options, grade
from grader.intake.submission import Submission

README = (TESTS.parent / "README.md").read_text(encoding="utf-8")


def _documented_parameters(doc: str) -> list[str]:
    """The names of a numpydoc 'Parameters' section: lines `name : type`."""
    section = doc.split("Parameters\n", 1)[1].split("\n\n    Every option", 1)[0]
    section = re.split(r"\n    (Returns|Raises)\n", section)[0]
    return re.findall(r"^    (\w+) : ", section, flags=re.MULTILINE)


def test_help_check_documents_every_option_the_check_takes() -> None:
    doc = inspect.getdoc(grader.check) or ""
    taken = list(inspect.signature(inline.check).parameters)
    documented = _documented_parameters("    " + doc.replace("\n", "\n    "))
    # Every option, no more, in the signature's order: help(check) is where a student looks.
    assert documented == taken, documented
    assert 'lang="ko"' in doc and "%grade" in doc and "CheckError" in doc


def test_the_readme_documents_every_option_the_check_takes() -> None:
    section = README.split("### In a notebook", 1)[1].split("\n## ", 1)[0]
    for name in inspect.signature(inline.check).parameters:
        if name != "exercise":
            assert f"`{name}=" in section, name
    assert "help(check)" in section


class _Shell:
    user_ns: dict[str, Any] = {}


@pytest.mark.parametrize(
    "options, quoted",
    [
        ({"lang": "kr"}, "lang='kr'"),
        ({"lang": "korean"}, "lang='korean'"),
        ({"timeout": 0}, "timeout=0"),
        ({"timeout": "60"}, "timeout='60'"),
        ({"display": "no"}, "display='no'"),
        ({"notebook": 3}, "notebook=3"),
    ],
)
def test_an_option_value_the_check_cannot_take_is_named_not_ignored(monkeypatch: pytest.MonkeyPatch, options: dict[str, Any], quoted: str) -> None:
    # Before this, lang="kr" fell back to the locale without a word.
    monkeypatch.setattr(inline, "_shell", lambda: _Shell())
    monkeypatch.delenv("GRADER_GRADING_NOTEBOOK", raising=False)
    monkeypatch.setattr(inline, "_server", lambda: pytest.fail("no grading should start"))
    with pytest.raises(inline.CheckError) as caught:
        inline.check("exercise2", **options)
    assert quoted in str(caught.value) and "help(check)" in str(caught.value)


def test_a_misspelt_option_is_a_type_error_naming_it() -> None:
    with pytest.raises(TypeError, match="language"):
        grader.check("exercise2", language="ko")


@pytest.mark.slow
def test_a_notebooks_minimal_example_runs_in_a_cell_of_that_notebook(capsys: pytest.CaptureFixture[str]) -> None:
    notebook = TESTS / "notebooks" / "ex1_mean_loss.ipynb"
    result = grade(Submission(str(notebook), "ipynb", "exercise1"), Options(device="off"))
    examples = [c.example for c in result.checks if c.example]
    assert examples, [c.diagnosis for c in result.checks]
    # The student's kernel: the notebook's cells, run (its magics left out; our own test notebook).
    kernel: dict[str, Any] = {}
    for cell in nbformat.read(str(notebook), as_version=4).cells:
        if cell.cell_type == "code":
            exec("\n".join(line for line in cell.source.splitlines() if not line.startswith("%")), kernel)
    for example in examples:
        # No import from a file: there is none, the function is the notebook's own ...
        assert "import" not in example.replace("import torch", ""), example
        assert "your notebook defines" in example
        # ... so pasted into a new cell below, it runs and shows the failure.
        exec(example, dict(kernel))
        assert "expected" in capsys.readouterr().out


@pytest.mark.slow
def test_a_files_minimal_example_still_imports_from_that_file(tmp_path: Path) -> None:
    source = TESTS / "submissions" / "exercise1" / "sse_mean.py"
    result = grade(Submission(str(source), "py", "exercise1"), Options(device="off"))
    examples = [c.example for c in result.checks if c.example]
    assert examples and all("from sse_mean import" in e for e in examples)
