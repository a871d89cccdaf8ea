"""The command line: `grade PATH...`, `grade init`, `grade list`, `grade batch`, `grade merge`."""
from __future__ import annotations

import argparse
import os
import re
import sys
from importlib import resources
from typing import TYPE_CHECKING, Optional, Sequence

from grader import __version__
from grader.worker import zygote
from grader.registry import EXERCISES
from grader.messages import LANGUAGES, default_language
from grader.results import GradeResult
from grader.worker.sandbox import Limits
from grader.intake.submission import UsageError, locate

if TYPE_CHECKING:
    from grader.execution.grading import Options

EXIT_FULL, EXIT_PARTIAL, EXIT_UNGRADED = 0, 1, 2
SUBCOMMANDS = ("init", "list", "batch", "merge", "gradescope-bundle")

USAGE = """\
commands:
  grade PATH... [options]                                grade submissions (.py or .ipynb)
  grade init [DIR] [--github]                            copy the exercise stubs (and the GitHub Classroom workflow)
  grade list                                             list the exercises
  grade batch PATH... --exercise NAME --out DIR          grade a class: folders, nbgrader, LMS .zip files
  grade merge DIR... --out DIR                           combine the folders of `grade batch --shard I/N`
  grade gradescope-bundle --exercise NAME --out ZIP      write the autograder zip for Gradescope

`grade COMMAND --help` describes each command.
"""


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        print(f"usage: grade PATH... [options]  (grade --help for the options)\n\n{USAGE}", file=sys.stderr, end="")
        return EXIT_UNGRADED
    try:
        if args and args[0] in SUBCOMMANDS:
            command, rest = args[0], args[1:]
            if command == "init":
                return _init(rest)
            if command == "list":
                return _list(rest)
            if command == "gradescope-bundle":
                from grader.authoring import gradescope_bundle

                return gradescope_bundle.main(rest)
            from grader.cli import batch

            return batch.main(command, rest)
        return _grade(args)
    except UsageError as exc:
        from grader.report.escape import terminal

        print(f"grade: {terminal(exc)}", file=sys.stderr)
        return EXIT_UNGRADED


# --------------------------------------------------------------------------


def size(text: str) -> int:
    """'2G', '512M', '1.5GiB', '1000000' -> bytes."""
    match = re.fullmatch(r"\s*([0-9.]+)\s*([kmgt]?)(i?b)?\s*", text.lower())
    if not match:
        raise argparse.ArgumentTypeError(f"expected a size like 2G or 512M, found {text!r}")
    return int(float(match.group(1)) * 1024 ** " kmgt".index(match.group(2) or " "))


def add_grading_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--exercise", help="which exercise (default: from the file name, e.g. exercise3.py)")
    parser.add_argument("--seed", type=int, default=43052, help="seed of the generated cases (default: 43052, the lecture's)")
    parser.add_argument("--timeout", type=float, default=60.0, help="wall-time limit per submission, in seconds (default 60)")
    parser.add_argument("--memory-limit", type=size, default=2 * 1024**3, help="memory limit per submission (default 2G)")
    parser.add_argument("--cpu-limit", type=float, default=None, help="CPU-time limit per submission, in seconds (default: the timeout)")
    parser.add_argument("--file-size-limit", type=size, default=64 * 1024**2, help="largest file a submission may write (default 64M)")
    parser.add_argument("--process-limit", type=int, default=64, help="most processes a submission may run (default 64)")
    parser.add_argument("--lang", choices=LANGUAGES, default=None, help="language of the feedback (default: from the locale)")
    parser.add_argument("--examples", type=int, default=10, help="generated cases per property (default 10)")
    parser.add_argument("--cell-timeout", type=float, default=10.0, help="a notebook cell's own time limit, in seconds (default 10; the notebook as a whole gets two thirds of --timeout)")
    parser.add_argument("--reference", metavar="DIR", help="an instructor's private checks, DIR/exerciseN.py (may include hidden ones)")
    parser.add_argument(
        "--device",
        choices=("virtual-cuda", "cuda", "off"),
        default="virtual-cuda",
        help="where device checks run: an emulated cuda device (default, any machine), a real GPU, or nowhere",
    )


def options_from(args: argparse.Namespace, **extra: object) -> "Options":
    from grader.execution.grading import Options

    if args.reference is not None and not os.path.isdir(args.reference):
        raise UsageError(f"--reference {args.reference}: no such folder. Expected a folder holding your private checks as exerciseN.py (see tests/private_reference/).")
    extra.setdefault("reference_dir", args.reference)
    return Options(
        seed=args.seed,
        limits=limits_from(args),
        max_examples=args.examples,
        cell_timeout=args.cell_timeout,
        device=args.device,
        **extra,  # type: ignore[arg-type]
    )


def warn_reference(reference: Optional[str], exercises: Sequence[str]) -> None:
    """Say so when --reference DIR lacks an exercise's file: its built-in checks are used instead."""
    if reference is None:
        return
    for name in sorted(set(exercises)):
        if not os.path.isfile(os.path.join(reference, f"{name}.py")):
            print(f"grade: warning: --reference {reference} has no {name}.py; {name} is graded with the built-in checks only", file=sys.stderr)


def limits_from(args: argparse.Namespace) -> Limits:
    return Limits(timeout=args.timeout, memory=args.memory_limit, cpu=args.cpu_limit, file_size=args.file_size_limit, processes=args.process_limit)


def _grade(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="grade",
        description="Grade PyTorch exercise submissions (.py or .ipynb).",
        epilog=USAGE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="submission files")
    add_grading_options(parser)
    parser.add_argument("--format", choices=("text", "json"), default="text", help="text summary, or one JSON document per submission on stdout")
    parser.add_argument("--html", metavar="PATH", help="where to write the HTML report (a file, or a folder for several submissions)")
    parser.add_argument("--no-html", action="store_true", help="do not write HTML reports")
    parser.add_argument("--junit", metavar="PATH", help="write JUnit XML")
    parser.add_argument("--gradescope", metavar="PATH", help="write Gradescope's results.json")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1, help="grade this many submissions at once (default: the number of cores)")
    parser.add_argument("--version", action="version", version=f"grader {__version__}")
    args = parser.parse_args(argv)
    lang = args.lang or default_language()
    # Before any submission is read or any check loaded: workers are forked from a process that never held them.
    zygote.start()
    try:
        submissions = [locate(path, args.exercise) for path in args.paths]
    except UsageError as exc:
        if args.gradescope:
            # Gradescope shows "autograder failed" without a results.json: give it the reason, with a score.
            _gradescope_unusable(args.gradescope, str(exc))
        raise

    from grader.execution.runner import grade_all

    options = options_from(args)
    warn_reference(args.reference, [s.exercise for s in submissions])
    results = grade_all(submissions, options, jobs=max(1, args.jobs))
    _write_outputs(results, args, lang)
    for result in results:
        _print(result, args, lang)
    return EXIT_FULL if all(r.full_marks for r in results) else EXIT_PARTIAL


def _gradescope_unusable(path: str, reason: str) -> None:
    import json

    from grader.report.outputs import write_atomic

    write_atomic(path, json.dumps({"score": 0, "output": reason, "output_format": "text", "visibility": "visible", "tests": []}, ensure_ascii=False) + "\n")


def _print(result: GradeResult, args: argparse.Namespace, lang: str) -> None:
    if args.format == "json":
        from grader.report.json_output import dumps

        print(dumps(result, lang), flush=True)
        return
    from grader.report.terminal import render_terminal, use_colour

    print(render_terminal(result, lang, colour=use_colour(sys.stdout)), flush=True)
    if result.run.protections_missing:
        print(f"grade: warning: graded without {', '.join(result.run.protections_missing)} (see the README's sandbox section)", file=sys.stderr)


def _write_outputs(results: list[GradeResult], args: argparse.Namespace, lang: str) -> None:
    from grader.report import outputs

    outputs.write_all(results, lang, html=None if args.no_html else (args.html or ""), junit=args.junit, gradescope=args.gradescope, announce=args.format != "json")


# --------------------------------------------------------------------------


def _init(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="grade init", description="Copy the exercise stubs into a folder, without overwriting existing files.")
    parser.add_argument("dir", nargs="?", default=".", help="destination folder (default: the current folder)")
    parser.add_argument("--notebook", action="store_true", help="Jupyter notebooks (exercise1.ipynb …) instead of .py files; their last cell runs check()")
    parser.add_argument("--github", action="store_true", help="also add .github/workflows/grade.yml, the GitHub Classroom workflow")
    args = parser.parse_args(argv)
    from grader.authoring.stubs import write_stubs

    for target, created in write_stubs(args.dir, notebook=args.notebook):
        print(f"created  {target}" if created else f"kept     {target} (already exists)")
    if args.github:
        from grader.authoring.classroom import copy_workflow

        print(copy_workflow(args.dir))
    print("Fill in the functions and run their cells, then the last cell: check()" if args.notebook else "Fill in the functions, then run: grade exercise1.py")
    return EXIT_FULL


def _list(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="grade list", description="List the exercises.")
    parser.add_argument("--lang", choices=LANGUAGES, default=None)
    args = parser.parse_args(argv)
    lang = args.lang or default_language()
    for exercise in EXERCISES.values():
        print(f"{exercise.name}  {exercise.summary_ko if lang == 'ko' else exercise.summary}")
    return EXIT_FULL
