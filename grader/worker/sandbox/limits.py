"""What one submission may use (:class:`Limits`), how a worker ended (:class:`Exit`), and the rlimits that enforce the limits inside the worker."""
from __future__ import annotations

import os
import re
import resource
import signal
import stat
import time
from dataclasses import dataclass
from typing import Any, Optional


@dataclass(frozen=True)
class Limits:
    """What one submission may use.  ``cpu`` defaults to ``timeout``."""

    timeout: float = 60.0
    memory: int = 2 * 1024**3
    cpu: Optional[float] = None
    file_size: int = 64 * 1024**2
    processes: int = 64
    output: int = 64 * 1024

    @property
    def cpu_seconds(self) -> float:
        return self.cpu if self.cpu is not None else self.timeout


@dataclass(frozen=True)
class Exit:
    """How the worker ended: an exit ``code`` or a ``signal``, and its CPU time."""

    code: Optional[int]
    signal: Optional[int]
    cpu_time: float
    killed_by_us: bool = False


@dataclass(frozen=True)
class SpawnTarget:
    """What a freshly spawned interpreter runs when forking is unsafe.

    ``function`` is ``"package.module:callable"``, called with ``args`` (plain
    JSON values, e.g. file descriptor numbers, which keep their numbers).
    ``stdout``/``stderr`` are descriptors that become the worker's 1 and 2;
    its stdin is /dev/null.  They and ``keep_fds`` are passed to the child.
    """

    function: str
    args: tuple[Any, ...] = ()
    stdout: Optional[int] = None
    stderr: Optional[int] = None


class SandboxError(RuntimeError):
    """The sandbox itself failed while setting the worker up (a bug, not the student's)."""


# Stable names for Contained.protections_missing.
PROTECTIONS = (
    "pid-namespace",
    "user-namespace",
    "pdeathsig",
    "no-new-privs",
    "landlock-fs",
    "landlock-net",
    "landlock-scope",
    "seccomp",
    "capabilities",
    "rlimit-as",
    "rlimit-data",
    "rlimit-cpu",
    "rlimit-fsize",
    "rlimit-nproc",
    "pid-max",
)

# How long the grader waits for a supervisor that should end within
# milliseconds of its worker before it kills the supervisor too.
SUPERVISOR_GRACE = 2.0
MAX_OPEN_FILES = 256
SETUP_TIMEOUT = 30.0


def setrlimit(which: int, soft: int, hard: Optional[int] = None) -> bool:
    try:
        resource.setrlimit(which, (soft, soft if hard is None else hard))
        return True
    except (OSError, ValueError):
        return False


def tasks_of_user(uid: int) -> int:
    count = 0
    try:
        entries = os.listdir("/proc")
    except OSError:
        return 0
    for entry in entries:
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    with open(f"/proc/{entry}/stat", "rb") as handle:
                        count += int(handle.read().rsplit(b")", 1)[1].split()[17])
            except (OSError, IndexError, ValueError):
                continue
    return count


def limit_memory(memory: int, accelerators: bool) -> list[str]:
    """Allow ``memory`` bytes beyond what is mapped now: torch alone maps gigabytes.

    RLIMIT_DATA counts private writable memory (heap, anonymous mmaps: every
    tensor and Python object); RLIMIT_AS counts all address space.  CUDA
    reserves terabytes of inaccessible address space at initialisation, which
    RLIMIT_AS would refuse, so where accelerator devices exist only
    RLIMIT_DATA applies.
    """
    missing = []
    try:
        with open("/proc/self/status", "rb") as handle:
            status = handle.read()
        data = int(re.search(rb"VmData:\s+(\d+) kB", status).group(1)) * 1024  # type: ignore[union-attr]
        size = int(re.search(rb"VmSize:\s+(\d+) kB", status).group(1)) * 1024  # type: ignore[union-attr]
    except (OSError, AttributeError, ValueError):
        return ["rlimit-as", "rlimit-data"]
    if not setrlimit(resource.RLIMIT_DATA, data + memory):
        missing.append("rlimit-data")
    if accelerators or not setrlimit(resource.RLIMIT_AS, size + memory):
        missing.append("rlimit-as")
    return missing
