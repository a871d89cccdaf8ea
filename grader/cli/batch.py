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
from dataclasses import replace
from typing import Any, Optional, Sequence

from grader import __version__
from grader.worker import zygote
from grader.intake.discover import Found, find
from grader.messages import LANGUAGES, default_language
from grader.report import escape
from grader.report.common import cell_note
from grader.report.json_output import to_document
from grader.report.outputs import parse_mode, write_atomic
from grader.results import GradeResult
from grader.serialize import result_from_data, to_data
from grader.intake.submission import Submission, UsageError

RESULTS, GRADEBOOK, SUMMARY, MANIFEST = "results.jsonl", "gradebook.csv", "summary.html", "batch.json"


def mode_option(text: str) -> int:
    try:
        return parse_mode(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an octal file mode such as 0640 or 0644, found {text!r}") from None


def main(command: str, argv: list[str]) -> int:
    if command == "merge":
        return _merge(argv)
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


def parse_shard(spec: str) -> tuple[int, int]:
    """'2/4' -> (2, 4); UsageError unless 1 <= I <= N."""
    try:
        i, n = (int(part) for part in spec.split("/"))
    except ValueError:
        raise UsageError(f"--shard expects I/N such as 1/4, found {spec!r}") from None
    if not 1 <= i <= n:
        raise UsageError(f"--shard {spec}: I must be between 1 and N")
    return i, n


def shard(submissions: list[Submission], spec: str) -> list[Submission]:
    """The I-th of N slices, by a stable hash of the student id (the same on every machine)."""
    i, n = parse_shard(spec)
    return [s for s in submissions if int(hashlib.sha256((s.student or "").encode()).hexdigest(), 16) % n == i - 1]


def content_hash(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        # In blocks: a submission may be far larger than the grader will read of it.
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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
        "max_code_size": args.max_code_size,
        "max_notebook_size": args.max_notebook_size,
        "max_cells": args.max_cells,
        "reference": reference,
    }


def _fingerprint(settings: dict[str, Any]) -> str:
    text = json.dumps(settings, sort_keys=True)
    return f"{__version__}|{hashlib.sha256(text.encode()).hexdigest()[:16]}"


def manifest(settings: dict[str, Any], shard_spec: Optional[tuple[int, int]], skipped: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """batch.json: what `grade merge` checks before combining folders."""
    return {
        "grader_version": __version__,
        "shard": None if shard_spec is None else f"{shard_spec[0]}/{shard_spec[1]}",
        "settings": settings,
        "skipped": [list(pair) for pair in skipped],
    }


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


def write_records(folder: str, records: dict[str, dict[str, Any]], mode: Optional[int] = None) -> None:
    """results.jsonl and gradebook.csv, rewritten (atomically) after every submission."""
    ordered = [records[k] for k in sorted(records)]
    write_atomic(os.path.join(folder, RESULTS), "".join(escape.json_line(r, compact=False) + "\n" for r in ordered), mode)
    write_atomic(os.path.join(folder, GRADEBOOK), gradebook_csv(ordered), mode)


def write_summary(folder: str, results: dict[str, GradeResult], skipped: Sequence[tuple[str, str]], lang: str, mode: Optional[int] = None) -> None:
    from grader.report.summary import render_summary

    write_atomic(os.path.join(folder, SUMMARY), render_summary([(s, results[s]) for s in sorted(results)], list(skipped), lang), mode)


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
    parser = argparse.ArgumentParser(
        prog="grade merge",
        description="Combine the outputs of `grade batch --shard I/N` runs into one gradebook and summary. "
        "Refuses shards run with different options or grader versions, a shard given twice, and (unless --allow-missing) missing shards.",
    )
    parser.add_argument("dirs", nargs="+", metavar="DIR", help="the --out folders of the shards")
    parser.add_argument("--out", required=True, metavar="DIR")
    parser.add_argument("--allow-missing", action="store_true", help="merge even when shards are missing (a warning names them)")
    parser.add_argument("--mode", type=mode_option, default=None, metavar="MODE", help="permissions of the output files, e.g. 0640 (default: the umask's)")
    parser.add_argument("--lang", choices=LANGUAGES, default=None)
    args = parser.parse_args(argv)
    lang = args.lang or default_language()
    manifests = [(folder, read_manifest(folder)) for folder in args.dirs]
    missing = check_shards(manifests)
    if missing:
        names = ", ".join(f"{i}/{n}" for i, n in missing)
        if not args.allow_missing:
            raise UsageError(f"shard {names} is missing: merge all N folders of a `grade batch --shard I/N` run (or pass --allow-missing to merge the rest)")
        print(f"grade merge: warning: shard {names} is missing; its students are not in the gradebook", file=sys.stderr)
    records: dict[str, dict[str, Any]] = {}
    origin: dict[str, str] = {}
    skipped: list[tuple[str, str]] = []
    os.makedirs(args.out, exist_ok=True)
    for folder, info in manifests:
        found = load_results(folder)
        skipped += [(str(p), str(w)) for p, w in info.get("skipped", []) if (str(p), str(w)) not in skipped]
        for student, record in found.items():
            if student in records:
                raise UsageError(f"student {student} is in both {origin[student]} and {folder}: each student belongs to one shard; were these folders made from different runs?")
            records[student] = record
            origin[student] = folder
            report = os.path.join(folder, f"{student}.html")
            if os.path.exists(report) and os.path.abspath(folder) != os.path.abspath(args.out):
                with open(report, encoding="utf-8") as handle:
                    write_atomic(os.path.join(args.out, f"{student}.html"), handle.read(), args.mode)
    first = manifests[0][1]
    write_atomic(
        os.path.join(args.out, MANIFEST),
        json.dumps({**manifest(first["settings"], None, skipped), "merged": [info.get("shard") for _, info in manifests]}, ensure_ascii=False, indent=2) + "\n",
        args.mode,
    )
    write_records(args.out, records, args.mode)
    write_summary(args.out, {s: result_from_data(r["result"]) for s, r in records.items()}, skipped, lang, args.mode)
    print(f"merged {len(records)} submissions from {len(args.dirs)} folders into {args.out}")
    return 0


def read_manifest(folder: str) -> dict[str, Any]:
    """A shard's batch.json; UsageError when the folder is not a `grade batch` output."""
    path = os.path.join(folder, MANIFEST)
    if not os.path.isfile(os.path.join(folder, RESULTS)):
        raise UsageError(f"{folder}: no {RESULTS} found; expected the --out folder of a `grade batch` run")
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        raise UsageError(f"{folder}: no {MANIFEST}: made by an older grader, which did not record its shard and options; run `grade batch` again") from None
    except ValueError as exc:
        raise UsageError(f"{folder}/{MANIFEST}: not valid JSON ({exc}); run `grade batch` again") from None
    if not isinstance(data, dict) or not isinstance(data.get("settings"), dict):
        raise UsageError(f"{folder}/{MANIFEST}: expected the record of a `grade batch` run; run `grade batch` again")
    return data


def check_shards(manifests: Sequence[tuple[str, dict[str, Any]]]) -> list[tuple[int, int]]:
    """The shards missing from ``manifests``, as (I, N); UsageError for folders that cannot be merged.

    Refused: different grader versions, different options (exercise, seed,
    limits, private checks...), different N, the same shard twice (or a whole
    run with anything else).
    """
    folder0, first = manifests[0]
    seen: dict[tuple[int, int], str] = {}
    for folder, info in manifests:
        if info.get("grader_version") != first.get("grader_version"):
            raise UsageError(
                f"{folder} was graded by grader {info.get('grader_version')}, {folder0} by {first.get('grader_version')}: "
                f"merge only shards of one run (grade them again with one version)"
            )
        settings, expected = info["settings"], first["settings"]
        differ = sorted(k for k in set(settings) | set(expected) if settings.get(k) != expected.get(k))
        if differ:
            detail = ", ".join(f"{k}: {expected.get(k)!r} in {folder0}, {settings.get(k)!r} in {folder}" for k in differ)
            raise UsageError(f"the shards were graded with different options ({detail}); merge only shards of one run")
        spec = info.get("shard") or "1/1"
        try:
            key = parse_shard(str(spec))
        except UsageError:
            raise UsageError(f"{folder}/{MANIFEST}: shard {spec!r} is not I/N; run `grade batch` again") from None
        if key in seen:
            raise UsageError(f"shard {key[0]}/{key[1]} is given twice ({seen[key]} and {folder}): give each shard's folder once")
        seen[key] = folder
    sizes = sorted({n for _, n in seen})
    if len(sizes) > 1:
        raise UsageError(f"the folders come from runs split {' and '.join(f'{n} ways' for n in sizes)}: merge the N folders of one `--shard I/N` run")
    n = sizes[0]
    return [(i, n) for i in range(1, n + 1) if (i, n) not in seen]


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
