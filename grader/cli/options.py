"""What every grading subcommand shares: the grading options, their parsing into :class:`~grader.execution.grading.Options`, and the exit codes."""
from __future__ import annotations

import argparse
import os
import re
import sys
from typing import TYPE_CHECKING, Optional, Sequence

from grader.intake.submission import UsageError
from grader.messages import LANGUAGES
from grader.worker.sandbox import Limits


if TYPE_CHECKING:
    from grader.execution.grading import Options

EXIT_FULL, EXIT_PARTIAL, EXIT_UNGRADED = 0, 1, 2

USAGE = """\
commands:
  grade PATH... [options]                                grade submissions (.py or .ipynb)
  grade init [DIR] [--github]                            copy the exercise stubs (and the GitHub Classroom workflow)
  grade list                                             list the exercises
  grade batch PATH... --exercise NAME --out DIR          grade a class: folders, nbgrader, LMS .zip files
  grade merge DIR... --out DIR                           combine the folders of `grade batch --shard I/N`
  grade gradescope-bundle --exercise NAME --out ZIP      write the autograder zip for Gradescope
  grade gradescope-try ZIP [UPLOAD...]                   run that zip here on an upload, as Gradescope would
  grade prairielearn [--exercise NAME] [options]         PrairieLearn's external grader (/grade in, results.json out)
  grade shard-entry PATH... --exercise NAME --out DIR    one shard of grade batch, as a Kubernetes or Slurm array task

`grade COMMAND --help` describes each command.
"""


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
