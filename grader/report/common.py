"""What every report format says the same way: verdicts, diagnoses, numbers.

The HTML page, JUnit, Gradescope and GitHub outputs all word a failure alike,
so the wording is decided once, here, from the catalogue (``grader.messages``).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Mapping, Optional

from grader import messages
from grader.report import escape
from grader.results import CellError, CheckResult, GradeResult, Message, StepRow, StudentError


@dataclass(frozen=True)
class DiagnosisText:
    """A diagnosis in the reader's language; ``hint`` is a code snippet or None."""

    code: Optional[str]
    title: str
    why: str
    fix: str
    hint: Optional[str] = None

    def plain(self) -> str:
        """Title, why, fix and hint as plain text (JUnit, GitHub, Gradescope)."""
        parts = [self.title]
        if self.why:
            parts.append(self.why)
        if self.fix:
            parts.append(self.fix)
        if self.hint:
            parts.append(self.hint)
        return "\n".join(parts)


def text(key: str, lang: str, **params: Any) -> str:
    """A catalogue entry; ``Message`` is used so that a parameter called
    ``message`` or ``lang`` cannot collide with ``render``'s own arguments."""
    return messages.render(Message(key, params), lang)


def _resolve(params: Mapping[str, Any], lang: str) -> dict[str, Any]:
    # The checks pass free text in both languages as `detail` and `detail_ko`
    # (the convention of grader.checks): in Korean, `x_ko` stands for `x`.
    # A parameter may also be a catalogue sentence ({"key": ..., "params": ...});
    # it is rendered in the reader's language first.
    if lang == "ko":
        params = {**params, **{k[:-3]: v for k, v in params.items() if k.endswith("_ko")}}
    # A nested sentence is worded for the same exercise and function as the one it is part of.
    scope = {k: params[k] for k in ("exercise", "function") if isinstance(params.get(k), str)}
    out: dict[str, Any] = {}
    for name, value in params.items():
        if isinstance(value, Message):
            value = messages.render(Message(value.key, _resolve({**scope, **value.params}, lang)), lang)
        elif isinstance(value, Mapping) and isinstance(value.get("key"), str) and messages.has(value["key"]):
            inner = value.get("params")
            value = messages.render(Message(value["key"], _resolve({**scope, **(inner if isinstance(inner, Mapping) else {})}, lang)), lang)
        out[name] = value
    return out


def render_message(message: Optional[Message], lang: str) -> str:
    """A ``Message`` in ``lang``; '' when absent or unknown to the catalogue."""
    if message is None or not messages.has(message.key):
        return ""
    return messages.render(Message(message.key, _resolve(message.params, lang)), lang)


def diagnosis(code: Optional[str], message: Optional[Message], lang: str) -> Optional[DiagnosisText]:
    """The diagnosis ``code`` worded with ``message``'s parameters.

    Without a code (or with one the catalogue does not know yet) the message
    itself is the explanation, so a new diagnosis never blanks a report.
    """
    params = _resolve(message.params, lang) if message is not None else {}
    base = f"diagnosis.{code}"
    if code and messages.has(f"{base}.title"):
        def part(name: str) -> str:
            key = f"{base}.{name}"
            # A part may exist only for some exercises (key@exercise): a hint, say.
            return messages.render(Message(key, params), lang) if messages.has(messages.resolve(key, params)) else ""

        hint = part("hint") or None
        title, fix = part("title"), part("fix")
        # A check may word the why for its own case (diagnosis.<code>.why-step).
        own = message is not None and message.key.startswith(f"{base}.why") and messages.has(message.key)
        why = messages.render(Message(message.key, params), lang) if own and message is not None else part("why")
        explanation = params.get("explanation")
        if isinstance(explanation, str) and explanation and messages.has(messages.resolve(explanation, params)):
            # e.g. error.none-grad: the lecture's reading of a raw exception; or the line that caused it.
            why = f"{why} {messages.render(Message(explanation, params), lang)}".strip()
        change = params.get("change")
        if isinstance(change, str) and change:
            # what the variant of the reference that reproduces the values changed, in source terms
            why = f"{why} {change}".strip()
        misconception = params.get("misconception")
        if isinstance(misconception, str) and misconception:
            # a pack's named misconception words the parts it gives
            for name in ("title", "why", "fix", "hint"):
                key = f"misconception.{misconception}.{name}"
                if messages.has(key):
                    text_ = messages.render(Message(key, params), lang)
                    if name == "title":
                        title = text_
                    elif name == "why":
                        why = f"{text_} {change}".strip() if isinstance(change, str) else text_
                    elif name == "fix":
                        fix = text_
                    else:
                        hint = text_
            return DiagnosisText(code, title, why, fix, hint)
        return DiagnosisText(code, part("title"), why, part("fix"), hint)
    said = render_message(message, lang)
    if code or said:
        return DiagnosisText(code, said or code or "", "", "", None)
    return None


def check_title(check: CheckResult, lang: str) -> str:
    return render_message(check.title, lang) or check.name


def check_diagnosis(check: CheckResult, lang: str) -> Optional[DiagnosisText]:
    return diagnosis(check.diagnosis, check.message, lang)


def submission_diagnosis(result: GradeResult, lang: str) -> Optional[DiagnosisText]:
    return diagnosis(result.diagnosis, result.message, lang)


def is_ungraded(result: GradeResult) -> bool:
    """The submission failed as a whole (syntax error, crash, timeout) and no
    check passed: its checks are errors, not failures.  The same rule as the
    terminal's verdict."""
    if result.diagnosis in ("syntax-error", "invalid-notebook"):
        return True
    return result.diagnosis is not None and _is_zero(result.score) and not any(c.passed for c in result.checks)


def _is_zero(value: float) -> bool:
    return finite(value) == 0.0


def verdict(result: GradeResult, lang: str) -> str:
    score, max_score = finite(result.score), finite(result.max_score)
    if is_ungraded(result):
        return text("verdict.ungraded", lang, max_score=max_score, code=result.diagnosis)
    if result.full_marks:
        return text("verdict.full", lang, score=score, max_score=max_score)
    failed = sum(1 for c in result.checks if not c.passed)
    return text("verdict.partial", lang, score=score, max_score=max_score, failed=failed, total=len(result.checks))


def finite(value: Optional[float], default: float = 0.0) -> float:
    """Scores for machine formats: never NaN or infinite."""
    if value is None or not isinstance(value, (int, float)) or not math.isfinite(value):
        return default
    return float(value)


def points(value: float) -> str:
    return f"{finite(value):g}"


def number(value: Optional[float]) -> str:
    """A value of the divergence table; '—' where it is missing or not finite."""
    if value is None or not isinstance(value, (int, float)):
        return "—"
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    return f"{value:.6g}"


def difference(row: StepRow) -> Optional[float]:
    diff = row.difference
    return diff if diff is not None and math.isfinite(diff) else None


def student_line(error: Optional[StudentError]) -> Optional[int]:
    """The line in the student's file where an error was raised, if it is one.

    Notebook cells and exec'd code have pseudo file names ('<cell 3>'), whose
    line numbers do not point into the submitted file.
    """
    if error is None:
        return None
    for frame in reversed(error.frames):
        name = frame.filename
        if name.startswith("<") or ".ipynb" in name or frame.lineno <= 0:
            continue
        return frame.lineno
    return None


def cell_label(cell: CellError, lang: str) -> str:
    """A notebook cell as Jupyter numbers it (``Cell In [3]``), as the captured output names it too;
    a cell that never ran has no number, and is named by its position."""
    if cell.count is not None:
        return text("report.cell-in", lang, count=cell.count)
    return text("report.cell-position", lang, position=cell.index + 1)


_LIMIT = re.compile(r"ran past its ([0-9.]+) s limit \((--cell-timeout|two thirds of --timeout)\)")


def _limit_text(message: str, lang: str) -> str:
    """The limit that fired, in the reader's language (the worker words it in English)."""
    match = _LIMIT.search(message)
    if match is None:
        return message
    key = "report.limit.cell" if match.group(2) == "--cell-timeout" else "report.limit.notebook"
    return text(key, lang, seconds=match.group(1))


def cell_problem(cell: CellError, lang: str) -> str:
    """One line about a cell that raised, hung or did not run (terminal, JSON, gradebook)."""
    label = cell_label(cell, lang)
    if cell.error.type == "NotRun":
        return text("report.cell-not-run", lang, cell=label, detail=_limit_text(cell.error.message, lang))
    if cell.timed_out:
        return text("report.cell-hung", lang, cell=label, detail=_limit_text(cell.error.message, lang))
    return text("report.cell-raised", lang, cell=label, error=error_line(cell.error))


def cell_entries(result: GradeResult, lang: str) -> list[dict[str, Any]]:
    """The notebook cells that raised, hung or did not run, as JSON values (``--format json``, results.jsonl)."""
    out = []
    for cell in result.run.cells:
        status = "not-run" if cell.error.type == "NotRun" else ("timed-out" if cell.timed_out else "error")
        out.append({
            "cell": cell.count,
            "position": cell.index + 1,
            "status": status,
            "error": error_line(cell.error),
            "line": cell.error.line,
            "message": cell_problem(cell, lang),
        })
    return out


def cell_note(entry: Mapping[str, Any]) -> str:
    """A cell entry (:func:`cell_entries`) in a few words, for the gradebook: ``In [3] timed-out``."""
    where = f"In [{entry.get('cell')}]" if entry.get("cell") is not None else f"cell {entry.get('position')}"
    status = entry.get("status")
    if status == "error":
        return f"{where} {str(entry.get('error', '')).split(':', 1)[0]}"
    return f"{where} {status}"


def error_line(error: StudentError) -> str:
    """The last line of a Python traceback: 'TypeError: message'."""
    return f"{error.type}: {error.message}" if error.message else error.type


def traceback_text(error: StudentError, lang: str) -> str:
    lines = []
    for frame in error.frames:
        lines.append(text("report.frame", lang, filename=frame.filename, lineno=frame.lineno, function=frame.function))
        if frame.line:
            lines.append("    " + frame.line.strip())
    lines.append(error_line(error))
    return "\n".join(lines)


_ANCHOR_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def anchor(check: CheckResult, index: int) -> str:
    """An id for a check's detail: readable, and unique even if names repeat."""
    slug = _ANCHOR_UNSAFE.sub("-", check.name).strip("-") or "check"
    return f"check-{index + 1}-{slug}"


def repeats_submission(check: CheckResult, result: GradeResult) -> bool:
    """A check failed only because the whole submission did (timeout, crash):
    it carries nothing the submission's own diagnosis does not say already."""
    return (
        not check.passed
        and result.diagnosis is not None
        and check.diagnosis in (None, result.diagnosis)
        and check.divergence is None
        and check.example is None
        and (check.error is None or check.error == result.error)
        and check.trajectory is None
    )


def divergence_text(check: CheckResult, lang: str) -> str:
    """The first divergent step in one line: where, yours, the reference's."""
    d = check.divergence
    if d is None:
        return ""
    caption = "report.divergence-caption-value" if not d.stepped else "report.divergence-caption-initial" if d.step == 0 and d.label != "loss" else "report.divergence-caption"
    head = text(caption, lang, label=d.label or d.series, step=d.step)
    return (
        f"{head} {text('report.yours', lang)}: {number(d.student)}, "
        f"{text('report.reference', lang)}: {number(d.reference)}"
    )


def failure_text(check: CheckResult, lang: str, *, example: bool = True) -> str:
    """Everything a text-only report says about a failed check, in the HTML
    page's order: diagnosis, first divergent step, example, traceback."""
    parts = []
    diag = check_diagnosis(check, lang)
    if diag is not None:
        parts.append(diag.plain())
    if check.divergence is not None:
        parts.append(divergence_text(check, lang))
    if example and check.example:
        parts.append(f"{text('report.example', lang)}:\n{check.example.rstrip()}")
    if check.error is not None:
        parts.append(f"{text('report.traceback', lang)}:\n{traceback_text(check.error, lang)}")
    return "\n\n".join(parts)


def markdown_text(value: str) -> str:
    """Catalogue prose for Markdown: its code spans kept, everything else
    (student text filled in included) literal; see ``escape.markdown_prose``."""
    return escape.markdown_prose(value)


def markdown_code(code: str, info: str = "") -> str:
    """A fenced block that no backtick run inside ``code`` can close early."""
    return escape.markdown_block(code, info)


def markdown_cell(value: str) -> str:
    """Prose for one Markdown table cell: one line, and no '|' that ends it
    (GitHub wants it escaped inside code spans too)."""
    return escape.markdown_prose(value, cell=True)


def clean(value: str) -> str:
    """Text that encodes as UTF-8: a student's exception message may carry a
    lone surrogate, which would make writing the report file fail."""
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        return value.encode("utf-8", "replace").decode("utf-8")


def clean_json(value: Any) -> Any:
    """``clean`` applied to every string of a JSON-like value."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {clean(k): clean_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_json(v) for v in value]
    return value
