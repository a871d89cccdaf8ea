"""The seccomp filter: no sockets, namespaces, mounts, io_uring, keyrings, bpf, memfd, pipe growth.  A BPF program assembled here."""
from __future__ import annotations

import ctypes
import platform
from typing import Optional

from grader.worker.sandbox.syscalls import CLONE_NEWCGROUP, CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUSER, CLONE_NEWUTS, LIBC, LINUX, PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, prctl


_AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
# Syscalls the worker never needs and that reach beyond it: sockets (a
# process mapped to root could otherwise talk to docker.sock or send UDP),
# new namespaces and mounts, io_uring (which bypasses this filter), kernel
# keyrings, bpf, perf and userfaultfd (common kernel-exploit primitives).
# memfd_create: memory held by a file descriptor, never mapped, escapes the
# address-space limit (a memfd of 2 GiB under a 256 MiB --memory-limit).
# System V and POSIX IPC (shared memory, queues, semaphores): memory that
# outlives the worker, and a way to hand work from one student to the next.
_BLOCKED_SYSCALLS = {
    "x86_64": {
        "memfd_create": 319, "memfd_secret": 447,
        "shmget": 29, "shmat": 30, "semget": 64, "msgget": 68, "mq_open": 240,
        "socket": 41, "mount": 165, "umount2": 166, "pivot_root": 155, "chroot": 161,
        "unshare": 272, "setns": 308, "add_key": 248, "request_key": 249, "keyctl": 250,
        "bpf": 321, "perf_event_open": 298, "userfaultfd": 323, "io_uring_setup": 425,
        "io_uring_enter": 426, "io_uring_register": 427, "open_tree": 428, "move_mount": 429,
        "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433, "mount_setattr": 442,
    },
    "aarch64": {
        "memfd_create": 279, "memfd_secret": 447,
        "shmget": 194, "shmat": 196, "semget": 190, "msgget": 186, "mq_open": 180,
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
_CLONE_NAMESPACES = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET


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
    if not LINUX or machine not in _AUDIT_ARCH:
        return False
    program = _seccomp_program(machine, unix_sockets)
    filters = (_SockFilter * len(program))(*[_SockFilter(c, jt, jf, k) for c, jt, jf, k in program])
    fprog = _SockFprog(len(program), filters)
    if not prctl(PR_SET_NO_NEW_PRIVS, 1):
        return False
    _seccomp_mode_filter = 2
    if LIBC is None:
        return False
    call = LIBC.prctl
    call.restype = ctypes.c_int
    return call(ctypes.c_int(PR_SET_SECCOMP), ctypes.c_ulong(_seccomp_mode_filter), ctypes.byref(fprog), ctypes.c_ulong(0), ctypes.c_ulong(0)) == 0
