"""JUnit XML, for CI systems that show test results (GitHub reporters, GitLab, Jenkins).

One ``<testsuite>`` per submission, one ``<testcase>`` per check.  A failed
check is a ``<failure>`` whose message is the diagnosis title and whose text is
the diagnosis; a submission that could not run (syntax error, timeout, crash)
makes its checks ``<error>``s, since they were never really graded.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Optional, Sequence

from grader.report import common, escape
from grader.results import CheckResult, GradeResult

# Student output (terminal colours, a stray NUL) is full of characters XML
# 1.0 cannot carry at all: escape.xml_text shows them as ``\\xNN``.
xml_safe = escape.xml_text


def _el(parent: ET.Element, tag: str, text: Optional[str] = None, **attrs: object) -> ET.Element:
    el = ET.SubElement(parent, tag, {k: xml_safe(v) for k, v in attrs.items() if v is not None})
    if text:
        el.text = xml_safe(text)
    return el


def _seconds(value: float) -> str:
    return f"{max(common.finite(value), 0.0):.3f}"


def _testcase(suite: ET.Element, result: GradeResult, check: CheckResult, lang: str, ungraded: bool) -> str:
    """Adds a check's testcase; returns 'passed', 'failure' or 'error'."""
    title = common.check_title(check, lang)
    case = _el(suite, "testcase", classname=result.exercise, name=f"{check.name}: {title}", time="0")
    props = _el(case, "properties")
    _el(props, "property", name="score", value=common.points(check.score))
    _el(props, "property", name="max_score", value=common.points(check.max_score))
    if check.passed:
        return "passed"
    if check.hidden:
        _el(case, "failure", message=common.text("report.hidden-failed", lang), type="hidden")
        return "failure"
    if ungraded and common.repeats_submission(check, result):
        diag = common.submission_diagnosis(result, lang)
        _el(case, "error", diag.plain() if diag else None, message=diag.title if diag else result.diagnosis, type=result.diagnosis)
        return "error"
    diag = common.check_diagnosis(check, lang)
    tag = "error" if ungraded else "failure"
    _el(case, tag, common.failure_text(check, lang), message=diag.title if diag else title, type=check.diagnosis or "failed")
    return tag


def _suite(root: ET.Element, result: GradeResult, lang: str) -> dict[str, int]:
    suite = _el(root, "testsuite", name=f"{result.exercise}: {result.submission}", time=_seconds(result.run.wall_time))
    props = _el(suite, "properties")
    _el(props, "property", name="exercise", value=result.exercise)
    _el(props, "property", name="submission", value=result.submission)
    _el(props, "property", name="score", value=common.points(result.score))
    _el(props, "property", name="max_score", value=common.points(result.max_score))
    _el(props, "property", name="verdict", value=common.verdict(result, lang))
    if result.diagnosis:
        _el(props, "property", name="diagnosis", value=result.diagnosis)

    ungraded = common.is_ungraded(result)
    counts = {"tests": 0, "failures": 0, "errors": 0}
    for check in result.checks:
        outcome = _testcase(suite, result, check, lang, ungraded)
        counts["tests"] += 1
        if outcome == "failure":
            counts["failures"] += 1
        elif outcome == "error":
            counts["errors"] += 1
    if result.diagnosis and not (ungraded and any(common.repeats_submission(c, result) for c in result.checks)):
        # The submission's own failure has no check to carry it (nothing ran,
        # or it struck after some checks passed): it gets a testcase itself.
        case = _el(suite, "testcase", classname=result.exercise, name="submission", time=_seconds(result.run.wall_time))
        diag = common.submission_diagnosis(result, lang)
        body = diag.plain() if diag else ""
        if result.error is not None:
            body += f"\n\n{common.text('report.traceback', lang)}:\n{common.traceback_text(result.error, lang)}"
        _el(case, "error", body.strip(), message=diag.title if diag else result.diagnosis, type=result.diagnosis)
        counts["tests"] += 1
        counts["errors"] += 1
    if result.run.stdout.text:
        _el(suite, "system-out", _stream(result.run.stdout.text, result.run.stdout.dropped, lang))
    err = _stream(result.run.stderr.text, result.run.stderr.dropped, lang) if result.run.stderr.text else ""
    for cell in result.run.cells:
        # Notebook cells that raised are not checks, but a student wants them.
        label = common.cell_label(cell, lang)
        timed_out = f" ({common.text('report.cell-timeout', lang)})" if cell.timed_out else ""
        err += f"\n{label}{timed_out}:\n{common.traceback_text(cell.error, lang)}\n"
    if err.strip():
        _el(suite, "system-err", err.strip("\n"))
    suite.set("tests", str(counts["tests"]))
    suite.set("failures", str(counts["failures"]))
    suite.set("errors", str(counts["errors"]))
    suite.set("skipped", "0")
    return counts


def _stream(text: str, dropped: int, lang: str) -> str:
    if dropped:
        return f"{text}\n[{common.text('report.bytes-omitted', lang, n=dropped)}]"
    return text


def render_junit(results: Sequence[GradeResult], lang: str = "en") -> str:
    """A JUnit XML document (UTF-8, with declaration) for ``results``."""
    root = ET.Element("testsuites", {"name": "grader"})
    totals = {"tests": 0, "failures": 0, "errors": 0}
    time = 0.0
    for result in results:
        counts = _suite(root, result, lang)
        for k in totals:
            totals[k] += counts[k]
        time += max(common.finite(result.run.wall_time), 0.0)
    for k, v in totals.items():
        root.set(k, str(v))
    root.set("time", f"{time:.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
