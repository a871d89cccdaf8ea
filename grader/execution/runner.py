"""Grading many submissions from one warm process: in turn, or several at once.

torch is imported once, here.  With ``jobs > 1``, this process and
``jobs - 1`` children forked from it grade the submissions (each asking the
fork server for a worker per submission); the children send every
GradeResult back as JSON.
"""
from __future__ import annotations

import atexit
import collections
import fcntl
import gc
import importlib
import os
import selectors
import sys
from typing import Callable, Iterable, Iterator, Optional

from grader.execution import footprint
from grader.worker import protocol
from grader.execution.grading import Options, grade_safely as grade
from grader.results import GradeResult
from grader.serialize import result_from_data, to_data
from grader.intake.submission import Submission


def grade_all(submissions: list[Submission], options: Options, jobs: int = 1) -> list[GradeResult]:
    ordered = sorted(grade_iter(submissions, options, jobs), key=lambda pair: pair[0])
    return [result for _, result in ordered]


Finish = Callable[[int, GradeResult], None]


def grade_iter(submissions: list[Submission], options: Options, jobs: int = 1, finish: Optional[Finish] = None) -> Iterator[tuple[int, GradeResult]]:
    """Yield (index, result) as submissions finish: in input order only when jobs == 1.

    ``finish(index, result)`` runs where the submission was graded, right after
    it (in a grading child when jobs > 1): per-submission work such as writing
    its report happens in parallel too.
    """
    prewarm(submissions)
    if jobs <= 1 or len(submissions) <= 1:
        for index, submission in enumerate(submissions):
            result = grade(submission, options)
            if finish is not None:
                finish(index, result)
            yield index, result
        return
    yield from _parallel(submissions, options, jobs, finish)


def prewarm(submissions: Iterable[Submission]) -> None:
    """Start the fork server and tell it what the workers will use (``zygote.needs``), to load
    while this process loads its checks; import what the grading children of ``-j`` share
    before they are forked from here."""
    import torch

    # One thread: forking a process whose OpenMP pool has started can deadlock the child.
    torch.set_num_threads(1)
    import torch.nn.functional  # noqa: F401
    import torch.optim  # noqa: F401

    submissions = list(submissions)
    from grader.worker import zygote

    zygote.start()
    groups = zygote.needs_of_all((s.path, s.kind == "ipynb") for s in submissions)
    from grader.registry import EXERCISES

    if any(s.exercise in EXERCISES and EXERCISES[s.exercise].uses_optimizer for s in submissions):
        # The checks' reference trains with torch.optim.SGD, whose first use imports
        # torch._dynamo (over a second): once here, and once in the fork server.
        import torch._dynamo  # noqa: F401

        groups.append("optim")
    zygote.prewarm(groups)
    _settle_the_heap()


def _settle_the_heap() -> None:
    """What is imported by now stays for the whole run: no collection walks it again.

    A full collection walks every object (torch's alone take tens of
    milliseconds), and in a grading child of ``-j`` it would copy the pages it
    touches; at exit the interpreter's own collections would walk them once
    more, for half a second, to free what the process's end frees anyway.
    """
    global _frozen_at_exit
    gc.freeze()
    if not _frozen_at_exit:
        _frozen_at_exit = True
        atexit.register(gc.freeze)


_frozen_at_exit = False


def _parallel(submissions: list[Submission], options: Options, jobs: int, finish: Optional[Finish]) -> Iterator[tuple[int, GradeResult]]:
    """This warm process and ``jobs - 1`` children forked from it grade the submissions, each many.

    A child keeps what its first submission warmed up (lazy imports, Hypothesis's
    caches), which a child per submission would pay again every time.  This
    process grades too, in the time it would otherwise spend waiting: a child
    fewer holds a copy of the pages that grading writes to (reference counts
    of torch's and the checks' objects, about 30 MB), and its own pages are
    not copied.  Each child is given its next submission ahead, so that it
    never waits while this process grades.
    """
    _share_with_children(submissions, options, reports=finish is not None)
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    pending = collections.deque(range(len(submissions)))
    children: dict[int, _Child] = {}  # result fd -> child
    selector = selectors.DefaultSelector()

    def feed(child: _Child) -> None:
        # Two queued while there is plenty left; one near the end, so that no child is left
        # with a queue while this process has nothing to grade.
        depth = _AHEAD if len(pending) > jobs else 1
        while pending and len(child.busy) < depth:
            child.give(pending.popleft())

    try:
        for _ in range(min(jobs, len(submissions)) - 1):
            inherited = [fd for c in children.values() for fd in (c.tasks, c.results)]
            child = _Child.start(submissions, options, inherited, finish)
            children[child.results] = child
            selector.register(child.results, selectors.EVENT_READ)
            feed(child)
        while pending or children:
            # The children's results first, without waiting while there is work here.
            for key, _ in selector.select(timeout=0 if pending else None):
                child = children[key.fd]
                chunk = os.read(key.fd, 1 << 16)
                messages = child.reader.feed(chunk) if chunk else []
                for message in messages:
                    if not child.busy:
                        break  # a child says nothing it was not asked: its own grading code ended it
                    index = child.busy.popleft()
                    yield index, _decode(message, submissions[index], options)
                    feed(child)
                if not chunk or not child.busy and not pending:
                    # Our own grading child died: grade what it held here rather than lose it.
                    while child.busy:
                        index = child.busy.popleft()
                        yield index, _here(submissions[index], options, index, finish)
                    selector.unregister(key.fd)
                    del children[key.fd]
                    child.stop()
            if pending:
                index = pending.popleft()
                yield index, _here(submissions[index], options, index, finish)
    finally:
        selector.close()
        for child in children.values():
            child.stop()


_AHEAD = 2  # submissions queued to a grading child: the one it grades and the next


def _here(submission: Submission, options: Options, index: int, finish: Optional[Finish]) -> GradeResult:
    result = grade(submission, options)
    if finish is not None:
        finish(index, result)
    return result


def _share_with_children(submissions: list[Submission], options: Options, reports: bool) -> None:
    """Import here, once, what each grading child would import on its first submission.

    The exercise's checks (and Hypothesis), IPython's reader of notebook
    cells (``grader.checks.source``), and, where the children write reports,
    the report with its matplotlib: the children then share those pages with
    this process instead of each holding a copy, and nobody imports them
    twice.  Nothing here reads a submission.
    """
    from grader.registry import EXERCISES

    for exercise in sorted({s.exercise for s in submissions}):
        EXERCISES[exercise].checks(options.reference_dir)
        EXERCISES[exercise].functions(options.reference_dir)
    modules = ["grader.checks.review", "grader.checks.source", "grader.diagnosis.errors", "grader.intake.scan"]
    if any(s.kind == "ipynb" for s in submissions):
        modules.append("IPython.core.inputtransformer2")
    if reports:
        modules += ["grader.report.html", "grader.report.figures", "matplotlib.backends.backend_svg"]
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError:
            pass  # a module renamed since: the children import what they use themselves
    gc.freeze()
    # torch's import ran tens of MB of library code here that nobody runs again: not this
    # process's to hold mapped while the class is graded (grader.execution.footprint).
    footprint.release_library_text()


class _Child:
    def __init__(self, pid: int, tasks: int, results: int) -> None:
        self.pid, self.tasks, self.results = pid, tasks, results
        self.reader = protocol.Reader()
        self.busy: collections.deque[int] = collections.deque()  # given, in order, not yet answered

    @classmethod
    def start(cls, submissions: list[Submission], options: Options, inherited: list[int], finish: Optional[Finish]) -> "_Child":
        task_r, task_w = os.pipe()
        result_r, result_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            # The other children's pipes: holding them open would keep those children from seeing EOF.
            for fd in [task_w, result_r, *inherited]:
                os.close(fd)
            _serve(submissions, options, task_r, result_w, finish)
        os.close(task_r)
        os.close(result_w)
        try:
            # Room for a result or two: a child that has answered goes on to its next
            # submission while this process is still grading its own.
            fcntl.fcntl(result_r, fcntl.F_SETPIPE_SZ, 1 << 20)
        except (OSError, AttributeError):
            pass
        return cls(pid, task_w, result_r)

    def give(self, index: int) -> None:
        self.busy.append(index)
        os.write(self.tasks, f"{index}\n".encode())

    def stop(self) -> None:
        for fd in (self.tasks, self.results):
            try:
                os.close(fd)
            except OSError:
                pass
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass


def _serve(submissions: list[Submission], options: Options, tasks: int, results: int, finish: Optional[Finish]) -> None:
    status = 0
    try:
        with os.fdopen(tasks, "r") as lines:
            for line in lines:
                index = int(line)
                result = grade(submissions[index], options)
                if finish is not None:
                    finish(index, result)
                protocol.send(results, to_data(result))
    except BaseException:
        status = 1
    finally:
        os._exit(status)


def _decode(message: object, submission: Submission, options: Options) -> GradeResult:
    try:
        return result_from_data(message)
    except (ValueError, KeyError, TypeError):
        return grade(submission, options)
