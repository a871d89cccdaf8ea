"""The package type-checks (public functions carry types; mypy keeps them honest)."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_mypy_is_happy() -> None:
    done = subprocess.run([sys.executable, "-m", "mypy", "grader"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
