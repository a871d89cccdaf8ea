"""PrairieLearn's external grader: ``grade prairielearn``, the entry point of the
container image's ``prairielearn`` stage (``Dockerfile``; ``deploy/prairielearn/``).

PrairieLearn runs the entry point in a container with the job mounted at
``/grade`` (its external grading documentation):

- ``/grade/student/``: the files the student submitted (``pl-file-upload``,
  ``pl-file-editor``), under the names the question gives them;
- ``/grade/tests/``: the question's ``tests/`` folder (here: the private
  checks, ``tests/exerciseN.py``, used when present);
- ``/grade/serverFilesCourse/``: the course's shared files, if the question asks;
- ``/grade/data/data.json``: the question's data (``params.exercise`` and
  ``params.lang`` are read, when the command line does not say);
- ``/grade/results/results.json``: what the entry point must leave behind (it
  creates the folder), and it must exit 0: any other status, or running past
  the question's ``timeout``, is "grading failed", with no score.

What it does, in that order: reads the options (the command line, which is
info.json's ``entrypoint`` split on spaces; then ``data.json``), chooses the
upload (``grader.authoring.upload.choose``), grades it, and writes
``results.json`` (``grader.report.prairielearn``), whatever happens (a crash
of the grader gives a "not gradable" result that asks the student to tell the
instructor, and uses no attempt).

**Privileges.** PrairieLearn creates the job folder readable by root only and
runs the image's user; so the ``prairielearn`` stage starts as root, like
PrairieLearn's own graders.  Student code never runs as root: the entry point
copies the upload (and the private checks) into a private folder owned by an
unprivileged user (``--user``, default ``grader``, made by the Dockerfile),
grades there as that user in a fresh interpreter (``job``), then writes
``results.json`` itself.  The grader's own sandbox then confines the student's
code further, as everywhere.
"""
from __future__ import annotations

import argparse
import json
import os
import pwd
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Optional, Sequence

from grader.authoring.upload import choose, grading_argv
from grader.messages import render
from grader.registry import EXERCISES, detect
from grader.report import escape
from grader.report.prairielearn import dumps, not_gradable

DEFAULT_USER = "grader"
_SAFE_PATH = "/usr/local/bin:/usr/bin:/bin"


def _parser(prog: str) -> argparse.ArgumentParser:
    from grader.cli.options import add_grading_options

    parser = argparse.ArgumentParser(
        prog=prog,
        description="PrairieLearn's external grader: grade the upload in JOB/student into JOB/results/results.json, and exit 0. "
        "Use it as the question's externalGradingOptions.entrypoint, e.g. \"grade prairielearn --exercise exercise2 --timeout 40\".",
    )
    add_grading_options(parser)
    return parser


def main(argv: Sequence[str]) -> int:
    parser = _parser("grade prairielearn")
    parser.add_argument("--job", default="/grade", metavar="DIR", help="the job folder PrairieLearn mounts (default /grade)")
    parser.add_argument("--user", default=DEFAULT_USER, metavar="NAME", help="when started as root, grade as this user (default: grader, the image's)")
    args = parser.parse_args(list(argv))
    job = Path(args.job)
    target = job / "results" / "results.json"
    _read_data(job, args)
    try:
        document = _grade(job, args)
    except BaseException as exc:  # noqa: BLE001 -- whatever happens, PrairieLearn gets a results.json
        if isinstance(exc, KeyboardInterrupt):
            raise
        print(f"grade prairielearn: the grader failed: {type(exc).__name__}: {escape.terminal(exc)}", file=sys.stderr)
        document = not_gradable(render("gradescope.not-started", args.lang or "en"))
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        from grader.report.outputs import write_atomic

        write_atomic(str(target), dumps(document))
    except OSError as exc:
        print(f"grade prairielearn: cannot write {target}: {exc}", file=sys.stderr)
        return 1
    print(f"grade prairielearn: wrote {target}: gradable {document.get('gradable', True)}, score {document.get('score', 0):.4g}")
    return 0


def _read_data(job: Path, args: argparse.Namespace) -> None:
    """Fill ``--exercise`` and ``--lang`` from data.json's params where the command line left them out."""
    try:
        data = json.loads((job / "data" / "data.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    params = data.get("params") if isinstance(data, dict) else None
    if not isinstance(params, dict):
        return
    if args.exercise is None and params.get("exercise") in EXERCISES:
        args.exercise = params["exercise"]
    if args.lang is None and params.get("lang") in ("en", "ko"):
        args.lang = params["lang"]


def _reference(job: Path, args: argparse.Namespace) -> Optional[Path]:
    """The private checks' folder: --reference, else the question's tests/ when it holds the exercise's file."""
    if args.reference is not None:
        return Path(args.reference)
    tests = job / "tests"
    names = [args.exercise] if args.exercise else list(EXERCISES)
    return tests if any((tests / f"{name}.py").is_file() for name in names) else None


def _grade(job: Path, args: argparse.Namespace) -> dict[str, Any]:
    reference = _reference(job, args)
    if os.geteuid() != 0:
        return grade_job(job / "student", args, reference)
    try:
        user = pwd.getpwnam(args.user)
    except KeyError:
        print(f"grade prairielearn: warning: no user {args.user!r} here (the image has one); grading as root", file=sys.stderr)
        return grade_job(job / "student", args, reference)
    return _grade_as(user, job, args, reference)


def _grade_as(user: pwd.struct_passwd, job: Path, args: argparse.Namespace, reference: Optional[Path]) -> dict[str, Any]:
    """Grade a private copy of the job as ``user``, in a fresh interpreter; its results.json, read back."""
    work = Path(tempfile.mkdtemp(prefix="grader-job-"))
    try:
        student = work / "student"
        if (job / "student").is_dir():
            shutil.copytree(job / "student", student, symlinks=True)
        else:
            student.mkdir()
        command = [sys.executable, "-I", "-m", "grader.authoring.prairielearn", "job", "--student", str(student)]
        if reference is not None and reference.is_dir():
            shutil.copytree(reference, work / "reference", symlinks=True)
            command += ["--reference", str(work / "reference")]
        # A name the student's code cannot guess, in a folder only that user can write.
        results = work / f"results-{secrets.token_hex(8)}.json"
        command += ["--results", str(results), *grading_argv(args)]
        _give(work, user.pw_uid, user.pw_gid)
        env = {
            "PATH": os.environ.get("PATH", _SAFE_PATH),
            "HOME": str(work),
            "LANG": os.environ.get("LANG", "C.UTF-8"),
            "PYTHONIOENCODING": "utf-8",
            "MPLBACKEND": "Agg",
        }
        run_as(command, user, env, cwd=work)
        return _read_results(results)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run_as(command: Sequence[str], user: pwd.struct_passwd, env: dict[str, str], cwd: Path) -> int:
    """Run ``command`` as ``user`` (its uid, its group, no other group); its exit status.

    Only root can change user: as anyone else, ``user`` must be the current one.
    """
    if user.pw_uid == os.geteuid():
        return subprocess.run(list(command), env=env, cwd=cwd, check=False).returncode
    return subprocess.run(list(command), env=env, cwd=cwd, check=False, user=user.pw_uid, group=user.pw_gid, extra_groups=[]).returncode


def _give(folder: Path, uid: int, gid: int) -> None:
    """``chown -R`` without following links."""
    for here, dirs, files in os.walk(folder):
        for name in [*dirs, *files]:
            os.lchown(os.path.join(here, name), uid, gid)
    os.lchown(folder, uid, gid)


def _read_results(path: Path) -> dict[str, Any]:
    """The grading process's results, if they have PrairieLearn's shape; otherwise the grader's failure."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RuntimeError(f"the grading process left no results ({exc})") from None
    score = document.get("score") if isinstance(document, dict) else None
    if not isinstance(score, (int, float)) or isinstance(score, bool) or not 0.0 <= score <= 1.0:
        raise RuntimeError("the grading process's results have no score in [0, 1]")
    return document


def grade_job(student: Path, args: argparse.Namespace, reference: Optional[Path]) -> dict[str, Any]:
    """results.json for the upload in ``student``, graded in this process with the options of ``args``."""
    from grader.cli.options import options_from
    from grader.worker import zygote

    lang = args.lang or "en"
    chosen, others = choose(student, args.exercise) if student.is_dir() else (None, [])
    if chosen is None:
        return not_gradable(render("gradescope.no-upload", lang, exercise=args.exercise or "exerciseN"))
    shown = chosen.relative_to(student).as_posix()
    exercise = args.exercise or detect(chosen.name)
    if exercise is None:
        return not_gradable(render("prairielearn.which-exercise", lang, file=shown))
    # Before any check is loaded: workers are forked from a process that never held them.
    zygote.start()
    from grader.authoring.upload import grade_file
    from grader.report.prairielearn import render_prairielearn

    args.reference = str(reference) if reference is not None else None
    result = grade_file(chosen, student, exercise, options_from(args))
    notes = [render("gradescope.others", lang, shown=shown, others=", ".join(others))] if others else []
    return render_prairielearn(result, lang, notes)


def job_main(argv: Sequence[str]) -> int:
    """The grading process of ``_grade_as``: grade --student into --results; exit 0 once written."""
    parser = _parser("python -m grader.authoring.prairielearn job")
    parser.add_argument("--student", required=True)
    parser.add_argument("--results", required=True)
    args = parser.parse_args(list(argv))
    reference = Path(args.reference) if args.reference else None
    document = grade_job(Path(args.student), args, reference)
    from grader.report.outputs import write_atomic

    write_atomic(args.results, dumps(document))
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "job":
        sys.exit(job_main(sys.argv[2:]))
    sys.exit(main(sys.argv[1:]))
