"""Hostile text through each medium's escaper (grader.report.escape).

Each property feeds arbitrary text, and text built from the pieces students
use to attack a medium, and checks the medium's own invariant: what a terminal
or CI runner would act on, what a Markdown renderer would turn into markup,
what a line reader would split on.
"""
from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from grader.report import escape

try:
    import markdown_it
except ImportError:  # in the [test] extras; without it only the Markdown properties skip
    markdown_it = None
needs_markdown = pytest.mark.skipif(markdown_it is None, reason="markdown-it-py is not installed")

PIECES = [
    "\n::", "::", "\n::add-mask::secret", "::error::pwned", " ::warning::x", "\u3000::notice::x",
    "##[add-mask]x", "##[", "#", "\r", "\r\n", "\n", "\n\n", "\x1b[2J", "\x1b]0;title\x07", "\x1b",
    "\u2028", "\u2029", "\x85", "\x9b", "\v", "\f", "\x1c", "\x1e", "\x00", "\x7f",
    "\u202e", "\u2066", "\u200f", "\u200b", "\ufeff", "\u00a0",
    "`", "``", "```", "~~~", "~~", "<script>alert(1)</script>", "<img src=x onerror=alert(1)>",
    "<!--", "&lt;", "&amp;", "|", "||", "%0A", "%0D", "%25", "%3A", "%2C", ":", ",", "%",
    "[a](javascript:alert(1))", "![x](y)", "\\", "*", "_", "# ", "- ", "+ ", "1. ", "2) ", "===", "---",
    "    ", "\t", " ", "$x$", "> ", "<http://x>", "a", "b", "한국어", "\ud800", "\udcff",
]
hostile = st.one_of(
    st.text(),
    st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=4)), max_size=12).map("".join),
)

BREAKS = re.compile(f"[{escape.LINE_BREAKS}]")
# What .NET's TrimStart() may remove, and more.
LEADING = "".join(chr(c) for c in range(0x110000) if chr(c).isspace()) + "\u180e\u200b\u200c\u200d\u2060\ufeff"
ACTIVE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")


def command_lines(text: str) -> list[str]:
    """The lines of ``text`` a CI runner would take for workflow commands."""
    found = [line for line in BREAKS.split(text) if line.lstrip(LEADING).startswith("::")]
    if "##[" in text:
        found.append("##[ in " + text)
    return found


# ------------------------------------------------------------- terminal, log


@given(hostile)
@example("\n::add-mask::secret")
@example("\x1b[2J\x1b[H")
@example("ok\u2028::error::x")
def test_terminal_single_line_is_one_inert_line(value: str) -> None:
    out = escape.terminal(value)
    assert not ACTIVE.search(out) and "\n" not in out
    assert len(out.splitlines()) <= 1
    assert command_lines(out) == []
    out.encode("utf-8")


@given(hostile)
def test_terminal_multiline_keeps_lines_but_no_commands(value: str) -> None:
    out = escape.terminal(value, multiline=True)
    assert not ACTIVE.search(out)
    assert command_lines(out) == []
    # Every line break left is one the student wrote (CR, CRLF or LF).
    assert out.count("\n") == value.replace("\r\n", "\n").count("\n") + value.replace("\r\n", "\n").count("\r")


@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters="\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")))
def test_terminal_leaves_ordinary_text_alone(value: str) -> None:
    assume("##[" not in value and not value.lstrip(LEADING).startswith("::"))
    assert escape.terminal(value) == value


def test_terminal_examples() -> None:
    assert escape.terminal("a\x1b[2Jb") == "a\\x1b[2Jb"
    assert escape.terminal("x\n::add-mask::s") == "x\\n::add-mask::s"
    assert escape.terminal("::error::x") == "\\::error::x"
    assert escape.terminal("  ::error::x") == "  \\::error::x"
    assert escape.terminal("a ##[add-mask]s") == "a ##\\[add-mask]s"
    assert escape.terminal("x\n::y", multiline=True) == "x\n\\::y"
    assert escape.terminal("김\u202eabc") == "김\\x202eabc"


@given(st.lists(hostile, max_size=4))
def test_log_lines_holds_for_whole_documents(values: list[str]) -> None:
    # Whatever is joined, and however, log_lines leaves no command line.
    text = "\n".join(values) + "::".join(values)
    assert command_lines(escape.log_lines(text)) == []


# ---------------------------------------------------------- workflow commands


def unescape_data(value: str) -> str:
    """What GitHub's runner makes of a command's data (ActionCommand.UnescapeData)."""
    return value.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def unescape_property(value: str) -> str:
    return value.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":").replace("%2C", ",").replace("%25", "%")


@given(hostile, hostile, hostile)
def test_a_workflow_command_stays_one_command(path: str, title: str, message: str) -> None:
    line = f"::error file={escape.workflow_property(path)},title={escape.workflow_property(title)}::{escape.workflow_data(message)}"
    assert BREAKS.split(line) == [line]
    assert "##[" not in line
    # Parsed as the runner parses it: two properties, and the data after the second '::'.
    end = line.index("::", 2)
    info, data = line[2:end], line[end + 2:]
    name, _, props = info.partition(" ")
    assert name == "error"
    pairs = [p.split("=", 1) for p in props.split(",")]
    assert [k for k, _ in pairs] == ["file", "title"]
    assert unescape_data(data) == escape.log_lines(unescape_data(data))
    assert command_lines(unescape_data(data)) == []
    for _, v in pairs:
        assert command_lines(unescape_property(v)) == []


@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp", "Cf")) | st.sampled_from("\r\n%:,")))
def test_workflow_escapes_are_what_github_decodes(value: str) -> None:
    assume(escape.log_lines(value) == value)
    assert unescape_data(escape.workflow_data(value)) == value
    assert unescape_property(escape.workflow_property(value)) == value


# ------------------------------------------------------------------ Markdown


def _renderer() -> Any:
    return markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"])


def _inline_children(tokens: list[Any]) -> list[Any]:
    out = []
    for token in tokens:
        out += token.children or []
    return out


def _letters(text: str) -> str:
    """Text compared across rendering: white space and the characters a
    renderer may legitimately drop or replace (backticks of a code span, NUL)."""
    return "".join(c for c in text if not c.isspace() and c not in "`\x00\ufffd")


@needs_markdown
@given(hostile)
@example("``<img src=x onerror=alert(1)>`")
@example("a\n\n    <script>x</script>")
@example("x\n---")
def test_markdown_is_literal_text(value: str) -> None:
    tokens = _renderer().parse("x " + escape.markdown(value))
    assert {t.type for t in tokens} <= {"paragraph_open", "paragraph_close", "inline"}
    children = _inline_children(tokens)
    assert {c.type for c in children} <= {"text", "softbreak", "hardbreak"}
    shown = "".join(c.content for c in children)
    assert _letters(shown) == _letters("x " + escape.visible(value, multiline=True))
    assert not ACTIVE.search(shown)


@needs_markdown
@given(hostile)
@example("``<img src=x onerror=alert(1)>`")
@example("`a`\n# b `c`")
@example("`x\n<script>` y")
@example("    0")
def test_markdown_prose_keeps_code_spans_and_nothing_else(value: str) -> None:
    for text in (value, f"Call `train` with {value} and `{value}`."):
        tokens = _renderer().parse(escape.markdown_prose(text))
        assert {t.type for t in tokens} <= {"paragraph_open", "paragraph_close", "inline"}
        children = _inline_children(tokens)
        assert {c.type for c in children} <= {"text", "code_inline", "softbreak", "hardbreak"}
        shown = "".join(c.content for c in children)
        assert _letters(shown) == _letters(escape.visible(text, multiline=True))
        assert not ACTIVE.search(shown)


def test_markdown_prose_keeps_the_catalogues_code() -> None:
    out = escape.markdown_prose("Clear `What.grad` before <b>step</b> | here")
    assert out == "Clear `What.grad` before &lt;b&gt;step&lt;/b&gt; \\| here"


@needs_markdown
@given(hostile)
@example("\\|")
def test_markdown_cell_stays_one_cell(value: str) -> None:
    table = f"| a | b |\n|---|---|\n| {escape.markdown_prose(value, cell=True)} | z |\n"
    tokens = _renderer().parse(table)
    cells = [t for t in tokens if t.type == "td_open"]
    assert len(cells) == 2
    body = [t for t in tokens if t.type == "inline"][2:]
    assert body[-1].content == "z"
    kinds = {c.type for c in _inline_children(body)}
    assert kinds <= {"text", "code_inline"}
    # GFM unescapes '\|' inside a cell's code span; markdown-it keeps the backslash.
    shown = "".join(c.content.replace("\\|", "|") if c.type == "code_inline" else c.content for c in _inline_children(body[:1]))
    assert _letters(shown) == _letters(escape.visible(value, multiline=True))


@needs_markdown
@given(hostile)
def test_markdown_block_cannot_be_closed_early(value: str) -> None:
    tokens = _renderer().parse(escape.markdown_block(value, "python") + "\n\nafter")
    assert [t.type for t in tokens][0] == "fence"
    assert tokens[0].content.rstrip("\n") == escape.visible(value, multiline=True).rstrip()
    assert not ACTIVE.search(tokens[0].content)
    assert tokens[-2].content == "after"


# ---------------------------------------------------------------- JSON lines


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | hostile,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(hostile, inner, max_size=4),
    max_leaves=12,
)


@given(json_values, st.booleans())
@example({"message": "a\u2028b\u2029c\x85d"}, True)
def test_json_line_is_one_line_that_round_trips(value: Any, compact: bool) -> None:
    line = escape.json_line(value, compact=compact)
    assert len(line.splitlines()) == 1 and not BREAKS.search(line)
    assert not ACTIVE.search(line)
    assert json.loads(line) == value
    line.encode("utf-8")


def test_json_line_refuses_nan() -> None:
    with pytest.raises(ValueError):
        escape.json_line({"score": float("nan")})


# ----------------------------------------------------------------- XML, HTML


@given(hostile)
def test_xml_text_survives_a_round_trip(value: str) -> None:
    safe = escape.xml_text(value)
    root = ET.Element("r", {"a": safe})
    root.text = safe
    parsed = ET.fromstring(ET.tostring(root, encoding="unicode"))
    assert parsed.get("a") == safe
    assert (parsed.text or "").replace("\r", "\n") == safe.replace("\r\n", "\n").replace("\r", "\n")
    assert not ACTIVE.search(safe.replace("\r", ""))


@given(hostile)
def test_html_has_no_markup(value: str) -> None:
    out = escape.html(value)
    assert "<" not in out and ">" not in out and '"' not in out


def test_templates_pass_no_student_text_through_safe() -> None:
    # Only figures and the histogram, which the grader draws, are marked safe.
    templates = Path(escape.__file__).with_name("templates")
    for template in templates.glob("*.j2"):
        for match in re.finditer(r"\{\{([^}]*)\|\s*safe", template.read_text(encoding="utf-8")):
            assert match.group(1).strip() in ("fig.svg", "histogram"), (template.name, match.group(0))
    sources = "".join(p.read_text(encoding="utf-8") for p in Path(escape.__file__).parent.glob("*.py"))
    assert sources.count("Markup(") == 1  # html.code_spans, which escapes first


# ---------------------------------------------------------------- file names


@given(st.binary(min_size=1, max_size=20))
def test_file_names_from_any_bytes_show_as_text(raw: bytes) -> None:
    name = os.fsdecode(raw)
    shown = escape.file_name(name)
    shown.encode("utf-8")
    for out in (escape.terminal(shown), escape.workflow_property(shown), escape.json_line(name)):
        assert not ACTIVE.search(out) and not BREAKS.search(out) and command_lines(out) == []
        out.encode("utf-8")
    assert not ACTIVE.search(escape.xml_text(name).replace("\r", ""))  # XML keeps its own CR and LF


def test_file_name_shows_undecodable_bytes() -> None:
    assert escape.file_name(os.fsdecode(b"kim\xff.py")) == "kim\\xff.py"
    assert escape.terminal(escape.file_name("a\n::add-mask::x.py")) == "a\\n::add-mask::x.py"

