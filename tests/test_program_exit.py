"""The grade program leaves without tearing the interpreter down, but after its exit handlers (issue 19).

``main()`` called as the program ends the process itself: exit handlers
run, output is flushed, and the status is the command's.  ``main(argv)``, a
library call, returns.
"""
from __future__ import annotations

import subprocess
import sys

PROGRAM = """
import atexit, sys
atexit.register(lambda: print("exit handlers ran"))
sys.argv = ["grade"] + sys.argv[1:]
from grader.cli.main import main
main()
print("not reached")
"""


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", PROGRAM, *args], capture_output=True, text=True, timeout=120)


def test_the_program_runs_its_exit_handlers_and_keeps_its_status() -> None:
    done = run("list")
    assert done.returncode == 0, done.stderr
    assert "exercise2" in done.stdout and done.stdout.rstrip().endswith("exit handlers ran")
    assert "not reached" not in done.stdout
    missing = run("no_such_file.py")
    assert missing.returncode == 2 and "no such file" in missing.stderr
    assert missing.stdout.strip() == "exit handlers ran"


def test_main_with_arguments_returns() -> None:
    from grader.cli.main import main

    assert main(["list"]) == 0


def test_a_reader_that_goes_away_gets_no_traceback() -> None:
    """`grade ... | head -1`: the pipe closes under the report; the program says nothing more and exits as a shell's writer would (141)."""
    import os

    read, write = os.pipe()
    from conftest import TESTS

    submission = TESTS / "submissions" / "exercise1" / "gradient_ascent.py"
    process = subprocess.Popen([sys.executable, "-m", "grader", str(submission), "--exercise", "exercise1", "--no-html"], stdout=write, stderr=subprocess.PIPE, text=True)
    os.close(write)
    os.close(read)  # the reader is gone before the first line
    _, stderr = process.communicate(timeout=120)
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr, stderr
    assert process.returncode == 141
