"""The grading process lets go of library text it ran once (torch's import), and of nothing else."""
import ctypes
import mmap
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from grader.execution.footprint import Mapping, mappings, release_library_text, releasable

linux_only = pytest.mark.skipif(not Path("/proc/self/smaps").exists(), reason="needs /proc/self/smaps (Linux)")


def text(path: str = "/usr/lib/libfoo.so.1", perms: str = "r-xp", anonymous: int = 0) -> Mapping:
    return Mapping(0x1000, 0x9000, perms, path, rss=0x8000, anonymous=anonymous, locked=0)


def test_only_read_only_private_library_pages_that_are_the_files_own() -> None:
    assert releasable(text())
    assert releasable(text(perms="r--p"))
    assert not releasable(text(perms="rw-p"))  # data: may hold what the process wrote
    assert not releasable(text(anonymous=4096))  # relocated, then made read-only (RELRO)
    assert not releasable(text(perms="r-xs"))  # shared: not this process's copy
    assert not releasable(text(path="/home/student/data.bin"))
    assert not releasable(text(path="[heap]"))
    assert not releasable(text(path="/usr/lib/libfoo.so (deleted)"))


SMAPS = """\
7f0000000000-7f0000008000 r-xp 00000000 08:01 42                         /opt/my libs/libspaced.so
Rss:                  32 kB
Anonymous:             0 kB
Swap:                  0 kB
Locked:                0 kB
7f0000008000-7f0000010000 r-xp 00000000 08:01 43                         /opt/lib/libgone.so (deleted)
Rss:                  32 kB
Anonymous:             0 kB
7f0000010000-7f0000018000 r--p 00000000 08:01 44                         /opt/lib/librelro.so
Rss:                  16 kB
Anonymous:             0 kB
Swap:                 16 kB
7f0000018000-7f0000020000 r-xp 00000000 08:01 45                         /opt/x.so y/libodd
Rss:                  32 kB
Anonymous:             0 kB
7f0000020000-7f0000028000 r--p 00000000 08:01 46                         /opt/lib/libpatched.so
Rss:                  32 kB
Private_Dirty:         4 kB
Anonymous:             0 kB
"""


def test_smaps_paths_are_read_whole_and_copied_pages_anywhere_keep_a_mapping(tmp_path: Path) -> None:
    smaps = tmp_path / "smaps"
    smaps.write_text(SMAPS, encoding="utf-8")
    found = {m.path: m for m in mappings(str(smaps))}
    assert sorted(found) == ["/opt/lib/libgone.so (deleted)", "/opt/lib/libpatched.so", "/opt/lib/librelro.so", "/opt/my libs/libspaced.so", "/opt/x.so y/libodd"]
    assert found["/opt/my libs/libspaced.so"].rss == 32 * 1024
    assert [path for path, m in found.items() if releasable(m)] == ["/opt/my libs/libspaced.so"]


@linux_only
def test_a_page_written_before_the_mapping_was_made_read_only_keeps_what_was_written(tmp_path: Path) -> None:
    library = tmp_path / "libwritten.so"
    library.write_bytes(b"A" * mmap.PAGESIZE * 4)
    with open(library, "r+b") as handle:
        region = mmap.mmap(handle.fileno(), 0, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ | mmap.PROT_WRITE)
    region[: mmap.PAGESIZE] = b"B" * mmap.PAGESIZE  # copied on write: this process's own page now
    address = ctypes.addressof(ctypes.c_char.from_buffer(region))
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    assert libc.mprotect(address, len(region), mmap.PROT_READ) == 0
    ours = [m for m in mappings() if m.path == str(library)]
    assert ours and ours[0].perms == "r--p" and ours[0].anonymous > 0
    release_library_text()
    assert region[: mmap.PAGESIZE] == b"B" * mmap.PAGESIZE and region[-1:] == b"A"


@linux_only
def test_torch_runs_on_after_its_import_time_text_is_released() -> None:
    script = textwrap.dedent(
        """
        import torch
        from grader.execution.footprint import mappings, release_library_text

        def resident():
            return sum(m.rss for m in mappings() if "libtorch" in m.path)

        def step():
            a = torch.tensor([[2.0, 1.0], [1.0, 3.0]], dtype=torch.float64, requires_grad=True)
            loss = torch.nn.MSELoss()(torch.linalg.inv(a).sum(dim=1), torch.ones(2, dtype=torch.float64))
            loss.backward()
            return repr((loss.item(), a.grad.tolist()))

        first = step()
        before = resident()
        released = release_library_text()
        after = resident()
        print(before >> 20, released >> 20, after >> 20, step() == first, first.replace(" ", ""))
        """
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    before, released, after, same, values = run.stdout.split()
    assert int(released) >= 10 and int(after) < int(before) // 2, run.stdout
    # inv([[2, 1], [1, 3]]) = [[3, -1], [-1, 2]] / 5: rows sum to 0.4 and 0.2, and the loss is (0.6² + 0.8²) / 2.
    assert same == "True" and abs(float(values[1:].split(",")[0]) - 0.5) < 1e-12, run.stdout
