"""``grade shard-entry``: one shard of ``grade batch``, numbered by the cluster.

The container image's entry point on a cluster (``Dockerfile``;
``deploy/kubernetes/``, ``deploy/slurm/``).  Each task of a Kubernetes Indexed
Job or a Slurm job array runs the same command; this reads the variables the
scheduler sets, turns them into ``--shard I/N``, gives the shard its own
output folder (``--out DIR`` becomes ``DIR/shard-I``), chooses ``-j`` from the
CPUs the task was given, and runs ``grade batch``.  ``grade merge DIR/shard-*
--out GRADES`` then combines the shards.

The variables:

- Kubernetes (Indexed Job): ``JOB_COMPLETION_INDEX``, from 0, so I = index + 1.
  Kubernetes does not tell a pod how many completions its Job has: give N
  with ``--shards N`` or ``GRADER_SHARDS`` (the Job's ``completions``).
- Slurm (job array): ``SLURM_ARRAY_TASK_ID``.  With N given (``--shards N`` or
  ``GRADER_SHARDS``), the task id is I, so the array is ``--array=1-N``, and
  one task can be run again alone (``sbatch --array=3 ...``).  Without it, N
  is ``SLURM_ARRAY_TASK_COUNT`` and I the task's place in the range
  ``SLURM_ARRAY_TASK_MIN``-``SLURM_ARRAY_TASK_MAX`` (step
  ``SLURM_ARRAY_TASK_STEP``), which must be a range (``--array=0-7``,
  ``--array=1-8%4``), not a list.
"""
from __future__ import annotations

import argparse
import math
import os
import shlex
import sys
from dataclasses import dataclass
from typing import Mapping, Optional, Sequence

from grader.intake.submission import UsageError

SHARDS_ENV = "GRADER_SHARDS"


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count`` (1-based), and the variables it was read from (for the log)."""

    index: int
    count: int
    source: str


def _integer(env: Mapping[str, str], name: str) -> Optional[int]:
    value = env.get(name)
    if value is None or value.strip() == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise UsageError(f"{name}={value!r}: expected a whole number") from None


def shard_from_env(env: Mapping[str, str], shards: Optional[int] = None) -> Shard:
    """The shard a Kubernetes Indexed Job's pod or a Slurm array task is; UsageError when it cannot be told.

    ``shards`` is N when given on the command line; ``GRADER_SHARDS`` otherwise.
    """
    count = shards if shards is not None else _integer(env, SHARDS_ENV)
    given = f"{SHARDS_ENV}={count}" if shards is None and count is not None else f"--shards {count}"
    if count is not None and count < 1:
        raise UsageError(f"{given}: the number of shards must be at least 1")
    k8s = _integer(env, "JOB_COMPLETION_INDEX")
    slurm = _integer(env, "SLURM_ARRAY_TASK_ID")
    if k8s is not None and slurm is not None:
        raise UsageError("both JOB_COMPLETION_INDEX (Kubernetes) and SLURM_ARRAY_TASK_ID (Slurm) are set: run under one scheduler, or use grade batch --shard I/N")
    if k8s is not None:
        if count is None:
            raise UsageError(f"JOB_COMPLETION_INDEX={k8s}, but how many shards? Kubernetes does not tell a pod its Job's completions: set {SHARDS_ENV} (or --shards N) to the Job's completions")
        if not 0 <= k8s < count:
            raise UsageError(f"JOB_COMPLETION_INDEX={k8s} with {given}: the index must be 0 … {count - 1}; make the Job's completions equal to {SHARDS_ENV}")
        return Shard(k8s + 1, count, f"JOB_COMPLETION_INDEX={k8s}, {given}")
    if slurm is not None:
        if count is not None:
            if not 1 <= slurm <= count:
                raise UsageError(f"SLURM_ARRAY_TASK_ID={slurm} with {given}: the task id is the shard, so the array must be --array=1-{count}")
            return Shard(slurm, count, f"SLURM_ARRAY_TASK_ID={slurm}, {given}")
        total = _integer(env, "SLURM_ARRAY_TASK_COUNT")
        low, high = _integer(env, "SLURM_ARRAY_TASK_MIN"), _integer(env, "SLURM_ARRAY_TASK_MAX")
        step = _integer(env, "SLURM_ARRAY_TASK_STEP") or 1
        if total is None or low is None or high is None:
            raise UsageError(f"SLURM_ARRAY_TASK_ID={slurm}, but SLURM_ARRAY_TASK_COUNT, _MIN or _MAX is missing: set {SHARDS_ENV} (or --shards N) and use --array=1-N")
        if step < 1 or low + (total - 1) * step != high or (slurm - low) % step:
            raise UsageError(
                f"the job array is not a range (SLURM_ARRAY_TASK_MIN={low}, _MAX={high}, _COUNT={total}, _STEP={step}): "
                f"use --array=1-N, or set {SHARDS_ENV}=N with the task ids 1 … N"
            )
        index = (slurm - low) // step + 1
        return Shard(index, total, f"SLURM_ARRAY_TASK_ID={slurm} of {low}-{high}" + (f":{step}" if step != 1 else ""))
    raise UsageError(
        "no shard index: grade shard-entry runs as a task of a Kubernetes Indexed Job (JOB_COMPLETION_INDEX) "
        "or of a Slurm job array (SLURM_ARRAY_TASK_ID). Elsewhere, use grade batch --shard I/N"
    )


def available_cpus(env: Mapping[str, str] = os.environ, cgroup: str = "/sys/fs/cgroup") -> int:
    """The CPUs this task may use: the affinity mask (Slurm binds a task to its CPUs), the
    container's CPU quota (a Kubernetes CPU limit), and SLURM_CPUS_PER_TASK, whichever is least.

    ``os.cpu_count()`` counts the whole machine's CPUs instead: on a 64-core node, a task given 4
    would grade 64 submissions at once, and time them out.
    """
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    quota = cgroup_cpu_quota(cgroup)
    if quota is not None:
        cpus = min(cpus, max(1, math.floor(quota)))
    slurm = env.get("SLURM_CPUS_PER_TASK", "")
    if slurm.isdigit() and int(slurm) > 0:
        cpus = min(cpus, int(slurm))
    return max(1, cpus)


def cgroup_cpu_quota(root: str = "/sys/fs/cgroup") -> Optional[float]:
    """The CPU quota of this process's cgroup, in CPUs (cgroup v2 ``cpu.max``, or v1 ``cpu.cfs_quota_us``); None if unlimited."""
    try:
        with open(os.path.join(root, "cpu.max"), encoding="ascii") as handle:
            quota, period = handle.read().split()[:2]
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError):
        pass
    try:
        with open(os.path.join(root, "cpu", "cpu.cfs_quota_us"), encoding="ascii") as handle:
            quota_us = int(handle.read())
        with open(os.path.join(root, "cpu", "cpu.cfs_period_us"), encoding="ascii") as handle:
            period_us = int(handle.read())
        return None if quota_us <= 0 or period_us <= 0 else quota_us / period_us
    except (OSError, ValueError):
        return None


def batch_argv(rest: Sequence[str], out: str, shard: Shard, jobs: Optional[int]) -> list[str]:
    """``grade batch``'s arguments for ``shard``: ``rest`` (the paths and grading options), its own
    output folder inside ``out``, ``--shard I/N``, and ``-j`` (``jobs``, or the CPUs available)."""
    width = len(str(shard.count))
    folder = os.path.join(out, f"shard-{shard.index:0{width}d}")
    return [*rest, "--out", folder, "--shard", f"{shard.index}/{shard.count}", "-j", str(jobs or available_cpus())]


def main(argv: Sequence[str], env: Optional[Mapping[str, str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="grade shard-entry",
        allow_abbrev=False,
        description="Run one shard of `grade batch` as a task of a Kubernetes Indexed Job (JOB_COMPLETION_INDEX, from 0) or a Slurm job array "
        "(SLURM_ARRAY_TASK_ID): --shard I/N from those variables, --out DIR/shard-I, and -j from the CPUs the task was given. "
        "Every other argument goes to grade batch. Then: grade merge DIR/shard-* --out GRADES.",
    )
    parser.add_argument("--out", required=True, metavar="DIR", help="the folder shared by the shards; this one writes DIR/shard-I")
    parser.add_argument("--shards", type=int, default=None, metavar="N", help=f"how many shards (default: {SHARDS_ENV}, or the Slurm array's size)")
    parser.add_argument("-j", "--jobs", type=int, default=None, help="submissions graded at once (default: the CPUs this task may use)")
    parser.add_argument("--dry-run", action="store_true", help="print the grade batch command, and grade nothing")
    args, rest = parser.parse_known_args(list(argv))
    if "--shard" in rest or any(word.startswith("--shard=") for word in rest):
        raise UsageError("grade shard-entry chooses --shard itself from the scheduler's variables; to give it by hand, use grade batch --shard I/N")
    shard = shard_from_env(os.environ if env is None else env, args.shards)
    words = batch_argv(rest, args.out, shard, args.jobs)
    print(f"grade shard-entry: shard {shard.index}/{shard.count} ({shard.source}): grade batch {shlex.join(words)}", flush=True)
    if args.dry_run:
        return 0
    from grader.cli import batch

    return batch.main("batch", words)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
