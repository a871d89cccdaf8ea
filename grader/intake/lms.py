"""Who a file belongs to, read from the part of its name that the LMS wrote.

Every LMS puts its own prefix before the name the student gave the file.  The
student chooses the rest of the name, so a parser that searched the whole name
(or read it from the right) could be steered: a Blackboard upload named
``exercise2_<victim>_attempt_<later time>_x.py`` was once taken for the victim's
latest attempt.  Each parser here is anchored at the start of the name and
reads the LMS's fields from the left, the way the LMS reads its own names when
they come back:

* Canvas ("Download Submissions"): ``lastfirst[_LATE]_<user id>_<attachment id>_<file>``.
  Canvas's own re-upload reads the first two all-digit fields of the name,
  split on ``_``, as the user id and the attachment id
  (``Assignment#infer_comment_context_from_filename``, canvas-lms); so do we,
  and they must be adjacent.  A file the student re-uploaded under the same name
  gets ``-1``, ``-2`` ... before its extension (``exercise2-1.py``).
* Moodle ("Download all submissions"): ``<Full Name>_<participant id>_assignsubmission_<plugin>_``
  as a folder per student, or as the prefix of each file (the flat download).
  Moodle writes the full name with ``_`` replaced by spaces, and its feedback
  importer reads the participant id as the second ``_`` field
  (``assignfeedback_file_zip_importer::is_valid_filename_for_import``).
* Blackboard ("Download assignment"): ``<assignment>_<user>_attempt_<yyyy-mm-dd-hh-mm-ss>[_<file>]``,
  and a receipt ``<assignment>_<user>_attempt_<time>.txt`` per attempt, whose
  first lines name the student and the assignment.  The first ``_attempt_<time>``
  from the left ends the LMS's part; the assignment name comes from the receipt,
  so that a user name with ``_`` is read whole.

Nothing here trusts what follows the LMS's prefix: that part only decides
which exercise a file is (``file``), and the order of one student's own files.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from grader.intake.submission import Identity

_DIGITS = re.compile(r"[0-9]+")
_RESUBMITTED = re.compile(r"^(?P<base>.+)-(?P<n>[0-9]+)$")
_MOODLE_FOLDER = re.compile(r"^(?P<name>[^_]+)_(?P<user>[0-9]+)_assign(?:submission|feedback)_[a-z]+_?$", re.IGNORECASE)
_MOODLE_FILE = re.compile(r"^(?P<name>[^_]+)_(?P<user>[0-9]+)_assignsubmission_(?P<plugin>[a-z]+)_(?P<file>.+)$", re.IGNORECASE)
_BLACKBOARD = re.compile(r"^(?P<prefix>.+?_attempt_(?P<time>[0-9]{4}(?:-[0-9]{2}){5}))(?:_(?P<file>.+))?$")
_BLACKBOARD_RECEIPT = re.compile(r"^(?P<head>.+?)_attempt_(?P<time>[0-9]{4}(?:-[0-9]{2}){5})$")
_RECEIPT_NAME = re.compile(r"^Name:\s*(?P<name>.*?)\s*\((?P<user>[^()\s]+)\)\s*$")
_RECEIPT_ASSIGNMENT = re.compile(r"^Assignment:\s*(?P<assignment>.+?)\s*$")
RECEIPT_BYTES = 4096  # the receipt's first lines are the LMS's; the student's comments come later


@dataclass(frozen=True)
class Named:
    """What the LMS's part of a file name says: who, which upload, and the student's own file name."""

    identity: Identity
    order: tuple[object, ...]  # sorts one student's uploads, the latest last
    file: str  # the name the student gave the file (decides the exercise, never the student)


@dataclass(frozen=True)
class Receipt:
    """A Blackboard receipt: the attempt's prefix, and what its first lines say."""

    assignment: str
    user: str
    name: str


def canvas(file_name: str) -> Optional[Named]:
    """Canvas's ``lastfirst[_LATE]_<user id>_<attachment id>_<file>``, or None.

    The user id is the first all-digit ``_`` field from the left, the
    attachment id the field right after it.  Of one student's files, the one
    re-uploaded most often (``-N``) is the latest, then the highest attachment
    id (Canvas numbers uploads in the order they arrive).
    """
    parts = file_name.split("_")
    first = next((i for i, part in enumerate(parts) if _DIGITS.fullmatch(part)), None)
    if first is None or first == 0 or first + 2 >= len(parts) or not _DIGITS.fullmatch(parts[first + 1]):
        return None
    head, late = parts[:first], False
    if len(head) > 1 and head[-1] == "LATE":
        head, late = head[:-1], True
    original = "_".join(parts[first + 2 :])
    if not original:
        return None
    stem, dot, _ = original.rpartition(".")
    stem = stem if dot else original
    resubmitted = _RESUBMITTED.match(stem)
    times = int(resubmitted["n"]) if resubmitted else 0
    user, attachment = parts[first], parts[first + 1]
    identity = Identity(lms="canvas", user_id=user, name="_".join(head), submission_id=attachment, late=late)
    return Named(identity, ("canvas", times, int(attachment)), original)


def moodle_folder(folder_name: str) -> Optional[Identity]:
    """Moodle's ``Full Name_<participant id>_assignsubmission_file_`` folder, or None."""
    match = _MOODLE_FOLDER.match(folder_name)
    if not match:
        return None
    return Identity(lms="moodle", user_id=match["user"], name=match["name"])


def moodle_file(file_name: str) -> Optional[Named]:
    """Moodle's flat download, ``Full Name_<participant id>_assignsubmission_file_<file>``, or None."""
    match = _MOODLE_FILE.match(file_name)
    if not match:
        return None
    identity = Identity(lms="moodle", user_id=match["user"], name=match["name"])
    return Named(identity, ("moodle",), match["file"])


def blackboard(file_name: str, receipts: dict[str, Receipt]) -> Optional[Named]:
    """Blackboard's ``<assignment>_<user>_attempt_<time>[_<file>]``, or None.

    The LMS's part ends at the first ``_attempt_<time>`` from the left.  Its
    receipt (``receipts``, by that prefix) gives the assignment name, hence the
    user name whole; without one, the user is the last ``_`` field before
    ``_attempt_``.  A later attempt time is a later attempt.
    """
    match = _BLACKBOARD.match(file_name)
    if not match:
        return None
    prefix = match["prefix"]
    head = prefix[: -len("_attempt_") - len(match["time"])]
    receipt = receipts.get(prefix)
    if receipt is not None:
        assignment, user, name = receipt.assignment, receipt.user, receipt.name
    else:
        assignment, _, user = head.rpartition("_")
        name = ""
    if not user or not assignment:
        return None
    submitted = _blackboard_time(match["time"])
    identity = Identity(lms="blackboard", user_id=user, name=name, submission_id=match["time"], submitted_at=submitted, assignment=assignment)
    return Named(identity, ("blackboard", match["time"]), match["file"] or "")


def blackboard_receipt(path: Path) -> Optional[tuple[str, Receipt]]:
    """(prefix, receipt) for a Blackboard receipt ``<assignment>_<user>_attempt_<time>.txt``, else None.

    Only the receipt's first lines are read (``Name: Full Name (user)`` and
    ``Assignment: name``): what follows quotes the student's own comments.  A
    receipt whose assignment or user does not match its file name is ignored.
    """
    if path.suffix.lower() != ".txt" or path.is_symlink():
        return None
    match = _BLACKBOARD_RECEIPT.match(path.stem)
    if not match:
        return None
    try:
        with open(path, "rb") as handle:
            head = handle.read(RECEIPT_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return None
    lines = head.splitlines()[:3]
    name = next((m for m in map(_RECEIPT_NAME.match, lines[:1]) if m), None)
    assignment = next((m for m in map(_RECEIPT_ASSIGNMENT.match, lines[1:3]) if m), None)
    if name is None or assignment is None:
        return None
    expected = f"{assignment['assignment']}_{name['user']}"
    if match["head"] != expected:
        return None
    return path.stem, Receipt(assignment=assignment["assignment"], user=name["user"], name=name["name"])


def original_name(file_name: str, receipts: Optional[dict[str, Receipt]] = None) -> str:
    """The name the student gave the file, without Canvas's, Moodle's or Blackboard's prefix."""
    for parse in (canvas, moodle_file, lambda name: blackboard(name, receipts or {})):
        named = parse(file_name)
        if named is not None and named.file:
            return named.file
    return file_name


def parse_file(file_name: str, receipts: dict[str, Receipt]) -> Optional[Named]:
    """The LMS's reading of a file among others (not in a student's folder), or None."""
    for parse in (canvas, moodle_file):
        named = parse(file_name)
        if named is not None:
            return named
    return blackboard(file_name, receipts)


def _blackboard_time(text: str) -> str:
    """'2026-03-03-21-45-10' -> '2026-03-03T21:45:10' (the server's local time: no zone)."""
    date, clock = text[:10], text[11:]
    return f"{date}T{clock.replace('-', ':')}"
