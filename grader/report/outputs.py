"""Writing the report files a grading run asks for (HTML, JUnit, Gradescope, GitHub)."""
from __future__ import annotations

import json
import os
import tempfile
from typing import Optional, Sequence

from grader.report import escape
from grader.results import GradeResult


def write_atomic(path: str, text: str) -> None:
    """Write via a temporary file and a rename, so a crash never leaves half a file."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=os.path.basename(path))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def html_path(result: GradeResult, html: str, several: bool) -> str:
    """Where a submission's report goes: beside it by default, or under/at --html."""
    base = os.path.splitext(os.path.basename(result.submission))[0] + ".report.html"
    if not html:
        return os.path.join(os.path.dirname(os.path.abspath(result.submission)), base)
    if several or html.endswith(os.sep) or os.path.isdir(html):
        return os.path.join(html, base)
    return html


def write_all(
    results: Sequence[GradeResult],
    lang: str,
    html: Optional[str],
    junit: Optional[str] = None,
    gradescope: Optional[str] = None,
    announce: bool = True,
) -> None:
    if html is not None:
        from grader.report.html import render_html

        for result in results:
            path = html_path(result, html, len(results) > 1)
            write_atomic(path, render_html(result, lang))
            if announce:
                print(f"report: {escape.terminal(escape.file_name(path))}")
    if junit:
        from grader.report.junit import render_junit

        write_atomic(junit, render_junit(list(results), lang))
    if gradescope:
        from grader.report.gradescope import render_gradescope

        if len(results) != 1:
            raise SystemExit("grade: --gradescope writes one results.json: grade exactly one submission")
        write_atomic(gradescope, json.dumps(render_gradescope(results[0], lang), ensure_ascii=False, allow_nan=False, indent=2))
    if os.environ.get("GITHUB_ACTIONS") == "true":
        from grader.report.github import annotations, step_summary

        for result in results:
            for line in annotations(result, os.path.relpath(result.submission), lang):
                print(line)
        summary = os.environ.get("GITHUB_STEP_SUMMARY")
        if summary:
            with open(summary, "a", encoding="utf-8") as handle:
                handle.write(step_summary(list(results), lang))
