"""Finding the submissions of a class: folders, nbgrader's layout, LMS downloads.

Student ids, in order of precedence:
1. Gradescope's export: ``submission_metadata.yml`` names the submitters of
   each ``submission_<id>/`` folder.
2. nbgrader's layout ``submitted/<student>/<assignment>/*.ipynb``: the <student> folder.
3. One folder per student (``<root>/<student>/exercise2.py``): the folder's
   name; Moodle's ``Full Name_12345_assignsubmission_file_`` gives ``Full_Name_12345``.
4. Files side by side: Canvas's ``name[_LATE]_userid_attachmentid_file[-N].py``
   gives ``name_userid``; Moodle's flat ``Full Name_12345_assignsubmission_file_file.py``
   gives ``Full_Name_12345``; Blackboard's ``Assignment_user_attempt_<time>_file.py``
   gives ``user`` (of several uploads or attempts of one student, only the
   latest is graded: see ``grader.intake.lms`` for what "latest" means on each
   LMS); any other name gives the file name without its extension and without
   the exercise's name (``kim_exercise2.py`` -> ``kim``).
The LMS's part of a name is read from the left (``grader.intake.lms``), never
from the name the student gave the file.  Each submission carries its
:class:`~grader.intake.submission.Identity`: who it is in the LMS's own ids.
Ids are made safe for file names; a repeated id gets ``-2``, ``-3``... (also
when two ids differ only in case).

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
from grader.intake import lms
from grader.intake.submission import KINDS, Identity, Submission, UsageError, locate

MAX_ZIP_BYTES = 512 * 1024**2
MAX_ZIP_ENTRIES = 100_000
_SKIP = re.compile(r"(^\.|__pycache__|\.ipynb_checkpoints|__MACOSX)")
GRADESCOPE_METADATA = "submission_metadata.yml"

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
                student = student_from_file(Path(path), exercise)
                found.append(locate(path, exercise, student=student, identity=Identity(lms="file", user_id=student)))
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
    metadata = gradescope_people(root / GRADESCOPE_METADATA)
    receipts = _receipts(submitted)
    out: list[Submission] = []
    # Of one student's uploads (the same LMS and LMS id), only the latest is graded.
    latest: dict[tuple[str, str], tuple[tuple[object, ...], Submission]] = {}
    for path in _walk(submitted, skipped, shown):
        relative = path.relative_to(submitted)
        other = detect(lms.original_name(path.name, receipts))
        if other is not None and other != exercise:
            skipped.append((shown(path), f"belongs to {other}, not {exercise}"))
            continue
        order: Optional[tuple[object, ...]] = None
        if metadata and relative.parts[0] in metadata:
            student, identity = metadata[relative.parts[0]]
        elif len(relative.parts) >= 2:
            # A folder per student (nbgrader's submitted/<student>/<assignment>/<file> too):
            # the folder's name is the id, whatever the student named the files inside it.
            if len(relative.parts) >= 3:
                assignment = relative.parts[-2]
                assignment_exercise = detect(assignment)
                if assignment_exercise is not None and assignment_exercise != exercise:
                    skipped.append((shown(path), f"in assignment folder {assignment}, not {exercise}"))
                    continue
            student = student_from_folder(relative.parts[0])
            identity = lms.moodle_folder(relative.parts[0]) or Identity(lms="nbgrader" if len(relative.parts) >= 3 else "folder", user_id=student)
        else:
            named = lms.parse_file(path.name, receipts)
            if named is not None:
                identity, order = named.identity, named.order
                if identity.lms == "blackboard":
                    assignment_exercise = detect(identity.assignment)
                    if assignment_exercise is not None and assignment_exercise != exercise:
                        skipped.append((shown(path), f"in Blackboard assignment {identity.assignment}, not {exercise}"))
                        continue
                student = identity.user_id if identity.lms == "blackboard" else f"{identity.name}_{identity.user_id}"
            else:
                student = student_from_file(path, exercise, fallback)
                identity = Identity(lms="file", user_id=student)
        submission = locate(str(path), exercise, student=safe_id(student), origin=None if shown is str else shown(path), identity=identity)
        if order is not None:
            key = (identity.lms, identity.user_id)
            previous = latest.get(key)
            if previous is not None:
                older, newer = sorted([previous, (order, submission)], key=lambda pair: pair[0])
                skipped.append((older[1].shown, f"an older submission of {submission.student}: {newer[1].shown} is the latest, and is graded"))
                if older is previous:
                    out.remove(previous[1])
                else:
                    continue
            latest[key] = (order, submission)
        out.append(submission)
    return _one_per_folder(out, submitted, exercise, skipped)


def _one_per_folder(submissions: list[Submission], submitted: Path, exercise: str, skipped: list[tuple[str, str]]) -> list[Submission]:
    """One grade per student folder: of several files in it (``hw2 (1).py`` beside ``notes.py``,
    ``exercise2.py`` beside ``exercise2_old.py``), the one whose name is the exercise's, else the
    one that defines the most of its functions; ties go to the first name.  The others are skipped,
    each with the reason."""
    groups: dict[str, list[Submission]] = {}
    for submission in submissions:
        parts = Path(submission.path).relative_to(submitted).parts if Path(submission.path).is_relative_to(submitted) else ()
        if len(parts) >= 2:  # a folder per student (or per Gradescope submission)
            groups.setdefault(parts[0], []).append(submission)
    dropped: set[int] = set()
    for group in groups.values():
        if len(group) < 2:
            continue
        ranked = sorted(group, key=lambda s: _rank(s, exercise))
        chosen = ranked[0]
        for other in ranked[1:]:
            dropped.add(id(other))
            skipped.append((other.shown, f"another file of {chosen.student}: {chosen.shown} is graded ({_why_chosen(chosen, exercise)})"))
    return [s for s in submissions if id(s) not in dropped]


def _rank(submission: Submission, exercise: str) -> tuple[int, int, str]:
    path = Path(submission.path)
    named = 0 if path.stem.lower() == exercise.lower() else 1 if detect(path.name) == exercise else 2
    return (named, -_defines(submission.path, exercise), path.name)


def _why_chosen(submission: Submission, exercise: str) -> str:
    if detect(Path(submission.path).name) == exercise:
        return f"its name is {exercise}'s"
    return f"it defines {_defines(submission.path, exercise)} of {exercise}'s functions"


def _defines(path: str, exercise: str) -> int:
    """How many of the exercise's functions the file defines (a look at its first MiB, not a parse)."""
    from grader.registry import EXERCISES

    try:
        with open(path, "rb") as handle:
            text = handle.read(1 << 20)
    except OSError:
        return 0
    names = EXERCISES[exercise].function_names if exercise in EXERCISES else ()
    return sum(1 for name in names if re.search(rb"def\s+" + re.escape(name.encode()) + rb"\s*\(", text))


def _receipts(folder: Path) -> dict[str, lms.Receipt]:
    """Blackboard's receipts beside the files, by the attempt prefix they name."""
    found: dict[str, lms.Receipt] = {}
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return found
    for entry in entries:
        if entry.suffix.lower() == ".txt" and entry.is_file() and not entry.is_symlink():
            parsed = lms.blackboard_receipt(entry)
            if parsed is not None:
                found[parsed[0]] = parsed[1]
    return found


def student_from_folder(name: str) -> str:
    """A student's folder: Moodle's ``Full Name_12345_assignsubmission_file_`` -> ``Full Name_12345``."""
    identity = lms.moodle_folder(name)
    if identity is not None:
        return f"{identity.name}_{identity.user_id}"
    return name


def lms_file_name(name: str) -> str:
    """The name the student gave the file, without Canvas's, Moodle's or Blackboard's prefix."""
    return lms.original_name(name)


def student_from_file(path: Path, exercise: str, fallback: Optional[str] = None) -> str:
    stem = re.sub(r"exercise[_-]?\d+", "", path.stem, flags=re.IGNORECASE)
    stem = re.sub(r"[_\-. ]+", "_", stem).strip("_")
    return safe_id(stem or fallback or path.parent.name or "student")


def safe_id(text: str) -> str:
    """Letters, digits, ``_``, ``-`` and ``.``; never starting with ``.``, ``_`` or ``-`` (a hidden
    file, an option, or a formula in a spreadsheet)."""
    return re.sub(r"[^\w\-.]+", "_", text, flags=re.UNICODE).strip("._").lstrip("-._") or "student"


def _unique(submissions: list[Submission]) -> list[Submission]:
    """A repeated id gets -2, -3...; ids that differ only in case are repeats too (``Kim``
    and ``kim`` would share one report file on macOS and Windows)."""
    taken: set[str] = set()
    out = []
    for s in submissions:
        base = s.student or "student"
        student, n = base, 1
        while student.casefold() in taken:
            n += 1
            student = f"{base}-{n}"
        taken.add(student.casefold())
        out.append(replace(s, student=student))
    return out


# -- Gradescope's export ----------------------------------------------------


def gradescope_names(path: Path) -> dict[str, str]:
    """``submission_<id>`` -> the submitters' names (and student ids), from Gradescope's export."""
    return {folder: student for folder, (student, _) in gradescope_people(path).items()}


def gradescope_people(path: Path) -> dict[str, tuple[str, Identity]]:
    """``submission_<id>`` -> (the id: the submitters' names and SIDs, their Identity), from Gradescope's export.

    The file is YAML written by Ruby: keys such as ``:submitters:`` and, in
    older exports, tags such as ``!ruby/object:BigDecimal``, read as plain values.
    A missing or unreadable file gives {} (the folder names are the ids then).
    The Identity's ``user_id`` is the SIDs (else the e-mail addresses) joined by ``+``.
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
    people: dict[str, tuple[str, Identity]] = {}
    for folder, entry in data.items():
        if not isinstance(entry, dict):
            continue
        submitters = _field(entry, "submitters")
        ids, names, keys, emails = [], [], [], []
        for person in submitters if isinstance(submitters, list) else []:
            if not isinstance(person, dict):
                continue
            name, sid, email = (_field(person, k) for k in ("name", "sid", "email"))
            parts = [str(p) for p in (name, sid) if p not in (None, "")]
            if parts:
                ids.append("_".join(parts))
                names.append(str(name or ""))
                keys.append(str(sid or email or ""))
                emails.append(str(email or ""))
        if ids:
            created = _field(entry, "created_at")
            number = str(folder).removeprefix("submission_")
            identity = Identity(
                lms="gradescope",
                user_id="+".join(keys),
                name="+".join(names),
                submission_id=number,
                submitted_at="" if created is None else str(created),
                email="+".join(emails),
            )
            people[str(folder)] = ("+".join(ids), identity)
    return people


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
