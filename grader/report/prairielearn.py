"""PrairieLearn's ``results.json`` (its external grading documentation, "Grading results").

The object: ``gradable``, ``score`` (a fraction in [0, 1]), ``message``,
``output`` and ``tests``, each test with ``name``, ``points``, ``max_points``,
``message`` and ``output``; a submission that could not be graded at all has
``"gradable": false`` and ``format_errors``.  The file must stay under 1 MB.

**The medium.** PrairieLearn's ``<pl-external-grader-results>`` element puts
``message`` and ``output`` (top level and per test) through ansi2html, which
escapes HTML itself and turns ANSI escape sequences into styled spans, inside a
``<pre>``; ``name`` goes through Mustache's escaping.  So every string here is
plain text, never HTML (escaping it would show ``&lt;`` to the student), with
every control character shown as ``\\xNN`` (``escape.visible``), so that no
student text can colour, hide or overwrite what the grader says.

**Hidden checks.** PrairieLearn has no "after publication": the score shows
at once, and the element shows every test.  Hidden checks count in the score;
they are shown as one row, "Your instructor's other checks", with their points
and maximum added up, so that the rows add up to the score the student sees.
Their names, their number and their messages are never shown, and the verdict
counts the visible checks only.

**Not gradable.** A file that cannot run at all (``syntax-error``,
``invalid-notebook``) is "invalid, not gradable", PrairieLearn's own example
of that state: no points are given or lost and no attempt is used.  So is a
failure of the grader itself (``grader-error``): recording a 0 would be a
false failure.  Every other failure of the submission (a timeout, a crash,
tampering) is graded, with 0 points where it earns nothing.
"""
from __future__ import annotations

import json
from dataclasses import replace
from typing import Any, Sequence

from grader.report import common, escape
from grader.results import CheckResult, GradeResult

LIMIT = 1_000_000  # bytes, PrairieLearn's documented maximum
_BUDGET = 900_000  # what this module aims at, leaving room for PrairieLearn's own wrapping
# The file cannot run at all: "invalid, not gradable" (PrairieLearn's own example is a syntax error).
CANNOT_RUN = ("syntax-error", "invalid-notebook")
# The grader failed, not the student: no score may be recorded (a 0 would be a false failure).
GRADER_FAILED = ("grader-error",)


def text(value: object) -> str:
    """Student text (or any text) for PrairieLearn's ``message``/``output``: plain, every control character visible."""
    return escape.visible(value, multiline=True)


def line(value: object) -> str:
    """Text for a one-line field (a test's ``name``)."""
    return escape.visible(value)


def not_gradable(reason: str) -> dict[str, Any]:
    """results.json for an upload that cannot be graded: no points given or lost, no attempt used.

    ``score`` is there too (0): PrairieLearn reads it whatever ``gradable`` says.
    """
    return {"gradable": False, "score": 0.0, "message": text(reason), "format_errors": [text(reason)], "tests": []}


def render_prairielearn(result: GradeResult, lang: str = "en", notes: Sequence[str] = ()) -> dict[str, Any]:
    """The results.json object for ``result``; ``notes`` are sentences put before the verdict.

    Strict JSON (``json.dumps(..., allow_nan=False)`` accepts it) of at most
    ``LIMIT`` bytes once encoded as UTF-8: the longest texts are cut first.
    """
    details = _submission_details(result, lang)
    if result.diagnosis in CANNOT_RUN + GRADER_FAILED:
        diagnosis = common.submission_diagnosis(result, lang)
        if result.diagnosis in CANNOT_RUN or diagnosis is None:
            reason = common.text("prairielearn.cannot-run", lang, code=result.diagnosis)
        else:
            reason = diagnosis.plain()
        refused = not_gradable(reason)
        if details:
            refused["output"] = text(details)
        return fit(common.clean_json(refused), lang)
    shown = [check for check in result.checks if not check.hidden]
    hidden = [check for check in result.checks if check.hidden]
    tests = [_test(check, result, lang) for check in shown]
    if hidden:
        tests.append({
            "name": line(common.text("prairielearn.hidden-name", lang)),
            "points": sum(common.finite(c.score) for c in hidden),
            "max_points": sum(common.finite(c.max_score) for c in hidden),
            "message": text(common.text("prairielearn.hidden-message", lang)),
        })
    max_score = common.finite(result.max_score)
    fraction = min(max(common.finite(result.score) / max_score, 0.0), 1.0) if max_score > 0 else 0.0
    message = [*notes, verdict(result, lang)]
    diagnosis = common.submission_diagnosis(result, lang)
    if diagnosis is not None:
        message.append(diagnosis.plain())
    document: dict[str, Any] = {
        "gradable": True,
        "score": fraction,
        "message": text("\n\n".join(message)),
        "tests": tests,
    }
    if details:
        document["output"] = text(details)
    return fit(common.clean_json(document), lang)


def verdict(result: GradeResult, lang: str) -> str:
    """The verdict line: the usual one, or with hidden checks, the visible checks' and then the hidden ones' points."""
    hidden = [check for check in result.checks if check.hidden]
    if not hidden:
        return common.verdict(result, lang)
    shown = [check for check in result.checks if not check.hidden]
    score = sum(common.finite(c.score) for c in shown)
    max_score = sum(common.finite(c.max_score) for c in shown)
    failed = sum(1 for c in shown if not c.passed)
    if result.diagnosis is not None and score == 0.0 and failed == len(shown):
        head = common.text("verdict.ungraded", lang, max_score=max_score, code=result.diagnosis)
    elif failed == 0:
        head = common.text("prairielearn.shown-full", lang, score=score, max_score=max_score, total=len(shown))
    else:
        head = common.text("prairielearn.shown-partial", lang, score=score, max_score=max_score, failed=failed, total=len(shown))
    rest = common.text("prairielearn.hidden-summary", lang, score=sum(common.finite(c.score) for c in hidden), max_score=sum(common.finite(c.max_score) for c in hidden))
    return f"{head} {rest}"


def _test(check: CheckResult, result: GradeResult, lang: str) -> dict[str, Any]:
    test: dict[str, Any] = {
        "name": line(common.check_title(check, lang)),
        "points": common.finite(check.score),
        "max_points": common.finite(check.max_score),
    }
    if check.passed:
        return test
    if common.repeats_submission(check, result):
        # The submission's own diagnosis, in the top-level message, says it all.
        diagnosis = common.submission_diagnosis(result, lang)
        if diagnosis is not None:
            test["message"] = text(diagnosis.title)
        return test
    diagnosis = common.check_diagnosis(check, lang)
    if diagnosis is not None:
        test["message"] = text(diagnosis.plain())
    output = common.failure_text(_without_diagnosis(check), lang)
    if output:
        test["output"] = text(output)
    return test


def _without_diagnosis(check: CheckResult) -> CheckResult:
    """The check without its diagnosis: ``failure_text`` then gives what follows it (the divergence, example, traceback)."""
    return replace(check, diagnosis=None, message=None)


def _submission_details(result: GradeResult, lang: str) -> str:
    """What the top-level ``output`` holds: the submission's own traceback, the notebook's cells, the printed output."""
    parts: list[str] = []
    if result.error is not None:
        parts.append(f"{common.text('report.traceback', lang)}:\n{common.traceback_text(result.error, lang)}")
    for cell in result.run.cells:
        parts.append(common.cell_problem(cell, lang))
    for key, stream in (("report.stdout", result.run.stdout), ("report.stderr", result.run.stderr)):
        if stream.text.strip():
            omitted = f"\n… ({common.text('report.bytes-omitted', lang, n=stream.dropped)})" if stream.dropped else ""
            parts.append(f"{common.text(key, lang)}:\n{stream.text.rstrip()}{omitted}")
    return "\n\n".join(parts)


def size(document: dict[str, Any]) -> int:
    """The bytes of ``document`` as results.json (UTF-8)."""
    return len(dumps(document).encode("utf-8"))


def dumps(document: dict[str, Any]) -> str:
    """results.json's text: strict JSON, UTF-8 as is (Korean stays readable)."""
    return json.dumps(document, ensure_ascii=False, allow_nan=False, indent=1) + "\n"


def fit(document: dict[str, Any], lang: str = "en", budget: int = _BUDGET) -> dict[str, Any]:
    """``document`` with its longest ``output``/``message`` texts cut until it is at most ``budget`` bytes.

    Printed output is already capped per call, so this only acts on
    pathological cases (a huge traceback, thousands of cells); the cut is
    marked where it happens.
    """
    marker = "\n" + common.text("prairielearn.cut", lang)
    for _ in range(64):
        excess = size(document) - budget
        if excess <= 0:
            return document
        holders = [document] + [t for t in document.get("tests", []) if isinstance(t, dict)]
        fields = [(len(h[k]), h, k) for h in holders for k in ("output", "message") if isinstance(h.get(k), str)]
        if not fields:
            break
        length, holder, key = max(fields, key=lambda f: f[0])
        keep = max(0, min(length // 2, length - excess))
        holder[key] = holder[key][:keep] + marker
    if size(document) > budget:
        document["tests"] = document.get("tests", [])[:50]
    return document
