"""The command line's one-line warning names the protections a person should hear of."""
from __future__ import annotations

import os

import pytest

from grader.cli.grade import worth_a_warning


@pytest.mark.skipif(os.geteuid() != 0, reason="the rule is about a grader run as root")
def test_root_with_a_capped_process_tree_hears_nothing_of_rlimit_nproc() -> None:
    assert worth_a_warning(("rlimit-nproc",)) == ()
    assert worth_a_warning(("rlimit-nproc", "pid-max")) == ("rlimit-nproc", "pid-max")
    assert worth_a_warning(("landlock-fs", "rlimit-nproc")) == ("landlock-fs",)


def test_other_protections_are_always_named() -> None:
    assert worth_a_warning(("seccomp", "landlock-net")) == ("seccomp", "landlock-net")
