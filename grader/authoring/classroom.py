"""GitHub Classroom: `grade init --github` adds the grading workflow to a student's repository.

The workflow (``exercises/.github/workflows/grade.yml``) grades the exercises
the assignment names, annotates the failures on the student's lines, and
reports the points to Classroom through its autograding reporter (the
``result`` output of the grading step; see ``grader.report.github``).
"""
from __future__ import annotations

import os
from importlib import resources

WORKFLOW = ".github/workflows/grade.yml"


def copy_workflow(folder: str) -> str:
    """Copy the workflow into ``folder``/.github/workflows/ unless one is there; a line to print."""
    target = os.path.join(folder, *WORKFLOW.split("/"))
    if os.path.lexists(target):
        return f"kept     {target} (already exists)"
    text = resources.files("grader.exercises").joinpath(WORKFLOW).read_text(encoding="utf-8")
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "x", encoding="utf-8") as handle:
        handle.write(text)
    return f"created  {target} (edit two lines in it: EXERCISES, the exercises of the assignment, and OWNER in the install line, where you publish the grader)"
