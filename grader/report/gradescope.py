"""Gradescope's ``results.json`` (its autograder specification).

Top level: ``score``, ``execution_time``, ``output`` (the verdict), visibility
settings and ``tests``; each test has ``name``, ``number``, ``score``,
``max_score``, ``status``, ``output`` (the diagnosis, Markdown), ``tags`` (the
diagnosis code) and ``visibility``.  Test names are the checks' titles, which
mark code with backticks: ``name_format`` (and ``test_name_format``) is ``md``,
so Gradescope renders them instead of showing the backticks.

Hidden checks are ``after_published``: the student sees them once grades are
published, and even then without their example call, which would give the
hidden inputs away.  Before that, nothing the student can see tells of them
(Gradescope's specification, "Controlling Test Case Visibility"):

- the top-level ``score`` is the whole grade, hidden checks included (the
  specification: it "overrides total of tests"), and Gradescope itself keeps
  it from the student while any test is hidden ("If test cases are hidden,
  students will not be able to see their total score");
- the top-level ``output``, always visible, speaks of the visible checks
  only (:func:`visible_verdict`): their points, their count, their failures,
  then one sentence, the same for every student, saying that other checks
  count and are shown on publication;
- visible tests are numbered 1..V in their order, hidden ones V+1..N, so the
  visible numbers have no gaps where a hidden check stands.
"""
from __future__ import annotations

import json
from typing import Any

from grader.report import common
from grader.results import CheckResult, GradeResult


def _check_output(check: CheckResult, result: GradeResult, lang: str) -> str:
    if check.passed:
        return ""
    if common.repeats_submission(check, result):
        diag = common.submission_diagnosis(result, lang)
        return _markdown_diagnosis(diag) if diag else ""
    parts = []
    diag = common.check_diagnosis(check, lang)
    if diag is not None:
        parts.append(_markdown_diagnosis(diag))
    if check.divergence is not None and not check.hidden:
        parts.append(common.markdown_text(common.divergence_text(check, lang)))
    if check.example and not check.hidden:
        parts.append(f"**{common.text('report.example', lang)}**\n\n{common.markdown_code(check.example, 'python')}")
    if check.error is not None:
        tb = common.traceback_text(check.error, lang)
        parts.append(f"**{common.text('report.traceback', lang)}**\n\n{common.markdown_code(tb)}")
    return "\n\n".join(parts)


def _markdown_diagnosis(diag: common.DiagnosisText) -> str:
    lines = [f"**{common.markdown_text(diag.title)}**"]
    if diag.why:
        lines.append(common.markdown_text(diag.why))
    if diag.fix:
        lines.append(common.markdown_text(diag.fix))
    if diag.hint:
        lines.append(common.markdown_code(diag.hint, "python"))
    return "\n\n".join(lines)


def visible_verdict(result: GradeResult, lang: str) -> str:
    """The verdict a student may read before grades are published.

    Without hidden checks, the usual verdict.  With them, the points, count
    and failures of the visible checks only, and whether the submission ran
    judged from them alone (a hidden check that passed must not turn "could
    not run" into "0 points"), followed by one sentence that is the same for
    every student of the assignment.
    """
    if not any(check.hidden for check in result.checks):
        return common.verdict(result, lang)
    shown = [check for check in result.checks if not check.hidden]
    score = sum(common.finite(check.score) for check in shown)
    max_score = sum(common.finite(check.max_score) for check in shown)
    failed = sum(1 for check in shown if not check.passed)
    ran = result.diagnosis not in ("syntax-error", "invalid-notebook") and (result.diagnosis is None or score != 0.0 or failed < len(shown))
    if not ran:
        head = common.text("verdict.ungraded", lang, max_score=max_score, code=result.diagnosis)
    elif failed == 0:
        head = common.text("gradescope.shown-full", lang, score=score, max_score=max_score, total=len(shown))
    else:
        head = common.text("gradescope.shown-partial", lang, score=score, max_score=max_score, failed=failed, total=len(shown))
    return f"{head} {common.text('gradescope.hidden-later', lang)}"


def _numbers(result: GradeResult) -> list[str]:
    """Each check's test number: the visible ones 1..V in order, then the hidden ones."""
    order = [i for i, c in enumerate(result.checks) if not c.hidden] + [i for i, c in enumerate(result.checks) if c.hidden]
    numbers = [""] * len(result.checks)
    for position, index in enumerate(order):
        numbers[index] = str(position + 1)
    return numbers


def _submission_output(result: GradeResult, lang: str) -> str:
    parts = [common.markdown_text(visible_verdict(result, lang))]
    diag = common.submission_diagnosis(result, lang)
    if diag is not None:
        parts.append(_markdown_diagnosis(diag))
    if result.error is not None:
        parts.append(common.markdown_code(common.traceback_text(result.error, lang)))
    for cell in result.run.cells:
        label = common.cell_label(cell, lang)
        parts.append(f"**{common.markdown_text(label)}**\n\n{common.markdown_code(common.traceback_text(cell.error, lang))}")
    return "\n\n".join(parts)


def render_gradescope(result: GradeResult, lang: str = "en") -> dict[str, Any]:
    """The results.json object; ``json.dumps(..., allow_nan=False)`` accepts it."""
    tests = []
    numbers = _numbers(result)
    for i, check in enumerate(result.checks):
        test: dict[str, Any] = {
            "name": common.check_title(check, lang),
            # Titles are catalogue sentences that mark code with backticks.
            "name_format": "md",
            "number": numbers[i],
            "score": common.finite(check.score),
            "max_score": common.finite(check.max_score),
            "status": "passed" if check.passed else "failed",
            "output": _check_output(check, result, lang),
            "output_format": "md",
            "tags": [check.diagnosis] if check.diagnosis and not check.passed else [],
            "visibility": "after_published" if check.hidden else "visible",
        }
        tests.append(test)
    return common.clean_json({
        "score": common.finite(result.score),
        "execution_time": round(max(common.finite(result.run.wall_time), 0.0), 3),
        "output": _submission_output(result, lang),
        "output_format": "md",
        "test_output_format": "md",
        "test_name_format": "md",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {
            "exercise": result.exercise,
            "submission": result.submission,
            "max_score": common.finite(result.max_score),
            "diagnoses": list(result.diagnoses),
            "language": lang,
        },
    })


def dumps_gradescope(result: GradeResult, lang: str = "en") -> str:
    """results.json as text: strict JSON, UTF-8 as is (Korean stays readable)."""
    return json.dumps(render_gradescope(result, lang), ensure_ascii=False, allow_nan=False, indent=2) + "\n"
