"""The output folder of ``grade batch`` and ``grade merge``: its files, read and written.

Each file is written atomically (temporary file, then rename): ``reports/<student>.html``
(a folder of their own, so that no student id can name another output:
a student whose id is ``summary`` gets ``reports/summary.html``), ``gradebook.csv``,
``results.jsonl``, ``summary.html``, ``changes.csv`` (after a regrade) and
``batch.json``; ``overrides.csv`` is the teaching assistants' (see grader.report.overrides).

A record of ``results.jsonl`` holds the scores after the overrides (the
``--format json`` document), the autograded result as it came (``result``,
``autograded_score``), the overrides applied, the LMS's ids (``lms``) and what
decided the grade (``sha256``, ``grader_version``, ``settings``).
"""
from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
from typing import Any, Mapping, Optional, Sequence

from grader import __version__
from grader.intake.submission import Submission, UsageError
from grader.report import changes as changes_report
from grader.report import escape, overrides
from grader.report.gradebook import gradebook_csv
from grader.report.json_output import to_document
from grader.report.outputs import parse_mode, write_atomic
from grader.results import SUBMISSION_CODES, GradeResult
from grader.serialize import result_from_data, to_data

RESULTS, GRADEBOOK, SUMMARY, MANIFEST = "results.jsonl", "gradebook.csv", "summary.html", "batch.json"
REPORTS, CHANGES, OVERRIDES = "reports", changes_report.FILE_NAME, overrides.FILE_NAME


def report_path(folder: str, student: str) -> str:
    """Where a student's report goes: ``reports/<student>.html``, apart from the class's own files."""
    return os.path.join(folder, REPORTS, f"{student}.html")


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
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        # In blocks: a submission may be far larger than the grader will read of it.
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def manifest(
    settings: dict[str, Any],
    shard_spec: Optional[tuple[int, int]],
    skipped: Sequence[tuple[str, str]],
    overrides_file: Optional[str] = None,
    counts: Optional[Mapping[str, int]] = None,
) -> dict[str, Any]:
    """batch.json: what `grade merge` checks before combining folders, the overrides file
    the run applied (a later run applies it again), and the counts the terminal and the
    summary show (``submissions``, ``graded``, ``could_not_be_graded``, ``skipped``; None until the run ends)."""
    return {
        "grader_version": __version__,
        "shard": None if shard_spec is None else f"{shard_spec[0]}/{shard_spec[1]}",
        "settings": settings,
        "skipped": [list(pair) for pair in skipped],
        "overrides": None if overrides_file is None else {"path": os.path.abspath(overrides_file), "sha256": content_hash(overrides_file) if os.path.isfile(overrides_file) else None},
        "counts": None if counts is None else dict(counts),
    }


def write_manifest(folder: str, data: Mapping[str, Any], mode: Optional[int] = None) -> None:
    write_atomic(os.path.join(folder, MANIFEST), json.dumps(data, ensure_ascii=False, indent=2) + "\n", mode)


def previous_manifest(folder: str) -> dict[str, Any]:
    """The batch.json an earlier run left in ``folder`` ({} when none, or unreadable)."""
    try:
        with open(os.path.join(folder, MANIFEST), encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


# -- overrides ------------------------------------------------------------------


def overrides_file(folder: str, given: Optional[str], previous: Mapping[str, Any]) -> tuple[str, Optional[str]]:
    """(the overrides file this run applies, a line for the terminal or None).

    ``--overrides FILE`` when given; else the file the last run in ``folder``
    applied, when it was not the folder's own (so that a regrade keeps it);
    else ``folder/overrides.csv``.  UsageError when the remembered file is gone.
    """
    own = os.path.join(folder, OVERRIDES)
    if given:
        if not os.path.isfile(given):
            raise UsageError(f"--overrides {given}: no such file. Expected a CSV file with the columns {','.join(overrides.COLUMNS)} (see the README's overrides section)")
        return given, None
    remembered = previous.get("overrides")
    path = remembered.get("path") if isinstance(remembered, Mapping) else None
    if isinstance(path, str) and os.path.abspath(path) != os.path.abspath(own):
        if not os.path.isfile(path):
            raise UsageError(
                f"the last run in {folder} applied the overrides in {path}, which is gone: restore it, or pass --overrides FILE "
                f"(--overrides {own} for the folder's own)"
            )
        return path, f"overrides: {path} (as in the last run; --overrides FILE to change)"
    return own, None


def load_overrides(path: str, mode: Optional[int] = None) -> dict[str, list[overrides.Override]]:
    """The overrides in ``path`` by student; the folder's own file is created empty (its header) when missing, for TAs to fill in."""
    if not os.path.exists(path):
        if os.path.basename(path) == OVERRIDES:
            write_atomic(path, overrides.TEMPLATE, mode)
        return {}
    return overrides.by_student(overrides.read(path))


def replay(record: Mapping[str, Any]) -> tuple[GradeResult, GradeResult, list[overrides.Applied]]:
    """(autograded, after the overrides it records, those overrides) of a results.jsonl record."""
    raw = result_from_data(record["result"])
    applied = overrides.from_data(record.get("overrides"))
    return raw, overrides.replay(raw, applied), applied


# -- records and reports --------------------------------------------------------


def make_record(
    submission: Submission,
    raw: GradeResult,
    effective: GradeResult,
    applied: Sequence[overrides.Applied],
    digest: str,
    fingerprint: str,
    settings: Mapping[str, Any],
    lang: str,
) -> dict[str, Any]:
    """A results.jsonl record (see the module's docstring)."""
    return {
        "student": submission.student,
        "sha256": digest,
        "grader_version": __version__,
        "fingerprint": fingerprint,
        "settings": dict(settings),
        **to_document(effective, lang),
        "autograded_score": raw.score,
        "overrides": [a.to_data() for a in applied],
        "lms": None if submission.identity is None else dataclasses.asdict(submission.identity),
        "result": to_data(raw),
    }


def rebuild(record: Mapping[str, Any], effective: GradeResult, applied: Sequence[overrides.Applied], lang: str) -> dict[str, Any]:
    """``record`` with other overrides applied (``grade merge --overrides``)."""
    return {**record, **to_document(effective, lang), "overrides": [a.to_data() for a in applied]}


def write_report(folder: str, student: str, effective: GradeResult, applied: Sequence[overrides.Applied], lang: str, mode: Optional[int] = None) -> None:
    """reports/<student>.html: the report, with the overrides applied and said."""
    from grader.report.html import render_html

    write_atomic(report_path(folder, student), render_html(effective, lang, notices=overrides.notices(effective, applied, lang)), mode)


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


def write_summary(
    folder: str,
    results: Mapping[str, GradeResult],
    skipped: Sequence[tuple[str, str]],
    lang: str,
    mode: Optional[int] = None,
    changes: Optional[Sequence[changes_report.Change]] = None,
    applied: Optional[Mapping[str, Sequence[overrides.Applied]]] = None,
) -> None:
    from grader.report.summary import render_summary

    ordered = [(s, results[s]) for s in sorted(results)]
    by_hand = [(s, list((applied or {}).get(s, ()))) for s in sorted(results) if (applied or {}).get(s)]
    write_atomic(os.path.join(folder, SUMMARY), render_summary(ordered, list(skipped), lang, changes=changes, overrides=by_hand, reports=REPORTS), mode)


def counts(results: Mapping[str, GradeResult], skipped: Sequence[tuple[str, str]]) -> dict[str, int]:
    """The numbers the terminal, batch.json and summary.html all give."""
    ungraded = sum(1 for r in results.values() if r.diagnosis in SUBMISSION_CODES)
    return {"submissions": len(results), "graded": len(results) - ungraded, "could_not_be_graded": ungraded, "skipped": len(skipped)}


def finish(
    folder: str,
    records: Mapping[str, dict[str, Any]],
    previous: Mapping[str, Mapping[str, Any]],
    skipped: Sequence[tuple[str, str]],
    lang: str,
    mode: Optional[int] = None,
) -> tuple[dict[str, int], Optional[list[changes_report.Change]]]:
    """Write results.jsonl, gradebook.csv, summary.html and (when ``previous`` holds an
    earlier run's records) changes.csv; return the counts and the changes (None: no earlier run)."""
    write_records(folder, dict(records), mode)
    results = {student: replay(record)[1] for student, record in records.items()}
    applied = {student: overrides.from_data(record.get("overrides")) for student, record in records.items()}
    moved = changes_report.compare(previous, records) if previous else None
    if moved is not None:
        write_atomic(os.path.join(folder, CHANGES), changes_report.changes_csv(moved, lang), mode)
    write_summary(folder, results, skipped, lang, mode, changes=moved, applied=applied)
    return counts(results, skipped), moved


def closing_lines(folder: str, numbers: Mapping[str, int], results: Mapping[str, Mapping[str, Any]], moved: Optional[Sequence[changes_report.Change]], lang: str) -> list[str]:
    """What the terminal says at the end: the counts (as batch.json and summary.html give them),
    who could not be graded, whose score moved since the last run, and where the outputs are."""
    lines = [
        f"{numbers['submissions']} submissions: {numbers['graded']} graded, {numbers['could_not_be_graded']} could not be graded, "
        f"{numbers['skipped']} files skipped" + (" (listed above)" if numbers["skipped"] else "")
    ]
    for student in sorted(results):
        code = results[student].get("diagnosis")
        if code in SUBMISSION_CODES:
            lines.append(escape.terminal(f"  could not be graded: {student}: {code}"))
    if moved is not None:
        if moved:
            lines.append(f"{len(moved)} scores changed since the last run ({os.path.join(folder, CHANGES)}):")
            lines += changes_report.terminal_lines(moved, lang)
        else:
            lines.append("no score changed since the last run")
    lines.append(f"outputs: {os.path.join(folder, GRADEBOOK)}, {os.path.join(folder, SUMMARY)}, {os.path.join(folder, REPORTS)}{os.sep}")
    return lines


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
