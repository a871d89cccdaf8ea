"""Hostile text stays inert in every output, graded end to end.

The submissions tests/adversarial/hostile_text.py (a check raises) and
hostile_import.py (the whole file fails) print, raise and name things with text
that attacks each medium; here they are also saved under a file name that
carries the same attack.  Each is graded through the command line into every
output: the terminal (a CI log), `--format json`, JUnit, Gradescope, the HTML
report, GitHub annotations and the step summary, and `grade batch`'s files.
"""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from conftest import TESTS
from grader.cli import main as cli

try:
    import markdown_it
except ImportError:  # in the [test] extras; without it a plainer check stands in
    markdown_it = None

SOURCES = [TESTS / "adversarial" / "hostile_text.py", TESTS / "adversarial" / "hostile_import.py"]
HOSTILE_NAME = "kim\n::add-mask::fname\x1b[2J``<img src=x onerror=alert(1)>`|q|\u2028::error::f ##[add-mask]n_exercise2.py"
OPTIONS = ["--exercise", "exercise2", "--timeout", "20", "--examples", "2", "-j", "1"]

# Every line boundary Python knows (GitHub's runner uses CR and LF only).
BREAKS = re.compile("[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
ACTIVE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")
LEADING = "".join(chr(c) for c in range(0x110000) if chr(c).isspace()) + "\u180e\u200b\u200c\u200d\u2060\ufeff"
ANNOTATION = re.compile(r"^::error file=[^,:\r\n]+(,line=[1-9][0-9]*)?,title=[^,:\r\n]+::[^\r\n]+$")


def submissions(tmp_path: Path) -> list[Path]:
    """Both sources, one under a plain name and one under the hostile name."""
    plain = tmp_path / "plain" / "exercise2.py"
    odd = tmp_path / "odd" / HOSTILE_NAME
    for path, source in ((plain, SOURCES[0]), (odd, SOURCES[1])):
        path.parent.mkdir(parents=True)
        path.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    return [plain, odd]


def assert_log_is_inert(text: str, annotations: int = 0) -> None:
    """As GitHub's runner reads a step's log: only our own ::error commands,
    each one well formed on one line; nothing a terminal interprets."""
    assert "##[" not in text
    assert not ACTIVE.search(text.replace("\n", "")), repr(ACTIVE.search(text.replace("\n", "")))
    commands = [line for line in BREAKS.split(text) if line.lstrip(LEADING).startswith("::")]
    for line in commands:
        assert ANNOTATION.match(line), line
        data = line[line.index("::", 2) + 2:]
        decoded = data.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")
        assert "##[" not in decoded
        assert not [d for d in BREAKS.split(decoded) if d.lstrip(LEADING).startswith("::")], decoded
    assert len(commands) == annotations


def markdown_tokens(text: str) -> list[Any]:
    md = markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"])
    tokens = md.parse(text)
    return tokens + [child for token in tokens for child in (token.children or [])]


def assert_markdown_is_inert(text: str, headings: int) -> None:
    assert not ACTIVE.search(text.replace("\n", ""))
    if markdown_it is None:
        outside_code = re.sub(r"(?ms)^(`{3,})[^\n]*\n.*?^\1$", "", text)
        outside_code = re.sub(r"(?<![`\\])(`+)(?!`).*?(?<!`)\1(?!`)", "", outside_code)
        assert "<" not in outside_code
        return
    tokens = markdown_tokens(text)
    kinds = {t.type for t in tokens}
    assert not kinds & {"html_inline", "html_block", "link_open", "image", "s_open"}, kinds
    assert sum(t.type == "heading_open" for t in tokens) == headings
    assert not ACTIVE.search(text.replace("\n", ""))
    # Raw markup only inside code, where a renderer shows it as text.
    for markup in ("<img", "<b>"):
        assert text.count(markup) == sum(t.content.count(markup) for t in tokens if t.type in ("fence", "code_inline"))


def test_json_lines_stay_one_document_each(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paths = submissions(tmp_path)
    assert cli.main([*map(str, paths), *OPTIONS, "--format", "json", "--no-html"]) == 1
    out = capsys.readouterr().out
    lines = out.splitlines()  # splits on U+2028, U+2029, U+0085 as well
    assert len(lines) == 2
    documents = [json.loads(line) for line in lines]
    assert documents[1]["submission"].endswith(HOSTILE_NAME)
    assert any("::add-mask::secret-mask" in (c["message"] or "") for d in documents for c in d["checks"])
    assert not ACTIVE.search(out) and "\x1b" not in out


@pytest.mark.parametrize("which", [0, 1], ids=["raises-in-train", "hostile-file-name"])
def test_every_report_stays_inert(which: int, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    path = submissions(tmp_path)[which]
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.chdir(tmp_path)
    junit, gradescope, html = tmp_path / "junit.xml", tmp_path / "results.json", tmp_path / "report.html"
    status = cli.main([str(path), *OPTIONS, "--junit", str(junit), "--gradescope", str(gradescope), "--html", str(html)])
    assert status == 1
    captured = capsys.readouterr()

    # The terminal, which is the CI log: our ::error lines (one per distinct
    # mistake and line: train raises at one line in all five of its failed
    # checks; or one for a file that could not run), nothing else.
    assert "secret-mask" in captured.out
    assert which == 0 or "fname" in captured.out
    assert_log_is_inert(captured.out, annotations=(1, 1)[which])
    assert_log_is_inert(captured.err)

    # The step summary and Gradescope's Markdown outputs.
    assert_markdown_is_inert(summary.read_text(encoding="utf-8"), headings=2)
    results = json.loads(gradescope.read_text(encoding="utf-8"))
    outputs = [results["output"]] + [test["output"] for test in results["tests"]]
    assert any("secret-mask" in o for o in outputs)
    for output in outputs:
        assert_markdown_is_inert(output, headings=0)

    # JUnit parses, and carries no control character.
    text = junit.read_text(encoding="utf-8")
    root = ET.fromstring(text)
    assert "secret-mask" in ET.tostring(root, encoding="unicode")
    for element in root.iter():
        for value in [element.text or "", *element.attrib.values()]:
            assert not ACTIVE.search(value.replace("\r", "")), value

    # The HTML report: autoescaped, so the student's markup is text.
    page = html.read_text(encoding="utf-8")
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<img src=x" not in page and "<b>x</b>" not in page


def test_batch_outputs_stay_inert(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    paths = submissions(tmp_path)
    course = tmp_path / "course"
    course.mkdir()
    (course / "lee_exercise2.py").write_bytes(paths[0].read_bytes())
    (course / HOSTILE_NAME).write_bytes(paths[1].read_bytes())
    # Another exercise's file is skipped, and the class summary names it.
    (course / "<img src=x onerror=alert(1)>\x1b[2J_exercise3.py").write_text("x = 1\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    out = tmp_path / "out"
    assert cli.main(["batch", str(course), "--out", str(out), *OPTIONS]) == 0
    captured = capsys.readouterr()
    assert_log_is_inert(captured.out)
    assert_log_is_inert(captured.err)
    lines = (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    for line in lines:
        record = json.loads(line)
        assert record["score"] == 0
        assert not ACTIVE.search(line)
    summary = (out / "summary.html").read_text(encoding="utf-8")
    assert "&lt;img src=x onerror=alert(1)&gt;" in summary and "<img src=x" not in summary


def test_usage_errors_name_the_file_inertly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([str(tmp_path / HOSTILE_NAME)]) == 2
    err = capsys.readouterr().err
    assert "no such file" in err and "fname" in err
    assert_log_is_inert(err)
