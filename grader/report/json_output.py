"""The ``--format json`` document: one strict JSON object per submission."""
from __future__ import annotations

import math
from typing import Any

from grader.report import escape
from grader.report.common import cell_entries, check_diagnosis
from grader.results import CheckResult, GradeResult


def to_document(result: GradeResult, lang: str = "en") -> dict[str, Any]:
    document = _document(result, lang)
    if result.run.cells or result.submission.endswith(".ipynb"):
        # A notebook's cells that raised, hung or did not run: the grade went on without them.
        document["cells"] = cell_entries(result, lang)
    return document


def _document(result: GradeResult, lang: str) -> dict[str, Any]:
    return {
        "exercise": result.exercise,
        "submission": result.submission,
        "score": _number(result.score),
        "max_score": _number(result.max_score),
        "diagnosis": result.diagnosis,
        "checks": [
            {
                "name": check.name,
                "passed": check.passed,
                "score": _number(check.score),
                "max_score": _number(check.max_score),
                "diagnosis": check.diagnosis,
                "message": None if check.passed else _message(check, lang),
            }
            for check in result.checks
        ],
    }


def dumps(result: GradeResult, lang: str = "en") -> str:
    """Strict JSON (no NaN or Infinity literals), on one line: no line
    separator of any kind in it (``escape.json_line``)."""
    return escape.json_line(to_document(result, lang))


def _message(check: CheckResult, lang: str) -> str:
    """The diagnosis on one line: what is wrong — why — what to do."""
    text = check_diagnosis(check, lang)
    if text is None:
        return ""
    return " — ".join(part for part in (text.title, text.why, text.fix) if part)


def _number(value: float) -> float:
    return value if math.isfinite(value) else 0.0
