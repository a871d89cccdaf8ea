"""`grade batch`: a whole class, resumable, shardable, with a gradebook (``grade merge``: grader.cli.merge).

Outputs in --out DIR (grader.cli.outfolder), each written atomically (temporary file, then rename):
``reports/<student>.html``, ``gradebook.csv``, ``results.jsonl``, ``summary.html``,
``changes.csv`` and ``batch.json``.  A TA's ``overrides.csv`` is applied on top of
the autograded scores in every one of them, on every run.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import time
from dataclasses import replace
from typing import Any, Optional

from grader import __version__
from grader.worker import zygote
from grader.cli.outfolder import (
    closing_lines,
    content_hash,
    finish,
    load_overrides,
    load_results,
    make_record,
    manifest,
    mode_option,
    overrides_file,
    parse_shard,
    previous_manifest,
    report_path,
    write_manifest,
    write_records,
    write_report,
)
from grader.intake.discover import Found, find
from grader.messages import default_language
from grader.report import escape, overrides
from grader.results import GradeResult
from grader.serialize import result_from_data
from grader.intake.submission import Submission, UsageError

def main(command: str, argv: list[str]) -> int:
    if command == "merge":
        from grader.cli import merge

        return merge.main(argv)
    return _batch(argv)


# --------------------------------------------------------------------------


BATCH_DESCRIPTION = """\
Grade a class: every submission of one exercise, with a gradebook, a report per
student and a class summary. A second run regrades only what changed.

PATH (one or more) is any of:
  a folder of .py and .ipynb files        kim_exercise2.py, lee_exercise2.ipynb, ...
  a folder with a folder per student      kim/exercise2.py, lee/exercise2.ipynb
  nbgrader's course folder                submitted/<student>/<assignment>/*.ipynb
  an LMS download, as a .zip or unpacked:
    Canvas ("Download Submissions")       leejiwoo_LATE_23456_789012_exercise2-1.py
    Moodle ("Download all submissions",   Kim Minsu_12345_assignsubmission_file_/exercise2.py
      in folders or not)                  Kim Minsu_12345_assignsubmission_file_exercise2.py
    Blackboard ("Download assignment")    Homework 2_leej02_attempt_2026-03-03-21-45-10_exercise2.py
    Gradescope ("Export submissions")     submission_111111/hw2.py + submission_metadata.yml
  a single file
The student's id is read from the LMS's part of each name, never from the name the
student gave the file. Of several Canvas uploads or Blackboard attempts of one
student, only the latest is graded; every file left out is listed on the terminal.
"""

BATCH_EPILOG = """\
outputs in DIR:
  reports/<student>.html  each student's report
  gradebook.csv           a row per student (UTF-8 with a byte-order mark, for Excel)
  results.jsonl           one JSON document per submission, with the LMS's ids
  summary.html            the class: distribution, pass rates, common mistakes, who could not be graded, what was skipped
  changes.csv             after a regrade: whose score moved, by how much, and why
  overrides.csv           a TA's corrections (student,check,points,comment,who), applied on every run
  batch.json              the version and options, the counts, the skipped files

then `grade export DIR --to canvas|moodle|blackboard|csv` writes the file your LMS imports.
"""


def batch_parser() -> argparse.ArgumentParser:
    """`grade batch`'s options, each with its help (the README's command reference gives the same)."""
    from grader.cli.options import add_grading_options

    parser = argparse.ArgumentParser(prog="grade batch", description=BATCH_DESCRIPTION, epilog=BATCH_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+", metavar="PATH", help="folders, files or LMS .zip downloads (see above)")
    parser.add_argument("--out", required=True, metavar="DIR", help="where the reports, gradebook, results and summary go (a second run in DIR regrades only what changed)")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1, help="submissions graded at once (default: the number of cores)")
    parser.add_argument("--force", action="store_true", help="regrade every submission, also those whose file, grader version and options are unchanged")
    parser.add_argument("--shard", metavar="I/N", help="grade only the I-th of N deterministic slices (1-based), for `grade merge`")
    parser.add_argument("--overrides", metavar="FILE", help="a TA's corrections, CSV: student,check,points,comment,who (default: DIR/overrides.csv, or the file the last run in DIR used)")
    parser.add_argument("--mode", type=mode_option, default=None, metavar="MODE", help="permissions of the output files, e.g. 0640 (default: what the umask allows, 0644 under umask 022)")
    add_grading_options(parser)
    for action in parser._actions:
        if "--exercise" in action.option_strings:
            action.help = "the exercise every submission is graded as, e.g. exercise2 (required, since a class folder mixes file names, unless one --pack is given: its exercise)"
    return parser


def _batch(argv: list[str]) -> int:
    args = batch_parser().parse_args(argv)
    if not args.exercise and len(getattr(args, "pack", None) or []) == 1:
        from grader.registry import describe

        args.exercise = describe(args.pack[0]).name  # one pack given: its exercise
    if not args.exercise:
        from grader.registry import EXERCISES

        raise UsageError(f"grade batch needs --exercise NAME (one of {', '.join(EXERCISES)}, or a --pack's): a class folder mixes file names")
    lang = args.lang or default_language()
    # Before any submission is read or any check loaded: workers are forked from a process that never held them.
    zygote.start()
    from grader.cli.options import add_packs

    add_packs(args.pack)
    shard_spec = parse_shard(args.shard) if args.shard else None
    found = find(args.paths, args.exercise)
    try:
        return _grade_class(args, found, shard_spec, lang)
    finally:
        for folder in found.temporary:
            shutil.rmtree(folder, ignore_errors=True)


def _grade_class(args: argparse.Namespace, found: Found, shard_spec: Optional[tuple[int, int]], lang: str) -> int:
    from grader.cli.options import options_from, warn_reference

    submissions = found.submissions
    if shard_spec is not None:
        submissions = shard(submissions, f"{shard_spec[0]}/{shard_spec[1]}")
    out, mode = args.out, args.mode
    os.makedirs(out, exist_ok=True)

    from grader.execution.runner import grade_iter

    options = options_from(args)
    warn_reference(args.reference, [args.exercise])
    settings = grading_settings(args)
    fingerprint = _fingerprint(settings)
    overrides_path, note = overrides_file(out, args.overrides, previous_manifest(out))
    by_student = load_overrides(overrides_path, mode)
    write_manifest(out, manifest(settings, shard_spec, found.skipped, overrides_path), mode)
    progress = Progress(0, sys.stderr)
    if note:
        progress.note(note)
    _list_skipped(found.skipped, progress)
    previous = load_results(out)
    records: dict[str, dict[str, Any]] = {}
    todo: list[tuple[Submission, str]] = []
    for submission in submissions:
        digest = content_hash(submission.path)
        old = previous.get(submission.student or "")
        if not args.force and old and old.get("sha256") == digest and old.get("fingerprint") == fingerprint and "result" in old:
            raw = result_from_data(old["result"])
            effective, applied, problems = overrides.apply(raw, by_student.get(submission.student or "", []), overrides_path)
            records[submission.student or ""] = make_record(submission, raw, effective, applied, digest, fingerprint, settings, lang)
            if old.get("overrides", []) != [a.to_data() for a in applied] or not os.path.exists(report_path(out, submission.student or "")):
                write_report(out, submission.student or "", effective, applied, lang, mode)
            for problem in problems:
                progress.note(escape.terminal(f"grade batch: warning: {problem}"))
        else:
            todo.append((submission, digest))
    progress.total = len(todo)
    if len(todo) < len(submissions):
        progress.note(f"{len(submissions) - len(todo)} unchanged submissions kept from the last run (--force regrades them)")
    _unknown_students(by_student, submissions, found.submissions, shard_spec, overrides_path, progress)

    def with_overrides(index: int, result: GradeResult) -> tuple[GradeResult, GradeResult, list[overrides.Applied], list[str]]:
        submission = todo[index][0]
        raw = shown(submission, result)
        effective, applied, problems = overrides.apply(raw, by_student.get(submission.student or "", []), overrides_path)
        return raw, effective, applied, problems

    def report(index: int, result: GradeResult) -> None:
        # In the grading child that graded it (-j N): reports are drawn in parallel too.
        _, effective, applied, _ = with_overrides(index, result)
        write_report(out, todo[index][0].student or "", effective, applied, lang, mode)

    numbers: dict[str, int] = {}
    moved = None
    saving = _Saving()
    try:
        for index, result in grade_iter([s for s, _ in todo], options, jobs=max(1, args.jobs), finish=report):
            submission, digest = todo[index]
            student = submission.student or ""
            raw, effective, applied, problems = with_overrides(index, result)
            records[student] = make_record(submission, raw, effective, applied, digest, fingerprint, settings, lang)
            if saving.due():
                write_records(out, records, mode)
                saving.done()
            progress.step(escape.terminal(f"{student}: {points(effective.score)}/{points(effective.max_score)}"))
            for problem in problems:
                progress.note(escape.terminal(f"grade batch: warning: {problem}"))
    finally:
        progress.close()
        # Also after a Ctrl-C: the class view of what was graded so far.
        numbers, moved = finish(out, records, previous, found.skipped, lang, mode)
        write_manifest(out, manifest(settings, shard_spec, found.skipped, overrides_path, numbers), mode)
    for line in closing_lines(out, numbers, records, moved, lang):
        print(line)
    return 0


class _Saving:
    """When to rewrite results.jsonl and gradebook.csv while a class is graded.

    Each rewrite holds every record so far, so rewriting after every submission
    costs a class of n submissions n²/2 records (a class of 400: about 13 s of
    the grading process's time, and a gigabyte written).  They are rewritten
    at most once a second, and never for more than a tenth of the time; the
    end of the run (or a Ctrl-C) writes them whole in any case, and a run
    killed outright regrades, on resuming, what they do not hold yet.
    """

    def __init__(self) -> None:
        self._next = 0.0
        self._began = 0.0

    def due(self) -> bool:
        now = time.monotonic()
        if now < self._next:
            return False
        self._began = now
        return True

    def done(self) -> None:
        now = time.monotonic()
        self._next = now + max(1.0, 10 * (now - self._began))


def _list_skipped(skipped: list[tuple[str, str]], progress: "Progress") -> None:
    """Every file left out, on the terminal (also in batch.json and summary.html)."""
    if skipped:
        progress.note(f"{len(skipped)} files skipped:")
    for path, why in skipped:
        progress.note(escape.terminal(f"  skipped {escape.file_name(path)}: {why}"))


def _unknown_students(
    by_student: dict[str, list[overrides.Override]],
    graded: list[Submission],
    everyone: list[Submission],
    shard_spec: Optional[tuple[int, int]],
    path: str,
    progress: "Progress",
) -> None:
    """Warn about override rows naming no student of this run (in a shard: none of this shard's)."""
    here = {s.student for s in graded}
    known = {s.student for s in everyone}
    for student, rows in sorted(by_student.items()):
        if student in here or (shard_spec is not None and student in known):
            continue
        if shard_spec is not None and shard_of(student, shard_spec[1]) != shard_spec[0]:
            continue
        lines = ", ".join(str(r.line) for r in rows)
        progress.note(escape.terminal(f"grade batch: warning: {path}: line {lines}: no student {student!r} in this batch (the ids are those of gradebook.csv); not applied"))


def shown(submission: Submission, result: GradeResult) -> GradeResult:
    """The result naming the file as the instructor knows it (inside its .zip), not its temporary copy."""
    return result if submission.origin is None else replace(result, submission=submission.origin)


def points(value: float) -> str:
    from grader.report.common import points as fmt

    return fmt(value)


def shard(submissions: list[Submission], spec: str) -> list[Submission]:
    """The I-th of N slices, by a stable hash of the student id (the same on every machine)."""
    i, n = parse_shard(spec)
    return [s for s in submissions if shard_of(s.student or "", n) == i]


def shard_of(student: str, n: int) -> int:
    """The slice (1..N) a student id falls in."""
    return int(hashlib.sha256(student.encode()).hexdigest(), 16) % n + 1


def grading_settings(args: argparse.Namespace) -> dict[str, Any]:
    """What else decides a grade: the exercise, the generated cases, the device, the limits, the checks.

    A private reference counts by its content (the same checks in another folder are the same).
    """
    from grader.registry import EXERCISES, overlay_for

    reference = None
    if args.reference:
        overlay = overlay_for(args.exercise, args.reference)
        path = os.path.join(overlay, "pack.toml") if overlay else ""
        reference = content_hash(path) if os.path.isfile(path) else "none"
    pack = EXERCISES[args.exercise].pack(args.reference).digest if args.exercise in EXERCISES else None
    return {
        "exercise": args.exercise,
        "pack": pack,
        "seed": args.seed,
        "examples": args.examples,
        "device": args.device,
        "timeout": args.timeout,
        "memory_limit": args.memory_limit,
        "cpu_limit": args.cpu_limit,
        "file_size_limit": args.file_size_limit,
        "process_limit": args.process_limit,
        "cell_timeout": args.cell_timeout,
        "max_code_size": args.max_code_size,
        "max_notebook_size": args.max_notebook_size,
        "max_cells": args.max_cells,
        "reference": reference,
    }


def _fingerprint(settings: dict[str, Any]) -> str:
    text = json.dumps(settings, sort_keys=True)
    return f"{__version__}|{hashlib.sha256(text.encode()).hexdigest()[:16]}"


# --------------------------------------------------------------------------


class Progress:
    """A progress bar on a terminal; plain lines otherwise (CI logs)."""

    def __init__(self, total: int, stream: Any) -> None:
        self.total, self.done, self.stream = total, 0, stream
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.started = time.monotonic()

    def note(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def step(self, text: str) -> None:
        self.done += 1
        if self.tty:
            width = 30
            filled = int(width * self.done / max(self.total, 1))
            self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} {text[:40]:<40}")
            self.stream.flush()
        else:
            print(f"[{self.done}/{self.total}] {text}", file=self.stream, flush=True)

    def close(self) -> None:
        if self.tty and self.total:
            self.stream.write("\n")
            self.stream.flush()
