"""Printing costs nothing where no report shows it, and never decides a verdict (issues 10 and 19).

Only the lecture-data call's output reaches a report; every other call runs
with a ``print`` that does nothing, not even ``repr`` its arguments.  Where
output is shown (that call, the import of a file, a notebook's cells) it is
bounded: past the budget ``print`` and ``display`` format nothing.  The
same holds for ``sys.stdout.write``, a reference to the stream kept from
before, and calls made under ``contextlib.redirect_stdout``.
"""
from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from typing import Any, Optional

import pytest

from conftest import TESTS
from grader.worker import protocol, runtime as worker
from grader.execution.session import Session
from grader.execution.grading import Options, grade
from grader.worker.sandbox.limits import Limits
from grader.intake.submission import locate

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers are Linux-only")

COUNTING = textwrap.dedent(
    """
    import sys

    class Loud:
        reprs = 0

        def __repr__(self):
            Loud.reprs += 1
            return "loud " * 20

    KEPT = sys.stdout

    def train(X, y, What, alpha, epochs):
        sys.stdout.write("written\\n")
        print("kept", file=KEPT)
        for _ in range(5000):
            print("step", Loud())
            print(Loud(), file=sys.stderr)
        return [float(Loud.reprs)]
    """
)


ARGS = [protocol.tensor_spec([[1.0, 2.0]], "float64"), protocol.tensor_spec([[1.0]], "float64"), protocol.tensor_spec([[0.0], [0.0]], "float64", True), 0.1, 1]
NOTEBOOK_RUNNER = {"function": "grader.worker.notebook_fast:run_fast", "kwargs": {"cell_timeout": 10.0, "notebook_timeout": 20.0}}


def _call(tmp_path: Path, quiet: bool, source: str = COUNTING, name: str = "exercise2.py", spec: Optional[dict[str, Any]] = None) -> tuple[Any, str, str]:
    path = tmp_path / name
    path.write_text(source)
    session = Session(str(path), ["train"], Limits(timeout=20, memory=512 * 1024**2), spec=spec)
    try:
        load = session.start()
        assert load.functions["train"], (load, session.close().stderr.text)
        outcome = session.call("train", ARGS, quiet=quiet)
    finally:
        info = session.close()
    assert outcome.ok, outcome.error
    return outcome.returned, info.stdout.text, info.stderr.text


def _notebook(*cells: str) -> str:
    import nbformat

    return str(nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(textwrap.dedent(c)) for c in cells])))


def test_a_quiet_call_never_formats_what_it_prints(tmp_path: Path) -> None:
    (reprs,), out, err = _call(tmp_path, quiet=True)
    assert reprs == 0
    assert "loud" not in out and "loud" not in err
    assert "written" not in out and "kept" not in out


def test_a_shown_call_prints_until_its_budget_then_marks_the_cut(tmp_path: Path) -> None:
    (reprs,), out, err = _call(tmp_path, quiet=False)
    assert out.startswith("written\nkept\nstep loud")
    assert out.rstrip().endswith("…") or err.rstrip().endswith("…")
    assert 0 < reprs < 2 * 5000
    assert len(out) + len(err) <= worker.PRINT_BUDGET + 200


def test_printing_to_a_file_of_ones_own_still_happens(tmp_path: Path) -> None:
    import io

    own = io.StringIO()
    with worker.printing(quiet=True):
        print("kept", file=own)
        print("dropped")
    assert own.getvalue() == "kept\n"


def test_the_real_print_is_restored_after_a_call_that_raises() -> None:
    import builtins

    original = builtins.print
    with pytest.raises(ZeroDivisionError):
        with worker.printing(quiet=True):
            1 / 0
    assert builtins.print is original


def test_a_chatty_correct_train_gets_full_marks_and_shows_its_first_prints() -> None:
    result = grade(locate(str(TESTS / "submissions" / "exercise2" / "chatty_prints.py"), "exercise2"), Options(limits=Limits(timeout=30)))
    assert result.full_marks, [(c.name, c.diagnosis) for c in result.checks if not c.passed]
    assert result.run.stdout.text.startswith("epoch 0 What = tensor(")
    # Only the lecture call printed, and only up to its budget: the generated
    # cases, the in-place and device calls printed nothing.
    assert result.run.stdout.dropped == 0
    assert len(result.run.stdout.text) <= worker.PRINT_BUDGET + 200


def test_display_in_a_notebook_is_free_in_a_quiet_call_and_works_after() -> None:
    # In a fresh interpreter: an IPython shell made here would be inherited by
    # the notebook workers that later tests fork.
    import subprocess

    script = textwrap.dedent(
        """
        from IPython.core.interactiveshell import InteractiveShell
        from IPython.display import display
        from grader.worker import runtime as worker

        InteractiveShell.instance()

        class Shown:
            formatted = 0

            def __repr__(self):
                Shown.formatted += 1
                return "shown"

        with worker.printing(quiet=True):
            display(Shown())
        assert Shown.formatted == 0, Shown.formatted
        display(Shown())
        assert Shown.formatted > 0
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "shown\n"


REDIRECTED = textwrap.dedent(
    """
    import contextlib
    import io
    import sys

    class Loud:
        reprs = 0

        def __repr__(self):
            Loud.reprs += 1
            return "loud " * 20

    def train(X, y, What, alpha, epochs):
        # A student silencing their own loop: the loop prints all the same.
        captured = io.StringIO()
        with contextlib.redirect_stdout(captured), contextlib.redirect_stderr(io.StringIO()):
            for _ in range(5000):
                print("step", Loud())
                print(Loud(), file=sys.stderr)
        return [float(Loud.reprs), float(len(captured.getvalue()))]
    """
)


def test_printing_under_redirect_stdout_is_free_when_quiet_and_bounded_when_shown(tmp_path: Path) -> None:
    (reprs, captured), out, err = _call(tmp_path, quiet=True, source=REDIRECTED)
    assert reprs == 0 and captured == 0
    (reprs, captured), out, err = _call(tmp_path, quiet=False, source=REDIRECTED)
    # What the student's own buffer received counts against the budget like the terminal.
    assert 0 < reprs < 2 * 5000 / 10
    assert captured <= worker.PRINT_BUDGET + 200
    assert "loud" not in out + err


WRITES = textwrap.dedent(
    """
    import sys

    KEPT = sys.stdout

    def train(X, y, What, alpha, epochs):
        for i in range(20000):
            sys.stdout.write(f"line {i}\\n")
            KEPT.write("kept\\n")
            sys.__stdout__.write("dunder\\n")
            sys.stdout.buffer.write(b"bytes\\n")
            sys.stderr.write("err\\n")
        return [1.0]
    """
)


def test_direct_writes_are_dropped_when_quiet_and_keep_their_head_when_shown(tmp_path: Path) -> None:
    _, out, err = _call(tmp_path, quiet=True, source=WRITES)
    assert out == "" and err == ""
    _, out, err = _call(tmp_path, quiet=False, source=WRITES)
    # Within the budget, in order; past it, still delivered (the grader keeps the head and the tail).
    assert out.startswith("line 0\nkept\ndunder\nbytes\nline 1\n")
    assert "line 19999" in out and err.startswith("err\n")


def test_a_notebook_s_cells_print_and_display_within_a_budget(tmp_path: Path) -> None:
    source = _notebook(
        """
        from IPython.display import display

        class Loud:
            reprs = 0

            def __repr__(self):
                Loud.reprs += 1
                return "loud " * 20
        """,
        "for _ in range(3000):\n    print(Loud())\n    display(Loud())",
        "Loud()",
        "after_cells = Loud.reprs",
        """
        def train(X, y, What, alpha, epochs):
            before = Loud.reprs
            for _ in range(3000):
                display(Loud())
                print(Loud())
            return [float(after_cells), float(Loud.reprs - before)]
        """,
    )
    (after_cells, in_call), out, err = _call(tmp_path, quiet=True, source=source, name="exercise2.ipynb", spec=NOTEBOOK_RUNNER)
    assert 0 < after_cells < 2 * worker.LOAD_PRINT_BUDGET / 100
    assert in_call == 0
    assert out.startswith("loud loud") and out.rstrip().endswith("…")
    assert len(out) <= worker.LOAD_PRINT_BUDGET + 200
    (after_cells, in_call), out, err = _call(tmp_path, quiet=False, source=source, name="exercise2.ipynb", spec=NOTEBOOK_RUNNER)
    assert 0 < in_call < 2 * worker.PRINT_BUDGET / 100
    assert len(out) <= worker.LOAD_PRINT_BUDGET + worker.PRINT_BUDGET + 400


def test_a_chatty_correct_notebook_gets_full_marks_and_shows_its_first_prints(tmp_path: Path) -> None:
    chatty = (TESTS / "submissions" / "exercise2" / "chatty_prints.py").read_text().split("\n", 2)[2]
    path = tmp_path / "exercise2.ipynb"
    path.write_text(
        _notebook(
            "import torch\nimport numpy as np\nimport matplotlib.pyplot as plt",
            "torch.manual_seed(43052)\nx,_ = torch.randn(100).sort()\neps = torch.randn(100)*0.5\nX = torch.stack([torch.ones(100),x],axis=1)\nW = torch.tensor([[2.5],[4.0]])\ny = X@W + eps.reshape(100,1)",
            chatty,
            "What = torch.tensor([[-5.0],[10.0]],requires_grad=True)\nloss_history, What_history = train(X, y, What, alpha=0.001, epochs=30)\nplt.plot(loss_history)\nplt.show()",
        )
    )
    result = grade(locate(str(path), "exercise2"), Options(limits=Limits(timeout=30)))
    assert result.full_marks, [(c.name, c.diagnosis) for c in result.checks if not c.passed]
    assert not result.run.cells
    assert result.run.stdout.text.startswith("epoch 0 What = tensor(")
    # The cells' printing and the lecture call's, each up to its budget; nothing else printed.
    assert result.run.stdout.dropped == 0
    assert len(result.run.stdout.text) <= worker.LOAD_PRINT_BUDGET + worker.PRINT_BUDGET + 400
