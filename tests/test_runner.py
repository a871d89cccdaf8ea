"""``-j N``: this process and N - 1 children forked from it grade a class; a child that dies costs nobody a grade."""
import os
import shutil
from pathlib import Path

import pytest

from conftest import TESTS
from grader.execution import runner
from grader.execution.grading import Options
from grader.execution.runner import grade_iter
from grader.intake.submission import Submission, locate

CORRECT = TESTS / "submissions" / "exercise2" / "lecture_style.py"
OPTIONS = Options(max_examples=2, device="off")


def a_class(folder: Path, size: int) -> list[Submission]:
    folder.mkdir()
    for n in range(size):
        shutil.copy(CORRECT, folder / f"s{n}_exercise2.py")
    return [locate(str(folder / f"s{n}_exercise2.py"), "exercise2") for n in range(size)]


def test_every_submission_is_graded_once_and_this_process_grades_too(tmp_path: Path) -> None:
    submissions = a_class(tmp_path / "class", 5)
    where = tmp_path / "where"
    where.mkdir()

    def finish(index: int, result: object) -> None:  # runs in the process that graded it
        (where / str(index)).write_text(str(os.getpid()))

    graded = list(grade_iter(submissions, OPTIONS, jobs=2, finish=finish))
    assert sorted(index for index, _ in graded) == list(range(5))
    assert all(result.full_marks for _, result in graded)
    graders = {int((where / str(n)).read_text()) for n in range(5)}
    # A child fewer than jobs: this process holds the pages the child would copy.
    assert os.getpid() in graders and len(graders) == 2


def test_a_child_that_dies_holding_submissions_loses_none(tmp_path: Path) -> None:
    submissions = a_class(tmp_path / "class", 5)
    here = os.getpid()
    where = tmp_path / "where"
    where.mkdir()

    def finish(index: int, result: object) -> None:
        (where / str(index)).write_text(str(os.getpid()))
        if os.getpid() != here:
            os._exit(3)  # the child dies with its next submission already queued

    graded = list(grade_iter(submissions, OPTIONS, jobs=2, finish=finish))
    assert sorted(index for index, _ in graded) == list(range(5))
    assert all(result.full_marks for _, result in graded)
    # Everything the child held was graded again here, and reported from here.
    assert {int((where / str(n)).read_text()) for n in range(5)} == {here}


def test_a_submission_that_runs_long_here_holds_up_nobody_else(tmp_path: Path) -> None:
    submissions = a_class(tmp_path / "class", 6)
    slow = Path(submissions[2].path)
    slow.write_text(CORRECT.read_text(encoding="utf-8") + "\nimport time\ntime.sleep(6)\n", encoding="utf-8")
    where = tmp_path / "where"
    where.mkdir()

    def finish(index: int, result: object) -> None:
        (where / str(index)).write_text(str(os.getpid()))

    graded = dict(grade_iter(submissions, OPTIONS, jobs=2, finish=finish))
    assert sorted(graded) == list(range(6)) and all(r.full_marks for r in graded.values())
    pids = {n: int((where / str(n)).read_text()) for n in range(6)}
    # Whoever took the slow one (this process or the child), the other graded everything
    # queued after it meanwhile (three submissions of a fraction of a second each, against six seconds).
    assert all(pids[n] != pids[2] for n in (3, 4, 5)), pids


def test_a_child_that_dies_before_saying_what_it_took_loses_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    submissions = a_class(tmp_path / "class", 4)
    here = os.getpid()
    send = runner.protocol.send

    def dies_on_taking(fd: int, message: object, *args: object, **kwargs: object) -> None:
        if os.getpid() != here and isinstance(message, dict) and "took" in message:
            os._exit(3)  # the index is out of the queue, and nobody was told
        send(fd, message, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(runner.protocol, "send", dies_on_taking)
    graded = list(grade_iter(submissions, OPTIONS, jobs=2))
    assert sorted(index for index, _ in graded) == list(range(4))
    assert all(result.full_marks for _, result in graded)


def test_more_submissions_than_the_queue_holds_are_graded_in_rounds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    submissions = a_class(tmp_path / "class", 5)
    rounds: list[list[int]] = []

    class Small(runner._Queue):
        def fill(self, indices: list[int]) -> int:
            rounds.append(indices[:2])
            return super().fill(indices[:2])

    monkeypatch.setattr(runner, "_Queue", Small)
    graded = list(grade_iter(submissions, OPTIONS, jobs=2))
    assert rounds == [[0, 1], [2, 3], [4]]
    assert sorted(index for index, _ in graded) == list(range(5))


def test_the_queue_takes_what_its_pipe_holds_and_reads_as_ended_when_empty() -> None:
    queue = runner._Queue(1)  # a pipe of one page: 1,024 indices
    try:
        taken = queue.fill(list(range(5000)))
        assert 0 < taken < 5000 and taken % 1024 == 0
        assert [queue.take() for _ in range(taken)] == list(range(taken))
        assert queue.take() is None and queue.take() is None
    finally:
        queue.close()
