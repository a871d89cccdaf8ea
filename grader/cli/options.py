"""What every grading subcommand shares: the grading options, their parsing into :class:`~grader.execution.grading.Options`, and the exit codes."""
from __future__ import annotations

import argparse
import os
import re
import sys
from typing import TYPE_CHECKING, Optional, Sequence

from grader.intake.reading import Caps
from grader.intake.submission import UsageError
from grader.messages import LANGUAGES
from grader.worker.sandbox import Limits


if TYPE_CHECKING:
    from grader.execution.grading import Options

EXIT_FULL, EXIT_PARTIAL, EXIT_UNGRADED = 0, 1, 2

# The commands and every option of each, for `grade --help` and `grade` alone; each
# `grade COMMAND --help` describes its own. tests/test_cli.py checks that nothing is left out.
_COMMANDS = """\
commands:
  grade PATH... [options]          grade submissions (.py or .ipynb)
  grade init [DIR] [--notebook] [--github] [--pack DIR]
                                   copy the exercise stubs into DIR (default: here), never overwriting:
                                   .py files, or Jupyter notebooks with --notebook; --github also adds
                                   the GitHub Classroom workflow
  grade list [--lang en|ko] [--pack DIR]
                                   list the exercises
  grade pack new NAME              write a complete exercise pack to start from (folder NAME)
  grade pack check DIR... [--messages-only] [--timeout S]
                                   a pack's self-test: the reference, the stub, the examples, the
                                   misconceptions, every message in English and Korean
  grade batch PATH... --out DIR [--exercise NAME] [-j N] [--force] [--shard I/N] [--mode MODE] [--overrides FILE]
              [grading options]    grade a class: folders, nbgrader, LMS .zip files
  grade merge DIR... --out DIR [--allow-missing] [--mode MODE] [--lang en|ko]
                                   combine the folders of `grade batch --shard I/N`
  grade export DIR --to canvas|moodle|blackboard|csv [--out FILE] [--feedback ZIP] [--no-feedback]
              [--points N] [--assignment NAME] [--assignment-id ID] [--late-penalty AMOUNT]
              [--late-cap AMOUNT] [--due DATETIME] [--lang en|ko] [--no-bom] [--mode MODE]
                                   the file your LMS imports, from `grade batch`'s folder
  grade gradescope-bundle --exercise NAME [--out ZIP] [--reference DIR] [--torch VERSION]
              [grading options]    write the autograder zip for Gradescope; the grading options
                                   are written into its run_autograder
  grade gradescope-try ZIP [UPLOAD...] [--results FILE] [--keep DIR]
                                   run that zip here on an upload, as Gradescope would, and show
                                   what the student sees before and after grades are published
  grade prairielearn [--job DIR] [--user NAME] [grading options]
                                   PrairieLearn's external grader: JOB/student (default /grade)
                                   graded into JOB/results/results.json
  grade shard-entry PATH... --out DIR [--shards N] [-j N] [--dry-run] [grade batch's options]
                                   one shard of grade batch, as a task of a Kubernetes Indexed Job
                                   (JOB_COMPLETION_INDEX) or a Slurm array (SLURM_ARRAY_TASK_ID)

grading options (grade, batch, gradescope-bundle, prairielearn; `grade --help` describes them):
{grading}

In a notebook: `from grader import check` then `check("exercise2")` (`help(check)` lists its options).
`grade COMMAND --help` describes each command and all its options.
"""


# --------------------------------------------------------------------------


def size(text: str) -> int:
    """'2G', '512M', '1.5GiB', '1000000' -> bytes."""
    match = re.fullmatch(r"\s*([0-9.]+)\s*([kmgt]?)(i?b)?\s*", text.lower())
    if not match:
        raise argparse.ArgumentTypeError(f"expected a size like 2G or 512M, found {text!r}")
    return int(float(match.group(1)) * 1024 ** " kmgt".index(match.group(2) or " "))


def add_grading_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--exercise", metavar="NAME", help="which exercise: one of `grade list`, or a --pack's (default: from the file name, e.g. exercise3.py, hw_exercise3_kim.ipynb)")
    parser.add_argument("--pack", metavar="DIR", action="append", default=[], help="an exercise pack of your own (a folder with pack.toml); may be given more than once")
    parser.add_argument("--seed", metavar="N", type=int, default=43052, help="seed of the generated cases (default: 43052, the lecture's)")
    parser.add_argument("--timeout", metavar="S", type=float, default=60.0, help="wall-time limit per submission, in seconds (default 60)")
    parser.add_argument("--memory-limit", metavar="SIZE", type=size, default=2 * 1024**3, help="memory limit per submission, e.g. 512M (default 2G)")
    parser.add_argument("--cpu-limit", metavar="S", type=float, default=None, help="CPU-time limit per submission, in seconds (default: the timeout)")
    parser.add_argument("--file-size-limit", metavar="SIZE", type=size, default=64 * 1024**2, help="largest file a submission may write (default 64M)")
    parser.add_argument("--process-limit", metavar="N", type=int, default=64, help="most processes a submission may run (default 64)")
    parser.add_argument("--lang", choices=LANGUAGES, default=None, help="language of the feedback (default: from the locale, LANG=ko_KR… gives Korean)")
    parser.add_argument("--examples", metavar="N", type=int, default=10, help="generated cases per property (default 10)")
    parser.add_argument("--cell-timeout", metavar="S", type=float, default=10.0, help="a notebook cell's own time limit, in seconds (default 10; the notebook as a whole gets two thirds of --timeout)")
    parser.add_argument("--max-code-size", type=size, default=256 * 1024, metavar="SIZE", help="largest Python the grader reads: a .py file, or a notebook's code cells together (default 256K); larger submissions get too-large")
    parser.add_argument("--max-notebook-size", type=size, default=64 * 1024**2, metavar="SIZE", help="largest .ipynb file the grader reads, outputs included (default 64M)")
    parser.add_argument("--max-cells", type=int, default=2000, metavar="N", help="most cells a notebook may have (default 2000)")
    parser.add_argument("--reference", metavar="DIR", help="a private overlay on the exercise's pack: DIR/pack.toml (or DIR/NAME/pack.toml) with hidden checks of your own")
    parser.add_argument(
        "--device",
        choices=("virtual-cuda", "cuda", "off"),
        default="virtual-cuda",
        help="where device checks run: an emulated cuda device (default, any machine), a real GPU, or nowhere",
    )


def _grading_option_names() -> str:
    import textwrap

    parser = argparse.ArgumentParser(add_help=False)
    add_grading_options(parser)
    names = ", ".join(action.option_strings[0] for action in parser._actions)
    return textwrap.fill(names, width=100, initial_indent="  ", subsequent_indent="  ")


USAGE = _COMMANDS.format(grading=_grading_option_names())


def add_packs(folders: "list[str]") -> list[str]:
    """``--pack DIR``: make each pack's exercise known (before any submission is located)."""
    from grader.pack.load import PackError
    from grader.registry import add_pack

    out = []
    for folder in folders:
        if not os.path.isdir(folder):
            raise UsageError(f"--pack {folder}: no such folder. Expected an exercise pack: a folder with pack.toml (`grade pack new NAME` writes one).")
        try:
            add_pack(folder)
        except PackError as exc:
            raise UsageError(str(exc)) from None
        out.append(os.path.realpath(folder))
    return out


def options_from(args: argparse.Namespace, **extra: object) -> "Options":
    from grader.execution.grading import Options

    if args.reference is not None and not os.path.isdir(args.reference):
        raise UsageError(f"--reference {args.reference}: no such folder. Expected a private overlay: a folder with pack.toml holding [[check]] entries (see tests/private_reference/ and the README's 'Hidden checks').")
    extra.setdefault("reference_dir", args.reference)
    extra.setdefault("packs", tuple(add_packs(getattr(args, "pack", []))))
    return Options(
        seed=args.seed,
        limits=limits_from(args),
        max_examples=args.examples,
        cell_timeout=args.cell_timeout,
        device=args.device,
        caps=Caps(code=args.max_code_size, notebook=args.max_notebook_size, cells=args.max_cells),
        **extra,  # type: ignore[arg-type]
    )


def warn_reference(reference: Optional[str], exercises: Sequence[str]) -> None:
    """``UsageError`` when --reference DIR holds no overlay for an exercise graded: hidden checks asked
    for and silently left out would grade the class without them."""
    if reference is None:
        return
    from grader.intake.submission import UsageError
    from grader.registry import overlay_for

    for name in sorted(set(e for e in exercises if e)):
        if overlay_for(name, reference) is None:
            old = os.path.join(reference, f"{name}.py")
            hint = f" {old} is in the old format (a module with FUNCTIONS and checks()), which is no longer read;" if os.path.isfile(old) else ""
            raise UsageError(
                f"--reference {reference} has no overlay for {name}: expected {os.path.join(reference, 'pack.toml')} with exercise = \"{name}\", "
                f"or {os.path.join(reference, name, 'pack.toml')}.{hint} Write the overlay as the README's \"Hidden checks: a private overlay\" shows "
                f"(tests/private_reference/exercise2 is an example), or leave out --reference to grade with the pack's own checks."
            )


def limits_from(args: argparse.Namespace) -> Limits:
    return Limits(timeout=args.timeout, memory=args.memory_limit, cpu=args.cpu_limit, file_size=args.file_size_limit, processes=args.process_limit)
