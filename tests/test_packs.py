"""Exercise packs: an instructor adds an exercise without touching the package (issue 16).

The sixth exercise is a pack outside the package (examples/packs/exercise6); the
lecture's five are packs too.  Nothing in grader/ names an exercise.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import PACK6, ROOT
from grader.cli import main as cli

pytestmark = pytest.mark.slow


def test_nothing_in_the_package_names_an_exercise() -> None:
    """No code of grader/ compares with, or looks up, an exercise's name or one of its functions' names
    (docstrings and help texts may use exercise2.py as an example of a file name)."""
    import ast

    from grader.registry import EXERCISES

    EXERCISES.add(str(PACK6))
    import torch.nn.functional

    # PyTorch's own names (F.mse_loss) are no exercise's
    names = (set(EXERCISES) | {f for e in EXERCISES.values() for f in e.function_names}) - set(dir(torch.nn.functional))
    found = []
    for path in (ROOT / "grader").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(n.body[0].value) for n in ast.walk(tree) if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)) and n.body and isinstance(n.body[0], ast.Expr)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in names and id(node) not in docstrings:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}")
            elif isinstance(node, ast.Name) and node.id in names:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.id}")
    assert not found, found


def test_the_sixth_pack_passes_its_self_test(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["pack", "check", str(PACK6)]) == 0, capsys.readouterr().out
    out = capsys.readouterr().out
    assert "the reference gets full marks on every check" in out and "misconception logits-loss is found and named wrong-loss" in out


def test_the_lecture_packs_messages_pass_the_self_test(capsys: pytest.CaptureFixture[str]) -> None:
    packs = sorted(str(p) for p in (ROOT / "packs").iterdir() if (p / "pack.toml").is_file())
    assert cli.main(["pack", "check", "--messages-only", *packs]) == 0, capsys.readouterr().out


def test_a_new_pack_is_complete_and_passes_its_own_self_test(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "linefit"
    assert cli.main(["pack", "new", str(folder)]) == 0
    assert {p.name for p in folder.iterdir()} >= {"pack.toml", "reference.py", "cases.py", "examples"}
    assert cli.main(["pack", "check", str(folder)]) == 0, capsys.readouterr().out
    assert cli.main(["pack", "new", str(folder)]) == 2, "never over an existing folder"


def test_a_broken_pack_says_where_and_what_was_expected(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "pack.toml").write_text('format = 1\n[exercise]\nname = "broken"\nsummary = { en = "x", ko = "x" }\n[[function]]\nname = "f"\nargs = [{ name = "x", role = "weights" }]\nresult = []\npoints = {}\nlecture = { call = "f(1)" }\n', encoding="utf-8")
    assert cli.main(["list", "--pack", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "pack.toml" in err and "role" in err and "weights" in err


def test_grade_with_a_pack_outside_the_package(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    correct = tmp_path / "exercise6.py"
    correct.write_text((PACK6 / "examples" / "lecture_style.py").read_text(encoding="utf-8"), encoding="utf-8")
    assert cli.main([str(correct), "--pack", str(PACK6), "--no-html"]) == 0, capsys.readouterr().out
    swapped = tmp_path / "hw_exercise6_kim.py"
    swapped.write_text((PACK6 / "examples" / "swapped_bias_weight.py").read_text(encoding="utf-8"), encoding="utf-8")
    assert cli.main([str(swapped), "--pack", str(PACK6), "--no-html", "--format", "json"]) == 1
    document = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert "parameters-swapped" in {c["diagnosis"] for c in document["checks"]}


def test_grade_init_writes_a_packs_stubs(tmp_path: Path) -> None:
    assert cli.main(["init", str(tmp_path), "--pack", str(PACK6)]) == 0
    stub = (tmp_path / "exercise6.py").read_text(encoding="utf-8")
    assert "raise NotImplementedError" in stub and "BEGIN SOLUTION" not in stub and "BCELoss()" in stub
    assert "y = torch.bernoulli(v)" in stub, "the stub gives the data"
    assert cli.main(["init", str(tmp_path), "--pack", str(PACK6), "--notebook"]) == 0
    notebook = json.loads((tmp_path / "exercise6.ipynb").read_text(encoding="utf-8"))
    sources = ["".join(c["source"]) for c in notebook["cells"]]
    assert any("torch.bernoulli(v)" in s for s in sources) and sources[-1].startswith("from grader import check")


def test_the_stub_scores_zero_and_the_reference_full_marks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["init", str(tmp_path), "--pack", str(PACK6)]) == 0
    assert cli.main([str(tmp_path / "exercise6.py"), "--pack", str(PACK6), "--no-html", "--format", "json"]) == 1
    document = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert document["score"] == 0 and {c["diagnosis"] for c in document["checks"]} == {"not-implemented"}


def test_a_private_overlay_adds_a_hidden_check_with_its_own_title(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from conftest import TESTS

    submission = tmp_path / "exercise2.py"
    submission.write_text((TESTS / "submissions" / "exercise2" / "lecture_style.py").read_text(encoding="utf-8"), encoding="utf-8")
    assert cli.main([str(submission), "--reference", str(TESTS / "private_reference"), "--no-html", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    names = [c["name"] for c in document["checks"]]
    assert "train.hidden-long-runs" in names and names.count("train.generated") == 1


def test_a_notebook_check_grades_a_packs_exercise(tmp_path: Path) -> None:
    from grader.cli.inline import grade_history

    code = (PACK6 / "examples" / "lecture_style.py").read_text(encoding="utf-8")
    reply = grade_history({"op": "grade", "cells": [[1, code]], "exercise": "exercise6", "names": ["make_net", "train_logistic"], "lang": "en", "timeout": 60, "pack": str(PACK6)}, str(tmp_path), 1)
    assert reply["ok"], reply
    assert reply["result"]["score"] == reply["result"]["max_score"] > 0


def test_the_gradescope_bundle_carries_the_pack(tmp_path: Path) -> None:
    bundle = tmp_path / "autograder.zip"
    assert cli.main(["gradescope-bundle", "--exercise", "exercise6", "--pack", str(PACK6), "--out", str(bundle)]) == 0
    names = set(zipfile.ZipFile(bundle).namelist())
    assert {"pack/pack.toml", "pack/reference.py", "pack/cases.py"} <= names
    assert '--pack "$ROOT/source/pack"' in zipfile.ZipFile(bundle).read("run_autograder").decode()


def test_an_installed_grader_grades_the_sixth_pack_from_outside_the_source_tree(tmp_path: Path) -> None:
    """A non-editable install (a wheel into a folder of its own), run from a folder that is not the checkout."""
    wheels, target, work = tmp_path / "wheels", tmp_path / "site", tmp_path / "work"
    work.mkdir()
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(wheels), str(ROOT)], check=True, capture_output=True, timeout=600)
    (wheel,) = wheels.glob("grader-*.whl")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)], check=True, capture_output=True, timeout=600)
    import shutil

    pack = work / "exercise6-pack"
    shutil.copytree(PACK6, pack)
    env = {**os.environ, "PYTHONPATH": str(target)}
    where = subprocess.run([sys.executable, "-c", "import grader; print(grader.__file__)"], cwd=work, env=env, capture_output=True, text=True, timeout=60)
    assert where.stdout.strip().startswith(str(target)), where.stdout + where.stderr
    done = subprocess.run(
        [sys.executable, "-m", "grader", "pack", "check", str(pack)],
        cwd=work, env=env, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "example swapped_bias_weight.py gets parameters-swapped" in done.stdout
