"""`grade export`: each LMS's import file, with the LMS's own ids from its download, and its feedback zip.

The columns are checked against what each LMS documents (grader/report/lms_export.py cites
where): Canvas's gradebook import, Moodle's offline grading worksheet, Blackboard's Grade
Center upload.  The feedback zips are read back with each LMS's own rule for their names.
One batch per LMS fixture, shared by the tests (module-scoped: 7 gradings in all).
"""
from __future__ import annotations

import csv
import io
import json
import re
import shutil
import zipfile
from pathlib import Path

import pytest

from conftest import TESTS
from grader.cli import main as cli
from grader.report import lms_export

FIXTURES = TESTS / "fixtures"
CORPUS = TESTS / "submissions" / "exercise2"


def batch(source: Path, out: Path) -> None:
    assert cli.main(["batch", str(source), "--exercise", "exercise2", "--out", str(out), "-j", "2", "--timeout", "30", "--lang", "en"]) == 0


@pytest.fixture(scope="module")
def canvas(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Canvas's fixture, where lee re-uploaded: exercise2-1.py (correct) is the re-upload of exercise2.py
    (the buggy first try), although Canvas gave the first try the higher attachment id here."""
    root = tmp_path_factory.mktemp("canvas")
    klass = root / "canvas"
    shutil.copytree(FIXTURES / "canvas", klass)
    shutil.copy(CORPUS / "lecture_style.py", klass / "leejiwoo_LATE_23456_789012_exercise2-1.py")
    shutil.copy(CORPUS / "grad_never_reset.py", klass / "leejiwoo_23456_789555_exercise2.py")
    batch(klass, root / "out")
    return root / "out"


@pytest.fixture(scope="module")
def moodle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("moodle")
    archive = root / "moodle.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for path in sorted((FIXTURES / "moodle").rglob("*")):
            z.write(path, path.relative_to(FIXTURES / "moodle").as_posix())
    batch(archive, root / "out")
    return root / "out"


@pytest.fixture(scope="module")
def blackboard(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("blackboard")
    batch(FIXTURES / "blackboard", root / "out")
    return root / "out"


def export(out: Path, *args: str) -> int:
    return cli.main(["export", str(out), *args, "--lang", "en"])


def read_csv(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "a byte-order mark, for Excel"
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def test_canvas_grades_the_resubmission_and_imports_by_canvas_ids(canvas: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = {r["student"]: r for r in map(json.loads, (canvas / "results.jsonl").read_text(encoding="utf-8").splitlines())}
    lee = results["leejiwoo_23456"]
    assert lee["submission"].endswith("leejiwoo_LATE_23456_789012_exercise2-1.py")
    assert lee["score"] == lee["max_score"] == 9
    assert lee["lms"]["lms"] == "canvas" and lee["lms"]["user_id"] == "23456" and lee["lms"]["late"] is True
    # The skipped first try is named on the terminal, and the counts agree with batch.json.
    manifest = json.loads((canvas / "batch.json").read_text(encoding="utf-8"))
    assert manifest["counts"] == {"submissions": 3, "graded": 3, "could_not_be_graded": 0, "skipped": 1}
    capsys.readouterr()

    assert export(canvas, "--to", "canvas", "--assignment", "Homework 2", "--assignment-id", "4711", "--late-penalty", "10%") == 0
    rows = read_csv(canvas / "canvas-grades.csv")
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Homework 2 (4711)"]
    assert rows[1][0] == "Points Possible" and rows[1][-1] == "9"
    grades = {row[1]: row[-1] for row in rows[2:]}
    assert grades == {"12345": "9", "23456": "8.1", "34567": "0"}, "lee is LATE in Canvas: 10% of 9 points off, in the export only"
    assert "late" in capsys.readouterr().out
    assert {r["student"]: r["score"] for r in map(json.loads, (canvas / "results.jsonl").read_text(encoding="utf-8").splitlines())}["leejiwoo_23456"] == 9

    # Canvas's Re-Upload Submissions reads the first two all-digit fields as user id and attachment id.
    with zipfile.ZipFile(canvas / "canvas-feedback.zip") as z:
        names = z.namelist()
        assert all(z.read(n).startswith(b"<!DOCTYPE html>") for n in names)
    ids = {tuple([p for p in name.split("_") if p.isdigit()][:2]) for name in names}
    assert ids == {("12345", "678901"), ("23456", "789012"), ("34567", "890123")}


def test_canvas_export_with_a_per_day_penalty_is_refused_without_times(canvas: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Canvas only flags LATE: the days cannot be counted, and are not guessed."""
    assert export(canvas, "--to", "csv", "--late-penalty", "10%/day", "--out", str(canvas / "perday.csv")) == 0
    assert "leejiwoo_23456" in capsys.readouterr().err
    students = [row[0] for row in read_csv(canvas / "perday.csv")[1:]]
    assert students == ["kimminsu_12345", "parkseoyeon_34567"]


def test_moodle_worksheet_and_feedback_zip(moodle: Path) -> None:
    assert export(moodle, "--to", "moodle", "--points", "100") == 0
    rows = read_csv(moodle / "moodle-grades.csv")
    assert tuple(rows[0]) == lms_export.MOODLE_COLUMNS
    by_id = {row[0]: dict(zip(rows[0], row)) for row in rows[1:]}
    assert set(by_id) == {"Participant 12345", "Participant 23456"}
    kim = by_id["Participant 12345"]
    assert kim["Full name"] == "Kim Minsu" and kim["Grade"] == "100" and kim["Maximum Grade"] == "100"
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$", kim["Last modified (grade)"]), "strtotime must read it, with its zone"
    assert kim["Feedback comments"].startswith("Score 9/9.")
    # Moodle's importer: explode('_', part, 5); the second field is the participant id, then the plugin.
    with zipfile.ZipFile(moodle / "moodle-feedback.zip") as z:
        folders = {tuple(name.split("/")[0].split("_", 4)[1:4]) for name in z.namelist()}
    assert folders == {("12345", "assignfeedback", "file"), ("23456", "assignfeedback", "file")}


def test_blackboard_grade_center_upload(blackboard: Path) -> None:
    assert export(blackboard, "--to", "blackboard", "--assignment-id", "123456") == 0
    rows = read_csv(blackboard / "blackboard-grades.csv")
    assert rows[0][:4] == ["Last Name", "First Name", "Username", "Student ID"]
    assert rows[0][4] == "Homework 2 [Total Pts: 9 Score] |123456", "the assignment's name from Blackboard's own names"
    assert {row[2] for row in rows[1:]} == {"kimm01", "leej02"}


def test_blackboard_attempt_times_give_days_late(blackboard: Path) -> None:
    assert export(blackboard, "--to", "csv", "--due", "2026-03-02T23:59", "--late-penalty", "1/day", "--late-cap", "50%") == 0
    rows = read_csv(blackboard / "csv-grades.csv")
    assert tuple(rows[0]) == lms_export.PLAIN_COLUMNS
    table = {row[0]: dict(zip(rows[0], row)) for row in rows[1:]}
    assert (table["kimm01"]["late"], table["kimm01"]["late_penalty"]) == ("no", "0")
    assert (table["leej02"]["late"], table["leej02"]["days_late"], table["leej02"]["late_penalty"]) == ("yes", "1", "1")


def test_an_export_names_the_lms_it_cannot_match(canvas: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert export(canvas, "--to", "moodle") == 2
    err = capsys.readouterr().err
    assert "no Moodle id" in err and "--to csv" in err and len(err.strip().splitlines()) == 1


def test_a_late_override_sets_the_penalty(canvas: Path) -> None:
    """A TA waives lee's late penalty; the next run keeps every grade (nothing regraded) and the export obeys."""
    with open(canvas / "overrides.csv", "a", encoding="utf-8") as handle:
        handle.write("leejiwoo_23456,late,0,medical certificate,Prof. Kim\n")
    batch(canvas.parent / "canvas", canvas)
    assert "Prof. Kim set your late penalty to 0 points" in (canvas / "reports" / "leejiwoo_23456.html").read_text(encoding="utf-8")
    assert export(canvas, "--to", "canvas", "--late-penalty", "10%", "--no-feedback") == 0
    grades = {row[1]: row[-1] for row in read_csv(canvas / "canvas-grades.csv")[2:]}
    assert grades["23456"] == "9"
