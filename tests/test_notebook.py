"""Notebook submissions: read, run cell by cell in the worker, then graded like a .py file.

The corpus is tests/notebooks (written by make_corpus.py); each valid notebook
declares in ``metadata["grader_expect"]`` the functions it defines, the cells
that raise and the outcome grading must give.  The last tests prove the fast
path (IPython's shell in the forked worker) faithful: it must give what a
real ipykernel driven by nbclient gives.
"""
from __future__ import annotations

import functools
import json
import math
import os
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Optional

import pytest
import torch

import grader.execution.session
from grader.worker import notebook, notebook_fast, notebook_kernel, protocol
from grader.execution.session import CallOutcome, Load, Session
from grader.execution.grading import Options, grade
from grader.worker.protocol import TensorValue
from conftest import reference_module

reference1, reference2 = reference_module("exercise1"), reference_module("exercise2")
from grader.worker.sandbox.limits import Limits
from grader.intake.submission import locate

NOTEBOOKS = Path(__file__).resolve().parent / "notebooks"
CELL_TIMEOUT = 1.0
ESCAPE_MARKER = "/tmp/escape-marker-grader-notebook"

BROKEN = {
    "broken_truncated.ipynb": "is not valid JSON",
    "broken_not_a_notebook.ipynb": "not a Jupyter notebook",
    "broken_schema.ipynb": "does not follow the notebook format",
}


def expectation(path: Path) -> dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)["metadata"]["grader_expect"]


VALID = sorted(p for p in NOTEBOOKS.glob("*.ipynb") if p.name not in BROKEN)
# The escape notebook writes outside its directory wherever the sandbox lets it: it runs only in its own test.
ESCAPE = NOTEBOOKS / "ex2_shell_escape.ipynb"


@pytest.fixture(scope="module", autouse=True)
def _prewarm() -> None:
    notebook.prewarm()


# --------------------------------------------------------------------------
# the lecture's data, and calls into a notebook's functions


def lecture_data() -> tuple[torch.Tensor, torch.Tensor]:
    torch.manual_seed(43052)
    x, _ = torch.randn(100).sort()
    eps = torch.randn(100) * 0.5
    X = torch.stack([torch.ones(100), x], dim=1)
    y = X @ torch.tensor([[2.5], [4.0]]) + eps.reshape(100, 1)
    return X, y


X, Y = lecture_data()
W0 = [[-5.0], [10.0]]


def spec(t: Any, requires_grad: bool = False) -> dict[str, Any]:
    return protocol.tensor_spec(t.tolist() if isinstance(t, torch.Tensor) else t, "float32", requires_grad)


def probes(exercise: str) -> list[tuple[str, list[Any]]]:
    """The calls made on every notebook of an exercise: ordinary ones, and one that makes student code raise."""
    if exercise == "exercise2":
        return [
            ("train", [spec(X), spec(Y), spec(W0, True), 0.001, 5]),
            ("train", [spec(X), spec(Y), spec(W0, False), 0.001, 2]),
        ]
    yhat = X @ torch.tensor(W0)
    return [
        ("predict", [spec(X), spec(W0)]),
        ("sse_loss", [spec(yhat), spec(Y)]),
        ("gradient_step", [spec(X), spec(Y), spec(W0, True), 0.001]),
        ("gradient_step", [spec(X), spec(Y), spec(W0, False), 0.001]),
    ]


def run(path: Path, functions: list[str], entry: Callable[..., None], calls: Optional[list[tuple[str, list[Any]]]] = None, timeout: float = 60) -> tuple[Load, list[CallOutcome], float, Any, tuple[str, ...]]:
    session = Session(str(path), functions, Limits(timeout=timeout), entry=entry)
    try:
        started = time.monotonic()
        load = session.start()
        load_time = time.monotonic() - started
        outcomes = [session.call(name, args) for name, args in calls or [] if load.functions.get(name)]
    finally:
        info = session.close()
    return load, outcomes, load_time, info, session.protections_missing


@functools.lru_cache(maxsize=None)
def fast_run(name: str) -> tuple[Load, list[CallOutcome], float, Any, tuple[str, ...]]:
    """A corpus notebook on the fast path with the test limits and its exercise's probes, run once per test session."""
    path = NOTEBOOKS / f"{name}.ipynb"
    expect = expectation(path)
    return run(path, expect["functions"], notebook_fast.fast_entry(CELL_TIMEOUT), probes(expect["exercise"]))


def number(value: Any) -> float:
    return float(value.data[0]) if isinstance(value, TensorValue) else float(value)


# --------------------------------------------------------------------------
# reading


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_a_broken_notebook_is_named_not_run(name: str) -> None:
    nb, invalid = notebook.read_notebook(str(NOTEBOOKS / name))
    assert nb is None and invalid is not None
    assert invalid.startswith(name) and BROKEN[name] in invalid
    assert "Traceback" not in invalid
    load, _, _, _, _ = run(NOTEBOOKS / name, ["train"], notebook_fast.fast_entry(CELL_TIMEOUT))
    assert load.invalid == invalid
    assert load.functions == {"train": False} and load.cells == ()


def test_truncated_and_schema_messages_say_where() -> None:
    _, truncated = notebook.read_notebook(str(NOTEBOOKS / "broken_truncated.ipynb"))
    assert truncated is not None and "cut off" in truncated and "line" in truncated
    _, schema = notebook.read_notebook(str(NOTEBOOKS / "broken_schema.ipynb"))
    assert schema is not None and "cells[5].source" in schema


@pytest.mark.parametrize(
    "content, words",
    [
        (b"", "is empty"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
        (b"[1, 2, 3]", "top level is a list"),
        (b'{"nbformat": 5, "nbformat_minor": 0, "cells": [], "metadata": {}}', "newer than this grader reads"),
        (b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}}', "no list of 'cells'"),
    ],
)
def test_unreadable_files(tmp_path: Path, content: bytes, words: str) -> None:
    path = tmp_path / "exercise2.ipynb"
    path.write_bytes(content)
    nb, invalid = notebook.read_notebook(str(path))
    assert nb is None and invalid is not None and words in invalid, invalid


def test_missing_file_is_a_message(tmp_path: Path) -> None:
    _, invalid = notebook.read_notebook(str(tmp_path / "nowhere.ipynb"), "exercise2.ipynb")
    assert invalid is not None and invalid.startswith("exercise2.ipynb could not be read")


def test_old_minor_versions_are_read() -> None:
    nb, invalid = notebook.read_notebook(str(NOTEBOOKS / "ex2_old_v40.ipynb"))
    assert invalid is None and nb.nbformat == 4 and nb.nbformat_minor == 0
    assert all(isinstance(c.source, str) for c in nb.cells)


def test_a_version_3_notebook_is_converted(tmp_path: Path) -> None:
    v3 = {
        "nbformat": 3,
        "nbformat_minor": 0,
        "metadata": {},
        "worksheets": [{"cells": [{"cell_type": "code", "input": "def train(*a):\n    return 1", "language": "python", "outputs": []}]}],
    }
    path = tmp_path / "exercise2.ipynb"
    path.write_text(json.dumps(v3))
    nb, invalid = notebook.read_notebook(str(path))
    assert invalid is None and nb.nbformat == 4 and nb.cells[0].source.startswith("def train")


def test_missing_cell_ids_are_repaired(tmp_path: Path) -> None:
    nb = json.loads((NOTEBOOKS / "ex2_correct.ipynb").read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        del cell["id"]
    path = tmp_path / "exercise2.ipynb"
    path.write_text(json.dumps(nb))
    read, invalid = notebook.read_notebook(str(path))
    assert invalid is None and all(c.get("id") for c in read.cells)


def test_timeouts_come_from_arguments_then_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(notebook.CELL_TIMEOUT_ENV, "7")
    monkeypatch.setenv(notebook.NOTEBOOK_TIMEOUT_ENV, "bad")
    assert notebook.timeouts() == (7.0, notebook.DEFAULT_NOTEBOOK_TIMEOUT)
    assert notebook.timeouts(2, 3) == (2.0, 3.0)
    assert notebook.timeouts(-1, 0) == (7.0, notebook.DEFAULT_NOTEBOOK_TIMEOUT)


# --------------------------------------------------------------------------
# the corpus on the fast path


def check_outcome(exercise: str, outcome: str, outcomes: list[CallOutcome]) -> None:
    """What the notebook's functions returned, against the reference solutions."""
    if exercise == "exercise2":
        call, failing = outcomes
        if outcome == "runtime-error":
            for outcome_ in outcomes:
                assert outcome_.error is not None and outcome_.error.type == "NameError", outcome_
            return
        assert failing.ok is False and failing.error is not None and failing.error.type == "RuntimeError"
        assert call.ok, call.error
        losses, history = call.returned
        what = torch.tensor(W0, requires_grad=True)
        ref_losses, ref_history = reference2.train(X.clone(), Y.clone(), what, 0.001, 5)
        assert len(losses) == 5 and len(history) == 6
        assert math.isclose(losses[0], ref_losses[0], rel_tol=1e-6)
        grad = call.after[2]["grad"]
        if outcome == "full-marks":
            assert all(math.isclose(a, b, rel_tol=1e-5) for a, b in zip(losses, ref_losses))
            assert torch.allclose(torch.tensor(history), torch.tensor(ref_history), rtol=1e-5)
            assert grad is None or not any(grad.data)
        elif outcome == "grad-not-cleared":
            assert not math.isclose(losses[2], ref_losses[2], rel_tol=1e-3)
            assert grad is not None and any(grad.data)
        elif outcome == "gradient-ascent":
            assert all(b > a for a, b in zip(losses, losses[1:]))
        else:
            raise AssertionError(f"no check for {outcome}")
        return
    predict, loss, step, failing = outcomes
    assert failing.ok is False and failing.error is not None
    what = torch.tensor(W0, requires_grad=True)
    ref_loss = reference1.gradient_step(X, Y, what, 0.001).item()
    assert predict.ok and tuple(predict.returned.shape) == (100, 1)
    sse = float(reference1.sse_loss(X @ torch.tensor(W0), Y))
    if outcome == "full-marks":
        assert math.isclose(number(loss.returned), sse, rel_tol=1e-6)
        assert math.isclose(number(step.returned), ref_loss, rel_tol=1e-6)
        assert torch.allclose(torch.tensor(step.after[2]["value"].data), what.detach().reshape(-1), rtol=1e-6)
    elif outcome == "wrong-loss":
        assert math.isclose(number(loss.returned), sse / 100, rel_tol=1e-6)
    else:
        raise AssertionError(f"no check for {outcome}")


@pytest.mark.parametrize("path", [p for p in VALID if p != ESCAPE], ids=lambda p: p.stem)
def test_corpus_on_the_fast_path(path: Path) -> None:
    expect = expectation(path)
    functions = expect["functions"]
    load, outcomes, load_time, info, _ = fast_run(path.stem)
    assert load.invalid is None and load.error is None
    assert load.functions == {name: True for name in functions}
    if expect["cell_errors"] is not None:
        found = [{"index": c.index, "type": c.error.type, "timed_out": c.timed_out} for c in load.cells]
        assert found == expect["cell_errors"], info.stdout.text[-3000:]
    check_outcome(expect["exercise"], expect["outcome"], outcomes)
    timeouts = sum(1 for c in load.cells if c.timed_out)
    assert load_time < 3.0 + timeouts * (CELL_TIMEOUT + 0.5), f"{path.name} took {load_time:.2f} s to run"


def test_later_cells_run_after_errors_and_frames_name_cells() -> None:
    load, outcomes, _, info, _ = fast_run("ex2_stray_error")
    name_error, runtime_error, syntax_error = load.cells
    # Cells are named by Jupyter's own number, the one IPython prints in the captured output.
    assert name_error.error.frames[-1].filename == "ex2_stray_error.ipynb, Cell In [9]"
    assert name_error.count == 9 and name_error.index == 11
    assert "Cell In[9], line 1" in info.stdout.text
    assert name_error.error.frames[-1].line == "print(loss_histroy[-1])"
    # The student's function raised: its frame names the cell that defines it, line within that cell.
    top, inner = runtime_error.error.frames
    assert (top.filename, top.function) == ("ex2_stray_error.ipynb, Cell In [10]", "<module>")
    assert (inner.filename, inner.lineno, inner.function, inner.line) == ("ex2_stray_error.ipynb, Cell In [4]", 10, "train", "loss.backward()")
    assert syntax_error.error.message == "expected ':' (ex2_stray_error.ipynb, Cell In [11], line 1)"
    assert syntax_error.error.frames[-1].line == "for epoc in range(3)"
    assert "after the failing cells" in info.stdout.text
    # Errors while grading name the cells too, never IPython's own files.
    failing = outcomes[1].error
    assert failing is not None and [f.filename for f in failing.frames] == ["ex2_stray_error.ipynb, Cell In [4]"]


def test_a_hanging_cell_is_interrupted_and_later_cells_run() -> None:
    load, outcomes, load_time, _, _ = fast_run("ex2_hang")
    assert load.functions == {"train": True, "after_hang": True}
    loop, sleep = load.cells
    assert loop.timed_out and sleep.timed_out and loop.error.type == "KeyboardInterrupt"
    assert loop.error.message == "the cell ran past its 1 s limit (--cell-timeout)"
    assert loop.error.frames[-1].line == "while True:" and sleep.error.frames[-1].line == "time.sleep(10**6)"
    assert outcomes[0].ok
    assert load_time < 2 * CELL_TIMEOUT + 2.5


def test_the_whole_notebook_has_a_wall_limit() -> None:
    entry = notebook_fast.fast_entry(cell_timeout=10, notebook_timeout=1.5)
    load, _, load_time, _, _ = run(NOTEBOOKS / "ex2_hang.ipynb", ["train", "after_hang"], entry)
    # train was defined before the limit; the cell after the hanging ones never ran.
    assert load.functions == {"train": True, "after_hang": False}
    stopped, *skipped = load.cells
    assert stopped.index == 11 and stopped.timed_out and "notebook ran past its 1.5 s limit" in stopped.error.message
    assert [(c.index, c.error.type) for c in skipped] == [(12, "NotRun"), (13, "NotRun")]
    assert load_time < 5


def test_input_fails_at_once() -> None:
    load, _, load_time, _, _ = run(NOTEBOOKS / "ex2_input.ipynb", ["train"], notebook_fast.fast_entry(cell_timeout=20))
    (asked,) = load.cells
    assert asked.error.type == "StdinNotImplementedError" and not asked.timed_out
    assert load.functions == {"train": True}
    assert load_time < 3


def test_magics_display_and_plots() -> None:
    load, _, _, info, _ = fast_run("ex2_correct")
    assert load.cells == ()
    out = info.stdout.text
    assert "Wall time" in out  # %%time
    assert "Out[" in out and "[2.42" in out  # the last expression, and display()
    assert info.stderr.text == ""  # no backend warnings, no %matplotlib failure


def test_shell_escapes_stay_in_the_sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The worker's directory is made under tmp_path, so '..' is tmp_path.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    for leftover in (ESCAPE_MARKER,):
        if os.path.exists(leftover):
            os.unlink(leftover)
    load, outcomes, _, info, missing = run(ESCAPE, ["train"], notebook_fast.fast_entry(CELL_TIMEOUT), probes("exercise2"))
    try:
        assert load.functions == {"train": True}
        check_outcome("exercise2", "full-marks", outcomes)
        # %%bash ran, in the worker's own directory.
        assert "inside" in info.stdout.text
        escaped = [p for p in (tmp_path / "escaped.txt", tmp_path / "escaped-bash.txt", Path(ESCAPE_MARKER)) if p.exists()]
        if "landlock" in missing or "landlock-fs" in missing:
            pytest.skip(f"this sandbox lacks filesystem confinement ({', '.join(missing)}); the shell wrote {escaped}")
        assert escaped == [], "a shell command of the notebook wrote outside the worker's directory"
        assert 14 in {c.index for c in load.cells}  # %%bash's write was refused
    finally:
        if os.path.exists(ESCAPE_MARKER):
            os.unlink(ESCAPE_MARKER)


def test_execute_in_process_returns_the_namespace() -> None:
    namespace, cells, invalid = notebook_fast.execute_in_process(str(NOTEBOOKS / "ex1_correct.ipynb"), cell_timeout=CELL_TIMEOUT)
    assert invalid is None and cells == []
    assert callable(namespace["gradient_step"])
    # The notebook's own loop ran: 30 steps from (-5, 10) approach the lecture's W = (2.5, 4).
    assert torch.allclose(namespace["What"].data.reshape(-1), torch.tensor([2.4290, 4.0144]), atol=1e-3)
    _, _, broken = notebook_fast.execute_in_process(str(NOTEBOOKS / "broken_truncated.ipynb"))
    assert broken is not None


def test_grading_a_notebook_end_to_end() -> None:
    """``grade exercise2.ipynb`` gives what the same code as exercise2.py gets."""
    options = Options(limits=Limits(timeout=30), max_examples=5)
    correct = grade(locate(str(NOTEBOOKS / "ex2_stray_error.ipynb"), exercise="exercise2"), options)
    assert correct.full_marks, {c.name: c.diagnosis for c in correct.checks if not c.passed}
    assert [c.index for c in correct.run.cells] == [11, 12, 13]
    buggy = grade(locate(str(NOTEBOOKS / "ex2_gradient_ascent.ipynb"), exercise="exercise2"), options)
    assert not buggy.full_marks and "gradient-ascent" in buggy.diagnoses
    broken = grade(locate(str(NOTEBOOKS / "broken_truncated.ipynb"), exercise="exercise2"), options)
    assert broken.diagnosis == "invalid-notebook"


# --------------------------------------------------------------------------
# the fast path against a real kernel


def names_for_parsing() -> notebook.CellNames:
    return notebook.CellNames(None, {3: 6, 12: 13}, "exercise2.ipynb")


def test_kernel_tracebacks_are_parsed() -> None:
    red, green, cyan, reset = "\x1b[31m", "\x1b[32m", "\x1b[36m", "\x1b[39m"
    traceback = [
        f"{red}-----{reset}",
        f"{red}RuntimeError{reset}    Traceback (most recent call last)",
        f"{cyan}Cell{reset} {green}In[12]{reset}{green}, line 1{reset}\n{green}----> {reset}{green}1{reset} train(X, y)\n",
        f"{cyan}Cell{reset} {green}In[3]{reset}{green}, line 10{reset}, in {cyan}train{reset}(X, y)\n{green}      9{reset} # step3\n{green}---> 10{reset}     loss.backward()\n",
        f"{cyan}File {reset}{green}~/.venv/lib/python3.11/site-packages/torch/_tensor.py:625{reset}, in {cyan}Tensor.backward{reset}(self)\n",
        f"{red}RuntimeError{reset}: element 0",
    ]
    frames = notebook_kernel.parse_kernel_traceback(traceback, names_for_parsing())
    assert frames == [
        {"filename": "exercise2.ipynb, Cell In [12]", "lineno": 1, "function": "<module>", "line": "train(X, y)"},
        {"filename": "exercise2.ipynb, Cell In [3]", "lineno": 10, "function": "train", "line": "loss.backward()"},
    ]


def comparable_load(load: Load) -> Any:
    return load.functions, [(c.index, c.timed_out, c.error.type, c.error.message, c.error.frames) for c in load.cells]


def comparable(value: Any) -> Any:
    """Values with floats rounded past float32 noise, so that both paths compare equal."""
    if isinstance(value, float):
        return float(f"{value:.6g}")
    if isinstance(value, (list, tuple)):
        return [comparable(v) for v in value]
    if isinstance(value, dict):
        return {k: comparable(v) for k, v in value.items()}
    if isinstance(value, TensorValue):
        return ("tensor", value.shape, value.dtype, comparable(value.data), value.requires_grad)
    return value


def comparable_call(outcome: CallOutcome) -> Any:
    error = outcome.error and (outcome.error.type, outcome.error.message, outcome.error.frames)
    return outcome.ok, comparable(outcome.returned), comparable(list(outcome.after)), outcome.events, error, outcome.missing


def kernel_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    """ipykernel talks over unix sockets, which the sandbox refuses unless asked; everything else stays on.

    (grade() asks for them itself when Options(notebook_path="kernel"); these tests build Sessions directly.)
    """
    original = grader.execution.session.start_contained

    def with_unix_sockets(*args: Any, **kwargs: Any) -> Any:
        return original(*args, **{**kwargs, "unix_sockets": True})

    monkeypatch.setattr(grader.execution.session, "start_contained", with_unix_sockets)


# A kernel per notebook costs seconds, so a subset.  Between them: %matplotlib, %%time, plots,
# display, three kinds of cell error and a syntax error, both kinds of hanging cell, input(),
# errors raised in the student's function while grading, and a notebook that uses torch
# without importing it (the grader has torch imported; the notebook must not see it).  The cell limit is the same on
# both paths so that their messages agree; only where cells hang is it short.
KERNEL_SUBSET = {"ex2_stray_error": 5.0, "ex2_hang": 1.5, "ex2_input": 5.0, "ex2_no_import": 5.0}


@pytest.mark.parametrize("name", sorted(KERNEL_SUBSET))
def test_the_fast_path_gives_what_a_kernel_gives(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    path = NOTEBOOKS / f"{name}.ipynb"
    expect = expectation(path)
    calls = probes(expect["exercise"])
    functions = expect["functions"]
    limit = KERNEL_SUBSET[name]
    fast_load, fast_calls, fast_time, _, _ = run(path, functions, notebook_fast.fast_entry(limit), calls)
    kernel_sandbox(monkeypatch)
    kernel_load, kernel_calls, kernel_time, info, _ = run(path, functions, notebook_kernel.kernel_entry(limit), calls)
    print(f"{name}: fast path {fast_time:.2f} s, kernel {kernel_time:.2f} s")
    assert kernel_load.invalid is None, info.stderr.text
    assert comparable_load(fast_load) == comparable_load(kernel_load)
    assert len(fast_calls) == len(kernel_calls) == len(calls)
    for fast, kernel in zip(fast_calls, kernel_calls):
        assert comparable_call(fast) == comparable_call(kernel)


def test_a_kernel_worker_makes_its_own_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker forked from a process that ran nbclient (a Jupyter kernel calling check()) inherits
    jupyter_core's event loop, whose epoll descriptor the sandbox closes: the worker must not poll it."""
    from jupyter_core.utils import ensure_event_loop

    ensure_event_loop()  # what nbclient leaves in this process
    path = NOTEBOOKS / "ex2_no_import.ipynb"
    expect = expectation(path)
    kernel_sandbox(monkeypatch)
    load, _, _, info, _ = run(path, expect["functions"], notebook_kernel.kernel_entry(5.0), [])
    assert load.invalid is None and any(load.functions.values()), info.stderr.text
