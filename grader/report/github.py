"""GitHub Actions: error annotations on the student's file, and the job summary.

``annotations`` gives ``::error`` workflow commands, which GitHub shows on the
commit and in the "Files changed" view at the line that raised; ``step_summary``
gives the Markdown the CLI appends to ``$GITHUB_STEP_SUMMARY``.
"""
# No `from __future__ import annotations` here: this module's public function
# is itself called `annotations`.
from typing import Optional, Sequence

from grader.report import common, escape
from grader.results import CheckResult, GradeResult


escape_data = escape.workflow_data
escape_property = escape.workflow_property


def _command(path: str, title: str, message: str, line: Optional[int]) -> str:
    props = [f"file={escape_property(path)}"]
    if line is not None and line > 0:
        props.append(f"line={line}")
    props.append(f"title={escape_property(title)}")
    return common.clean(f"::error {','.join(props)}::{escape_data(message)}")


def _submission_line(result: GradeResult) -> Optional[int]:
    line = common.student_line(result.error)
    if line is None and result.message is not None:
        # A syntax error names its line in the message, with no frame to read.
        value = result.message.params.get("line")
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            line = value
    return line


def _check_annotation(check: CheckResult, path: str, lang: str) -> str:
    title = common.check_title(check, lang)
    if check.hidden:
        return _command(path, f"{title} ({common.text('report.hidden', lang)})", common.text("report.hidden-failed", lang), None)
    diag = common.check_diagnosis(check, lang)
    heading = diag.title if diag else title
    body = [title]
    if diag is not None:
        body += [s for s in (diag.why, diag.fix) if s]
    if check.divergence is not None:
        body.append(common.divergence_text(check, lang))
    if check.error is not None:
        body.append(common.error_line(check.error))
    return _command(path, heading, "\n".join(body), common.student_line(check.error))


def annotations(result: GradeResult, path_in_repo: str, lang: str = "en") -> list[str]:
    """``::error`` lines for the failures of ``result``, on ``path_in_repo``."""
    return [line for _, line in _annotation_items(result, path_in_repo, lang)]


def _annotation_items(result: GradeResult, path_in_repo: str, lang: str) -> list[tuple[bool, str]]:
    """(on a line of the student's own code?, ``::error`` line) per failure."""
    lines = []
    if result.diagnosis is not None:
        diag = common.submission_diagnosis(result, lang)
        heading = diag.title if diag else result.diagnosis
        body = [s for s in ((diag.why, diag.fix) if diag else ()) if s]
        if result.error is not None:
            body.append(common.error_line(result.error))
        line = _submission_line(result)
        lines.append((line is not None, _command(path_in_repo, heading, "\n".join(body) or heading, line)))
    for check in result.checks:
        if check.passed or common.repeats_submission(check, result):
            continue
        lines.append((not check.hidden and common.student_line(check.error) is not None, _check_annotation(check, path_in_repo, lang)))
    return lines


# GitHub shows at most 10 error annotations of a step (and 10 notices); the rest are dropped silently.
MAX_ERRORS = 10


def untouched(result: GradeResult) -> bool:
    """The stub as `grade init` wrote it: every check fails as not implemented yet."""
    return bool(result.checks) and result.diagnosis in (None, "not-implemented") and all(not c.passed and c.diagnosis == "not-implemented" for c in result.checks)


def _notice(title: str, message: str) -> str:
    return common.clean(f"::notice title={escape_property(title)}::{escape_data(message)}")


def workflow_commands(results: Sequence[GradeResult], paths: Sequence[str], lang: str = "en") -> list[str]:
    """The workflow commands of a CI run over ``results`` (on ``paths``, in the repository).

    One ``::error`` per failing check of an attempted exercise, those on a line
    of the student's own code first, at most MAX_ERRORS (the last one then says
    how many more there are); the untouched stubs get one ``::notice`` together.
    """
    own: list[str] = []
    other: list[str] = []
    stubs: list[str] = []
    for result, path in zip(results, paths):
        if untouched(result):
            stubs.append(path)
            continue
        for on_line, line in _annotation_items(result, path, lang):
            target = own if on_line else other
            if line not in target:
                target.append(line)
    errors = own + other
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
            line = None if check.hidden else common.student_line(check.error)
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
