"""Containment for the worker process: the sandbox around student code.

Each submission runs in a process forked from the warm grader, which has
already imported torch, so a start costs milliseconds instead of a fresh
interpreter's second or more::

    grader (P) --fork--> supervisor (W) --unshare(user+pid), fork--> worker (W')

* W' is PID 1 of a new PID namespace.  When it ends, however it ends, the
  kernel kills every process the submission started, including ones that
  called setsid() and double-forked daemons.
* W only waits for W' and then ends the same way (same exit code, or the same
  signal), so the grader's ``wait4()`` on W describes W' faithfully, and its
  rusage includes W''s CPU time (W reaped it).
* W' locks itself in before it runs the target: a scrubbed environment
  (secrets are also wiped from memory that the fork copied), rlimits,
  no_new_privs, Landlock (read the Python installation, write only the
  workdir, no TCP, no signals or abstract sockets outside its domain), a
  seccomp filter (no sockets, namespaces, mounts, io_uring, keyrings, bpf) and
  no capabilities.
* The grader kills W' with SIGKILL through a pidfd, so a recycled pid can
  never be hit, and W' cannot ignore or block it.

Wherever a mechanism is unavailable (macOS, old kernels, namespaces disabled)
the worker still runs and the protection's short name is listed in
``Contained.protections_missing``.  Where fork is unsafe (macOS, CUDA already
initialised in the grader), ``start_contained`` spawns a fresh interpreter
for the supervisor instead, given a :class:`SpawnTarget` to run there.

One module per mechanism:

* ``limits``: :class:`Limits`, :class:`Exit` and the rlimits behind them;
* ``start`` (grader side): the plan, the fork or spawn of the supervisor,
  the handshake; ``contained``: the grader's handle on a running worker;
* ``plan``: the plain-data plan W and W' follow, and their status lines;
* ``supervisor`` (W) and ``namespaces``: the user and PID namespaces, the
  subreaper sweep;
* ``confine`` (W'): the order in which the worker locks itself in, using
  ``environment``, ``landlock``, ``seccomp`` and ``capabilities``;
* ``syscalls``: libc through ctypes.
"""
from __future__ import annotations

from grader.worker.sandbox.contained import Contained
from grader.worker.sandbox.environment import is_secret_name, scrubbed_environment
from grader.worker.sandbox.landlock import apply_landlock, grader_paths, landlock_abi, read_rules
from grader.worker.sandbox.limits import PROTECTIONS, Exit, Limits, SandboxError, SpawnTarget
from grader.worker.sandbox.plan import Plan, report
from grader.worker.sandbox.seccomp import apply_seccomp
from grader.worker.sandbox.start import start_contained
from grader.worker.sandbox.supervisor import supervise
from grader.worker.sandbox.syscalls import LIBC, LINUX, fork_is_safe

__all__ = [
    "PROTECTIONS", "Contained", "Exit", "Limits", "SandboxError", "SpawnTarget", "apply_landlock", "apply_seccomp",
    "fork_is_safe", "grader_paths", "is_secret_name", "landlock_abi", "read_rules", "scrubbed_environment", "start_contained",
    "LIBC", "LINUX", "Plan", "report", "supervise",
]
