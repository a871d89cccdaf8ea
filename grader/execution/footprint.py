"""Library text that the grading process ran once and holds mapped for nothing.

Importing torch runs libtorch's static initialisers (every operator registers
itself): about 50 MB of library code that this process executes once, at
import, and keeps in its page tables afterwards.  The workers and the grading
children, forked later, do not map those pages (a fork copies no page table
entries of a file mapping), so the proportional set size of the whole process
tree charges all of them to this process.

:func:`release_library_text` drops such pages from this process's page tables
(``madvise(MADV_DONTNEED)``).  Only mappings whose content is the file's own
are touched: private, not writable, holding no page of their own (no page
copied on write, resident or swapped out, which rules out relocated data).
The pages stay in the page cache, where the kernel can reclaim them at no
cost, and what runs again faults back in from there (a minor fault, no disk
read).
"""
from __future__ import annotations

import ctypes
import os
from typing import Iterator, NamedTuple

_MADV_DONTNEED = 4


class Mapping(NamedTuple):
    start: int
    end: int
    perms: str
    path: str
    rss: int  # bytes resident
    anonymous: int  # bytes resident that were copied on write or were never file-backed
    locked: int  # bytes mlock()ed
    dirty: int = 0  # bytes resident that differ from the file (shared or private dirty)
    swap: int = 0  # bytes swapped out: copied pages too, which Anonymous no longer counts


def mappings(smaps: str = "/proc/self/smaps") -> Iterator[Mapping]:
    """This process's mappings as ``/proc/self/smaps`` lists them (sizes in bytes)."""
    with open(smaps, encoding="utf-8", errors="replace") as lines:
        head: list[str] = []
        sizes: dict[str, int] = {}
        for line in lines:
            fields = line.split()
            if fields and "-" in fields[0] and not fields[0].endswith(":"):
                if head:
                    yield _mapping(head, sizes)
                # The path is the rest of the line, spaces and " (deleted)" included.
                head, sizes = line.rstrip("\n").split(None, 5), {}
            elif len(fields) >= 2 and fields[0].endswith(":") and fields[1].isdigit():
                sizes[fields[0][:-1]] = int(fields[1]) * 1024
        if head:
            yield _mapping(head, sizes)


def _mapping(head: list[str], sizes: dict[str, int]) -> Mapping:
    start, end = (int(x, 16) for x in head[0].split("-"))
    path = head[5].strip() if len(head) > 5 else ""
    dirty = sizes.get("Shared_Dirty", 0) + sizes.get("Private_Dirty", 0)
    return Mapping(start, end, head[1], path, sizes.get("Rss", 0), sizes.get("Anonymous", 0), sizes.get("Locked", 0), dirty, sizes.get("Swap", 0))


def releasable(mapping: Mapping) -> bool:
    """Whether dropping ``mapping``'s pages loses nothing: a shared library's, private, read-only,
    every resident page the file's own."""
    perms = mapping.perms
    return (
        len(perms) == 4
        and perms[1] == "-"  # never writable: no page was copied on write since the last mprotect
        and perms[3] == "p"
        and mapping.path.startswith("/")
        and ".so" in os.path.basename(mapping.path)
        and not mapping.path.endswith(" (deleted)")
        and mapping.anonymous == 0
        and mapping.dirty == 0
        and mapping.swap == 0  # a copied page swapped out leaves Anonymous: dropping it would lose it
        and mapping.locked == 0
        and mapping.rss > 0
    )


def release_library_text() -> int:
    """Drop the resident pages of shared libraries' read-only mappings from this process's page
    tables; return how many bytes were resident there.

    Returns 0 where ``/proc/self/smaps`` or ``madvise`` is missing (not Linux).
    Never raises: a mapping that cannot be released is left as it is.  Call it
    where no other thread maps, unmaps or reprotects memory meanwhile (the
    mappings are read first, then released).
    """
    try:
        found = [m for m in mappings() if releasable(m)]
        libc = ctypes.CDLL(None, use_errno=True)
        madvise = libc.madvise
    except (OSError, AttributeError, ValueError, TypeError):
        return 0
    madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    madvise.restype = ctypes.c_int
    released = 0
    for mapping in found:
        if madvise(mapping.start, mapping.end - mapping.start, _MADV_DONTNEED) == 0:
            released += mapping.rss
    return released
