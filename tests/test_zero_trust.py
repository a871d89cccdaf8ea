"""The worker holds nothing of the grader, and what it says is not believed unchecked (issue: zero trust).

End to end, through the command line where it matters: the command line
starts the fork server before it reads a submission or loads a check, so
these tests run it as a student's grading would run.
"""
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import TESTS

CORRECT = (TESTS / "submissions" / "exercise2" / "lecture_style.py").read_text(encoding="utf-8")
MARKER = "ALICE-PRIVATE-MARKER-7f3a9c"


def grade_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True, text=True, cwd=cwd, timeout=300)


# A submission that looks for another student's text in all of its own memory
# (the inherited heap included) through /proc/self/mem, and reports through its
# exception message.  The marker is searched as two halves that must be
# adjacent, so that the search itself never puts the whole marker in memory.
SNOOP = textwrap.dedent(
    f'''
    def _memory_holds(first, second):
        with open("/proc/self/maps") as maps, open("/proc/self/mem", "rb", 0) as mem:
            for line in maps:
                fields = line.split()
                if "r" not in fields[1] or (len(fields) > 5 and fields[5].startswith("/")):
                    continue
                start, end = (int(x, 16) for x in fields[0].split("-"))
                if end - start > 1 << 30:
                    continue
                try:
                    mem.seek(start)
                    chunk = mem.read(end - start)
                except (OSError, ValueError, OverflowError):
                    continue
                at = chunk.find(first)
                while at >= 0:
                    if chunk[at + len(first):at + len(first) + len(second)] == second:
                        return True
                    at = chunk.find(first, at + 1)
        return False

    def train(X, y, What, alpha, epochs):
        found = _memory_holds(b"{MARKER[:6]}", b"{MARKER[6:]}")
        raise RuntimeError(f"SNOOP memory={{found}}")
    '''
)


def test_a_class_run_leaks_nothing_of_another_student(tmp_path: Path) -> None:
    submitted = tmp_path / "submitted"
    for student, text in (("alice", CORRECT + f"\n# {MARKER}\nNOTE = {MARKER!r}\n"), ("mallory", SNOOP)):
        (submitted / student).mkdir(parents=True)
        (submitted / student / "exercise2.py").write_text(text, encoding="utf-8")
    for jobs in ("1", "2"):
        out = tmp_path / f"grades-{jobs}"
        run = grade_cli("batch", str(submitted), "--exercise", "exercise2", "--out", str(out), "-j", jobs, cwd=tmp_path)
        assert run.returncode in (0, 1), run.stderr
        records = {json.loads(line)["student"]: json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()}
        assert records["alice"]["score"] == records["alice"]["max_score"]
        messages = " ".join(c["message"] for c in records["mallory"]["checks"])
        assert "SNOOP memory=False" in messages, messages[:2000]
        assert MARKER not in messages


def test_a_hidden_check_stays_hidden(tmp_path: Path) -> None:
    reference = tmp_path / "private"
    shutil.copytree(TESTS / "private_reference", reference)
    source = textwrap.dedent(
        f'''
        import linecache, os

        def train(X, y, What, alpha, epochs):
            try:
                with open({str(reference / "exercise2.py")!r}) as handle:
                    handle.read()
                os._exit(0)  # readable: the diagnosis becomes `crashed`
            except OSError:
                pass
            secret = "public_" + "checks"  # a name only the private reference's source holds
            if any(secret in "".join(entry[2]) for name, entry in list(linecache.cache.items()) if len(entry) > 2 and entry[2] and name != __file__):
                os._exit(0)
            raise RuntimeError("nothing hidden found")
        '''
    )
    submission = tmp_path / "exercise2.py"
    submission.write_text(source, encoding="utf-8")
    results = tmp_path / "results.json"
    out = tmp_path / "grades"
    run = grade_cli("batch", str(submission), "--exercise", "exercise2", "--reference", str(reference), "--out", str(out), cwd=tmp_path)
    document = json.loads((out / "results.jsonl").read_text().splitlines()[0])
    codes = {c["diagnosis"] for c in document["checks"] if not c["passed"]}
    assert "crashed" not in codes and "runtime-error" in codes, (codes, run.stderr)


def test_the_fork_server_is_cheap_and_clean(tmp_path: Path) -> None:
    """The worker's stack starts at the fork server: no frame of the command line or the checks."""
    submission = tmp_path / "exercise2.py"
    submission.write_text(
        textwrap.dedent(
            '''
            import sys

            def train(X, y, What, alpha, epochs):
                # Spelled so that the source check for tampering does not stop us first:
                # this test is about what the process holds.
                names = []
                frame = vars(sys)["_get" + "frame"]()
                while frame is not None:
                    names.append(str(getattr(frame, "f_" + "globals").get("__name__")))
                    frame = getattr(frame, "f_" + "back")
                raise RuntimeError("STACK " + " ".join(names) + " MODULES " + " ".join(sorted(m for m in sys.modules if m.startswith("grader"))))
            '''
        ),
        encoding="utf-8",
    )
    run = grade_cli(str(submission), "--format", "json", "--no-html", "--device", "off", cwd=tmp_path)
    message = json.loads(run.stdout)["checks"][0]["message"]
    stack = message.split("STACK ", 1)[1].split(" MODULES ")[0].split()
    assert stack[-1] == "threading" and "grader.cli.main" not in stack and "__main__" not in stack, stack
    assert not {"grader.execution.grading", "grader.execution.runner", "grader.checks", "grader.cli.batch"} & set(stack), stack
    assert message.split(" MODULES ", 1)[1].split()[:1] == ["grader"]  # the public stub, nothing else


def test_a_filled_channel_cannot_hold_the_grader(tmp_path: Path) -> None:
    """A worker that stops reading requests cannot make the grader wait past its limit."""
    submission = tmp_path / "exercise2.py"
    submission.write_text(
        textwrap.dedent(
            '''
            import time

            def train(X, y, What, alpha, epochs):
                time.sleep(3600)
            '''
        ),
        encoding="utf-8",
    )
    started = time.monotonic()
    run = grade_cli(str(submission), "--format", "json", "--no-html", "--timeout", "3", cwd=tmp_path)
    assert time.monotonic() - started < 2 * 3 + 10  # the CPU pass and the device pass each have the limit
    assert "timeout" in {c["diagnosis"] for c in json.loads(run.stdout)["checks"]}


# --------------------------------------------------------------------------
# the judge fed arbitrary replies

from grader.checks import Context  # noqa: E402
from grader.execution.session import Load, Session, WorkerLost  # noqa: E402
from grader.execution.grading import _run_checks  # noqa: E402
from grader.registry import EXERCISES  # noqa: E402
from grader.worker.sandbox.limits import Limits  # noqa: E402

numbers = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.sampled_from(["nan", "inf", "-inf", "x"]),
)
shapes = st.lists(st.integers(min_value=0, max_value=4), max_size=3)


@st.composite
def tensors(draw: st.DrawFn) -> dict:
    shape = draw(shapes)
    size = 1
    for s in shape:
        size *= s
    data = draw(st.one_of(st.lists(numbers, min_size=size, max_size=size), st.lists(numbers, max_size=6)))
    body = {"shape": shape, "dtype": draw(st.sampled_from(["float32", "float64", 3])), "data": data, "device": draw(st.sampled_from(["cpu", "cuda:0", None]))}
    return {"tensor": body}


values = st.recursive(
    st.one_of(st.none(), st.booleans(), numbers, st.text(max_size=5), tensors()),
    lambda inner: st.one_of(
        st.builds(lambda items: {"list": items}, st.lists(inner, max_size=6)),
        st.builds(lambda items: {"tuple": items}, st.lists(inner, max_size=3)),
        st.dictionaries(st.sampled_from(["list", "tuple", "float", "module", "object", "tensor", "?"]), inner, max_size=2),
    ),
    max_leaves=20,
)
replies = st.one_of(
    st.fixed_dictionaries(
        {"ok": st.booleans()},
        optional={
            "return": values,
            "after": st.one_of(st.lists(st.one_of(st.none(), st.fixed_dictionaries({"value": values}, optional={"grad": values, "grads": st.dictionaries(st.text(max_size=3), values, max_size=2)})), max_size=3), values),
            "events": st.one_of(st.lists(st.one_of(st.text(max_size=8), st.lists(values, max_size=2)), max_size=4), values),
            "lines": st.one_of(st.integers(), values),
            "error": st.one_of(st.none(), values, st.fixed_dictionaries({"type": values, "message": values, "frames": st.one_of(values, st.lists(st.dictionaries(st.text(max_size=8), values, max_size=4), max_size=3))})),
            "too_large": values,
            "missing": st.booleans(),
            "imports_grader": values,
        },
    ),
    values,
)


class Replaying(Session):
    """A session whose worker answers with the drawn replies, in turn."""

    def __init__(self, answers: list) -> None:
        super().__init__("exercise.py", [], Limits(timeout=5))
        self.answers = answers
        self.turn = 0

    def call(self, function: str, args: list, trace: bool = False, device: object = None, **options: object):  # type: ignore[override]
        if self.lost is not None:
            raise self.lost
        reply = self.answers[self.turn % len(self.answers)]
        self.turn += 1
        return self.judge_reply(reply)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None)
@given(exercise=st.sampled_from(sorted(EXERCISES)), answers=st.lists(replies, min_size=1, max_size=4))
def test_the_judge_returns_a_verdict_for_any_reply(exercise: str, answers: list) -> None:
    checks = EXERCISES[exercise].checks()
    functions = EXERCISES[exercise].functions()
    load = Load(error=None, syntax=False, functions={name: True for name in functions})
    session = Replaying(answers)
    ctx = Context(session, module="submission", seed=1, max_examples=2)  # type: ignore[arg-type]
    results = _run_checks(checks, load, ctx, None)
    assert len(results) == len(checks)
    for result in results:
        assert result.passed in (True, False) and 0 <= result.score <= result.max_score
        assert result.diagnosis != "grader-error", result.message


def test_a_huge_constant_is_no_divergence_where_the_reference_is_still_normal() -> None:
    import torch

    from grader.checks.judge import diverged_close

    reference = torch.tensor([1.0, 50.0, 3e5, float("inf")], dtype=torch.float64)
    assert diverged_close(reference.clone(), reference, 1e-6)
    faked = torch.tensor([1e28, 1e28, 1e28, 1e28], dtype=torch.float64)
    assert not diverged_close(faked, reference, 1e-6)


def test_a_link_inside_a_readable_tree_does_not_reopen_a_withheld_folder(tmp_path: Path) -> None:
    """A virtual environment's ``lib64 -> lib`` once granted the whole installed grader (references included)."""
    from grader.worker.sandbox import landlock

    secret = tmp_path / "venv" / "lib" / "site-packages" / "grader" / "reference" / "exercise2.py"
    secret.parent.mkdir(parents=True)
    secret.write_text("SOLUTION = 1\n")
    (tmp_path / "venv" / "lib" / "site-packages" / "other.py").write_text("x = 1\n")
    (tmp_path / "venv" / "lib64").symlink_to("lib")
    hidden = [str(secret.parent)]
    rules = landlock._without([(str(tmp_path / "venv"), "exec")], hidden)
    granting = [path for path, kind in rules if kind != "list"]
    assert str(tmp_path / "venv" / "lib64") not in granting
    assert not any(str(secret).startswith(path + os.sep) for path in granting), granting
    assert str(tmp_path / "venv" / "lib" / "site-packages" / "other.py") in granting
    if landlock.landlock_abi() < 1:
        return
    pid = os.fork()
    if pid == 0:
        landlock.apply_landlock(rules)
        try:
            open(tmp_path / "venv" / "lib64" / "site-packages" / "grader" / "reference" / "exercise2.py").read()
            os._exit(1)
        except OSError:
            os._exit(0)
    assert os.waitpid(pid, 0)[1] == 0, "the withheld file was readable through the link"
