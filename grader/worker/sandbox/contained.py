"""The grader's handle on a running worker: its status pipe, its deadline, the SIGKILL through a pidfd.  Grader side."""
from __future__ import annotations

import math
import os
import select
import signal
import subprocess
import time
from typing import Optional

from grader.worker.sandbox.limits import Exit, SUPERVISOR_GRACE


class Contained:
    """A running worker.  ``pid`` is its supervisor; ``worker_pid`` is the
    process that runs the target (PID 1 of its namespace).

    The supervisor is the grader's child when the grader forked or spawned it
    itself (``child=True``: reaped with ``wait4``), and the fork server's
    otherwise: then how the worker ended comes from the supervisor's ``exit``
    line on the status pipe, and the supervisor is killed through a pidfd.
    """

    def __init__(
        self,
        pid: int,
        start_method: str,
        missing: tuple[str, ...],
        worker_pid: Optional[int] = None,
        worker_pidfd: Optional[int] = None,
        popen: Optional[subprocess.Popen[bytes]] = None,
        setup_time: float = 0.0,
        status: Optional[Status] = None,
        child: bool = True,
        supervisor_pidfd: Optional[int] = None,
    ) -> None:
        self.pid = pid
        self.worker_pid = worker_pid
        self.start_method = start_method
        self.protections_missing = missing
        self.setup_time = setup_time
        self._pidfd = worker_pidfd
        self._supervisor_pidfd = supervisor_pidfd
        self._popen = popen
        self._status = status
        self._child = child
        self._killed = False
        self._kill_deadline = math.inf
        self._exit: Optional[Exit] = None

    def kill(self) -> None:
        """SIGKILL the worker (and so its whole namespace); never blocks."""
        if self.poll() is not None:
            return
        self._killed = True
        self._kill_deadline = time.monotonic() + SUPERVISOR_GRACE
        if self._pidfd is not None:
            try:
                signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)
                return
            except ProcessLookupError:
                return  # already dead; the supervisor is about to report it
            except OSError:
                pass
        if self.worker_pid is not None:
            # Without a pidfd (kernel < 5.3) there is a tiny pid-reuse window
            # between W reaping W' and exiting; we accept it there.
            try:
                os.kill(self.worker_pid, signal.SIGKILL)
                return
            except OSError:
                pass
        self._kill_supervisor()

    def poll(self) -> Optional[Exit]:
        """The exit status if the worker has ended, else None (never blocks)."""
        if self._exit is None:
            if self._child:
                pid, status, usage = os.wait4(self.pid, os.WNOHANG)
                if pid:
                    self._set(status, usage.ru_utime + usage.ru_stime)
            else:
                self._read_status(0.0)
            if self._exit is None and time.monotonic() > self._kill_deadline:
                self._kill_supervisor()
        return self._exit

    def wait(self) -> Exit:
        while self._exit is None:
            if self._killed and time.monotonic() > self._kill_deadline:
                # The supervisor should follow its worker within milliseconds;
                # if it is wedged, kill it too rather than block forever.
                self._kill_supervisor()
            if self._child:
                if self._killed and time.monotonic() <= self._kill_deadline:
                    if self.poll() is None:
                        time.sleep(0.001)
                    continue
                _, status, usage = os.wait4(self.pid, 0)
                self._set(status, usage.ru_utime + usage.ru_stime)
            else:
                self._read_status(0.05)
        self._await_supervisor()
        return self._exit

    def _await_supervisor(self) -> None:
        """The fork server's supervisor reports the exit just before it ends: let it end (or end it)."""
        fd = self._supervisor_pidfd
        if fd is None:
            return
        readable, _, _ = select.select([fd], [], [], SUPERVISOR_GRACE)
        if not readable:
            try:
                signal.pidfd_send_signal(fd, signal.SIGKILL)
            except OSError:
                pass
            select.select([fd], [], [], SUPERVISOR_GRACE)
        try:
            os.close(fd)
        except OSError:
            pass
        self._supervisor_pidfd = None

    def _read_status(self, timeout: float) -> None:
        status = self._status
        if status is None:
            return
        status.read(timeout)
        if status.exit is not None:
            self._set(*status.exit)
        elif status.closed:
            # The supervisor ended without reporting: it was killed (by us, or with the grader's group).
            self._exit = Exit(code=None, signal=signal.SIGKILL, cpu_time=0.0, killed_by_us=self._killed)
            self._release()

    def _kill_supervisor(self) -> None:
        if self._exit is not None:
            return
        if self._child:
            try:
                os.kill(self.pid, signal.SIGKILL)  # our unreaped child: no pid reuse
            except OSError:
                pass
        elif self._supervisor_pidfd is not None:
            try:
                signal.pidfd_send_signal(self._supervisor_pidfd, signal.SIGKILL)
            except OSError:
                pass

    def _set(self, status: int, cpu_time: float) -> None:
        self._exit = Exit(
            code=os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
            signal=os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
            cpu_time=cpu_time,
            killed_by_us=self._killed,
        )
        if self._popen is not None:
            # We reaped it ourselves; tell Popen so it never waits on a reused pid.
            self._popen.returncode = -1
        self._release()

    def _release(self, everything: bool = False) -> None:
        for name in ("_pidfd", "_supervisor_pidfd") if everything else ("_pidfd",):
            fd = getattr(self, name, None)
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
                setattr(self, name, None)
        status = getattr(self, "_status", None)
        if status is not None:
            try:
                os.close(status.fd)
            except OSError:
                pass
            self._status = None

    def __del__(self) -> None:
        self._release(everything=True)


class Status:
    """The supervisor's and the worker's reports, read off the status pipe.

    Lines: ``supervisor PID``, ``pid PID MISSING,…`` (the worker), ``ready
    MISSING,…``, ``error TEXT`` and, when the worker has ended, ``exit STATUS
    CPU_SECONDS``.  Malformed lines are ignored: only grader code writes here.
    """

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buffer = b""
        self.supervisor_pid: Optional[int] = None
        self.worker_pid: Optional[int] = None
        self.missing: list[str] = []
        self.ready = False
        self.error: Optional[str] = None
        self.exit: Optional[tuple[int, float]] = None
        self.closed = False

    def read(self, timeout: float) -> None:
        """Read what is there, waiting at most ``timeout`` seconds for it."""
        if self.closed:
            return
        readable, _, _ = select.select([self.fd], [], [], max(timeout, 0.0))
        if not readable:
            return
        try:
            chunk = os.read(self.fd, 4096)
        except OSError:
            chunk = b""
        if not chunk:
            self.closed = True
            return
        self.buffer += chunk
        while b"\n" in self.buffer:
            raw, self.buffer = self.buffer.split(b"\n", 1)
            self._line(raw.decode("utf-8", "replace"))

    def _line(self, line: str) -> None:
        word, _, rest = line.partition(" ")
        try:
            if word == "supervisor":
                self.supervisor_pid = int(rest)
            elif word == "pid":
                number, _, names = rest.partition(" ")
                self.worker_pid = int(number)
                self.missing += [n for n in names.split(",") if n]
            elif word == "ready":
                self.ready = True
                self.missing += [n for n in rest.split(",") if n]
            elif word == "error":
                self.error = rest.replace("\\n", "\n")
            elif word == "exit":
                status, _, cpu = rest.partition(" ")
                self.exit = (int(status), float(cpu))
        except ValueError:
            pass
