"""``grade export DIR --to canvas|moodle|blackboard|csv``: the grades of a ``grade batch`` folder, as the LMS imports them.

Reads ``results.jsonl`` (scores after the overrides, the LMS's ids read at
intake) and ``reports/``; writes the grade file and, for Canvas and Moodle, the
reports zipped for the LMS's "upload feedback" (grader.report.lms_export).  A
late policy applies here only (grader.report.late).
"""
from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from datetime import datetime
from typing import Any

from grader.cli.outfolder import RESULTS, load_results, mode_option, previous_manifest, report_path
from grader.intake.submission import UsageError
from grader.messages import LANGUAGES, default_language
from grader.report import escape, lms_export
from grader.report.common import points
from grader.report.late import Policy, parse_amount, parse_due
from grader.report.outputs import write_atomic, write_bytes_atomic

DESCRIPTION = """\
Write the file an LMS imports from the output folder of `grade batch` (or `grade merge`),
and, for Canvas and Moodle, the students' reports zipped for the LMS's "upload feedback".

The students are matched by the LMS's own ids, read from its download when the class was
graded: grade the LMS's download (its .zip, or the folder it unpacks to), not renamed copies.
"""

EPILOG = """\
what to upload, and where:
  canvas      DIR/canvas-grades.csv       Grades > Import; then the assignment's "Re-Upload Submissions"
              DIR/canvas-feedback.zip     attaches each report to its student's submission as a comment
  moodle      DIR/moodle-grades.csv       the assignment > View all submissions > Grading action:
              DIR/moodle-feedback.zip     "Upload grading worksheet" (Moodle in English; enable the
                                          "Offline grading worksheet" feedback type) and "Upload multiple
                                          feedback files in a zip" ("Feedback files" enabled)
  blackboard  DIR/blackboard-grades.csv   Grade Center > Work Offline > Upload
  csv         DIR/csv-grades.csv          every field, for anything else

late policy (applied in the export only; the gradebook keeps the earned score):
  --late-penalty 10%        late loses 10% of the points possible, once
  --late-penalty 10%/day    10% per started day late (needs --due, and a time from the LMS:
                            Blackboard's attempt time, Gradescope's; Canvas only flags LATE)
  --late-penalty 1 / 1/day  points instead of percent
  --late-cap 50%            the most a penalty takes (percent or points)
"""


UPLOAD = {
    "canvas": "Grades > Import (the grades); the assignment's Re-Upload Submissions (the feedback zip). Check the points: --points N scales to the assignment's",
    "moodle": "the assignment > View all submissions > Grading action > Upload grading worksheet (Moodle in English), then Upload multiple feedback files in a zip",
    "blackboard": "Grade Center > Work Offline > Upload (with --assignment-id, the existing column is updated; without it, a new one is added)",
    "csv": "anywhere: one row per student, every field",
}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="grade export", description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", metavar="DIR", help="the --out folder of `grade batch` or `grade merge`")
    parser.add_argument("--to", required=True, choices=lms_export.TARGETS, help="the LMS that imports the file")
    parser.add_argument("--out", metavar="FILE", help="the grade file (default: DIR/<LMS>-grades.csv)")
    parser.add_argument("--feedback", metavar="ZIP", help="the feedback zip, Canvas and Moodle (default: DIR/<LMS>-feedback.zip)")
    parser.add_argument("--no-feedback", action="store_true", help="write no feedback zip")
    parser.add_argument("--points", type=float, metavar="N", help="the assignment's points in the LMS; scores are scaled to it (default: the exercise's, e.g. 9)")
    parser.add_argument("--assignment", metavar="NAME", help="the LMS's assignment (Canvas) or column (Blackboard) name (default: Blackboard's from its download, else the exercise)")
    parser.add_argument(
        "--assignment-id",
        metavar="ID",
        help="Canvas's assignment id, Blackboard's Column ID: the LMS then updates that column (without it, Canvas and Blackboard add a new one)",
    )
    parser.add_argument("--late-penalty", metavar="AMOUNT", help="what a late submission loses: 10%%, 10%%/day, 1 or 1/day (default: nothing)")
    parser.add_argument("--late-cap", metavar="AMOUNT", help="the most a late penalty takes: 50%% or 5 (default: no cap)")
    parser.add_argument("--due", metavar="DATETIME", help="the due date, ISO 8601 (2026-03-02T23:59, or with its zone, +09:00), for LMSs that give a time")
    parser.add_argument("--lang", choices=LANGUAGES, default=None, help="language of the feedback comments (default: from the locale)")
    parser.add_argument("--no-bom", action="store_true", help="no UTF-8 byte-order mark (it is there for Excel)")
    parser.add_argument("--mode", type=mode_option, default=None, metavar="MODE", help="permissions of the files written, e.g. 0640 (default: the umask's)")
    args = parser.parse_args(argv)
    lang = args.lang or default_language()
    if not os.path.isfile(os.path.join(args.folder, RESULTS)):
        raise UsageError(f"{args.folder}: no {RESULTS} found; expected the --out folder of `grade batch` (grade the class first)")
    policy = Policy(
        penalty=parse_amount(args.late_penalty, "--late-penalty") if args.late_penalty else None,
        cap=parse_amount(args.late_cap, "--late-cap", per_day=False) if args.late_cap else None,
        due=parse_due(args.due) if args.due else None,
    )
    if args.points is not None and args.points <= 0:
        raise UsageError(f"--points expects the assignment's points in the LMS, a number above 0; found {args.points:g}")
    records = [r for _, r in sorted(load_results(args.folder).items())]
    rows, left = lms_export.rows(records, policy, args.points, lang)
    rows, unmatched = lms_export.matching(rows, args.to)
    left += unmatched
    if not rows:
        raise UsageError(_nothing(args.to, left))
    out = args.out or os.path.join(args.folder, f"{args.to}-grades.csv")
    write_atomic(out, _grade_file(args, rows, records), args.mode)
    print(f"{args.to}: {out}: {len(rows)} students" + _late_note(rows))
    if args.to in lms_export.FEEDBACK and not args.no_feedback:
        _write_feedback(args, rows)
    print(f"upload: {UPLOAD[args.to]}")
    for item in left:
        print(escape.terminal(f"  not exported: {item.student}: {item.why}"), file=sys.stderr)
    return 0


def _grade_file(args: argparse.Namespace, rows: list[lms_export.Row], records: list[dict[str, Any]]) -> str:
    bom = not args.no_bom
    if args.to == "canvas":
        return lms_export.canvas_csv(rows, args.assignment or _exercise(args.folder, records), args.assignment_id, bom)
    if args.to == "moodle":
        return lms_export.moodle_csv(rows, datetime.now().astimezone().isoformat(timespec="seconds"), bom)
    if args.to == "blackboard":
        named = Counter(str(r.identity.get("assignment") or "") for r in rows if r.identity.get("assignment"))
        assignment = args.assignment or (named.most_common(1)[0][0] if named else _exercise(args.folder, records))
        return lms_export.blackboard_csv(rows, assignment, args.assignment_id, bom)
    return lms_export.plain_csv(rows, bom)


def _exercise(folder: str, records: list[dict[str, Any]]) -> str:
    settings = previous_manifest(folder).get("settings")
    if isinstance(settings, dict) and isinstance(settings.get("exercise"), str):
        return str(settings["exercise"])
    return str(records[0].get("exercise") or "exercise") if records else "exercise"


def _write_feedback(args: argparse.Namespace, rows: list[lms_export.Row]) -> None:
    entries: list[tuple[str, bytes]] = []
    missing: list[str] = []
    exercise = _exercise(args.folder, [])
    for row in rows:
        name = lms_export.feedback_name(row, args.to, exercise)
        report = report_path(args.folder, row.student)
        if name is None or not os.path.isfile(report) or os.path.islink(report):
            missing.append(row.student)
            continue
        with open(report, "rb") as handle:
            entries.append((name, handle.read()))
    path = args.feedback or os.path.join(args.folder, f"{args.to}-feedback.zip")
    write_bytes_atomic(path, lms_export.feedback_zip(entries), args.mode)
    print(f"{args.to}: {path}: {len(entries)} reports")
    for student in missing:
        print(escape.terminal(f"  no feedback file for {student}: no report in {os.path.join(args.folder, 'reports')}, or no {args.to} id to name it by"), file=sys.stderr)


def _late_note(rows: list[lms_export.Row]) -> str:
    late = [r for r in rows if r.penalty > 0]
    if not late:
        return ""
    return f" ({len(late)} late: " + ", ".join(escape.terminal(f"{r.student} -{points(r.penalty)}") for r in late[:10]) + (", ..." if len(late) > 10 else "") + ")"


def _nothing(target: str, left: list[lms_export.Unexported]) -> str:
    reasons = Counter(item.why for item in left)
    why = "; ".join(f"{n} × {reason}" for reason, n in reasons.most_common(3)) or "the folder holds no graded submission"
    return (
        f"no student can be exported to {target}: {why}. Grade the {target} download itself (its .zip, or the folder it unpacks to), "
        f"or export with --to csv"
    )

