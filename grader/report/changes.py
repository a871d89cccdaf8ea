"""What moved since the last run of ``grade batch`` in the same folder, and why (``changes.csv``).

A regrade compares each student's record in ``results.jsonl`` before and after.
A score that moved is explained by what differs between the two records: the
file (its sha256), the grader's version, a grading option (the private checks
by their hash, the seed, the limits...), or an override.  When none of these
differs, the grade moved by itself, which the grader promises never happens:
the row says so.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Sequence

from grader.messages import render
from grader.report import escape
from grader.report.common import points
from grader.results import Message

FILE_NAME = "changes.csv"
_SHORT = 12  # hex digits of a sha256 shown


@dataclass(frozen=True)
class Change:
    """A student's score before and after a regrade, and the reasons (catalogue messages)."""

    student: str
    before: float
    after: float
    max_score: float
    reasons: tuple[Message, ...]

    @property
    def delta(self) -> float:
        return self.after - self.before


def compare(previous: Mapping[str, Mapping[str, Any]], current: Mapping[str, Mapping[str, Any]]) -> list[Change]:
    """The students of ``current`` whose score differs from ``previous`` (both: student -> results.jsonl record), by student."""
    changes = []
    for student in sorted(current):
        old, new = previous.get(student), current[student]
        if old is None:
            continue
        before, after = _score(old), _score(new)
        if before is None or after is None or abs(before - after) < 1e-9:
            continue
        changes.append(Change(student, before, after, float(new.get("max_score") or 0.0), tuple(reasons(old, new))))
    return changes


def _score(record: Mapping[str, Any]) -> Optional[float]:
    value = record.get("score")
    return float(value) if isinstance(value, (int, float)) else None


def reasons(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Message]:
    """Why a student's grade may differ between two records (empty: nothing that decides a grade differs)."""
    found: list[Message] = []
    if old.get("sha256") != new.get("sha256"):
        found.append(Message("change.file", {"before": _hash(old.get("sha256")), "after": _hash(new.get("sha256"))}))
    if old.get("grader_version") != new.get("grader_version"):
        found.append(Message("change.grader", {"before": str(old.get("grader_version")), "after": str(new.get("grader_version"))}))
    before, after = old.get("settings"), new.get("settings")
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        for name in sorted(set(before) | set(after)):
            if before.get(name) == after.get(name):
                continue
            if name == "reference":
                found.append(Message("change.reference", {"before": _hash(before.get(name)), "after": _hash(after.get(name))}))
            else:
                found.append(Message("change.setting", {"name": name.replace("_", "-"), "before": str(before.get(name)), "after": str(after.get(name))}))
    elif old.get("fingerprint") != new.get("fingerprint") and old.get("grader_version") == new.get("grader_version"):
        found.append(Message("change.options"))
    was = {_key(o) for o in _overrides(old)}
    for override in _overrides(new):
        if _key(override) not in was:
            found.append(Message("change.override", {"who": str(override.get("who") or "?"), "comment": str(override.get("comment") or "")}))
    now = {_key(o) for o in _overrides(new)}
    if any(_key(o) not in now for o in _overrides(old)):
        found.append(Message("change.override-removed"))
    if not found:
        found.append(Message("change.same"))
    return found


def _hash(value: Any) -> str:
    return "none" if not value else str(value)[:_SHORT]


def _overrides(record: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    value = record.get("overrides")
    return [o for o in value if isinstance(o, Mapping)] if isinstance(value, list) else []


def _key(override: Mapping[str, Any]) -> tuple[str, str, str, str]:
    return (str(override.get("check")), str(override.get("points")), str(override.get("comment")), str(override.get("who")))


def why(change: Change, lang: str) -> str:
    """The reasons of ``change`` as one line in ``lang``."""
    return "; ".join(render(reason, lang) for reason in change.reasons)


def signed(value: float) -> str:
    """+3, -1.5, 0: a change of points."""
    return ("+" if value > 0 else "") + points(value)


def changes_csv(changes: Sequence[Change], lang: str) -> str:
    """changes.csv: student, before, after, change, max_score, why (UTF-8 with a byte-order mark, for Excel)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", "before", "after", "change", "max_score", "why"])
    for c in changes:
        writer.writerow([escape.csv_cell(c.student), points(c.before), points(c.after), signed(c.delta), points(c.max_score), escape.csv_cell(why(c, lang))])
    return "\ufeff" + buffer.getvalue()


def terminal_lines(changes: Sequence[Change], lang: str, limit: int = 10) -> list[str]:
    """What the terminal says after a regrade: a line per moved score (at most ``limit``)."""
    lines = [escape.terminal(f"  {c.student}: {points(c.before)} -> {points(c.after)} ({signed(c.delta)}): {why(c, lang)}") for c in changes[:limit]]
    if len(changes) > limit:
        lines.append(f"  ... and {len(changes) - limit} more")
    return lines
