"""Running a submission: a worker forked from this warm process, and a session of calls.

The grader process has already imported torch; each submission gets a fresh
process forked from it (``grader.worker.sandbox``), which loads the student's code and
answers calls over a private pipe (``grader.worker.protocol``).  This module owns the
parent's side: deadlines, the captured streams, and turning a worker's death
into a diagnosis code.
"""
from __future__ import annotations

import os
import selectors
import shutil
import socket
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Any, Callable, Optional

import msgspec

from grader.execution.arena import ArenaFile
from grader.worker import protocol
from grader.results import CellError, Frame, Output, RunInfo, StudentError
from grader.worker.sandbox.contained import Contained
from grader.worker.sandbox.limits import Exit, Limits, SandboxError
from grader.worker.sandbox.start import start_contained
from grader.worker.zygote import ZygoteError


class WorkerLost(BaseException):
    """The worker is gone (timeout, memory, crash, protocol).

    A BaseException so that Hypothesis stops at once instead of shrinking
    against a dead worker.
    """

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code, detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Load:
    """What loading the submission produced."""

    error: Optional[StudentError]
    syntax: bool
    functions: dict[str, bool]
    cells: tuple[CellError, ...] = ()
    invalid: Optional[str] = None


@dataclass(frozen=True)
class CallOutcome:
    """The plain-data result of one call into student code."""

    ok: bool
    returned: Any = None
    after: tuple[Any, ...] = ()
    events: tuple[Any, ...] = ()
    error: Optional[StudentError] = None
    missing: bool = False
    too_large: Optional[str] = None
    lines: Optional[int] = None
    warnings: tuple[str, ...] = ()  # warnings the call raised, as "Category: message" (at most 20, 300 characters each)


class _Capture:
    """Keeps the head and the tail of a stream, and counts what fell between."""

    def __init__(self, limit: int) -> None:
        self.half = max(limit // 2, 1)
        self.head = bytearray()
        self.tail = bytearray()
        self.dropped = 0

    def feed(self, chunk: bytes) -> None:
        room = self.half - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        if chunk:
            self.tail += chunk
            excess = len(self.tail) - self.half
            if excess > 0:
                self.dropped += excess
                del self.tail[:excess]

    def output(self) -> Output:
        text = bytes(self.head).decode("utf-8", "replace")
        if self.dropped:
            text += "\n…\n"
        text += bytes(self.tail).decode("utf-8", "replace")
        return Output(text=text, dropped=self.dropped)


def student_error(raw: Optional[protocol.ErrorIn]) -> Optional[StudentError]:
    """An error the worker described (already validated), bounded for reports."""
    if raw is None:
        return None
    frames = tuple(
        Frame(filename=f.filename[:200], lineno=max(0, min(f.lineno, 10**7)), function=f.function[:200], line=f.line[:400])
        for f in raw.frames[:20]
    )
    return StudentError(type=raw.type[:200], message=raw.message[:2000], frames=frames)


class Session:
    """One submission's worker: start it, call into it, close it."""

    def __init__(
        self,
        path: str,
        functions: list[str],
        limits: Limits,
        entry: Optional[Callable[..., None]] = None,
        mode: str = "cpu",
        unix_sockets: bool = False,
        spec: Optional[dict[str, Any]] = None,
        withheld: tuple[str, ...] = (),
        source: Optional[bytes] = None,
    ) -> None:
        """``spec`` names the worker's entry (``{"function": "module:name",
        "kwargs": {...}}``, default the ``.py`` runner); ``entry`` instead
        forks this process to run a closure (tests of the runners only).
        ``source``: the submission's bytes as the grader read them at intake
        (the worker runs what the grader checked); default: read ``path``."""
        self.source = source
        self.spec = spec
        self.withheld = withheld
        self.mode = mode
        self.unix_sockets = unix_sockets
        self.path = os.path.abspath(path)
        self.functions = functions
        self.limits = limits
        self.entry = entry
        self.started = 0.0
        self.deadline = 0.0
        self.contained: Optional[Contained] = None
        self.stdout = _Capture(limits.output)
        self.stderr = _Capture(limits.output)
        self.lost: Optional[WorkerLost] = None
        self.exit: Optional[Exit] = None
        self._reader = protocol.Reader()
        self._channel = self._out_r = self._err_r = -1
        self._pending: list[Any] = []
        self._workdir = ""
        self.cells: tuple[CellError, ...] = ()
        # (module, line) of each attempt the worker saw to import the grader
        self.grader_imports: list[tuple[str, int]] = []
        self.start_method = "fork"
        self.protections_missing: tuple[str, ...] = ()
        self._arena: Optional[ArenaFile] = None

    # -- lifecycle -------------------------------------------------------

    def start(self) -> Load:
        self._workdir = tempfile.mkdtemp(prefix="grader-")
        os.chmod(self._workdir, 0o700)
        target = os.path.join(self._workdir, os.path.basename(self.path))
        if self.source is not None:
            with open(target, "wb") as copy:
                copy.write(self.source)
        else:
            # Never through a link: the worker gets the bytes of this very file, or nothing.
            source_fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
            with os.fdopen(source_fd, "rb") as source, open(target, "wb") as copy:
                shutil.copyfileobj(source, copy)
        # The arguments of every call live in the arena: the grader reads them back itself.
        self._arena = ArenaFile(self._workdir)
        # One socket for requests and replies: unlike a pipe, the worker cannot
        # re-open it through /proc/self/fd to get the grader's end and fill it.
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self._channel = ours.detach()
        worker_channel = theirs.detach()
        os.set_blocking(self._channel, False)
        self._out_r, out_w = os.pipe()
        self._err_r, err_w = os.pipe()
        child_fds = (worker_channel, out_w, err_w)
        display = os.path.basename(self.path)
        self.started = time.monotonic()
        self.deadline = self.started + self.limits.timeout
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        try:
            if self.entry is not None:
                self.contained = self._start_forked(self.entry, target, display, child_fds)
            else:
                spec = dict(self.spec or {"function": "grader.worker.runtime:run"})
                spec["kwargs"] = {**spec.get("kwargs", {}), "mode": self.mode}
                self.contained = start_contained(
                    workdir=self._workdir,
                    limits=self.limits,
                    unix_sockets=self.unix_sockets,
                    entry={**spec, "path": target, "display": display, "functions": list(self.functions)},
                    entry_fds=child_fds,
                    withheld=self.withheld,
                )
        except (SandboxError, ZygoteError) as exc:
            for fd in child_fds:
                os.close(fd)
            raise self._lose("crashed", f"the worker could not be started: {exc}")
        # The submission's time starts now that its worker is locked in: the fork server may have
        # loaded what the worker uses first (grader.worker.zygote), which is the grader's time.
        self.deadline = time.monotonic() + self.limits.timeout
        self.start_method = self.contained.start_method
        self.protections_missing = self.contained.protections_missing
        for fd in child_fds:
            os.close(fd)
        message = self._receive()
        try:
            load = protocol.validate(message, protocol.LoadIn)
        except protocol.ProtocolError as exc:
            raise self._lose("crashed", f"the worker did not report loading the submission ({exc})")
        if load.op != "load":
            raise self._lose("crashed", "the worker did not report loading the submission")
        self._note_grader_imports(load.imports_grader)
        self.cells = _cell_errors(load.cells)
        return Load(
            error=student_error(load.error),
            syntax=bool(load.error is not None and load.error.syntax),
            functions={name: load.functions.get(name) is True for name in self.functions},
            cells=self.cells,
            invalid=load.invalid[:2000] if load.invalid is not None else None,
        )

    def _start_forked(self, entry: Callable[..., None], target: str, display: str, child_fds: tuple[int, int, int]) -> Contained:
        """A worker forked from this process itself, running a closure.

        Only for tests of the runners: this process may hold anything, so
        grading always goes through the fork server (``spec``).
        """
        channel, out_w, err_w = child_fds
        functions = self.functions
        parent_fds = (self._channel, self._out_r, self._err_r)
        mode = self.mode

        def child() -> None:
            from grader.worker import arena
            from grader.worker import runtime as worker

            arena.open_arena(target)
            worker.MODE = mode
            for fd in parent_fds:
                os.close(fd)
            os.dup2(out_w, 1)
            os.dup2(err_w, 2)
            null = os.open(os.devnull, os.O_RDONLY)
            os.dup2(null, 0)
            entry(target, display, functions, channel, channel)

        return start_contained(child, workdir=self._workdir, limits=self.limits, keep_fds=child_fds, unix_sockets=self.unix_sockets, method="fork")

    def close(self) -> RunInfo:
        if self.contained is not None:
            if self.lost is None:
                try:
                    protocol.send(self._channel, {"op": "exit"}, deadline=time.monotonic() + 0.5)
                except (OSError, protocol.Timeout):
                    pass
                self._drain_until_exit(grace=0.5)
            self.contained.kill()
            self.exit = self.contained.wait()
            self.contained = None
        for fd in (self._channel, self._out_r, self._err_r):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._channel = self._out_r = self._err_r = -1
        if self._arena is not None:
            self._arena.close()
            self._arena = None
        if self._workdir:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = ""
        return RunInfo(
            stdout=self.stdout.output(),
            stderr=self.stderr.output(),
            start_method=self.start_method,
            protections_missing=self.protections_missing,
            wall_time=time.monotonic() - self.started if self.started else 0.0,
            cells=self.cells,
        )

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- calls -----------------------------------------------------------

    def call(self, function: str, args: list[Any], trace: bool = False, device: Optional[str] = None, quiet: bool = False, watch: tuple[int, ...] = (), times: int = 1) -> CallOutcome:
        """Call a student function; ``device`` runs it on a (real or emulated) GPU instead;
        ``quiet`` makes its printing free and uncaptured (``grader.worker.runtime.printing``);
        ``watch``: the positions of the arguments it trains (the worker reports what is done to them)."""
        if self.lost is not None:
            raise self.lost
        placed: list[Any] = []
        if self._arena is not None:
            args, placed = self._arena.place(args)
        request: dict[str, Any] = {"op": "call", "fn": function, "args": args, "trace": trace}
        if placed and self._arena is not None:
            request["arena_size"] = self._arena.size  # the worker maps that much
        if watch:
            request["watch"] = list(watch)
        if times != 1:
            request["times"] = times  # called that many times in a row on the same arguments
        if device is not None:
            request["device"] = device
        if quiet:
            request["quiet"] = True
        try:
            protocol.send(self._channel, request, deadline=self.deadline)
        except protocol.Timeout:
            raise self._lose("timeout", f"the submission ran past its {self.limits.timeout:g} s limit")
        except OSError:
            raise self._lose_after_death()
        outcome = self.judge_reply(self._receive())
        if outcome.ok and self._arena is not None and placed:
            # What the arguments hold after the call: read here, from the arena, not taken from the reply.
            from dataclasses import replace

            outcome = replace(outcome, after=self._arena.observe(placed, outcome.after))
        return outcome

    def judge_reply(self, reply: Any) -> CallOutcome:
        """Validate one reply of the worker into a :class:`CallOutcome`.

        Whatever the reply holds, this returns an outcome or raises
        :class:`WorkerLost` (``protocol``): nothing else escapes.
        """
        try:
            validated = protocol.validate(reply, protocol.ReplyIn)
            self._note_grader_imports(validated.imports_grader)
            return _outcome(validated)
        except protocol.TooLarge as exc:
            return CallOutcome(ok=False, too_large=str(exc))
        except (protocol.ProtocolError, ValueError, TypeError, KeyError, IndexError, OverflowError, RecursionError) as exc:
            raise self._lose("protocol", f"the worker's reply does not fit the protocol: {exc}")

    def _note_grader_imports(self, found: list[protocol.GraderImportIn]) -> None:
        for item in found[:20]:
            entry = (item.name[:200], max(0, min(item.line, 10**7)))
            if entry not in self.grader_imports:
                self.grader_imports.append(entry)

    # -- the pipe loop -----------------------------------------------------

    def _receive(self) -> Any:
        if self._pending:
            return self._pending.pop(0)
        selector = selectors.DefaultSelector()
        selector.register(self._channel, selectors.EVENT_READ, "reply")
        selector.register(self._out_r, selectors.EVENT_READ, "out")
        selector.register(self._err_r, selectors.EVENT_READ, "err")
        try:
            while True:
                remaining = self.deadline - time.monotonic()
                if remaining <= 0:
                    raise self._lose("timeout", f"the submission ran past its {self.limits.timeout:g} s limit")
                for key, _ in selector.select(timeout=remaining):
                    try:
                        chunk = os.read(key.fd, 1 << 16)
                    except BlockingIOError:
                        continue
                    except OSError:
                        chunk = b""
                    if key.data == "out":
                        self.stdout.feed(chunk) if chunk else selector.unregister(key.fd)
                    elif key.data == "err":
                        self.stderr.feed(chunk) if chunk else selector.unregister(key.fd)
                    elif not chunk:
                        raise self._lose_after_death()
                    else:
                        try:
                            self._pending.extend(self._reader.feed(chunk))
                        except protocol.ProtocolError as exc:
                            raise self._lose("protocol", str(exc))
                        if self._pending:
                            return self._pending.pop(0)
        finally:
            selector.close()

    def _drain_until_exit(self, grace: float) -> None:
        """Collect the last output until both streams close (the worker exited) or ``grace`` runs out."""
        end = min(time.monotonic() + grace, self.deadline + grace)
        selector = selectors.DefaultSelector()
        streams = {self._out_r: self.stdout, self._err_r: self.stderr}
        for fd in streams:
            selector.register(fd, selectors.EVENT_READ)
        try:
            while streams:
                remaining = end - time.monotonic()
                if remaining <= 0:
                    return
                for key, _ in selector.select(timeout=remaining):
                    try:
                        chunk = os.read(key.fd, 1 << 16)
                    except OSError:
                        chunk = b""
                    if chunk:
                        streams[key.fd].feed(chunk)
                    else:
                        selector.unregister(key.fd)
                        del streams[key.fd]
        finally:
            selector.close()

    def _lose(self, code: str, detail: str) -> WorkerLost:
        if self.contained is not None:
            self.contained.kill()
        self.lost = WorkerLost(code, detail)
        return self.lost

    def _lose_after_death(self) -> WorkerLost:
        """The worker closed its end of the channel: find out how it ended."""
        assert self.contained is not None
        grace_end = time.monotonic() + 0.5
        exit_ = self.contained.poll()
        while exit_ is None and time.monotonic() < grace_end:
            time.sleep(0.002)
            exit_ = self.contained.poll()
        if exit_ is None:
            self.contained.kill()
            code, detail = "crashed", "the worker closed its result channel and kept running"
            self.exit = self.contained.wait()
        else:
            self.exit = exit_
            code, detail = classify_exit(exit_, self.limits)
        self._drain_until_exit(grace=0.05)
        self.lost = WorkerLost(code, detail)
        return self.lost


def classify_exit(exit_: Exit, limits: Limits) -> tuple[str, str]:
    """Turn the way a worker ended into a diagnosis code and a detail."""
    cpu_limit = limits.cpu if limits.cpu is not None else limits.timeout
    if exit_.signal in (signal.SIGXCPU,) or (exit_.signal == signal.SIGKILL and exit_.cpu_time >= cpu_limit * 0.95):
        return "timeout", f"the submission used its {cpu_limit:g} s of CPU time"
    if exit_.signal == signal.SIGKILL:
        return "memory-limit", "the worker was killed, most likely by the kernel's out-of-memory killer"
    if exit_.signal is not None:
        return "crashed", f"the worker died by signal {signal.Signals(exit_.signal).name}"
    return "crashed", f"the worker exited early with status {exit_.code}"


def _outcome(reply: protocol.ReplyIn) -> CallOutcome:
    # An event is a name, or a name and a value: nothing else reaches the checks.
    events = tuple(e if type(e) is str else tuple(e) for e in reply.events[:5000] if type(e) is str or (e and type(e[0]) is str))
    if reply.missing:
        return CallOutcome(ok=False, missing=True)
    if reply.too_large is not None:
        return CallOutcome(ok=False, too_large=reply.too_large[:200])
    if not reply.ok:
        return CallOutcome(ok=False, error=student_error(reply.error), events=events)
    count = [0]
    after = tuple(_decode_observation(a, count) for a in reply.after)
    return CallOutcome(
        ok=True,
        returned=protocol.decode(reply.returned, 0, count),
        after=after,
        events=events,
        lines=reply.lines,
        warnings=tuple(w[:300] for w in reply.warnings[:20]),
    )


def _cell_errors(raw: list[protocol.CellIn]) -> tuple[CellError, ...]:
    """The notebook cells that raised or hung, as reported by a notebook worker (already validated)."""
    return tuple(
        CellError(
            index=item.index,
            error=student_error(item.error) or StudentError("Error", ""),
            timed_out=item.timed_out,
            count=item.count if item.count is not None and item.count > 0 else None,
        )
        for item in raw[:200]
    )


def _decode_observation(raw: Optional[protocol.ObservationIn], count: list[int]) -> Any:
    if raw is None:
        return None
    out: dict[str, Any] = {"value": protocol.decode(raw.value, 0, count)}
    if raw.grad is not msgspec.UNSET:
        out["grad"] = protocol.decode(raw.grad, 0, count)
        out["is_leaf"] = raw.is_leaf
        out["requires_grad"] = raw.requires_grad
    if raw.grads is not msgspec.UNSET:
        out["grads"] = {k[:100]: protocol.decode(v, 0, count) for k, v in raw.grads.items()}
    return out
