"""`grade batch`: a whole class, resumable, shardable, with a gradebook (``grade merge``: grader.cli.merge).

Outputs in --out DIR (grader.cli.outfolder), each written atomically (temporary file, then rename):
``<student>.html``, ``gradebook.csv``, ``results.jsonl`` and ``summary.html``.
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
from grader.cli.outfolder import GRADEBOOK, MANIFEST, SUMMARY, content_hash, load_results, manifest, mode_option, parse_shard, write_records, write_summary
from grader.intake.discover import Found, find
from grader.messages import default_language
from grader.report import escape
from grader.report.json_output import to_document
from grader.report.outputs import write_atomic
from grader.results import GradeResult
from grader.serialize import result_from_data, to_data
from grader.intake.submission import Submission, UsageError

def main(command: str, argv: list[str]) -> int:
    if command == "merge":
        from grader.cli import merge

        return merge.main(argv)
    return _batch(argv)


# --------------------------------------------------------------------------


def _batch(argv: list[str]) -> int:
    from grader.cli.options import add_grading_options

    parser = argparse.ArgumentParser(prog="grade batch", description="Grade a class: folders, nbgrader's submitted/ layout, or LMS .zip files.")
    parser.add_argument("paths", nargs="+", metavar="PATH")
    parser.add_argument("--out", required=True, metavar="DIR", help="where the gradebook, results and reports go")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1, help="submissions graded at once (default: the number of cores)")
    parser.add_argument("--force", action="store_true", help="regrade submissions already graded with this grader version")
    parser.add_argument("--shard", metavar="I/N", help="grade only the I-th of N deterministic slices (1-based)")
    parser.add_argument("--mode", type=mode_option, default=None, metavar="MODE", help="permissions of the output files, e.g. 0640 (default: what the umask allows, 0644 under umask 022)")
    add_grading_options(parser)
    args = parser.parse_args(argv)
    if not args.exercise:
        raise UsageError("grade batch needs --exercise NAME (one of exercise1 … exercise5): a class folder mixes file names")
    lang = args.lang or default_language()
    # Before any submission is read or any check loaded: workers are forked from a process that never held them.
    zygote.start()
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
    os.makedirs(args.out, exist_ok=True)
    mode = args.mode

    from grader.execution.runner import grade_iter

    options = options_from(args)
    warn_reference(args.reference, [args.exercise])
    settings = grading_settings(args)
    fingerprint = _fingerprint(settings)
    write_atomic(os.path.join(args.out, MANIFEST), json.dumps(manifest(settings, shard_spec, found.skipped), ensure_ascii=False, indent=2) + "\n", mode)
    previous = load_results(args.out)
    records: dict[str, dict[str, Any]] = {}
    todo: list[Submission] = []
    for submission in submissions:
        digest = content_hash(submission.path)
        old = previous.get(submission.student or "")
        if not args.force and old and old.get("sha256") == digest and old.get("fingerprint") == fingerprint:
            records[submission.student or ""] = old
        else:
            todo.append(submission)
    progress = Progress(len(todo), sys.stderr)
    if len(todo) < len(submissions):
        progress.note(f"{len(submissions) - len(todo)} unchanged submissions kept from the last run (--force regrades them)")
    graded = {student: result_from_data(record["result"]) for student, record in records.items()}

    def write_report(index: int, result: GradeResult) -> None:
        write_atomic(os.path.join(args.out, f"{todo[index].student}.html"), _html(shown(todo[index], result), lang), mode)

    try:
        for index, result in grade_iter(todo, options, jobs=max(1, args.jobs), finish=write_report):
            submission = todo[index]
            student = submission.student or ""
            result = shown(submission, result)
            records[student] = make_record(submission, result, fingerprint, lang)
            graded[student] = result
            write_records(args.out, records, mode)
            progress.step(escape.terminal(f"{student}: {points(result.score)}/{points(result.max_score)}"))
    finally:
        progress.close()
        # Also after a Ctrl-C: the class view of what was graded so far.
        write_records(args.out, records, mode)
        write_summary(args.out, graded, found.skipped, lang, mode)
    print(f"graded {len(records)} submissions: {os.path.join(args.out, GRADEBOOK)}, {os.path.join(args.out, SUMMARY)}")
    return 0


def shown(submission: Submission, result: GradeResult) -> GradeResult:
    """The result naming the file as the instructor knows it (inside its .zip), not its temporary copy."""
    return result if submission.origin is None else replace(result, submission=submission.origin)


def points(value: float) -> str:
    from grader.report.common import points as fmt

    return fmt(value)


def shard(submissions: list[Submission], spec: str) -> list[Submission]:
    """The I-th of N slices, by a stable hash of the student id (the same on every machine)."""
    i, n = parse_shard(spec)
    return [s for s in submissions if int(hashlib.sha256((s.student or "").encode()).hexdigest(), 16) % n == i - 1]


def grading_settings(args: argparse.Namespace) -> dict[str, Any]:
    """What else decides a grade: the exercise, the generated cases, the device, the limits, the checks.

    A private reference counts by its content (the same checks in another folder are the same).
    """
    reference = None
    if args.reference:
        path = os.path.join(args.reference, f"{args.exercise}.py")
        reference = content_hash(path) if os.path.isfile(path) else "none"
    return {
        "exercise": args.exercise,
        "seed": args.seed,
        "examples": args.examples,
        "device": args.device,
        "timeout": args.timeout,
        "memory_limit": args.memory_limit,
        "cpu_limit": args.cpu_limit,
        "file_size_limit": args.file_size_limit,
        "process_limit": args.process_limit,
        "cell_timeout": args.cell_timeout,
        "reference": reference,
    }


def _fingerprint(settings: dict[str, Any]) -> str:
    text = json.dumps(settings, sort_keys=True)
    return f"{__version__}|{hashlib.sha256(text.encode()).hexdigest()[:16]}"


def make_record(submission: Submission, result: GradeResult, fingerprint: str, lang: str) -> dict[str, Any]:
    return {
        "student": submission.student,
        "sha256": content_hash(submission.path),
        "grader_version": __version__,
        "fingerprint": fingerprint,
        **to_document(result, lang),
        "result": to_data(result),
    }


def _html(result: GradeResult, lang: str) -> str:
    from grader.report.html import render_html

    return render_html(result, lang)


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
