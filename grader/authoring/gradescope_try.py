"""``grade gradescope-try ZIP UPLOAD...``: run an autograder zip here, as Gradescope would.

It lays out the tree Gradescope builds (``source/`` holding the unpacked zip,
``submission/`` holding the upload, ``results/``), runs the zip's own
``run_autograder`` in it with the two variables that script reads
(``GRADER_AUTOGRADER_ROOT``, the folder standing for ``/autograder``, and
``GRADER_PYTHON``, this Python, which has the grader), and prints what the
student sees of ``results.json`` before grades are published and after.

What it cannot try: ``setup.sh`` (it installs into Gradescope's image), so the
grader that runs is the one installed here, not the copy inside the zip; a
warning says when their versions differ.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any, Optional, Sequence

from grader import __version__
from grader.authoring.gradescope_bundle import PYTHON_ENV, ROOT_ENV
from grader.intake.submission import UsageError
from grader.report import escape

_SHOWN_BEFORE = ("visible", "after_due_date")


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="grade gradescope-try",
        description="Run an autograder zip made by `grade gradescope-bundle` on an upload, here, as Gradescope would, "
        f"and show what the student sees. It sets {ROOT_ENV} (the folder standing for /autograder) and {PYTHON_ENV} (this Python) for the zip's run_autograder.",
    )
    parser.add_argument("zip", metavar="ZIP", help="the autograder zip")
    parser.add_argument("uploads", nargs="*", metavar="UPLOAD", help="the files the student uploads, or a folder holding them (none: an empty upload)")
    parser.add_argument("--results", metavar="FILE", help="also copy the results.json to FILE")
    parser.add_argument("--keep", metavar="DIR", help="lay out the tree in DIR (a new folder) and keep it, to look inside or run run_autograder again")
    args = parser.parse_args(list(argv))
    if args.keep:
        root = Path(args.keep)
        if root.exists():
            raise UsageError(f"--keep {args.keep}: already exists. Give a new folder: it becomes the /autograder tree")
        root.mkdir(parents=True)
    else:
        root = Path(tempfile.mkdtemp(prefix="gradescope-try-"))
    try:
        document = try_bundle(Path(args.zip), [Path(u) for u in args.uploads], root)
        if args.results:
            shutil.copyfile(root / "results" / "results.json", args.results)
        print(describe(document))
        if args.keep:
            print(f"\nThe tree is in {args.keep}; run it again with: {ROOT_ENV}={shlex.quote(args.keep)} {PYTHON_ENV}={shlex.quote(sys.executable)} bash {shlex.quote(os.path.join(args.keep, 'run_autograder'))}")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    return 0


def try_bundle(bundle: Path, uploads: Sequence[Path], root: Path) -> dict[str, Any]:
    """Lay out ``root`` as Gradescope's /autograder, run the zip's run_autograder there, return results.json.

    UsageError when ``bundle`` is not an autograder zip, an upload is missing,
    or run_autograder leaves no results.json.
    """
    _unpack(bundle, root / "source")
    script = root / "source" / "run_autograder"
    if not script.is_file():
        raise UsageError(f"{bundle}: no run_autograder at the root of the zip; expected a zip made by `grade gradescope-bundle`")
    shutil.copyfile(script, root / "run_autograder")
    os.chmod(root / "run_autograder", 0o755)
    submission = root / "submission"
    submission.mkdir()
    for upload in uploads:
        if upload.is_dir():
            shutil.copytree(upload, submission, dirs_exist_ok=True, symlinks=True)
        elif upload.is_file():
            shutil.copyfile(upload, submission / upload.name)
        else:
            raise UsageError(f"{upload}: no such file or folder; give the files the student uploads")
    (root / "results").mkdir()
    bundled = _bundled_version(root / "source")
    if bundled is not None and bundled != __version__:
        print(f"grade gradescope-try: warning: the zip holds grader {bundled}; this try runs the grader installed here ({__version__})", file=sys.stderr)
    env = {**os.environ, ROOT_ENV: str(root), PYTHON_ENV: sys.executable}
    subprocess.run(["bash", str(root / "run_autograder")], cwd=root, env=env, check=False)
    results = root / "results" / "results.json"
    try:
        document = json.loads(results.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"run_autograder wrote no readable results.json ({exc}); Gradescope would show the student 'autograder failed'") from None
    if not isinstance(document, dict):
        raise UsageError("run_autograder's results.json is not a JSON object")
    return document


def _unpack(bundle: Path, into: Path) -> None:
    try:
        archive = zipfile.ZipFile(bundle)
    except (OSError, zipfile.BadZipFile) as exc:
        raise UsageError(f"{bundle}: not a zip file ({exc}); expected the autograder zip of `grade gradescope-bundle`") from None
    with archive:
        for info in archive.infolist():
            parts = PurePosixPath(info.filename).parts
            if info.filename.startswith("/") or ".." in parts or "\\" in info.filename:
                raise UsageError(f"{bundle}: the entry {info.filename!r} would land outside the tree; expected the zip of `grade gradescope-bundle`")
        archive.extractall(into)
        for info in archive.infolist():
            mode = info.external_attr >> 16
            if mode & 0o111 and not info.is_dir():
                os.chmod(into / info.filename, 0o755)


def _bundled_version(source: Path) -> Optional[str]:
    try:
        text = (source / "grader" / "pyproject.toml").read_text(encoding="utf-8")
    except OSError:
        return None
    match = re.search(r'^version\s*=\s*"([^"]+)"', text, re.M)
    return match.group(1) if match else None


def describe(document: dict[str, Any]) -> str:
    """What the student sees of ``document``, before and after grades are published (Gradescope's visibility rules)."""
    top = str(document.get("visibility", "visible"))
    tests = [t for t in document.get("tests", []) if isinstance(t, dict)]
    before = [t for t in tests if str(t.get("visibility", top)) in _SHOWN_BEFORE]
    later = [t for t in tests if t not in before and str(t.get("visibility", top)) != "hidden"]
    never = [t for t in tests if str(t.get("visibility", top)) == "hidden"]
    score = document.get("score", sum(float(t.get("score", 0) or 0) for t in tests))
    total = sum(float(t.get("max_score", 0) or 0) for t in tests)
    lines = [f"score {_number(score)}" + (f" (the tests' points add up to {_number(total)})" if tests else "")]
    lines.append("")
    lines.append("Before grades are published, the student sees:" if top in _SHOWN_BEFORE else f"The student sees nothing before grades are published (top-level visibility: {escape.terminal(top)}).")
    if top in _SHOWN_BEFORE:
        if not later:
            lines.append(f"  the score: {_number(score)}")
        for line in str(document.get("output", "")).splitlines() or [""]:
            lines.append("  | " + escape.terminal(line))
        lines += [_test_line(t) for t in before]
    if later:
        lines.append("Once grades are published, also:")
        lines += [_test_line(t) for t in later]
        lines.append(f"  the score: {_number(score)}")
    if never:
        lines.append("Never shown to the student:")
        lines += [_test_line(t) for t in never]
    return "\n".join(lines)


def _test_line(test: dict[str, Any]) -> str:
    mark = "✓" if test.get("status") == "passed" or (test.get("status") is None and test.get("score") == test.get("max_score")) else "✗"
    points = f"{_number(test.get('score', 0))}/{_number(test.get('max_score', 0))}"
    return f"  {escape.terminal(test.get('number', '')):>3} {mark} {points:>7}  {escape.terminal(test.get('name', ''))}"


def _number(value: Any) -> str:
    try:
        return f"{float(value):g}"
    except (TypeError, ValueError):
        return escape.terminal(value)
