"""A teaching assistant's overrides, applied on top of the autograded scores.

``overrides.csv`` (in the ``grade batch`` output folder, or ``--overrides FILE``)
has one row per change::

    student,check,points,comment,who
    kim,train.lecture,3,"the loop is right; the printout misled the checker",TA Park
    lee,total,7,"late-day waiver applied by hand",Prof. Choi

* ``student``: the id of ``gradebook.csv``;
* ``check``: a check's name (a column of ``gradebook.csv``, e.g. ``train.lecture``),
  ``total``, or ``late``;
* ``points``: the points it gets instead (0 up to what the check, or the whole
  exercise, is worth); a check's points change the total with them, and a
  ``total`` row sets the total last; a ``late`` row sets the late penalty that
  ``grade export`` takes off (0 waives it), whatever the LMS and the policy say;
* ``comment`` and ``who``: shown to the student in their report.

CSV, not TOML, so that a TA edits it in a spreadsheet: a byte-order mark
(Excel's "CSV UTF-8") is read, and a file Excel saved in the Korean Windows
code page (CP949) is read too.  The autograded result is never changed: it is
kept in ``results.jsonl`` and every regrade applies the overrides again, so
they survive regrades.
"""
from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, replace
from typing import Any, Mapping, Optional, Sequence

from grader.intake.submission import UsageError
from grader.messages import render
from grader.report.common import check_title, points as fmt
from grader.results import GradeResult

FILE_NAME = "overrides.csv"
COLUMNS = ("student", "check", "points", "comment", "who")
TOTAL = "total"
LATE = "late"
MAX_BYTES = 4 * 1024**2
TEMPLATE = "\ufeff" + ",".join(COLUMNS) + "\n"


@dataclass(frozen=True)
class Override:
    """One row of the overrides file (``line``: its line number, for messages)."""

    student: str
    check: str
    points: float
    comment: str = ""
    who: str = ""
    line: int = 0


@dataclass(frozen=True)
class Applied:
    """An override as it was applied: the check (or ``total``), the points before and after."""

    check: str
    was: float
    points: float
    comment: str
    who: str

    def to_data(self) -> dict[str, Any]:
        return {"check": self.check, "was": self.was, "points": self.points, "comment": self.comment, "who": self.who}


def read(path: str) -> list[Override]:
    """The rows of an overrides file, in order.

    Raises UsageError, naming the line, for a file that cannot be read, a
    header without ``student``, ``check`` and ``points``, points that are not
    a number, and the same student and check twice.
    """
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"{path}: cannot be read ({exc.strerror or exc}); expected a CSV file with the columns {','.join(COLUMNS)}") from None
    if len(raw) > MAX_BYTES:
        raise UsageError(f"{path}: larger than {MAX_BYTES // 2**20} MiB; expected one row per override")
    return parse(_decode(raw), path)


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on Korean Windows saves "CSV (comma delimited)" in CP949.
        return raw.decode("cp949", errors="replace")


def parse(text: str, path: str = FILE_NAME) -> list[Override]:
    """The overrides in ``text`` (see :func:`read`); blank rows and rows whose student starts with ``#`` are left out."""
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    if not rows:
        return []
    header = [name.strip().lower() for name in rows[0]]
    missing = [name for name in COLUMNS[:3] if name not in header]
    if missing:
        raise UsageError(f"{path}: line 1 must name the columns {','.join(COLUMNS)} (comment and who may be left out); missing: {', '.join(missing)}")
    column = {name: header.index(name) for name in COLUMNS if name in header}
    found: list[Override] = []
    seen: dict[tuple[str, str], int] = {}
    for number, row in enumerate(rows[1:], start=2):
        cells = {name: (row[i].strip() if i < len(row) else "") for name, i in column.items()}
        if not any(cells.values()) or cells["student"].startswith("#"):
            continue
        student, check = cells["student"], cells["check"] or TOTAL
        try:
            value = float(cells["points"].replace(",", "."))
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise UsageError(f"{path}: line {number}: points must be a number such as 3 or 2.5, found {cells['points']!r}")
        key = (student, check)
        if key in seen:
            raise UsageError(f"{path}: lines {seen[key]} and {number} both override {check} of {student}: keep one of them")
        seen[key] = number
        found.append(Override(student, check, value, cells.get("comment", ""), cells.get("who", ""), number))
    return found


def by_student(overrides: Sequence[Override]) -> dict[str, list[Override]]:
    grouped: dict[str, list[Override]] = {}
    for override in overrides:
        grouped.setdefault(override.student, []).append(override)
    return grouped


def apply(result: GradeResult, overrides: Sequence[Override], path: str = FILE_NAME) -> tuple[GradeResult, list[Applied], list[str]]:
    """``result`` with ``overrides`` (one student's) applied; the overrides applied; and problems.

    A check's points replace its score and the total moves with them; a
    ``total`` row then sets the total; a ``late`` row changes no score (``grade
    export`` reads it).  ``passed`` stays what the grader found.
    A row naming no check of this result, or points outside 0 up to what the
    check (or the exercise) is worth, is not applied: it comes back as a
    problem sentence for the instructor.
    """
    checks = list(result.checks)
    names = {c.name: i for i, c in enumerate(checks)}
    applied: list[Applied] = []
    problems: list[str] = []
    total: Optional[Override] = None
    late: list[Applied] = []
    for override in overrides:
        where = f"{path}: line {override.line}: {override.student}"
        if override.check == TOTAL:
            total = override
            continue
        if override.check == LATE:
            if 0 <= override.points <= result.max_score:
                late.append(Applied(LATE, 0.0, override.points, override.comment, override.who))
            else:
                problems.append(f"{where}: a late penalty is 0 to {fmt(result.max_score)} points, found {fmt(override.points)}; not applied")
            continue
        if override.check not in names:
            known = ", ".join(names) or "none: only the total can be overridden"
            problems.append(f"{where}: no check named {override.check!r} (the checks: {known}); not applied")
            continue
        check = checks[names[override.check]]
        if not 0 <= override.points <= check.max_score:
            problems.append(f"{where}: {override.check} is worth {fmt(check.max_score)} points, found {fmt(override.points)}; not applied (give 0 to {fmt(check.max_score)})")
            continue
        if override.points == check.score:
            # still applied (it pins the check's points), but a TA should know it changes nothing now:
            # after a regrade it would keep these points whatever the student's file then earns
            problems.append(f"{where}: {override.check} already has {fmt(check.score)} points from the grader; the override changes nothing now, and keeps {fmt(check.score)} whatever a regrade finds (remove the row if it is no longer needed)")
        checks[names[override.check]] = replace(check, score=override.points)
        applied.append(Applied(override.check, check.score, override.points, override.comment, override.who))
    score = result.score + sum(a.points - a.was for a in applied)
    if total is not None:
        if 0 <= total.points <= result.max_score:
            applied.append(Applied(TOTAL, score, total.points, total.comment, total.who))
            score = total.points
        else:
            problems.append(
                f"{path}: line {total.line}: {total.student}: the total is out of {fmt(result.max_score)}, found {fmt(total.points)}; not applied (give 0 to {fmt(result.max_score)})"
            )
    if not applied:
        return result, late, problems
    return replace(result, checks=tuple(checks), score=score), applied + late, problems


def notices(result: GradeResult, applied: Sequence[Applied], lang: str) -> tuple[str, ...]:
    """The sentences a student's report shows for the overrides applied to ``result``."""
    titles = {c.name: check_title(c, lang) for c in result.checks}
    out = []
    for a in applied:
        who = a.who or render("override.someone", lang)
        comment = a.comment or render("override.no-comment", lang)
        key = {TOTAL: "override.total", LATE: "override.late"}.get(a.check, "override.check")
        out.append(render(key, lang, who=who, check=titles.get(a.check, a.check), was=fmt(a.was), points=fmt(a.points), comment=comment))
    return tuple(out)


def replay(result: GradeResult, applied: Sequence[Applied]) -> GradeResult:
    """``result`` with overrides already applied once (a results.jsonl record's) applied again."""
    if not any(a.check != LATE for a in applied):
        return result
    checks = list(result.checks)
    names = {c.name: i for i, c in enumerate(checks)}
    score = result.score
    for a in applied:
        if a.check == TOTAL:
            score = a.points
        elif a.check == LATE:
            continue
        elif a.check in names:
            i = names[a.check]
            score += a.points - checks[i].score
            checks[i] = replace(checks[i], score=a.points)
    return replace(result, checks=tuple(checks), score=score)


def late_penalty(applied: Sequence[Applied]) -> Optional[float]:
    """The late penalty a ``late`` row sets, or None when there is none."""
    return next((a.points for a in applied if a.check == LATE), None)


def from_data(data: Any) -> list[Applied]:
    """The overrides a results.jsonl record holds (what it was graded with)."""
    out = []
    for item in data if isinstance(data, list) else []:
        if isinstance(item, Mapping):
            out.append(Applied(str(item.get("check", "")), float(item.get("was", 0)), float(item.get("points", 0)), str(item.get("comment", "")), str(item.get("who", ""))))
    return out
