"""Landlock: what the worker may read and write (the Python installation, its own folder), no TCP, no signals outside its domain."""
from __future__ import annotations

import ctypes
import os
import stat
import sys
from typing import Any, Optional, Sequence

from grader.worker.sandbox.syscalls import LINUX, PR_SET_NO_NEW_PRIVS, prctl, syscall


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
    if not LINUX:
        return 0
    return max(syscall(_NR_LANDLOCK_CREATE_RULESET, None, 0, _LANDLOCK_CREATE_RULESET_VERSION), 0)


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
    ruleset = syscall(_NR_LANDLOCK_CREATE_RULESET, ctypes.byref(attr), size, 0)
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
                    syscall(_NR_LANDLOCK_ADD_RULE, ruleset, _LANDLOCK_RULE_PATH_BENEATH, ctypes.byref(rule), 0)
            finally:
                os.close(fd)
        if not prctl(PR_SET_NO_NEW_PRIVS, 1):
            return everything
        if syscall(_NR_LANDLOCK_RESTRICT_SELF, ruleset, 0) != 0:
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
    but the worker's runtime, the exercise packs (their references) and the stubs.

    The runtime is already in the fork server's memory; nothing else is
    needed in a worker, and the reference solutions are among the rest.
    """
    import importlib.util

    paths: list[str] = []
    for name in ("grader", "grader.packs", "grader.exercises"):
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
    A rule *inside* a hidden path is dropped.  Links are resolved first: a
    rule is made by opening its path, which follows a link, so a link such as
    a virtual environment's ``lib64 -> lib`` would otherwise grant the whole
    folder it points to.
    """
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for path, kind in rules:
        out.extend(_allowed(os.path.realpath(path), kind, hidden, seen))
    return out


def _allowed(path: str, kind: str, hidden: Sequence[str], seen: set[str]) -> list[tuple[str, str]]:
    """The rules that grant ``kind`` over the real ``path`` less the hidden paths."""
    if any(path == h or path.startswith(h + os.sep) for h in hidden):
        return []
    inside = [h for h in hidden if h.startswith(path + os.sep)]
    if not inside:
        return [(path, kind)]
    if path in seen:
        return []
    seen.add(path)
    rules: list[tuple[str, str]] = [(path, "list")]
    for entry in _entries(path):
        if _grader_metadata(entry):
            continue
        rules.extend(_allowed(os.path.realpath(os.path.join(path, entry)), kind, hidden, seen))
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
