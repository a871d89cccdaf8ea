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
class Submission:
    path: str
    kind: str
    exercise: str
    student: Optional[str] = None
    origin: Optional[str] = None  # what reports call the file when ``path`` is a temporary copy ("class.zip:kim/exercise2.py")

    @property
    def name(self) -> str:
        return os.path.basename(self.path)

    @property
    def shown(self) -> str:
        """The file as the user knows it: inside its archive, not in a temporary folder."""
        return self.origin or self.path


def locate(path: str, exercise: Optional[str] = None, student: Optional[str] = None, origin: Optional[str] = None, kind: Optional[str] = None) -> Submission:
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
    return Submission(path=path, kind=kind or KINDS[suffix], exercise=name, student=student, origin=origin)
