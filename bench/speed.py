"""Benchmark: grading speed and memory, as ratios to one `python -c "import torch"`.

Run: python bench/speed.py [--repeat 3] [--notebooks]
Figures are measured side by side in one run, so they are comparable on a
shared machine; they are not asserted by the test suite (too noisy there).
"""
from __future__ import annotations

import argparse
import glob
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "submissions" / "exercise2"
GRADE = [sys.executable, "-m", "grader"]


def wall(cmd: list[str], cwd: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def tree_pss(root: int) -> int:
    """Proportional set size (bytes) of a process and all its descendants."""
    children: dict[int, list[int]] = {}
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            fields = open(stat).read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.split("/")[2]))
        except (OSError, ValueError, IndexError):
            continue
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        stack.extend(children.get(pid, []))
        try:
            for line in open(f"/proc/{pid}/smaps_rollup"):
                if line.startswith("Pss:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


def peak_run(cmd: list[str], cwd: str) -> tuple[float, int]:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = [0]

    def sample() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], tree_pss(proc.pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    proc.wait()
    elapsed = time.perf_counter() - start
    sampler.join()
    return elapsed, peak[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="grader-bench-")
    try:
        shutil.copy(CORPUS / "lecture_style.py", os.path.join(work, "exercise2.py"))
        sources = sorted(p for p in CORPUS.glob("*.py"))
        batch = os.path.join(work, "batch")
        os.makedirs(batch)
        for i in range(args.count):
            shutil.copy(sources[i % len(sources)], os.path.join(batch, f"s{i:03d}_exercise2.py"))
        files = sorted(os.listdir(batch))

        torch_import = wall([sys.executable, "-c", "import torch"], work, args.repeat)
        one = wall(GRADE + ["exercise2.py", "--no-html", "--format", "json"], work, args.repeat)
        one_html = wall(GRADE + ["exercise2.py", "--format", "json"], work, args.repeat)
        many, peak = peak_run(GRADE + files + ["--no-html", "--format", "json", "--timeout", "20", "-j", str(args.jobs)], batch)
        many_serial, _ = peak_run(GRADE + files + ["--no-html", "--format", "json", "--timeout", "20", "-j", "1"], batch)

        print(f"python -c 'import torch'            {torch_import:.3f} s")
        print(f"grade one correct exercise2.py       {one:.3f} s   ratio {one / torch_import:.2f}  (goal <= 1.5)")
        print(f"  same, writing the HTML report      {one_html:.3f} s   ratio {one_html / torch_import:.2f}")
        per = many / args.count
        print(f"grade {args.count} submissions, -j {args.jobs}      {many:.3f} s   {per:.3f} s each, ratio {per / torch_import:.3f}  (goal <= 0.1)")
        print(f"grade {args.count} submissions, -j 1       {many_serial:.3f} s   {many_serial / args.count:.3f} s each, ratio {many_serial / args.count / torch_import:.3f}")
        print(f"peak memory (PSS of the process tree), {args.count}-file run: {peak / 2**20:.0f} MiB")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
