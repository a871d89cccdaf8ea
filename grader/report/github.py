"""GitHub Actions: error annotations on the student's file, and the job summary.

``annotations`` gives ``::error`` workflow commands, which GitHub shows on the
commit and in the "Files changed" view at the line that raised; ``step_summary``
gives the Markdown the CLI appends to ``$GITHUB_STEP_SUMMARY``.
"""
# No `from __future__ import annotations` here: this module's public function
# is itself called `annotations`.
from typing import Optional, Sequence

from grader.report import common
from grader.results import CheckResult, GradeResult


def escape_data(value: str) -> str:
    """A workflow command's message: '%', CR and LF are its only specials."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """A workflow command's property value, where ':' and ',' also delimit."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


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
    lines = []
    if result.diagnosis is not None:
        diag = common.submission_diagnosis(result, lang)
        heading = diag.title if diag else result.diagnosis
        body = [s for s in ((diag.why, diag.fix) if diag else ()) if s]
        if result.error is not None:
            body.append(common.error_line(result.error))
        lines.append(_command(path_in_repo, heading, "\n".join(body) or heading, _submission_line(result)))
    for check in result.checks:
        if check.passed or common.repeats_submission(check, result):
            continue
        lines.append(_check_annotation(check, path_in_repo, lang))
    return lines


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
            f"### {mark} {common.markdown_cell(result.exercise)}: {common.markdown_cell(result.submission)} "
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
