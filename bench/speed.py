"""Benchmark: grading speed and memory, as ratios to one `python -c "import torch"` measured in the same run.

Run: python bench/speed.py [--repeat 3] [--notebooks] [--inline]

Figures are measured side by side in one run, so that their ratios are
comparable on a shared machine; they are not asserted by the test suite (too
noisy there).  The goals (issue 19) are printed beside each figure.

* one ``.py`` file through the command line (goal <= 1.25x import torch);
* a batch of ``.py`` files, and grading in process (device checks on and off);
* a chatty correct ``train`` (1,000 prints per epoch) against its quiet twin,
  in a ``.py`` file and in a notebook (goal <= 2x);
* ``--notebooks``: a class of notebooks as students hand them in (an import
  cell with numpy and matplotlib, the lecture's data, their solution, some
  through a wrapper cell, a cell that calls it and plots): ``grade batch -j
  2`` over 40 of them, the median seconds per notebook (goal <= 0.15x import
  torch), the total and its amortized seconds per notebook (goal <= 0.25 s),
  and the peak PSS of the whole process tree (goal <= 480 MB, nbgrader's on
  the same class), each beside a bare ``import torch``.  The PSS comes from a
  second run of the same batch: sampling /proc every 20 ms would slow the
  timed run by a third on two cores;
* ``--lecture-cells``: the same class again, a third of it keeping the
  lecture's ``nn.Linear`` / ``MSELoss`` / ``SGD`` cells (an optimizer's first
  use imports ``torch._dynamo``, which the fork server then holds);
* ``--inline``: the in-notebook ``check()`` in a real kernel.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "submissions" / "exercise2"
GRADE = [sys.executable, "-m", "grader"]
MB = 1000**2


TORCH = [sys.executable, "-c", "import torch"]


def wall(cmd: list[str], cwd: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def beside_torch(cmd: list[str], cwd: str, repeat: int) -> tuple[float, float, float]:
    """``cmd`` and a bare ``import torch`` in turn, ``repeat`` times: (median seconds of cmd,
    median seconds of import torch, median of the ratios pair by pair).  Pairs taken
    together hold when the machine's speed drifts (a shared machine's does)."""
    ours, torch, ratios = [], [], []
    for _ in range(repeat):
        b = wall(TORCH, cwd, 1)
        a = wall(cmd, cwd, 1)
        ours.append(a)
        torch.append(b)
        ratios.append(a / b)
    return statistics.median(ours), statistics.median(torch), statistics.median(ratios)


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


def timed_and_peak(cmd: list[str], cwd: str) -> tuple[float, int]:
    """Wall seconds of ``cmd`` run alone, then the peak PSS of its process tree in a second run.

    Two runs: the sampler walks /proc every 20 ms, and on two cores that
    walk slows the run it measures by a third.
    """
    elapsed = wall(cmd, cwd, 1)
    _, peak = peak_run(cmd, cwd)
    return elapsed, peak


def peak_run(cmd: list[str], cwd: str) -> tuple[float, int]:
    """Wall seconds of ``cmd`` and the peak PSS of its process tree (sampled every 20 ms)."""
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


# --------------------------------------------------------------------------
# a class of notebooks, and a chatty one

IMPORTS = "import torch\nimport numpy as np\nimport matplotlib.pyplot as plt\nplt.rcParams['figure.figsize'] = (4.5, 3.0)"
DATA = """torch.manual_seed(43052)
x,_ = torch.randn(100).sort()
eps = torch.randn(100)*0.5
X = torch.stack([torch.ones(100),x],axis=1)
W = torch.tensor([[2.5],[4.0]])
y = X@W + eps.reshape(100,1)"""
WRAPPER = "# 과제 형식에 맞추기\ndef train(X, y, What, alpha, epochs):\n    return learn(X, y, What, alpha, epochs)"
# The lecture's last part, kept in the notebook: its first optimizer imports torch._dynamo (over a second).
LECTURE_PATTERN = """net = torch.nn.Linear(2, 1, bias=False)
net.weight.data = torch.tensor([[-5.0, 10.0]])
loss_fn = torch.nn.MSELoss()
optimizr = torch.optim.SGD(net.parameters(), lr=0.1)
for epoc in range(30):
    loss = loss_fn(net(X), y)
    loss.backward()
    optimizr.step()
    optimizr.zero_grad()
net.weight.data"""
RUN_AND_PLOT = """What = torch.tensor([[-5.0],[10.0]], requires_grad=True)
loss_history, What_history = train(X, y, What, alpha=0.001, epochs=30)
fig, ax = plt.subplots(1, 2)
ax[0].plot(x, y, 'o')
ax[0].plot(x, (X@What).data, '--')
ax[1].plot(loss_history)
plt.show()"""

# (corpus file, how many, how many of them through a wrapper cell): about two
# thirds right in the lecture's styles, a third with a named mistake.  With
# ``lecture_cells`` every third notebook also keeps the lecture's nn.Linear /
# MSELoss / SGD cells (bench option --lecture-cells).
CLASS = [
    ("lecture_style.py", 10, 4),
    ("guarded_zero_top.py", 5, 1),
    ("no_grad_tensor_history.py", 4, 1),
    ("stacked_history.py", 3, 0),
    ("sub_flatten_clone.py", 5, 2),
    ("grad_never_reset.py", 5, 2),
    ("gradient_ascent.py", 4, 1),
    ("hardcoded_alpha.py", 2, 0),
    ("mse_instead.py", 2, 0),
]


def solution(name: str) -> str:
    """The function of a corpus file (tests/submissions, or the pack's examples), without its header comments and import."""
    path = CORPUS / name
    if not path.exists():
        path = ROOT / "packs" / "exercise2" / "examples" / name
    text = path.read_text(encoding="utf-8")
    return text[text.index("\ndef ") + 1 :]


def quiet_twin(chatty: str) -> str:
    """The chatty solution without its print loop."""
    return re.sub(r"\n *for i in range\(1000\):\n *print\([^\n]*\)", "", chatty)


def notebook(cells: list[str]) -> str:
    import nbformat

    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("# 연습 2: 학습 루프")] + [nbformat.v4.new_code_cell(c) for c in cells],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}},
    )
    return str(nbformat.writes(nb))


def class_notebooks(folder: str, count: int, lecture_cells: bool = False) -> list[str]:
    """``count`` notebooks of the class (the mix of CLASS, repeated), named by student."""
    plan = [(name, i < wrapped) for name, n, wrapped in CLASS for i in range(n)]
    paths = []
    for index in range(count):
        name, wrapped = plan[index % len(plan)]
        body = solution(name)
        cells = [IMPORTS, DATA] + ([body.replace("def train(", "def learn(", 1), WRAPPER] if wrapped else [body]) + [RUN_AND_PLOT]
        if lecture_cells and index % 3 == 2:
            cells.append(LECTURE_PATTERN)
        path = os.path.join(folder, f"s{index:03d}_exercise2.ipynb")
        Path(path).write_text(notebook(cells), encoding="utf-8")
        paths.append(path)
    return paths


def chatty_pair(folder: str) -> dict[str, str]:
    """A chatty correct solution and its quiet twin, as a .py file and as a notebook each."""
    chatty = solution("chatty_prints.py")
    out = {}
    for label, body in (("chatty", chatty), ("quiet", quiet_twin(chatty))):
        os.makedirs(os.path.join(folder, label))
        py = os.path.join(folder, label, "exercise2.py")
        Path(py).write_text("import torch\n\n\n" + body, encoding="utf-8")
        nb = os.path.join(folder, label, "exercise2.ipynb")
        Path(nb).write_text(notebook([IMPORTS, DATA, body, RUN_AND_PLOT]), encoding="utf-8")
        out[f"{label}.py"], out[f"{label}.ipynb"] = py, nb
    return out


# --------------------------------------------------------------------------
# measurements


def grading_time(path: str, repeat: int, device: str = "virtual-cuda") -> float:
    """Median in-process time to grade one submission, warm (interpreter start excluded)."""
    return grading_times([path], repeat, device)[0][0]


def grading_times(paths: list[str], repeat: int, device: str = "virtual-cuda") -> tuple[list[float], float]:
    """Warm in-process times to grade each of ``paths``, in turn (A B A B ...): the median of
    each, and the median ratio of the first to the second pair by pair."""
    from grader.execution.grading import Options, grade
    from grader.execution.runner import prewarm
    from grader.intake.submission import locate

    submissions = [locate(path, "exercise2") for path in paths]
    prewarm(submissions)
    for submission in submissions:
        result = grade(submission, Options(device=device))
        if not result.full_marks:  # a figure for a submission that did not run would mean nothing
            print(f"  (!) {submission.name} is not graded full marks: {result.diagnoses}")
    times: list[list[float]] = [[] for _ in submissions]
    for _ in range(max(repeat, 5)):
        for i, submission in enumerate(submissions):
            start = time.perf_counter()
            grade(submission, Options(device=device))
            times[i].append(time.perf_counter() - start)
    ratio = statistics.median(a / b for a, b in zip(times[0], times[-1]))
    return [statistics.median(t) for t in times], ratio


def torch_pss(work: str) -> int:
    _, peak = peak_run([sys.executable, "-c", "import torch, time; time.sleep(0.3)"], work)
    return peak


def class_batch(work: str, count: int, jobs: int, lecture_cells: bool = False) -> None:
    folder = os.path.join(work, "class-lecture-cells" if lecture_cells else "class")
    os.makedirs(folder)
    class_notebooks(folder, count, lecture_cells)
    out = folder + "-grades"
    cmd = GRADE + ["batch", folder, "--exercise", "exercise2", "--out", out, "-j", str(jobs), "--force"]
    before = wall(TORCH, work, 1)
    elapsed = wall(cmd, work, 1)
    torch_import = (before + wall(TORCH, work, 1)) / 2  # just before and just after the batch
    records = [json.loads(line) for line in Path(out, "results.jsonl").read_text(encoding="utf-8").splitlines()]
    _, peak = peak_run(cmd, work)  # a second run: the sampler would slow the timed one
    seconds = [r["result"]["run"]["wall_time"] for r in records]
    full = sum(1 for r in records if r["score"] == r["max_score"])
    median = statistics.median(seconds)
    per = elapsed / count
    base = torch_pss(work)
    what = "a third also keeping the lecture's nn/optim cells" if lecture_cells else "import numpy and matplotlib, data, solution, call and plot"
    print(f"class of {count} notebooks ({what}), grade batch -j {jobs}; import torch {torch_import:.3f} s around it:")
    print(f"  median seconds per notebook    {median:.3f} s   ratio {median / torch_import:.3f}  (goal <= 0.15)   [{min(seconds):.2f} .. {max(seconds):.2f}; {full}/{count} full marks]")
    print(f"  total                          {elapsed:.3f} s   ratio {elapsed / torch_import:.2f}, {per:.3f} s each amortized  (goal <= 0.25 s each)")
    print(f"  peak PSS of the process tree   {peak / MB:.0f} MB   ratio {peak / base:.2f} to import torch's {base / MB:.0f} MB  (goal <= 480 MB)")


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

    n = max(repeat, 5)
    cells = [
        "import torch",
        DATA,
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


def load_average() -> str:
    try:
        return " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        return "?"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--count", type=int, default=40, help="submissions in each batch")
    parser.add_argument("--jobs", type=int, default=2, help="-j of the batches (the goals are for 2)")
    parser.add_argument("--notebooks", action="store_true", help="also grade a class of notebooks")
    parser.add_argument("--lecture-cells", action="store_true", help="also a class where a third of the notebooks keep the lecture's nn.Linear / MSELoss / SGD cells")
    parser.add_argument("--nbclient", type=int, default=0, metavar="N", help="also run N of the class's notebooks in a plain nbclient kernel (no grading)")
    parser.add_argument("--inline", action="store_true", help="time the in-notebook check() in a real kernel")
    parser.add_argument("--inline-only", action="store_true", help="only the in-notebook check() figures")
    args = parser.parse_args()
    if args.inline_only:
        inline_times(args.repeat)
        return 0
    work = tempfile.mkdtemp(prefix="grader-bench-")
    try:
        print(f"{os.cpu_count()} cores, load average {load_average()} at the start")
        shutil.copy(CORPUS / "lecture_style.py", os.path.join(work, "exercise2.py"))
        sources = sorted(p for p in CORPUS.glob("*.py"))
        batch = os.path.join(work, "batch")
        os.makedirs(batch)
        for i in range(args.count):
            shutil.copy(sources[i % len(sources)], os.path.join(batch, f"s{i:03d}_exercise2.py"))
        files = sorted(os.listdir(batch))
        pair = chatty_pair(os.path.join(work, "chatty"))

        # Each command beside an import torch run just before it: the ratio is taken pair by pair.
        one, torch_import, one_ratio = beside_torch(GRADE + ["exercise2.py", "--no-html", "--format", "json"], work, max(args.repeat, 5))
        one_html, _, html_ratio = beside_torch(GRADE + ["exercise2.py", "--format", "json"], work, args.repeat)
        print(f"python -c 'import torch'            {torch_import:.3f} s")
        print(f"grade one correct exercise2.py       {one:.3f} s   ratio {one_ratio:.2f}  (goal <= 1.25)")
        print(f"  same, writing the HTML report      {one_html:.3f} s   ratio {html_ratio:.2f}")
        many, peak = timed_and_peak(GRADE + files + ["--no-html", "--format", "json", "--timeout", "20", "-j", str(args.jobs)], batch)
        per = many / args.count
        print(f"grade {args.count} .py submissions, -j {args.jobs}   {many:.3f} s   {per:.3f} s each, ratio {per / torch_import:.3f}  (goal <= 0.1)")
        print(f"  peak PSS of the process tree       {peak / MB:.0f} MB")
        off, on = grading_time(str(CORPUS / "lecture_style.py"), args.repeat, "off"), grading_time(str(CORPUS / "lecture_style.py"), args.repeat)
        print(f"grading time in process, device checks off {off:.3f} s, on (emulated cuda) {on:.3f} s: +{(on / off - 1) * 100:.0f} %  (goal <= 25 %)")
        # A correct train that prints its tensors 1,000 times per epoch against the same train without the prints.
        for kind in ("py", "ipynb"):
            (chatty, quiet), ratio = grading_times([pair[f"chatty.{kind}"], pair[f"quiet.{kind}"]], args.repeat)
            print(f"grading time in process, a chatty correct train in a .{kind} {chatty:.3f} s, its quiet twin {quiet:.3f} s: {ratio:.2f}x  (goal <= 2x)")
        if args.notebooks:
            median = grading_time(class_notebooks(work, 1)[0], args.repeat)
            print(f"grading time in process, one class notebook, warm   {median:.3f} s   ratio {median / torch_import:.3f}")
            class_batch(work, args.count, args.jobs)
            if args.lecture_cells:
                class_batch(work, args.count, args.jobs, lecture_cells=True)
            if args.nbclient:
                spread = sorted(glob.glob(os.path.join(work, "class", "*.ipynb")))
                print(f"plain nbclient kernel, per notebook (mean of {args.nbclient}, no grading)  {nbclient_time(spread, args.nbclient):.3f} s")
        if args.inline:
            inline_times(args.repeat)
        print(f"load average {load_average()} at the end")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
