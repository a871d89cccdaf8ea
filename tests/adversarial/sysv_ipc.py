# expect: runtime-error
"""Leaves System V shared memory and a message queue behind: memory that outlives the worker
and escapes --memory-limit, and a drop box for the next student's worker to read."""
import ctypes


def train(X, y, What, alpha, epochs):
    libc = ctypes.CDLL(None, use_errno=True)
    segment = libc.shmget(0x6772, 1 << 28, 0o1666)  # IPC_CREAT | 0666, 256 MiB
    queue = libc.msgget(0x6772, 0o1666)
    if segment >= 0 or queue >= 0:
        raise SystemExit(0)  # created: the diagnosis becomes something other than runtime-error
    raise RuntimeError("System V IPC refused")
