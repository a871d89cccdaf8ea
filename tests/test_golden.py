"""Golden snapshots of what a student reads, one submission per diagnosis code: JSON, terminal, HTML.

Paths, times and the drawn figures (matplotlib's SVG changes between releases)
are normalised.  After an intended change: `python -m pytest tests/test_golden.py --update-golden`,
then review the diff of tests/golden/.
"""
import json
from dataclasses import replace
import re
from pathlib import Path

import pytest

from conftest import TESTS, expectation
from grader.execution.grading import Options, grade
from grader.report.html import render_html
from grader.report.json_output import to_document
from grader.report.terminal import render_terminal
from grader.worker.sandbox.limits import Limits
from grader.intake.submission import locate

GOLDEN = TESTS / "golden"
ROOT = TESTS.parent


def one_per_code() -> list[Path]:
    chosen: dict[str, Path] = {}
    for pattern in ("submissions/exercise*/*.py", "device/ex*.py"):
        for path in sorted(TESTS.glob(pattern)):
            code = expectation(path)
            chosen.setdefault(code, path)
    return [chosen[code] for code in sorted(chosen)]


def exercise_of(path: Path) -> str:
    return path.parent.name if path.parent.name.startswith("exercise") else "exercise" + path.name[2]


def normalise(text: str) -> str:
    text = text.replace(str(ROOT), "<ROOT>")
    text = re.sub(r"/tmp/grader-[\w-]+", "<WORKDIR>", text)
    text = re.sub(r"(<svg\b[^>]*>).*?(</svg>)", r"\1…\2", text, flags=re.DOTALL)
    text = re.sub(r"\d+(\.\d+)? ?(s|seconds|초)\b(?=[^<]*</p>)", "<TIME>", text)
    return text


def check(name: str, text: str, update: bool) -> None:
    path = GOLDEN / name
    if update or not path.exists():
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        if not update:
            pytest.fail(f"created {path}; review it and run again")
    assert text == path.read_text(encoding="utf-8"), f"{name} changed; if intended, run with --update-golden and review the diff"


@pytest.mark.parametrize("path", one_per_code(), ids=lambda p: expectation(p))
def test_report_snapshots(path: Path, request: pytest.FixtureRequest) -> None:
    update = request.config.getoption("--update-golden")
    code = expectation(path)
    result = grade(locate(str(path), exercise=exercise_of(path)), Options(limits=Limits(timeout=30)))
    # Which sandbox protections a machine lacks is the machine's, not the submission's.
    result = replace(result, run=replace(result.run, protections_missing=()))
    lang = "ko" if code in ("grad-not-cleared", "wrong-loss") else "en"
    document = to_document(result, lang)
    check(f"{code}.json", normalise(json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True)) + "\n", update)
    check(f"{code}.txt", normalise(render_terminal(result, lang)) + "\n", update)
    check(f"{code}.html", normalise(render_html(result, lang)), update)
    if code != "full-marks":
        assert code in result.diagnoses
