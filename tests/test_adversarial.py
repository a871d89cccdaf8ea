"""Hostile and careless submissions, graded end to end.

For every file in tests/adversarial the grader (1) finishes within its limits,
(2) gives zero or partial credit with the declared diagnosis (or full marks
where the file is correct underneath its noise), and (3) leaves everything
outside the sandbox as it was: sentinel files, processes, the network, secrets.
"""
import json
import os
import socket
import subprocess
import time
from pathlib import Path

import pytest

from conftest import TESTS, expectation
from grader.execution.grading import Options, grade
from grader.report.html import render_html
from grader.report.json_output import dumps
from grader.report.terminal import render_terminal
from grader.worker.sandbox.limits import Limits
from grader.intake.submission import locate

CORPUS = sorted((TESTS / "adversarial").glob("*.py"))
TIMEOUT = 4.0
SECRET = "ghp_adversarial-test-secret-0123456789"
SENTINEL = "sentinel: do not touch\n"


def prepare(tmp_path: Path, source: Path, port: int) -> tuple[Path, list[Path]]:
    course = tmp_path / "course"
    folder = course / "kim"
    cwd = tmp_path / "cwd"
    out = tmp_path / "out"
    for place in (folder, cwd, out):
        place.mkdir(parents=True)
    sentinels = [place / "sentinel.txt" for place in (folder, course, cwd, out)]
    for sentinel in sentinels:
        sentinel.write_text(SENTINEL)
    text = source.read_text(encoding="utf-8")
    text = text.replace("TARGETS: list = []", f"TARGETS: list = {[str(p.parent) for p in sentinels]!r}")
    text = text.replace("PORT = 0", f"PORT = {port}")
    text = text.replace('MARKER_PATH = ""', f"MARKER_PATH = {str(tmp_path / 'reduce-ran')!r}")
    submission = folder / "exercise2.py"
    submission.write_text(text, encoding="utf-8")
    return submission, sentinels


def survivors(marker: str) -> list[str]:
    found = subprocess.run(["pgrep", "-af", marker], capture_output=True, text=True).stdout
    return [line for line in found.splitlines() if "pgrep" not in line]


@pytest.mark.parametrize("source", CORPUS, ids=lambda p: p.stem)
def test_adversarial_submission(source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = expectation(source)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    listener.setblocking(False)
    submission, sentinels = prepare(tmp_path, source, listener.getsockname()[1])
    monkeypatch.chdir(tmp_path / "cwd")
    monkeypatch.setenv("PWD", str(tmp_path / "cwd"))
    monkeypatch.setenv("GITHUB_TOKEN", SECRET)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)

    started = time.monotonic()
    result = grade(locate(str(submission), exercise="exercise2"), Options(limits=Limits(timeout=TIMEOUT, memory=768 * 1024**2)))
    elapsed = time.monotonic() - started

    # (1) within its limits: the CPU pass and the device pass each have TIMEOUT
    assert elapsed < 2 * TIMEOUT + 10, f"grading took {elapsed:.1f} s"
    # (2) the verdict
    failing = {c.name: c.diagnosis for c in result.checks if not c.passed}
    if expected == "full-marks":
        assert result.full_marks, f"false failure: {failing}"
    else:
        assert not result.full_marks
        assert expected in result.diagnoses, f"expected {expected}, got {failing} (submission: {result.diagnosis})"
    # (3) nothing outside the sandbox changed
    for sentinel in sentinels:
        assert sentinel.exists() and sentinel.read_text() == SENTINEL, f"{sentinel} was touched"
    assert submission.exists()
    assert not (tmp_path / "reduce-ran").exists(), "a __reduce__ payload ran"
    try:
        connection, _ = listener.accept()
        connection.close()
        pytest.fail("the submission reached a TCP listener on 127.0.0.1")
    except BlockingIOError:
        pass
    finally:
        listener.close()
    assert not survivors("grader-adversarial-detached"), "a process started by the submission outlived its grading"
    for text in (dumps(result), render_terminal(result), render_html(result, "en"), result.run.stdout.text, result.run.stderr.text):
        assert SECRET not in text
    json.loads(dumps(result))  # strict JSON, whatever the submission returned
    if source.stem == "print_flood":
        assert len(result.run.stdout.text) < 200_000 and result.run.stdout.dropped > 10_000_000
