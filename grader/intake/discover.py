"""Finding the submissions of a class: folders, nbgrader's layout, LMS downloads.

Student ids, in order of precedence:
1. Gradescope's export: ``submission_metadata.yml`` names the submitters of
   each ``submission_<id>/`` folder.
2. nbgrader's layout ``submitted/<student>/<assignment>/*.ipynb``: the <student> folder.
3. One folder per student (``<root>/<student>/exercise2.py``): the folder's
   name; Moodle's ``Full Name_12345_assignsubmission_file_`` gives ``Full_Name_12345``.
4. Files side by side: Canvas's ``name[_LATE]_userid_submissionid_file[-N].py``
   gives ``name_userid``; Blackboard's ``Assignment_user_attempt_<time>_file.py``
   gives ``user`` (of several submissions or attempts of one student, only the
   latest is graded); any
   other name gives the file name without its extension and without the
   exercise's name (``kim_exercise2.py`` -> ``kim``).
Ids are made safe for file names; a repeated id gets ``-2``, ``-3``...

A ``.zip`` is extracted into a temporary folder (no absolute paths, no ``..``,
no links, no bombs; a zip that cannot be extracted safely is refused with one
line and leaves nothing behind), and folders that only wrap the rest (what
compressing a folder gives) are looked through.  Reports then name the file
inside the archive (``class.zip:export/kim/exercise2.py``), never the
temporary copy.  Symbolic links are never followed: they are listed as skipped.
"""
from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable, Optional

from grader.registry import detect
from grader.intake.submission import KINDS, Submission, UsageError, locate

MAX_ZIP_BYTES = 512 * 1024**2
MAX_ZIP_ENTRIES = 100_000
_SKIP = re.compile(r"(^\.|__pycache__|\.ipynb_checkpoints|__MACOSX)")
GRADESCOPE_METADATA = "submission_metadata.yml"

# Canvas: lastfirst[_LATE]_<user id>_<submission id>_<original file name>, a
# resubmitted file name carrying "-1", "-2"...
_CANVAS = re.compile(r"^(?P<name>[^_]+?)(?:_LATE)?_(?P<user>\d+)_(?P<submission>\d+)_(?P<file>.+)$")
# Moodle: one folder per student, "Full Name_<participant id>_assignsubmission_file_".
_MOODLE = re.compile(r"^(?P<name>.+?)_(?P<user>\d+)_assign(?:submission|feedback)_[a-z]+_?$", re.IGNORECASE)
# Blackboard: <assignment>_<user>_attempt_<yyyy-mm-dd-hh-mm-ss>[_<original file name>].
_BLACKBOARD = re.compile(r"^(?P<assignment>.*)_(?P<user>[^_]+)_attempt_(?P<time>\d{4}(?:-\d{2}){5})(?:_(?P<file>.+))?$")


@dataclass(frozen=True)
class Found:
    submissions: list[Submission]
    skipped: list[tuple[str, str]]  # (path, why)
    temporary: list[str] = field(default_factory=list)


def find(paths: Iterable[str], exercise: str) -> Found:
    """The submissions of ``exercise`` under ``paths`` (folders, files, .zip files).

    Raises UsageError when a path is missing, a zip cannot be extracted safely,
    or nothing gradable is found; temporary folders are then already removed.
    """
    paths = list(paths)
    found: list[Submission] = []
    skipped: list[tuple[str, str]] = []
    temporary: list[str] = []
    try:
        for path in paths:
            if os.path.islink(path) and os.path.isfile(path):
                skipped.append((path, "a symbolic link: not followed"))
                continue
            if not os.path.exists(path):
                raise UsageError(f"{path}: no such file or folder. Expected a folder of submissions, nbgrader's submitted/ folder or an LMS .zip.")
            if path.lower().endswith(".zip") and os.path.isfile(path):
                folder = unzip(path)
                temporary.append(folder)
                root, wrapper = unwrap(Path(folder))
                found += _from_folder(root, exercise, skipped, shown=lambda p: f"{path}:{p.relative_to(folder).as_posix()}", fallback=wrapper or Path(path).stem)
                continue
            if os.path.isfile(path):
                found.append(locate(path, exercise, student=student_from_file(Path(path), exercise)))
                continue
            found += _from_folder(Path(path), exercise, skipped)
        if not found:
            raise UsageError(
                f"no submissions found in {', '.join(paths)}; expected .py or .ipynb files, one folder per student, "
                f"nbgrader's submitted/<student>/<assignment>/*.ipynb, or an LMS .zip"
            )
    except BaseException:
        for folder in temporary:
            shutil.rmtree(folder, ignore_errors=True)
        raise
    return Found(_unique(found), skipped, temporary)


def _walk(root: Path, skipped: list[tuple[str, str]], shown: Any) -> list[Path]:
    """Gradable files under ``root``, sorted; links are listed as skipped, never followed."""
    files: list[Path] = []
    for folder, dirs, names in os.walk(root, followlinks=False):
        here = Path(folder)
        dirs.sort()
        for name in list(dirs):
            if _SKIP.search(name):
                dirs.remove(name)
            elif (here / name).is_symlink():
                skipped.append((shown(here / name), "a symbolic link to a folder: not followed"))
                dirs.remove(name)
        for name in sorted(names):
            path = here / name
            if _SKIP.search(name) or path.suffix.lower() not in KINDS:
                continue
            if path.is_symlink():
                skipped.append((shown(path), "a symbolic link: not followed (it would grade another file)"))
                continue
            if path.is_file():
                files.append(path)
    return sorted(files)


def _from_folder(root: Path, exercise: str, skipped: list[tuple[str, str]], shown: Any = str, fallback: Optional[str] = None) -> list[Submission]:
    submitted = root / "submitted" if (root / "submitted").is_dir() else root
    metadata = gradescope_names(root / GRADESCOPE_METADATA)
    out: list[Submission] = []
    attempts: dict[str, tuple[str, Submission]] = {}  # Canvas, Blackboard: student -> (order key, latest submission)
    for path in _walk(submitted, skipped, shown):
        relative = path.relative_to(submitted)
        other = detect(lms_file_name(path.name))
        if other is not None and other != exercise:
            skipped.append((shown(path), f"belongs to {other}, not {exercise}"))
            continue
        attempt = None
        if metadata and relative.parts[0] in metadata:
            student = metadata[relative.parts[0]]
        elif len(relative.parts) >= 3:  # nbgrader: submitted/<student>/<assignment>/<file>
            assignment = relative.parts[-2]
            assignment_exercise = detect(assignment)
            if assignment_exercise is not None and assignment_exercise != exercise:
                skipped.append((shown(path), f"in assignment folder {assignment}, not {exercise}"))
                continue
            student = student_from_folder(relative.parts[0])
        elif len(relative.parts) >= 2:
            student = student_from_folder(relative.parts[0])
        else:
            student, attempt = _from_file_name(path, exercise, fallback)
        submission = locate(str(path), exercise, student=safe_id(student), origin=None if shown is str else shown(path))
        if attempt is not None:
            previous = attempts.get(submission.student or "")
            if previous is not None:
                older = min(previous, (attempt, submission), key=lambda pair: pair[0])
                skipped.append((older[1].shown, f"an older submission of {submission.student}: the latest is graded"))
                if older is previous:
                    out.remove(previous[1])
                else:
                    continue
            attempts[submission.student or ""] = (attempt, submission)
        out.append(submission)
    return out


def student_from_folder(name: str) -> str:
    """A student's folder: Moodle's ``Full Name_12345_assignsubmission_file_`` -> ``Full Name_12345``."""
    match = _MOODLE.match(name)
    if match:
        return f"{match['name']}_{match['user']}"
    return name


def lms_file_name(name: str) -> str:
    """The name the student gave the file, without Canvas's or Blackboard's prefix."""
    stem, suffix = os.path.splitext(name)
    for pattern in (_CANVAS, _BLACKBOARD):
        match = pattern.match(stem)
        if match and match["file"]:
            return match["file"] + suffix
    return name


def _from_file_name(path: Path, exercise: str, fallback: Optional[str]) -> tuple[str, Optional[str]]:
    """(student, a key ordering the student's submissions, or None) from a file among others."""
    stem = path.stem
    match = _CANVAS.match(stem)
    if match:
        # Canvas's submission ids grow: the highest is the student's latest submission.
        return f"{match['name']}_{match['user']}", f"{int(match['submission']):020d}"
    match = _BLACKBOARD.match(stem)
    if match:
        return match["user"], match["time"]
    return student_from_file(path, exercise, fallback), None


def student_from_file(path: Path, exercise: str, fallback: Optional[str] = None) -> str:
    stem = re.sub(r"exercise[_-]?\d+", "", path.stem, flags=re.IGNORECASE)
    stem = re.sub(r"[_\-. ]+", "_", stem).strip("_")
    return safe_id(stem or fallback or path.parent.name or "student")


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
        out.append(replace(s, student=student))
    return out


# -- Gradescope's export ----------------------------------------------------


def gradescope_names(path: Path) -> dict[str, str]:
    """``submission_<id>`` -> the submitters' names (and student ids), from Gradescope's export.

    The file is YAML written by Ruby: keys such as ``:submitters:`` and, in
    older exports, tags such as ``!ruby/object:BigDecimal``, read as plain values.
    A missing or unreadable file gives {} (the folder names are the ids then).
    """
    if not path.is_file() or path.is_symlink():
        return {}
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    def untagged(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
        if isinstance(node, yaml.MappingNode):
            return loader.construct_mapping(node)
        if isinstance(node, yaml.SequenceNode):
            return loader.construct_sequence(node)
        return loader.construct_scalar(node)  # type: ignore[arg-type]

    Loader.add_multi_constructor("!", untagged)
    try:
        data = yaml.load(path.read_text(encoding="utf-8", errors="replace"), Loader=Loader)  # noqa: S506 (a SafeLoader)
    except yaml.YAMLError:
        return {}
    if not isinstance(data, dict):
        return {}
    names: dict[str, str] = {}
    for folder, entry in data.items():
        if not isinstance(entry, dict):
            continue
        submitters = _field(entry, "submitters")
        people = []
        for person in submitters if isinstance(submitters, list) else []:
            if not isinstance(person, dict):
                continue
            name, sid = _field(person, "name"), _field(person, "sid")
            parts = [str(p) for p in (name, sid) if p not in (None, "")]
            if parts:
                people.append("_".join(parts))
        if people:
            names[str(folder)] = "+".join(people)
    return names


def _field(mapping: dict[Any, Any], name: str) -> Any:
    for key in (f":{name}", name):
        if key in mapping:
            return mapping[key]
    return None


# -- zip files ----------------------------------------------------------------


def unwrap(root: Path) -> tuple[Path, Optional[str]]:
    """Look through folders that only wrap the rest (``export/`` in ``export/kim/exercise2.py``).

    A folder that holds only files is a student's own folder and stays.
    Returns the folder that holds the class and the innermost wrapper's name, or None.
    """
    wrapper = None
    while True:
        entries = _entries(root)
        if len(entries) != 1 or not entries[0].is_dir() or entries[0].is_symlink() or entries[0].name == "submitted":
            return root, wrapper
        # A folder of files only is a student's own folder, not a wrapper: its name is the id.
        if not any(e.is_dir() and not e.is_symlink() for e in _entries(entries[0])):
            return root, wrapper
        root, wrapper = entries[0], entries[0].name


def _entries(folder: Path) -> list[Path]:
    return [e for e in folder.iterdir() if not _SKIP.search(e.name)]


def _member_name(info: zipfile.ZipInfo) -> str:
    """The entry's name; without the UTF-8 flag, zip tools on Korean Windows write CP949."""
    name = info.filename
    if not info.flag_bits & 0x800:
        try:
            raw = name.encode("cp437")
        except UnicodeEncodeError:
            return name
        for encoding in ("utf-8", "cp949"):
            try:
                return raw.decode(encoding)
            except UnicodeDecodeError:
                continue
    return name


def unzip(path: str) -> str:
    """Extract an LMS download into a new temporary folder, safely, and return it.

    Entries with absolute paths, ``..`` or a link's mode are left out.  Raises
    UsageError (and leaves nothing behind) when the file is not a zip, is
    encrypted, expands past MAX_ZIP_BYTES or MAX_ZIP_ENTRIES, or holds entries
    that clash (a file ``kim`` and a folder ``kim/``, or a name twice).
    """
    folder = tempfile.mkdtemp(prefix="grader-zip-")
    try:
        _extract(path, Path(folder))
    except UsageError:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, RuntimeError, EOFError, ValueError, NotImplementedError) as exc:
        shutil.rmtree(folder, ignore_errors=True)
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise UsageError(f"{path}: cannot be extracted safely ({reason}); expected the .zip your LMS or Gradescope exports, or unpack it yourself and grade the folder") from None
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return folder


def _extract(path: str, folder: Path) -> None:
    total = 0
    written: set[str] = set()  # files
    folders: set[str] = set()  # every folder some entry names or lies in
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
        if len(members) > MAX_ZIP_ENTRIES:
            raise UsageError(f"{path}: holds more than {MAX_ZIP_ENTRIES} entries; unpack it yourself and grade the folder")
        for info in members:
            name = _member_name(info).replace("\\", "/")
            parts = [p for p in name.split("/") if p not in ("", ".")]
            if name.startswith("/") or re.match(r"^[A-Za-z]:", name) or ".." in parts or not parts or "\x00" in name:
                continue
            relative = "/".join(parts)
            above = ["/".join(parts[:i]) for i in range(1, len(parts))]
            clash = next((p for p in above if p in written), None)
            if info.is_dir():
                clash = relative if relative in written else clash
                if clash is None:
                    folders.update([*above, relative])
                    continue
            mode = info.external_attr >> 16
            if clash is None and relative in folders:
                clash = relative
            if clash is not None:
                raise UsageError(f"{path}: holds both a file and a folder named {clash!r}; unpack it yourself and grade the folder")
            if stat.S_IFMT(mode) and not stat.S_ISREG(mode):  # a link or a device: never created
                continue
            if relative in written:
                raise UsageError(f"{path}: holds {relative!r} twice; unpack it yourself and grade the folder")
            written.add(relative)
            folders.update(above)
            target = folder.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as source, open(target, "xb") as sink:
                while True:
                    chunk = source.read(1 << 20)
                    if not chunk:
                        break
                    total += len(chunk)
                    if total > MAX_ZIP_BYTES:
                        raise UsageError(f"{path}: expands to more than {MAX_ZIP_BYTES // 2**20} MiB; unpack it yourself and grade the folder")
                    sink.write(chunk)
