"""Printing costs nothing where no report shows it, and never decides a verdict (issue 10).

Only the lecture-data call's output reaches a report; every other call runs
with a ``print`` that does nothing, not even ``repr`` its arguments.
"""
from __future__ import annotations

import sys
import textwrap
from pathlib import Path

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


def _call(tmp_path: Path, quiet: bool) -> tuple[float, str, str]:
    path = tmp_path / "exercise2.py"
    path.write_text(COUNTING)
    args = [protocol.tensor_spec([[1.0, 2.0]], "float64"), protocol.tensor_spec([[1.0]], "float64"), protocol.tensor_spec([[0.0], [0.0]], "float64", True), 0.1, 1]
    session = Session(str(path), ["train"], Limits(timeout=20, memory=512 * 1024**2))
    try:
        session.start()
        outcome = session.call("train", args, quiet=quiet)
    finally:
        info = session.close()
    assert outcome.ok, outcome.error
    return outcome.returned[0], info.stdout.text, info.stderr.text


def test_a_quiet_call_never_formats_what_it_prints(tmp_path: Path) -> None:
    reprs, out, err = _call(tmp_path, quiet=True)
    assert reprs == 0
    assert "loud" not in out and "loud" not in err
    assert "written" not in out and "kept" not in out


def test_a_shown_call_prints_until_its_budget_then_marks_the_cut(tmp_path: Path) -> None:
    reprs, out, err = _call(tmp_path, quiet=False)
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
