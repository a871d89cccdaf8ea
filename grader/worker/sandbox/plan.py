"""The plan a supervisor and its worker follow (plain data: it crosses to a spawned interpreter as JSON), and the status lines they write back."""
from __future__ import annotations

import os
from dataclasses import dataclass, field


@dataclass
class Plan:
    """Everything the supervisor and worker need, as plain data (it crosses to a
    spawned interpreter as JSON)."""

    workdir: str
    memory: int
    cpu: float
    file_size: int
    processes: int
    keep_fds: list[int]
    rules: list[tuple[str, str]]
    env: dict[str, str]
    grader_pid: int
    status_w: int
    go_r: int
    namespaces: bool = True
    seccomp: bool = True
    unix_sockets: bool = False
    accelerators: bool = False
    close_in_child: list[int] = field(default_factory=list)


def report(fd: int, line: str) -> None:
    # One write below PIPE_BUF, so the supervisor's and the worker's lines
    # never interleave; the newline survives truncation.
    try:
        os.write(fd, line.encode("utf-8", "replace")[:4000] + b"\n")
    except OSError:
        pass
