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
"""
from __future__ import annotations

import ctypes
import gc
import io
import json
import math
import os
import platform
import re
import resource
import select
import signal
import stat
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Optional, Sequence

# --------------------------------------------------------------------------
# public values


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
_SUPERVISOR_GRACE = 2.0
_MAX_OPEN_FILES = 256
_SETUP_TIMEOUT = 30.0


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
        status: Optional[_Status] = None,
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
        self._kill_deadline = time.monotonic() + _SUPERVISOR_GRACE
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
        readable, _, _ = select.select([fd], [], [], _SUPERVISOR_GRACE)
        if not readable:
            try:
                signal.pidfd_send_signal(fd, signal.SIGKILL)
            except OSError:
                pass
            select.select([fd], [], [], _SUPERVISOR_GRACE)
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


# --------------------------------------------------------------------------
# libc


def _load_libc() -> Optional[ctypes.CDLL]:
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


_LIBC = _load_libc()
_LINUX = sys.platform.startswith("linux")


def _syscall(number: int, *args: Any) -> int:
    if _LIBC is None or not _LINUX:
        return -1
    call = _LIBC.syscall
    call.restype = ctypes.c_long
    # syscall() is variadic: plain Python ints would travel as 32-bit ints.
    converted = [ctypes.c_long(a) if isinstance(a, int) else a for a in args]
    return int(call(ctypes.c_long(number), *converted))


def _prctl(option: int, arg2: int = 0, arg3: int = 0) -> bool:
    if _LIBC is None or not _LINUX:
        return False
    call = _LIBC.prctl
    call.restype = ctypes.c_int
    zero = ctypes.c_ulong(0)
    return call(ctypes.c_int(option), ctypes.c_ulong(arg2), ctypes.c_ulong(arg3), zero, zero) == 0


_PR_SET_PDEATHSIG = 1
_PR_SET_DUMPABLE = 4
_PR_SET_SECCOMP = 22
_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_CHILD_SUBREAPER = 36

_CLONE_NEWNS = 0x00020000
_CLONE_NEWCGROUP = 0x02000000
_CLONE_NEWUTS = 0x04000000
_CLONE_NEWIPC = 0x08000000
_CLONE_NEWUSER = 0x10000000
_CLONE_NEWPID = 0x20000000
_CLONE_NEWNET = 0x40000000


# --------------------------------------------------------------------------
# Landlock

_NR_LANDLOCK_CREATE_RULESET = 444
_NR_LANDLOCK_ADD_RULE = 445
_NR_LANDLOCK_RESTRICT_SELF = 446
_LANDLOCK_CREATE_RULESET_VERSION = 1
_LANDLOCK_RULE_PATH_BENEATH = 1

_FS_EXECUTE = 1 << 0
_FS_WRITE_FILE = 1 << 1
_FS_READ_FILE = 1 << 2
_FS_READ_DIR = 1 << 3
_FS_REMOVE_DIR = 1 << 4
_FS_REMOVE_FILE = 1 << 5
_FS_MAKE_CHAR = 1 << 6
_FS_MAKE_DIR = 1 << 7
_FS_MAKE_REG = 1 << 8
_FS_MAKE_SOCK = 1 << 9
_FS_MAKE_FIFO = 1 << 10
_FS_MAKE_BLOCK = 1 << 11
_FS_MAKE_SYM = 1 << 12
_FS_REFER = 1 << 13  # ABI 2
_FS_TRUNCATE = 1 << 14  # ABI 3
_FS_IOCTL_DEV = 1 << 15  # ABI 5
_NET_BIND_TCP = 1 << 0  # ABI 4
_NET_CONNECT_TCP = 1 << 1
_SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0  # ABI 6
_SCOPE_SIGNAL = 1 << 1

# Rights that make sense on a file (not a directory); others give EINVAL.
_FILE_RIGHTS = _FS_EXECUTE | _FS_WRITE_FILE | _FS_READ_FILE | _FS_TRUNCATE | _FS_IOCTL_DEV
_ALL_FS = (1 << 16) - 1

_RULE_ACCESS = {
    "read": _FS_READ_FILE | _FS_READ_DIR,
    "exec": _FS_READ_FILE | _FS_READ_DIR | _FS_EXECUTE,
    "list": _FS_READ_DIR,
    "null": _FS_READ_FILE | _FS_WRITE_FILE | _FS_TRUNCATE,
    "device": _FS_READ_FILE | _FS_WRITE_FILE | _FS_TRUNCATE | _FS_IOCTL_DEV,
    # A pseudo-terminal, for IPython's `!cmd` in a notebook; not "device", which means a GPU.
    "tty": _FS_READ_FILE | _FS_WRITE_FILE | _FS_IOCTL_DEV,
    # Everything inside the workdir except running what was written there and
    # making device nodes.
    "write": _ALL_FS & ~(_FS_EXECUTE | _FS_MAKE_CHAR | _FS_MAKE_BLOCK | _FS_IOCTL_DEV),
}


class _RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def landlock_abi() -> int:
    """The kernel's Landlock ABI version, 0 where Landlock is unavailable."""
    if not _LINUX:
        return 0
    return max(_syscall(_NR_LANDLOCK_CREATE_RULESET, None, 0, _LANDLOCK_CREATE_RULESET_VERSION), 0)


def _fs_handled(abi: int) -> int:
    rights = (1 << 13) - 1
    if abi >= 2:
        rights |= _FS_REFER
    if abi >= 3:
        rights |= _FS_TRUNCATE
    if abi >= 5:
        rights |= _FS_IOCTL_DEV
    return rights


def apply_landlock(rules: Sequence[tuple[str, str]], abi: Optional[int] = None) -> list[str]:
    """Restrict this thread (and what it starts later) to ``rules``; return what is missing.

    ``rules`` are ``(path, kind)`` with kind one of ``read``, ``exec``,
    ``list``, ``null``, ``device``, ``write``.  Everything else is denied:
    TCP bind/connect (ABI >= 4) and signals or abstract unix sockets beyond
    the domain (ABI >= 6) too.  Irreversible; call it in a child process.
    """
    abi = landlock_abi() if abi is None else abi
    everything = ["landlock-fs", "landlock-net", "landlock-scope"]
    if abi < 1:
        return everything
    missing = []
    handled = _fs_handled(abi)
    attr = _RulesetAttr(handled, 0, 0)
    size = 8
    if abi >= 4:
        attr.handled_access_net = _NET_BIND_TCP | _NET_CONNECT_TCP
        size = 16
    else:
        missing.append("landlock-net")
    if abi >= 6:
        attr.scoped = _SCOPE_ABSTRACT_UNIX_SOCKET | _SCOPE_SIGNAL
        size = 24
    else:
        missing.append("landlock-scope")
    ruleset = _syscall(_NR_LANDLOCK_CREATE_RULESET, ctypes.byref(attr), size, 0)
    if ruleset < 0:
        return everything
    try:
        for path, kind in rules:
            access = _RULE_ACCESS[kind] & handled
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue
            try:
                if not stat.S_ISDIR(os.fstat(fd).st_mode):
                    access &= _FILE_RIGHTS
                if access:
                    rule = _PathBeneathAttr(access, fd)
                    _syscall(_NR_LANDLOCK_ADD_RULE, ruleset, _LANDLOCK_RULE_PATH_BENEATH, ctypes.byref(rule), 0)
            finally:
                os.close(fd)
        if not _prctl(_PR_SET_NO_NEW_PRIVS, 1):
            return everything
        if _syscall(_NR_LANDLOCK_RESTRICT_SELF, ruleset, 0) != 0:
            return everything
    finally:
        os.close(ruleset)
    return missing


# What the worker may read.  Python, torch, numpy and matplotlib need their
# installation, the system libraries and a little of /etc, /proc and /sys.
_SYSTEM_EXEC = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/opt", "/nix/store", "/gnu/store")
_SYSTEM_READ = ("/proc", "/sys")
# A worker mapped to root (when the grader runs as root) passes DAC checks
# on root-owned files, so these stay unreadable even though /etc is allowed.
_ETC_WITHHELD = frozenset(
    {
        "shadow", "shadow-", "gshadow", "gshadow-", "sudoers", "sudoers.d", "ssh", "ssl", "pki",
        "security", "credstore", "credstore.encrypted", "krb5.keytab", "docker", "containers",
        "NetworkManager", "wpa_supplicant", "wireguard", "openvpn", "ppp", "libvirt",
        "gitlab-runner", "polkit-1", "netplan", "cloud", "letsencrypt", "ipsec.secrets",
    }
)
_DEVICES = (
    ("/dev/null", "null"),
    ("/dev/full", "null"),
    ("/dev/zero", "read"),
    ("/dev/random", "read"),
    ("/dev/urandom", "read"),
    ("/dev/ptmx", "tty"),
    ("/dev/pts", "tty"),
)
# Accelerators need read-write device nodes and ioctl.
_ACCELERATOR_PREFIXES = ("nvidia", "dri", "kfd")

_rules_cache: tuple[Any, list[tuple[str, str]]] = (None, [])


# The grader's files a worker may read, as paths relative to the package's
# folder (a folder means everything in it): its own runtime, the package
# ``grader.worker`` (a Jupyter kernel started by the kernel runner imports it
# from disk).  None knows an answer.
_RUNTIME_FILES = frozenset({"__init__.py", "__main__.py", "worker"})


def grader_paths() -> list[str]:
    """The grader's files that no worker may read: every file of the package
    but the worker's runtime, the reference solutions and the stubs.

    The runtime is already in the fork server's memory; nothing else is
    needed in a worker, and the reference solutions are among the rest.
    """
    import importlib.util

    paths: list[str] = []
    for name in ("grader", "grader.reference", "grader.exercises"):
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        for location in (spec.submodule_search_locations or []) if spec is not None else []:
            location = os.path.realpath(location)
            if name != "grader":
                paths.append(location)
                continue
            paths += _withheld(location, "")
    return sorted(set(paths))


def _withheld(root: str, folder: str) -> list[str]:
    """The files and folders under ``root/folder`` that are not the worker's runtime."""
    paths: list[str] = []
    for entry in _entries(os.path.join(root, folder)):
        relative = f"{folder}/{entry}" if folder else entry
        if entry == "__pycache__":
            cache = os.path.join(root, relative)
            stem = f"{folder}/" if folder else ""
            paths += [os.path.join(cache, c) for c in _entries(cache) if not _runtime_file(stem + c.split(".", 1)[0] + ".py")]
        elif _runtime_file(relative):
            continue
        elif any(r.startswith(relative + "/") for r in _RUNTIME_FILES):
            paths += _withheld(root, relative)
        else:
            paths.append(os.path.join(root, relative))
    return paths


def _runtime_file(relative: str) -> bool:
    return any(relative == r or relative.startswith(r + "/") for r in _RUNTIME_FILES)


def _entries(folder: str) -> list[str]:
    try:
        return sorted(os.listdir(folder))
    except OSError:
        return []


def read_rules(withheld: Sequence[str] = ()) -> list[tuple[str, str]]:
    """The Landlock rules that let a forked worker read what Python needs.

    Computed in the grader (cached until its imports or sys.path change):
    the interpreter's prefixes, sys.path (without the grader's cwd, which may
    hold other submissions), the directories of every loaded top-level package
    (editable installs live outside sys.path), system directories, /etc less
    its secrets, and a few device nodes.  The grader's own folders
    (:func:`grader_paths`) and ``withheld`` paths (an instructor's private
    references) are cut out of every rule that would cover them.
    """
    global _rules_cache
    cwd = _cwd()
    hidden = tuple(sorted({os.path.realpath(p) for p in (*grader_paths(), *withheld) if p}))
    key = (len(sys.modules), tuple(sys.path), cwd, hidden)
    if _rules_cache[0] == key:
        return list(_rules_cache[1])
    rules: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()

    def add(path: str, kind: str) -> None:
        if not path or not os.path.isabs(path):
            return
        real = os.path.realpath(path)
        if (real, kind) in seen or real == "/" or not os.path.exists(real):
            return
        seen.add((real, kind))
        rules.append((real, kind))

    for prefix in {sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix}:
        add(prefix, "exec")
    add(os.path.dirname(os.path.realpath(sys.executable)), "exec")
    for entry in sys.path:
        if entry and os.path.realpath(entry) != cwd:
            add(entry, "read")
    covered = tuple(p + os.sep for p, _ in rules)
    for name, module in list(sys.modules.items()):
        if "." in name or module is None:
            continue
        try:
            paths = vars(module).get("__path__")
        except TypeError:
            continue
        if paths is None:
            continue
        try:
            entries = [p for p in list(paths) if isinstance(p, str)]
        except Exception:
            continue
        for entry in entries:
            if not (entry + os.sep).startswith(covered):
                add(entry, "read")
    for path in _SYSTEM_EXEC:
        add(path, "exec")
    for path in _SYSTEM_READ:
        add(path, "read")
    try:
        etc = sorted(os.listdir("/etc"))
    except OSError:
        etc = []
    add("/etc", "list")
    for entry in etc:
        if entry not in _ETC_WITHHELD:
            add(os.path.join("/etc", entry), "read")
    add("/dev", "list")
    for path, kind in _DEVICES:
        add(path, kind)
    try:
        devices = os.listdir("/dev")
    except OSError:
        devices = []
    for entry in devices:
        if entry.startswith(_ACCELERATOR_PREFIXES):
            add(os.path.join("/dev", entry), "device")
    rules = _without(rules, hidden)
    _rules_cache = (key, rules)
    return list(rules)


def _without(rules: list[tuple[str, str]], hidden: Sequence[str]) -> list[tuple[str, str]]:
    """``rules`` with every path in ``hidden`` cut out.

    Landlock only grants, so a rule over a folder that contains a hidden path
    is replaced by rules over that folder's other entries, level by level
    down to the hidden path, and a list-only rule for each folder on the way.
    A rule *inside* a hidden path is dropped.
    """
    out: list[tuple[str, str]] = []
    for path, kind in rules:
        if any(path == h or path.startswith(h + os.sep) for h in hidden):
            continue
        inside = [h for h in hidden if h.startswith(path + os.sep)]
        if not inside:
            out.append((path, kind))
            continue
        out.extend(_split(path, kind, inside))
    return out


def _split(folder: str, kind: str, hidden: Sequence[str]) -> list[tuple[str, str]]:
    rules: list[tuple[str, str]] = [(folder, "list")]
    try:
        entries = sorted(os.listdir(folder))
    except OSError:
        return rules
    for entry in entries:
        path = os.path.join(folder, entry)
        if any(path == h for h in hidden) or _grader_metadata(entry):
            continue
        deeper = [h for h in hidden if h.startswith(path + os.sep)]
        rules.extend(_split(path, kind, deeper) if deeper else [(path, kind)])
    return rules


def _grader_metadata(entry: str) -> bool:
    """The installed grader's metadata and editable-install hooks (they name its folders)."""
    lowered = entry.lower()
    return lowered.startswith(("grader-", "__editable__.grader-", "__editable___grader_")) and not lowered.startswith("grader-private")


def _cwd() -> str:
    try:
        return os.path.realpath(os.getcwd())
    except OSError:
        return ""


# --------------------------------------------------------------------------
# seccomp

_AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
# Syscalls the worker never needs and that reach beyond it: sockets (a
# process mapped to root could otherwise talk to docker.sock or send UDP),
# new namespaces and mounts, io_uring (which bypasses this filter), kernel
# keyrings, bpf, perf and userfaultfd (common kernel-exploit primitives).
# memfd_create: memory held by a file descriptor, never mapped, escapes the
# address-space limit (a memfd of 2 GiB under a 256 MiB --memory-limit).
_BLOCKED_SYSCALLS = {
    "x86_64": {
        "memfd_create": 319, "memfd_secret": 447,
        "socket": 41, "mount": 165, "umount2": 166, "pivot_root": 155, "chroot": 161,
        "unshare": 272, "setns": 308, "add_key": 248, "request_key": 249, "keyctl": 250,
        "bpf": 321, "perf_event_open": 298, "userfaultfd": 323, "io_uring_setup": 425,
        "io_uring_enter": 426, "io_uring_register": 427, "open_tree": 428, "move_mount": 429,
        "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433, "mount_setattr": 442,
    },
    "aarch64": {
        "memfd_create": 279, "memfd_secret": 447,
        "socket": 198, "mount": 40, "umount2": 39, "pivot_root": 41, "chroot": 51,
        "unshare": 97, "setns": 268, "add_key": 217, "request_key": 218, "keyctl": 219,
        "bpf": 280, "perf_event_open": 241, "userfaultfd": 282, "io_uring_setup": 425,
        "io_uring_enter": 426, "io_uring_register": 427, "open_tree": 428, "move_mount": 429,
        "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433, "mount_setattr": 442,
    },
}
_NR_CLONE = {"x86_64": 56, "aarch64": 220}
_NR_FCNTL = {"x86_64": 72, "aarch64": 25}
_F_SETPIPE_SZ = 1031  # a pipe's buffer can grow to 1 MiB of unmapped kernel memory
_NR_CLONE3 = 435
_CLONE_NAMESPACES = _CLONE_NEWNS | _CLONE_NEWCGROUP | _CLONE_NEWUTS | _CLONE_NEWIPC | _CLONE_NEWUSER | _CLONE_NEWPID | _CLONE_NEWNET


class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8), ("k", ctypes.c_uint32)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_uint16), ("filter", ctypes.POINTER(_SockFilter))]


def _seccomp_program(machine: str, unix_sockets: bool = False) -> list[tuple[int, int, int, int]]:
    ld_abs, jeq, jge, jset, ret = 0x20, 0x15, 0x35, 0x45, 0x06
    allow, errno_ = 0x7FFF0000, 0x00050000
    eperm, enosys = 1, 38
    af_unix, af_netlink = 1, 16
    blocked = dict(_BLOCKED_SYSCALLS[machine])
    socket_nr = blocked.pop("socket")
    # Instructions with symbolic jump targets, resolved to BPF's relative
    # offsets below; None means "fall through".
    code: list[tuple[int, Optional[str], Optional[str], int]] = [
        (ld_abs, None, None, 4),  # seccomp_data.arch
        (jeq, "native", None, _AUDIT_ARCH[machine]),
        (ret, None, None, errno_ | enosys),  # a foreign syscall ABI (int 0x80)
    ]
    labels = {"native": len(code)}
    code.append((ld_abs, None, None, 0))  # seccomp_data.nr
    if machine == "x86_64":
        code.append((jge, "deny", None, 0x40000000))  # x32 syscalls
    code.append((jeq, "socket" if unix_sockets else "deny", None, socket_nr))
    for number in sorted(blocked.values()):
        code.append((jeq, "deny", None, number))
    # clone3's flags sit behind a pointer the filter cannot read: ENOSYS makes
    # glibc fall back to clone, whose flags are an argument we can check.
    code.append((jeq, None, "not-fcntl", _NR_FCNTL[machine]))
    code.append((ld_abs, None, None, 24))  # low half of args[1]: the fcntl command
    code.append((jeq, "deny", "allow", _F_SETPIPE_SZ))
    labels["not-fcntl"] = len(code)
    code.append((jeq, None, "not-clone3", _NR_CLONE3))
    code.append((ret, None, None, errno_ | enosys))
    labels["not-clone3"] = len(code)
    code.append((jeq, None, "allow", _NR_CLONE[machine]))
    code.append((ld_abs, None, None, 16))  # low half of args[0]: clone flags
    code.append((jset, "deny", "allow", _CLONE_NAMESPACES))
    if unix_sockets:  # BPF only jumps forward: this sits before allow/deny
        labels["socket"] = len(code)
        code.append((ld_abs, None, None, 16))  # low half of args[0]: the address family
        code.append((jeq, "allow", None, af_unix))
        code.append((jeq, "allow", "deny", af_netlink))
    labels["allow"] = len(code)
    code.append((ret, None, None, allow))
    labels["deny"] = len(code)
    code.append((ret, None, None, errno_ | eperm))

    def offset(here: int, label: Optional[str]) -> int:
        jump = 0 if label is None else labels[label] - here - 1
        assert 0 <= jump < 256, "BPF jumps are forward and 8-bit"
        return jump

    return [(op, offset(i, jt), offset(i, jf), k) for i, (op, jt, jf, k) in enumerate(code)]


def apply_seccomp(unix_sockets: bool = False) -> bool:
    """Install the worker's syscall filter on this thread; False where unsupported.

    ``unix_sockets`` lets ``socket(AF_UNIX | AF_NETLINK, ...)`` through: a
    Jupyter kernel over ipc needs unix sockets, and libzmq lists network
    interfaces (netlink, read-only without CAP_NET_ADMIN) before any bind.
    Landlock still confines new socket files to the workdir and abstract
    sockets to the worker, but existing socket files the grader's user may
    use (docker.sock, for one) become reachable.
    """
    machine = platform.machine()
    if not _LINUX or machine not in _AUDIT_ARCH:
        return False
    program = _seccomp_program(machine, unix_sockets)
    filters = (_SockFilter * len(program))(*[_SockFilter(c, jt, jf, k) for c, jt, jf, k in program])
    fprog = _SockFprog(len(program), filters)
    if not _prctl(_PR_SET_NO_NEW_PRIVS, 1):
        return False
    _seccomp_mode_filter = 2
    if _LIBC is None:
        return False
    call = _LIBC.prctl
    call.restype = ctypes.c_int
    return call(ctypes.c_int(_PR_SET_SECCOMP), ctypes.c_ulong(_seccomp_mode_filter), ctypes.byref(fprog), ctypes.c_ulong(0), ctypes.c_ulong(0)) == 0


# --------------------------------------------------------------------------
# the environment

_ENV_KEEP = frozenset(
    {
        "PATH", "LANG", "LANGUAGE", "TZ", "PYTHONHASHSEED", "PYTHONIOENCODING", "PYTHONUTF8",
        "CUDA_VISIBLE_DEVICES", "CUDA_DEVICE_ORDER", "HIP_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES",
    }
)
_ENV_KEEP_PREFIXES = ("LC_",)
# Never passed on, even when a name above would let it through.
_SECRET_NAME = re.compile(
    r"TOKEN|SECRET|KEY|PASSW|CREDENTIAL|AUTH|COOKIE|PRIVATE|SESSION"
    r"|^AWS_|^GITHUB_|^GH_|^ACTIONS_|^RUNNER_|^AZURE_|^GOOGLE_|^GCP_|^GCLOUD_|^CI_JOB",
    re.IGNORECASE,
)


def is_secret_name(name: str) -> bool:
    """Whether an environment variable's name looks like it holds a credential."""
    return bool(_SECRET_NAME.search(name))


def scrubbed_environment(workdir: str, source: Optional[Mapping[str, str]] = None) -> dict[str, str]:
    """The worker's whole environment: an allowlist of ``source`` plus fixed values.

    Home, temporary and cache directories all point at the workdir, the
    numeric libraries run one thread, and matplotlib draws off-screen.
    """
    source = os.environ if source is None else source
    env = {
        name: value
        for name, value in source.items()
        if (name in _ENV_KEEP or name.startswith(_ENV_KEEP_PREFIXES)) and not is_secret_name(name)
    }
    env.setdefault("PATH", os.defpath)
    for name in ("HOME", "TMPDIR", "TMP", "TEMP", "PWD", "MPLCONFIGDIR"):
        env[name] = workdir
    env["XDG_CACHE_HOME"] = os.path.join(workdir, ".cache")
    env["XDG_CONFIG_HOME"] = os.path.join(workdir, ".config")
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
        env[name] = "1"
    env["MPLBACKEND"] = "Agg"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _zero(address: int, length: int) -> None:
    if address and length > 0:
        ctypes.memset(address, 0, length)


def _replace_environment(env: Mapping[str, str]) -> None:
    """Make ``env`` the whole environment, wiping dropped secrets from memory.

    A forked worker holds copies of the grader's environment in three places
    the student could read: Python's ``os.environ`` (its bytes values),
    libc's ``environ`` strings, and the block that ``/proc/self/environ``
    shows.  Secret-looking values are zeroed in the first two, the block is
    zeroed whole, then everything is rebuilt from ``env``.
    """
    data = getattr(os.environ, "_data", {})
    encoding = sys.getfilesystemencoding()
    for key, value in list(data.items()):
        name = key.decode(encoding, "surrogateescape") if isinstance(key, bytes) else str(key)
        # Length-0/1 bytes are shared singletons: never write into those.
        if is_secret_name(name) and isinstance(value, bytes) and len(value) > 1:
            _zero(ctypes.cast(ctypes.c_char_p(value), ctypes.c_void_p).value or 0, len(value))
    if _LIBC is not None and _LINUX:
        try:
            environ = ctypes.POINTER(ctypes.c_void_p).in_dll(_LIBC, "environ")
            i = 0
            while environ and environ[i]:
                address = environ[i]
                entry = ctypes.string_at(address)
                name_b, _, value_b = entry.partition(b"=")
                if is_secret_name(name_b.decode("latin-1")):
                    _zero(address + len(name_b) + 1, len(value_b))
                i += 1
        except (ValueError, OSError):
            pass
        start, end = _environ_block()
        _zero(start, end - start)
        _LIBC.clearenv()
    os.environ.clear()
    os.environ.update(env)


def _environ_block() -> tuple[int, int]:
    try:
        with open("/proc/self/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
        # Fields 50 and 51 of proc(5), counted after "(comm)" which ends field 2.
        return int(fields[47]), int(fields[48])
    except (OSError, IndexError, ValueError):
        return 0, 0


# --------------------------------------------------------------------------
# starting


@dataclass
class _Plan:
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


def fork_is_safe() -> bool:
    """Whether forking this (torch-importing) process is safe here."""
    if not hasattr(os, "fork") or sys.platform == "darwin":
        return False
    torch = sys.modules.get("torch")
    if torch is not None:
        try:
            if torch.cuda.is_initialized():  # a forked child cannot use CUDA again
                return False
        except Exception:
            pass
    return True


def start_contained(
    target: Optional[Callable[[], None]] = None,
    *,
    workdir: str,
    limits: Limits,
    keep_fds: Sequence[int] = (),
    spawn: Optional[SpawnTarget] = None,
    method: Optional[str] = None,
    namespaces: bool = True,
    seccomp: bool = True,
    unix_sockets: bool = False,
    entry: Optional[Mapping[str, Any]] = None,
    entry_fds: Optional[tuple[int, int, int]] = None,
    withheld: Sequence[str] = (),
) -> Contained:
    """Start a contained worker and return once it is locked in.

    Either ``target`` runs in a child forked from this process (cwd
    ``workdir``, descriptors other than 0-2 and ``keep_fds`` replaced by
    /dev/null; it must not return into the caller's stack), or ``entry`` is
    run by a child of the fork server (``grader.worker.zygote``), which never held
    what this process holds: ``entry`` is ``{"function": "module:name",
    "path", "display", "functions", "kwargs"}`` and ``entry_fds`` the
    worker's (channel, stdout, stderr) descriptors.  Where forking is unsafe
    (see :func:`fork_is_safe`) a fresh interpreter runs ``spawn`` (or the
    entry) instead.  ``method`` forces ``"fork"``, ``"zygote"`` or ``"spawn"``;
    ``namespaces=False`` and ``seccomp=False`` exist to test the fallbacks.
    ``unix_sockets=True`` lets the worker create unix sockets (see
    :func:`apply_seccomp` for what that opens).  ``withheld`` paths stay
    unreadable even where the Python installation around them is readable.
    """
    if entry is not None:
        assert entry_fds is not None
        channel, out_w, err_w = entry_fds
        keep_fds = (channel,)
        spawn = SpawnTarget("grader.worker.zygote:run_spawned_entry", (dict(entry), channel), stdout=out_w, stderr=err_w)
    if method is None:
        if spawn is not None and not fork_is_safe():
            method = "spawn"
        else:
            method = "zygote" if entry is not None else "fork"
    if method == "spawn" and spawn is None:
        raise ValueError("method='spawn' needs a SpawnTarget")
    if method == "fork" and target is None:
        raise ValueError("method='fork' needs a target")
    workdir = os.path.realpath(workdir)
    keep = sorted({fd for fd in keep_fds if fd > 2})
    rules = read_rules(withheld) + [(workdir, "write")]
    env = scrubbed_environment(workdir)
    status_r, status_w = os.pipe()
    go_r, go_w = os.pipe()
    plan = _Plan(
        workdir=workdir,
        memory=limits.memory,
        cpu=limits.cpu_seconds,
        file_size=limits.file_size,
        processes=limits.processes,
        keep_fds=keep,
        rules=rules,
        env=env,
        grader_pid=os.getpid(),
        status_w=status_w,
        go_r=go_r,
        namespaces=namespaces,
        seccomp=seccomp,
        unix_sockets=unix_sockets,
        accelerators=any(kind == "device" for _, kind in rules),
        close_in_child=[status_r, go_w],
    )
    started = time.monotonic()
    popen = None
    pid = 0
    try:
        if method == "zygote":
            assert entry is not None and entry_fds is not None
            from grader.worker import zygote

            fields = {k: v for k, v in vars(plan).items() if k not in ("keep_fds", "status_w", "go_r", "grader_pid", "close_in_child")}
            zygote.request(
                {"plan": fields, "entry": dict(entry), "fds": {"channel": 0, "stdout": 1, "stderr": 2, "status": 3, "go": 4}},
                [entry_fds[0], entry_fds[1], entry_fds[2], status_w, go_r],
            )
        elif method == "fork":
            assert target is not None
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except (OSError, ValueError, AttributeError):
                    pass
            pid = os.fork()
            if pid == 0:
                try:
                    _supervise(plan, target)
                except BaseException:
                    _report(status_w, "error " + traceback.format_exc().replace("\n", "\\n"))
                finally:
                    os._exit(70)
        else:
            assert spawn is not None
            popen = _spawn_supervisor(plan, spawn)
            pid = popen.pid
    finally:
        os.close(status_w)
        os.close(go_r)
    status = _Status(status_r)
    supervisor_pidfd = None
    pidfd = None
    try:
        _handshake(status, started + min(_SETUP_TIMEOUT, max(limits.timeout, 5.0)))
        if method == "zygote" and status.supervisor_pid is not None:
            pid = status.supervisor_pid
            try:
                supervisor_pidfd = os.pidfd_open(pid)
            except (AttributeError, OSError):
                supervisor_pidfd = None
        if status.worker_pid is not None:
            try:
                pidfd = os.pidfd_open(status.worker_pid)
            except (AttributeError, OSError):
                pidfd = None
            try:
                os.write(go_w, b"g")
            except OSError:
                pass
    finally:
        os.close(go_w)
    contained = Contained(
        pid,
        "fork" if method == "zygote" else method,
        tuple(sorted(set(status.missing), key=_protection_order)),
        worker_pid=status.worker_pid,
        worker_pidfd=pidfd,
        popen=popen,
        setup_time=time.monotonic() - started,
        status=status,
        child=method != "zygote",
        supervisor_pidfd=supervisor_pidfd,
    )
    if status.error is not None or status.worker_pid is None:
        contained.kill()
        exit_ = contained.wait()
        raise SandboxError(f"the sandbox failed to start the worker ({exit_}): {status.error or 'no report'}")
    return contained


def _protection_order(name: str) -> tuple[int, str]:
    return (PROTECTIONS.index(name) if name in PROTECTIONS else len(PROTECTIONS), name)


def _report(fd: int, line: str) -> None:
    # One write below PIPE_BUF, so the supervisor's and the worker's lines
    # never interleave; the newline survives truncation.
    try:
        os.write(fd, line.encode("utf-8", "replace")[:4000] + b"\n")
    except OSError:
        pass


class _Status:
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


def _handshake(status: _Status, deadline: float) -> None:
    """Wait for the worker to be locked in (or for the reason it is not)."""
    while not (status.ready and status.worker_pid is not None) and status.error is None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            status.error = "timed out waiting for the worker to start"
            return
        status.read(remaining)
        if status.closed and not status.ready:
            status.error = status.error or "the supervisor ended during setup"
            return


def _spawn_supervisor(plan: _Plan, spawn: SpawnTarget) -> "subprocess.Popen[bytes]":
    config = dict(vars(plan))
    config["spawn"] = {"function": spawn.function, "args": list(spawn.args), "stdout": spawn.stdout, "stderr": spawn.stderr}
    passed = set(plan.keep_fds) | {plan.status_w, plan.go_r}
    for fd in (spawn.stdout, spawn.stderr):
        if fd is not None:
            passed.add(fd)
    config["keep_fds"] = sorted(passed - {plan.status_w, plan.go_r})
    config["close_in_child"] = []
    env = dict(plan.env)
    # Only the supervisor's own start needs the grader's import path.
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p and os.path.isdir(p))
    code = "import sys, grader.worker.sandbox as s; s._spawned_supervisor(sys.argv[1])"
    return subprocess.Popen(
        [sys.executable, "-B", "-c", code, json.dumps(config)],
        pass_fds=sorted(passed),
        stdin=subprocess.DEVNULL,
        env=env,
        cwd=plan.workdir,
        start_new_session=True,
    )


def _spawned_supervisor(config_json: str) -> None:
    """Entry point of a spawned supervisor (a fresh interpreter)."""
    config = json.loads(config_json)
    spawn = config.pop("spawn")
    config["rules"] = [tuple(rule) for rule in config["rules"]]
    plan = _Plan(**config)
    module_name, _, function_name = spawn["function"].partition(":")
    import importlib

    function = getattr(importlib.import_module(module_name), function_name)
    args = spawn["args"]
    stdout, stderr = spawn["stdout"], spawn["stderr"]

    def target() -> None:
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        if stdout is not None:
            os.dup2(stdout, 1)
        if stderr is not None:
            os.dup2(stderr, 2)
        function(*args)

    try:
        _supervise(plan, target)
    except BaseException:
        _report(plan.status_w, "error " + traceback.format_exc().replace("\n", "\\n"))
    finally:
        os._exit(70)


# --------------------------------------------------------------------------
# the supervisor (W)


def _supervise(plan: _Plan, target: Callable[[], None]) -> None:
    """Runs in W: set up the namespaces, fork the worker, end the way it ended."""
    # A collection walking the inherited heap would copy every page it
    # touches (reference counts, gc headers): freeze what the grader built.
    gc.disable()
    gc.freeze()
    missing: list[str] = []
    _report(plan.status_w, f"supervisor {os.getpid()}")
    for fd in plan.close_in_child:
        os.close(fd)
    try:
        os.setsid()  # off the grader's terminal and process group: no stray Ctrl-C
    except OSError:
        pass
    if _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL):
        if os.getppid() != plan.grader_pid:
            os._exit(0)  # the grader died before we could ask to follow it
    else:
        missing.append("pdeathsig")
    _reset_signals()
    _replace_stray_fds(set(plan.keep_fds) | {plan.status_w, plan.go_r})
    _setrlimit(resource.RLIMIT_CORE, 0)
    was_root = os.geteuid() == 0
    in_namespace = plan.namespaces and _enter_namespaces(missing)
    if not in_namespace:
        if "pid-namespace" not in missing:
            missing.append("pid-namespace")
        # Orphans of the worker's tree are re-parented to us, so that we can
        # sweep them when the worker ends.
        _prctl(_PR_SET_CHILD_SUBREAPER, 1)
    child = os.fork()
    if child == 0:
        try:
            _become_worker(plan, target, in_namespace, was_root)
        except BaseException:
            _report(plan.status_w, "error " + traceback.format_exc().replace("\n", "\\n"))
        finally:
            os._exit(71)
    _report(plan.status_w, f"pid {child} {','.join(missing)}")
    os.close(plan.go_r)
    for fd in plan.keep_fds:
        try:
            os.close(fd)
        except OSError:
            pass
    # No core dumps of the grader's memory when we mirror a crash.
    _prctl(_PR_SET_DUMPABLE, 0)
    cpu = 0.0
    while True:
        try:
            _, status, usage = os.wait4(child, 0)
            cpu = usage.ru_utime + usage.ru_stime
            break
        except ChildProcessError:
            status = 0
            break
    # The grader may not be our parent (the fork server is): it learns how the
    # worker ended, and its CPU time, from this line.
    _report(plan.status_w, f"exit {status} {cpu!r}")
    if not in_namespace:
        try:
            os.killpg(child, signal.SIGKILL)  # the worker's own group (it called setsid)
        except OSError:
            pass
        _sweep_descendants()
    _mirror(status)


def _enter_namespaces(missing: list[str]) -> bool:
    """unshare a user and a PID namespace; the next fork becomes its PID 1."""
    if _LIBC is None or not _LINUX:
        missing.append("user-namespace")
        return False
    uid, gid = os.geteuid(), os.getegid()
    # A process that changed its credentials is non-dumpable, which makes
    # /proc/self/uid_map root's; we only need to write it, then W gives it
    # up again once the worker is forked.
    _prctl(_PR_SET_DUMPABLE, 1)
    unshare = _LIBC.unshare
    unshare.restype = ctypes.c_int
    if unshare(ctypes.c_int(_CLONE_NEWUSER | _CLONE_NEWPID)) == 0:
        try:
            _write_file("/proc/self/setgroups", "deny")
            _write_file("/proc/self/uid_map", f"{uid} {uid} 1")
            _write_file("/proc/self/gid_map", f"{gid} {gid} 1")
            return True
        except OSError:
            # Unmapped ids would leave the worker unable to own its files;
            # the pid namespace still kills the tree, so go on.
            missing.append("user-namespace")
            return True
    missing.append("user-namespace")
    # A privileged grader can still get a PID namespace without a user one.
    return unshare(ctypes.c_int(_CLONE_NEWPID)) == 0


def _write_file(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def _mirror(status: int) -> None:
    """End this process exactly as the worker ended."""
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            if number not in (signal.SIGKILL, signal.SIGSTOP):
                signal.signal(number, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {number})
            os.kill(os.getpid(), number)
        except (OSError, ValueError):
            pass
        os._exit(128 + number)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 70)


def _sweep_descendants() -> None:
    """Without a PID namespace: kill whatever the worker left behind.

    We are a subreaper, so every orphan of the worker's tree becomes our
    child: kill all descendants, reap, and repeat until we have no children.
    """
    me = os.getpid()
    deadline = time.monotonic() + 5.0
    while True:
        victims = _descendants(me)
        for pid in victims:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        try:
            while os.waitpid(-1, os.WNOHANG)[0] > 0:
                pass
        except ChildProcessError:
            if not victims:
                return
        if time.monotonic() > deadline:
            return
        time.sleep(0.0005)


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                ppid = int(handle.read().rsplit(b")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    found: list[int] = []
    stack = [root]
    while stack:
        for pid in children.get(stack.pop(), []):
            found.append(pid)
            stack.append(pid)
    return found


def _reset_signals() -> None:
    """Default dispositions, nothing blocked: the grader's handlers must not run here."""
    for number in signal.valid_signals():
        if number in (signal.SIGKILL, signal.SIGSTOP):
            continue
        # Python's own choice: failed writes raise instead of killing.
        wanted: Any = signal.SIG_IGN if number in (signal.SIGPIPE, signal.SIGXFSZ) else signal.SIG_DFL
        try:
            if signal.getsignal(number) is not wanted:
                signal.signal(number, wanted)
        except (OSError, ValueError, RuntimeError):
            pass
    try:
        signal.pthread_sigmask(signal.SIG_SETMASK, set())
        signal.set_wakeup_fd(-1)
    except (OSError, ValueError):
        pass


def _open_fds() -> list[int]:
    for path in ("/proc/self/fd", "/dev/fd"):
        try:
            return sorted(int(name) for name in os.listdir(path))
        except OSError:
            continue
    return list(range(3, 256))


def _replace_stray_fds(keep: set[int]) -> None:
    """Point every descriptor inherited from the grader at /dev/null.

    Closing them would be simpler, but the caller's target may close the
    grader's ends of its pipes itself; /dev/null keeps those numbers valid
    while cutting the worker off from everything the grader had open.
    """
    null = os.open(os.devnull, os.O_RDWR | os.O_CLOEXEC)
    for fd in _open_fds():
        if fd > 2 and fd not in keep and fd != null:
            try:
                os.dup2(null, fd, inheritable=False)
            except OSError:
                pass
    os.close(null)


def _setrlimit(which: int, soft: int, hard: Optional[int] = None) -> bool:
    try:
        resource.setrlimit(which, (soft, soft if hard is None else hard))
        return True
    except (OSError, ValueError):
        return False


# --------------------------------------------------------------------------
# the worker (W')


def _become_worker(plan: _Plan, target: Callable[[], None], in_namespace: bool, was_root: bool) -> None:
    """Runs in W': lock this process in, report, wait for the go, run the target."""
    missing: list[str] = []
    _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    # Root is exempt from RLIMIT_NPROC; inside our own PID namespace the
    # per-namespace pid_max (Linux >= 6.14) still caps the tree, at >= 300.
    nproc_applies = not was_root
    if was_root:
        missing.append("rlimit-nproc")
        if in_namespace:
            try:
                _write_file("/proc/sys/kernel/pid_max", str(max(301, plan.processes + 1)))
            except OSError:
                missing.append("pid-max")
    try:
        os.setsid()
    except OSError:
        pass
    # Dispositions and the mask come from the supervisor's reset; student code
    # expects Python's own SIGINT handler (KeyboardInterrupt).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    _restart_faulthandler()
    _replace_environment(plan.env)
    os.chdir(plan.workdir)
    torch = sys.modules.get("torch")
    if torch is not None:
        try:
            torch.set_num_threads(1)  # the grader's OpenMP pool did not survive the fork
        except Exception:
            pass
    _setrlimit(resource.RLIMIT_CORE, 0)
    if not _setrlimit(resource.RLIMIT_FSIZE, plan.file_size):
        missing.append("rlimit-fsize")
    # Each pipe holds up to 64 KiB of kernel memory the address-space limit does not see.
    _setrlimit(resource.RLIMIT_NOFILE, _MAX_OPEN_FILES)
    cpu = max(1, math.ceil(plan.cpu))
    if not _setrlimit(resource.RLIMIT_CPU, cpu, cpu + 1):
        missing.append("rlimit-cpu")
    if nproc_applies and hasattr(resource, "RLIMIT_NPROC"):
        # The kernel counts tasks per user per user namespace: in ours that
        # is the supervisor, this worker and what it starts.  Outside one it
        # is every task of this user on the machine, this worker included.
        if in_namespace:
            limit = plan.processes + 1
        else:
            limit = plan.processes - 1 + _tasks_of_user(os.getuid())
        if not _setrlimit(resource.RLIMIT_NPROC, limit):
            missing.append("rlimit-nproc")
    elif nproc_applies:
        missing.append("rlimit-nproc")
    if not _prctl(_PR_SET_NO_NEW_PRIVS, 1):
        missing.append("no-new-privs")
    missing += apply_landlock(plan.rules)
    if not (plan.seccomp and apply_seccomp(plan.unix_sockets)):
        missing.append("seccomp")
    if not _drop_capabilities():
        missing.append("capabilities")
    missing += _limit_memory(plan.memory, plan.accelerators)
    _report(plan.status_w, "ready " + ",".join(missing))
    os.close(plan.status_w)
    go = os.read(plan.go_r, 1)
    os.close(plan.go_r)
    if not go:
        os._exit(0)  # the grader is gone
    gc.enable()
    _fresh_standard_streams()
    try:
        target()
    except BaseException:
        try:
            traceback.print_exc()
            sys.stderr.flush()
        except BaseException:
            pass
        os._exit(70)
    os._exit(0)  # never return into the grader's stack; threads die with us


def _fresh_standard_streams() -> None:
    """New sys.stdin/stdout/stderr on descriptors 0-2, unbuffered like ``python -u``.

    The inherited objects may wrap other descriptors (a test runner's capture)
    and hold the grader's unflushed text; and the worker leaves through
    os._exit, which flushes nothing, so buffered prints would be lost.
    """
    streams = []
    for fd, mode in ((0, "rb"), (1, "wb"), (2, "wb")):
        raw = io.FileIO(fd, mode, closefd=False)
        buffered = io.BufferedReader(raw) if fd == 0 else raw
        streams.append(io.TextIOWrapper(buffered, encoding="utf-8", errors="backslashreplace", write_through=fd != 0))  # type: ignore[arg-type]
    sys.stdin, sys.stdout, sys.stderr = streams
    sys.__stdin__, sys.__stdout__, sys.__stderr__ = streams  # type: ignore[misc]


def _restart_faulthandler() -> None:
    """Send crash tracebacks to our stderr (the captured one), not the grader's old fd."""
    try:
        import faulthandler

        faulthandler.cancel_dump_traceback_later()
        if faulthandler.is_enabled():
            faulthandler.disable()
            faulthandler.enable(file=2, all_threads=True)
    except Exception:
        pass


def _tasks_of_user(uid: int) -> int:
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


def _limit_memory(memory: int, accelerators: bool) -> list[str]:
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
    if not _setrlimit(resource.RLIMIT_DATA, data + memory):
        missing.append("rlimit-data")
    if accelerators or not _setrlimit(resource.RLIMIT_AS, size + memory):
        missing.append("rlimit-as")
    return missing


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def _drop_capabilities() -> bool:
    """Give up the capabilities a user namespace grants inside it."""
    if _LIBC is None or not _LINUX:
        return False
    header = _CapHeader(0x20080522, 0)
    data = (_CapData * 2)()
    capset = _LIBC.capset
    capset.restype = ctypes.c_int
    return capset(ctypes.byref(header), ctypes.byref(data)) == 0
