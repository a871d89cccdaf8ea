"""Student text, made inert for each medium it reaches.

Exception messages, tracebacks, printed output, file names, student ids and
function names all come from the submission, so a student chooses every
character of them.  Each function here takes such text (or a document holding
it) and returns what one medium can carry without interpreting it: one
function per medium, applied at the place where the text enters that medium.

Characters a reader could act on are shown as ``\\xNN`` (or ``\\n``/``\\r``),
the convention JUnit's output already used: C0 controls and DEL (escape
sequences, a cleared screen, a carriage return that overwrites a line), C1
controls (U+0085 is a line break to Python, U+009B a CSI to some terminals),
the bidirectional overrides and isolates that reorder what a line seems to say
(U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C), the Unicode line and
paragraph separators (U+2028, U+2029) and lone surrogates (undecodable bytes
of a file name, which no UTF-8 stream can carry).
"""
from __future__ import annotations

import json
import re
from typing import Any, Optional

import markupsafe

# Everything a terminal, a log reader or a line splitter may act on, apart
# from TAB and LF, which multi-line text keeps.
_ACTIVE_BUT_CR = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff"
_ACTIVE = _ACTIVE_BUT_CR + "\r"
_TERMINAL_LINE = re.compile(f"[{_ACTIVE}\n]")
_TERMINAL_TEXT = re.compile(f"[{_ACTIVE}]")
_SHORT = {"\n": "\\n", "\r": "\\r"}
# A workflow command's message keeps CR and LF: GitHub's own escapes carry them.
_WORKFLOW_SHOWN = re.compile(f"[{_ACTIVE_BUT_CR}]")

# Every line boundary Python's str.splitlines() knows; GitHub's runner splits
# on CR and LF only, so this is a superset.
LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
# A workflow command is recognised after .NET's TrimStart(), which removes
# Unicode white space; the zero-width characters are added to be safe.
_LEADING = f"(?:(?![{LINE_BREAKS}])[\\s\u180e\u200b\u200c\u200d\u2060\ufeff])*"
_COMMAND_START = re.compile(f"(^|[{LINE_BREAKS}])({_LEADING}):(?=:)")


def _shown(char: str) -> str:
    return _SHORT.get(char) or f"\\x{ord(char):02x}"


def visible(value: object, *, multiline: bool = False) -> str:
    """``value`` with every character of the list above shown as ``\\xNN``
    text; LF too unless ``multiline``.  With ``multiline``, CRLF and a lone CR
    become LF first (a CR would otherwise overwrite the line before it)."""
    text = str(value)
    if multiline:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        return _TERMINAL_TEXT.sub(lambda m: _shown(m.group()), text)
    return _TERMINAL_LINE.sub(lambda m: _shown(m.group()), text)


def log_lines(text: str) -> str:
    """Text for a CI log (GitHub Actions, and any runner that reads commands
    from a step's output): no line starts a workflow command.

    Guarantees, for the whole of ``text``, whatever it holds: after splitting
    on every line break (``LINE_BREAKS``) and stripping leading white space,
    no line starts with ``::``, and ``##[`` (the runner's legacy command
    prefix, honoured *anywhere* in a line) occurs nowhere.  Both are broken
    with a visible backslash (``\\::``, ``##\\[``); nothing else changes.
    """
    text = text.replace("##[", "##\\[")
    return _COMMAND_START.sub(lambda m: f"{m.group(1)}{m.group(2)}\\:", text)


def terminal(value: object, *, multiline: bool = False) -> str:
    """Student text for a terminal, which is also a CI log.

    Guarantees: no character the terminal or a log reader interprets (see the
    module's list: ESC sequences, CR, C1, bidi overrides, U+2028/U+2029, lone
    surrogates) is left raw; in a single-line field (the default) LF is shown
    as ``\\n`` too, so the value stays on its line; and no line of the result
    starts a workflow command (``log_lines``).  Printable text, Korean
    included, and TAB are unchanged; the result always encodes as UTF-8.
    """
    return log_lines(visible(value, multiline=multiline))


def workflow_data(value: object) -> str:
    """The message of a GitHub workflow command (``::error ...::MESSAGE``).

    GitHub's documented escapes: ``%`` → ``%25``, CR → ``%0D``, LF → ``%0A``.
    Every other character of the module's list is shown as ``\\xNN`` first,
    so the result holds no line break of any kind and no terminal control:
    the whole command stays one line, and nothing in it can start another.
    The message is also ``log_lines``-safe once GitHub decodes it, since the
    runner echoes it into the log.
    """
    text = log_lines(_WORKFLOW_SHOWN.sub(lambda m: _shown(m.group()), str(value)))
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def workflow_property(value: object) -> str:
    """A property value of a GitHub workflow command (``file=``, ``title=``):
    as ``workflow_data``, and ``:`` → ``%3A``, ``,`` → ``%2C``, which would
    otherwise end the property or the property list."""
    return workflow_data(value).replace(":", "%3A").replace(",", "%2C")


# ---------------------------------------------------------------- Markdown

_MD_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# Punctuation that opens markup wherever it stands (CommonMark, GFM tables and
# strikethrough, GitHub's $math$), and what opens a block at a line's start.
_MD_ANYWHERE = re.compile(r"[\\`*_\[\]<>&~|#$]")
_MD_LINE_START = re.compile(r"(^|[\n\r])([ \t]*)(?:([-+=])|(\d+)([.)]))")
_MD_INDENT = re.compile(r"([\n\r])[ \t]+")
_BACKTICKS = re.compile(r"`+")


def _md_line_start(m: re.Match[str]) -> str:
    if m.group(3):
        return f"{m.group(1)}{m.group(2)}\\{m.group(3)}"
    return f"{m.group(1)}{m.group(2)}{m.group(4)}\\{m.group(5)}"


def markdown(value: object) -> str:
    """Student text as literal Markdown prose (GitHub's step summary,
    Gradescope's ``output_format: "md"``, both of which render raw HTML).

    Guarantees: a CommonMark or GFM renderer shows the characters of
    ``value`` as text (white space aside; controls, bidi overrides and line
    separators made ``visible`` first) and makes no markup of them:
    ``&``, ``<`` and ``>`` become HTML entities (no raw HTML, autolink or
    quote), the backslash, backticks, ``* _ [ ] ~ | # $`` are
    backslash-escaped wherever they stand (no code span, emphasis, link,
    strikethrough, table cell, heading or math), and ``-``, ``+``, ``=`` and
    an ordered-list ``1.`` or ``1)`` are escaped at the start of the value and
    of each line (no list, rule or setext heading); a line's leading blanks
    are dropped (no indented code block).  GFM's bare-URL autolinks are the
    one thing left: a link, but to text the student wrote, shown as is.
    """
    text = _MD_ANYWHERE.sub(lambda m: _MD_ENTITIES.get(m.group()) or "\\" + m.group(), visible(value, multiline=True))
    # A paragraph drops a line's leading blanks anyway; after a blank line
    # four of them would start a code block instead.
    text = _MD_INDENT.sub(r"\1", text)
    return _MD_LINE_START.sub(_md_line_start, text)


def markdown_prose(value: object, *, cell: bool = False) -> str:
    """A catalogue sentence, which marks code with backticks, for Markdown;
    student text may have been filled into it.

    Backtick runs are paired as CommonMark pairs them (a run opens a code span
    closed by the next run of the same length, else it is literal); the code
    spans are kept, since nothing inside one is interpreted, and everything
    else is ``markdown``-escaped, unpaired backticks included.  So the
    renderer finds exactly these code spans and no other markup (a line break
    inside a span is written as the space it renders as; controls are made
    ``visible`` first).  With ``cell``, the result is one line for a GFM
    table cell: white space collapsed, and ``|`` escaped even inside code
    spans (GFM splits cells before it parses them).
    """
    # A sentence starts its own line: leading blanks would make it a code block.
    text = visible(value, multiline=True).lstrip(" \t")
    text = " ".join(text.split()) if cell else text
    runs = list(_BACKTICKS.finditer(text))
    # For each run, the next run of the same length (linear, however many runs).
    following: list[Optional[int]] = [None] * len(runs)
    last: dict[int, int] = {}
    for k in range(len(runs) - 1, -1, -1):
        length = len(runs[k].group())
        following[k] = last.get(length)
        last[length] = k
    out: list[str] = []
    position = 0
    i = 0
    while i < len(runs):
        opener = runs[i]
        closer = following[i]
        if closer is None:
            i += 1
            continue
        out.append(markdown(text[position:opener.start()]))
        # A line break inside a span renders as a space anyway; written as
        # one, it cannot start a block (a heading, an HTML block) mid-span.
        span = " ".join(text[opener.start():runs[closer].end()].splitlines())
        out.append(span.replace("|", "\\|") if cell else span)
        position = runs[closer].end()
        i = closer + 1
    out.append(markdown(text[position:]))
    return "".join(out)


def markdown_block(value: object, info: str = "") -> str:
    """Student text as a fenced code block: the fence is longer than any
    backtick run inside, so no line of ``value`` can close it early, and
    nothing inside is interpreted; controls are made ``visible``."""
    text = visible(value, multiline=True).rstrip()
    longest = max((len(m) for m in _BACKTICKS.findall(text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text}\n{fence}"


# -------------------------------------------------------------- HTML, XML

def html(value: object) -> str:
    """Student text for HTML outside a template (``&``, ``<``, ``>``, quotes
    as entities).  The report templates need none of this: Jinja2's
    autoescape does it, and no student value passes ``|safe`` or ``Markup``
    unescaped (``tests/test_escape.py`` checks both)."""
    return str(markupsafe.escape(str(value)))


# Characters XML 1.0 cannot carry at all, not even as character references,
# plus those a reader would act on (C1, bidi, line separators).
_XML_UNSAFE = re.compile(
    "[^\u0009\u000a\u000d\u0020-\u007e\u00a0-\u061b\u061d-\u200d\u2010-\u2027"
    "\u202f-\u2065\u206a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)


def xml_text(value: object) -> str:
    """Text an XML 1.0 document can hold (JUnit): characters XML forbids
    (C0 but TAB/LF/CR, lone surrogates, U+FFFE/U+FFFF) and those listed in the
    module docstring shown as ``\\xNN``.  Markup characters are left to the
    XML writer, which escapes them."""
    return _XML_UNSAFE.sub(lambda m: f"\\x{ord(m.group()):02x}", str(value))


# ------------------------------------------------------------------- JSON

_JSON_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")


def json_line(value: Any, *, compact: bool = True) -> str:
    """``value`` as one line of strict JSON (no NaN or Infinity; ValueError
    if it holds them), UTF-8 text kept readable.

    Guarantees: the line holds no character any line reader splits on
    (json escapes C0 itself; U+0085, U+2028 and U+2029 are escaped here as
    ``\\uXXXX``), nor DEL, C1, bidi controls or lone surrogates; and
    ``json.loads`` of it gives back ``value`` exactly.  The escapes only ever
    fall inside JSON strings, where ``\\uXXXX`` means the same character.
    """
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":") if compact else None)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


# ------------------------------------------------------------ spreadsheets

# A cell that starts with one of these is a formula to Excel, LibreOffice and
# Google Sheets (``=HYPERLINK(...)``, ``-2+3``, ``@SUM(...)``), also after a TAB or CR.
_FORMULA_START = re.compile(r"^[=+\-@\t\r]")


def csv_cell(value: object) -> str:
    """Student (or TA) text for a CSV cell that a spreadsheet may open: shown
    on one line (``visible``), and a leading ``=``, ``+``, ``-``, ``@``, TAB or
    CR quoted with ``'`` so that the cell is text, never a formula (OWASP's
    advice on CSV injection).  Numbers the grader computed need none of this."""
    text = visible(value)
    return "'" + text if _FORMULA_START.match(text) else text


# ------------------------------------------------------------- file names

def file_name(name: str) -> str:
    """A submission's file name (or path) as text: bytes that did not decode
    (lone surrogates from ``os.fsdecode``) shown as ``\\xNN``.  The name is
    still student text: pass the result through the medium's own function
    (``terminal``, ``markdown``, ``workflow_property``, ...), which all take
    names holding newlines, ESC or ``::`` as well."""
    return re.sub("[\udc80-\udcff]", lambda m: f"\\x{ord(m.group()) - 0xdc00:02x}", name)
