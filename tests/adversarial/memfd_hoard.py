# expect: runtime-error
"""Holds memory in an in-memory file, which is never mapped and so escapes an address-space limit."""
import os


def train(X, y, What, alpha, epochs):
    fd = os.memfd_create("hoard")
    chunk = b"\1" * (1 << 20)
    for _ in range(2048):  # 2 GiB, beyond the test's 768 MiB limit
        os.write(fd, chunk)
    raise RuntimeError("held 2 GiB in a memfd")
