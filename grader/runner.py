"""Grading many submissions from one warm process: in turn, or several at once.

torch is imported once, here.  With ``jobs > 1`` each submission is graded in
a child forked from this process (which then forks its own worker); the child
sends its GradeResult back as JSON.
"""
from __future__ import annotations

import json
import os
import selectors
import sys
from typing import Iterable, Iterator

from grader.grading import Options, grade
from grader.results import GradeResult
from grader.serialize import result_from_data, to_data
from grader.submission import Submission


def grade_all(submissions: list[Submission], options: Options, jobs: int = 1) -> list[GradeResult]:
    return [result for _, result in grade_iter(submissions, options, jobs)]


def grade_iter(submissions: list[Submission], options: Options, jobs: int = 1) -> Iterator[tuple[int, GradeResult]]:
    """Yield (index, result) as submissions finish; results come in input order when jobs == 1."""
    prewarm(submissions)
    if jobs <= 1 or len(submissions) <= 1:
        for index, submission in enumerate(submissions):
            yield index, grade(submission, options)
        return
    yield from _parallel(submissions, options, jobs)


def prewarm(submissions: Iterable[Submission]) -> None:
    """Import what every worker needs once, before forking, so that no worker pays for it."""
    import torch

    # One thread: forking a process whose OpenMP pool has started can deadlock the child.
    torch.set_num_threads(1)
    import torch.nn.functional  # noqa: F401
    import torch.optim  # noqa: F401

    import grader.virtual_cuda  # noqa: F401  (the device checks' workers use it)

    submissions = list(submissions)
    if any(s.exercise == "exercise4" for s in submissions):
        # The first torch.optim.SGD(...) of a process imports torch._dynamo
        # (over a second): once here, not once in every worker.
        import torch._dynamo  # noqa: F401
    if any(s.kind == "ipynb" for s in submissions):
        from grader import notebook

        notebook.prewarm()


def _parallel(submissions: list[Submission], options: Options, jobs: int) -> Iterator[tuple[int, GradeResult]]:
    pending = list(enumerate(submissions))
    running: dict[int, tuple[int, int, bytearray]] = {}  # fd -> (index, pid, buffer)
    selector = selectors.DefaultSelector()
    try:
        while pending or running:
            while pending and len(running) < jobs:
                index, submission = pending.pop(0)
                read_fd, write_fd = os.pipe()
                for stream in (sys.stdout, sys.stderr):
                    stream.flush()
                pid = os.fork()
                if pid == 0:
                    os.close(read_fd)
                    _child(submission, options, write_fd)
                os.close(write_fd)
                running[read_fd] = (index, pid, bytearray())
                selector.register(read_fd, selectors.EVENT_READ)
            for key, _ in selector.select():
                fd = key.fd
                chunk = os.read(fd, 1 << 16)
                index, pid, buffer = running[fd]
                if chunk:
                    buffer += chunk
                    continue
                selector.unregister(fd)
                os.close(fd)
                del running[fd]
                os.waitpid(pid, 0)
                yield index, _decode(buffer, submissions[index], options)
    finally:
        selector.close()


def _child(submission: Submission, options: Options, fd: int) -> None:
    status = 0
    try:
        result = grade(submission, options)
        payload = json.dumps(to_data(result), allow_nan=False).encode()
        view = memoryview(payload)
        while view:
            view = view[os.write(fd, view) :]
    except BaseException:
        status = 1
    finally:
        os._exit(status)


def _decode(buffer: bytearray, submission: Submission, options: Options) -> GradeResult:
    try:
        return result_from_data(json.loads(bytes(buffer)))
    except (ValueError, KeyError, TypeError):
        # Our own grading child died: grade it again here rather than lose the submission.
        return grade(submission, options)
