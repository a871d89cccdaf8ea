"""The check from inside a notebook: a real ipykernel, driven by nbclient, runs check() and %grade.

One kernel runs one notebook of cells (the grading server it starts costs
seconds once; every later check reuses it), and the test reads the outputs.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

from grader.cli import inline
from grader.authoring import stubs
from grader.execution.grading import Options, grade
from grader.intake.submission import Submission

pytestmark = pytest.mark.slow

from conftest import LECTURE_DATA as DATA

CORRECT = '''def train(X, y, What, alpha, epochs):
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
    return loss_history, What_history'''

# The gradient is never cleared: it accumulates over the epochs.
BUGGY = CORRECT.replace("        What.grad = None\n", "")

# Reads the notebook's X instead of its argument: right on the lecture's data only.
GLOBAL_READER_PLAIN = CORRECT.replace("def train(X, y, What", "def train(XX, y, What")


def run_cells(cells: list[str], tmp_path: Path, name: str = "session.ipynb") -> Any:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(nb, timeout=180, kernel_name="python3", allow_errors=True, resources={"metadata": {"path": str(tmp_path)}}).execute()
    nbformat.write(nb, str(tmp_path / name))
    return nb


def html_of(cell: Any) -> str:
    return "".join(o.get("data", {}).get("text/html", "") for o in cell.outputs if o.output_type in ("display_data", "execute_result"))


def stream_of(cell: Any) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def errors_of(nb: Any) -> list[str]:
    return [f"{o.ename}: {o.evalue}" for c in nb.cells for o in c.outputs if o.output_type == "error"]


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A student's session: a correct train, checked twice; then a buggy one, checked twice."""
    tmp = tmp_path_factory.mktemp("inline")
    cells = [
        "import torch",
        DATA,
        CORRECT,
        # The namespace and the kernel's random state before the check ...
        "import json\nbefore = sorted(k for k in globals() if not k.startswith('_'))\nrng = torch.random.get_rng_state().clone()",
        'from grader import check\nr1 = check("exercise2")',
        # ... and after: only what the student bound changed.
        "after = sorted(k for k in globals() if not k.startswith('_'))\n"
        "print(json.dumps({'new': sorted(set(after) - set(before)), 'gone': sorted(set(before) - set(after)), 'rng': bool(torch.equal(rng, torch.random.get_rng_state())), 'score': r1.score, 'max': r1.max_score, 'n': len(r1.checks)}))",
        "%load_ext grader",
        "%grade exercise2",
        BUGGY,
        'r2 = check("exercise2")\nprint(json.dumps({"score": r2.score, "max": r2.max_score, "diagnoses": list(r2.diagnoses)}))',
        "%grade",
        'import time\nt = time.perf_counter(); r3 = check(display=False); print(json.dumps({"seconds": time.perf_counter() - t, "exercise": r3.exercise}))',
    ]
    return run_cells(cells, tmp)


def test_check_after_a_correct_train_gives_full_marks_inline(session: Any) -> None:
    assert errors_of(session) == []
    html = html_of(session.cells[4])
    assert 'class="grader-inline"' in html and "<script" not in html
    assert re.search(r'class="score"[^>]*>9<small> / 9</small>', html)
    # Honestly labelled: the public checks, hidden ones may follow.
    assert "public checks" in html and "hidden" in html
    facts = json.loads(stream_of(session.cells[5]))
    assert (facts["score"], facts["max"], facts["n"]) == (9, 9, 5)


def test_check_changes_nothing_in_the_kernel(session: Any) -> None:
    facts = json.loads(stream_of(session.cells[5]))
    # The cells bound before, rng, r1 and check themselves; the check bound nothing else, and removed nothing.
    assert facts["new"] == ["before", "check", "r1", "rng"] and facts["gone"] == [] and facts["rng"] is True


def test_grade_magic_shows_the_same_report(session: Any) -> None:
    html = html_of(session.cells[7])
    assert 'class="grader-inline"' in html and re.search(r'class="score"[^>]*>9<small> / 9</small>', html)


def test_check_after_a_buggy_train_names_the_mistake(session: Any) -> None:
    facts = json.loads(stream_of(session.cells[9]))
    assert facts["score"] < facts["max"] == 9
    assert "grad-not-cleared" in facts["diagnoses"]
    for cell in (session.cells[9], session.cells[10]):
        html = html_of(cell)
        assert "grad-not-cleared" in html
        # The first divergent step and the figures of the mistake.
        assert 'class="divergent"' in html and html.count("<svg") >= 3
    # The replayed check cells (and the cells using their results) ran without error.
    # (The check() a replayed cell calls must return a placeholder, grader.cli.inline.Replayed, not None:
    # a cell reading r1.score would otherwise fail in every later report.)
    html9 = html_of(session.cells[9])
    assert "Notebook cells that raised" not in html9, re.sub("<[^>]+>", "", html9[html9.find("Notebook cells that raised") :])[:1500]
    # %grade with no exercise found it from the functions defined.
    assert html_of(session.cells[10]).count('class="grader-inline"') == 1


def test_later_checks_are_fast_and_find_the_exercise(session: Any) -> None:
    facts = json.loads(stream_of(session.cells[11]))
    assert facts["exercise"] == "exercise2"
    # Generous for a shared test machine; bench/speed.py measures it properly.
    assert facts["seconds"] < 5


def test_the_grading_server_leaves_nothing_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A kernel starts a server per session (and another after a restart): its log and each
    check's folder must not pile up in /tmp, even when the kernel is killed."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    server = inline.Server()
    try:
        reply = server.ask({"exercise": "exercise2", "names": ["train"], "cells": [[1, "import torch"], [2, DATA], [3, CORRECT]], "lang": "en"}, timeout=180)
        assert reply["ok"] and reply["result"]["score"] == reply["result"]["max_score"], reply
        assert sorted(p.name for p in tmp_path.iterdir()) == []
    finally:
        server.stop()
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    assert isinstance(server.log_tail(), str)


def test_the_grading_servers_log_stays_small(tmp_path: Path) -> None:
    log = tmp_path / "log"
    script = "import sys\nfrom grader.cli import inline\nsys.stderr.write('x' * (3 << 20))\ninline._bound_the_log()\nsys.stderr.write('recent')\n"
    with open(log, "wb") as handle:
        subprocess.run([sys.executable, "-c", script], stderr=handle, check=True, timeout=60)
    assert log.read_bytes() == b"recent"


def test_the_grade_is_what_ran_not_what_was_saved(tmp_path: Path) -> None:
    # The file on disk still holds the stub; the kernel ran a correct train.
    stubs.write_stubs(str(tmp_path), notebook=True)
    saved = tmp_path / "exercise2.ipynb"
    assert grade(Submission(str(saved), "ipynb", "exercise2"), Options(device="off")).score == 0
    nb = run_cells(
        ["import torch", DATA, CORRECT, f'from grader import check\nr = check("exercise2", notebook={str(saved)!r}, display=False)\nprint(r.score, r.max_score)\nprint(r.notes)'],
        tmp_path,
        name="run.ipynb",
    )
    assert errors_of(nb) == []
    out = stream_of(nb.cells[3])
    assert out.startswith("9 9")
    # ... and the report says that the saved notebook no longer holds the cell that defined train:
    # the file was saved before the kernel even started, so the cause is an unsaved notebook, not an edit.
    assert "In [3] defined `train`" in out
    assert "Save the notebook" in out and "was last saved before that cell ran" in out
    assert "Run that cell again" not in out and "Run the cell again" not in out


def test_only_an_edited_check_cell_gives_no_warning(tmp_path: Path) -> None:
    # The student ran check(), then edited that cell (lang="ko") and ran it, then checked once
    # more: the saved notebook still holds the first version of the check cell, and neither
    # the edit nor the last check cell is saved. The grade depends on none of them.
    first = 'from grader import check\nr = check("exercise2", display=False)'
    edited = 'from grader import check\nresult = check("exercise2", display=False, lang="ko")'
    last = f'r = check("exercise2", display=False, notebook={str(tmp_path / "hw.ipynb")!r})\nprint(r.score, r.notes)'
    saved = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in ["import torch", DATA, CORRECT, first]])
    nbformat.write(saved, str(tmp_path / "hw.ipynb"))
    nb = run_cells(["import torch", DATA, CORRECT, first, edited, last], tmp_path, name="run.ipynb")
    assert errors_of(nb) == []
    assert stream_of(nb.cells[5]).strip() == "9 ()"


def test_a_cell_edited_and_saved_after_it_ran_is_named_with_that_cause(tmp_path: Path) -> None:
    path = tmp_path / "hw.ipynb"
    # The first check starts noting when cells run; then train runs (buggy), and the student
    # edits the cell to the correct version and saves, without running it again.
    early = 'from grader import check\nr0 = check("exercise2", display=False)'
    save = (
        "import nbformat, time\ntime.sleep(0.05)\n"
        f"nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS]), {str(path)!r})"
    )
    late = f'r = check("exercise2", display=False, notebook={str(path)!r})\nprint(r.notes)'
    cells_now = ["import torch", DATA, early, CORRECT, "CELLS = ...", save, late]
    setup = f"CELLS = {cells_now!r}"
    nb = run_cells(["import torch", DATA, early, BUGGY, setup, save, late], tmp_path, name="run.ipynb")
    assert errors_of(nb) == []
    out = stream_of(nb.cells[6])
    # Named once, for train only (the setup cells changed too, but the grade does not read them).
    assert out.count("In [") == 1 and "In [4] defined `train`, which this grade uses" in out
    assert "edited or deleted after it ran" in out and "Run that cell again" in out and "Save the notebook" not in out


def test_stale_cells_name_only_what_the_grade_depends_on() -> None:
    history = [(1, "import torch"), (2, "def helper(a):\n    return a"), (3, CORRECT), (4, 'from grader import check\nr = check("exercise2")'), (5, "n = 3\nplot = None")]
    current: list[str] = ["import torch"]
    depends = {"train", "torch", "helper"}
    notes = inline.stale_cells(history, current, depends)
    assert [(n.key, n.params["count"], n.params["names"]) for n in notes] == [("inline.stale", 2, "`helper`"), ("inline.stale", 3, "`train`")]
    # Without the dependencies, every name is named (the earlier behaviour).
    assert [n.params["count"] for n in inline.stale_cells(history, current)] == [2, 3, 4, 5]


def test_the_grade_depends_on_the_functions_and_what_they_read_transitively() -> None:
    import math as module

    namespace: dict[str, Any] = {}
    exec(
        "def helper(a):\n    return a * scale\n"
        "class Net:\n    def forward(self, x):\n        return helper(x) + offset\n"
        "def train(X):\n    net = Net()\n    return [mathmod.sqrt(v) for v in net.forward(X)]\n"
        "scale, offset, unused, r = 2, 1, 0, None\n",
        namespace,
    )
    namespace["mathmod"] = module
    namespace["Net"].__module__ = "__main__"  # as a class defined in a notebook cell
    assert inline.grade_dependencies(namespace, ["train"]) == {"train", "Net", "helper", "scale", "offset", "mathmod"}


def test_the_cause_of_a_missing_cell_follows_from_when_the_file_was_saved() -> None:
    # Cells 3 and 5 ran at known times (since the first check); 4 some time between.
    ran = {3: 100.0, 5: 200.0}
    saved_before = inline.Saved(mtime=50.0, started=10.0, ran=ran, now=300.0)
    assert saved_before.cause(3) == saved_before.cause(4) == "inline.unsaved"
    saved_between = inline.Saved(mtime=150.0, started=10.0, ran=ran, now=300.0)
    assert saved_between.cause(3) == "inline.stale"  # saved after it ran, yet without it: edited or deleted
    assert saved_between.cause(4) == "inline.stale-or-unsaved"  # it ran at some time in 100..200
    assert saved_between.cause(5) == "inline.unsaved"
    # Before the kernel started: every cell of this session is newer than the file.
    assert inline.Saved(mtime=5.0, started=10.0, now=300.0).cause(2) == "inline.unsaved"
    assert inline.Saved(mtime=50.0, started=10.0, now=300.0).cause(2) == "inline.stale-or-unsaved"
    assert inline.Saved(mtime=400.0, started=10.0, now=300.0).cause(2) == "inline.stale"


def test_a_cell_edited_after_it_ran_is_flagged(tmp_path: Path) -> None:
    nb = run_cells(["import torch", DATA, BUGGY, "pass"], tmp_path)
    # The student fixes the train cell and saves, but does not run it again.
    nb.cells[2].source = CORRECT
    nb.cells[3].source = ""
    nbformat.write(nb, str(tmp_path / "edited.ipynb"))
    history = [(1, "import torch"), (2, DATA), (3, BUGGY)]
    notes = inline.stale_cells(history, [c.source for c in nb.cells])
    assert [(n.key, n.params["count"], n.params["names"]) for n in notes] == [("inline.stale", 3, "`train`")]
    # Edited and run again: the new version redefines train, nothing is stale.
    assert inline.stale_cells(history + [(4, CORRECT)], [c.source for c in nb.cells]) == []


def test_a_function_reading_a_notebook_global_is_flagged(tmp_path: Path) -> None:
    nb = run_cells(
        ["import torch", DATA, GLOBAL_READER_PLAIN.replace("yhat = X @ What", "yhat = X @ What  # X is the notebook's"), 'from grader import check\nr = check("exercise2", display=False)\nprint(r.notes)\nprint(sum(note.count("reads the notebook") for note in r.notes))'],
        tmp_path,
    )
    assert errors_of(nb) == []
    out = stream_of(nb.cells[3])
    # The note is given once (the failing checks may also name the global in their diagnosis).
    assert "`train` reads the notebook's variable `X`" in out and out.strip().endswith("1")


def test_outside_a_kernel_check_says_where_it_works(monkeypatch: pytest.MonkeyPatch) -> None:
    # Other tests may leave an IPython shell instance in this process: be outside one for sure.
    monkeypatch.setattr(inline, "_shell", lambda: None)
    with pytest.raises(inline.CheckError, match="grade FILE"):
        inline.check("exercise2")


def test_choose_exercise_from_the_functions_defined() -> None:
    assert inline.choose_exercise(None, ["train", "print"]) == ("exercise2", None)
    assert inline.choose_exercise(None, ["make_net", "train_net"]) == ("exercise4", None)
    assert inline.choose_exercise("exercise3", []) == ("exercise3", None)
    assert inline.choose_exercise(None, ["foo"])[1][0] == "inline.no-exercise"  # type: ignore[index]
    assert inline.choose_exercise("exercise9", [])[1][0] == "inline.unknown-exercise"  # type: ignore[index]


def test_history_leaves_out_installs_and_keeps_order() -> None:
    class Manager:
        input_hist_raw = ["", "%pip install -q grader", "import torch", "", "x = 1\n", "%load_ext grader"]

    class Shell:
        history_manager = Manager()
        user_ns: dict[str, Any] = {}

    assert inline.kernel_history(Shell()) == [(2, "import torch"), (4, "x = 1\n"), (5, "%load_ext grader")]


def test_a_function_imported_from_a_file_is_flagged(tmp_path: Path) -> None:
    (tmp_path / "mysolution.py").write_text("import torch\n\n" + CORRECT + "\n", encoding="utf-8")
    nb = run_cells(
        ["import torch", DATA, "from mysolution import train", 'from grader import check\nr = check("exercise2", display=False)\nprint(r.notes)'],
        tmp_path,
    )
    assert errors_of(nb) == []
    out = stream_of(nb.cells[3])
    assert "`train` comes from the file mysolution.py, not from a cell" in out


def test_the_current_notebook_is_found_where_the_front_end_names_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# x"), nbformat.v4.new_code_cell("a = 1")])
    nbformat.write(nb, str(tmp_path / "hw.ipynb"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)

    class Shell:
        user_ns: dict[str, Any] = {}

    assert inline.current_cells(Shell()) is None
    # ipykernel's __session__ (from Jupyter Server, relative to its root), VS Code's __vsc_ipynb_file__.
    Shell.user_ns = {"__session__": "course/week3/hw.ipynb"}
    assert inline.current_cells(Shell()) == ["a = 1"]
    Shell.user_ns = {"__vsc_ipynb_file__": str(tmp_path / "hw.ipynb")}
    assert inline.current_cells(Shell()) == ["a = 1"]
