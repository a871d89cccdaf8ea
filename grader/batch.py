"""`grade batch` and `grade merge`: a whole class, resumable, shardable, with a gradebook.

Outputs in --out DIR, each written atomically (temporary file, then rename):
``<student>.html``, ``gradebook.csv``, ``results.jsonl`` and ``summary.html``.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import os
import shutil
import sys
import time
from typing import Any, Sequence

from grader import __version__
from grader.discover import find
from grader.messages import LANGUAGES, default_language
from grader.report.common import cell_note
from grader.report.json_output import to_document
from grader.report.outputs import write_atomic
from grader.results import GradeResult
from grader.serialize import result_from_data, to_data
from grader.submission import Submission, UsageError

RESULTS, GRADEBOOK, SUMMARY = "results.jsonl", "gradebook.csv", "summary.html"


def main(command: str, argv: list[str]) -> int:
    if command == "merge":
        return _merge(argv)
    return _batch(argv)


# --------------------------------------------------------------------------


def _batch(argv: list[str]) -> int:
    from grader.cli import add_grading_options, options_from

    parser = argparse.ArgumentParser(prog="grade batch", description="Grade a class: folders, nbgrader's submitted/ layout, or LMS .zip files.")
    parser.add_argument("paths", nargs="+", metavar="PATH")
    parser.add_argument("--out", required=True, metavar="DIR", help="where the gradebook, results and reports go")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1, help="submissions graded at once (default: the number of cores)")
    parser.add_argument("--force", action="store_true", help="regrade submissions already graded with this grader version")
    parser.add_argument("--shard", metavar="I/N", help="grade only the I-th of N deterministic slices (1-based)")
    parser.add_argument("--reference", metavar="DIR", help="an instructor's private checks (may include hidden ones)")
    add_grading_options(parser)
    args = parser.parse_args(argv)
    if not args.exercise:
        raise UsageError("grade batch needs --exercise NAME (one of exercise1 … exercise5): a class folder mixes file names")
    lang = args.lang or default_language()
    found = find(args.paths, args.exercise)
    submissions = found.submissions
    if args.shard:
        submissions = shard(submissions, args.shard)
    os.makedirs(args.out, exist_ok=True)

    from grader.runner import grade_iter

    options = options_from(args, reference_dir=args.reference)
    fingerprint = _fingerprint(args)
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
        write_atomic(os.path.join(args.out, f"{todo[index].student}.html"), _html(result, lang))

    try:
        for index, result in grade_iter(todo, options, jobs=max(1, args.jobs), finish=write_report):
            submission = todo[index]
            student = submission.student or ""
            records[student] = make_record(submission, result, fingerprint, lang)
            graded[student] = result
            write_records(args.out, records)
            progress.step(f"{student}: {result.score:g}/{result.max_score:g}")
    finally:
        progress.close()
        # Also after a Ctrl-C: the class view of what was graded so far.
        write_records(args.out, records)
        write_summary(args.out, graded, found.skipped, lang)
        for folder in found.temporary:
            shutil.rmtree(folder, ignore_errors=True)
    print(f"graded {len(records)} submissions: {os.path.join(args.out, GRADEBOOK)}, {os.path.join(args.out, SUMMARY)}")
    return 0


def shard(submissions: list[Submission], spec: str) -> list[Submission]:
    """The I-th of N slices, by a stable hash of the student id (the same on every machine)."""
    try:
        i, n = (int(part) for part in spec.split("/"))
    except ValueError:
        raise UsageError(f"--shard expects I/N such as 1/4, found {spec!r}") from None
    if not 1 <= i <= n:
        raise UsageError(f"--shard {spec}: I must be between 1 and N")
    return [s for s in submissions if int(hashlib.sha256((s.student or "").encode()).hexdigest(), 16) % n == i - 1]


def content_hash(path: str) -> str:
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def _fingerprint(args: argparse.Namespace) -> str:
    """What else decides a grade: the grader version, the exercise, the seed, the examples, the checks."""
    return f"{__version__}|{args.exercise}|{args.seed}|{args.examples}|{args.device}|{args.reference or ''}"


def make_record(submission: Submission, result: GradeResult, fingerprint: str, lang: str) -> dict[str, Any]:
    return {
        "student": submission.student,
        "sha256": content_hash(submission.path),
        "grader_version": __version__,
        "fingerprint": fingerprint,
        **to_document(result, lang),
        "result": to_data(result),
    }


def load_results(folder: str) -> dict[str, dict[str, Any]]:
    path = os.path.join(folder, RESULTS)
    records: dict[str, dict[str, Any]] = {}
    if not os.path.exists(path):
        return records
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.strip()
            if not line:
                continue
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and isinstance(record.get("student"), str):
                records[record["student"]] = record
    return records


def write_records(folder: str, records: dict[str, dict[str, Any]]) -> None:
    """results.jsonl and gradebook.csv, rewritten (atomically) after every submission."""
    ordered = [records[k] for k in sorted(records)]
    write_atomic(os.path.join(folder, RESULTS), "".join(json.dumps(r, ensure_ascii=False, allow_nan=False) + "\n" for r in ordered))
    write_atomic(os.path.join(folder, GRADEBOOK), gradebook_csv(ordered))


def write_summary(folder: str, results: dict[str, GradeResult], skipped: Sequence[tuple[str, str]], lang: str) -> None:
    from grader.report.summary import render_summary

    write_atomic(os.path.join(folder, SUMMARY), render_summary([(s, results[s]) for s in sorted(results)], list(skipped), lang))


def gradebook_csv(records: Sequence[dict[str, Any]]) -> str:
    check_names: list[str] = []
    for record in records:
        for check in record["checks"]:
            if check["name"] not in check_names:
                check_names.append(check["name"])
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", "score", "max_score", *check_names, "diagnoses", "notes"])
    for record in records:
        points = {c["name"]: c["score"] for c in record["checks"]}
        codes = [record["diagnosis"]] if record.get("diagnosis") else []
        codes += [c["diagnosis"] for c in record["checks"] if c["diagnosis"]]
        # Notebook cells that hung or raised: the grade went on without them.
        notes = "; ".join(cell_note(c) for c in record.get("cells") or [] if isinstance(c, dict))
        writer.writerow([record["student"], f"{record['score']:g}", f"{record['max_score']:g}", *(f"{points[n]:g}" if n in points else "" for n in check_names), ";".join(dict.fromkeys(codes)), notes])
    return buffer.getvalue()


def _html(result: GradeResult, lang: str) -> str:
    from grader.report.html import render_html

    return render_html(result, lang)


# --------------------------------------------------------------------------


def _merge(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="grade merge", description="Combine the outputs of `grade batch --shard` runs into one gradebook and summary.")
    parser.add_argument("dirs", nargs="+", metavar="DIR")
    parser.add_argument("--out", required=True, metavar="DIR")
    parser.add_argument("--lang", choices=LANGUAGES, default=None)
    args = parser.parse_args(argv)
    lang = args.lang or default_language()
    records: dict[str, dict[str, Any]] = {}
    os.makedirs(args.out, exist_ok=True)
    for folder in args.dirs:
        found = load_results(folder)
        if not found:
            raise UsageError(f"{folder}: no {RESULTS} found; expected the --out folder of a `grade batch` run")
        for student, record in found.items():
            records[student] = record
            report = os.path.join(folder, f"{student}.html")
            if os.path.exists(report) and os.path.abspath(folder) != os.path.abspath(args.out):
                shutil.copyfile(report, os.path.join(args.out, f"{student}.html"))
    write_records(args.out, records)
    write_summary(args.out, {s: result_from_data(r["result"]) for s, r in records.items()}, [], lang)
    print(f"merged {len(records)} submissions from {len(args.dirs)} folders into {args.out}")
    return 0


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
