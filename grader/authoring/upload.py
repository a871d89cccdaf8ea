"""One student's upload, graded where a platform put it (Gradescope's
``/autograder/submission``, PrairieLearn's ``/grade/student``): which file is
the submission, and its :class:`~grader.results.GradeResult`.

Platforms keep the file under whatever name the student gave it, so the
choice is made here once, the same way for every platform (``choose``).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from grader.intake.submission import KINDS
from grader.registry import detect

if TYPE_CHECKING:
    from grader.execution.grading import Options
    from grader.results import GradeResult


def choose(folder: Path, exercise: Optional[str]) -> tuple[Optional[Path], list[str]]:
    """The upload to grade, and the other gradable files' names (relative to ``folder``).

    Preferred: a file named after the exercise (``exercise2.py``), then one
    whose name mentions it (``hw_exercise2_kim.ipynb``), then any ``.py`` or
    ``.ipynb`` (``hw2_kim.py``); links are never followed.  With ``exercise``
    None (the platform did not say), a name that mentions any exercise comes
    first.
    """
    candidates: list[tuple[int, str, Path]] = []
    for here, dirs, names in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "__")))
        for name in names:
            path = Path(here) / name
            if name.startswith(".") or path.is_symlink() or not path.is_file():
                continue
            suffix = path.suffix.lower()
            if suffix not in KINDS:
                continue
            if exercise is None:
                rank = 1 if detect(name) else 2
            else:
                rank = 0 if path.stem.lower() == exercise else 1 if detect(name) == exercise else 3 if detect(name) else 2
            relative = path.relative_to(folder).as_posix()
            candidates.append((rank, relative, path))
    candidates.sort()
    if not candidates:
        return None, []
    return candidates[0][2], [c[1] for c in candidates[1:]]


def is_notebook(path: Path) -> bool:
    """A notebook saved under a .py name (some upload tools rename files)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(1 << 20)
        if not head.lstrip().startswith(b"{"):
            return False
        data = json.loads(head.decode("utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and isinstance(data.get("cells"), list)


def grade_file(chosen: Path, folder: Path, exercise: str, options: "Options") -> "GradeResult":
    """Grade ``chosen`` (a file inside ``folder``) as ``exercise``.

    The result names the file as the student uploaded it (relative to
    ``folder``).  A notebook under a ``.py`` name, or a file whose suffix is
    not its kind, is graded from a copy with the right suffix, made in a
    private temporary folder that is removed afterwards.
    """
    from grader.execution.runner import grade_all
    from grader.intake.submission import Submission

    shown = chosen.relative_to(folder).as_posix()
    scratch = tempfile.mkdtemp(prefix="grader-upload-")
    try:
        kind = KINDS[chosen.suffix.lower()]
        path = str(chosen)
        if kind == "py" and is_notebook(chosen):
            kind = "ipynb"
        if chosen.suffix.lower() != f".{kind}":
            path = os.path.join(scratch, f"{exercise}.{kind}")
            shutil.copyfile(chosen, path)
        submission = Submission(path=path, kind=kind, exercise=exercise, student=None, origin=shown)
        result = grade_all([submission], options, jobs=1)[0]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return replace(result, submission=shown)


def grading_argv(args: argparse.Namespace) -> list[str]:
    """The grading options of ``args`` (``grader.cli.options.add_grading_options``)
    as command-line words, every one explicit, ``--reference`` left out.

    Written into Gradescope's ``run_autograder`` and passed to PrairieLearn's
    grading process: the grade does not depend on the defaults of the grader
    version that reads them.  ``--exercise`` and ``--lang`` are left out when None.
    """
    words: list[str] = []
    if args.exercise is not None:
        words += ["--exercise", args.exercise]
    if args.lang is not None:
        words += ["--lang", args.lang]
    words += [
        "--seed", str(args.seed),
        "--examples", str(args.examples),
        "--timeout", f"{args.timeout:g}",
        "--cell-timeout", f"{args.cell_timeout:g}",
        "--memory-limit", str(args.memory_limit),
        "--file-size-limit", str(args.file_size_limit),
        "--process-limit", str(args.process_limit),
        "--device", args.device,
    ]
    if args.cpu_limit is not None:
        words += ["--cpu-limit", f"{args.cpu_limit:g}"]
    return words
