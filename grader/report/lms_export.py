"""The files an LMS imports: a grade file per LMS, and the reports zipped for its "upload feedback".

Each file follows what the LMS documents (and what its importer reads):

* **Canvas**, Grades → Import (a CSV as Canvas's own gradebook export lays it
  out): ``Student``, ``ID``, ``SIS User ID``, ``SIS Login ID``, ``Section``, then
  one column per assignment, ``Name (assignment id)``, and an optional second row
  ``Points Possible``.  Canvas matches a row by ``ID`` (its user id) and a column
  by the id in parentheses; a column without an id becomes a new assignment.
  (Instructure: "How do I import grades in the Gradebook?"; canvas-lms's
  GradebookImporter reads the header the same way.)
  Feedback: the assignment's "Re-Upload Submissions" takes a zip of files named
  ``<name>_<user id>_<attachment id>_<anything>``, each attached as a comment to
  that student's submission: Canvas reads the first two all-digit ``_`` fields
  (canvas-lms, ``Assignment#infer_comment_context_from_filename``).
* **Moodle**, the assignment's offline grading worksheet ("Upload grading
  worksheet"): ``Identifier`` (``Participant <id>``), ``Full name``, ``Email
  address``, ``Status``, ``Grade``, ``Maximum Grade``, ``Grade can be changed``,
  ``Last modified (submission)``, ``Last modified (grade)``, ``Feedback comments``.
  The importer finds ``Identifier``, ``Grade`` and ``Last modified (grade)`` by
  name, in the uploader's language, strips the ``Participant `` prefix by its
  length, and skips a grade that was changed in Moodle after ``Last modified
  (grade)`` (mod/assign/feedback/offline/importgradeslib.php, locallib.php):
  upload with Moodle in English, and the file's time is the export's.
  Feedback: "Upload multiple feedback files in a zip" takes a folder per
  participant, ``<Full Name>_<participant id>_assignfeedback_file_/``; Moodle reads
  the participant id as the second ``_`` field
  (mod/assign/feedback/file/importziplib.php).
* **Blackboard** Learn, Grade Center → Work Offline → Upload: ``Last Name``,
  ``First Name``, ``Username``, ``Student ID``, then ``Name [Total Pts: N Score] |<column id>``.
  Blackboard matches a row by ``Username`` and a column by its Column ID; a
  column without one becomes a new text column worth 0 points (Blackboard
  Help, "Upload grades from external sources").
* **csv**: every field we have, for anything else (and for a look in Excel).

Every file is UTF-8 with a byte-order mark (Excel shows Korean names garbled
without it; Moodle's CSV reader strips it, and Canvas's and Blackboard's
importers read the columns after it), and no text cell starts a formula.
"""
from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Sequence

from grader.messages import render
from grader.report import escape
from grader.report.common import diagnosis, points
from grader.report.late import Lateness, Policy, lateness, penalty
from grader.report.overrides import from_data, late_penalty, replay
from grader.results import GradeResult
from grader.serialize import result_from_data

TARGETS = ("canvas", "moodle", "blackboard", "csv")
FEEDBACK = ("canvas", "moodle")  # the LMSs that take a zip of feedback files
CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
MOODLE_COLUMNS = (
    "Identifier",
    "Full name",
    "Email address",
    "Status",
    "Grade",
    "Maximum Grade",
    "Grade can be changed",
    "Last modified (submission)",
    "Last modified (grade)",
    "Feedback comments",
)
MOODLE_PARTICIPANT = "Participant "
BLACKBOARD_COLUMNS = ("Last Name", "First Name", "Username", "Student ID")
PLAIN_COLUMNS = (
    "student",
    "name",
    "lms",
    "lms_id",
    "email",
    "score",
    "max_score",
    "late",
    "days_late",
    "late_penalty",
    "final",
    "points_possible",
    "final_points",
    "comment",
)
BOM = "\ufeff"
_ZIP_TIME = (2026, 1, 1, 0, 0, 0)  # the same bytes for the same reports


@dataclass(frozen=True)
class Row:
    """One student in an export: the score after the overrides, the late penalty, the points the LMS gets."""

    student: str
    identity: Mapping[str, Any]
    score: float
    max_score: float
    late: Lateness
    penalty: float
    final: float
    possible: float
    comment: str

    @property
    def final_points(self) -> float:
        """``final`` on the LMS's scale (``possible`` points), to 2 decimals."""
        if self.max_score <= 0:
            return 0.0
        return round(self.final * self.possible / self.max_score, 2)

    @property
    def lms(self) -> str:
        return str(self.identity.get("lms") or "")

    @property
    def user_id(self) -> str:
        return str(self.identity.get("user_id") or "")

    @property
    def name(self) -> str:
        return str(self.identity.get("name") or "")


@dataclass(frozen=True)
class Unexported:
    student: str
    why: str


def rows(records: Sequence[Mapping[str, Any]], policy: Policy, possible: Optional[float], lang: str) -> tuple[list[Row], list[Unexported]]:
    """A Row per results.jsonl record (late penalty applied), and those that cannot have one.

    ``possible``: the assignment's points in the LMS (None: the grader's maximum).
    A record is left out when the policy counts days late and the LMS gave no
    submission time for a submission it marks late.
    """
    out, left = [], []
    for record in records:
        identity = record.get("lms") if isinstance(record.get("lms"), Mapping) else {}
        score, max_score = float(record["score"]), float(record["max_score"])
        late = lateness(identity, policy.due)
        fixed = late_penalty(from_data(record.get("overrides")))
        # A TA's `late` row sets the penalty, whatever the LMS and the policy say.
        lost = penalty(policy, late, score, max_score) if fixed is None else round(min(fixed, max(score, 0.0)), 6)
        if lost is None:
            left.append(Unexported(record["student"], "marked late by the LMS, which gives no submission time: a per-day penalty cannot be counted (use a flat one, e.g. --late-penalty 10%)"))
            continue
        final = max(score - lost, 0.0)
        out.append(Row(record["student"], identity or {}, score, max_score, late, lost, final, possible if possible is not None else max_score, comment(record, late, lost, lang)))
    return out, left


def comment(record: Mapping[str, Any], late: Lateness, lost: float, lang: str) -> str:
    """A few sentences for the LMS's feedback comment: the score, what to fix (never a hidden check's), the overrides, the penalty."""
    parts = [render("export.comment.score", lang, score=points(record["score"]), max_score=points(record["max_score"]))]
    result = _effective(record)
    if result is not None:
        titles = _mistakes(result, lang)
        if titles:
            parts.append(render("export.comment.mistakes", lang, titles="; ".join(titles)))
    for applied in from_data(record.get("overrides")):
        if applied.comment and applied.check != "late":
            parts.append(applied.comment if applied.comment.endswith((".", "!", "?")) else applied.comment + ".")
    if lost > 0:
        key = "export.comment.late-days" if late.days and late.late else "export.comment.late"
        parts.append(render(key, lang, days=late.days or 0, penalty=points(lost)))
    parts.append(render("export.comment.report", lang))
    return " ".join(parts)


def _effective(record: Mapping[str, Any]) -> Optional[GradeResult]:
    try:
        return replay(result_from_data(record["result"]), from_data(record.get("overrides")))
    except (KeyError, TypeError, ValueError):
        return None


def _mistakes(result: GradeResult, lang: str, limit: int = 3) -> list[str]:
    found: list[str] = []
    pairs = [(result.diagnosis, result.message)] + [(c.diagnosis, c.message) for c in result.checks if not c.passed and not c.hidden]
    for code, message in pairs:
        text = diagnosis(code, message, lang) if code else None
        # Plain text in the LMS: the catalogue's backticks (code) would show as such.
        title = text.title.replace("`", "") if text is not None else None
        if title and title not in found:
            found.append(title)
    return found[:limit]


# -- the grade files -------------------------------------------------------------


def _csv(header: Sequence[str], body: Sequence[Sequence[str]], bom: bool) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(body)
    return (BOM if bom else "") + buffer.getvalue()


def canvas_csv(rows: Sequence[Row], assignment: str, assignment_id: Optional[str], bom: bool = True) -> str:
    """Canvas's gradebook import: a row per student, matched by ID; the column ``assignment (id)``."""
    column = f"{assignment} ({assignment_id})" if assignment_id else assignment
    possible = max((r.possible for r in rows), default=0.0)
    body = [["Points Possible", "", "", "", "", points(possible)]]
    body += [[escape.csv_cell(r.name or r.student), r.user_id, "", "", "", points(r.final_points)] for r in rows]
    return _csv([*CANVAS_COLUMNS, column], body, bom)


def moodle_csv(rows: Sequence[Row], graded_at: str, bom: bool = True) -> str:
    """Moodle's offline grading worksheet; ``graded_at`` is ``Last modified (grade)`` (the export's time, ISO 8601 with its zone)."""
    body = []
    for r in rows:
        status = "Submitted for grading" + (" - late" if r.late.late else "")
        body.append(
            [
                f"{MOODLE_PARTICIPANT}{r.user_id}",
                escape.csv_cell(r.name or r.student),
                escape.csv_cell(str(r.identity.get("email") or "")),
                status,
                points(r.final_points),
                points(r.possible),
                "Yes",
                str(r.identity.get("submitted_at") or ""),
                graded_at,
                escape.csv_cell(r.comment),
            ]
        )
    return _csv(MOODLE_COLUMNS, body, bom)


def blackboard_csv(rows: Sequence[Row], assignment: str, column_id: Optional[str], bom: bool = True) -> str:
    """Blackboard's Grade Center upload: matched by Username; the column ``Name [Total Pts: N Score] |id``."""
    possible = max((r.possible for r in rows), default=0.0)
    column = f"{assignment} [Total Pts: {points(possible)} Score]" + (f" |{column_id}" if column_id else "")
    body = []
    for r in rows:
        first, _, last = r.name.rpartition(" ") if " " in r.name else (r.name, "", "")
        body.append([escape.csv_cell(last), escape.csv_cell(first), r.user_id, "", points(r.final_points)])
    return _csv([*BLACKBOARD_COLUMNS, column], body, bom)


def plain_csv(rows: Sequence[Row], bom: bool = True) -> str:
    """Everything, one row per student (``--to csv``)."""
    body = []
    for r in rows:
        late = "" if r.late.late is None else ("yes" if r.late.late else "no")
        days = "" if r.late.days is None else str(r.late.days)
        body.append(
            [
                escape.csv_cell(r.student),
                escape.csv_cell(r.name),
                r.lms,
                escape.csv_cell(r.user_id),
                escape.csv_cell(str(r.identity.get("email") or "")),
                points(r.score),
                points(r.max_score),
                late,
                days,
                points(r.penalty),
                points(r.final),
                points(r.possible),
                points(r.final_points),
                escape.csv_cell(r.comment),
            ]
        )
    return _csv(PLAIN_COLUMNS, body, bom)


def matching(rows: Sequence[Row], target: str) -> tuple[list[Row], list[Unexported]]:
    """The rows the ``target`` LMS can match (graded from its own download), and the others."""
    if target == "csv":
        return list(rows), []
    names = {"canvas": "Canvas", "moodle": "Moodle", "blackboard": "Blackboard"}
    ok = [r for r in rows if r.lms == target and r.user_id]
    left = [Unexported(r.student, f"no {names[target]} id: graded from {r.lms or 'an unknown layout'}, not from a {names[target]} download") for r in rows if not (r.lms == target and r.user_id)]
    return ok, left


# -- feedback zips ----------------------------------------------------------------


def feedback_name(row: Row, target: str, exercise: str) -> Optional[str]:
    """The path of a student's report inside the LMS's feedback zip (None: the LMS could not match it)."""
    file = f"{exercise}-report.html"
    if target == "canvas":
        attachment = str(row.identity.get("submission_id") or "")
        if not (row.user_id.isdigit() and attachment.isdigit()):
            return None
        # Canvas reads the first two all-digit fields: the name part must hold none.
        name = "".join(ch for ch in row.name if ch.isalnum()) or "student"
        if name.isdigit():
            name = "student"
        return f"{name}_{row.user_id}_{attachment}_{file}"
    if target == "moodle":
        if not row.user_id.isdigit():
            return None
        name = (row.name or "Participant").replace("_", " ").replace("/", " ").strip() or "Participant"
        return f"{name}_{row.user_id}_assignfeedback_file_/{file}"
    return None


def feedback_zip(entries: Sequence[tuple[str, bytes]]) -> bytes:
    """A zip of (name, content) pairs, with fixed times and modes (the same reports give the same bytes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries:
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            info.flag_bits |= 0x800  # UTF-8 names (Korean names in Moodle's folders)
            archive.writestr(info, content)
    return buffer.getvalue()
