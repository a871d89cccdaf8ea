import re
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
EXPECT = re.compile(r"#\s*expect:\s*([\w-]+)")
# The lecture's data cell, as the lecture packs' setup (and the notebook stubs) write it.
LECTURE_DATA = (ROOT / "packs" / "lecture_data.py").read_text(encoding="utf-8").strip("\n")
# The sixth exercise: a pack outside the package.
PACK6 = ROOT / "examples" / "packs" / "exercise6"


def reference_module(exercise: str):
    """A lecture pack's reference solution, as a module (run here, in the grader)."""
    from grader.registry import EXERCISES

    return EXERCISES[exercise].pack().reference


def corpus() -> list[Path]:
    """Every real submission: tests/submissions and the packs' examples (``# expect:`` on the first line)."""
    files = sorted((TESTS / "submissions").glob("exercise*/*.py"))
    files += sorted((ROOT / "packs").glob("*/examples/*.py"))
    files += sorted(PACK6.glob("examples/*.py"))
    return files


def expectation(path: Path) -> str:
    """The outcome a corpus file declares on its first line: `# expect: <code>`."""
    with open(path, encoding="utf-8", errors="replace") as handle:
        first = handle.readline()
    match = EXPECT.search(first)
    if not match:
        raise ValueError(f"{path}: expected a first line `# expect: <code>`")
    return match.group(1)


@pytest.fixture(scope="session", autouse=True)
def _warm() -> None:
    from grader.execution.runner import prewarm

    prewarm([])


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite the golden report snapshots in tests/golden/")


@pytest.fixture(autouse=True)
def _builtin_packs_only():
    """A test that adds a pack (--pack, EXERCISES.add) leaves the registry as it found it."""
    yield
    from grader.registry import EXERCISES

    EXERCISES.forget_added()
