"""Plain-text sentences of a verdict, shared by the terminal, JSON, JUnit and GitHub formats."""
from __future__ import annotations

from typing import Optional

from grader.messages import has, render
from grader.results import CheckResult, GradeResult, Message


def diagnosis_title(code: str, message: Optional[Message], lang: str) -> str:
    key = f"diagnosis.{code}.title"
    params = dict(message.params) if message else {}
    return render(key, lang, **params) if has(key) else code


def diagnosis_why(code: str, message: Optional[Message], lang: str) -> str:
    if message is None:
        return ""
    params = dict(message.params)
    if lang == "ko":
        params = {**params, **{k[:-3]: v for k, v in params.items() if k.endswith("_ko")}}
    text = render(Message(message.key, params), lang) if has(message.key) else ""
    explanation = params.get("explanation")
    if explanation and has(str(explanation)):
        text = f"{text} {render(str(explanation), lang)}".strip()
    return text


def diagnosis_fix(code: str, message: Optional[Message], lang: str) -> str:
    key = f"diagnosis.{code}.fix"
    return render(key, lang, **(dict(message.params) if message else {})) if has(key) else ""


def diagnosis_hint(code: str, message: Optional[Message], lang: str) -> str:
    key = f"diagnosis.{code}.hint"
    return render(key, lang, **(dict(message.params) if message else {})) if has(key) else ""


def check_message(check: CheckResult, lang: str) -> str:
    """One paragraph: the diagnosis title, why, and the fix."""
    if check.passed or not check.diagnosis:
        return ""
    parts = [diagnosis_title(check.diagnosis, check.message, lang), diagnosis_why(check.diagnosis, check.message, lang), diagnosis_fix(check.diagnosis, check.message, lang)]
    return " — ".join(p for p in parts if p)


def verdict(result: GradeResult, lang: str) -> str:
    failed = sum(1 for c in result.checks if not c.passed)
    if result.diagnosis in ("syntax-error", "invalid-notebook") or (result.diagnosis and result.score == 0 and failed == len(result.checks)):
        return render("verdict.ungraded", lang, max_score=result.max_score, code=result.diagnosis)
    if result.full_marks:
        return render("verdict.full", lang, score=result.score, max_score=result.max_score)
    return render("verdict.partial", lang, score=result.score, max_score=result.max_score, failed=failed, total=len(result.checks))
