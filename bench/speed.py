"""Benchmark: grading speed and memory, as ratios to one `python -c "import torch"`.

Run: python bench/speed.py [--repeat 3] [--notebooks] [--inline]
Figures are measured side by side in one run, so they are comparable on a
shared machine; they are not asserted by the test suite (too noisy there).
"""
from __future__ import annotations

import argparse
import glob
import json
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


NOTEBOOKS = ROOT / "tests" / "notebooks"
# Realistic proportions for a class: most notebooks right, a third with a bug,
# a couple with a stray failing cell, one in twenty hanging.
NOTEBOOK_MIX = [
    ("ex2_correct.ipynb", 20),
    ("ex2_stray_error.ipynb", 4),
    ("ex2_old_v40.ipynb", 2),
    ("ex2_grad_not_cleared.ipynb", 6),
    ("ex2_gradient_ascent.ipynb", 6),
    ("ex2_hang.ipynb", 2),
]


def grading_time(device: str, repeat: int, name: str = "lecture_style.py") -> float:
    """Median in-process time to grade one correct exercise2.py (interpreter start excluded)."""
    from grader.execution.grading import Options, grade
    from grader.execution.runner import prewarm
    from grader.intake.submission import locate

    submission = locate(str(CORPUS / name), "exercise2")
    prewarm([submission])
    grade(submission, Options(device=device))
    times = []
    for _ in range(max(repeat, 5)):
        start = time.perf_counter()
        grade(submission, Options(device=device))
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def nbclient_time(paths: list[str], sample: int) -> float:
    """Mean wall time of running a notebook in a plain nbclient kernel (no grading)."""
    import nbclient
    import nbformat

    times = []
    for path in paths[:sample]:
        nb = nbformat.read(path, as_version=4)
        start = time.perf_counter()
        try:
            nbclient.NotebookClient(nb, timeout=30, allow_errors=True, kernel_name="python3").execute()
        except Exception:  # nbclient ends a run at a hanging cell; its time still counts
            pass
        times.append(time.perf_counter() - start)
    return statistics.mean(times)


def notebooks(work: str, torch_import: float, jobs: int, sample: int) -> None:
    batch = os.path.join(work, "notebooks")
    os.makedirs(batch)
    paths = []
    for name, count in NOTEBOOK_MIX:
        for i in range(count):
            path = os.path.join(batch, f"{Path(name).stem}_{i:02d}_exercise2.ipynb")
            shutil.copy(NOTEBOOKS / name, path)
            paths.append(path)
    out = os.path.join(work, "notebook-grades")
    cmd = GRADE + ["batch", batch, "--exercise", "exercise2", "--out", out, "-j", str(jobs), "--timeout", "10", "--cell-timeout", "1"]
    elapsed, peak = peak_run(cmd, work)
    per = elapsed / len(paths)
    print(f"grade batch of {len(paths)} notebooks, -j {jobs}  {elapsed:.3f} s   {per:.3f} s each, ratio {per / torch_import:.3f}  (goal <= 0.25 s each)")
    print(f"peak memory (PSS of the process tree), notebook batch: {peak / 2**20:.0f} MiB")
    spread = [p for p in paths if "hang" not in p][:: max(1, len(paths) // sample)]
    print(f"plain nbclient kernel, per notebook (mean of {min(sample, len(spread))}, no grading)  {nbclient_time(spread, sample):.3f} s")


INLINE_TIMING = """
import json, statistics, time
from grader import check
def _timed(n):
    times, cpu = [], []
    for _ in range(n):
        start = time.perf_counter()
        result = check("exercise2", display=False)
        times.append(time.perf_counter() - start)
        cpu.append(result.timing.get("cpu_seconds", float("nan")))
    return times, result, statistics.median(cpu)
"""


def inline_times(repeat: int) -> None:
    """The in-notebook check (grader.cli.inline) in a real kernel: the first check (it starts the
    grading server), then later ones, after a correct and after a buggy train (goal < 1 s)."""
    import nbclient
    import nbformat

    sys.path.insert(0, str(ROOT / "tests"))
    from test_notebook_inline import BUGGY, CORRECT  # the same submissions as the tests

    from grader.authoring.stubs import LECTURE_DATA

    n = max(repeat, 5)
    cells = [
        "import torch",
        LECTURE_DATA,
        CORRECT,
        INLINE_TIMING,
        "first, _, _ = _timed(1)\nlater, r, cpu = _timed(%d)\nprint(json.dumps([first[0], statistics.median(later), max(later), r.score, cpu]))" % n,
        BUGGY,
        "later, r, cpu = _timed(%d)\nprint(json.dumps([statistics.median(later), max(later), r.score, cpu]))" % n,
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    start = time.perf_counter()
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3").execute()
    total = time.perf_counter() - start
    first, correct, correct_max, score, correct_cpu = json.loads(nb.cells[4].outputs[0]["text"])
    buggy, buggy_max, buggy_score, buggy_cpu = json.loads(nb.cells[6].outputs[0]["text"])
    # CPU seconds of the server and its workers: what a check costs on an idle machine, whatever the load here.
    print(f"in-notebook check(), first in a kernel (starts the server)   {first:.3f} s")
    print(f"  later checks, correct train ({score:g}/9), median of {n}   {correct:.3f} s (max {correct_max:.3f}), server CPU {correct_cpu:.3f} s  (goal < 1 s)")
    print(f"  later checks, buggy train ({buggy_score:g}/9, figures drawn), median of {n}   {buggy:.3f} s (max {buggy_max:.3f}), server CPU {buggy_cpu:.3f} s  (goal < 1 s)")
    print(f"  the whole kernel session, {2 * n + 1} checks   {total:.3f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--notebooks", action="store_true", help="also time a batch of notebooks (and a plain nbclient kernel)")
    parser.add_argument("--nbclient-sample", type=int, default=6)
    parser.add_argument("--inline", action="store_true", help="time the in-notebook check() in a real kernel")
    parser.add_argument("--inline-only", action="store_true", help="only the in-notebook check() figures")
    args = parser.parse_args()
    if args.inline_only:
        inline_times(args.repeat)
        return 0
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
        off, on = grading_time("off", args.repeat), grading_time("virtual-cuda", args.repeat)
        print(f"grading time in process, device checks off {off:.3f} s, on (emulated cuda) {on:.3f} s: +{(on / off - 1) * 100:.0f} %  (goal <= 25 %)")
        # A correct train that prints its tensors 1,000 times per epoch: only the
        # lecture-data call's printing is paid (and bounded), the other calls print for free.
        chatty = grading_time("virtual-cuda", args.repeat, "chatty_prints.py")
        print(f"grading time in process, a chatty correct train {chatty:.3f} s, a quiet one {on:.3f} s: {chatty / on:.2f}x  (goal <= 2x)")
        if args.notebooks:
            notebooks(work, torch_import, args.jobs, args.nbclient_sample)
        if args.inline:
            inline_times(args.repeat)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
