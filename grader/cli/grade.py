"""``grade PATH...``: grade submissions and print or write their reports."""
from __future__ import annotations

import argparse
import os
import sys

from grader import __version__
from grader.intake.submission import UsageError, locate
from grader.messages import default_language
from grader.results import GradeResult
from grader.worker import zygote
from grader.cli.options import EXIT_FULL, EXIT_PARTIAL, USAGE, add_grading_options, options_from, warn_reference


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="grade",
        description="Grade PyTorch exercise submissions (.py or .ipynb). Exit status: 0 at full marks, 1 below, 2 when something could not be graded.",
        epilog=USAGE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="submission files (.py or .ipynb); each one's exercise comes from its name (exercise3.py), or from --exercise")
    add_grading_options(parser)
    parser.add_argument("--format", choices=("text", "json"), default="text", help="text summary, or one JSON document per submission on stdout")
    parser.add_argument("--html", metavar="PATH", help="where to write the HTML report (a file, or a folder for several submissions)")
    parser.add_argument("--no-html", action="store_true", help="do not write HTML reports")
    parser.add_argument("--junit", metavar="PATH", help="write JUnit XML, one testcase per check")
    parser.add_argument("--gradescope", metavar="PATH", help="write Gradescope's results.json")
    parser.add_argument("-j", "--jobs", metavar="N", type=int, default=os.cpu_count() or 1, help="grade this many submissions at once (default: the number of cores)")
    parser.add_argument("--version", action="version", version=f"grader {__version__}")
    args = parser.parse_args(argv)
    lang = args.lang or default_language()
    # Before any submission is read or any check loaded: workers are forked from a process that never held them.
    zygote.start()
    from grader.cli.options import add_packs

    add_packs(args.pack)  # their exercises become known: a file is located by the exercise its name gives
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
    missing = worth_a_warning(result.run.protections_missing)
    if missing:
        print(f"grade: warning: graded without {', '.join(missing)} (see the README's sandbox section)", file=sys.stderr)


def worth_a_warning(missing: tuple[str, ...]) -> tuple[str, ...]:
    """The missing protections a person should hear of.  Run as root (Colab, a container's
    default user), RLIMIT_NPROC never applies, but the PID namespace's pid_max still caps the
    process tree (at 301 processes): only where that failed too is the process count unbounded."""
    if "rlimit-nproc" in missing and "pid-max" not in missing and os.geteuid() == 0:
        return tuple(m for m in missing if m != "rlimit-nproc")
    return missing


def _write_outputs(results: list[GradeResult], args: argparse.Namespace, lang: str) -> None:
    from grader.report import outputs

    outputs.write_all(results, lang, html=None if args.no_html else (args.html or ""), junit=args.junit, gradescope=args.gradescope, announce=args.format != "json")
