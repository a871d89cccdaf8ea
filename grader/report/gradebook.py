"""``gradebook.csv``: one row per student, a column per check (``grade batch``, ``grade merge``).

Columns: ``student``, ``score`` (after the overrides), ``max_score``, the
points of every check (after the overrides), ``autograded`` (the score before
them), ``overrides`` (what was changed by hand, and why), ``late`` (the LMS's
own flag: ``yes``, ``no``, or empty when the LMS has none), the diagnosis
codes and ``notes`` (a notebook's cells that hung or raised).

UTF-8 with a byte-order mark: without it, Excel in a Korean (or any non-UTF-8)
locale shows the names garbled.  Text cells never start a formula
(``escape.csv_cell``).
"""
from __future__ import annotations

import csv
import io
from typing import Any, Mapping, Sequence

from grader.report import escape
from grader.report.common import cell_note

BOM = "\ufeff"


def gradebook_csv(records: Sequence[Mapping[str, Any]]) -> str:
    """The gradebook of ``records`` (results.jsonl documents, in the order given)."""
    check_names: list[str] = []
    for record in records:
        for check in record["checks"]:
            if check["name"] not in check_names:
                check_names.append(check["name"])
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", "score", "max_score", *check_names, "autograded", "overrides", "late", "diagnoses", "notes"])
    for record in records:
        points = {c["name"]: c["score"] for c in record["checks"]}
        codes = [record["diagnosis"]] if record.get("diagnosis") else []
        codes += [c["diagnosis"] for c in record["checks"] if c["diagnosis"]]
        # Notebook cells that hung or raised: the grade went on without them.
        notes = "; ".join(cell_note(c) for c in record.get("cells") or [] if isinstance(c, dict))
        autograded = record.get("autograded_score", record["score"])
        writer.writerow(
            [
                escape.csv_cell(record["student"]),
                f"{record['score']:g}",
                f"{record['max_score']:g}",
                *(f"{points[n]:g}" if n in points else "" for n in check_names),
                f"{autograded:g}",
                escape.csv_cell(overrides_note(record.get("overrides"))),
                late_flag(record.get("lms")),
                ";".join(dict.fromkeys(codes)),
                escape.csv_cell(notes),
            ]
        )
    return BOM + buffer.getvalue()


def overrides_note(overrides: Any) -> str:
    """``train.lecture 0->3 (TA Park: the loop is right); total 6->7 (...)``."""
    parts = []
    for o in overrides if isinstance(overrides, list) else []:
        if isinstance(o, Mapping):
            by = ": ".join(str(x) for x in (o.get("who"), o.get("comment")) if x)
            parts.append(f"{o.get('check')} {o.get('was', 0):g}->{o.get('points', 0):g}" + (f" ({by})" if by else ""))
    return "; ".join(parts)


def late_flag(identity: Any) -> str:
    """'yes', 'no', or '' when the LMS does not say (a results.jsonl record's ``lms``)."""
    late = identity.get("late") if isinstance(identity, Mapping) else None
    return "" if late is None else ("yes" if late else "no")
