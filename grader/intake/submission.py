"""A submission: which file, what kind, which exercise."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Optional

from grader.registry import EXERCISES, detect

KINDS = {".py": "py", ".ipynb": "ipynb"}


class UsageError(Exception):
    """A problem with what the user asked for (exit status 2): says what was expected and what to do."""


@dataclass(frozen=True)
class Identity:
    """Who a submission belongs to, in the LMS's own terms (read at intake, carried to ``grade export``).

    ``lms``: canvas, moodle, blackboard, gradescope, nbgrader, folder or file.
    ``user_id``: the id the LMS matches grades on (Canvas's user id, Moodle's
    participant id, Blackboard's user name, Gradescope's SID; else the folder's
    or file's id).  ``submission_id``: Canvas's attachment id, Gradescope's
    submission id, Blackboard's attempt time.  ``submitted_at``: ISO 8601, when
    the LMS says (Blackboard: the server's local time, no zone).  ``late``: the
    LMS's own flag (Canvas's ``LATE``), None when it has none.
    """

    lms: str
    user_id: str
    name: str = ""
    submission_id: str = ""
    submitted_at: str = ""
    late: Optional[bool] = None
    email: str = ""
    assignment: str = ""


@dataclass(frozen=True)
class Submission:
    path: str
    kind: str
    exercise: str
    student: Optional[str] = None
    origin: Optional[str] = None  # what reports call the file when ``path`` is a temporary copy ("class.zip:kim/exercise2.py")
    identity: Optional[Identity] = None  # who, as the LMS knows them (grader.intake.lms)

    @property
    def name(self) -> str:
        return os.path.basename(self.path)

    @property
    def shown(self) -> str:
        """The file as the user knows it: inside its archive, not in a temporary folder."""
        return self.origin or self.path


def locate(
    path: str, exercise: Optional[str] = None, student: Optional[str] = None, origin: Optional[str] = None, kind: Optional[str] = None, identity: Optional[Identity] = None
) -> Submission:
    """Check that ``path`` is a gradable file and work out its exercise.

    ``kind`` overrides the one the suffix gives (a notebook uploaded as ``.py``).
    Raises UsageError for a missing file, a folder, a symbolic link, an unknown
    suffix or an exercise that cannot be told.
    """
    if os.path.islink(path):
        raise UsageError(
            f"{path} is a symbolic link. The grader never follows links (it would grade another file): "
            f"grade the file itself, e.g. `cp --dereference {path} copy.py`."
        )
    if not os.path.exists(path):
        raise UsageError(f"{path}: no such file. Expected a .py or .ipynb submission, e.g. `grade exercise2.py` (run `grade init` to get the stubs).")
    if os.path.isdir(path):
        raise UsageError(f"{path} is a folder. Grade a file (`grade {path}/exercise2.py`), or a whole class with `grade batch {path} --exercise NAME --out DIR`.")
    suffix = os.path.splitext(path)[1].lower()
    if kind is None and suffix not in KINDS:
        raise UsageError(f"{path}: expected a .py file or a .ipynb notebook, found {suffix or 'no extension'}.")
    name = exercise or detect(os.path.basename(path))
    if name is None:
        raise UsageError(
            f"{path}: cannot tell which exercise this is. Name the file after it (exercise1.py … exercise5.py) or pass --exercise NAME (one of {', '.join(EXERCISES)})."
        )
    if name not in EXERCISES:
        raise UsageError(f"unknown exercise {name!r}: expected one of {', '.join(EXERCISES)} (see `grade list`).")
    return Submission(path=path, kind=kind or KINDS[suffix], exercise=name, student=student, origin=origin, identity=identity)
