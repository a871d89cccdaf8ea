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
