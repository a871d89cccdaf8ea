"""The grader's own costs are bounded (issue 17, item 4).

The grader parses each submission itself, in its own process, outside every
sandbox limit.  A 1.6 MB correct file once cost it 1.7 GB and half a minute,
and the parsed trees piled up across a batch.  Now what it reads is capped
(``grader.intake.reading.Caps``), each cap is checked before the step it
protects, and a submission over one gets ``too-large``, 0 points, without a
worker.  The hostile files are made by ``tests/adversarial/huge/generate.py``
(too large to keep in the repository); each is correct underneath its bulk.
"""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import TESTS
from grader.checks import source
from grader.execution.grading import Options, grade
from grader.intake import reading
from grader.intake.reading import Caps, Oversize
from grader.intake.scan import grader_uses
from grader.intake.submission import locate
from grader.messages import render
from grader.report.json_output import dumps
from grader.results import RunInfo, SUBMISSION_CODES
from grader.worker.sandbox.limits import Limits

HUGE = TESTS / "adversarial" / "huge"
_spec = importlib.util.spec_from_file_location("huge_generate", HUGE / "generate.py")
assert _spec is not None and _spec.loader is not None
generate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(generate)

TIMEOUT = 4.0
OPTIONS = Options(limits=Limits(timeout=TIMEOUT), max_examples=2)


def _write(folder: Path, name: str, content: object) -> Path:
    path = folder / name
    path.write_bytes(content if isinstance(content, bytes) else str(content).encode())
    return path


# --------------------------------------------------------------------------
# refused before anything is parsed, and never sent to a worker


REFUSED = {
    "huge_source.py": ("code", "diagnosis.too-large.why"),
    "dense_names.py": ("code", "diagnosis.too-large.why"),
    "long_lines.py": ("code", "diagnosis.too-large.why"),
    "deep_nesting.py": ("nesting", "diagnosis.too-large.why-nesting"),
    "deep_unary.py": ("nesting", "diagnosis.too-large.why-nesting"),
    "huge_notebook.ipynb": ("notebook", "diagnosis.too-large.why-notebook"),
    "many_cells.ipynb": ("cells", "diagnosis.too-large.why-cells"),
    "many_items.ipynb": ("items", "diagnosis.too-large.why-items"),
    "hidden_in_deep_cell.ipynb": ("nesting", "diagnosis.too-large.why-nesting"),
    "unreadable_commands.ipynb": ("magics", "diagnosis.too-large.why-magics"),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_a_hostile_file_is_refused_whole_without_a_worker(name: str, tmp_path: Path) -> None:
    path = generate.write(tmp_path, name)
    what, key = REFUSED[name]
    over = reading.load(str(path))
    assert isinstance(over, Oversize) and over.what == what

    started = time.monotonic()
    result = grade(locate(str(path), exercise="exercise2"), OPTIONS)
    elapsed = time.monotonic() - started

    assert result.diagnosis == "too-large" and "too-large" in SUBMISSION_CODES
    assert result.score == 0 and result.max_score > 0
    assert all(not c.passed and c.diagnosis == "too-large" for c in result.checks)
    assert result.message is not None and result.message.key == key
    assert result.run == RunInfo(), "a refused submission must never reach a worker"
    assert elapsed < TIMEOUT, f"refusing took {elapsed:.1f} s"
    document = json.loads(dumps(result))
    assert document["diagnosis"] == "too-large"
    # what was expected, what was found, what to do next: in both languages, every parameter filled in
    for lang in ("en", "ko"):
        why = render(result.message, lang)
        assert "?" not in why and why != key, why
        if what in ("code", "notebook"):
            assert reading._bytes(over.limit) in why and reading._bytes(over.found) in why, why
        elif what in ("cells", "items"):
            assert f"{over.limit:,}" in why, why


def test_the_message_says_what_was_found_and_the_limit(tmp_path: Path) -> None:
    path = generate.write(tmp_path, "huge_source.py")
    result = grade(locate(str(path), exercise="exercise2"), OPTIONS)
    assert result.message is not None
    english, korean = render(result.message, "en"), render(result.message, "ko")
    assert "1.5 MiB" in english and "256 KiB" in english, english
    assert "1.5 MiB" in korean and "256 KiB" in korean, korean
    fix = render("diagnosis.too-large.fix", "en")
    assert "Clear All Outputs" in fix and "instructor" in fix


# --------------------------------------------------------------------------
# real submissions pass comfortably


def test_a_notebook_full_of_figures_gets_full_marks(tmp_path: Path) -> None:
    """Outputs are what make a real notebook large (plots, animations): 24 MiB of them grade as usual."""
    path = _write(tmp_path, "exercise2.ipynb", generate.correct_notebook_with_figures(24 * 1024**2))
    result = grade(locate(str(path)), Options(limits=Limits(timeout=30), max_examples=2))
    assert result.full_marks, {c.name: c.diagnosis for c in result.checks if not c.passed}


def test_every_notebook_and_submission_of_the_corpora_is_within_the_caps() -> None:
    caps = Caps()
    files = [*TESTS.glob("submissions/*/*.py"), *TESTS.glob("notebooks/*.ipynb"), *TESTS.glob("adversarial/*.py"), *TESTS.glob("adversarial/forged/*.py")]
    assert len(files) > 50
    for path in files:
        assert not isinstance(reading.load(str(path), caps=caps), Oversize), path
        assert path.stat().st_size * 8 < caps.code or path.suffix == ".ipynb", f"{path}: a real submission should be far below the cap"


def test_an_instructor_can_raise_the_caps(tmp_path: Path) -> None:
    path = _write(tmp_path, "exercise2.py", generate.tiny_functions(400_000))
    refused = grade(locate(str(path)), OPTIONS)
    assert refused.diagnosis == "too-large"
    done = subprocess.run(
        [sys.executable, "-m", "grader", str(path), "--max-code-size", "1M", "--timeout", "30", "--examples", "2", "--no-html", "--format", "json"],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert json.loads(done.stdout)["score"] == 9


# --------------------------------------------------------------------------
# what is accepted costs a bounded amount


def _probe(path: Path, timeout: float = TIMEOUT) -> dict[str, object]:
    done = subprocess.run([sys.executable, str(HUGE / "probe.py"), str(path), "exercise2", str(timeout)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "name, make",
    [
        ("dense_names.py", lambda: generate.dense_names(Caps().code - 200)),
        ("tiny_functions.py", lambda: generate.tiny_functions(Caps().code - 200)),
        ("dense_cell.ipynb", lambda: generate.notebook([generate._cell(generate.dense_names(Caps().code - 200))])),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_the_graders_work_on_a_file_just_under_the_caps_is_bounded(name: str, make: object, tmp_path: Path) -> None:
    """The most tree per byte, or the most functions, just under the default caps:
    the grader process's own CPU stays within a small multiple of --timeout, and
    its peak memory within a few hundred MiB (before: 1.7 GB for a 1.6 MB file)."""
    path = _write(tmp_path, name, make())  # type: ignore[operator]
    timeout = 10.0
    cost = _probe(path, timeout)
    assert cost["diagnosis"] not in ("too-large", "grader-error"), cost
    if name.endswith(".py"):
        # correct underneath: full marks within the caps (a notebook's 256 KiB cell may
        # take the worker's IPython longer than a loaded machine leaves it)
        assert cost["score"] == cost["max_score"], cost
    assert float(cost["cpu_s"]) < timeout, cost  # type: ignore[arg-type]
    if cost["peak_reset"]:
        assert float(cost["peak_growth_mib"]) < 400, cost  # type: ignore[arg-type]


def test_refusing_a_huge_file_costs_the_grader_nothing(tmp_path: Path) -> None:
    cost = _probe(generate.write(tmp_path, "huge_source.py"))
    assert cost["diagnosis"] == "too-large"
    assert float(cost["cpu_s"]) < 0.5, cost  # type: ignore[arg-type]
    if cost["peak_reset"]:
        assert float(cost["peak_growth_mib"]) < 20, cost  # type: ignore[arg-type]


def test_a_batch_keeps_bounded_memory_across_three_huge_files(tmp_path: Path) -> None:
    """``grade batch`` over three 1.6 MB files and a correct one: the three are refused
    at once, the correct one graded, and no process of the batch grows past what
    grading one correct file takes (before: 122 s and 2.6 GB)."""
    folder = tmp_path / "class"
    for student, make in (("kim", "huge_source.py"), ("lee", "dense_names.py"), ("park", "long_lines.py")):
        (folder / student).mkdir(parents=True)
        _write(folder / student, "exercise2.py", generate.FILES[make]())
    (folder / "choi").mkdir()
    _write(folder / "choi", "exercise2.py", generate.CORRECT)
    out = tmp_path / "out"
    script = (
        "import resource, subprocess, sys, time\n"
        "started = time.monotonic()\n"
        "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
        "print(done.returncode, peak, time.monotonic() - started)\n"
        "sys.stderr.write(done.stderr[-3000:])\n"
    )
    command = [sys.executable, "-m", "grader", "batch", str(folder), "--exercise", "exercise2", "--out", str(out), "-j", "1", "--timeout", "10", "--examples", "2"]
    done = subprocess.run([sys.executable, "-c", script, *command], capture_output=True, text=True, timeout=600)
    code, peak_kib, _wall = done.stdout.split()
    assert code == "0", done.stderr
    records = {r["student"]: r for r in map(json.loads, (out / "results.jsonl").read_text().splitlines())}
    assert {s: r["diagnosis"] for s, r in records.items() if s != "choi"} == {"kim": "too-large", "lee": "too-large", "park": "too-large"}
    assert records["choi"]["score"] == records["choi"]["max_score"] == 9
    # The largest process of the batch (the grader with torch, or a worker) stays
    # near what one correct file needs.
    assert int(peak_kib) < 1024 * 1024, f"a process of the batch peaked at {int(peak_kib) // 1024} MiB (before the caps: 2085 MiB, 72 s)"


# --------------------------------------------------------------------------
# the caps, one by one, and the parse cache


def test_the_caps_are_checked_before_reading(tmp_path: Path) -> None:
    caps = Caps(code=1000, notebook=5000, cells=3)
    py = _write(tmp_path, "a.py", "x = 1\n" * 200)
    assert reading.load(str(py), caps=caps) == Oversize("code", 1200, 1000)
    nb = _write(tmp_path, "a.ipynb", generate.notebook([generate._cell("x = 1")] * 4))
    assert reading.load(str(nb), caps=caps) == Oversize("cells", 4, 3)
    big = _write(tmp_path, "b.ipynb", generate.notebook([generate._cell("x = 1\n" * 300)]))
    over = reading.load(str(big), caps=Caps(code=1000, notebook=100_000))
    assert over == Oversize("code", 1800, 1000)
    assert not isinstance(reading.load(str(big), caps=Caps(code=2000, notebook=100_000)), Oversize)
    items = _write(tmp_path, "c.ipynb", generate.many_items(4000))
    over = reading.load(str(items), caps=Caps(notebook=4000 * 2))  # 250 items at most
    assert isinstance(over, Oversize) and over.what == "items" and over.found == over.limit + 1 == 251


def test_commas_and_colons_inside_strings_do_not_count_as_items(tmp_path: Path) -> None:
    """A printed list of a million numbers is one string: it must not be taken for a million items."""
    printed = ", ".join(["1.0: 2"] * 200_000)
    nb = _write(tmp_path, "a.ipynb", generate.notebook([generate._cell(generate.CORRECT, [{"output_type": "stream", "name": "stdout", "text": [printed]}])]))
    caps = Caps(notebook=2 * 1024**2)  # 65,536 items
    code = reading.load(str(nb), caps=caps)
    assert not isinstance(code, Oversize), code
    assert "def train" in reading.python_of(code)


def test_the_grader_reads_a_notebook_as_the_worker_does(tmp_path: Path) -> None:
    """A byte-order mark, a version 3 notebook, a notebook named .py: what the worker
    runs is what the grader reads (else a `sys.settrace` there went unseen)."""
    tamper = "import sys\nsys.settrace(None)\n"
    bom = _write(tmp_path, "bom.ipynb", b"\xef\xbb\xbf" + generate.notebook([generate._cell(tamper)]))
    assert "settrace" in source.read(str(bom))
    v3 = {"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "cells": [], "worksheets": [{"cells": [{"cell_type": "code", "input": tamper, "outputs": [], "language": "python"}], "metadata": {}}]}
    old = _write(tmp_path, "old.ipynb", json.dumps(v3))
    assert "settrace" in source.read(str(old))
    disguised = _write(tmp_path, "notebook.py", generate.notebook([generate._cell(tamper)]))
    assert "settrace" in source.read(str(disguised), kind="ipynb")
    grader = _write(tmp_path, "imports.ipynb", b"\xef\xbb\xbf" + generate.notebook([generate._cell("x = 1"), generate._cell("import grader.reference")]))
    uses = grader_uses(str(grader))
    assert [(u.cell, u.line) for u in uses] == [(1, 1)]


def test_a_repeated_key_reads_as_json_loads_reads_it(tmp_path: Path) -> None:
    text = '{"nbformat": 4, "nbformat_minor": 4, "metadata": {}, "cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "source": "x = 1", "source": "import sys\\nsys.settrace(None)"}]}'
    path = _write(tmp_path, "a.ipynb", text)
    assert "settrace" in source.read(str(path))


def test_the_tree_cache_is_bounded_in_characters() -> None:
    reading.forget()
    texts = [f"x{i} = [{i}]\n" + "y = 1\n" * 10_000 for i in range(12)]  # 12 x 60 KB, past the budget
    for text in texts:
        assert reading.tree(text) is not None
    held = reading._TREES.size
    assert held <= reading.TREE_BUDGET, held
    assert len(reading._TREES.entries) < len(texts)
    assert reading.tree(texts[-1]) is reading.tree(texts[-1])  # the latest is kept: one parse per submission
    reading.forget()
    assert reading._TREES.size == 0 and not reading._TREES.entries


def test_grading_forgets_the_previous_submissions_trees(tmp_path: Path) -> None:
    reading.forget()
    first = _write(tmp_path, "exercise2.py", generate.CORRECT + "\n# first\n")
    grade(locate(str(first)), OPTIONS)
    assert any("# first" in text for text in reading._TREES.entries)
    second = tmp_path / "second"
    second.mkdir()
    path = _write(second, "exercise2.py", generate.CORRECT + "\n# second\n")
    grade(locate(str(path)), OPTIONS)
    assert not any("# first" in text for text in reading._TREES.entries)


def test_deep_nesting_is_a_verdict_not_a_crash() -> None:
    for text in (generate.deep_nesting(), generate.deep_unary()):
        assert reading.tree(text) is None
        assert source.parse(text).body == []  # the checks' readers see an empty module, never an exception
        assert source.tampering(text) is None
    assert len(source.parse("x = " + "(" * 150 + "1" + ")" * 150).body) == 1  # deep, but within the parser


def test_a_cell_past_the_parser_is_not_skipped_silently(tmp_path: Path) -> None:
    """Python in the worker may read a cell that the grader's parser cannot (an earlier
    cell raised the recursion limit): the submission is refused, not read without it."""
    path = generate.write(tmp_path, "hidden_in_deep_cell.ipynb")
    assert reading.load(str(path)) == Oversize("nesting", 0, 0)
    assert source.read(str(path)) == ""


def test_a_cell_of_many_commands_is_read_line_by_line_in_bounded_time(tmp_path: Path) -> None:
    """IPython's transformer would tokenize this 200 KB cell 500 times (minutes of the
    grader's CPU); it is read line by line instead, and the tampering in it is seen."""
    path = generate.write(tmp_path, "many_commands.ipynb")
    started = time.process_time()
    code = reading.load(str(path))
    assert time.process_time() - started < 3
    assert not isinstance(code, Oversize)
    finding = source.tampering(reading.python_of(code))
    assert finding is not None and finding.what == "sys.settrace"


@pytest.mark.parametrize(
    "cell, seen",
    [
        ("!ls\nsys.settrace(None)", True),
        ("x = %pwd\nsys.settrace(None)", True),
        ("if True:\n    !ls\n    sys.settrace(None)", True),
        ("  x = 1\n  !ls\n  sys.settrace(None)", True),  # IPython dedents the cell
        # a command-like line inside a string stays inside it: the string closes where IPython closes it
        ("s = '''\n!x ''' ; sys.settrace(None) ; t = '''\n'''", True),
        ("s = '''\n!x sys.settrace(None)\n'''", False),
        ("!echo sys.settrace(None)", False),  # a command's arguments are not Python
    ],
)
def test_line_by_line_reading_sees_what_ipython_runs(cell: str, seen: bool) -> None:
    for ipython in (True, False):
        text = reading.cell_python(cell, ipython=ipython)
        finding = source.tampering(text)
        assert (finding is not None) == seen, (ipython, text)


def test_reading_a_file_for_loops_is_linear_in_its_size() -> None:
    """Red team, round 3: two thousand one-line functions, each naming one function of 50,000
    names, all reached from the graded one.  The search for recursion walked the big one once
    per small one (115 s of the grader's CPU for 154 KB); it reads each definition once now."""
    big = "def h():\n    return [" + "z," * 50_000 + "]\n"
    small = "".join(f"def a{i}(): return h\n" for i in range(2000))
    graded = "def loss_surface(w0, w1, x, y):\n    return [" + ", ".join(f"a{i}" for i in range(2000)) + "] and (w0 + w1 + x + y)\n"
    text = "import torch\n\n" + big + small + graded
    start = time.process_time()
    assert source.python_loops(text, "loss_surface") == []
    assert time.process_time() - start < 10.0  # linear: well under a second here; 115 s before
