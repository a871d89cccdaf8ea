"""A class graded again: a TA's overrides survive regrades and show everywhere, a changes
report says whose score moved and why, every count agrees, and no student id names
another output (a student whose id is `summary`)."""
from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import pytest

from conftest import TESTS
from grader.cli import main as cli

CORPUS = TESTS / "submissions" / "exercise2"
CLASS = {
    "kim_exercise2.py": "lecture_style.py",
    "lee_exercise2.py": "grad_never_reset.py",
    "summary_exercise2.py": "gradient_ascent.py",
    "choi_exercise2.py": "unbalanced_paren.py",
}


def batch(klass: Path, out: Path, *extra: str) -> int:
    return cli.main(["batch", str(klass), "--exercise", "exercise2", "--out", str(out), "-j", "2", "--timeout", "30", "--lang", "en", *extra])


def gradebook(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "gradebook.csv", newline="", encoding="utf-8-sig") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


def text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", re.sub(r"<(style|svg)\b.*?</\1>", " ", html, flags=re.S)).split())


def section_rows(html: str, section: str) -> int:
    match = re.search(rf'<section aria-labelledby="{section}">(.*?)</section>', html, flags=re.S)
    assert match, section
    return match.group(1).count("<tr>") - 1  # less the header row


def test_overrides_changes_counts_and_reserved_names(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    klass = tmp_path / "class"
    klass.mkdir()
    for name, source in CLASS.items():
        shutil.copy(CORPUS / source, klass / name)
    (klass / "park_exercise3.py").write_text("x = 1\n", encoding="utf-8")  # another exercise: skipped
    out = tmp_path / "out"
    assert batch(klass, out) == 0
    terminal = capsys.readouterr()

    # The counts agree: terminal, batch.json, summary.html (and its lists are as long as its counts).
    assert "4 submissions: 3 graded, 1 could not be graded, 1 files skipped" in terminal.out
    assert "park_exercise3.py: belongs to exercise3" in terminal.err
    assert json.loads((out / "batch.json").read_text(encoding="utf-8"))["counts"] == {"submissions": 4, "graded": 3, "could_not_be_graded": 1, "skipped": 1}
    summary = (out / "summary.html").read_text(encoding="utf-8")
    assert "1 could not be graded" in text(summary) and "1 files were skipped" in text(summary)
    assert section_rows(summary, "ungraded") == 1 and section_rows(summary, "skipped") == 1

    # A student whose id is `summary` has a report of their own; the class summary stays the class's.
    assert "Class summary" in summary
    student = (out / "reports" / "summary.html").read_text(encoding="utf-8")
    assert "Class summary" not in student and "summary_exercise2.py" in student
    assert 'href="reports/summary.html"' in summary

    # A TA's override; and kim's file changes.
    assert (out / "gradebook.csv").read_bytes().startswith(b"\xef\xbb\xbfstudent,"), "a byte-order mark, for Excel"
    before = gradebook(out)
    assert (out / "overrides.csv").read_text(encoding="utf-8-sig") == "student,check,points,comment,who\n"
    with open(out / "overrides.csv", "a", encoding="utf-8") as handle:
        handle.write('lee,train.lecture,3,"the loop is right, the gradient was reset by hand",TA Park\n')
    shutil.copy(CORPUS / "grad_never_reset.py", klass / "kim_exercise2.py")
    assert batch(klass, out, "--force") == 0
    terminal = capsys.readouterr()
    after = gradebook(out)
    lee, kim = after["lee"], after["kim"]
    assert float(lee["score"]) == float(before["lee"]["score"]) + 3 and lee["train.lecture"] == "3"
    assert lee["autograded"] == before["lee"]["score"] and "TA Park" in lee["overrides"]
    records = {r["student"]: r for r in map(json.loads, (out / "results.jsonl").read_text(encoding="utf-8").splitlines())}
    assert records["lee"]["score"] == float(lee["score"]) and records["lee"]["autograded_score"] == float(before["lee"]["score"])
    assert "TA Park changed the points of" in (out / "reports" / "lee.html").read_text(encoding="utf-8")

    with open(out / "changes.csv", newline="", encoding="utf-8-sig") as handle:
        changes = {row["student"]: row for row in csv.DictReader(handle)}
    assert set(changes) == {"kim", "lee"}
    assert "the file changed (sha256" in changes["kim"]["why"] and float(changes["kim"]["change"]) < 0
    assert changes["lee"]["change"] == "+3" and "TA Park" in changes["lee"]["why"]
    assert "2 scores changed since the last run" in terminal.out and "kim:" in terminal.out
    summary = (out / "summary.html").read_text(encoding="utf-8")
    assert section_rows(summary, "changes") == 2 and section_rows(summary, "overrides") == 1

    # Nothing changed: nothing regraded, nothing moved, the override still applied.
    assert batch(klass, out) == 0
    assert "no score changed since the last run" in capsys.readouterr().out
    assert gradebook(out)["lee"]["score"] == lee["score"]


def test_merge_keeps_reports_apart_and_overrides_files_are_remembered(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    klass = tmp_path / "class"
    klass.mkdir()
    for name in ("summary_exercise2.py", "gradebook_exercise2.py", "kim_exercise2.py"):
        shutil.copy(TESTS.parent / "exercises" / "exercise2.py", klass / name)
    overrides = tmp_path / "course-overrides.csv"
    overrides.write_text("student,check,points,comment,who\nkim,total,5,oral exam,Prof. Choi\n", encoding="utf-8")
    shards = [tmp_path / "out-1", tmp_path / "out-2"]
    for i, shard in enumerate(shards, 1):
        assert batch(klass, shard, "--device", "off", "--shard", f"{i}/2", "--overrides", str(overrides)) == 0
    merged = tmp_path / "merged"
    assert cli.main(["merge", *map(str, shards), "--out", str(merged)]) == 0
    assert sorted(p.name for p in (merged / "reports").iterdir()) == ["gradebook.html", "kim.html", "summary.html"]
    assert "Class summary" in (merged / "summary.html").read_text(encoding="utf-8")
    assert gradebook(merged)["kim"]["score"] == "5", "each shard's overrides stay as applied"
    capsys.readouterr()

    # A later run in a shard's folder applies the same file again, without --overrides...
    holder = next(s for s in shards if "kim" in gradebook(s))
    assert batch(klass, holder, "--device", "off", "--shard", f"{shards.index(holder) + 1}/2") == 0
    assert str(overrides) in capsys.readouterr().err and gradebook(holder)["kim"]["score"] == "5"
    # ... and refuses to go on silently without it once it is gone.
    overrides.unlink()
    assert batch(klass, holder, "--device", "off", "--shard", f"{shards.index(holder) + 1}/2") == 2
    assert "which is gone" in capsys.readouterr().err


def test_overrides_file_errors_name_the_line() -> None:
    from grader.intake.submission import UsageError
    from grader.report import overrides

    rows = overrides.parse("\ufeffStudent,Check,Points,Comment,Who\nkim,train.lecture,2.5,ok,TA\n# a note,,,,\nlee,,7,,\n")
    assert [(r.student, r.check, r.points, r.line) for r in rows] == [("kim", "train.lecture", 2.5, 2), ("lee", "total", 7.0, 4)]
    for text, expected in (
        ("student,points\nkim,3\n", "missing: check"),
        ("student,check,points\nkim,total,three\n", "line 2: points must be a number"),
        ("student,check,points\nkim,total,3\nkim,total,4\n", "lines 2 and 3"),
    ):
        with pytest.raises(UsageError, match=expected):
            overrides.parse(text)


def test_spreadsheet_cells_never_start_a_formula() -> None:
    from grader.intake.discover import safe_id
    from grader.report.escape import csv_cell

    assert [csv_cell(v) for v in ("=HYPERLINK(1)", "+1", "-1", "@SUM(A1)", "kim", "김민수")] == ["'=HYPERLINK(1)", "'+1", "'-1", "'@SUM(A1)", "kim", "김민수"]
    assert safe_id("-=cmd|x") == "cmd_x" and safe_id("--") == "student"


def test_an_override_that_changes_nothing_is_said() -> None:
    """A TA's row that gives a check the points the grader gave is applied (it pins them), and the
    instructor is told it changes nothing now and would keep those points after a regrade."""
    from grader.report import overrides
    from grader.results import CheckResult, GradeResult, Message

    result = GradeResult(exercise="exercise2", submission="kim/exercise2.py", score=3, max_score=4, checks=(
        CheckResult(name="train.lecture", title=Message("check.lecture", {"function": "train"}), passed=True, score=3, max_score=3),
        CheckResult(name="train.in-place", title=Message("check.in-place", {"function": "train"}), passed=False, score=0, max_score=1),
    ))
    rows = overrides.parse("student,check,points,comment,who\nkim,train.lecture,3,fixed,TA Park\nkim,train.in-place,1,ok,TA Park\n")
    updated, applied, problems = overrides.apply(result, rows)
    assert updated.score == 4 and len(applied) == 2
    assert len(problems) == 1 and "train.lecture already has 3 points" in problems[0] and "changes nothing now" in problems[0]
