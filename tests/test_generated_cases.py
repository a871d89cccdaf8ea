"""Generated cases depend on the seed alone: not on how the grader is installed, nor on what was imported first.

Hypothesis (6.131 and later) mixes into its draws the constants it finds in
"local" modules, those outside site-packages.  With an editable install every
grader module is local, and so is whatever a test or an overlay imported
first: the same submission would meet other cases on another machine.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_no_constant_is_drawn_from_the_grader_s_own_modules() -> None:
    import grader.checks  # noqa: F401  (it turns the local constants off)
    from hypothesis.internal.conjecture import providers

    assert len(providers._get_local_constants()) == 0


# Numbers a draw from integers(0, 2**40) would hit by chance about once in a
# billion tries, but often by reading them from the planted module: without the
# fix, dozens of the 2,000 draws come from it.
PLANTED = [987_654_321_000 + 7_919 * i for i in range(400)]

PROGRAM = """
import random, sys
sys.path.insert(0, {folder!r})
import grader.checks  # what grading imports first
import planted  # a local module, imported before the first search
from hypothesis import HealthCheck, Phase, find, settings, strategies as st
seen = []
def record(numbers):
    seen.extend(numbers)
    return False
config = settings(max_examples=200, database=None, deadline=None, phases=(Phase.generate,), suppress_health_check=list(HealthCheck))
try:
    find(st.lists(st.integers(0, 2**40), min_size=10, max_size=10), record, settings=config, random=random.Random(43052))
except Exception:
    pass
print(len(seen), len(set(seen) & set(planted.NUMBERS)))
"""


def test_a_constant_in_a_module_imported_before_grading_is_never_drawn(tmp_path: Path) -> None:
    (tmp_path / "planted.py").write_text("NUMBERS = (" + ", ".join(map(str, PLANTED)) + ",)\n")
    done = subprocess.run([sys.executable, "-c", PROGRAM.format(folder=str(tmp_path))], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    drawn, hits = map(int, done.stdout.split())
    assert drawn >= 1000
    assert hits == 0, f"{hits} of the planted module's numbers were drawn"
