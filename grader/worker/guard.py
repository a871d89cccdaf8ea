"""Sealing the grader away from the submission: in the worker ``import grader.…`` finds
only the public self-check stub; every other attempt is refused and remembered
(``GRADER_IMPORTS``, with the student's line) so that the grader can give
``imports-grader``.  Part of the worker's runtime (:mod:`grader.worker.runtime`)."""
from __future__ import annotations

import linecache
import math
import os
import sys
import types
from typing import Any

# Each attempt of the submission to reach the grader: {"name", "line"}.
GRADER_IMPORTS: list[dict[str, Any]] = []
_NOT_AVAILABLE = "the grader's code is not available to submissions"
# What a notebook may use of the grader: the self-check, which does nothing while it is graded.
_PUBLIC = frozenset({"check", "load_ipython_extension", "unload_ipython_extension", "__version__"})


# The grader package's folder: a frame whose file lies anywhere under it is the grader's.
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _in_grader(filename: str) -> bool:
    folder = os.path.abspath(os.path.dirname(filename))
    return os.path.basename(folder) == "grader" or folder == _PACKAGE or folder.startswith(_PACKAGE + os.sep)


def _student_line() -> int:
    """The line of the student's code that is running (the innermost frame outside the grader)."""
    frame = sys._getframe(1)
    while frame is not None:
        name = frame.f_code.co_filename
        if not name.startswith("<frozen") and not _in_grader(name) and "importlib" not in name:
            return int(frame.f_lineno or 0)
        frame = frame.f_back  # type: ignore[assignment]
    return 0


def _attempt(name: str) -> None:
    if len(GRADER_IMPORTS) < 100:
        GRADER_IMPORTS.append({"name": name[:200], "line": _student_line()})


class _GraderFinder:
    """Refuses every ``grader.*`` module the worker does not already hold, and remembers the attempt."""

    @staticmethod
    def find_spec(fullname: str, path: Any = None, target: Any = None) -> None:
        if fullname == "grader" or fullname.startswith(("grader.", "grader_private")):
            _attempt(fullname)
            raise ModuleNotFoundError(f"No module named {fullname!r}: {_NOT_AVAILABLE}", name=fullname)
        return None


def _public_stub() -> types.ModuleType:
    """The only ``grader`` a submission sees: the self-check, inert while grading."""
    stub = types.ModuleType("grader", "The grader's public self-check (inert while a submission is graded).")
    stub.__version__ = "0"  # type: ignore[attr-defined]

    def check(*args: Any, **kwargs: Any) -> Any:
        print("(grader self-check skipped: this notebook is being graded)")
        # A placeholder with the result's fields, so that cells using it still run.
        return types.SimpleNamespace(score=math.nan, max_score=math.nan, checks=(), notes=(), diagnoses=(), full_marks=False)

    def load_ipython_extension(shell: Any) -> None:
        def grade_magic(line: str = "") -> None:
            check()

        try:
            shell.register_magic_function(grade_magic, "line", "grade")
        except Exception:
            pass

    def unload_ipython_extension(shell: Any) -> None:
        return None

    def missing(name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        _attempt(f"grader.{name}")
        raise AttributeError(f"module 'grader' has no attribute {name!r}: {_NOT_AVAILABLE}")

    stub.check = check  # type: ignore[attr-defined]
    stub.load_ipython_extension = load_ipython_extension  # type: ignore[attr-defined]
    stub.unload_ipython_extension = unload_ipython_extension  # type: ignore[attr-defined]
    setattr(stub, "__getattr__", missing)
    stub.__path__ = []  # type: ignore[attr-defined]
    return stub


# Files named by code made while the submission runs (compile, exec of a code object, a
# code object built or relabelled): student code whatever its name claims.  The line
# counter (grader.worker.runtime) reads it.
CODE_MADE_AT_RUN_TIME: set[str] = set()
# Handing out every live object (the worker's own instruments among them) to the submission.
_INTROSPECTION = frozenset({"gc.get_objects", "gc.get_referrers", "gc.get_referents"})


def _by_import() -> bool:
    """Whether the audited call comes from the import system (a library being loaded)."""
    caller = sys._getframe(2).f_code.co_filename
    return caller.startswith("<frozen ")


def _code_files(code: Any, depth: int = 0) -> None:
    if not isinstance(code, types.CodeType) or depth > 20 or len(CODE_MADE_AT_RUN_TIME) > 10_000:
        return
    CODE_MADE_AT_RUN_TIME.add(code.co_filename)
    for const in code.co_consts:
        _code_files(const, depth + 1)


def _audit(event: str, args: tuple[Any, ...]) -> None:
    # Called for every audited event of the worker (each open, each import): the common
    # case returns after one membership test.
    if event in _INTROSPECTION:
        raise PermissionError(f"{event}() is not available while a submission is graded")
    if event == "compile" or event == "code.__new__":
        if len(args) > 1 and isinstance(args[1], (str, bytes)) and not _by_import():
            if len(CODE_MADE_AT_RUN_TIME) < 10_000:
                CODE_MADE_AT_RUN_TIME.add(os.fsdecode(args[1]))
    elif event == "exec":
        if args and not _by_import():
            _code_files(args[0])
    elif event in ("marshal.loads", "marshal.load"):
        if not _by_import():
            raise PermissionError("marshal is not available while a submission is graded")


def _traced_threads() -> None:
    """Threads started with ``_thread`` directly get the tracer too, as ``threading``'s do
    (``threading.settrace`` reaches only threads that ``threading`` starts)."""
    import _thread
    import threading

    original = _thread.start_new_thread

    def start_new_thread(function: Any, args: Any, kwargs: Any = None) -> Any:
        hook = getattr(threading, "_trace_hook", None)

        def run(*a: Any, **k: Any) -> Any:
            if hook is not None:
                sys.settrace(hook)
            return function(*a, **k)

        return original(run, args, {} if kwargs is None else kwargs)

    _thread.start_new_thread = start_new_thread  # type: ignore[assignment]
    if hasattr(_thread, "start_new"):
        _thread.start_new = start_new_thread  # type: ignore[attr-defined]
    threading._start_new_thread = start_new_thread  # type: ignore[attr-defined]


def watch_the_submission() -> None:
    """Before the submission loads: an audit hook (which nothing in Python can remove) that
    refuses the gc's lists of live objects and marshal, and notes code made at run time;
    and the tracer on threads however they start."""
    sys.addaudithook(_audit)
    _traced_threads()


def seal() -> None:
    """Take every grader module out of the submission's reach, before it loads.

    The runtime keeps the references it bound at import; ``sys.modules`` keeps
    none, so ``import grader.worker.runtime`` or ``grader.reference`` goes to the
    finder, which refuses it (the files are unreadable anyway) and records the
    attempt for the ``imports-grader`` diagnosis.
    """
    import linecache

    for name in [n for n in list(sys.modules) if n == "grader" or n.startswith("grader.")]:
        del sys.modules[name]
    sys.modules["grader"] = _public_stub()
    sys.meta_path.insert(0, _GraderFinder())  # type: ignore[arg-type]
    linecache.clearcache()
