"""The output folder of ``grade batch`` and ``grade merge``: its files, read and written.

Each file is written atomically (temporary file, then rename): ``<student>.html``,
``gradebook.csv``, ``results.jsonl``, ``summary.html`` and ``batch.json``.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
from typing import Any, Optional, Sequence

from grader import __version__
from grader.intake.submission import UsageError
from grader.report import escape
from grader.report.gradebook import gradebook_csv
from grader.report.outputs import parse_mode, write_atomic
from grader.results import GradeResult

RESULTS, GRADEBOOK, SUMMARY, MANIFEST = "results.jsonl", "gradebook.csv", "summary.html", "batch.json"


def mode_option(text: str) -> int:
    try:
        return parse_mode(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an octal file mode such as 0640 or 0644, found {text!r}") from None


def parse_shard(spec: str) -> tuple[int, int]:
    """'2/4' -> (2, 4); UsageError unless 1 <= I <= N."""
    try:
        i, n = (int(part) for part in spec.split("/"))
    except ValueError:
        raise UsageError(f"--shard expects I/N such as 1/4, found {spec!r}") from None
    if not 1 <= i <= n:
        raise UsageError(f"--shard {spec}: I must be between 1 and N")
    return i, n


def content_hash(path: str) -> str:
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def manifest(settings: dict[str, Any], shard_spec: Optional[tuple[int, int]], skipped: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """batch.json: what `grade merge` checks before combining folders."""
    return {
        "grader_version": __version__,
        "shard": None if shard_spec is None else f"{shard_spec[0]}/{shard_spec[1]}",
        "settings": settings,
        "skipped": [list(pair) for pair in skipped],
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
