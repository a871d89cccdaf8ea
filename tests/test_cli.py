"""The command line a student and a CI job use: outputs, exit codes, init and list."""
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import TESTS
from grader.cli import main as cli
from grader.registry import detect

CORRECT = TESTS / "submissions" / "exercise2" / "lecture_style.py"
BUGGY = TESTS / "submissions" / "exercise2" / "grad_never_reset.py"


def run_grade(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "grader", *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_json_is_one_strict_document_and_the_same_every_time(tmp_path: Path) -> None:
    shutil.copy(BUGGY, tmp_path / "exercise2.py")
    first = run_grade("exercise2.py", "--format", "json", "--no-html", cwd=tmp_path)
    second = run_grade("exercise2.py", "--format", "json", "--no-html", cwd=tmp_path)
    assert first.returncode == 1, first.stderr
    assert first.stdout == second.stdout
    lines = first.stdout.strip().splitlines()
    assert len(lines) == 1
    document = json.loads(lines[0], parse_constant=lambda name: pytest.fail(f"non-strict JSON constant {name}"))
    assert set(document) >= {"exercise", "submission", "score", "max_score", "checks"}
    assert document["exercise"] == "exercise2"
    for check in document["checks"]:
        assert set(check) >= {"name", "passed", "score", "max_score", "diagnosis", "message"}
    assert "grad-not-cleared" in {c["diagnosis"] for c in document["checks"]}


def test_full_marks_exit_zero_and_text_summary(tmp_path: Path) -> None:
    shutil.copy(CORRECT, tmp_path / "hw_exercise2_kim.py")
    done = run_grade("hw_exercise2_kim.py", "--no-html", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Full marks" in done.stdout and "✓" in done.stdout and "✗" not in done.stdout
    assert "\033[" not in done.stdout  # no colour when stdout is not a terminal


def test_cannot_grade_exits_two_with_what_to_do(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([str(tmp_path / "missing.py")]) == 2
    assert "no such file" in capsys.readouterr().err
    (tmp_path / "homework.py").write_text("x = 1\n")
    assert cli.main([str(tmp_path / "homework.py")]) == 2
    assert "--exercise" in capsys.readouterr().err
    assert cli.main([str(tmp_path / "homework.py"), "--exercise", "exercise9"]) == 2
    assert "unknown exercise" in capsys.readouterr().err


def test_several_paths_give_one_json_line_each(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(CORRECT, tmp_path / "a_exercise2.py")
    shutil.copy(BUGGY, tmp_path / "b_exercise2.py")
    status = cli.main([str(tmp_path / "a_exercise2.py"), str(tmp_path / "b_exercise2.py"), "--format", "json", "--no-html", "-j", "2"])
    lines = capsys.readouterr().out.strip().splitlines()
    assert status == 1
    assert [json.loads(line)["score"] == json.loads(line)["max_score"] for line in lines] == [True, False]


def test_init_copies_stubs_without_overwriting(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "exercise1.py").write_text("# my work\n")
    assert cli.main(["init", str(tmp_path)]) == 0
    assert (tmp_path / "exercise1.py").read_text() == "# my work\n"
    for n in range(2, 6):
        assert "NotImplementedError" in (tmp_path / f"exercise{n}.py").read_text()


def test_stub_scores_zero_as_not_implemented(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cli.main(["init", str(tmp_path)])
    capsys.readouterr()
    assert cli.main([str(tmp_path / "exercise4.py"), "--format", "json", "--no-html"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["score"] == 0
    assert {c["diagnosis"] for c in document["checks"]} == {"not-implemented"}


def test_list_names_the_five_exercises(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["list", "--lang", "en"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split()[0] for line in lines] == [f"exercise{n}" for n in range(1, 6)]


@pytest.mark.parametrize(
    "name, expected",
    [("exercise3.py", "exercise3"), ("exercise3.ipynb", "exercise3"), ("hw_exercise3_kim.py", "exercise3"), ("Exercise_2.py", "exercise2"), ("homework.py", None), ("exercise9.py", None)],
)
def test_exercise_from_file_name(name: str, expected: str) -> None:
    assert detect(name) == expected


def test_non_finite_results_keep_json_strict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = (
        "import torch\n"
        "def train(X, y, What, alpha, epochs):\n"
        "    return [float('nan')] * epochs, [[float('inf'), -float('inf')]] * (epochs + 1)\n"
    )
    (tmp_path / "exercise2.py").write_text(source)
    assert cli.main([str(tmp_path / "exercise2.py"), "--format", "json", "--no-html"]) == 1
    out = capsys.readouterr().out
    json.loads(out, parse_constant=lambda name: pytest.fail(f"non-strict JSON constant {name}"))


# ----------------------------------------------------------------------
# Help: every command and option can be found from `grade --help`, and each is described


def help_of(*args: str, capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as done:
        cli.main([*args, "--help"])
    assert done.value.code == 0
    return capsys.readouterr().out


def described(text: str) -> dict[str, str]:
    """argparse's 'positional arguments:' and 'options:' entries: each option (or positional) -> its description."""
    entries: dict[str, str] = {}
    lines = [line for block in re.findall(r"^(?:positional arguments|options):\n(.*?)(?:\n\n|\Z)", text, flags=re.MULTILINE | re.DOTALL) for line in block.splitlines()]
    current: list[str] = []
    for line in lines:
        if not line.startswith("   "):
            head = re.match(r"^  (\S.*?)(?:\s{2,}(.*))?$", line)
            assert head, line
            current = re.findall(r"(?<![\w-])(-{1,2}[a-z][a-z-]*)", head.group(1)) or [head.group(1)]
            for name in current:
                entries[name] = head.group(2) or ""
        else:
            for name in current:
                entries[name] = (entries[name] + " " + line.strip()).strip()
    return entries


def test_every_command_and_option_is_found_from_grade_help(capsys: pytest.CaptureFixture[str]) -> None:
    top = help_of(capsys=capsys)
    # grade init --notebook was missing, and merge's, batch's and gradescope-bundle's own options.
    for command in cli.SUBCOMMANDS:
        assert f"grade {command}" in top, command
        options = {name for name in described(help_of(command, capsys=capsys)) if name.startswith("-") and name not in ("-h", "--help")}
        missing = sorted(name for name in options if not re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", top))
        assert not missing, (command, missing)
    assert "help(check)" in top and "grade COMMAND --help" in top


@pytest.mark.parametrize("command", [(), ("init",), ("list",), ("gradescope-bundle",)])
def test_every_option_of_a_command_is_described(command: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    # (grade batch and grade merge: their --help is a colleague's, tested with batch.)
    entries = described(help_of(*command, capsys=capsys))
    assert entries and all(entries.values()), {name: text for name, text in entries.items() if not text}
