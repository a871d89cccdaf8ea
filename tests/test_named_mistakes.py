"""The mistakes of issue 10, beyond what the corpus declares: evidence, wording, agreement.

The corpus (tests/submissions) shows each code is produced; these tests show
what each one must and must not say, and the source analysis behind them.
"""
from pathlib import Path

import pytest
import torch

from conftest import TESTS
from grader.checks import source
from grader.checks.judge import diverged_close
from grader.execution.grading import Options, grade
from grader.report.common import check_diagnosis
from grader.report.html import render_html
from grader.report.terminal import render_terminal
from grader.worker.sandbox.limits import Limits
from grader.intake.submission import locate

SUBMISSIONS = TESTS / "submissions"
OPTIONS = Options(limits=Limits(timeout=30), max_examples=4)


def graded(relative: str):  # type: ignore[no-untyped-def]
    path = SUBMISSIONS / relative
    return grade(locate(str(path), exercise=path.parent.name), OPTIONS)


def test_zero_grad_before_step_is_one_diagnosis() -> None:
    result = graded("exercise4/zero_grad_before_step.py")
    codes = {c.diagnosis for c in result.checks if c.name.startswith("train_net") and not c.passed}
    assert codes == {"zero-grad-before-step"}, codes


@pytest.mark.parametrize("name", ["forward_outside_loop", "forward_outside_retain"])
def test_forward_outside_loop_never_advises_retain_graph(name: str) -> None:
    result = graded(f"exercise2/{name}.py")
    assert "forward-outside-loop" in result.diagnoses
    for lang in ("en", "ko"):
        for check in result.checks:
            text = check_diagnosis(check, lang)
            if text is not None:
                assert "retain_graph=True" not in f"{text.title} {text.why} {text.fix} {text.hint or ''}"
                assert "inside the loop" in text.fix or "루프 안" in text.fix
    if name == "forward_outside_loop":
        # the student's code never says retain_graph: PyTorch's advice must not reach any report
        for lang in ("en", "ko"):
            assert "retain_graph" not in render_terminal(result, lang=lang)
            assert "retain_graph" not in render_html(result, lang=lang)


def test_broadcast_shape_names_both_shapes() -> None:
    result = graded("exercise2/broadcast_squeeze.py")
    check = next(c for c in result.checks if c.diagnosis == "broadcast-shape")
    text = check_diagnosis(check, "en")
    assert text is not None and "(100,)" in text.why and "(100, 1)" in text.why and "(100, 100)" in text.title


def test_pytorch_warnings_reach_the_grader() -> None:
    from grader.execution.session import Session
    from grader.pack import calls
    from grader.registry import EXERCISES

    pack = EXERCISES["exercise4"].pack()
    session = Session(str(SUBMISSIONS / "exercise4" / "mseloss_squeeze.py"), ["train_net"], Limits(timeout=30))
    try:
        session.start()
        outcome = session.call("train_net", calls.worker_args(calls.lecture(pack, "train_net")))
    finally:
        session.close()
    assert any("different to the input size" in w for w in outcome.warnings)
    assert len(outcome.warnings) == len(set(outcome.warnings)) <= 20


def test_rebinding_in_no_grad_points_at_the_assignment() -> None:
    result = graded("exercise2/rebound_no_grad.py")
    check = next(c for c in result.checks if c.name == "train.lecture")
    assert check.diagnosis == "parameter-rebound"
    assert check.line == 14, "the assignment's line, not the backward() that noticed"


def test_uses_global_in_a_notebook(tmp_path: Path) -> None:
    import nbformat

    data = (SUBMISSIONS / "exercise2" / "uses_global_X.py").read_text(encoding="utf-8").split("\n\n\ndef ")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("%matplotlib inline\n" + data[0].split("\n", 2)[2]), nbformat.v4.new_code_cell("def " + data[1])]
    path = tmp_path / "exercise2.ipynb"
    nbformat.write(nb, str(path))
    result = grade(locate(str(path)), OPTIONS)
    assert next(c for c in result.checks if c.name == "train.lecture").passed, "right on the notebook's own data"
    check = next(c for c in result.checks if c.name == "train.generated")
    assert check.diagnosis == "uses-global"
    text = check_diagnosis(check, "en")
    assert text is not None and "`X`" in text.title and "(cell 2)" in text.why


# --------------------------------------------------------------------------
# the source analysis (pure functions)


def test_source_reads_notebook_code_cells_without_magics(tmp_path: Path) -> None:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# title"), nbformat.v4.new_code_cell("%time x = 1\n!ls\nimport sys"), nbformat.v4.new_code_cell("def f():\n    sys.settrace(None)")]
    path = tmp_path / "n.ipynb"
    nbformat.write(nb, str(path))
    text = source.read(str(path))
    assert "%time" not in text and "!ls" not in text
    finding = source.tampering(text)
    assert finding is not None and source.cell_line(text, finding.line) == (2, 2)


def test_globals_read_ignores_parameters_locals_imports_and_functions() -> None:
    text = "import torch\nX = torch.ones(3, 2)\ny = X[:, :1]\nMESSAGE = 'hi'\nalpha = 0.1\ndef helper(a):\n    return a\ndef train(X, ys, What, lr, epochs):\n    n = len(ys)\n    print(MESSAGE)\n    return helper(X) @ What * n * alpha - y\n"
    # y is the lecture's data read instead of the argument; a message or a constant is not
    assert [f.what for f in source.globals_read(text, "train", frozenset({"X", "y", "What"}))] == ["y"]


def test_loops_over_a_few_literal_items_are_not_grid_loops() -> None:
    text = "def loss_surface(w0, w1, x, y):\n    a, b = [t.reshape(-1) for t in (w0, w1)]\n    for k in range(2):\n        pass\n    return a[:, None] + b[None, :]\n"
    assert source.python_loops(text, "loss_surface") == []
    looped = "def loss_surface(w0, w1, x, y):\n    return torch.stack([f(a) for a in w0])\n"
    assert source.python_loops(looped, "loss_surface") == [2]


def test_the_optimizer_a_function_builds_is_read_with_its_options() -> None:
    text = "from torch import optim\ndef train_net(X, y, net, lr, epochs):\n    o = optim.Adam(net.parameters(), lr=lr, betas=(0.9, 0.99))\n    o.step()\n"
    assert [f.what for f in source.optimizers(text, "train_net")] == ["Adam"]
    (finding, options), = source.optimizer_options(text, "train_net")
    assert finding.line == 3 and options == {"lr": "lr", "betas": "(0.9, 0.99)"}


def test_unparsable_source_answers_as_an_empty_module() -> None:
    assert source.function("def f(:\n", "f") is None
    assert source.tampering("def f(:\n") is None


# --------------------------------------------------------------------------
# divergent runs


def test_diverged_runs_agree_across_the_overflow_band() -> None:
    reference = torch.tensor([[1.0], [1e20], [3e38], [float("inf")], [float("nan")]], dtype=torch.float64)
    student = torch.tensor([[1.0], [1e20], [float("inf")], [float("nan")], [float("inf")]], dtype=torch.float64)
    assert diverged_close(student, reference, 1e-3)
    stopped = reference.clone()
    stopped[2:] = 5.0  # values that stopped growing
    assert not diverged_close(stopped, reference, 1e-3)
    assert not diverged_close(torch.tensor([[1.0], [2e20], [3e38], [1e39], [1e39]], dtype=torch.float64), reference, 1e-3)
