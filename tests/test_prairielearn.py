"""PrairieLearn's external grader, end to end: `grade prairielearn` run on a job laid out
as PrairieLearn mounts it (/grade/student, /grade/tests, /grade/data/data.json), and its
results.json validated against PrairieLearn's documented format (tests/schemas/)."""
from __future__ import annotations

import json
import os
import pwd
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any, Optional

import jsonschema
import pytest

import report_samples as samples
from conftest import TESTS
from grader.cli import main as cli
from grader.report.prairielearn import LIMIT, render_prairielearn, size
from grader.results import CheckResult, Frame, GradeResult, Message, Output, RunInfo, StudentError

SCHEMA = json.loads((TESTS / "schemas" / "prairielearn_results.json").read_text(encoding="utf-8"))
CORPUS = TESTS / "submissions" / "exercise2"
PRIVATE = TESTS / "private_reference"
QUESTION = TESTS.parent / "deploy" / "prairielearn" / "questions" / "exercise2"
# What ansi2html would act on, and what would break a <pre> line: no raw control character but LF and TAB.
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
ME = pwd.getpwuid(os.geteuid()).pw_name


def valid(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` checked against PrairieLearn's format, its size limit, and inert text."""
    jsonschema.validate(document, SCHEMA)
    assert size(document) < LIMIT
    if document.get("gradable", True):
        # Every test has both points: otherwise PrairieLearn's element drops all of them.
        assert all("points" in t and "max_points" in t for t in document["tests"])
    for text in _strings(document):
        assert not CONTROL.search(text), repr(text)
    return document


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("name", sorted(samples.ALL))
def test_every_report_follows_prairielearns_format(name: str, lang: str) -> None:
    result = samples.ALL[name]()
    document = valid(render_prairielearn(result, lang))
    json.loads(json.dumps(document, allow_nan=False))
    if document["gradable"]:
        assert document["score"] == pytest.approx(min(max(result.score / result.max_score, 0), 1))
        # The rows add up to the score the student sees.
        assert sum(t["points"] for t in document["tests"]) == pytest.approx(result.score)
        assert sum(t["max_points"] for t in document["tests"]) == pytest.approx(result.max_score)


def test_a_file_that_cannot_run_is_not_gradable_and_uses_no_attempt() -> None:
    document = valid(render_prairielearn(samples.syntax_error(), "en"))
    assert document["gradable"] is False and document["score"] == 0 and document["tests"] == []
    assert document["format_errors"] and "syntax-error" in document["format_errors"][0]
    assert "line 12" in document["output"] and "expected ':'" in document["output"]


def test_hidden_checks_count_as_one_row_without_names_or_number() -> None:
    result = samples.grad_not_cleared()  # one hidden check (0/3) among six
    document = valid(render_prairielearn(result, "en"))
    assert document["score"] == pytest.approx(0.3)
    hidden = document["tests"][-1]
    assert hidden["name"] == "Your instructor's other checks" and (hidden["points"], hidden["max_points"]) == (0, 3)
    assert "output" not in hidden and "SECRET-HIDDEN-EXAMPLE" not in json.dumps(document)
    assert len(document["tests"]) == 6 and document["message"].startswith("Checks shown: 3/7; 2 of 5 failed. Your instructor's other checks: 0/3.")
    # Two hidden checks or one: the same rows, the same words, only their points add up.
    one = samples.grad_not_cleared()
    (secret,) = [c for c in one.checks if c.hidden]
    two = replace(one, checks=(*one.checks, replace(secret, name="second", title=Message("check.history-lengths", {"function": "train"}), passed=True, score=0.0, max_score=0.0)))
    assert render_prairielearn(two, "en") == document


def test_student_text_is_plain_text_for_ansi2html() -> None:
    """PrairieLearn puts message and output through ansi2html, which escapes HTML itself:
    markup stays literal (escaping it here would show &lt;), escape sequences become text."""
    error = StudentError("ValueError", "\x1b[8mhidden\x1b[0m </pre><script>alert(1)</script> \x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\", (Frame("exercise2.py", 3, "train", "x = 1\r"),))
    check = CheckResult("lecture", Message("check.lecture", {"function": "train"}), False, 0.0, 3.0, "runtime-error", Message("diagnosis.runtime-error.title", {"function": "train", "type": "ValueError"}), error=error)
    result = GradeResult("exercise2", "exercise2.py", 0.0, 3.0, (check,), run=RunInfo(stdout=Output("\x1b[2J\x1b[31mred\x07\u202eevil\n")))
    document = valid(render_prairielearn(result, "en"))
    text = json.dumps(document, ensure_ascii=False)
    assert "\x1b" not in text and "\\x1b[8mhidden" in document["tests"][0]["output"]
    assert "<script>alert(1)</script>" in document["tests"][0]["output"] and "&lt;" not in text
    assert "\\x1b[2J\\x1b[31mred\\x07\\x202eevil" in document["output"]


def test_results_stay_under_prairielearns_size_limit() -> None:
    frames = tuple(Frame("exercise2.py", i, "train", "x" * 200) for i in range(3000))
    error = StudentError("RecursionError", "maximum recursion depth exceeded", frames)
    checks = tuple(
        CheckResult(f"c{i}", Message("check.lecture", {"function": "train"}), False, 0.0, 1.0, "runtime-error", Message("diagnosis.runtime-error.title", {"function": "train", "type": "RecursionError"}), error=error)
        for i in range(6)
    )
    result = GradeResult("exercise2", "exercise2.py", 0.0, 6.0, checks, run=RunInfo(stdout=Output("한글 출력\n" * 20000)))
    assert size(render_prairielearn(replace(result, checks=checks[:1]), "ko")) < LIMIT
    document = valid(render_prairielearn(result, "ko"))
    assert "PrairieLearn" in json.dumps(document, ensure_ascii=False)  # the cut is marked
    assert len(document["tests"]) == 6 and document["score"] == 0


# ----------------------------------------------------------------------
# The entry point, on a job laid out as PrairieLearn mounts it


def job(tmp_path: Path, upload: dict[str, Path], tests: Optional[Path] = None, params: Optional[dict[str, Any]] = None) -> Path:
    root = tmp_path / "grade"
    shutil.rmtree(root, ignore_errors=True)
    (root / "student").mkdir(parents=True)
    (root / "data").mkdir()
    for name, source in upload.items():
        shutil.copy(source, root / "student" / name)
    if tests is not None:
        shutil.copytree(tests, root / "tests")
    (root / "data" / "data.json").write_text(json.dumps({"params": params or {}, "submitted_answers": {}}), encoding="utf-8")
    os.chmod(root, 0o700)  # as PrairieLearn's grader host makes it
    return root


def run_entry(root: Path, *args: str) -> dict[str, Any]:
    """`grade prairielearn`, as the container runs it: a fresh process, exit 0, results.json written."""
    done = subprocess.run([sys.executable, "-m", "grader", "prairielearn", "--job", str(root), "--user", ME, *args], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return valid(json.loads((root / "results" / "results.json").read_text(encoding="utf-8")))


def test_the_entry_point_grades_a_correct_and_a_buggy_upload(tmp_path: Path) -> None:
    document = run_entry(job(tmp_path, {"exercise2.py": CORPUS / "lecture_style.py"}), "--exercise", "exercise2")
    assert document["gradable"] is True and document["score"] == 1.0
    assert all(t["points"] == t["max_points"] > 0 for t in document["tests"]) and document["message"].startswith("Full marks")

    document = run_entry(job(tmp_path, {"exercise2.py": CORPUS / "grad_never_reset.py"}), "--exercise", "exercise2", "--lang", "ko")
    assert document["gradable"] is True and document["score"] == pytest.approx(3 / 9)
    failed = [t for t in document["tests"] if t["points"] < t["max_points"]]
    assert failed and "What.grad = None" in failed[0]["message"] and "2번째 에폭" in failed[0]["output"]


def test_the_exercise_comes_from_data_json_or_the_file_name(tmp_path: Path) -> None:
    # The question's params name the exercise; the student's file is named anything.
    # (--device off: what is tested here is which exercise is graded, not the device checks)
    document = run_entry(job(tmp_path, {"answer.py": CORPUS / "lecture_style.py"}, params={"exercise": "exercise2", "lang": "ko"}), "--device", "off")
    assert document["score"] == 1.0 and "만점" in document["message"]
    # Nothing names it: the file's name does, or the student is told how to name it.
    document = run_entry(job(tmp_path, {"exercise2.py": CORPUS / "lecture_style.py"}), "--device", "off")
    assert document["score"] == 1.0
    document = run_entry(job(tmp_path, {"answer.py": CORPUS / "lecture_style.py"}))
    assert document["gradable"] is False and "exercise1.py" in document["message"]


def test_an_empty_upload_or_a_file_that_cannot_be_graded_is_not_gradable(tmp_path: Path) -> None:
    for upload in ({}, {"answers.txt": CORPUS / "lecture_style.py"}):
        document = run_entry(job(tmp_path, upload), "--exercise", "exercise2")
        assert document["gradable"] is False and document["score"] == 0 and document["tests"] == []
        assert ".py" in document["format_errors"][0]
    document = run_entry(job(tmp_path, {"exercise2.py": CORPUS / "unbalanced_paren.py"}), "--exercise", "exercise2")
    assert document["gradable"] is False and "syntax-error" in document["message"] and "SyntaxError" in document["output"]


def test_private_checks_in_the_questions_tests_folder_are_used_and_stay_hidden(tmp_path: Path) -> None:
    root = job(tmp_path, {"exercise2.py": CORPUS / "grad_never_reset.py"}, tests=PRIVATE)
    document = run_entry(root, "--exercise", "exercise2", "--device", "off")
    hidden = document["tests"][-1]
    assert hidden["name"] == "Your instructor's other checks" and hidden["max_points"] > 0
    assert "hidden-long-runs" not in json.dumps(document)
    assert sorted(p.name for p in (root / "student").iterdir()) == ["exercise2.py"], "the grader wrote beside the upload"


def test_a_grader_failure_still_writes_results_and_costs_no_attempt(tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "exercise2.py").write_text("raise RuntimeError('the instructor made a typo')\n", encoding="utf-8")
    document = run_entry(job(tmp_path, {"exercise2.py": CORPUS / "lecture_style.py"}, tests=broken), "--exercise", "exercise2")
    assert document["gradable"] is False and "instructor" in document["message"]


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can change user")
def test_started_as_root_the_grading_runs_as_the_unprivileged_user(tmp_path: Path) -> None:
    from grader.authoring.prairielearn import run_as

    nobody = pwd.getpwnam("nobody")
    folder = tmp_path / "work"
    folder.mkdir()
    os.chown(folder, nobody.pw_uid, nobody.pw_gid)
    assert run_as(["sh", "-c", "id -u > ids; id -G >> ids"], nobody, {"PATH": "/usr/bin:/bin"}, folder) == 0
    uid, groups = (folder / "ids").read_text().split("\n", 1)
    assert int(uid) == nobody.pw_uid and groups.split() == [str(nobody.pw_gid)]


def test_the_sample_question_runs_this_entry_point() -> None:
    from grader.authoring.prairielearn import _parser

    info = json.loads((QUESTION / "info.json").read_text(encoding="utf-8"))
    assert info["gradingMethod"] == "External" and info["externalGradingOptions"]["enabled"] is True
    options = info["externalGradingOptions"]
    # PrairieLearn splits the entrypoint string on spaces.
    words = options["entrypoint"].split(" ")
    assert words[:2] == ["grade", "prairielearn"] and "prairielearn" in cli.SUBCOMMANDS
    args = _parser("grade prairielearn").parse_args(words[2:])
    # PrairieLearn kills the container at its timeout ("grading failed", no score): leave room for the start.
    assert options["timeout"] >= args.timeout + 30 and options["timeout"] <= 600
    html = (QUESTION / "question.html").read_text(encoding="utf-8")
    assert "<pl-external-grader-results>" in html and f'file-names="{args.exercise}.py"' in html
    dockerfile = (TESTS.parent / "Dockerfile").read_text(encoding="utf-8")
    assert "grader-prairielearn" in options["image"] and re.search(r"^FROM \S+ AS prairielearn$", dockerfile, re.M)
