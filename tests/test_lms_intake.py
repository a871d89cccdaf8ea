"""Who a file belongs to is read from the LMS's part of its name, never from the student's.

One spoofing upload per layout: a student names a file (or a folder inside
their own) after another student, in that LMS's own format, with a later time
or a higher resubmission number.  The victim keeps their own file, and the
attacker's upload stays the attacker's.  No grading here: intake only.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import TESTS
from grader.intake import lms
from grader.intake.discover import find

FIXTURES = TESTS / "fixtures"
STUB = TESTS.parent / "exercises" / "exercise2.py"


def by_student(folder: Path) -> dict[str, Path]:
    found = find([str(folder)], "exercise2")
    return {s.student or "": Path(s.path) for s in found.submissions}


def copy(fixture: str, tmp_path: Path) -> Path:
    klass = tmp_path / fixture
    shutil.copytree(FIXTURES / fixture, klass)
    return klass


def test_canvas_spoof(tmp_path: Path) -> None:
    klass = copy("canvas", tmp_path)
    # park uploads a file named in Canvas's format after kim, resubmitted nine times.
    spoof = klass / "parkseoyeon_34567_900002_kimminsu_12345_999999_exercise2-9.py"
    shutil.copy(STUB, spoof)
    found = find([str(klass)], "exercise2")
    files = {s.student: Path(s.path).name for s in found.submissions}
    assert files["kimminsu_12345"] == "kimminsu_12345_678901_exercise2.py"
    assert files["parkseoyeon_34567"] == spoof.name
    assert [Path(p).name for p, _ in found.skipped] == ["parkseoyeon_34567_890123_my_homework.py"]
    kim = next(s for s in found.submissions if s.student == "kimminsu_12345")
    assert kim.identity is not None and (kim.identity.user_id, kim.identity.submission_id) == ("12345", "678901")


def test_canvas_resubmission_is_the_latest(tmp_path: Path) -> None:
    """exercise2-1.py is the re-upload of exercise2.py: it is graded, even with a lower attachment id."""
    klass = copy("canvas", tmp_path)
    shutil.copy(STUB, klass / "leejiwoo_23456_799999_exercise2.py")
    found = find([str(klass)], "exercise2")
    (lee,) = [s for s in found.submissions if s.student == "leejiwoo_23456"]
    assert Path(lee.path).name == "leejiwoo_LATE_23456_789012_exercise2-1.py"
    assert lee.identity is not None and lee.identity.late is True
    assert [Path(p).name for p, why in found.skipped if "older" in why] == ["leejiwoo_23456_799999_exercise2.py"]


def test_moodle_folder_spoof(tmp_path: Path) -> None:
    klass = copy("moodle", tmp_path)
    own = klass / "Park Seoyeon_34567_assignsubmission_file_"
    own.mkdir()
    shutil.copy(STUB, own / "Kim Minsu_12345_assignsubmission_file_exercise2.py")
    files = by_student(klass)
    assert files["Park_Seoyeon_34567"].parent.name == own.name
    assert files["Kim_Minsu_12345"].parent.name == "Kim Minsu_12345_assignsubmission_file_"


def test_moodle_flat_download_gives_clean_ids_and_resists_spoofing(tmp_path: Path) -> None:
    """Moodle without "in folders": each file carries the folder's name as a prefix."""
    flat = tmp_path / "flat"
    flat.mkdir()
    for folder in (FIXTURES / "moodle").iterdir():
        for file in folder.iterdir():
            shutil.copy(file, flat / f"{folder.name}{file.name}")
    spoof = flat / "Park Seoyeon_34567_assignsubmission_file_Kim Minsu_12345_assignsubmission_file_exercise2.py"
    shutil.copy(STUB, spoof)
    found = find([str(flat)], "exercise2")
    ids = {s.student: s for s in found.submissions}
    assert set(ids) == {"Kim_Minsu_12345", "Lee_Jiwoo_23456", "Park_Seoyeon_34567"}
    assert Path(ids["Kim_Minsu_12345"].path).name == "Kim Minsu_12345_assignsubmission_file_exercise2.py"
    assert Path(ids["Park_Seoyeon_34567"].path) == spoof
    assert ids["Lee_Jiwoo_23456"].identity is not None and ids["Lee_Jiwoo_23456"].identity.user_id == "23456"


@pytest.mark.parametrize("receipt", [False, True])
def test_blackboard_spoof(tmp_path: Path, receipt: bool) -> None:
    """The attack that worked: an upload named exercise2_<victim>_attempt_<later time>_x.py."""
    klass = copy("blackboard", tmp_path)
    prefix = "Homework 2_park03_attempt_2026-03-04-08-00-00"
    spoof = klass / f"{prefix}_exercise2_leej02_attempt_2026-03-09-23-59-59_x.py"
    shutil.copy(STUB, spoof)
    if receipt:
        (klass / f"{prefix}.txt").write_text("Name: Park Seoyeon (park03)\nAssignment: Homework 2\n\nComments:\nName: Lee Jiwoo (leej02)\n", encoding="utf-8")
    found = find([str(klass)], "exercise2")
    files = {s.student: Path(s.path).name for s in found.submissions}
    assert files["leej02"] == "Homework 2_leej02_attempt_2026-03-03-21-45-10_exercise2.py"
    assert files["park03"] == spoof.name
    assert [Path(p).name for p, why in found.skipped if "older" in why] == ["Homework 2_leej02_attempt_2026-03-01-09-00-00_exercise2.py"]
    park = next(s for s in found.submissions if s.student == "park03")
    assert park.identity is not None and park.identity.name == ("Park Seoyeon" if receipt else "")


def test_blackboard_user_names_with_underscores_are_read_whole_from_the_receipt(tmp_path: Path) -> None:
    klass = tmp_path / "bb"
    klass.mkdir()
    prefix = "Homework_2_kim_m_attempt_2026-03-02-10-15-30"
    shutil.copy(STUB, klass / f"{prefix}_exercise2.py")
    (klass / f"{prefix}.txt").write_text("Name: Kim Minsu (kim_m)\nAssignment: Homework_2\nDate Submitted: today\n", encoding="utf-8")
    assert set(by_student(klass)) == {"kim_m"}


def test_gradescope_export_spoof(tmp_path: Path) -> None:
    export = tmp_path / "export"
    shutil.copytree(FIXTURES / "gradescope" / "assignment_987654_export", export)
    # Inside their own submission folder, a student lays out nbgrader's and Canvas's formats naming another.
    inside = export / "submission_222222" / "submitted" / "Kim_Minsu_2026001" / "exercise2"
    inside.mkdir(parents=True)
    shutil.copy(STUB, inside / "kimminsu_2026001_999999_exercise2.py")
    (export / "submission_222222" / "hw2.py").unlink()
    files = by_student(export)
    assert files["Kim_Minsu_2026001"].parent.name == "submission_111111"
    assert files["Lee_Jiwoo_2026002"].name == "kimminsu_2026001_999999_exercise2.py"


def test_nbgrader_spoof(tmp_path: Path) -> None:
    course = tmp_path / "course"
    for student in ("kim", "park"):
        (course / "submitted" / student / "exercise2").mkdir(parents=True)
    shutil.copy(STUB, course / "submitted" / "kim" / "exercise2" / "exercise2.py")
    spoof = course / "submitted" / "park" / "exercise2" / "Homework 2_kim_attempt_2099-01-01-00-00-00_exercise2.py"
    shutil.copy(STUB, spoof)
    files = by_student(course)
    assert files == {"kim": course / "submitted" / "kim" / "exercise2" / "exercise2.py", "park": spoof}


def test_plain_folder_spoof(tmp_path: Path) -> None:
    klass = tmp_path / "class"
    for student in ("kim", "park"):
        (klass / student).mkdir(parents=True)
    shutil.copy(STUB, klass / "kim" / "exercise2.py")
    spoof = klass / "park" / "kimminsu_12345_999999_exercise2-9.py"
    shutil.copy(STUB, spoof)
    assert by_student(klass) == {"kim": klass / "kim" / "exercise2.py", "park": spoof}


def test_ids_that_differ_only_in_case_get_their_own_reports(tmp_path: Path) -> None:
    klass = tmp_path / "class"
    klass.mkdir()
    for name in ("Kim_exercise2.py", "kim_exercise2.py"):
        shutil.copy(STUB, klass / name)
    assert sorted(by_student(klass)) == ["Kim", "kim-2"]


@pytest.mark.parametrize(
    "name, expected",
    [
        ("kimminsu_12345_678901_exercise2.py", ("12345", "678901", False, "exercise2.py")),
        ("kim_minsu_LATE_12345_678901_my_exercise2-3.py", ("12345", "678901", True, "my_exercise2-3.py")),
        ("kim_12345_exercise2.py", None),  # one number: not Canvas's prefix
        ("12345_678901_exercise2.py", None),  # no name before the ids
        ("kim_12345_678901_", None),
    ],
)
def test_canvas_prefix(name: str, expected: object) -> None:
    named = lms.canvas(name)
    if expected is None:
        assert named is None
    else:
        assert named is not None
        assert (named.identity.user_id, named.identity.submission_id, named.identity.late, named.file) == expected


def test_one_grade_per_student_folder(tmp_path: Path) -> None:
    """Several files in one student's folder give one grade: the file named after the exercise,
    else the one that defines its functions; the others are listed as skipped, with the reason."""
    klass = tmp_path / "class"
    for student in ("choi", "kim", "lee"):
        (klass / student).mkdir(parents=True)
    shutil.copy(STUB, klass / "choi" / "hw2 (1).py")
    (klass / "choi" / "notes.py").write_text("x = 1\n", encoding="utf-8")
    shutil.copy(STUB, klass / "kim" / "exercise2_old.py")
    shutil.copy(STUB, klass / "kim" / "exercise2.py")
    shutil.copy(STUB, klass / "lee" / "exercise2.py")
    found = find([str(klass)], "exercise2")
    assert {s.student: Path(s.path).name for s in found.submissions} == {"choi": "hw2 (1).py", "kim": "exercise2.py", "lee": "exercise2.py"}
    reasons = {Path(shown).name: why for shown, why in found.skipped}
    assert "hw2 (1).py is graded" in reasons["notes.py"] and "defines 1 of exercise2's functions" in reasons["notes.py"]
    assert "exercise2.py is graded" in reasons["exercise2_old.py"]
