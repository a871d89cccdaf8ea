"""``grade merge``: the folders of ``grade batch --shard I/N`` runs, combined into one."""
from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, Sequence

from grader.cli.outfolder import MANIFEST, load_results, manifest, mode_option, parse_shard, read_manifest, write_records, write_summary
from grader.intake.submission import UsageError
from grader.messages import LANGUAGES, default_language
from grader.report.outputs import write_atomic
from grader.serialize import result_from_data


def main(argv: list[str]) -> int:
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
