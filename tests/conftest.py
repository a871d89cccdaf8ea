import re
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
EXPECT = re.compile(r"#\s*expect:\s*([\w-]+)")


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
