# expect: tampering
"""Walks up the call stack, and through every frame object on the heap, for the grader's state.

Finding a frame of the grading process (the batch loop, a check, the runner),
or one of its values, it ends the process (diagnosis `crashed`); finding
nothing, it raises.  The walk itself is `tampering` (the source names
`sys._getframe`), and the worker refuses `gc.get_objects` in any case.
"""
import gc
import os
import sys

FORBIDDEN = ("grader.execution.grading", "grader.execution.runner", "grader.cli.batch", "grader.cli.main", "grader.checks", "grader.diagnosis.mutants", "grader.checks.cases", "grader.reference", "grader_private")


def _grader_frame(frame):
    name = str(frame.f_globals.get("__name__", ""))
    if name.startswith(FORBIDDEN):
        return True
    for value in list(frame.f_locals.values()):
        kind = type(value)
        if kind.__module__.startswith(FORBIDDEN) or kind.__name__ in ("GradeResult", "Submission", "Options", "Check", "Context"):
            return True
    return False


def train(X, y, What, alpha, epochs):
    frame = sys._getframe()
    while frame is not None:
        if _grader_frame(frame):
            os._exit(0)
        frame = frame.f_back
    gc.unfreeze()
    for obj in gc.get_objects():
        if type(obj).__name__ == "frame" and _grader_frame(obj):
            os._exit(0)
        kind = type(obj)
        if kind.__module__.startswith(FORBIDDEN):
            os._exit(0)
    for name in list(sys.modules):
        if name.startswith(FORBIDDEN):
            os._exit(0)
    import linecache

    if any(not name.endswith("frame_walk.py") and "grader" in name for name in linecache.cache):
        os._exit(0)
    raise RuntimeError("nothing of the grader found")
