"""What student code prints, within a bound: output never costs a submission more than its budget.

A chatty but correct submission (a ``train`` that prints its tensors a
thousand times per epoch) must grade about as fast as its quiet twin, in a
``.py`` file and in a notebook, whatever prints (``print``, IPython's
``display``, ``sys.stdout.write``), even inside ``contextlib.redirect_stdout``.
Formatting a tensor costs about a tenth of a millisecond, and a write to the
capture pipe a few microseconds: a thousand lines per epoch, in every call,
would spend the submission's time limit on its printing.

So the worker's ``sys.stdout`` and ``sys.stderr`` (and ``sys.__stdout__``,
``sys.__stderr__``) are :class:`_Terminal` streams on its descriptors 1 and 2,
and ``builtins.print`` is :func:`_print`, for the worker's whole life
(:func:`own_streams`); an :class:`_Allowance` says what may be printed now:

* the import of a ``.py`` file, or a notebook's cells: ``LOAD_PRINT_BUDGET`` bytes;
* the call whose output a report shows (the lecture data's): ``PRINT_BUDGET``;
* every other call: nothing (``quiet``).

Within the budget text is written at once, so a worker killed at its deadline
has lost none of it.  Past the budget ``print`` and ``display`` return at once
without formatting their arguments (the output ends with a line ``…``), and
what is written directly still reaches the grader, which keeps its head and
tail, but in writes of 64 KiB instead of one per line.  A quiet call drops
everything.  Printing to a file of the student's own always happens, and
printing never changes what a call returns or raises.

This module runs in the worker; it imports nothing from the grader.
"""
from __future__ import annotations

import builtins
import contextlib
import io
import os
import sys
from typing import Any, Iterator

PRINT_BUDGET = 8 * 1024  # bytes a call whose output is shown may print: fifty lines of tensors, hundreds of short ones; formatting them stays cheap
LOAD_PRINT_BUDGET = 8 * 1024  # bytes the import of a .py file, or a notebook's cells, may print (each cell's values shown included)
_MARK = "\n…\n"  # ends printing that ran past its budget
_BULK = 1 << 16  # past the budget, direct writes reach the grader in writes of this size


class _Allowance:
    """What the student's code may still print now, on stdout and stderr together."""

    __slots__ = ("quiet", "left", "marked")

    def __init__(self) -> None:
        self.quiet = False
        self.left = LOAD_PRINT_BUDGET
        self.marked = False

    def spent(self) -> bool:
        """Whether ``print`` and ``display`` are free now (quiet, or past the budget)."""
        return self.quiet or self.left <= 0


_ALLOWANCE = _Allowance()


class _Terminal(io.TextIOBase):
    """The worker's stdout or stderr, within the allowance.

    ``target`` is a descriptor (the worker's 1 or 2), or a text stream that
    this one stands in for while :func:`printing` runs outside a worker.
    """

    encoding = "utf-8"
    errors = "backslashreplace"
    mode = "w"
    line_buffering = False

    def __init__(self, target: Any, name: str) -> None:
        self._target = target
        self._pending: list[bytes] = []
        self._size = 0
        self.name = name
        self.buffer = _TerminalBytes(self)

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return self._target if type(self._target) is int else int(self._target.fileno())

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        if not _ALLOWANCE.quiet:
            self.emit(text.encode("utf-8", "backslashreplace"))
        return len(text)

    def emit(self, data: bytes) -> None:
        """Write ``data`` now (within the budget), or soon, with more (past it)."""
        allowance = _ALLOWANCE
        target = self._target
        if type(target) is not int:
            allowance.left -= len(data)
            target.write(data.decode("utf-8", "replace"))
            return
        if allowance.left > 0:
            allowance.left -= len(data)
            if self._pending:
                self.deliver()
            _write_all(target, data)
            return
        self._pending.append(data)
        self._size += len(data)
        if self._size >= _BULK:
            self.deliver()

    def flush(self) -> None:
        """Nothing to do: text within the budget is written already, the rest waits for :meth:`deliver`."""
        if type(self._target) is not int:
            self._target.flush()

    def deliver(self) -> None:
        """Write what waits past the budget (before each reply, and at exit)."""
        if self._pending:
            data, self._pending, self._size = b"".join(self._pending), [], 0
            _write_all(self._target, data)


class _TerminalBytes:
    """``sys.stdout.buffer``: bytes, within the same allowance."""

    def __init__(self, text: _Terminal) -> None:
        self._text = text

    def write(self, data: Any) -> int:
        data = bytes(data)
        if not _ALLOWANCE.quiet:
            self._text.emit(data)
        return len(data)

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return self._text.fileno()

    def flush(self) -> None:
        self._text.flush()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


_real_print = builtins.print


def _print(*args: Any, sep: Any = " ", end: Any = "\n", file: Any = None, flush: bool = False) -> None:
    """``print`` within the allowance.

    To the terminal (``file`` omitted, ``sys.stdout`` or ``sys.stderr``,
    whatever they are now, a ``contextlib.redirect_stdout`` buffer included)
    it returns at once, without formatting anything, once the allowance is
    spent; to a file of the student's own it prints as always.  Called
    thousands of times by a chatty loop: as little work as possible.
    """
    if not (file is None or file is sys.stdout or file is sys.stderr or type(file) is _Terminal):
        _real_print(*args, sep=sep, end=end, file=file, flush=flush)
        return
    allowance = _ALLOWANCE
    if allowance.quiet:
        return
    target = sys.stdout if file is None else file
    if target is None:
        return
    if allowance.left <= 0:
        if not allowance.marked:
            allowance.marked = True
            target.write(_MARK)
        return
    if (sep is not None and type(sep) is not str) or (end is not None and type(end) is not str):
        _real_print(*args, sep=sep, end=end, file=file, flush=flush)  # raises the TypeError print raises
        return
    # One write per call, of what print would have written (str() of each argument).
    text = (" " if sep is None else sep).join([str(arg) for arg in args]) + ("\n" if end is None else end)
    if type(target) is not _Terminal:
        # The student's own buffer in place of sys.stdout: it counts against the allowance all the same.
        allowance.left -= len(text.encode("utf-8", "backslashreplace"))
    target.write(text)
    if flush and type(target) is not _Terminal:
        target.flush()


def own_streams() -> None:
    """In the worker, for its whole life: bounded streams on descriptors 1 and 2, and the bounded ``print``.

    The import of the submission, or the notebook's cells, may then print
    ``LOAD_PRINT_BUDGET`` bytes; :func:`printing` sets each call's budget.
    """
    sys.stdout = sys.__stdout__ = _Terminal(1, "<stdout>")  # type: ignore[misc,assignment]
    sys.stderr = sys.__stderr__ = _Terminal(2, "<stderr>")  # type: ignore[misc,assignment]
    builtins.print = _print
    _ALLOWANCE.quiet, _ALLOWANCE.left, _ALLOWANCE.marked = False, LOAD_PRINT_BUDGET, False


def deliver_output() -> None:
    """Push the student's output into the capture pipes (before the worker answers, and before it exits)."""
    for stream in (sys.__stdout__, sys.__stderr__, sys.stdout, sys.stderr):
        try:
            if type(stream) is _Terminal:
                stream.deliver()
            elif stream is not None:
                stream.flush()
        except BaseException:
            pass


def printing(quiet: bool, budget: int = PRINT_BUDGET) -> Any:
    """What student code prints during one call (or a notebook's cells): nothing when
    ``quiet``, ``budget`` bytes when not (see the module's docstring).

    IPython's ``display`` and a cell's displayed value format nothing once the
    allowance is spent.  In a worker the streams and ``print`` are the bounded
    ones already (:func:`own_streams`); elsewhere (a test, a kernel) they are
    swapped in for the duration.  Everything is restored afterwards, when the
    body raises too.
    """
    return _printing(quiet, budget)


@contextlib.contextmanager
def _printing(quiet: bool, budget: int) -> Iterator[None]:
    allowance = _ALLOWANCE
    saved = (allowance.quiet, allowance.left, allowance.marked, builtins.print, sys.stdout, sys.stderr)
    allowance.quiet, allowance.left, allowance.marked = quiet, budget, False
    builtins.print = _print
    swapped = []
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is not None and type(stream) is not _Terminal:
            setattr(sys, name, _Terminal(stream, f"<{name}>"))
            swapped.append(name)
    patched = _bound_display()
    try:
        yield
    finally:
        allowance.quiet, allowance.left, allowance.marked = saved[0], saved[1], saved[2]
        builtins.print = saved[3]
        for name in swapped:
            setattr(sys, name, saved[4] if name == "stdout" else saved[5])
        for owner, attribute in patched:
            vars(owner).pop(attribute, None)


def _bound_display() -> list[tuple[Any, str]]:
    """IPython's display formatter and output prompt, made free once the allowance is spent.

    ``display()`` and a cell's displayed value compute every representation of
    an object before anything prints one: that is where their cost is.
    Returns what was patched (nothing without a shell, or when done already).
    """
    interactive = sys.modules.get("IPython.core.interactiveshell")
    if interactive is None or not interactive.InteractiveShell.initialized():
        return []
    shell = interactive.InteractiveShell.instance()
    allowance = _ALLOWANCE
    patched = []
    for owner, attribute, spent in ((shell.display_formatter, "format", ({}, {})), (shell.displayhook, "write_output_prompt", None)):
        if owner is None or attribute in vars(owner) or not hasattr(owner, attribute):
            continue
        real = getattr(owner, attribute)

        def bounded(*args: Any, _real: Any = real, _spent: Any = spent, **kwargs: Any) -> Any:
            if allowance.spent():
                return _spent
            return _real(*args, **kwargs)

        setattr(owner, attribute, bounded)
        patched.append((owner, attribute))
    return patched
