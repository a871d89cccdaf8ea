"""Instructors' platforms end to end: LMS downloads, Gradescope's autograder, GitHub
Classroom's workflow, `grade merge`, the class summary, and the files the grader writes."""
from __future__ import annotations

import argparse
import base64
import json
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest
import yaml

import report_samples as samples
from conftest import TESTS
from grader.cli import main as cli
from grader.intake.discover import find
from grader.report.github import classroom_results, workflow_commands
from grader.report.gradescope import render_gradescope
from grader.report.summary import render_summary
from grader.results import CheckResult, Frame, GradeResult, Message, StudentError

FIXTURES = TESTS / "fixtures"
CORPUS = TESTS / "submissions" / "exercise2"
STUBS = TESTS.parent / "exercises"
PRIVATE = TESTS / "private_reference"
SCHEMA = json.loads((TESTS / "schemas" / "gradescope_results.json").read_text(encoding="utf-8"))


def zip_folder(folder: Path, archive: Path) -> Path:
    with zipfile.ZipFile(archive, "w") as z:
        for path in sorted(folder.rglob("*")):
            z.write(path, path.relative_to(folder).as_posix())
    return archive


def records(out: Path) -> dict[str, dict]:
    lines = (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
    return {r["student"]: r for r in map(json.loads, lines)}


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Temporary folders of the grader go here, so that a test can see what is left behind."""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(scratch))
    return scratch


# ----------------------------------------------------------------------
# LMS downloads: the student ids


LMS = {
    "canvas": {"kimminsu_12345", "leejiwoo_23456", "parkseoyeon_34567"},
    "moodle": {"Kim_Minsu_12345", "Lee_Jiwoo_23456"},
    "blackboard": {"kimm01", "leej02"},
    "gradescope": {"Kim_Minsu_2026001", "Lee_Jiwoo_2026002"},
    "wrapped": {"submission_111", "submission_222"},
}


@pytest.mark.parametrize("lms", sorted(LMS))
def test_lms_downloads_give_the_students_ids(lms: str, tmp_path: Path, private_tmp: Path) -> None:
    archive = zip_folder(FIXTURES / lms, tmp_path / f"{lms}.zip")
    found = find([str(archive)], "exercise2")
    try:
        assert {s.student for s in found.submissions} == LMS[lms]
        for submission in found.submissions:
            # Reports name the file inside the archive, never the temporary copy.
            assert submission.shown.startswith(f"{archive}:") and str(private_tmp) not in submission.shown
    finally:
        for folder in found.temporary:
            shutil.rmtree(folder)
    # The same layout unpacked by hand gives the same ids.
    unpacked = {"gradescope": FIXTURES / lms / "assignment_987654_export", "wrapped": FIXTURES / lms / "export"}.get(lms, FIXTURES / lms)
    assert {s.student for s in find([str(unpacked)], "exercise2").submissions} == LMS[lms]


def test_a_zip_of_one_students_folder_keeps_the_folders_name(tmp_path: Path) -> None:
    archive = tmp_path / "one.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(STUBS / "exercise2.py", "kim/exercise2.py")
    found = find([str(archive)], "exercise2")
    try:
        assert [s.student for s in found.submissions] == ["kim"]
    finally:
        for folder in found.temporary:
            shutil.rmtree(folder)


def test_blackboard_grades_the_latest_attempt_only() -> None:
    found = find([str(FIXTURES / "blackboard")], "exercise2")
    (lee,) = [s for s in found.submissions if s.student == "leej02"]
    assert "2026-03-03-21-45-10" in lee.path
    assert any("2026-03-01-09-00-00" in path and "older" in why for path, why in found.skipped)


def test_canvas_grades_a_students_latest_submission(tmp_path: Path) -> None:
    klass = tmp_path / "canvas"
    shutil.copytree(FIXTURES / "canvas", klass)
    shutil.copy(STUBS / "exercise2.py", klass / "leejiwoo_23456_700000_exercise2.py")  # an earlier submission
    found = find([str(klass)], "exercise2")
    (lee,) = [s for s in found.submissions if s.student == "leejiwoo_23456"]
    assert "789012" in lee.path
    assert [Path(p).name for p, why in found.skipped if "older" in why] == ["leejiwoo_23456_700000_exercise2.py"]


def test_gradescope_names_survive_ruby_tags_and_a_missing_metadata_file(tmp_path: Path) -> None:
    export = tmp_path / "export"
    shutil.copytree(FIXTURES / "gradescope" / "assignment_987654_export", export)
    (export / "submission_metadata.yml").unlink()
    assert {s.student for s in find([str(export)], "exercise2").submissions} == {"submission_111111", "submission_222222"}


def test_a_wrapped_zip_is_graded_under_the_names_inside_it(tmp_path: Path, private_tmp: Path) -> None:
    archive = zip_folder(FIXTURES / "wrapped", tmp_path / "class.zip")
    out = tmp_path / "out"
    old = os.umask(0o022)
    try:
        assert cli.main(["batch", str(archive), "--exercise", "exercise2", "--out", str(out), "-j", "1"]) == 0
    finally:
        os.umask(old)
    found = records(out)
    assert set(found) == {"submission_111", "submission_222"}
    assert found["submission_111"]["submission"] == f"{archive}:export/submission_111/exercise2.py"
    assert found["submission_111"]["score"] == found["submission_111"]["max_score"]
    assert not list(private_tmp.iterdir()), "the extracted copy was left behind"
    # Readable by the group (TAs): the umask decides, not 0600.
    for name in ("results.jsonl", "gradebook.csv", "summary.html", "reports/submission_111.html", "batch.json"):
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o644, name


def test_unsafe_zip_gives_one_line_and_leaves_nothing(tmp_path: Path, private_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    archive = tmp_path / "clash.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("kim", "not a folder\n")
        z.writestr("kim/exercise2.py", (CORPUS / "lecture_style.py").read_text())
    assert cli.main(["batch", str(archive), "--exercise", "exercise2", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "kim" in err and "Traceback" not in err
    assert not list(private_tmp.iterdir())

    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"PK\x03\x04 truncated")
    assert cli.main(["batch", str(bad), "--exercise", "exercise2", "--out", str(tmp_path / "out")]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert not list(private_tmp.iterdir())


def test_links_and_escapes_inside_a_zip_are_left_out(tmp_path: Path, private_tmp: Path) -> None:
    archive = tmp_path / "links.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(STUBS / "exercise2.py", "alice/exercise2.py")
        link = zipfile.ZipInfo("mallory/exercise2.py")
        link.external_attr = 0o120777 << 16  # a symbolic link to alice's file
        z.writestr(link, "../alice/exercise2.py")
        z.writestr("/etc/evil_exercise2.py", "import os\n")
        z.writestr("..\\up_exercise2.py", "import os\n")
    found = find([str(archive)], "exercise2")
    try:
        assert [s.student for s in found.submissions] == ["alice"]
        extracted = [p for p in Path(found.temporary[0]).rglob("*")]
        assert not any(p.is_symlink() for p in extracted)
        assert {p.name for p in extracted if p.is_file()} == {"exercise2.py"}
    finally:
        for folder in found.temporary:
            shutil.rmtree(folder)
    assert not (tmp_path / "up_exercise2.py").exists()


def test_symbolic_links_are_never_followed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    klass = tmp_path / "class"
    (klass / "alice").mkdir(parents=True)
    (klass / "mallory").mkdir()
    shutil.copy(STUBS / "exercise2.py", klass / "alice" / "exercise2.py")
    (klass / "mallory" / "exercise2.py").symlink_to(klass / "alice" / "exercise2.py")
    (klass / "eve").symlink_to(klass / "alice")
    found = find([str(klass)], "exercise2")
    assert [s.student for s in found.submissions] == ["alice"]
    assert {Path(p).parts[-1] for p, why in found.skipped if "symbolic link" in why} == {"exercise2.py", "eve"}

    assert cli.main([str(klass / "mallory" / "exercise2.py"), "--no-html"]) == 2
    assert "symbolic link" in capsys.readouterr().err


# ----------------------------------------------------------------------
# grade merge


def test_merge_refuses_missing_duplicate_and_mismatched_shards(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    klass = tmp_path / "class"
    klass.mkdir()
    for name in ("kim", "lee", "park", "choi"):
        shutil.copy(STUBS / "exercise2.py", klass / f"{name}_exercise2.py")

    def batch(out: str, *extra: str) -> int:
        return cli.main(["batch", str(klass), "--exercise", "exercise2", "--out", str(tmp_path / out), "-j", "1", "--device", "off", *extra])

    assert batch("out-1", "--shard", "1/2") == 0
    assert batch("out-2", "--shard", "2/2") == 0
    assert batch("seed-2", "--shard", "2/2", "--seed", "7") == 0
    assert json.loads((tmp_path / "out-1" / "batch.json").read_text())["shard"] == "1/2"
    capsys.readouterr()

    def merge(*dirs: str, extra: tuple[str, ...] = ()) -> tuple[int, str]:
        code = cli.main(["merge", *(str(tmp_path / d) for d in dirs), "--out", str(tmp_path / "merged"), *extra])
        return code, capsys.readouterr().err

    code, err = merge("out-1")
    assert code == 2 and "shard 2/2 is missing" in err
    code, err = merge("out-1", "out-1")
    assert code == 2 and "given twice" in err
    code, err = merge("out-1", "seed-2")
    assert code == 2 and "different options" in err and "seed" in err
    assert not (tmp_path / "merged" / "results.jsonl").exists()

    code, err = merge("out-1", extra=("--allow-missing",))
    assert code == 0 and "warning" in err and "2/2" in err
    code, err = merge("out-1", "out-2")
    assert code == 0
    assert set(records(tmp_path / "merged")) == {"kim", "lee", "park", "choi"}


# ----------------------------------------------------------------------
# The class summary


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", re.sub(r"<(style|svg)\b.*?</\1>", " ", html, flags=re.S))


def test_class_summary_adds_up(tmp_path: Path) -> None:
    klass = tmp_path / "class"
    klass.mkdir()
    for student, source in (("kim", "lecture_style.py"), ("jung", "hardcoded_alpha.py"), ("han", "renamed_Train.py"), ("choi", "unbalanced_paren.py")):
        shutil.copy(CORPUS / source, klass / f"{student}_exercise2.py")
    out = tmp_path / "out"
    assert cli.main(["batch", str(klass), "--exercise", "exercise2", "--out", str(out), "-j", "1", "--mode", "0640"]) == 0
    assert stat.S_IMODE((out / "summary.html").stat().st_mode) == 0o640
    found = records(out)
    html = (out / "summary.html").read_text(encoding="utf-8")
    text = _text(html)
    graded = [r["score"] for s, r in found.items() if s != "choi"]
    mean = sum(graded) / len(graded)
    assert f"4 submissions. 3 graded: mean score {round(mean, 2):g}/9" in " ".join(text.split())
    assert "1 could not be graded" in text
    assert "?" not in text, "an unfilled placeholder"
    assert "`" not in text, "raw Markdown backticks"
    assert "<code>train</code>" in html
    assert not re.search(r"\b\d+\.0\b", text), "one number format: 3, not 3.0"
    labels = re.findall(r'font-size="10" text-anchor="middle">([^<]*)<', html)
    assert labels == [str(i) for i in range(10)], "integer scores get integer bins"


def test_summary_pass_rates_leave_out_the_ungraded() -> None:
    full = samples.ALL["full_marks"]()
    broken = samples.ALL["timeout"]()
    html = render_summary([("a", full), ("b", broken)], [], "en")
    # Every check passed for the one graded submission: 100%, not 50%.
    assert "50%" not in html and "100%" in html


# ----------------------------------------------------------------------
# Gradescope


def _validate(document: dict) -> None:
    jsonschema.validate(document, SCHEMA)


@pytest.mark.parametrize("name", sorted(samples.ALL))
def test_results_json_follows_gradescopes_schema(name: str) -> None:
    document = render_gradescope(samples.ALL[name](), "en")
    _validate(document)
    assert all(t["name_format"] == "md" for t in document["tests"]) and document["test_name_format"] == "md"


def _autograder(tmp_path: Path, *bundle_args: str) -> Path:
    bundle = tmp_path / "autograder.zip"
    assert cli.main(["gradescope-bundle", "--exercise", "exercise2", "--out", str(bundle), *bundle_args]) == 0
    root = tmp_path / "autograder"
    with zipfile.ZipFile(bundle) as z:
        names = z.namelist()
        assert {"setup.sh", "run_autograder"} <= set(names)
        for script in ("setup.sh", "run_autograder"):
            assert z.getinfo(script).external_attr >> 16 & 0o111, f"{script} is not executable"
        z.extractall(root / "source")
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    return root


def _run_autograder(root: Path, upload: dict[str, Path]) -> dict:
    submission = root / "submission"
    shutil.rmtree(submission, ignore_errors=True)
    submission.mkdir()
    for name, source in upload.items():
        shutil.copy(source, submission / name)
    (root / "results").mkdir(exist_ok=True)
    (root / "results" / "results.json").unlink(missing_ok=True)
    env = {**os.environ, "GRADER_AUTOGRADER_ROOT": str(root), "GRADER_PYTHON": sys.executable}
    done = subprocess.run(["bash", str(root / "run_autograder")], cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    document = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    _validate(document)
    assert sorted(p.name for p in submission.iterdir()) == sorted(upload), "the grader wrote beside the upload"
    return document


def test_gradescope_bundle_grades_any_upload(tmp_path: Path) -> None:
    root = _autograder(tmp_path, "--reference", str(PRIVATE))
    source = root / "source"
    setup = (source / "setup.sh").read_text()
    assert "--index-url https://download.pytorch.org/whl/cpu" in setup and "/autograder/source/grader" in setup
    assert subprocess.run(["bash", "-n", str(source / "setup.sh")]).returncode == 0
    assert (source / "reference" / "exercise2.py").read_text() == (PRIVATE / "exercise2.py").read_text()
    # The grader travels whole: every module of the installed package is in the zip.
    import grader

    installed = {p.relative_to(Path(grader.__file__).parent).as_posix() for p in Path(grader.__file__).parent.rglob("*.py")}
    bundled = {p.relative_to(source / "grader" / "src" / "grader").as_posix() for p in (source / "grader" / "src" / "grader").rglob("*.py")}
    assert installed <= bundled
    # ... and pip can build it (setup.sh installs it so).
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(tmp_path / "wheel"), str(source / "grader")],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = (tmp_path / "wheel").glob("grader-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"grader/cli/main.py", "grader/reference/lecture_trajectories.json", "grader/exercises/exercise2.py", "grader/report/templates/summary.html.j2"} <= names

    # A .py under any name: graded, with the hidden checks after publication.
    document = _run_autograder(root, {"hw2_kim.py": CORPUS / "grad_never_reset.py"})
    hidden = [t for t in document["tests"] if t["visibility"] == "after_published"]
    assert hidden and all(t["visibility"] == "visible" for t in document["tests"] if t not in hidden)
    assert 0 < document["score"] < sum(t["max_score"] for t in document["tests"])
    assert document["extra_data"]["submission"] == "hw2_kim.py"

    # A notebook under another name, and a stray file beside it.
    document = _run_autograder(root, {"my_notebook.ipynb": TESTS / "notebooks" / "ex2_correct.ipynb", "notes.txt": STUBS / "exercise2.py"})
    assert document["score"] == sum(t["max_score"] for t in document["tests"]) > 0

    # Nothing gradable, or nothing at all: a score of 0 and the reason, never a missing results.json.
    for upload in ({"answers.txt": STUBS / "exercise2.py"}, {}):
        document = _run_autograder(root, upload)
        assert document["score"] == 0 and ".py" in document["output"] and document["tests"] == []


def test_gradescope_without_a_working_grader_still_writes_results(tmp_path: Path) -> None:
    root = _autograder(tmp_path)
    (root / "submission").mkdir()
    env = {**os.environ, "GRADER_AUTOGRADER_ROOT": str(root), "GRADER_PYTHON": str(tmp_path / "no-python")}
    done = subprocess.run(["bash", str(root / "run_autograder")], cwd=root, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    document = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    _validate(document)
    assert document["score"] == 0 and "instructor" in document["output"]


def _baked(root: Path) -> list[str]:
    """The words after `run` in run_autograder's grading line."""
    (line,) = [l for l in (root / "run_autograder").read_text().splitlines() if "gradescope_bundle run" in l]
    words = shlex.split(line)
    return words[words.index("run") + 1 :]


def test_gradescope_bundle_writes_the_grading_options_into_run_autograder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from grader.cli.batch import grading_settings
    from grader.cli.options import add_grading_options, options_from

    options = ["--seed", "7", "--examples", "3", "--timeout", "30", "--memory-limit", "1G", "--cell-timeout", "5", "--cpu-limit", "20", "--device", "off", "--lang", "ko"]
    root = _autograder(tmp_path, *options)
    words = _baked(root)
    parser = argparse.ArgumentParser()
    parser.add_argument("--root")
    add_grading_options(parser)
    baked = parser.parse_args(words)
    assert baked.root == "$ROOT" and baked.reference is None and baked.lang == "ko"
    assert (baked.seed, baked.examples, baked.timeout, baked.cell_timeout, baked.cpu_limit, baked.device) == (7, 3, 30.0, 5.0, 20.0, "off")
    assert baked.memory_limit == 1024**3
    # The grade depends on the same settings as `grade batch` with those options would record.
    here = parser.parse_args(["--exercise", "exercise2", *options])
    assert grading_settings(baked) == grading_settings(here)
    assert options_from(baked) == options_from(here)
    # Every option is explicit: another grader version's defaults cannot change the grade.
    assert {"--seed", "--examples", "--timeout", "--memory-limit", "--cell-timeout", "--file-size-limit", "--process-limit", "--device"} <= set(words)

    # The options are the ones Gradescope grades with: no device check under --device off.
    capsys.readouterr()
    shutil.copy(CORPUS / "lecture_style.py", tmp_path / "hw2.py")
    results = tmp_path / "results.json"
    assert cli.main(["gradescope-try", str(tmp_path / "autograder.zip"), str(tmp_path / "hw2.py"), "--results", str(results)]) == 0
    document = json.loads(results.read_text(encoding="utf-8"))
    _validate(document)
    assert document["extra_data"]["language"] == "ko"
    assert document["tests"] and not any("GPU" in t["name"] for t in document["tests"])
    assert document["score"] == sum(t["max_score"] for t in document["tests"])


def test_gradescope_bundle_refuses_a_gpu_and_needs_the_exercise(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["gradescope-bundle", "--exercise", "exercise2", "--device", "cuda", "--out", str(tmp_path / "a.zip")]) == 2
    assert "no GPU" in capsys.readouterr().err
    assert cli.main(["gradescope-bundle", "--out", str(tmp_path / "a.zip")]) == 2
    assert "--exercise" in capsys.readouterr().err
    assert not (tmp_path / "a.zip").exists()


def test_gradescope_try_shows_what_the_student_sees(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`grade gradescope-try ZIP UPLOAD`: the documented way to try a bundle locally."""
    bundle = tmp_path / "autograder.zip"
    assert cli.main(["gradescope-bundle", "--exercise", "exercise2", "--reference", str(PRIVATE), "--out", str(bundle)]) == 0
    assert "grade gradescope-try" in capsys.readouterr().out
    shutil.copy(CORPUS / "grad_never_reset.py", tmp_path / "hw2_kim.py")
    keep = tmp_path / "tree"
    assert cli.main(["gradescope-try", str(bundle), str(tmp_path / "hw2_kim.py"), "--keep", str(keep)]) == 0
    out = capsys.readouterr().out
    before, after = out.split("Once grades are published, also:")
    assert "Before grades are published, the student sees:" in before and "the score" not in before
    assert "Checks shown now: 3/9; 2 of 5 failed." in before
    assert len(re.findall(r"^\s+\d+ [✓✗]", after, re.M)) == 1 and "the score: " in after
    # The tree is Gradescope's, and the two variables run it again.
    assert sorted(p.name for p in keep.iterdir()) == ["results", "run_autograder", "source", "submission"]
    assert "GRADER_AUTOGRADER_ROOT=" in out and "GRADER_PYTHON=" in out
    assert json.loads((keep / "results" / "results.json").read_text(encoding="utf-8"))["score"] == 3

    # An empty upload: a score of 0 and the reason; a file that is not a zip: one line, exit 2.
    assert cli.main(["gradescope-try", str(bundle)]) == 0
    assert "No .py or .ipynb file" in capsys.readouterr().out
    assert cli.main(["gradescope-try", str(CORPUS / "lecture_style.py"), str(tmp_path / "hw2_kim.py")]) == 2
    assert "not a zip" in capsys.readouterr().err
    assert cli.main(["gradescope-try", str(bundle), str(tmp_path / "missing.py")]) == 2


def test_single_file_grade_takes_hidden_checks_for_gradescope(tmp_path: Path) -> None:
    shutil.copy(CORPUS / "grad_never_reset.py", tmp_path / "exercise2.py")
    results = tmp_path / "results.json"
    assert cli.main([str(tmp_path / "exercise2.py"), "--reference", str(PRIVATE), "--gradescope", str(results), "--no-html", "--format", "json"]) == 1
    document = json.loads(results.read_text(encoding="utf-8"))
    _validate(document)
    assert any(t["visibility"] == "after_published" for t in document["tests"])

    # A name the grader cannot place still gives Gradescope a results.json with the reason.
    shutil.copy(CORPUS / "lecture_style.py", tmp_path / "hw2.py")
    assert cli.main([str(tmp_path / "hw2.py"), "--gradescope", str(results), "--no-html"]) == 2
    document = json.loads(results.read_text(encoding="utf-8"))
    _validate(document)
    assert document["score"] == 0 and "--exercise" in document["output"]


# ----------------------------------------------------------------------
# GitHub Classroom


def _error(line: str) -> bool:
    return line.startswith("::error")


def test_classroom_workflow_grades_the_assignment_and_reports_points(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = tmp_path / "repo"
    assert cli.main(["init", str(repo), "--github"]) == 0
    workflow = yaml.safe_load((repo / ".github" / "workflows" / "grade.yml").read_text(encoding="utf-8"))
    capsys.readouterr()
    shutil.copy(TESTS / "submissions" / "exercise1" / "lecture_style.py", repo / "exercise1.py")
    shutil.copy(CORPUS / "grad_never_reset.py", repo / "exercise2.py")  # exercise3..5 stay stubs

    (step,) = [s for s in workflow["jobs"]["grade"]["steps"] if s.get("id") == "grader"]
    (reporter,) = [s for s in workflow["jobs"]["grade"]["steps"] if "autograding-grading-reporter" in s.get("uses", "")]
    runner = reporter["with"]["runners"]
    assert re.fullmatch(r"[A-Za-z0-9]+", runner) and f"{runner.upper()}_RESULTS" in reporter["env"]
    assert f"steps.{step['id']}.outputs.result" in reporter["env"][f"{runner.upper()}_RESULTS"]
    assert "exercise*.py" not in step["run"]

    output, summary = tmp_path / "output", tmp_path / "summary.md"
    env = {
        **os.environ,
        **{k: str(v) for k, v in workflow["env"].items()},
        **{k: str(v) for k, v in step.get("env", {}).items()},
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(summary),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    done = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=repo, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    errors = [line for line in lines if _error(line)]
    notices = [line for line in lines if line.startswith("::notice")]
    assert 1 <= len(errors) <= 10
    assert all("file=exercise2.py" in line for line in errors), "only the attempted exercise is annotated"
    assert len(notices) == 1 and all(f"exercise{i}.py" in notices[0] for i in (3, 4, 5))
    assert (repo / "reports" / "exercise2.report.html").exists()

    (result_line,) = [line for line in output.read_text().splitlines() if line.startswith("result=")]
    points = json.loads(base64.b64decode(result_line.removeprefix("result=")))
    assert points["status"] == "fail" and points["version"] == 1
    assert points["max_score"] == sum(t["max_score"] for t in points["tests"]) > 0
    total = sum(t["score"] for t in points["tests"])
    assert 0 < total < points["max_score"]
    assert f"{total:g}/{points['max_score']:g}" in summary.read_text(encoding="utf-8")


def _failing(name: str, error: bool) -> CheckResult:
    frames = (Frame("exercise2.py", 7, "train", "What = What - alpha * What.grad"),) if error else ()
    return CheckResult(
        name=name,
        title=Message("check.train.lecture"),
        passed=False,
        score=0.0,
        max_score=1.0,
        diagnosis="runtime-error" if error else "wrong-value",
        # Each a mistake of its own (annotations merge the checks of one mistake on one line).
        message=Message("diagnosis.runtime-error.title", {"function": "train", "type": "TypeError"}) if error else Message("diagnosis.wrong-value.why", {"function": name}),
        error=StudentError("TypeError", "unsupported operand", frames) if error else None,
    )


def test_annotations_are_capped_with_the_students_own_error_first() -> None:
    checks = tuple(_failing(f"c{i}", error=(i == 13)) for i in range(14))
    result = GradeResult("exercise2", "exercise2.py", 0.0, 14.0, checks)
    lines = workflow_commands([result], ["exercise2.py"], "en")
    assert len(lines) == 10 and all(_error(line) for line in lines)
    assert "line=7" in lines[0]
    assert "5 more failing checks" in lines[-1]
    document = classroom_results([result], ["exercise2.py"], "en")
    assert document["max_score"] == 14 and len(document["tests"]) == 14  # type: ignore[arg-type]


# ----------------------------------------------------------------------
# The command line and the files it writes


def test_help_lists_the_subcommands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    for command in ("init", "list", "batch", "merge", "gradescope-bundle"):
        assert f"grade {command}" in out
    for option in ("--device", "--cell-timeout", "--reference"):
        assert option in out


@pytest.mark.parametrize("command", ["gradescope-bundle", "gradescope-try", "prairielearn", "shard-entry"])
def test_every_option_of_a_platform_command_is_described(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    from test_cli import described, help_of

    entries = described(help_of(command, capsys=capsys))
    assert entries and all(entries.values()), {name: text for name, text in entries.items() if not text}


def test_nothing_is_written_beside_a_submission_but_its_report(tmp_path: Path) -> None:
    work = tmp_path / "work"
    (work / "hw").mkdir(parents=True)
    shutil.copy(CORPUS / "lecture_style.py", work / "hw" / "exercise2.py")
    env = {k: v for k, v in os.environ.items() if k != "HYPOTHESIS_STORAGE_DIRECTORY"}
    done = subprocess.run([sys.executable, "-m", "grader", "hw/exercise2.py"], cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in work.iterdir()) == ["hw"]
    assert sorted(p.name for p in (work / "hw").iterdir()) == ["exercise2.py", "exercise2.report.html"]
