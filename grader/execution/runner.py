"""Grading many submissions from one warm process: in turn, or several at once.

torch is imported once, here.  With ``jobs > 1``, this process and
``jobs - 1`` children forked from it grade the submissions (each asking the
fork server for a worker per submission); the children send every
GradeResult back as JSON.
"""
from __future__ import annotations

import atexit
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
    not copied.  Everybody takes the next submission from one queue when
    free, so that a submission that runs to its timeout here holds up
    nobody else's.
    """
    _share_with_children(submissions, options, reports=finish is not None)
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    indices = list(range(len(submissions)))
    while indices:
        queue = _Queue(len(indices))
        try:
            taken = queue.fill(indices)  # as many as the pipe holds; the rest in the next round
        except BaseException:
            queue.close()
            raise
        batch, indices = indices[:taken], indices[taken:]
        yield from _round(submissions, options, min(jobs, len(batch)), finish, queue, batch)


def _round(submissions: list[Submission], options: Options, jobs: int, finish: Optional[Finish], queue: "_Queue", batch: list[int]) -> Iterator[tuple[int, GradeResult]]:
    """Grade ``batch``, already in ``queue``, here and in ``jobs - 1`` children."""
    children: dict[int, _Child] = {}  # result fd -> child
    selector = selectors.DefaultSelector()
    unanswered = set(batch)

    def here(index: int) -> tuple[int, GradeResult]:
        unanswered.discard(index)
        return index, _here(submissions[index], options, index, finish)

    def collect(timeout: Optional[float]) -> Iterator[tuple[int, GradeResult]]:
        """What the children have sent: all of it that is there (``timeout=0``), or at least
        one message or end, waiting for it (``None``)."""
        while children:
            ready = selector.select(timeout=timeout)
            if not ready:
                return
            for key, _ in ready:
                child = children[key.fd]
                chunk = os.read(key.fd, 1 << 16)
                for message in child.reader.feed(chunk) if chunk else []:
                    answered = child.hear(message)
                    if answered is not None and answered[0] in unanswered:
                        index, data = answered
                        unanswered.discard(index)
                        yield index, _decode(data, submissions[index], options)
                if not chunk:
                    # Our own grading child ended: what it took and did not answer is graded here.
                    if child.busy is not None and child.busy in unanswered:
                        yield here(child.busy)
                    selector.unregister(key.fd)
                    del children[key.fd]
                    child.stop()
            if timeout is None:
                return

    try:
        for _ in range(jobs - 1):
            inherited = [c.results for c in children.values()]
            child = _Child.start(submissions, options, queue.read, inherited, finish)
            children[child.results] = child
            selector.register(child.results, selectors.EVENT_READ)
        while True:
            yield from collect(0)  # what the children have answered, without waiting
            index = queue.take()
            if index is not None:
                yield here(index)
            elif children:
                yield from collect(None)
            else:
                break
        # A child that died between taking a submission and saying so: nobody answered it.
        for index in sorted(unanswered):
            yield here(index)
    finally:
        queue.drain()  # a caller that stopped early (Ctrl-C): the children take nothing more
        selector.close()
        for child in children.values():
            child.stop()
        queue.close()


def _here(submission: Submission, options: Options, index: int, finish: Optional[Finish]) -> GradeResult:
    result = grade(submission, options)
    if finish is not None:
        finish(index, result)
    return result


class _Queue:
    """The submissions still to grade, as 4-byte indices in one pipe that every grader reads.

    A round is written before anyone reads and the writing end is closed, so
    a read never blocks: it returns one index, or nothing once the queue is
    empty.  (A pipe read of 4 bytes is atomic, so each index goes to exactly
    one reader.)
    """

    RECORD = 4
    _CHUNK = 4096  # PIPE_BUF: a write of at most this many bytes is whole or not at all

    def __init__(self, wanted: int) -> None:
        self.read, self._write = os.pipe()
        # Only what the round needs: pipe pages count against a per-user limit.
        _pipe_size(self._write, min(1 << 20, max(1 << 12, wanted * self.RECORD)))

    def fill(self, indices: list[int]) -> int:
        """Write as many of ``indices`` as the pipe holds, close the writing end, and return how many."""
        os.set_blocking(self._write, False)
        data = b"".join(i.to_bytes(self.RECORD, "little") for i in indices)
        written = 0
        try:
            while written < len(data):
                written += os.write(self._write, data[written : written + self._CHUNK])
        except BlockingIOError:
            pass  # full: the rest waits for the next round
        os.close(self._write)
        self._write = -1
        if written == 0:
            raise OSError("grade batch: the submission queue (a pipe) holds not even one submission")
        return written // self.RECORD

    def take(self) -> Optional[int]:
        return _take(self.read)

    def drain(self) -> None:
        while self.take() is not None:
            pass

    def close(self) -> None:
        for fd in (self.read, self._write):
            if fd >= 0:
                os.close(fd)
        self.read = self._write = -1


def _take(queue: int) -> Optional[int]:
    """The next index from a queue's reading end (any grader's), or None once it is empty."""
    record = os.read(queue, _Queue.RECORD)
    return int.from_bytes(record, "little") if len(record) == _Queue.RECORD else None


def _pipe_size(fd: int, size: int) -> None:
    try:
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, size)
    except (OSError, AttributeError):
        pass  # the default size (64 KiB on Linux), or no such fcntl


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
    def __init__(self, pid: int, results: int) -> None:
        self.pid, self.results = pid, results
        self.reader = protocol.Reader()
        self.busy: Optional[int] = None  # the submission it took and has not answered yet

    @classmethod
    def start(cls, submissions: list[Submission], options: Options, queue: int, inherited: list[int], finish: Optional[Finish]) -> "_Child":
        result_r, result_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            # The other children's pipes: holding them open would keep those children from seeing EOF.
            for fd in [result_r, *inherited]:
                os.close(fd)
            _serve(submissions, options, queue, result_w, finish)
        os.close(result_w)
        # Room for many results: a child goes on to its next submission while this
        # process is still grading its own.
        _pipe_size(result_r, 1 << 18)
        return cls(pid, result_r)

    def hear(self, message: object) -> Optional[tuple[int, object]]:
        """A message from the child: ``{"took": i}``, or ``{"index": i, "result": ...}`` for
        the submission it took; returns (index, result data) for an answer, else None."""
        if type(message) is not dict:
            return None
        if type(message.get("took")) is int and self.busy is None:
            self.busy = message["took"]
        elif "result" in message and self.busy is not None and message.get("index") == self.busy:
            index, self.busy = self.busy, None
            return index, message["result"]
        return None

    def stop(self) -> None:
        try:
            os.close(self.results)  # a child still grading ends at its next message (EPIPE)
        except OSError:
            pass
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass


def _serve(submissions: list[Submission], options: Options, queue: int, results: int, finish: Optional[Finish]) -> None:
    status = 0
    try:
        while (index := _take(queue)) is not None:
            protocol.send(results, {"took": index})
            result = _here(submissions[index], options, index, finish)
            protocol.send(results, {"index": index, "result": to_data(result)})
    except BaseException:
        status = 1
    finally:
        os._exit(status)


def _decode(message: object, submission: Submission, options: Options) -> GradeResult:
    try:
        return result_from_data(message)
    except (ValueError, KeyError, TypeError):
        return grade(submission, options)
