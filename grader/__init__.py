"""grader: an autograder for the lecture's PyTorch gradient-descent exercises.

In a notebook: ``from grader import check`` then ``check("exercise2")``, or
``%load_ext grader`` then ``%grade exercise2`` (see ``grader.cli.inline``).
Importing this package imports nothing else: the check loads what it needs.
"""
from __future__ import annotations

from typing import Any, Optional

__version__ = "0.1.0"


def check(exercise: Optional[str] = None, **options: Any) -> Any:
    """Grade the functions this notebook's kernel has defined, with the public checks of an exercise.

    In a Jupyter, JupyterLab, VS Code or Colab cell::

        from grader import check
        check("exercise2")                      # or check(): the exercise is found from your functions
        check("exercise2", lang="ko")           # the report in Korean
        r = check(display=False); r.score       # no report under the cell; the result only

    What is graded is what the kernel ran (its cells, in the order they ran), replayed in a
    sandboxed worker, never in this kernel: saving is not needed, and nothing here changes.

    Parameters
    ----------
    exercise : str, optional
        "exercise1" … "exercise5" (a name such as "hw_exercise3" works too).  Default: the
        exercise whose functions this kernel defines.
    lang : {"en", "ko"}, optional
        The language of the report.  Default: from the locale (``LANG=ko_KR…`` gives Korean).
    notebook : str, optional
        The path of this notebook's file, to compare the cells that ran with the cells it holds
        now (the report warns about a cell edited, deleted or not saved since it ran).  Default:
        the file that Jupyter or VS Code names, or the live notebook in Colab; without one, no
        such warning.
    display : bool, default True
        Show the report under the cell.  ``False`` only returns the result.
    timeout : float, default 60
        The wall-time limit of the replay, in seconds, as ``grade --timeout``: the cells may use
        two thirds of it, the checks the rest.

    Every option is keyword-only but ``exercise``.  ``%load_ext grader`` then
    ``%grade [EXERCISE] [--lang en|ko]`` does the same as ``check``.

    Returns
    -------
    grader.cli.inline.CheckResult
        ``.score`` and ``.max_score`` (points), ``.full_marks``, ``.checks`` (one per public check:
        ``.name``, ``.passed``, ``.score``, ``.max_score``, ``.diagnosis``), ``.diagnoses`` (the
        codes, e.g. ``"grad-not-cleared"``), ``.diagnosis`` (a problem of the whole notebook, or
        None), ``.notes`` (the warnings about the kernel's history), ``.exercise``, ``.html`` and
        ``.text`` (the report).  While the grader itself runs the notebook (``grade``, or the
        replay of a check), ``check`` grades nothing and returns a placeholder whose score is NaN.

    Raises
    ------
    grader.cli.inline.CheckError
        Outside an IPython or Jupyter kernel (there, run ``grade FILE``), when no exercise fits
        the functions defined, for an unknown exercise or an option value it does not accept,
        or when the grading server fails.
    TypeError
        For an option it does not have (a misspelt keyword).

    This is the public self-check: your instructor's run may add hidden checks.
    """
    from grader.cli.inline import check as _check

    return _check(exercise, **options)


def load_ipython_extension(shell: Any) -> None:
    """``%load_ext grader`` registers the ``%grade`` magic (:func:`grader.cli.inline.load_ipython_extension`)."""
    from grader.cli.inline import load_ipython_extension as _load

    _load(shell)
