"""Containment for the worker process (minimal version; hardened in issue #3)."""
from __future__ import annotations

import os
import resource
import signal
from dataclasses import dataclass
from typing import Callable, Optional, Sequence


@dataclass(frozen=True)
class Limits:
    timeout: float = 60.0
    memory: int = 2 * 1024**3
    cpu: Optional[float] = None
    file_size: int = 64 * 1024**2
    processes: int = 64
    output: int = 64 * 1024


@dataclass(frozen=True)
class Exit:
    code: Optional[int]
    signal: Optional[int]
    cpu_time: float
    killed_by_us: bool = False


class Contained:
    def __init__(self, pid: int, start_method: str, missing: tuple[str, ...]) -> None:
        self.pid = pid
        self.start_method = start_method
        self.protections_missing = missing
        self._killed = False
        self._exit: Optional[Exit] = None

    def kill(self) -> None:
        self._killed = True
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except OSError:
            pass

    def poll(self) -> Optional[Exit]:
        """The exit status if the worker has ended, else None (never blocks)."""
        if self._exit is None:
            pid, status, usage = os.wait4(self.pid, os.WNOHANG)
            if pid:
                self._set(status, usage)
        return self._exit

    def wait(self) -> Exit:
        if self._exit is None:
            _, status, usage = os.wait4(self.pid, 0)
            self._set(status, usage)
        assert self._exit is not None
        return self._exit

    def _set(self, status: int, usage: "resource.struct_rusage") -> None:
        self._exit = Exit(
            code=os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
            signal=os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
            cpu_time=usage.ru_utime + usage.ru_stime,
            killed_by_us=self._killed,
        )


def start_contained(target: Callable[[], None], *, workdir: str, limits: Limits, keep_fds: Sequence[int] = ()) -> Contained:
    pid = os.fork()
    if pid == 0:
        try:
            os.setsid()
            os.chdir(workdir)
            target()
        finally:
            os._exit(70)
    return Contained(pid, "fork", ("landlock", "pid-namespace", "rlimits", "environment"))
