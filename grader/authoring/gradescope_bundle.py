"""Gradescope, end to end: `grade gradescope-bundle` writes the autograder zip, and its
``run_autograder`` grades whatever the student uploaded.

The zip holds, at its root (Gradescope's autograder specification):

- ``setup.sh``: run once when Gradescope builds the image; installs Python, the
  CPU build of torch (from PyTorch's CPU wheel index, not the multi-GB CUDA
  build) and this very grader, whose source travels in ``grader/``;
- ``run_autograder``: run for every upload, in ``/autograder``; grades the
  ``.py`` or ``.ipynb`` file found in ``/autograder/submission`` (under any
  name) and always writes ``/autograder/results/results.json``: when nothing can
  be graded, a score of 0 and the reason, so the student never sees a bare
  "autograder failed";
- ``reference/<exercise>.py``: the instructor's private checks, when given
  (hidden checks are ``after_published``).

The grading options given to ``grade gradescope-bundle`` (``--seed``,
``--examples``, ``--timeout``, ``--memory-limit``, ``--cell-timeout``,
``--device``, ...) are written into ``run_autograder``, so Gradescope grades
exactly as ``grade batch`` would with the same options.

``run_autograder`` reads ``GRADER_AUTOGRADER_ROOT`` (default ``/autograder``)
and ``GRADER_PYTHON`` (default the virtual environment ``setup.sh`` made), so
that it can run in a fake tree: ``grade gradescope-try autograder.zip
UPLOAD...`` (``try_main``) lays one out, runs it, and shows what a student sees.
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
import zipfile
from importlib import metadata, resources
from importlib.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, Sequence

from grader import __version__
from grader.messages import render
from grader.registry import EXERCISES
from grader.intake.submission import UsageError
from grader.authoring.upload import choose, grade_file, grading_argv

if TYPE_CHECKING:
    from grader.execution.grading import Options

ROOT_ENV, PYTHON_ENV = "GRADER_AUTOGRADER_ROOT", "GRADER_PYTHON"
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
_PACKAGES = ("grader", "grader.reference", "grader.exercises")


# -- building the zip ---------------------------------------------------------


def main(argv: Sequence[str]) -> int:
    from grader.cli.options import add_grading_options

    parser = argparse.ArgumentParser(
        prog="grade gradescope-bundle",
        description="Write the autograder zip to upload to Gradescope: setup.sh, run_autograder, this grader's source and your private checks. "
        "The grading options are written into run_autograder. Try the zip on an upload with `grade gradescope-try ZIP FILE`.",
    )
    parser.add_argument("--out", default="autograder.zip", metavar="ZIP", help="where to write the zip (default: autograder.zip)")
    parser.add_argument("--torch", default=None, metavar="VERSION", help="torch version setup.sh installs (default: the one installed here)")
    add_grading_options(parser)
    args = parser.parse_args(list(argv))
    if args.exercise not in EXERCISES:
        found = f"found {args.exercise!r}" if args.exercise else "found none"
        raise UsageError(f"grade gradescope-bundle needs --exercise NAME, the exercise of this Gradescope assignment (one of {', '.join(EXERCISES)}); {found}")
    if args.device == "cuda":
        raise UsageError("--device cuda: Gradescope's autograders have no GPU, so every device check would fail. Keep the default (virtual-cuda, an emulated device) or pass --device off.")
    reference = None
    if args.reference:
        reference = os.path.join(args.reference, f"{args.exercise}.py")
        if not os.path.isfile(reference):
            raise UsageError(f"{args.reference}: no {args.exercise}.py in it. Expected a folder with your private checks for {args.exercise} (see tests/private_reference/).")
    args.lang = args.lang or "en"
    build(args.out, args.exercise, reference=reference, torch_version=args.torch or _installed_torch(), grading=grading_argv(args))
    print(f"wrote {args.out}: upload it as the autograder of the {args.exercise} assignment on Gradescope (Ubuntu base image)")
    print(f"try it first on an upload: grade gradescope-try {shlex.quote(args.out)} {args.exercise}.py")
    return 0


def build(out: str, exercise: str, reference: Optional[str] = None, torch_version: Optional[str] = None, grading: Sequence[str] = ()) -> None:
    """Write the autograder zip at ``out``.

    ``reference`` is the private checks' file (DIR/exerciseN.py) or None;
    ``grading`` the options ``run_autograder`` passes on (``grading_argv``;
    none: the defaults, in English).
    """
    words = list(grading) or ["--exercise", exercise, "--lang", "en"]
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        _add(archive, "setup.sh", setup_script(torch_version), executable=True)
        _add(archive, "run_autograder", run_script(words, reference is not None), executable=True)
        if reference is not None:
            _add(archive, f"reference/{exercise}.py", Path(reference).read_text(encoding="utf-8"))
        for name, text in grader_source().items():
            _add(archive, f"grader/{name}", text)


def _add(archive: zipfile.ZipFile, name: str, text: str, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
    info.external_attr = (0o100755 if executable else 0o100644) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, text)


def _installed_torch() -> Optional[str]:
    try:
        return metadata.version("torch").split("+")[0]
    except metadata.PackageNotFoundError:
        return None


def setup_script(torch_version: Optional[str]) -> str:
    torch = f"torch=={torch_version}" if torch_version else "torch"
    return f"""#!/usr/bin/env bash
# Gradescope runs this once, when it builds the autograder's image (Ubuntu).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq python3 python3-venv python3-pip >/dev/null
python3 -m venv /autograder/venv
# The CPU build of torch, from PyTorch's own index: the default one on PyPI
# brings gigabytes of CUDA libraries that a grader never uses.
/autograder/venv/bin/pip install --quiet {shlex.quote(torch)} --index-url {CPU_INDEX}
/autograder/venv/bin/pip install --quiet /autograder/source/grader
/autograder/venv/bin/grade --version
"""


def run_script(grading: Sequence[str], reference: bool) -> str:
    """``run_autograder``: ``grading`` are the options written by ``grading_argv``."""
    lang = grading[list(grading).index("--lang") + 1] if "--lang" in grading else "en"
    extra = ' --reference "$ROOT/source/reference"' if reference else ""
    return f"""#!/usr/bin/env bash
# Gradescope runs this for every upload: it grades the .py or .ipynb file the
# student uploaded, under any name, and always writes results/results.json.
# Two variables let it run outside Gradescope (grade gradescope-try does so):
#   {ROOT_ENV}  the folder that stands for /autograder (submission/, source/, results/)
#   {PYTHON_ENV}           the Python that has the grader (default: the venv setup.sh made)
ROOT="${{{ROOT_ENV}:-/autograder}}"
PYTHON="${{{PYTHON_ENV}:-$ROOT/venv/bin/python}}"
mkdir -p "$ROOT/results"
# -I: neither the working folder nor PYTHON* variables can put other code before the grader's.
"$PYTHON" -I -m grader.authoring.gradescope_bundle run --root "$ROOT" {shlex.join(grading)}{extra}
if [ ! -s "$ROOT/results/results.json" ]; then
    # The grader itself could not start (a broken image): say so, with a score.
    printf '%s\\n' {shlex.quote(json.dumps(_fallback(lang), ensure_ascii=False))} > "$ROOT/results/results.json"
fi
exit 0
"""


def _fallback(lang: str = "en") -> dict[str, Any]:
    return {"score": 0, "output": render("gradescope.not-started", lang), "output_format": "text", "visibility": "visible", "tests": []}


def grader_source() -> dict[str, str]:
    """This grader as an installable source tree: {relative path: text}.

    Read from the installed packages (a wheel or an editable checkout alike),
    so the zip grades exactly as the instructor's own copy does.
    """
    files: dict[str, str] = {}
    for package in _PACKAGES:
        base = "src/" + package.replace(".", "/")
        _collect(resources.files(package), base, files)
    packages = sorted({os.path.dirname(p)[len("src/"):].replace("/", ".") for p in files if p.endswith("/__init__.py")})
    files["pyproject.toml"] = _pyproject(packages)
    return files


def _collect(folder: Traversable, base: str, files: dict[str, str]) -> None:
    for entry in folder.iterdir():
        if entry.name in ("__pycache__",) or entry.name.endswith((".pyc", ".pyo")):
            continue
        if entry.is_dir():
            _collect(entry, f"{base}/{entry.name}", files)
        elif entry.name.endswith((".py", ".json", ".j2", ".yml", ".html", ".typed")):
            files.setdefault(f"{base}/{entry.name}", entry.read_text(encoding="utf-8"))


def _pyproject(packages: list[str]) -> str:
    try:
        requires = [r for r in metadata.requires("grader") or [] if "extra ==" not in r]
    except metadata.PackageNotFoundError:
        requires = ["torch>=2.1"]
    data = {"grader.reference": ["*.json"], "grader.exercises": ["*.py", ".github/workflows/*.yml"], "grader.report": ["templates/*"]}
    lines = [
        "[build-system]",
        'requires = ["setuptools>=68"]',
        'build-backend = "setuptools.build_meta"',
        "",
        "[project]",
        'name = "grader"',
        f"version = {json.dumps(__version__)}",
        'requires-python = ">=3.10"',
        f"dependencies = {json.dumps(requires)}",
        "",
        "[project.scripts]",
        'grade = "grader.cli.main:main"',
        "",
        "[tool.setuptools]",
        'package-dir = { "" = "src" }',
        f"packages = {json.dumps(packages)}",
        "",
        "[tool.setuptools.package-data]",
        *(f"{json.dumps(k)} = {json.dumps(v)}" for k, v in data.items() if k in packages),
        "",
    ]
    return "\n".join(lines)


# -- grading an upload ----------------------------------------------------------


def run(argv: Sequence[str]) -> int:
    """Grade the upload in ROOT/submission into ROOT/results/results.json; always exit 0."""
    from grader.cli.options import add_grading_options, options_from

    parser = argparse.ArgumentParser(prog="python -m grader.authoring.gradescope_bundle run")
    parser.add_argument("--root", default="/autograder")
    add_grading_options(parser)
    args = parser.parse_args(list(argv))
    lang = args.lang or "en"
    root = Path(args.root)
    target = root / "results" / "results.json"
    started = time.monotonic()
    try:
        if args.exercise not in EXERCISES:
            raise UsageError(f"run_autograder names no known exercise ({args.exercise!r})")
        document = grade_upload(root / "submission", args.exercise, lang, options_from(args))
    except BaseException as exc:  # noqa: BLE001 -- whatever happens, Gradescope gets a results.json
        if isinstance(exc, KeyboardInterrupt):
            raise
        print(f"grade: the autograder failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        document = _fallback(lang)
        document["execution_time"] = round(time.monotonic() - started, 3)
    from grader.report.outputs import write_atomic

    write_atomic(str(target), json.dumps(document, ensure_ascii=False, allow_nan=False, indent=2) + "\n")
    return 0


def grade_upload(folder: Path, exercise: str, lang: str, options: "Options") -> dict[str, Any]:
    """results.json for the upload in ``folder``: the grade, or a score of 0 and why."""
    chosen, others = choose(folder, exercise) if folder.is_dir() else (None, [])
    if chosen is None:
        return {"score": 0, "output": render("gradescope.no-upload", lang, exercise=exercise), "output_format": "text", "visibility": "visible", "tests": []}
    shown = chosen.relative_to(folder).as_posix()
    from grader.report.gradescope import render_gradescope

    result = grade_file(chosen, folder, exercise, options)
    document = render_gradescope(result, lang)
    if others:
        from grader.report.common import markdown_text

        note = render("gradescope.others", lang, shown=shown, others=", ".join(others))

        document["output"] = f"{markdown_text(note)}\n\n{document.get('output', '')}"
    return document


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "run":
        sys.exit(run(sys.argv[2:]))
    sys.exit(main(sys.argv[1:]))
