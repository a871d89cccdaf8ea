"""Hidden stays hidden on Gradescope (issue 17): before grades are published, what a
student can see of ``results.json`` says nothing of the hidden checks.

What a student sees before publication follows Gradescope's specification
("Controlling Test Case Visibility"): the tests whose ``visibility`` is
``visible`` and the top-level ``output``; not the top-level ``score`` (hidden
"if test cases are hidden"), nor ``extra_data`` or stdout (``stdout_visibility``
is ``hidden``).
"""
from __future__ import annotations

import json
import re
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import report_samples as samples
from conftest import TESTS
from grader.cli import main as cli
from grader.report.gradescope import render_gradescope
from grader.results import CheckResult, GradeResult, Message

SCHEMA = json.loads((TESTS / "schemas" / "gradescope_results.json").read_text(encoding="utf-8"))
CORPUS = TESTS / "submissions" / "exercise2"
PRIVATE = TESTS / "private_reference"


def before_publication(document: dict[str, Any]) -> dict[str, Any]:
    """The parts of results.json a student can see before grades are published."""
    assert document["visibility"] == "visible" and document["stdout_visibility"] == "hidden"
    shown = [t for t in document["tests"] if t.get("visibility", document["visibility"]) == "visible"]
    view: dict[str, Any] = {"output": document["output"], "tests": shown}
    if len(shown) == len(document["tests"]):
        view["score"] = document["score"]  # no hidden test: Gradescope shows the total
    return view


def _without_hidden(result: GradeResult) -> GradeResult:
    shown = tuple(c for c in result.checks if not c.hidden)
    return replace(result, checks=shown, score=sum(c.score for c in shown), max_score=sum(c.max_score for c in shown))


def _hidden(name: str, passed: bool, points: int, earned: int, example: str) -> CheckResult:
    return CheckResult(
        name=f"hidden-{name}",
        title=Message("check.generated", {"function": "train"}),
        passed=passed,
        score=float(points if passed else min(earned, points - 1)),
        max_score=float(points),
        diagnosis=None if passed else "grad-not-cleared",
        message=None if passed else Message("diagnosis.grad-not-cleared.why", {"epoch": 2}),
        example=None if passed else example,
        hidden=True,
    )


def _with(result: GradeResult, hidden: list[tuple[int, CheckResult]]) -> GradeResult:
    checks = list(result.checks)
    for position, check in hidden:
        checks.insert(min(position, len(checks)), check)
    return replace(result, checks=tuple(checks), score=sum(c.score for c in checks), max_score=sum(c.max_score for c in checks))


BASES = {name: _without_hidden(samples.ALL[name]()) for name in ("full_marks", "grad_not_cleared", "runtime_error", "timeout", "notebook")}
hidden_checks = st.lists(
    st.tuples(
        st.integers(0, 8),
        st.builds(_hidden, st.text("abcxyz", min_size=1, max_size=6), st.booleans(), st.integers(1, 5), st.integers(0, 4), st.text(min_size=1, max_size=20)),
    ),
    min_size=1,
    max_size=4,
)


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("base", sorted(BASES))
@settings(max_examples=25, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(hidden=hidden_checks)
def test_what_a_student_sees_before_publication_depends_on_the_visible_checks_only(base: str, lang: str, hidden: list[tuple[int, CheckResult]]) -> None:
    """However many hidden checks there are, wherever they stand, whatever their names,
    points and verdicts, the student's view is the same as with one hidden check that passed."""
    reference = before_publication(render_gradescope(_with(BASES[base], [(0, _hidden("a", True, 1, 0, ""))]), lang))
    document = render_gradescope(_with(BASES[base], hidden), lang)
    jsonschema.validate(document, SCHEMA)
    assert before_publication(document) == reference
    # ... and the whole grade is still recorded: Gradescope reads the top-level score.
    assert document["score"] == pytest.approx(sum(t["score"] for t in document["tests"]))


def test_the_verdict_counts_the_visible_checks_only() -> None:
    """The issue's report: "3/11: 3 of 6 checks failed" counted a hidden check."""
    result = samples.grad_not_cleared()  # 6 checks, one of them hidden and failed (3 of 10 points)
    document = render_gradescope(result, "en")
    view = before_publication(document)
    assert "score" not in view
    assert view["output"].startswith("Checks shown now: 3/7; 2 of 5 failed.")
    assert "/10" not in view["output"] and "of 6" not in view["output"]
    assert [t["number"] for t in view["tests"]] == ["1", "2", "3", "4", "5"]
    # Once published, the hidden check is there with its points, after the visible ones.
    (hidden,) = [t for t in document["tests"] if t["visibility"] == "after_published"]
    assert hidden["number"] == "6" and hidden["max_score"] == 3 and "SECRET-HIDDEN-EXAMPLE" not in hidden["output"]
    assert document["score"] == 3


def test_without_hidden_checks_the_verdict_is_the_usual_one() -> None:
    result = _without_hidden(samples.grad_not_cleared())
    view = before_publication(render_gradescope(result, "en"))
    assert view["output"].startswith("3/7: 2 of 5 checks failed.") and view["score"] == 3
    assert "instructor" not in view["output"]


def test_a_submission_that_cannot_run_says_so_from_the_visible_checks() -> None:
    """A hidden check that passed (or not) must not turn "could not run" into "0 points"."""
    base = BASES["timeout"]
    for hidden in (_hidden("a", True, 2, 0, ""), _hidden("a", False, 2, 0, "")):
        output = before_publication(render_gradescope(_with(base, [(1, hidden)]), "en"))["output"]
        assert output.startswith(f"0/{base.max_score:g}: the submission could not run (timeout).")


def test_a_graded_upload_shows_no_hidden_check_before_publication(tmp_path: Path) -> None:
    """End to end, with the private reference's hidden check: `grade --gradescope`."""
    shutil.copy(CORPUS / "grad_never_reset.py", tmp_path / "exercise2.py")
    results = tmp_path / "results.json"
    cli.main([str(tmp_path / "exercise2.py"), "--reference", str(PRIVATE), "--gradescope", str(results), "--no-html", "--format", "json"])
    document = json.loads(results.read_text(encoding="utf-8"))
    jsonschema.validate(document, SCHEMA)
    hidden = [t for t in document["tests"] if t["visibility"] == "after_published"]
    assert hidden, "the private reference has a hidden check"
    view = before_publication(document)
    text = json.dumps(view, ensure_ascii=False)
    assert len(view["tests"]) == len(document["tests"]) - len(hidden)
    assert "hidden-long-runs" not in text and "long" not in text.lower()
    visible_points = sum(t["max_score"] for t in view["tests"])
    earned = sum(t["score"] for t in view["tests"])
    total = sum(t["max_score"] for t in document["tests"])
    assert re.search(rf"\b{earned:g}/{visible_points:g}\b", view["output"])
    assert f"/{total:g}" not in view["output"] and f"of {len(document['tests'])} " not in view["output"]
    assert [t["number"] for t in view["tests"]] == [str(k + 1) for k in range(len(view["tests"]))]
