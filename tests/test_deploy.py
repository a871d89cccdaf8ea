"""Past one machine: the container image, the Kubernetes and Slurm recipes, and the GitHub
Actions matrix, tested as far as a machine without Docker or a scheduler allows: the image
definition is read and checked against the package, and the recipes' own commands are run
with the variables Kubernetes and Slurm set, then merged."""
from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import TESTS
from grader.authoring.cluster import Shard, available_cpus, batch_argv, cgroup_cpu_quota, shard_from_env
from grader.cli import main as cli
from grader.intake.submission import UsageError

ROOT = TESTS.parent
DEPLOY = ROOT / "deploy"
FIXTURES = TESTS / "fixtures"
BIN = str(Path(sys.executable).parent)


# ----------------------------------------------------------------------
# The index variables -> --shard I/N


@pytest.mark.parametrize(
    ("env", "shards", "expected"),
    [
        ({"JOB_COMPLETION_INDEX": "0", "GRADER_SHARDS": "8"}, None, (1, 8)),
        ({"JOB_COMPLETION_INDEX": "7", "GRADER_SHARDS": "8"}, None, (8, 8)),
        ({"JOB_COMPLETION_INDEX": "2"}, 4, (3, 4)),
        # Slurm with N given: the task id is the shard (--array=1-N), also when run again alone.
        ({"SLURM_ARRAY_TASK_ID": "3", "GRADER_SHARDS": "8", "SLURM_ARRAY_TASK_COUNT": "1", "SLURM_ARRAY_TASK_MIN": "3", "SLURM_ARRAY_TASK_MAX": "3"}, None, (3, 8)),
        # Slurm without N: the task's place in the array's range.
        ({"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "8", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_MAX": "8"}, None, (1, 8)),
        ({"SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "3"}, None, (1, 4)),
        ({"SLURM_ARRAY_TASK_ID": "6", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "6", "SLURM_ARRAY_TASK_STEP": "2"}, None, (4, 4)),
    ],
)
def test_the_schedulers_variables_give_the_shard(env: dict[str, str], shards: int | None, expected: tuple[int, int]) -> None:
    shard = shard_from_env(env, shards)
    assert (shard.index, shard.count) == expected


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({}, "Indexed Job"),
        ({"JOB_COMPLETION_INDEX": "0"}, "GRADER_SHARDS"),
        ({"JOB_COMPLETION_INDEX": "8", "GRADER_SHARDS": "8"}, "0 … 7"),
        ({"JOB_COMPLETION_INDEX": "x", "GRADER_SHARDS": "8"}, "whole number"),
        ({"JOB_COMPLETION_INDEX": "0", "SLURM_ARRAY_TASK_ID": "1", "GRADER_SHARDS": "2"}, "both"),
        ({"SLURM_ARRAY_TASK_ID": "0", "GRADER_SHARDS": "8"}, "--array=1-8"),
        ({"SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_MAX": "9"}, "not a range"),
        ({"SLURM_ARRAY_TASK_ID": "4"}, "GRADER_SHARDS"),
        ({"JOB_COMPLETION_INDEX": "0", "GRADER_SHARDS": "0"}, "at least 1"),
    ],
)
def test_what_cannot_be_told_is_refused_with_what_to_do(env: dict[str, str], says: str) -> None:
    with pytest.raises(UsageError, match=re.escape(says)):
        shard_from_env(env)


def test_every_task_of_an_array_is_one_shard_exactly_once() -> None:
    k8s = [shard_from_env({"JOB_COMPLETION_INDEX": str(i), "GRADER_SHARDS": "8"}) for i in range(8)]
    slurm = [shard_from_env({"SLURM_ARRAY_TASK_ID": str(i), "SLURM_ARRAY_TASK_COUNT": "8", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "7"}) for i in range(8)]
    for shards in (k8s, slurm):
        assert sorted(s.index for s in shards) == list(range(1, 9)) and {s.count for s in shards} == {8}
        folders = {batch_argv(["x"], "/out", s, 2)[2] for s in shards}
        assert len(folders) == 8, "each shard writes its own folder"


def test_j_follows_the_cpus_the_task_was_given(tmp_path: Path) -> None:
    here = len(os.sched_getaffinity(0))
    (tmp_path / "cpu.max").write_text("150000 100000\n")  # a Kubernetes limit of 1.5 CPUs
    assert cgroup_cpu_quota(str(tmp_path)) == 1.5
    assert available_cpus({}, str(tmp_path)) == 1, "never more workers than whole CPUs: throttling would time out correct code"
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert cgroup_cpu_quota(str(tmp_path)) is None and available_cpus({}, str(tmp_path)) == here
    assert available_cpus({"SLURM_CPUS_PER_TASK": "1"}, str(tmp_path)) == 1
    v1 = tmp_path / "v1"
    (v1 / "cpu").mkdir(parents=True)
    (v1 / "cpu" / "cpu.cfs_quota_us").write_text("400000\n")
    (v1 / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert cgroup_cpu_quota(str(v1)) == 4.0
    assert batch_argv(["x"], "o", Shard(1, 2, ""), None)[-2:] == ["-j", str(available_cpus())]


def test_the_entry_point_refuses_a_shard_given_by_hand(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["shard-entry", "x", "--out", "o", "--shard", "1/2"]) == 2
    assert "grade batch --shard" in capsys.readouterr().err


# ----------------------------------------------------------------------
# The container image


def instructions(text: str) -> list[tuple[str, str]]:
    """A Dockerfile's instructions (keyword, arguments), continuation lines joined, comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in text.splitlines():
        if raw.lstrip().startswith("#"):
            continue
        if raw.rstrip().endswith("\\"):
            pending += raw.rstrip()[:-1] + " "
            continue
        pending += raw
        if pending.strip():
            keyword, _, rest = pending.strip().partition(" ")
            out.append((keyword.upper(), " ".join(rest.split())))
        pending = ""
    assert not pending.strip(), "a continuation line with nothing after it"
    return out


def stages(text: str) -> dict[str, list[tuple[str, str]]]:
    named: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] = []
    for keyword, rest in instructions(text):
        if keyword == "FROM":
            match = re.fullmatch(r"(\S+) AS (\S+)", rest)
            assert match, f"every stage is named: FROM {rest}"
            current = named.setdefault(match.group(2), [("FROM", match.group(1))])
        elif current:
            current.append((keyword, rest))
        else:
            assert keyword == "ARG", f"{keyword} before the first FROM"
    return named


def test_the_dockerfile_builds_the_grader_and_names_entry_points_that_exist() -> None:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert instructions(text)[0][0] == "ARG" and text.startswith("# syntax=docker/dockerfile:1")
    named = stages(text)
    assert list(named) == ["base", "prairielearn", "grader"], "the default stage (the last) is the cluster's"
    base = named["base"]
    runs = [rest for keyword, rest in base if keyword == "RUN"]
    torch = next(i for i, r in enumerate(runs) if "--index-url https://download.pytorch.org/whl/cpu" in r)
    grader = next(i for i, r in enumerate(runs) if re.search(r"pip install \.( |$)", r))
    assert torch < grader, "the CPU build of torch first, so that the grader's torch>=2.1 is already met"
    assert "grade --version" in runs[grader]
    useradd = next(r for r in runs if "useradd" in r)
    assert re.search(r"--uid 10001\b", useradd) and "grader" in useradd

    # Everything COPY takes exists, and .dockerignore keeps it.
    ignored = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines() if line.strip() and not line.startswith("#")]
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    needed = {"pyproject.toml", pyproject["project"]["readme"], *pyproject["tool"]["setuptools"]["package-dir"].values()}
    copied: set[str] = set()
    for keyword, rest in base:
        if keyword == "COPY":
            sources = shlex.split(rest)[:-1]
            for source in sources:
                assert (ROOT / source).exists(), source
                assert not any(fnmatch.fnmatch(source, pattern) for pattern in ignored), f"{source} is in .dockerignore"
                copied.add(source)
    assert needed <= copied, f"pip install . needs {sorted(needed - copied)}"

    # The entry points: `grade` (a console script of the package) and its subcommands.
    scripts = pyproject["project"]["scripts"]

    def entrypoint(stage: str) -> list[str]:
        (value,) = [json.loads(rest) for keyword, rest in named[stage] if keyword == "ENTRYPOINT"]
        assert value[0] in scripts
        return value

    assert entrypoint("grader") == ["grade"]
    assert entrypoint("prairielearn") == ["grade", "prairielearn"] and "prairielearn" in cli.SUBCOMMANDS
    (user,) = [rest for keyword, rest in named["grader"] if keyword == "USER"]
    assert re.fullmatch(r"10001(:10001)?", user), "numeric and not root, so that Kubernetes' runAsNonRoot can check it"
    assert [rest for keyword, rest in named["prairielearn"] if keyword == "USER"] == ["root"]


# ----------------------------------------------------------------------
# Kubernetes and Slurm, run as far as this machine allows


def _course(tmp_path: Path) -> Path:
    """A course folder with the class's Canvas download, as the recipes expect it."""
    course = tmp_path / "course"
    (course / "submitted").mkdir(parents=True)
    with zipfile.ZipFile(course / "submitted" / "exercise2.zip", "w") as archive:
        for path in sorted((FIXTURES / "canvas").rglob("*")):
            archive.write(path, path.relative_to(FIXTURES / "canvas").as_posix())
    return course


def _gradebook(folder: Path) -> set[str]:
    return {json.loads(line)["student"] for line in (folder / "results.jsonl").read_text(encoding="utf-8").splitlines()}


CLASS = {"kimminsu_12345", "leejiwoo_23456", "parkseoyeon_34567"}


def _env(**extra: str) -> dict[str, str]:
    scrubbed = {k: v for k, v in os.environ.items() if not k.startswith(("SLURM_", "JOB_COMPLETION_INDEX", "GRADER_"))}
    return {**scrubbed, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", **extra}


def _documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]


def test_the_kubernetes_indexed_job_grades_its_shards_and_the_merge_job_combines_them(tmp_path: Path) -> None:
    (job,) = _documents(DEPLOY / "kubernetes" / "grade-job.yaml")
    (merge,) = _documents(DEPLOY / "kubernetes" / "merge-job.yaml")
    spec = job["spec"]
    pod = spec["template"]["spec"]
    (container,) = pod["containers"]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert spec["completionMode"] == "Indexed" and spec["completions"] == int(env["GRADER_SHARDS"]) >= spec["parallelism"] >= 1
    assert pod["restartPolicy"] == "Never" and pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 10001 == merge["spec"]["template"]["spec"]["securityContext"]["runAsUser"]
    assert container["image"] == merge["spec"]["template"]["spec"]["containers"][0]["image"]
    # -j follows the CPU limit; requests equal to limits keep the CPU unthrottled; memory for -j submissions at their limit.
    limits, requests = container["resources"]["limits"], container["resources"]["requests"]
    assert limits == requests
    cpus = int(limits["cpu"])
    assert int(limits["memory"].removesuffix("Gi")) >= 1 + 2 * cpus
    args = container["args"]
    assert args[0] == "shard-entry"  # after the image's ENTRYPOINT ["grade"]
    out = args[args.index("--out") + 1]
    (command,) = [c for c in merge["spec"]["template"]["spec"]["containers"][0]["command"] if "grade merge" in c]
    assert f"{out}/shard-*" in command

    # Each pod's command, with the variables Kubernetes sets (N = 2 here, to keep it short).
    course = _course(tmp_path)
    data = lambda word: word.replace("/data/submitted", str(course / "submitted")).replace("/data", str(tmp_path / "data"))  # noqa: E731
    for index in range(2):
        done = subprocess.run(
            [sys.executable, "-m", "grader", *map(data, args), "--device", "off"],
            env=_env(JOB_COMPLETION_INDEX=str(index), GRADER_SHARDS="2", TMPDIR=str(tmp_path)),
            capture_output=True, text=True, timeout=300,
        )
        assert done.returncode == 0, done.stderr
        assert f"shard {index + 1}/2 (JOB_COMPLETION_INDEX={index}, GRADER_SHARDS=2)" in done.stdout
    shards = sorted((tmp_path / "data" / "shards" / "exercise2").iterdir())
    assert [p.name for p in shards] == ["shard-1", "shard-2"]
    assert [json.loads((p / "batch.json").read_text())["shard"] for p in shards] == ["1/2", "2/2"]
    done = subprocess.run(["sh", "-c", data(command)], env=_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert _gradebook(tmp_path / "data" / "grades" / "exercise2") == CLASS


def test_the_slurm_array_grades_its_shards_and_the_merge_combines_them(tmp_path: Path) -> None:
    script = (DEPLOY / "slurm" / "grade.sbatch").read_text(encoding="utf-8")
    options = dict(re.findall(r"^#SBATCH --([\w-]+)=(\S+)", script, re.M))
    low, high = map(int, options["array"].split("%")[0].split("-"))
    assert low == 1 and f"GRADER_SHARDS=${{GRADER_SHARDS:-{high}}}" in script, "the task id is the shard: --array=1-N with N in GRADER_SHARDS"
    cpus = int(options["cpus-per-task"])
    assert int(options["mem"].removesuffix("G")) >= 1 + 2 * cpus
    for name in ("grade.sbatch", "merge.sbatch", "submit.sh"):
        assert subprocess.run(["bash", "-n", str(DEPLOY / "slurm" / name)]).returncode == 0, name
    assert "--dependency=afterok" in (DEPLOY / "slurm" / "submit.sh").read_text()

    # The script itself, as two tasks of an array of 2 would run it.
    course = _course(tmp_path)
    for task in (1, 2):
        env = _env(COURSE=str(course), GRADER_SHARDS="2", SLURM_ARRAY_TASK_ID=str(task), SLURM_ARRAY_TASK_COUNT="2",
                   SLURM_ARRAY_TASK_MIN="1", SLURM_ARRAY_TASK_MAX="2", SLURM_CPUS_PER_TASK="1", SLURM_TMPDIR=str(tmp_path))
        done = subprocess.run(["bash", str(DEPLOY / "slurm" / "grade.sbatch")], env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        assert f"shard {task}/2 (SLURM_ARRAY_TASK_ID={task}, GRADER_SHARDS=2)" in done.stdout and "summary.html" in done.stdout
        assert " -j 1" in done.stdout, "-j from --cpus-per-task"
    done = subprocess.run(["bash", str(DEPLOY / "slurm" / "merge.sbatch")], env=_env(COURSE=str(course)), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert _gradebook(course / "grades" / "exercise2") == CLASS


# ----------------------------------------------------------------------
# GitHub Actions


def _steps(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in job["steps"] if s.get("uses", "").startswith(f"actions/{action}@")]


def test_the_github_actions_matrix_shards_and_merges() -> None:
    workflow = yaml.safe_load((DEPLOY / "github-actions" / "grade-class.yml").read_text(encoding="utf-8"))
    trigger = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert "workflow_dispatch" in trigger
    grade, merge = workflow["jobs"]["grade"], workflow["jobs"]["merge"]
    shards = grade["strategy"]["matrix"]["shard"]
    assert shards == list(range(1, len(shards) + 1)) and len(shards) >= 2, "the shard indices are 1 … N, each once"
    assert grade["strategy"]["fail-fast"] is False
    (step,) = [s for s in grade["steps"] if "grade batch" in s.get("run", "")]
    words = shlex.split(step["run"])
    spec = words[words.index("--shard") + 1]
    values = {"SHARD": "${{ matrix.shard }}", "SHARDS": "${{ strategy.job-total }}"}
    assert step["env"] == values and spec == "$SHARD/$SHARDS", "N is the matrix's size, whatever it is edited to"
    out = words[words.index("--out") + 1].replace("$SHARD", "${{ matrix.shard }}")
    (upload,) = _steps(grade, "upload-artifact")
    assert upload["with"]["path"] == out and "${{ matrix.shard }}" in upload["with"]["name"]
    assert upload["with"]["if-no-files-found"] == "error"

    # The merge job waits for every shard, downloads each one into its own folder, merges them all.
    assert merge["needs"] in ("grade", ["grade"])
    (download,) = _steps(merge, "download-artifact")
    names = [upload["with"]["name"].replace("${{ matrix.shard }}", str(i)) for i in shards]
    assert all(fnmatch.fnmatch(n, download["with"]["pattern"]) for n in names) and "merge-multiple" not in download["with"]
    (run,) = [s["run"] for s in merge["steps"] if "grade merge" in s.get("run", "")]
    merged = shlex.split(run)
    folders = merged[merged.index("merge") + 1 : merged.index("--out")]
    assert all(any(fnmatch.fnmatch(f"{download['with']['path']}/{n}", pattern) for pattern in folders) for n in names)
    gradebook = merged[merged.index("--out") + 1]
    (kept,) = _steps(merge, "upload-artifact")
    assert kept["with"]["path"] == gradebook

    # Every script is valid bash once GitHub's expressions are filled in; inputs reach it as variables only.
    for job in (grade, merge):
        for s in job["steps"]:
            if "run" in s:
                assert "inputs." not in s["run"], "an input pasted into a script can inject commands"
                text = re.sub(r"\$\{\{[^}]*\}\}", "1", s["run"])
                assert subprocess.run(["bash", "-n"], input=text, text=True).returncode == 0, s["run"]
                if "pip install" in text:
                    assert "--index-url https://download.pytorch.org/whl/cpu" in text
    assert all(s["uses"].endswith("@v4") for j in (grade, merge) for s in j["steps"] if "artifact" in s.get("uses", ""))
