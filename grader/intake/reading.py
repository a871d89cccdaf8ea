"""The submission's Python text, as the grader reads it: within caps, and parsed at most once.

The grader reads every submission itself, in its own process and outside every
sandbox limit: the source scan for ``imports-grader`` (:mod:`grader.intake.scan`),
the structure checks, ``tampering`` and ``uses-global`` (:mod:`grader.checks.source`).
What that costs grows with what it reads.  A parsed tree takes several hundred
bytes per byte of source, IPython's transformer (pure Python) a few seconds per
megabyte, and ``json.loads`` an object per JSON value.  Uncapped, a 1.6 MB file
cost the grader 1.7 GB and half a minute.  So what the grader reads is capped
(:class:`Caps`), and each cap is checked before the expensive step it protects:

* the file's size, before it is read (``fstat``; never more than the cap is read);
* a notebook's JSON items (strings and ``, : [ {`` outside strings), counted with
  ``bytes.count`` and a regular expression before ``json.loads``; then the notebook
  is decoded keeping only what the grader reads (cells, their type and source), so
  that outputs cost no more than their text;
* the number of cells, and the size of the code, before IPython's transformer and
  ``ast.parse``;
* code nested deeper than Python's parser goes (``RecursionError``, ``MemoryError``),
  when it is parsed.

A submission over a cap is refused as a whole (:class:`Oversize`, the diagnosis
``too-large``, 0 points) and never reaches a worker.  Parsed trees are kept in one
cache bounded by the characters of source it holds (:data:`TREE_BUDGET`), so that a
batch never accumulates them.
"""
from __future__ import annotations

import ast
import hashlib
import io
import json
import os
import re
import threading
import tokenize
import warnings
from collections import OrderedDict
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, Optional, Union

from grader.results import Message

KiB, MiB = 1024, 1024**2

# A notebook's JSON items per byte the grader accepts: a real notebook has far fewer
# (a printed line is about 2 items for 20 bytes, an image 3 items for tens of KiB), and
# decoding one item costs the grader 30 to 60 bytes at worst.
ITEMS_PER_NOTEBOOK_BYTE = 1 / 32


@dataclass(frozen=True)
class Caps:
    """How much of a submission the grader reads (``grade --max-code-size`` and friends).

    ``code``: bytes of Python, a ``.py`` file or a notebook's code cells together
    (UTF-8); an exercise's solution takes a few KiB, the whole lecture's code about 30.
    ``notebook``: bytes of an ``.ipynb`` file, outputs included (figures and
    animations make a real notebook a few MiB).  ``cells``: cells of any type in a
    notebook.  A notebook's JSON may hold ``notebook / 32`` items (:attr:`items`).
    """

    code: int = 256 * KiB
    notebook: int = 64 * MiB
    cells: int = 2_000

    @property
    def items(self) -> int:
        return max(int(self.notebook * ITEMS_PER_NOTEBOOK_BYTE), 1)


@dataclass(frozen=True)
class Oversize:
    """Which cap a submission is over: ``what`` is ``code`` (bytes), ``notebook``
    (bytes), ``items`` (JSON items; ``found`` is where counting stopped, past the
    limit), ``cells`` (a count), ``nesting`` or ``magics`` (``found`` and ``limit`` are 0)."""

    what: str
    found: int
    limit: int


@dataclass(frozen=True)
class Cell:
    """One piece of Python the grader reads: a ``.py`` file, or a notebook's code cell.

    ``index``: the cell's position among all the notebook's cells (0-based; None
    for a ``.py`` file).  ``number``: its position among the code cells (1-based;
    0 for a ``.py`` file).  ``python``: the text Python runs (IPython's syntax
    turned into calls, :func:`cell_python`).  ``readable``: whether it parses.
    """

    index: Optional[int]
    number: int
    python: str
    readable: bool


@dataclass(frozen=True)
class Code:
    """The submission as the grader read it, once, within its caps.

    ``raw``: the file's bytes (what the worker gets a copy of, so that it runs
    what the grader checked); ``digest``: their SHA-256, hex (the same
    submission, the same digest, on every machine); ``cells``: its Python.
    """

    cells: tuple[Cell, ...] = ()
    raw: bytes = b""
    digest: str = ""


# --------------------------------------------------------------------------
# reading a file within the caps


def load(path: str, kind: Optional[str] = None, caps: Caps = Caps()) -> Union[Code, Oversize]:
    """The Python of the submission at ``path``, or the cap it is over.

    ``kind`` is ``"py"`` or ``"ipynb"`` (default: from the suffix).  An unreadable
    file, or a notebook that is not valid JSON, gives an empty :class:`Code`: the
    worker reports what is wrong with it.  Costs at most a few times the caps in
    memory and about a second of CPU per 100 KiB of code, whatever the file holds.
    """
    if kind is None:
        kind = "ipynb" if path.lower().endswith(".ipynb") else "py"
    limit = caps.notebook if kind == "ipynb" else caps.code
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > limit:
                return Oversize("notebook" if kind == "ipynb" else "code", size, limit)
            raw = handle.read(limit + 1)  # a file that grew since fstat is still read no further
    except OSError:
        return Code()
    if len(raw) > limit:
        return Oversize("notebook" if kind == "ipynb" else "code", len(raw), limit)
    read = _python(raw, kind, caps)
    return replace(read, raw=raw, digest=hashlib.sha256(raw).hexdigest()) if isinstance(read, Code) else read


def _python(raw: bytes, kind: str, caps: Caps) -> Union[Code, Oversize]:
    if kind != "ipynb":
        return _checked((Cell(None, 0, python_text(raw), False),))
    items = _json_items(raw, caps.items)
    if items > caps.items:
        return Oversize("items", items, caps.items)
    sources = _code_sources(raw)
    if isinstance(sources, Oversize) or sources is None:
        return sources if sources is not None else Code()
    count, code_cells = sources
    if count > caps.cells:
        return Oversize("cells", count, caps.cells)
    total = 0
    for _, text in code_cells:
        total += len(text.encode("utf-8", "surrogatepass"))
        if total > caps.code:
            return Oversize("code", sum(len(t.encode("utf-8", "surrogatepass")) for _, t in code_cells), caps.code)
    cells, plain, work = [], set(), 0
    for number, (index, text) in enumerate(code_cells, start=1):
        work += transform_cost(text)
        if work > TRANSFORM_BUDGET:
            # IPython's transformer would cost too much: the same reading, line by line.
            plain.add(number)
        cells.append(Cell(index, number, cell_python(text, ipython=number not in plain), False))
    return _checked(tuple(cells), plain)


def _checked(cells: tuple[Cell, ...], plain: frozenset[int] | set[int] = frozenset()) -> Union[Code, Oversize]:
    """The cells with ``readable`` set; :class:`Oversize` (``nesting``) when one is too deep to parse,
    (``magics``) when a cell read line by line (``plain``) does not parse: IPython might run it."""
    out = []
    for cell in cells:
        outcome = _outcome(cell.python)
        if outcome is _TOO_DEEP:
            return Oversize("nesting", 0, 0)
        if outcome is _UNREADABLE and cell.number in plain:
            return Oversize("magics", 0, 0)
        out.append(Cell(cell.index, cell.number, cell.python, outcome is not _UNREADABLE))
    return Code(tuple(out))


CELL_MARK = "# grader: code cell "


def python_of(code: Code) -> str:
    """The text the structure checks read: a ``.py`` file's, or the notebook's readable
    code cells in order, each after a ``CELL_MARK<number>`` line (a cell that does not
    parse defined nothing, and is left out)."""
    if len(code.cells) == 1 and code.cells[0].index is None:
        return code.cells[0].python
    return "\n".join(f"{CELL_MARK}{cell.number}\n{cell.python}" for cell in code.cells if cell.readable)


# --------------------------------------------------------------------------
# a notebook's JSON, without its outputs


_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[,:\[{]', re.DOTALL)


def _json_items(raw: bytes, limit: int) -> int:
    """The JSON items of ``raw`` (strings, and ``, : [ {`` outside them), counted up to ``limit + 1``.

    Each costs ``json.loads`` an object or a slot.  The quick count (``bytes.count``
    over the whole file) is an upper bound that settles every real notebook; only
    past the limit are the items counted exactly, stopping as soon as they exceed it.
    """
    quick = raw.count(b'"') // 2 + raw.count(b",") + raw.count(b":") + raw.count(b"[") + raw.count(b"{")
    if quick <= limit:
        return quick
    count = 0
    for _ in _TOKEN.finditer(raw):
        count += 1
        if count > limit:
            break
    return count


# Of every JSON object, only what the grader reads survives decoding: a notebook's
# version and cells (v4: ``cells``; v1-v3: ``worksheets`` of cells), a cell's type and
# source (``source``; ``input`` before v4, ``code`` in v1).  Outputs and metadata are
# dropped as soon as they are decoded, so they never accumulate.
_KEEP = frozenset({"nbformat", "cells", "worksheets", "cell_type", "source", "input", "code"})


def _keep(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    return {key: value for key, value in pairs if key in _KEEP}  # the last of a repeated key wins, as in json.loads


def _code_sources(raw: bytes) -> Optional[tuple[int, list[tuple[int, str]]]]:
    """(number of cells, [(cell index, source) of each code cell]) as nbformat reads them; None if not a notebook."""
    try:
        # utf-8-sig, as the worker reads it: a byte-order mark must not blind the grader.
        data = json.loads(raw.decode("utf-8-sig", "replace"), object_pairs_hook=_keep)
    except (ValueError, RecursionError, MemoryError):
        return None
    if not isinstance(data, dict):
        return None
    major = data.get("nbformat")
    if isinstance(major, int) and not isinstance(major, bool) and major < 4:
        # nbformat converts version 1-3 notebooks: the cells of every worksheet, in order.
        cells: list[Any] = []
        sheets = data.get("worksheets")
        for sheet in sheets if isinstance(sheets, list) else []:
            inner = sheet.get("cells") if isinstance(sheet, dict) else None
            cells += inner if isinstance(inner, list) else []
        if major == 1 and isinstance(data.get("cells"), list):
            cells = data["cells"]
        key = "code" if major == 1 else "input"
    else:
        found = data.get("cells")
        cells = found if isinstance(found, list) else []
        key = "source"
    out = []
    for index, cell in enumerate(cells):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        text = cell.get(key, "")
        if isinstance(text, list):
            text = "".join(part for part in text if isinstance(part, str))
        if isinstance(text, str):
            out.append((index, text))
    return len(cells), out


# --------------------------------------------------------------------------
# Python text


def python_text(raw: bytes) -> str:
    """A ``.py`` file's bytes decoded as Python decodes them (its ``# coding:`` line honoured).

    Reading them otherwise would let a cookie such as ``utf-7`` show the grader
    a different program from the one the worker runs.
    """
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
        return raw.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError, ValueError):
        return raw.decode("utf-8", "replace")


def cell_python(cell: str, ipython: bool = True) -> str:
    """The Python that IPython runs for a notebook cell, line for line where it can.

    IPython's own transformer turns ``x = %pwd`` and ``!cmd`` into calls, so a
    cell that IPython runs also parses here; a cell magic (``%%time``) runs its
    body, which is what is read (its first line left blank).  That transformer
    tokenizes the whole cell again after each command it rewrites (up to 500
    times): a cell whose :func:`transform_cost` is over :data:`TRANSFORM_BUDGET`,
    or ``ipython=False``, is read line by line instead (:func:`_commands_as_calls`).
    """
    lines = cell.splitlines()
    if lines and lines[0].lstrip().startswith("%%"):
        return "\n".join([""] + lines[1:])
    if ipython and transform_cost(cell) <= TRANSFORM_BUDGET:
        try:
            return str(_transformer().transform_cell(cell))
        except Exception:
            pass  # IPython cannot run it either (more than 500 commands...): read the most code
    return _commands_as_calls(cell)


# Lines that IPython's transformer may rewrite (over-counted: a count, never a reading).
_CANDIDATE = re.compile(r"^[ \t]*[!%?/,;]|=[ \t]*[!%]|^(?![ \t]*#).*\?[ \t]*$", re.MULTILINE)
# Characters of a cell times the passes IPython's transformer may make over it; about
# 3 s of the grader's CPU per MiB.  A real notebook is far below (a few commands, in small cells).
TRANSFORM_BUDGET = 1 * MiB


def transform_cost(cell: str) -> int:
    """An upper bound on what IPython's transformer reads for ``cell``: its length, once per command and once more."""
    return (len(_CANDIDATE.findall(cell)) + 1) * len(cell)


_ESCAPED = re.compile(r"^([ \t]*)(?=[!%?/,;])")
_ASSIGNED = re.compile(r"^([ \t]*[^=\n#'\"]+?[ \t]*=[ \t]*)(?=[!%])")
_HELP = re.compile(r"^([ \t]*)(?=[\w.\[\]()]+\?+[ \t]*$)")


def _commands_as_calls(cell: str) -> str:
    """``cell`` with each IPython command turned into a call, the rest of its line kept as a comment.

    ``!ls`` -> ``get_ipython().system()  #!ls``, ``x = %pwd`` -> ``x = get_ipython().system()  #%pwd``.
    Every character of the line is kept, after a prefix without quotes: a line
    that was inside a string stays inside it, and the strings open and close where
    IPython sees them.  A command's arguments become a comment, as they become a
    string in IPython: not code.  Costs one pass over the cell.
    """
    lines = cell.splitlines()
    while lines and not lines[0].strip():
        lines.pop(0)  # IPython's cleanup: leading blank lines go, then the first line's indent
    indent = lines[0][: len(lines[0]) - len(lines[0].lstrip(" \t"))] if lines else ""
    if indent:
        lines = [line[len(indent):] if line.startswith(indent) else line for line in lines]
    out = []
    for line in lines:
        if not line.lstrip().startswith("#"):
            match = _ESCAPED.match(line) or _HELP.match(line)
            if match is not None:
                line = f"{match.group(1)}get_ipython().system()  #{line[match.end():]}"
            else:
                match = _ASSIGNED.match(line)
                if match is not None and not match.group(1).rstrip().endswith(("==", "!=", "<=", ">=")):
                    line = f"{match.group(1)}get_ipython().system()  #{line[match.end():]}"
        out.append(line)
    return "\n".join(out)


@lru_cache(maxsize=1)
def _transformer() -> Any:
    """IPython's cell transformer, made once (it keeps no state between cells)."""
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager()


# --------------------------------------------------------------------------
# parsing, once


# The cache of parsed trees holds at most this many characters of source (the
# latest text is always kept, whatever its size).  A tree costs up to ~700 bytes
# per character (a list of one name repeated), so this bounds the cache to about
# 350 MB in the worst case, and a few MB for real submissions; it holds a notebook
# at the default cap, its cells one by one and then together.  ``grade`` empties
# it before each submission, so that a batch keeps one submission's trees at most.
TREE_BUDGET = 512 * KiB


class _Unreadable:
    """Python cannot read the text (a syntax error): the worker reports it."""


class _TooDeep:
    """The text nests deeper than Python's parser goes."""


_UNREADABLE, _TOO_DEEP = _Unreadable(), _TooDeep()
_Outcome = Union[ast.Module, _Unreadable, _TooDeep]


class _Trees:
    """Parsed trees of the latest texts, at most ``budget`` characters of source together."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.entries: OrderedDict[str, _Outcome] = OrderedDict()
        self.size = 0
        self.lock = threading.Lock()

    def get(self, text: str) -> _Outcome:
        with self.lock:
            if text in self.entries:
                self.entries.move_to_end(text)
                return self.entries[text]
        outcome = _parse(text)
        with self.lock:
            if text not in self.entries:
                self.entries[text] = outcome
                self.size += len(text)
            while self.size > self.budget and len(self.entries) > 1:
                old, _ = self.entries.popitem(last=False)
                self.size -= len(old)
        return outcome

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.size = 0


_TREES = _Trees(TREE_BUDGET)


def _parse(text: str) -> _Outcome:
    try:
        with warnings.catch_warnings():
            # An invalid escape warns, quoting the student's text, on the grader's stderr.
            warnings.simplefilter("ignore")
            return ast.parse(text)
    except (SyntaxError, ValueError):
        return _UNREADABLE
    except (RecursionError, MemoryError):
        # Deep nesting: "maximum recursion depth exceeded during ast construction",
        # or "Parser stack overflowed".  A verdict, never a crash of the grader.
        return _TOO_DEEP


def _outcome(text: str) -> _Outcome:
    return _TREES.get(text)


def tree(text: str) -> Optional[ast.Module]:
    """The parsed tree of ``text`` (shared: do not modify it); None when Python cannot read it.

    Trees are cached, within :data:`TREE_BUDGET` characters of source, so that the
    checks of one submission parse its text once.
    """
    outcome = _outcome(text)
    return outcome if isinstance(outcome, ast.Module) else None


def forget() -> None:
    """Empty the cache of parsed trees (between submissions, when memory matters more than time)."""
    _TREES.clear()


# --------------------------------------------------------------------------
# what the student is told


def oversize_message(over: Oversize) -> Message:
    """The catalogue's sentence for ``over`` (``diagnosis.too-large.why…``), with its sizes written out."""
    if over.what in ("code", "notebook"):
        key = "diagnosis.too-large.why" if over.what == "code" else "diagnosis.too-large.why-notebook"
        return Message(key, {"found": _bytes(over.found), "limit": _bytes(over.limit)})
    if over.what in ("nesting", "magics"):
        return Message(f"diagnosis.too-large.why-{over.what}", {})
    return Message(f"diagnosis.too-large.why-{over.what}", {"found": f"{over.found:,}", "limit": f"{over.limit:,}"})


def _bytes(count: int) -> str:
    """1536 -> '1.5 KiB': the unit that keeps the number readable."""
    if count < KiB:
        return f"{count} bytes"
    for unit, size in (("GiB", 1024**3), ("MiB", MiB), ("KiB", KiB)):
        if count >= size:
            value = count / size
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{count} bytes"
