"""``gradebook.csv``: one row per student, a column per check (``grade batch``, ``grade merge``)."""
from __future__ import annotations

import csv
import io
from typing import Any, Sequence

from grader.report.common import cell_note


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
