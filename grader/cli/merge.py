"""``grade merge``: the folders of ``grade batch --shard I/N`` runs, combined into one.

Reports go to ``reports/<student>.html`` as in ``grade batch``, so no student id
can replace the merged folder's own files.  Overrides: ``--overrides FILE`` (or
the merged folder's own ``overrides.csv``) is applied again to every shard's
autograded results; without one, each shard's overrides stay as applied.
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import Any, Optional, Sequence

from grader.cli.outfolder import (
    MANIFEST,
    closing_lines,
    finish,
    load_results,
    manifest,
    mode_option,
    overrides_file,
    parse_shard,
    previous_manifest,
    read_manifest,
    rebuild,
    replay,
    report_path,
    write_manifest,
    write_report,
)
from grader.intake.submission import UsageError
from grader.messages import LANGUAGES, default_language
from grader.report import escape, overrides
from grader.report.outputs import write_atomic


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="grade merge",
        description="Combine the outputs of `grade batch --shard I/N` runs into one gradebook, summary and reports folder. "
        "Refuses shards run with different options or grader versions, a shard given twice, and (unless --allow-missing) missing shards.",
    )
    parser.add_argument("dirs", nargs="+", metavar="DIR", help="the --out folders of the shards")
    parser.add_argument("--out", required=True, metavar="DIR", help="where the merged reports/, gradebook.csv, results.jsonl, summary.html and batch.json go")
    parser.add_argument("--allow-missing", action="store_true", help="merge even when shards are missing (a warning names them)")
    parser.add_argument(
        "--overrides",
        metavar="FILE",
        help="a TA's corrections (student,check,points,comment,who) applied to every shard's results (default: DIR/overrides.csv of --out when it exists, else each shard's own)",
    )
    parser.add_argument("--mode", type=mode_option, default=None, metavar="MODE", help="permissions of the output files, e.g. 0640 (default: the umask's)")
    parser.add_argument("--lang", choices=LANGUAGES, default=None, help="language of the summary and the reports redrawn for overrides (default: from the locale)")
    args = parser.parse_args(argv)
    lang = args.lang or default_language()
    manifests = [(folder, read_manifest(folder)) for folder in args.dirs]
    missing = check_shards(manifests)
    if missing:
        names = ", ".join(f"{i}/{n}" for i, n in missing)
        if not args.allow_missing:
            raise UsageError(f"shard {names} is missing: merge all N folders of a `grade batch --shard I/N` run (or pass --allow-missing to merge the rest)")
        print(f"grade merge: warning: shard {names} is missing; its students are not in the gradebook", file=sys.stderr)
    os.makedirs(args.out, exist_ok=True)
    path = _overrides_path(args)
    by_student = overrides.by_student(overrides.read(path)) if path else None
    previous = load_results(args.out)
    records: dict[str, dict[str, Any]] = {}
    origin: dict[str, str] = {}
    skipped: list[tuple[str, str]] = []
    for folder, info in manifests:
        found = load_results(folder)
        skipped += [(str(p), str(w)) for p, w in info.get("skipped", []) if (str(p), str(w)) not in skipped]
        for student, record in found.items():
            if student in records:
                raise UsageError(f"student {student} is in both {origin[student]} and {folder}: each student belongs to one shard; were these folders made from different runs?")
            origin[student] = folder
            records[student] = _merge_one(folder, student, record, by_student, path, args, lang)
    numbers, moved = finish(args.out, records, previous, skipped, lang, args.mode)
    first = manifests[0][1]
    write_manifest(args.out, {**manifest(first["settings"], None, skipped, path, numbers), "merged": [info.get("shard") for _, info in manifests]}, args.mode)
    print(f"merged {len(records)} submissions from {len(args.dirs)} folders into {args.out}")
    for line in closing_lines(args.out, numbers, records, moved, lang):
        print(line)
    return 0


def _overrides_path(args: argparse.Namespace) -> Optional[str]:
    """The overrides file the merge applies again: --overrides, else the merged folder's own (or the one its last merge used); None keeps each shard's."""
    path, note = overrides_file(args.out, args.overrides, previous_manifest(args.out))
    if note:
        print(note, file=sys.stderr)
    return path if os.path.isfile(path) else None


def _merge_one(
    folder: str, student: str, record: dict[str, Any], by_student: Optional[dict[str, list[overrides.Override]]], path: Optional[str], args: argparse.Namespace, lang: str
) -> dict[str, Any]:
    """A shard's record in the merged folder, with its report: redrawn when other overrides apply, else copied."""
    same_folder = os.path.abspath(folder) == os.path.abspath(args.out)
    if by_student is not None and "result" in record:
        raw, _, before = replay(record)
        effective, applied, problems = overrides.apply(raw, by_student.get(student, []), path or "")
        for problem in problems:
            print(escape.terminal(f"grade merge: warning: {problem}"), file=sys.stderr)
        if [a.to_data() for a in applied] != [a.to_data() for a in before]:
            write_report(args.out, student, effective, applied, lang, args.mode)
            return rebuild(record, effective, applied, lang)
    if not same_folder:
        # reports/<student>.html; a shard written before reports had a folder of their own kept them beside the gradebook.
        for report in (report_path(folder, student), os.path.join(folder, f"{student}.html")):
            if os.path.isfile(report) and not os.path.islink(report):
                with open(report, encoding="utf-8") as handle:
                    write_atomic(report_path(args.out, student), handle.read(), args.mode)
                break
    return record


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
