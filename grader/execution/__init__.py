"""Execution, grader side: the session that asks the fork server for a sandboxed worker and
validates what comes back (``session``), the grading of one submission (``grading``) and of many
(``runner``).  Student code never runs in this process; it runs in :mod:`grader.worker`."""
