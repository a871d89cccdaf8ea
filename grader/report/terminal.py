"""The terminal summary: the score, a line per check, and each failure's diagnosis; fits one screen."""
from __future__ import annotations

import os
from typing import Optional, TextIO

from grader.messages import render
from grader.report import escape
from grader.report.common import cell_problem, check_diagnosis, verdict
from grader.results import CheckResult, Divergence, GradeResult, Message

_GREEN, _RED, _BOLD, _DIM, _RESET = "\033[32m", "\033[31m", "\033[1m", "\033[2m", "\033[0m"


def use_colour(stream: TextIO, environ: Optional[dict[str, str]] = None) -> bool:
    env = os.environ if environ is None else environ
    if "NO_COLOR" in env:
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def render_terminal(result: GradeResult, lang: str = "en", colour: bool = False) -> str:
    def paint(code: str, text: str) -> str:
        return f"{code}{text}{_RESET}" if colour else text

    lines = [paint(_BOLD, escape.terminal(f"{escape.file_name(os.path.basename(result.submission))} ({result.exercise}): {result.score:g}/{result.max_score:g}")), escape.terminal(verdict(result, lang))]
    if result.diagnosis and result.error is not None and result.diagnosis in ("syntax-error", "runtime-error"):
        lines += _error_lines(result)
    shown_codes: set[str] = set()
    for check in result.checks:
        mark = paint(_GREEN, "✓") if check.passed else paint(_RED, "✗")
        title = escape.terminal(render(check.title, lang))
        points = f"{check.score:g}/{check.max_score:g}"
        # A hidden check shows its title and points only: not even its diagnosis code.
        tail = "" if check.passed else "  " + render(Message("report.hidden-tag"), lang) if check.hidden else escape.terminal(f"  [{check.diagnosis}]")
        lines.append(f"  {mark} {title}  {points}{tail}")
        if check.passed or check.hidden:
            continue
        # A diagnosis already explained above is not explained again (one screen):
        # only where this check's values first diverge is new.
        if check.diagnosis in shown_codes:
            if check.divergence is not None:
                lines.append("      " + escape.terminal(_divergence_line(check.divergence, lang)))
            continue
        shown_codes.add(check.diagnosis or "")
        lines += ["      " + escape.terminal(line) for line in _detail(check, lang)]
    for cell in result.run.cells[:5]:
        # A hung or failing cell cost only itself; say so even under full marks.
        lines.append("  " + paint(_RED, "!") + " " + escape.terminal(cell_problem(cell, lang)))
    if len(result.run.cells) > 5:
        lines.append(f"  ! … (+{len(result.run.cells) - 5})")
    # Belt and braces for CI logs: whatever was joined, no line starts a workflow command.
    return escape.log_lines("\n".join(lines))


def _error_lines(result: GradeResult) -> list[str]:
    """Where the whole file failed: the student's own line, as Python reported it."""
    assert result.error is not None
    out = ["  " + escape.terminal(f"{result.error.type}: {result.error.message}")]
    for frame in result.error.frames[-3:]:
        out.append("  " + escape.terminal(f"{frame.filename}:{frame.lineno}: {frame.line.strip()}"))
    return out


def _detail(check: CheckResult, lang: str) -> list[str]:
    text = check_diagnosis(check, lang)
    out = []
    if text is not None:
        out.append(text.title)
        if text.why:
            out.append(text.why)
        if text.fix:
            out.append("→ " + text.fix)
    if check.divergence is not None:
        out.append(_divergence_line(check.divergence, lang))
    if check.error is not None and check.error.frames:
        frame = check.error.frames[-1]
        out.append(f"{frame.filename}:{frame.lineno}: {frame.line.strip()}")
    if check.example:
        # The fixes say "run the minimal example below": here it is, ready to paste.
        out.append(render("report.example", lang) + ":")
        out += ["    " + line for line in check.example.rstrip().split("\n")]
    return out


def _divergence_line(d: Divergence, lang: str) -> str:
    yours = "nan/inf" if d.student is None else f"{d.student:.6g}"
    reference = "nan/inf" if d.reference is None else f"{d.reference:.6g}"
    if not d.stepped:
        where = render("what.after" if d.series.endswith(" after the call") else "what.entry", lang, label=d.label, name=d.series, index="")
    elif d.label == "loss":
        where = render("what.loss", lang, epoch=d.step)
    else:
        where = render("what.w-initial" if d.step == 0 else "what.w", lang, label=d.label, epoch=d.step)
    return render("divergence.first", lang, where=where, yours=yours, reference=reference)
