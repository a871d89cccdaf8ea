"""Finding the submissions of a class: folders, nbgrader's layout, LMS zip files.

Student ids, in order of precedence:
1. nbgrader's layout ``submitted/<student>/<assignment>/*.ipynb``: the <student> folder.
2. One folder per student (``<root>/<student>/exercise2.py``): the folder's name.
3. Files side by side (``<root>/kim_exercise2.py``): the file name without its
   extension and without the exercise's name (``kim``); a file named only after
   the exercise (``exercise2.py``) takes its folder's name.
Ids are made safe for file names; a repeated id gets ``-2``, ``-3``...
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from grader.registry import detect
from grader.submission import KINDS, Submission, UsageError, locate

MAX_ZIP_BYTES = 512 * 1024**2
_SKIP = re.compile(r"(^\.|__pycache__|\.ipynb_checkpoints|__MACOSX)")


@dataclass(frozen=True)
class Found:
    submissions: list[Submission]
    skipped: list[tuple[str, str]]  # (path, why)
    temporary: list[str]


def find(paths: Iterable[str], exercise: str) -> Found:
    found: list[Submission] = []
    skipped: list[tuple[str, str]] = []
    temporary: list[str] = []
    for path in paths:
        if not os.path.exists(path):
            raise UsageError(f"{path}: no such file or folder. Expected a folder of submissions, nbgrader's submitted/ folder or an LMS .zip.")
        if path.lower().endswith(".zip"):
            folder = _unzip(path)
            temporary.append(folder)
            path = folder
        if os.path.isfile(path):
            found.append(locate(path, exercise, student=student_from_file(Path(path), exercise)))
            continue
        found += _from_folder(Path(path), exercise, skipped)
    if not found:
        raise UsageError(
            f"no submissions found in {', '.join(paths)}; expected .py or .ipynb files, one folder per student, "
            f"or nbgrader's submitted/<student>/<assignment>/*.ipynb"
        )
    return Found(_unique(found), skipped, temporary)


def _from_folder(root: Path, exercise: str, skipped: list[tuple[str, str]]) -> list[Submission]:
    submitted = root / "submitted" if (root / "submitted").is_dir() else root
    out: list[Submission] = []
    for path in sorted(submitted.rglob("*")):
        relative = path.relative_to(submitted)
        if any(_SKIP.search(part) for part in relative.parts) or not path.is_file():
            continue
        if path.suffix.lower() not in KINDS:
            continue
        other = detect(path.name)
        if other is not None and other != exercise:
            skipped.append((str(path), f"belongs to {other}, not {exercise}"))
            continue
        if len(relative.parts) >= 3:  # nbgrader: <student>/<assignment>/<file>
            assignment = relative.parts[-2]
            assignment_exercise = detect(assignment)
            if assignment_exercise is not None and assignment_exercise != exercise:
                skipped.append((str(path), f"in assignment folder {assignment}, not {exercise}"))
                continue
            student = relative.parts[0]
        elif len(relative.parts) == 2:
            student = relative.parts[0]
        else:
            student = student_from_file(path, exercise)
        out.append(locate(str(path), exercise, student=safe_id(student)))
    return out


def student_from_file(path: Path, exercise: str) -> str:
    stem = re.sub(r"exercise[_-]?\d+", "", path.stem, flags=re.IGNORECASE)
    stem = re.sub(r"[_\-. ]+", "_", stem).strip("_")
    return safe_id(stem or path.parent.name or "student")


def safe_id(text: str) -> str:
    return re.sub(r"[^\w\-.]+", "_", text, flags=re.UNICODE).strip("._") or "student"


def _unique(submissions: list[Submission]) -> list[Submission]:
    seen: dict[str, int] = {}
    out = []
    for s in submissions:
        student = s.student or "student"
        seen[student] = seen.get(student, 0) + 1
        if seen[student] > 1:
            student = f"{student}-{seen[student]}"
        out.append(Submission(s.path, s.kind, s.exercise, student))
    return out


def _unzip(path: str) -> str:
    """Extract an LMS download safely: no absolute paths, no '..', no bombs."""
    folder = tempfile.mkdtemp(prefix="grader-zip-")
    try:
        with zipfile.ZipFile(path) as archive:
            total = 0
            for info in archive.infolist():
                name = info.filename
                if name.startswith("/") or ".." in Path(name).parts or info.is_dir():
                    continue
                total += info.file_size
                if total > MAX_ZIP_BYTES:
                    raise UsageError(f"{path}: expands to more than {MAX_ZIP_BYTES // 2**20} MiB; unpack it yourself and grade the folder")
                target = Path(folder) / name
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(info) as source, open(target, "wb") as sink:
                    shutil.copyfileobj(source, sink)
    except zipfile.BadZipFile as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise UsageError(f"{path}: not a readable zip file ({exc}); expected the archive your LMS or Gradescope exports") from None
    return folder
