"""What grading one file costs the grader process itself: ``python probe.py FILE EXERCISE TIMEOUT``.

Prints one JSON object: the grade, and the grader process's own CPU seconds
(``RUSAGE_SELF``: the workers are other processes, with limits of their own)
and the growth of its peak resident memory, both measured around ``grade``
after a warm-up grading of a correct file, so that imports and the fork
server's start are not counted.
"""
from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path

from grader.execution.grading import Options, grade
from grader.execution.runner import prewarm
from grader.intake.submission import locate
from grader.worker.sandbox.limits import Limits


def peak_kib() -> int:
    """VmHWM, the peak resident memory (KiB)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def reset_peak() -> bool:
    """Reset VmHWM to the current resident size (Linux >= 4.0); False where that is refused."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def main() -> None:
    path, exercise, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])
    options = Options(limits=Limits(timeout=timeout), max_examples=2)
    warm = Path(__file__).with_name("warm_" + exercise + (".ipynb" if path.endswith(".ipynb") else ".py"))
    prewarm([locate(path, exercise=exercise)])
    grade(locate(str(warm), exercise=exercise), options) if warm.exists() else None
    reset = reset_peak()
    before_peak, before = peak_kib(), resource.getrusage(resource.RUSAGE_SELF)
    started = time.monotonic()
    result = grade(locate(path, exercise=exercise), options)
    after = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({
        "score": result.score,
        "max_score": result.max_score,
        "diagnosis": result.diagnosis,
        "cpu_s": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
        "wall_s": time.monotonic() - started,
        "peak_growth_mib": (peak_kib() - before_peak) / 1024,
        "peak_reset": reset,
        "pid": os.getpid(),
    }))


if __name__ == "__main__":
    main()
