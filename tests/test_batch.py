"""An instructor grades a class in one command: gradebook, results, reports, summary; resume, shard, merge."""
import csv
import re
import json
import shutil
import zipfile
from pathlib import Path

import pytest

from conftest import TESTS
from grader.cli import main as cli

CORPUS = TESTS / "submissions" / "exercise2"
CLASS = {
    "kim_exercise2.py": "lecture_style.py",
    "lee_exercise2.py": "grad_never_reset.py",
    "park_exercise2.py": "gradient_ascent.py",
    "choi_exercise2.py": "unbalanced_paren.py",
    "jung_exercise2.py": "hardcoded_alpha.py",
}


def make_class(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for name, source in CLASS.items():
        shutil.copy(CORPUS / source, folder / name)
    return folder


def records(out: Path) -> dict[str, dict]:
    lines = (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
    return {r["student"]: r for r in map(json.loads, lines)}


def batch(*args: str) -> int:
    return cli.main(["batch", *args, "--exercise", "exercise2", "--timeout", "30"])


def test_batch_outputs_resume_shard_merge(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    klass = make_class(tmp_path / "class")
    out = tmp_path / "out"
    assert batch(str(klass), "--out", str(out), "-j", "2") == 0
    found = records(out)
    assert sorted(found) == ["choi", "jung", "kim", "lee", "park"]
    for record in found.values():
        assert {"exercise", "submission", "score", "max_score", "checks", "student", "sha256", "grader_version"} <= set(record)
    assert found["kim"]["score"] == found["kim"]["max_score"]
    assert "grad-not-cleared" in {c["diagnosis"] for c in found["lee"]["checks"]}
    assert found["choi"]["diagnosis"] == "syntax-error"

    with open(out / "gradebook.csv", newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0])[:3] == ["student", "score", "max_score"] and list(rows[0])[-2:] == ["diagnoses", "notes"]
    assert "train.lecture" in rows[0]
    assert {r["student"]: r["diagnoses"] for r in rows}["park"] == "gradient-ascent"

    summary = (out / "summary.html").read_text(encoding="utf-8")
    assert "grad-not-cleared" in summary and "choi" in summary and "<script" not in summary
    for student in CLASS:
        assert (out / "reports" / f"{student.split('_')[0]}.html").exists()
    assert not list(out.glob(".tmp-*")), "a temporary file was left behind"

    capsys.readouterr()
    assert batch(str(klass), "--out", str(out)) == 0
    assert "5 unchanged submissions kept" in capsys.readouterr().err
    assert records(out) == found

    shards = [tmp_path / "shard1", tmp_path / "shard2"]
    for i, shard in enumerate(shards, 1):
        assert batch(str(klass), "--out", str(shard), "--shard", f"{i}/2") == 0
    assert sorted(records(shards[0])) + sorted(records(shards[1])) != []
    assert not set(records(shards[0])) & set(records(shards[1]))
    merged = tmp_path / "merged"
    assert cli.main(["merge", str(shards[0]), str(shards[1]), "--out", str(merged)]) == 0

    def essentials(recs: dict) -> dict:
        return {s: (r["score"], [c["diagnosis"] for c in r["checks"]]) for s, r in recs.items()}

    assert essentials(records(merged)) == essentials(found)
    assert (merged / "gradebook.csv").read_text() == (out / "gradebook.csv").read_text()


def test_nbgrader_layout_and_zip_give_student_ids(tmp_path: Path) -> None:
    submitted = tmp_path / "course" / "submitted"
    for student, source in (("alice", "lecture_style.py"), ("bob", "gradient_ascent.py")):
        folder = submitted / student / "exercise2"
        folder.mkdir(parents=True)
        shutil.copy(CORPUS / source, folder / "exercise2.py")
    out = tmp_path / "out"
    assert batch(str(tmp_path / "course"), "--out", str(out), "-j", "1") == 0
    assert sorted(records(out)) == ["alice", "bob"]

    archive = tmp_path / "lms.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(CORPUS / "lecture_style.py", "kim_12345_exercise2.py")
        z.writestr("../evil_exercise2.py", "import os\n")
    zip_out = tmp_path / "zip_out"
    assert batch(str(archive), "--out", str(zip_out)) == 0
    assert sorted(records(zip_out)) == ["kim_12345"]


def test_empty_folder_says_what_was_expected(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "submitted").mkdir()
    assert batch(str(tmp_path), "--out", str(tmp_path / "out")) == 2
    assert "expected" in capsys.readouterr().err


def test_hidden_checks_count_but_are_not_described(tmp_path: Path) -> None:
    klass = tmp_path / "class"
    klass.mkdir()
    shutil.copy(CORPUS / "grad_never_reset.py", klass / "lee_exercise2.py")
    out = tmp_path / "out"
    assert batch(str(klass), "--out", str(out), "--reference", str(TESTS / "private_reference")) == 0
    record = records(out)["lee"]
    hidden = [c for c in record["checks"] if c["name"] == "train.hidden-long-runs"]
    assert hidden and hidden[0]["max_score"] == 2 and not hidden[0]["passed"]
    assert record["max_score"] == sum(c["max_score"] for c in record["checks"])
    report = (out / "reports" / "lee.html").read_text(encoding="utf-8")
    # The hidden check's failing case (more than 30 epochs) must not leak into the student's report.
    assert re.search(r"epochs=(3[1-9]|[4-9]\d)\b", report) is None


def test_batch_help_describes_path_and_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    from grader.cli.batch import batch_parser

    parser = batch_parser()
    for action in parser._actions:
        assert action.help and action.help != "==SUPPRESS==", action.dest
    with pytest.raises(SystemExit):
        cli.main(["batch", "--help"])
    out = capsys.readouterr().out
    for layout in ("PATH", "nbgrader", "Canvas", "Moodle", "Blackboard", "Gradescope", "reports/<student>.html", "grade export"):
        assert layout in out, layout
    readme = (TESTS.parent / "README.md").read_text(encoding="utf-8")
    for action in parser._actions:
        for option in action.option_strings:
            if option.startswith("--") and option != "--help":
                assert f"`{option}" in readme, f"{option} is not in the README"


def test_results_are_rewritten_at_most_once_a_second_and_whole_at_the_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from grader.cli import batch as batch_module

    clock = [100.0]
    monkeypatch.setattr(batch_module, "time", type("Clock", (), {"monotonic": staticmethod(lambda: clock[0])}))
    saving = batch_module._Saving()
    assert saving.due()
    clock[0] += 0.01  # a rewrite of 10 ms
    saving.done()
    clock[0] += 0.5
    assert not saving.due()
    clock[0] += 0.6
    assert saving.due()
    clock[0] += 0.3  # a slow rewrite (a big class): the next waits ten times as long
    saving.done()
    clock[0] += 2.9
    assert not saving.due()
    clock[0] += 0.2
    assert saving.due()

    monkeypatch.undo()
    monkeypatch.setattr(batch_module._Saving, "due", lambda self: False)
    klass = make_class(tmp_path / "class")
    out = tmp_path / "out"
    assert batch(str(klass), "--out", str(out), "-j", "2") == 0
    assert sorted(records(out)) == ["choi", "jung", "kim", "lee", "park"]
