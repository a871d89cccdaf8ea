"""The environment a worker sees: scrubbed to an allowlist, and the secrets wiped from the memory a fork copied."""
from __future__ import annotations

import ctypes
import os
import re
import stat
import sys
from typing import Mapping, Optional

from grader.worker.sandbox.syscalls import LIBC, LINUX


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


def replace_environment(env: Mapping[str, str]) -> None:
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
    if LIBC is not None and LINUX:
        try:
            environ = ctypes.POINTER(ctypes.c_void_p).in_dll(LIBC, "environ")
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
        LIBC.clearenv()
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
