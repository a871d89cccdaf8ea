"""``grade pack new NAME`` and ``grade pack check DIR...``: write an exercise pack, and test it."""
from __future__ import annotations

import argparse
import os
import re
import sys

from grader.cli.options import EXIT_FULL, EXIT_PARTIAL
from grader.intake.submission import UsageError


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="grade pack", description="Exercise packs: an exercise as a folder (pack.toml, a reference with solution markers, helpers, examples).")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    new = commands.add_parser("new", help="write a complete, working pack to start from", description="Write a new pack folder NAME (a small exercise with every part a pack can have); `grade pack check NAME` passes on it as written.")
    new.add_argument("name", metavar="NAME", help="the folder to write; its last part names the exercise (letters, digits, _ and -)")
    check = commands.add_parser(
        "check",
        help="the pack's self-test: reference, stub, examples, misconceptions, messages",
        description="Grade the reference (full marks on every check), the stub (0, not-implemented), every example (its declared verdict) and every named misconception (found and named), and render every message in English and Korean. Exit status 0 when all hold, 1 otherwise.",
    )
    check.add_argument("dirs", nargs="+", metavar="DIR", help="pack folders (with pack.toml)")
    check.add_argument("--messages-only", action="store_true", help="only render the messages (no grading: takes a second)")
    check.add_argument("--timeout", metavar="S", type=float, default=60.0, help="wall-time limit per graded file, in seconds (default 60)")
    args = parser.parse_args(argv)
    if args.command == "new":
        return _new(args.name)
    return _check(args.dirs, args.messages_only, args.timeout)


def _new(folder: str) -> int:
    from grader.authoring import scaffold

    name = os.path.basename(os.path.normpath(folder))
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", name):
        raise UsageError(f"grade pack new {folder}: the exercise is named after the folder, and {name!r} is not a name (letters, digits, _ and -, starting with a letter).")
    try:
        written = scaffold.write(folder, name)
    except FileExistsError as exc:
        raise UsageError(str(exc)) from None
    for path in written:
        print(f"created  {path}")
    print(f"Edit {os.path.join(folder, 'pack.toml')} and {os.path.join(folder, 'reference.py')}, then run: grade pack check {folder}")
    return EXIT_FULL


def _check(folders: list[str], messages_only: bool, timeout: float) -> int:
    from grader.worker import zygote

    # Before any pack is loaded: workers are forked from a process that never held a reference.
    zygote.start()
    from grader.authoring import pack_check
    from grader.cli.options import add_packs
    from grader.execution.grading import Options
    from grader.registry import EXERCISES, describe
    from grader.worker.sandbox.limits import Limits

    add_packs(folders)
    ok = True
    for folder in folders:
        exercise = EXERCISES[describe(folder).name]
        options = Options(limits=Limits(timeout=timeout), packs=(os.path.realpath(folder),))
        report = pack_check.check(exercise.pack(), options, messages_only=messages_only)
        print(report.text(), flush=True)
        ok = ok and report.ok
    return EXIT_FULL if ok else EXIT_PARTIAL


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
