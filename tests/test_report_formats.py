"""JUnit XML, Gradescope results.json and GitHub workflow commands."""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

from typing import Optional

import pytest

import report_samples as samples
from grader.report import common
from grader.report.github import annotations, escape_data, escape_property, step_summary
from grader.report.gradescope import dumps_gradescope, render_gradescope, visible_verdict
from grader.report.junit import render_junit, xml_safe
from grader.results import CheckResult, Frame, GradeResult, Message, StudentError

LANGS = ("en", "ko")
RESULTS = {name: build() for name, build in samples.ALL.items()}


# ----------------------------------------------------------------------
# JUnit


def _suites(lang: str = "en") -> tuple[ET.Element, dict[str, ET.Element]]:
    names = list(RESULTS)
    root = ET.fromstring(render_junit([RESULTS[n] for n in names], lang).encode("utf-8"))
    return root, dict(zip(names, root.findall("testsuite")))


@pytest.mark.parametrize("lang", LANGS)
def test_junit_parses_and_counts_add_up(lang: str) -> None:
    root, suites = _suites(lang)
    assert root.tag == "testsuites"
    assert len(suites) == len(RESULTS)
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for suite in suites.values():
        cases = suite.findall("testcase")
        counted = {
            "tests": len(cases),
            "failures": sum(1 for c in cases if c.find("failure") is not None),
            "errors": sum(1 for c in cases if c.find("error") is not None),
        }
        for key, value in counted.items():
            assert int(suite.get(key, "-1")) == value, (suite.get("name"), key)
            totals[key] += value
        assert suite.get("skipped") == "0"
        float(suite.get("time", "x"))
    for key, value in totals.items():
        assert int(root.get(key, "-1")) == value


def test_junit_expected_counts() -> None:
    _, suites = _suites()
    expected = {
        "full_marks": (6, 0, 0),
        "grad_not_cleared": (6, 3, 0),
        "non_finite": (6, 2, 0),
        "runtime_error": (4, 2, 0),
        "timeout": (3, 0, 3),
        "syntax_error": (1, 0, 1),
        "notebook": (2, 0, 0),
        "hostile": (2, 2, 0),
    }
    for name, (tests, failures, errors) in expected.items():
        suite = suites[name]
        assert (int(suite.get("tests", "")), int(suite.get("failures", "")), int(suite.get("errors", ""))) == (tests, failures, errors), name


def test_junit_failure_carries_the_diagnosis() -> None:
    _, suites = _suites("ko")
    result = RESULTS["grad_not_cleared"]
    case = suites["grad_not_cleared"].findall("testcase")[0]
    failure = case.find("failure")
    assert failure is not None
    diag = common.check_diagnosis(result.checks[0], "ko")
    assert diag is not None
    assert failure.get("message") == diag.title
    assert failure.get("type") == "grad-not-cleared"
    assert diag.why in (failure.text or "")
    assert "from exercise2 import train" in (failure.text or "")
    props = {p.get("name"): p.get("value") for p in case.iter("property")}
    assert props == {"score": "0", "max_score": "3"}


def test_junit_hidden_failure_says_nothing_more() -> None:
    text = render_junit([RESULTS["grad_not_cleared"]])
    assert "SECRET-HIDDEN-EXAMPLE" not in text
    case = ET.fromstring(text).findall("testsuite/testcase")[1]
    failure = case.find("failure")
    assert failure is not None and failure.get("type") == "hidden" and not failure.text


def test_junit_errors_for_ungraded_submissions() -> None:
    _, suites = _suites()
    syntax = suites["syntax_error"].find("testcase/error")
    assert syntax is not None
    assert syntax.get("type") == "syntax-error"
    assert "line 12" in (syntax.get("message") or "")
    assert "for epoc in range(epochs)" in (syntax.text or "")
    for case in suites["timeout"].findall("testcase"):
        error = case.find("error")
        assert error is not None and error.get("type") == "timeout"


def test_junit_survives_control_characters_and_markup() -> None:
    root, suites = _suites()
    err = suites["timeout"].find("system-err")
    assert err is not None and "\\x00" in (err.text or "") and "\\x1b[31m" in (err.text or "")
    assert "<script>" in (err.text or "")  # escaped in the XML, intact once parsed
    hostile = suites["hostile"].find("testcase/failure")
    assert hostile is not None and "</pre><script>" in (hostile.text or "")
    notebook_err = suites["notebook"].find("system-err")
    assert notebook_err is not None and "NameError" in (notebook_err.text or "")
    assert xml_safe("a\x00b\x07c\ud800d") == "a\\x00b\\x07c\\xd800d"


# ----------------------------------------------------------------------
# Gradescope


@pytest.mark.parametrize("name", list(RESULTS))
@pytest.mark.parametrize("lang", LANGS)
def test_gradescope_fields_and_strict_json(name: str, lang: str) -> None:
    result = RESULTS[name]
    data = render_gradescope(result, lang)
    text = json.dumps(data, allow_nan=False)
    assert json.loads(text) == data
    assert isinstance(data["score"], float) and data["score"] == pytest.approx(common.finite(result.score))
    assert isinstance(data["execution_time"], (int, float)) and data["execution_time"] >= 0
    assert data["output"].startswith(common.markdown_text(visible_verdict(result, lang)))
    assert data["visibility"] == "visible" and data["stdout_visibility"] == "hidden"
    assert len(data["tests"]) == len(result.checks)
    for i, (test, check) in enumerate(zip(data["tests"], result.checks)):
        assert set(test) >= {"name", "number", "score", "max_score", "output", "visibility", "status", "tags"}
        assert test["score"] == common.finite(check.score) and test["max_score"] == common.finite(check.max_score)
        assert test["visibility"] == ("after_published" if check.hidden else "visible")
        assert test["status"] == ("passed" if check.passed else "failed")
        assert (test["output"] == "") == check.passed
    # Visible tests are numbered 1..V, hidden ones after them: no gap shows where a hidden check stands.
    visible = [t["number"] for t in data["tests"] if t["visibility"] == "visible"]
    assert visible == [str(k + 1) for k in range(len(visible))]
    assert sorted(int(t["number"]) for t in data["tests"]) == list(range(1, len(result.checks) + 1))
    assert sum(t["score"] for t in data["tests"]) == pytest.approx(data["score"])
    json.loads(dumps_gradescope(result, lang))


def test_gradescope_output_is_the_diagnosis() -> None:
    data = render_gradescope(RESULTS["grad_not_cleared"], "ko")
    diag = common.check_diagnosis(RESULTS["grad_not_cleared"].checks[0], "ko")
    assert diag is not None
    first = data["tests"][0]["output"]
    assert diag.title in first and diag.fix in first
    assert "```python\nWhat.grad = None" in first
    assert data["tests"][0]["tags"] == ["grad-not-cleared"]
    hidden = data["tests"][1]
    assert hidden["visibility"] == "after_published"
    assert "SECRET-HIDDEN-EXAMPLE" not in hidden["output"]


def test_gradescope_code_fences_cannot_be_closed_by_student_text() -> None:
    out = render_gradescope(RESULTS["hostile"], "en")["tests"][0]["output"]
    assert "````python\nprint('<img" in out  # a longer fence than the ``` inside
    assert render_gradescope(RESULTS["hostile"], "en")["execution_time"] == 0.0


# ----------------------------------------------------------------------
# GitHub


def test_escaping_follows_the_workflow_command_rules() -> None:
    assert escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert escape_data("a: b, c") == "a: b, c"
    assert escape_property("a: b, c%\n") == "a%3A b%2C c%25%0A"


COMMAND = re.compile(r"^::error file=[^,:\r\n]+(,line=[1-9][0-9]*)?,title=[^,:\r\n]+::[^\r\n]+$")


@pytest.mark.parametrize("name", list(RESULTS))
@pytest.mark.parametrize("lang", LANGS)
def test_annotations_are_single_well_formed_commands(name: str, lang: str) -> None:
    result = RESULTS[name]
    lines = annotations(result, result.submission, lang)
    for line in lines:
        assert COMMAND.match(line), line
    # One per distinct mistake and line: no two share both ...
    places = [(re.search(r",line=(\d+)", line), line.split(",title=", 1)[1].split("::", 1)[0]) for line in lines]
    keys = [(m.group(1) if m else None, title) for m, title in places]
    assert len(keys) == len(set(keys)), keys
    # ... and every failing check (not failing only with the whole submission) is in exactly one.
    failing = [c for c in result.checks if not c.passed and not common.repeats_submission(c, result)]
    for check in failing:
        title = escape_data(common.check_title(check, lang))
        holding = [line for line in lines if title in line.split("::", 2)[2].split("%0A", 1)[0] or (check.hidden and title in line)]
        assert len(holding) == 1, (check.name, lines)
    assert bool(lines) == bool(failing or result.diagnosis)


def test_annotation_lines_and_properties() -> None:
    hostile = annotations(RESULTS["hostile"], "dir,with:odd%name/exercise4.py")
    assert hostile[0].startswith("::error file=dir%2Cwith%3Aodd%25name/exercise4.py,line=7,title=")
    assert "100%25 sure" in hostile[0] and "%0D%0Asecond line" in hostile[0]
    runtime = annotations(RESULTS["runtime_error"], "exercise1.py")
    assert ",line=40," in runtime[0]
    assert ",line=" not in runtime[1]  # no frame: no line
    syntax = annotations(RESULTS["syntax_error"], "exercise3.py")
    assert syntax[0].startswith("::error file=exercise3.py,line=12,title=")
    # "Fix the line shown below": the line is below.
    assert syntax[0].endswith("shown below, then grade again.%0Aexercise3.py:12: for epoc in range(epochs)")
    hidden = annotations(RESULTS["grad_not_cleared"], "exercise2.py")[1]
    assert "SECRET" not in hidden and "hidden check" in hidden
    assert annotations(RESULTS["full_marks"], "exercise2.py") == []


def _failed(name: str, function: str, code: str, *, line: Optional[int] = None, example: Optional[str] = None, hidden: bool = False) -> CheckResult:
    frames = (Frame("exercise2.py", line, function, "What = What - alpha * What.grad"),) if line else ()
    return CheckResult(
        name=f"{function}.{name}",
        title=Message(f"check.{name}", {"function": function, "argument": "What", "names": "X, y"}),
        passed=False,
        score=0.0,
        max_score=1.0,
        diagnosis=code,
        message=Message(f"diagnosis.{code}.why", {"function": function, "type": "TypeError", "message": "TypeError: unsupported operand"}),
        error=StudentError("TypeError", "unsupported operand", frames) if line else None,
        example=example,
        hidden=hidden,
    )


def test_one_mistake_on_one_line_is_one_annotation_listing_its_checks() -> None:
    # The bug that gave 5 identical annotations on one line: train raises at line 7 in every check.
    checks = tuple(_failed(name, "train", "runtime-error", line=7) for name in ("lecture", "generated", "in-place", "inputs-unchanged", "device"))
    result = GradeResult("exercise2", "exercise2.py", 0.0, 5.0, checks)
    (only,) = annotations(result, "exercise2.py")
    assert ",line=7," in only
    assert "`train` on the lecture's data; `train` on generated data; `train` updates `What` in place; `train` leaves X, y unchanged; `train` runs on a GPU" in only
    # Two mistakes, or one mistake on two lines, stay apart; a hidden check is never merged.
    other_line = checks + (_failed("generated", "train", "runtime-error", line=9),)
    assert len(annotations(GradeResult("exercise2", "exercise2.py", 0.0, 6.0, other_line), "exercise2.py")) == 2
    hidden = checks + (_failed("lecture", "train", "runtime-error", line=7, hidden=True),)
    assert len(annotations(GradeResult("exercise2", "exercise2.py", 0.0, 6.0, hidden), "exercise2.py")) == 2


def _fix_codes() -> list[str]:
    from grader.messages.diagnoses import DIAGNOSES

    return sorted({key.split(".")[1] for key in DIAGNOSES if key.startswith("diagnosis.") and key.endswith(".fix")})


@pytest.mark.parametrize("lang", LANGS)
def test_no_annotation_points_at_text_it_does_not_hold(lang: str) -> None:
    # "Fix the line shown below" / "Run the minimal example below" with nothing below.
    below = {"en": re.compile(r"\bbelow\b"), "ko": re.compile("아래")}[lang]
    example = "import torch\nfrom exercise2 import train  # your file\ntrain(X=X)"
    for code in _fix_codes():
        for with_material in (False, True):
            check = _failed("lecture", "train", code, line=7 if with_material else None, example=example if with_material else None)
            submission_wide = code in ("syntax-error", "imports-grader", "timeout", "memory-limit", "crashed", "grader-error", "invalid-notebook")
            result = GradeResult("exercise2", "exercise2.py", 0.0, 1.0, (check,), diagnosis=code if submission_wide else None, message=check.message, error=check.error)
            for line in annotations(result, "exercise2.py", lang):
                message = line.split("::", 2)[2].replace("%0A", "\n")
                if below.search(message):
                    said = message[below.search(message).start() :]  # type: ignore[union-attr]
                    assert "train(X=X)" in said or "exercise2.py:7: What = What - alpha * What.grad" in said, (code, with_material, message)


def test_notebook_cell_frames_give_no_line() -> None:
    from grader.results import Frame, StudentError

    assert common.student_line(StudentError("E", "", (Frame("<cell 3>", 2, "<module>", "x"),))) is None
    assert common.student_line(StudentError("E", "", (Frame("ex.py", 9, "f", "x"), Frame("<string>", 1, "g", "y")))) == 9


@pytest.mark.parametrize("lang", LANGS)
def test_step_summary_is_a_markdown_table_per_submission(lang: str) -> None:
    results = list(RESULTS.values())
    md = step_summary(results, lang)
    assert md.startswith(f"## {common.text('report.title', lang)}")
    assert md.count("|---|---|---:|") == sum(1 for r in results if r.checks)
    rows = [line for line in md.splitlines() if line.startswith("| ") and not line.startswith(f"| {common.text('report.check', lang)}")]
    assert len(rows) == sum(len(r.checks) for r in results)
    for row in rows:
        # Exactly four unescaped pipes: three cells.
        assert len(re.findall(r"(?<!\\)\|", row)) == 4, row
    assert "SECRET" not in md
    total = sum(common.finite(r.score) for r in results)
    assert f"{total:g}/" in md


def test_step_summary_escapes_table_breakers() -> None:
    from dataclasses import replace

    from grader.results import Message

    result = RESULTS["hostile"]
    odd = replace(result.checks[0], title=Message("check.lecture", {"function": "a|b"}), diagnosis=None, message=None)
    md = step_summary([replace(result, checks=(odd,))])
    row = next(line for line in md.splitlines() if "a\\|b" in line)
    assert len(re.findall(r"(?<!\\)\|", row)) == 4


def test_every_format_encodes_as_utf8() -> None:
    # The hostile sample's exception message carries a lone surrogate.
    from grader.report.html import render_html

    result = RESULTS["hostile"]
    for lang in LANGS:
        render_html(result, lang, figures=False).encode("utf-8")
        render_junit([result], lang).encode("utf-8")
        dumps_gradescope(result, lang).encode("utf-8")
        step_summary([result], lang).encode("utf-8")
        for line in annotations(result, result.submission, lang):
            line.encode("utf-8")


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_missing_sandbox_protections_stay_out_of_every_student_report(lang: str) -> None:
    from grader.report.terminal import render_terminal

    result = samples.timeout()
    assert result.run.protections_missing
    for text in (render_terminal(result, lang), render_gradescope(result, lang)["output"], step_summary([result], lang)):
        assert "RLIMIT_NPROC" not in text and "seccomp" not in text
