"""The ``grade`` command: a thin dispatch to one module per subcommand (``grade``, ``init``, ``exercises``, ``pack``, ``batch``, ``merge``, ``export``; the platforms' ``gradescope-bundle``, ``gradescope-try``, ``prairielearn`` and ``shard-entry`` in ``grader.authoring``)."""
from __future__ import annotations

import atexit
import os
import sys
from typing import NoReturn, Optional, Sequence

from grader.intake.submission import UsageError
from grader.cli import exercises, grade, init
from grader.cli.options import EXIT_UNGRADED, USAGE

SUBCOMMANDS = ("init", "list", "pack", "batch", "merge", "export", "gradescope-bundle", "gradescope-try", "prairielearn", "shard-entry")


def main(argv: Optional[Sequence[str]] = None) -> int:
    if argv is None:  # the program itself (the `grade` script, python -m grader): never returns
        try:
            code = main(sys.argv[1:])
        except BrokenPipeError:
            # `grade ... | head`: the reader went away; no traceback, and the exit a shell gives a writer killed by SIGPIPE
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            code = 128 + 13
        _leave(code)
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        print(f"usage: grade PATH... [options]  (grade --help for the options)\n\n{USAGE}", file=sys.stderr, end="")
        return EXIT_UNGRADED
    try:
        if args and args[0] in SUBCOMMANDS:
            command, rest = args[0], args[1:]
            if command == "init":
                return init.main(rest)
            if command == "list":
                return exercises.main(rest)
            if command == "pack":
                from grader.cli import pack

                return pack.main(rest)
            if command == "export":
                from grader.cli import export

                return export.main(rest)
            if command == "gradescope-bundle":
                from grader.authoring import gradescope_bundle

                return gradescope_bundle.main(rest)
            if command == "gradescope-try":
                from grader.authoring import gradescope_try

                return gradescope_try.main(rest)
            if command == "prairielearn":
                from grader.authoring import prairielearn

                return prairielearn.main(rest)
            if command == "shard-entry":
                from grader.authoring import cluster

                return cluster.main(rest)
            from grader.cli import batch

            return batch.main(command, rest)
        return grade.main(args)
    except UsageError as exc:
        from grader.report.escape import terminal

        print(f"grade: {terminal(exc)}", file=sys.stderr)
        return EXIT_UNGRADED


def _leave(code: int) -> NoReturn:
    """End the program with ``code`` once its exit handlers have run and its output is flushed,
    without tearing the interpreter down: freeing torch's objects one by one takes a quarter
    of a second that the end of the process does at once."""
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            pass
    os._exit(code)
