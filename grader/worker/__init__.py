"""The worker side of the trust boundary: everything that runs in the fork server, the
supervisor or the sandboxed worker that executes student code.

This package imports nothing from ``grader.checks``, ``grader.diagnosis``, ``grader.reference``,
``grader.report`` or ``grader.execution`` (``tests/test_layout.py`` asserts it), so a worker
never holds an answer.  Only its files are readable inside the sandbox.
"""
