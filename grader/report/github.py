"""GitHub Actions: error annotations on the student's file, and the job summary.

``annotations`` gives ``::error`` workflow commands, which GitHub shows on the
commit and in the "Files changed" view at their line; ``step_summary`` gives
the Markdown the CLI appends to ``$GITHUB_STEP_SUMMARY``.

One annotation per distinct mistake and line: the checks that one mistake fails
(the lecture's data, generated data, in place, on a GPU, …) share it, and it
lists them.  Its line is the traceback's where the code raised, else the one
the diagnosis names (a rebinding, a global read), else the one the source shows
the mistake is about (``grader.report.source_lines``).  Its text carries what its
sentences point at ("the line shown below", "the minimal example below"), or
says where to find it.
"""
# No `from __future__ import annotations` here: this module's public function
# is itself called `annotations`.
import os
from dataclasses import dataclass, field
from typing import Any, List, Mapping, Optional, Sequence, Tuple

from grader.report import common, escape, source_lines
from grader.results import CheckResult, GradeResult, Message, StudentError


escape_data = escape.workflow_data
escape_property = escape.workflow_property

# The fixes that point at something the terminal and HTML reports show below them: the line
# Python could not read, or the minimal example.  An annotation shows it too, or says where
# it is (tests/test_report_formats.py checks that no other fix says "below").
SHOWS_BELOW = {"syntax-error": "line", "runtime-error": "example", "wrong-value": "example"}
# The longest minimal example an annotation carries (the lecture's are about 400 characters).
EXAMPLE_LIMIT = 1500


def _command(path: str, title: str, message: str, line: Optional[int]) -> str:
    props = [f"file={escape_property(path)}"]
    if line is not None and line > 0:
        props.append(f"line={line}")
    props.append(f"title={escape_property(title)}")
    return common.clean(f"::error {','.join(props)}::{escape_data(message)}")


def _named_line(message: Optional[Message]) -> Optional[int]:
    """A line of the file that a diagnosis names in its parameters (a rebinding, a global, an import)."""
    if message is None:
        return None
    params: Mapping[str, Any] = message.params
    detail = params.get("detail")
    for value in (params.get("line"), detail.get("params", {}).get("line") if isinstance(detail, Mapping) and isinstance(detail.get("params"), Mapping) else None):
        if isinstance(value, bool):
            continue
        if isinstance(value, int) and value > 0:
            return value
        if isinstance(value, str) and value.isdigit() and int(value) > 0:
            return int(value)  # a notebook's "3 (cell 2)" is no line of the file
    return None


def _submission_line(result: GradeResult) -> Optional[int]:
    line = common.student_line(result.error)
    if line is None and result.message is not None and result.diagnosis == "syntax-error":
        # A syntax error names its line in the message, with no frame to read.
        value = result.message.params.get("line")
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            line = value
    return line if line is not None else _named_line(result.message)


def _function(check: CheckResult) -> Optional[str]:
    for message in (check.message, check.title):
        value = message.params.get("function") if message is not None else None
        if isinstance(value, str) and value:
            return value
    return check.name.split(".", 1)[0] or None


def check_line(check: CheckResult, source: str) -> Tuple[Optional[int], int]:
    """The line of ``source`` (the graded file) an annotation of a failed ``check`` points at,
    and how it was found: 0 the traceback, 1 the diagnosis or the source, 2 none.

    A hidden check points at no line: where it would point could tell what it checks.
    """
    if check.hidden:
        return None, 2
    traced = common.student_line(check.error)
    if traced is not None:
        return traced, 0
    if source.endswith(".ipynb"):
        return None, 2
    line = _named_line(check.message) or source_lines.line_of(source, _function(check), check.diagnosis)
    return line, (1 if line is not None else 2)


@dataclass
class _Group:
    """The failed checks that one annotation stands for: one mistake, one line."""

    line: Optional[int]
    rank: int
    heading: str
    checks: List[CheckResult] = field(default_factory=list)


def _explained(code: Optional[str], diag: Optional[common.DiagnosisText], error: Optional[StudentError], example: Optional[str], line: Optional[int], path: str, lang: str) -> List[str]:
    """The why and the fix of a diagnosis, with what the fix points at, or where to find it."""
    if diag is None:
        return []
    parts = [diag.why] if diag.why else []
    fix, shown = diag.fix, None
    wants = SHOWS_BELOW.get(code or "")
    if wants == "line":
        frame = error.frames[-1] if error is not None and error.frames else None
        if frame is not None and frame.line.strip():
            shown = f"{os.path.basename(frame.filename)}:{frame.lineno}: {frame.line.strip()}"
        elif line is not None:
            fix = common.text("github.fix-line", lang, line=line)
        else:
            fix = ""
    elif wants == "example":
        if example and len(example) <= EXAMPLE_LIMIT:
            shown = f"{common.text('report.example', lang)}:\n{example.rstrip()}"
        else:
            fix = common.text("github.fix-example", lang, file=path)
    parts += [s for s in (fix, shown) if s]
    return parts


def _with_error(body: List[str], error: Optional[StudentError]) -> List[str]:
    """The error's last line, unless the text already says it."""
    if error is None:
        return body
    said = "\n".join(body)
    if common.error_line(error) not in said and (not error.message or error.message not in said):
        body.append(common.error_line(error))
    return body


def _group_command(group: _Group, path: str, lang: str) -> str:
    first = group.checks[0]
    title = common.check_title(first, lang)
    if first.hidden:
        return _command(path, f"{title} ({common.text('report.hidden', lang)})", common.text("report.hidden-failed", lang), None)
    diag = common.check_diagnosis(first, lang)
    error = next((c.error for c in group.checks if c.error is not None), None)
    example = next((c.example for c in group.checks if c.example), None)
    body = ["; ".join(dict.fromkeys(common.check_title(c, lang) for c in group.checks))]
    body += _explained(first.diagnosis, diag, error, example, group.line, path, lang)
    diverged = next((c for c in group.checks if c.divergence is not None), None)
    if diverged is not None:
        body.append(common.divergence_text(diverged, lang))
    return _command(path, group.heading, "\n".join(_with_error(body, error)), group.line)


def annotations(result: GradeResult, path_in_repo: str, lang: str = "en") -> List[str]:
    """``::error`` lines for the failures of ``result``, on ``path_in_repo``: one per distinct mistake and line."""
    return [line for _, line in _annotation_items(result, path_in_repo, lang)]


def _annotation_items(result: GradeResult, path_in_repo: str, lang: str) -> List[Tuple[int, str]]:
    """(rank, ``::error`` line) per distinct failure; rank 0 is a line where the student's code raised,
    1 a line found otherwise, 2 no line."""
    items: List[Tuple[int, str]] = []
    if result.diagnosis is not None:
        diag = common.submission_diagnosis(result, lang)
        heading = diag.title if diag else result.diagnosis
        line = _submission_line(result)
        body = _with_error(_explained(result.diagnosis, diag, result.error, None, line, path_in_repo, lang), result.error)
        rank = 0 if common.student_line(result.error) is not None else 1 if line is not None else 2
        items.append((rank, _command(path_in_repo, heading, "\n".join(body) or heading, line)))
    groups: dict = {}
    for check in result.checks:
        if check.passed or common.repeats_submission(check, result):
            continue
        line, rank = check_line(check, result.submission)
        diag = None if check.hidden else common.check_diagnosis(check, lang)
        heading = diag.title if diag else common.check_title(check, lang)
        # A hidden check is never merged: its annotation says nothing of what it found.
        key = ("hidden", check.name) if check.hidden else (line, heading)
        group = groups.setdefault(key, _Group(line, rank, heading))
        group.checks.append(check)
        group.rank = min(group.rank, rank)
    items += [(group.rank, _group_command(group, path_in_repo, lang)) for group in groups.values()]
    return items


# GitHub shows at most 10 error annotations of a step (and 10 notices); the rest are dropped silently.
MAX_ERRORS = 10


def untouched(result: GradeResult) -> bool:
    """The stub as `grade init` wrote it: every check fails as not implemented yet."""
    return bool(result.checks) and result.diagnosis in (None, "not-implemented") and all(not c.passed and c.diagnosis == "not-implemented" for c in result.checks)


def _notice(title: str, message: str) -> str:
    return common.clean(f"::notice title={escape_property(title)}::{escape_data(message)}")


def workflow_commands(results: Sequence[GradeResult], paths: Sequence[str], lang: str = "en") -> list[str]:
    """The workflow commands of a CI run over ``results`` (on ``paths``, in the repository).

    One ``::error`` per distinct mistake and line of an attempted exercise, those
    on a line where the student's code raised first, then those on a line found
    otherwise, then those without a line; at most MAX_ERRORS (the last one then
    says how many more there are); the untouched stubs get one ``::notice`` together.
    """
    ranked: list[list[str]] = [[], [], []]
    stubs: list[str] = []
    for result, path in zip(results, paths):
        if untouched(result):
            stubs.append(path)
            continue
        for rank, line in _annotation_items(result, path, lang):
            if line not in ranked[rank]:
                ranked[rank].append(line)
    errors = ranked[0] + ranked[1] + ranked[2]
    if len(errors) > MAX_ERRORS:
        more = len(errors) - (MAX_ERRORS - 1)
        errors = errors[: MAX_ERRORS - 1] + [
            common.clean(f"::error title={escape_property(common.text('classroom.more-title', lang))}::{escape_data(common.text('classroom.more', lang, count=more))}")
        ]
    if stubs:
        errors.append(_notice(common.text("classroom.untouched-title", lang), common.text("classroom.untouched", lang, files=", ".join(stubs))))
    return errors


def classroom_results(results: Sequence[GradeResult], paths: Sequence[str], lang: str = "en") -> dict[str, object]:
    """What GitHub Classroom's autograding reporter reads (``<RUNNER>_RESULTS``, base64 JSON).

    ``max_score`` is the total of the exercises graded; the points are the sum
    of the tests' ``score``; ``status`` is ``pass`` at full marks, ``error``
    when a submission could not be graded at all, ``fail`` otherwise.
    """
    tests: list[dict[str, object]] = []
    for result, path in zip(results, paths):
        for check in result.checks:
            diag = None if check.passed or check.hidden else common.check_diagnosis(check, lang)
            line, _ = check_line(check, result.submission)
            tests.append({
                "name": f"{result.exercise}: {common.check_title(check, lang)}",
                "status": "pass" if check.passed else "fail",
                "score": common.finite(check.score),
                "max_score": common.finite(check.max_score),
                "message": diag.title if diag is not None else "",
                "filename": path,
                "line_no": line or 0,
                "execution_time": "",
                "test_code": "",
            })
    if all(r.full_marks for r in results):
        status = "pass"
    elif any(common.is_ungraded(r) for r in results):
        status = "error"
    else:
        status = "fail"
    return common.clean_json({"version": 1, "status": status, "max_score": sum(common.finite(r.max_score) for r in results), "tests": tests})


def step_summary(results: Sequence[GradeResult], lang: str = "en") -> str:
    """A Markdown summary: per submission its score, verdict and a table of checks."""
    out = [f"## {common.text('report.title', lang)}", ""]
    if len(results) > 1:
        total = sum(common.finite(r.score) for r in results)
        total_max = sum(common.finite(r.max_score) for r in results)
        out += [f"**{common.text('report.score', lang)}: {total:g}/{total_max:g}**", ""]
    for result in results:
        mark = "✅" if result.full_marks else "❌"
        out.append(
            f"### {mark} {common.markdown_cell(result.exercise)}: {escape.markdown(escape.visible(result.submission))} "
            f"({common.points(result.score)}/{common.points(result.max_score)})"
        )
        out += ["", common.markdown_text(common.verdict(result, lang)), ""]
        diag = common.submission_diagnosis(result, lang)
        if diag is not None:
            out += [f"> **{common.markdown_cell(diag.title)}**", f"> {common.markdown_cell(diag.why)}" if diag.why else ">", ""]
        if result.checks:
            out.append(f"| {common.text('report.check', lang)} | {common.text('report.result', lang)} | {common.text('report.points', lang)} |")
            out.append("|---|---|---:|")
            for check in result.checks:
                title = common.markdown_cell(common.check_title(check, lang))
                if check.passed:
                    status = f"✓ {common.text('report.passed', lang)}"
                elif check.hidden:
                    status = f"✗ {common.text('report.failed', lang)} ({common.text('report.hidden', lang)})"
                else:
                    d = common.check_diagnosis(check, lang)
                    status = f"✗ {common.text('report.failed', lang)}"
                    if d is not None and not common.repeats_submission(check, result):
                        status += f": {common.markdown_cell(d.title)}"
                out.append(f"| {title} | {status} | {common.points(check.score)}/{common.points(check.max_score)} |")
            out.append("")
    return common.clean("\n".join(out) + "\n")
