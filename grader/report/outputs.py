"""Writing the report files a grading run asks for (HTML, JUnit, Gradescope, GitHub)."""
from __future__ import annotations

import base64
import json
import os
import tempfile
from typing import Optional, Sequence

from grader.report import escape
from grader.results import GradeResult


def file_mode(mode: Optional[int] = None) -> int:
    """The permissions of an output file: ``mode`` if given, else what the umask
    allows a new file (0644 under the usual umask 022, 0664 under 002: TAs in
    the group can read the gradebook and reports)."""
    if mode is not None:
        return mode & 0o777
    umask = None
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    umask = int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    if umask is None:
        umask = os.umask(0o077)
        os.umask(umask)
    return 0o666 & ~umask


def parse_mode(text: str) -> int:
    """'0640', '640' or '0o640' -> 0o640; ValueError otherwise."""
    value = int(text.removeprefix("0o"), 8)
    if not 0 <= value <= 0o777:
        raise ValueError(text)
    return value


def write_atomic(path: str, text: str, mode: Optional[int] = None) -> None:
    """Write via a temporary file and a rename, so a crash never leaves half a file.

    The file gets ``file_mode(mode)``: the umask's permissions unless ``mode`` is given.
    """
    write_bytes_atomic(path, text.encode("utf-8"), mode)


def write_bytes_atomic(path: str, data: bytes, mode: Optional[int] = None) -> None:
    """:func:`write_atomic` for bytes (a zip)."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=os.path.basename(path))
    try:
        os.fchmod(fd, file_mode(mode))
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
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
        from grader.report.github import classroom_results, step_summary, workflow_commands

        paths = [os.path.relpath(result.submission) for result in results]
        for line in workflow_commands(results, paths, lang):
            print(line)
        summary = os.environ.get("GITHUB_STEP_SUMMARY")
        if summary:
            with open(summary, "a", encoding="utf-8") as handle:
                handle.write(step_summary(list(results), lang))
        output = os.environ.get("GITHUB_OUTPUT")
        if output:
            # The step's output `result`: GitHub Classroom's reporter reads it as <RUNNER>_RESULTS.
            document = json.dumps(classroom_results(results, paths, lang), ensure_ascii=False, allow_nan=False)
            with open(output, "a", encoding="utf-8") as handle:
                handle.write(f"result={base64.b64encode(document.encode('utf-8')).decode('ascii')}\n")
