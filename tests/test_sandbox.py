"""The sandbox holds against hostile submissions (issue #3).

The Session-level tests run the real files in ``tests/adversarial/`` in a real
worker and check what the sandbox promises: deadlines, limits, the whole
process tree ending, the filesystem and network staying out of reach, secrets
never reaching student code, bounded output.  Diagnoses and marks are checked
by the grade-level test over the files' ``# expect:`` headers.

The unit tests at the end exercise Landlock, seccomp, the environment and the
fallbacks directly in forked children.
"""
from __future__ import annotations

import json
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

import pytest
import torch

from grader.worker import protocol
from grader.worker import sandbox
from grader.execution.session import CallOutcome, Load, Session, WorkerLost
from grader.results import RunInfo
from grader.worker.sandbox.limits import Exit, Limits, SpawnTarget
from grader.worker.sandbox.start import start_contained

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the sandbox's guarantees are Linux-only")

ADVERSARIAL = Path(__file__).parent / "adversarial"
# Wall-clock slack over a limit: the deadline check, the kill and the reap.
# Generous because CI machines are slow and shared.
SLACK = 2.0
FAST = Limits(timeout=2, memory=512 * 1024**2)
NORMAL = Limits(timeout=5, memory=512 * 1024**2)
EPOCHS = 5


# --------------------------------------------------------------------------
# helpers


def train_args(epochs: int = EPOCHS) -> list[Any]:
    X = [[1.0, 2.0], [2.0, 0.5], [3.0, 1.5], [4.0, 3.0]]
    y = [[1.0], [2.0], [2.5], [4.0]]
    What = [[0.1], [0.2]]
    return [
        protocol.tensor_spec(X, "float64"),
        protocol.tensor_spec(y, "float64"),
        protocol.tensor_spec(What, "float64", requires_grad=True),
        0.01,
        epochs,
    ]


def reference_result(epochs: int = EPOCHS) -> tuple[list[float], list[list[float]]]:
    from conftest import reference_module

    exercise2 = reference_module("exercise2")

    X, y, What, alpha, _ = train_args(epochs)
    tensors = [
        torch.tensor(spec["tensor"]["data"], dtype=torch.float64).requires_grad_(spec["tensor"]["requires_grad"])
        for spec in (X, y, What)
    ]
    losses, weights = exercise2.train(*tensors, alpha, epochs)
    return list(losses), [list(w) for w in weights]


def assert_correct(returned: Any) -> None:
    losses, weights = reference_result()
    assert type(returned) is tuple and len(returned) == 2
    got_losses, got_weights = returned
    assert len(got_losses) == len(losses) and len(got_weights) == len(weights)
    assert all(math.isclose(a, b, rel_tol=1e-9) for a, b in zip(got_losses, losses))
    assert all(math.isclose(a, b, rel_tol=1e-9) for ga, gb in zip(got_weights, weights) for a, b in zip(ga, gb))


@dataclass
class Run:
    load: Optional[Load]
    outcome: Optional[CallOutcome]
    lost: Optional[WorkerLost]
    info: RunInfo
    exit: Optional[Exit]
    elapsed: float
    worker_pid: Optional[int]
    supervisor_pid: Optional[int]
    missing: tuple[str, ...]
    during: Any = None


def place(tmp_path: Path, name: str, replace: Optional[dict[str, str]] = None) -> Path:
    """Copy an adversarial file into a student folder, filling in the test's values."""
    folder = tmp_path / "student"
    folder.mkdir(exist_ok=True)
    source = (ADVERSARIAL / name).read_text()
    for old, new in (replace or {}).items():
        assert old in source, f"{name} has no {old!r} to fill in"
        source = source.replace(old, new)
    path = folder / name
    path.write_text(source)
    return path


def run(path: Path, limits: Limits = NORMAL, call: bool = True, during: Optional[Callable[[Session], Any]] = None) -> Run:
    """Start, call train() once, close; whatever the worker does."""
    started = time.monotonic()
    session = Session(str(path), ["train"], limits)
    load = outcome = lost = seen = None
    worker_pid = supervisor_pid = None
    try:
        try:
            load = session.start()
        finally:
            if session.contained is not None:
                worker_pid, supervisor_pid = session.contained.worker_pid, session.contained.pid
        if call:
            outcome = session.call("train", train_args())
        if during is not None:
            seen = during(session)
    except WorkerLost as exc:
        lost = exc
    finally:
        info = session.close()
    return Run(load, outcome, lost, info, session.exit, time.monotonic() - started, worker_pid, supervisor_pid, info.protections_missing, seen)


def alive(pid: Optional[int]) -> bool:
    if pid is None:
        return False
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            state = handle.read().rsplit(b")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in (b"Z", b"X")


def processes_with(marker: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as handle:
                    if marker.encode() in handle.read() and alive(int(entry)):
                        found.append(int(entry))
            except OSError:
                pass
    return found


def assert_gone(result: Run) -> None:
    assert not alive(result.worker_pid), "the worker survived close()"
    assert not alive(result.supervisor_pid), "the supervisor survived close()"


def in_child(body: Callable[[], Any], timeout: float = 20.0) -> Any:
    """Run ``body`` in a forked child (it may restrict itself for good); return its JSON result."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            os.close(read_end)
            payload = json.dumps({"ok": body()})
        except BaseException as exc:  # report everything, never return into pytest
            payload = json.dumps({"error": f"{type(exc).__name__}: {exc}"})
            code = 1
        try:
            os.write(write_end, payload.encode())
        finally:
            os._exit(code)
    os.close(write_end)
    data = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        chunk = os.read(read_end, 1 << 16)
        if not chunk:
            break
        data += chunk
    os.close(read_end)
    os.waitpid(pid, 0)
    result = json.loads(data)
    assert "error" not in result, result["error"]
    return result["ok"]


# --------------------------------------------------------------------------
# time


@pytest.mark.parametrize("name", ["loop_at_import.py", "loop_in_train.py", "sleep_forever.py", "ignore_signals.py"])
def test_a_worker_that_never_finishes_is_killed_at_the_deadline(tmp_path: Path, name: str) -> None:
    result = run(place(tmp_path, name), FAST)
    assert result.lost is not None and result.lost.code == "timeout"
    assert result.elapsed < FAST.timeout + SLACK
    assert result.exit is not None and result.exit.signal == signal.SIGKILL and result.exit.killed_by_us
    assert_gone(result)


@pytest.mark.parametrize("name", ["loop_in_train.py", "ignore_signals.py"])
def test_the_cpu_limit_kills_a_spinner_before_the_wall_deadline(tmp_path: Path, name: str) -> None:
    limits = Limits(timeout=30, cpu=1, memory=512 * 1024**2)
    result = run(place(tmp_path, name), limits)
    assert result.lost is not None and result.lost.code == "timeout"
    assert result.exit is not None and not result.exit.killed_by_us
    # SIGXCPU at 1 s (ignored), SIGKILL from the kernel a second later.
    assert result.exit.signal == signal.SIGKILL and result.exit.cpu_time >= 1.0
    assert result.elapsed < 20


def test_poll_never_blocks_and_kill_is_immediate(tmp_path: Path) -> None:
    def spin() -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        while True:
            pass

    contained = start_contained(spin, workdir=str(tmp_path), limits=NORMAL)
    began = time.monotonic()
    assert contained.poll() is None
    assert time.monotonic() - began < 0.05
    contained.kill()
    exit_ = contained.wait()
    assert time.monotonic() - began < SLACK
    assert exit_.signal == signal.SIGKILL and exit_.killed_by_us
    assert not alive(contained.worker_pid)


# --------------------------------------------------------------------------
# memory, recursion, crashes, stdin


def test_memory_growth_stops_at_the_limit(tmp_path: Path) -> None:
    limits = Limits(timeout=20, memory=512 * 1024**2)
    result = run(place(tmp_path, "memory_hog.py"), limits)
    if result.lost is not None:
        assert result.lost.code == "memory-limit"
    else:
        assert result.outcome is not None and result.outcome.error is not None
        error = result.outcome.error
        assert error.type == "MemoryError" or "allocate" in error.message
    assert result.elapsed < 10
    assert_gone(result)


def test_infinite_recursion_is_an_error_in_student_code(tmp_path: Path) -> None:
    result = run(place(tmp_path, "infinite_recursion.py"))
    assert result.lost is None and result.outcome is not None
    assert result.outcome.error is not None and result.outcome.error.type == "RecursionError"


def test_exiting_the_process_from_train_is_a_crash(tmp_path: Path) -> None:
    result = run(place(tmp_path, "os_exit_in_train.py"))
    assert result.lost is not None and result.lost.code == "crashed"
    assert result.exit is not None and result.exit.code == 0 and result.exit.signal is None


def test_a_segfault_is_a_crash_with_the_signal_mirrored(tmp_path: Path) -> None:
    result = run(place(tmp_path, "segfault.py"))
    assert result.lost is not None and result.lost.code == "crashed"
    assert result.exit is not None and result.exit.signal == signal.SIGSEGV
    assert_gone(result)


def test_sys_exit_at_import_is_reported_not_obeyed(tmp_path: Path) -> None:
    result = run(place(tmp_path, "exit_at_import.py"))
    assert result.load is not None and result.load.error is not None
    assert result.load.error.type == "SystemExit"
    assert "all tests passed" in result.info.stdout.text


def test_input_reads_end_of_file(tmp_path: Path) -> None:
    result = run(place(tmp_path, "calls_input.py"))
    assert result.outcome is not None and result.outcome.error is not None
    assert result.outcome.error.type == "EOFError"


# --------------------------------------------------------------------------
# return values that fight back


def test_an_endless_iterator_crosses_as_an_opaque_value(tmp_path: Path) -> None:
    result = run(place(tmp_path, "endless_iter.py"))
    assert result.outcome is not None and result.outcome.ok
    assert all(isinstance(v, protocol.OpaqueValue) for v in result.outcome.returned)
    assert result.elapsed < NORMAL.timeout


def test_a_ten_million_entry_history_is_refused_quickly(tmp_path: Path) -> None:
    result = run(place(tmp_path, "huge_history.py"), Limits(timeout=10, memory=1024**3))
    assert result.outcome is not None and result.outcome.too_large
    assert result.elapsed < 10


@pytest.mark.parametrize("name, check", [("nan_history.py", math.isnan), ("inf_history.py", math.isinf)])
def test_non_finite_histories_cross_intact(tmp_path: Path, name: str, check: Callable[[float], bool]) -> None:
    result = run(place(tmp_path, name))
    assert result.outcome is not None and result.outcome.ok
    losses, weights = result.outcome.returned
    assert len(losses) == EPOCHS and all(check(v) for v in losses)
    assert all(check(v) for w in weights for v in w)


def test_a_reduce_payload_never_runs_in_the_grader(tmp_path: Path) -> None:
    marker = tmp_path / "payload-ran"
    result = run(place(tmp_path, "reduce_payload.py", {'MARKER_PATH = ""': f"MARKER_PATH = {str(marker)!r}"}))
    assert result.outcome is not None and result.outcome.ok
    losses, weights = result.outcome.returned
    assert isinstance(weights, protocol.OpaqueValue)
    import copy
    import pickle

    pickle.loads(pickle.dumps(result.outcome.returned))
    copy.deepcopy(result.outcome.returned)
    assert not marker.exists()


def test_monkeypatching_comparators_stays_in_the_worker(tmp_path: Path) -> None:
    import builtins

    import numpy

    originals = (torch.allclose, torch.testing.assert_close, math.isclose, numpy.allclose, builtins.abs, torch.Tensor.tolist)
    result = run(place(tmp_path, "monkeypatch_comparators.py"))
    assert result.outcome is not None and result.outcome.ok
    assert (torch.allclose, torch.testing.assert_close, math.isclose, numpy.allclose, builtins.abs, torch.Tensor.tolist) == originals
    assert not torch.allclose(torch.tensor([1.0]), torch.tensor([2.0]))
    assert abs(-3) == 3
    losses, _ = result.outcome.returned
    assert losses[0] == 12345.0


def test_patching_tensor_methods_cannot_forge_what_the_worker_reports(tmp_path: Path) -> None:
    result = run(place(tmp_path, "forge_tensor_encoding.py"))
    assert result.outcome is not None and result.outcome.ok
    assert_correct(result.outcome.returned)  # the histories are honest
    what_after = result.outcome.after[2]["value"]
    assert list(what_after.data) == [0.1, 0.2], "What was never updated, yet is reported as trained"


# --------------------------------------------------------------------------
# output


def test_forged_score_lines_stay_in_the_capture(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    result = run(place(tmp_path, "fake_score_lines.py"))
    out, err = capfd.readouterr()
    assert '"score"' not in out and '"score"' not in err
    assert '"score": 100' in result.info.stdout.text
    assert '"score": 100' in result.info.stderr.text
    assert result.outcome is not None and result.outcome.ok


def test_twenty_megabytes_of_prints_are_bounded(tmp_path: Path) -> None:
    limits = Limits(timeout=20, memory=512 * 1024**2, output=64 * 1024)
    result = run(place(tmp_path, "print_flood.py"), limits)
    assert result.outcome is not None and result.outcome.ok
    assert_correct(result.outcome.returned)
    assert result.info.stdout.dropped > 15 * 1024 * 1024
    assert len(result.info.stdout.text) <= limits.output + 16


# --------------------------------------------------------------------------
# the process tree


def test_detached_processes_and_threads_die_with_the_worker(tmp_path: Path) -> None:
    marker = f"grader-test-detached-{os.getpid()}-{time.monotonic_ns()}"

    def started(session: Session) -> list[int]:
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and len(processes_with(marker)) < 2:
            time.sleep(0.02)
        return processes_with(marker)

    path = place(tmp_path, "detached_processes.py", {'MARKER = "grader-adversarial-detached"': f"MARKER = {marker!r}"})
    result = run(path, during=started)
    assert result.outcome is not None and result.outcome.ok
    assert_correct(result.outcome.returned)
    assert len(result.during) >= 2, "the submission did not manage to start its sleepers"
    assert result.elapsed < NORMAL.timeout, "a non-daemon thread kept the worker alive"
    assert processes_with(marker) == []
    assert_gone(result)


def test_detached_processes_die_on_a_timeout_too(tmp_path: Path) -> None:
    marker = f"grader-test-detached-timeout-{os.getpid()}-{time.monotonic_ns()}"
    source = (ADVERSARIAL / "detached_processes.py").read_text()
    source = source.replace('MARKER = "grader-adversarial-detached"', f"MARKER = {marker!r}")
    source += "\n\n_sleeper()\nwhile True:\n    pass\n"
    path = tmp_path / "detached_then_spin.py"
    path.write_text(source)
    result = run(path, FAST, call=False)
    assert result.lost is not None and result.lost.code == "timeout"
    assert processes_with(marker) == []
    assert_gone(result)


# --------------------------------------------------------------------------
# filesystem, network, secrets


def test_files_around_the_submission_survive_vandalism(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cwd = tmp_path / "cwd"
    output = tmp_path / "out"
    student = tmp_path / "student"
    for folder in (cwd, output, student):
        folder.mkdir(exist_ok=True)
    guarded = [student, tmp_path, cwd, output]
    path = place(tmp_path, "vandalism.py", {"TARGETS: list = []": f"TARGETS: list = {[str(g) for g in guarded]!r}"})
    for i, folder in enumerate(guarded):
        (folder / f"sentinel-{i}.txt").write_text(f"precious {i}")
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("PWD", str(cwd))

    def snapshot() -> dict[str, tuple[bytes, int]]:
        return {
            str(p): (p.read_bytes() if p.is_file() else b"", p.stat().st_mode)
            for folder in guarded
            for p in sorted(folder.iterdir())
        }

    before = snapshot()
    result = run(path)
    if "landlock-fs" in result.missing:
        pytest.skip("no Landlock filesystem restriction here")
    assert snapshot() == before
    assert result.outcome is not None and result.outcome.ok
    assert_correct(result.outcome.returned)


def test_no_tcp_connection_leaves_the_worker(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.setblocking(False)
        port = listener.getsockname()[1]
        result = run(place(tmp_path, "tcp_connect.py", {"PORT = 0": f"PORT = {port}"}))
        with pytest.raises(BlockingIOError):
            listener.accept()
    assert result.outcome is not None and result.outcome.ok
    assert_correct(result.outcome.returned)


def test_secrets_never_reach_student_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = f"s3cr3t-{os.getpid()}-{time.monotonic_ns()}"
    for name in ("GRADER_TEST_TOKEN", "GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY", "LC_API_KEY"):
        monkeypatch.setenv(name, secret)
    result = run(place(tmp_path, "leak_token.py"))
    assert result.outcome is not None and result.outcome.error is not None
    assert "found:" in result.info.stdout.text, "the submission did not run"
    texts = [result.info.stdout.text, result.info.stderr.text, result.outcome.error.message, repr(result.outcome), repr(result.load)]
    assert all(secret not in text for text in texts)


# --------------------------------------------------------------------------
# unit tests: Landlock, seccomp, environment


def test_landlock_allows_the_workdir_and_nothing_beside_it(tmp_path: Path) -> None:
    if sandbox.landlock_abi() < 1:
        pytest.skip("no Landlock here")
    workdir = tmp_path / "work"
    sibling = tmp_path / "sibling"
    workdir.mkdir()
    sibling.mkdir()
    (sibling / "keep.txt").write_text("keep")

    def body() -> dict[str, Any]:
        missing = sandbox.apply_landlock(sandbox.read_rules() + [(str(workdir), "write")])
        outcome: dict[str, Any] = {"missing": missing}

        def attempt(name: str, action: Callable[[], Any]) -> None:
            try:
                action()
                outcome[name] = "ok"
            except OSError as exc:
                outcome[name] = type(exc).__name__

        attempt("write-workdir", lambda: (workdir / "a.txt").write_text("x"))
        attempt("mkdir-workdir", lambda: (workdir / "d").mkdir())
        attempt("rename-workdir", lambda: os.rename(workdir / "a.txt", workdir / "d" / "b.txt"))
        attempt("write-sibling", lambda: (sibling / "new.txt").write_text("x"))
        attempt("overwrite-sibling", lambda: (sibling / "keep.txt").write_text("x"))
        attempt("delete-sibling", lambda: (sibling / "keep.txt").unlink())
        attempt("read-sibling", lambda: (sibling / "keep.txt").read_text())
        attempt("write-tmp", lambda: open(os.path.join(tempfile.gettempdir(), f"landlock-{os.getpid()}"), "w"))
        attempt("read-usr", lambda: os.listdir("/usr"))
        attempt("read-torch", lambda: open(torch.__file__).read(1))
        attempt("dev-null", lambda: open(os.devnull, "w").write("x"))
        attempt("read-shadow", lambda: open("/etc/shadow").read(1))
        attempt("exec-in-workdir", lambda: subprocess.run([str(workdir / "d" / "b.txt")], check=False))
        return outcome

    outcome = in_child(body)
    assert "landlock-fs" not in outcome["missing"]
    assert outcome["write-workdir"] == outcome["mkdir-workdir"] == outcome["rename-workdir"] == "ok"
    assert outcome["read-usr"] == outcome["read-torch"] == outcome["dev-null"] == "ok"
    for denied in ("write-sibling", "overwrite-sibling", "delete-sibling", "read-sibling", "write-tmp", "read-shadow", "exec-in-workdir"):
        assert outcome[denied] == "PermissionError", (denied, outcome[denied])
    assert (sibling / "keep.txt").read_text() == "keep"
    assert not (sibling / "new.txt").exists()


def test_landlock_alone_blocks_tcp_connect_and_bind(tmp_path: Path) -> None:
    if sandbox.landlock_abi() < 4:
        pytest.skip("Landlock cannot restrict TCP here")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.setblocking(False)
        port = listener.getsockname()[1]

        def body() -> dict[str, str]:
            sandbox.apply_landlock([(str(tmp_path), "write")])
            outcome = {}
            for name, action in (
                ("connect", lambda: socket.create_connection(("127.0.0.1", port), timeout=1)),
                ("bind", lambda: socket.socket().bind(("127.0.0.1", 0))),
            ):
                try:
                    action()
                    outcome[name] = "ok"
                except OSError as exc:
                    outcome[name] = type(exc).__name__
            return outcome

        outcome = in_child(body)
        with pytest.raises(BlockingIOError):
            listener.accept()
    assert outcome == {"connect": "PermissionError", "bind": "PermissionError"}


def test_landlock_scoping_blocks_signals_to_the_grader() -> None:
    if sandbox.landlock_abi() < 6:
        pytest.skip("no Landlock scoping here")
    grader = os.getpid()

    def body() -> str:
        sandbox.apply_landlock([])
        try:
            os.kill(grader, 0)
            return "ok"
        except OSError as exc:
            return type(exc).__name__

    assert in_child(body) == "PermissionError"


def test_seccomp_blocks_sockets_and_namespaces_but_not_threads_or_processes() -> None:
    if not sandbox.LINUX or os.uname().machine not in ("x86_64", "aarch64"):
        pytest.skip("no seccomp filter for this architecture")

    def body() -> dict[str, str]:
        assert sandbox.apply_seccomp()
        outcome = {}

        def unshare_user_namespace() -> None:
            assert sandbox.LIBC is not None
            if sandbox.LIBC.unshare(0x10000000) != 0:  # CLONE_NEWUSER
                raise PermissionError("unshare refused")

        def thread() -> None:
            box: list[int] = []
            t = threading.Thread(target=box.append, args=(1,))
            t.start()
            t.join()
            assert box == [1]

        for name, action in (
            ("unix-socket", lambda: socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)),
            ("udp-socket", lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM)),
            ("unshare", unshare_user_namespace),
            ("socketpair", lambda: socket.socketpair()),
            ("thread", thread),
            ("subprocess", lambda: subprocess.run(["true"], check=True)),
        ):
            try:
                action()
                outcome[name] = "ok"
            except OSError as exc:
                outcome[name] = type(exc).__name__
        return outcome

    outcome = in_child(body)
    assert outcome["unix-socket"] == outcome["udp-socket"] == "PermissionError"
    assert outcome["unshare"] == "PermissionError"
    assert outcome["socketpair"] == outcome["thread"] == outcome["subprocess"] == "ok"


def test_seccomp_can_let_unix_sockets_through_for_a_jupyter_kernel() -> None:
    if not sandbox.LINUX or os.uname().machine not in ("x86_64", "aarch64"):
        pytest.skip("no seccomp filter for this architecture")

    def body() -> dict[str, str]:
        assert sandbox.apply_seccomp(unix_sockets=True)
        outcome = {}
        for name, family, kind in (
            ("unix", socket.AF_UNIX, socket.SOCK_STREAM),
            ("netlink", socket.AF_NETLINK, socket.SOCK_RAW),
            ("inet", socket.AF_INET, socket.SOCK_STREAM),
            ("inet6", socket.AF_INET6, socket.SOCK_DGRAM),
        ):
            try:
                socket.socket(family, kind).close()
                outcome[name] = "ok"
            except OSError as exc:
                outcome[name] = type(exc).__name__
        return outcome

    assert in_child(body) == {"unix": "ok", "netlink": "ok", "inet": "PermissionError", "inet6": "PermissionError"}


def test_scrubbed_environment_is_an_allowlist_without_secrets() -> None:
    source = {
        "PATH": "/usr/bin",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "LC_SECRET_TOKEN": "nope",
        "GITHUB_TOKEN": "nope",
        "GITHUB_WORKSPACE": "nope",
        "AWS_REGION": "nope",
        "MY_API_KEY": "nope",
        "HOME": "/root",
        "SSH_AUTH_SOCK": "/tmp/agent",
        "LD_PRELOAD": "/evil.so",
        "PYTHONHASHSEED": "0",
        "PYTHONPATH": "/somewhere",
    }
    env = sandbox.scrubbed_environment("/w", source)
    assert "nope" not in env.values()
    assert not {"SSH_AUTH_SOCK", "LD_PRELOAD", "PYTHONPATH"} & set(env)
    assert env["PATH"] == "/usr/bin" and env["LANG"] == env["LC_ALL"] == "C.UTF-8"
    assert env["PYTHONHASHSEED"] == "0"
    assert env["HOME"] == env["TMPDIR"] == env["MPLCONFIGDIR"] == "/w"
    assert env["OMP_NUM_THREADS"] == "1" and env["MPLBACKEND"] == "Agg"
    assert sandbox.scrubbed_environment("/w", {})["PATH"] == os.defpath


def test_the_worker_sees_only_the_scrubbed_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = f"env-secret-{time.monotonic_ns()}"
    monkeypatch.setenv("GRADER_UNIT_TOKEN", secret)
    read_end, write_end = os.pipe()

    def target() -> None:
        import posix

        with open("/proc/self/environ", "rb") as handle:
            block = handle.read()
        report = {
            "environ": dict(os.environ),
            "posix": {k.decode(): v.decode() for k, v in posix.environ.items()},
            "block": block.decode("latin-1"),
            "getenv": os.getenv("GRADER_UNIT_TOKEN"),
            "cwd": os.getcwd(),
        }
        os.write(write_end, json.dumps(report).encode())

    contained = start_contained(target, workdir=str(tmp_path), limits=NORMAL, keep_fds=[write_end])
    os.close(write_end)
    data = b""
    while chunk := os.read(read_end, 1 << 16):
        data += chunk
    os.close(read_end)
    assert contained.wait().code == 0
    report = json.loads(data)
    assert secret not in data.decode()
    assert report["getenv"] is None
    assert report["environ"]["HOME"] == str(tmp_path.resolve())
    assert report["cwd"] == str(tmp_path.resolve())
    assert set(report["environ"]) <= set(sandbox.scrubbed_environment(str(tmp_path)))


# --------------------------------------------------------------------------
# limits, fallbacks, start methods, cost


def test_file_size_limit_raises_instead_of_killing(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()

    def target() -> None:
        try:
            with open("big.bin", "wb") as handle:
                handle.write(b"\0" * (3 * 1024 * 1024))
            os.write(write_end, b"written")
        except OSError as exc:
            os.write(write_end, f"{type(exc).__name__} {exc.errno}".encode())

    limits = Limits(timeout=5, file_size=1024 * 1024)
    contained = start_contained(target, workdir=str(tmp_path), limits=limits, keep_fds=[write_end])
    os.close(write_end)
    answer = os.read(read_end, 200).decode()
    os.close(read_end)
    assert contained.wait().code == 0
    assert answer == f"OSError {27}"  # EFBIG
    assert (tmp_path / "big.bin").stat().st_size <= 1024 * 1024


def test_the_process_count_is_capped(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    # Forking the torch-sized worker hundreds of times is slow; a small fresh
    # interpreter inside the sandbox forks for it.
    script = textwrap.dedent(
        """
        import os, sys, time
        started = 0
        try:
            for _ in range(1000):
                if os.fork() == 0:
                    time.sleep(60)
                    os._exit(0)
                started += 1
        except OSError:
            pass
        os.write(int(sys.argv[1]), str(started).encode())
        """
    )

    def target() -> None:
        os.set_inheritable(write_end, True)
        os.execv(sys.executable, [sys.executable, "-S", "-c", script, str(write_end)])

    limits = Limits(timeout=20, processes=16)
    contained = start_contained(target, workdir=str(tmp_path), limits=limits, keep_fds=[write_end])
    os.close(write_end)
    started = int(os.read(read_end, 100) or b"-1")
    os.close(read_end)
    contained.kill()
    contained.wait()
    if "rlimit-nproc" in contained.protections_missing and "pid-max" in contained.protections_missing:
        pytest.skip("no process cap applies here")
    # RLIMIT_NPROC gives exactly the limit; as root only the PID namespace's
    # pid_max (at least 301) applies.
    cap = limits.processes if "rlimit-nproc" not in contained.protections_missing else 301
    assert 0 <= started < cap


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to become an unprivileged user")
def test_an_unprivileged_grader_gets_an_exact_process_limit() -> None:
    """CI runs as root, which RLIMIT_NPROC ignores; check the ordinary case too."""
    nobody = 65534
    # pytest's tmp_path sits in a root-only folder.
    workdir = Path(tempfile.mkdtemp(prefix="grader-test-nobody-"))
    os.chown(workdir, nobody, nobody)

    def body() -> dict[str, Any]:
        os.setgroups([])
        os.setgid(nobody)
        os.setuid(nobody)
        read_end, write_end = os.pipe()

        def target() -> None:
            started = 0
            try:
                for _ in range(100):
                    if os.fork() == 0:
                        time.sleep(60)
                        os._exit(0)
                    started += 1
            except OSError:
                pass
            os.write(write_end, str(started).encode())

        contained = start_contained(target, workdir=str(workdir), limits=Limits(timeout=20, processes=8), keep_fds=[write_end])
        os.close(write_end)
        started = int(os.read(read_end, 100) or b"-1")
        contained.kill()
        contained.wait()
        return {"started": started, "missing": list(contained.protections_missing)}

    try:
        outcome = in_child(body)
    finally:
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)
    if "user-namespace" in outcome["missing"]:
        pytest.skip("unprivileged user namespaces are unavailable here")
    assert "rlimit-nproc" not in outcome["missing"]
    # The worker itself is one of the 8 tasks; the count is per namespace, so
    # the machine's other processes of this user do not matter.
    assert outcome["started"] == 7


def test_without_namespaces_the_tree_is_still_swept(tmp_path: Path) -> None:
    marker = f"grader-test-subreaper-{os.getpid()}-{time.monotonic_ns()}"
    read_end, write_end = os.pipe()

    def target() -> None:
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(10**6)", marker])
            os._exit(0)
        time.sleep(0.3)
        os.write(write_end, b"started")
        time.sleep(10**6)

    contained = start_contained(target, workdir=str(tmp_path), limits=NORMAL, keep_fds=[write_end], namespaces=False)
    os.close(write_end)
    assert os.read(read_end, 10) == b"started"
    os.close(read_end)
    deadline = time.monotonic() + 3
    while not processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert processes_with(marker), "the daemon did not start"
    assert "pid-namespace" in contained.protections_missing
    contained.kill()
    contained.wait()
    assert processes_with(marker) == []


def test_the_worker_dies_with_the_grader(tmp_path: Path) -> None:
    marker = f"grader-test-orphan-{os.getpid()}-{time.monotonic_ns()}"
    script = textwrap.dedent(
        f"""
        import os, signal, sys
        from grader.worker.sandbox.limits import Limits
        from grader.worker.sandbox.start import start_contained

        def target():
            os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(10**6)", {marker!r}])

        contained = start_contained(target, workdir={str(tmp_path)!r}, limits=Limits(timeout=60))
        import time
        time.sleep(0.5)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    subprocess.run([sys.executable, "-c", script], timeout=60, check=False)
    deadline = time.monotonic() + 5
    while processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert processes_with(marker) == []


def test_spawn_runs_the_worker_in_a_fresh_interpreter(tmp_path: Path) -> None:
    path = place(tmp_path, "tcp_connect.py")
    workdir = tmp_path / "work"
    workdir.mkdir()
    target_path = workdir / path.name
    target_path.write_bytes(path.read_bytes())
    request_r, request_w = os.pipe()
    reply_r, reply_w = os.pipe()
    out_r, out_w = os.pipe()
    spawn = SpawnTarget("grader.worker.runtime:run", (str(target_path), path.name, ["train"], request_r, reply_w), stdout=out_w, stderr=out_w)
    contained = start_contained(
        lambda: None, workdir=str(workdir), limits=Limits(timeout=60), keep_fds=[request_r, reply_w, out_w], spawn=spawn, method="spawn"
    )
    for fd in (request_r, reply_w, out_w):
        os.close(fd)
    reader = protocol.Reader()

    def receive() -> Any:
        while True:
            chunk = os.read(reply_r, 1 << 16)
            assert chunk, "the spawned worker closed its channel"
            messages = reader.feed(chunk)
            if messages:
                return messages[0]

    try:
        assert contained.start_method == "spawn"
        load = receive()
        assert load["op"] == "load" and load["functions"] == {"train": True}
        protocol.send(request_w, {"op": "call", "fn": "train", "args": train_args()})
        reply = receive()
        assert reply["ok"]
        assert_correct(protocol.decode(reply["return"]))
        protocol.send(request_w, {"op": "exit"})
        assert contained.wait().code == 0
    finally:
        contained.kill()
        contained.wait()
        for fd in (request_w, reply_r, out_r):
            os.close(fd)


def test_forking_after_parallel_torch_work_does_not_hang(tmp_path: Path) -> None:
    torch.ones(2_000_000).mul(2).sum()  # wakes the grader's OpenMP pool
    result = run(place(tmp_path, "tcp_connect.py"))
    assert result.outcome is not None and result.outcome.ok
    assert_correct(result.outcome.returned)


def test_protections_on_this_machine_are_reported(tmp_path: Path) -> None:
    contained = start_contained(lambda: None, workdir=str(tmp_path), limits=NORMAL)
    contained.wait()
    missing = set(contained.protections_missing)
    assert missing <= set(sandbox.PROTECTIONS)
    abi = sandbox.landlock_abi()
    if abi >= 6:
        assert not {"landlock-fs", "landlock-net", "landlock-scope"} & missing
    if os.geteuid() == 0:
        assert "rlimit-nproc" in missing
