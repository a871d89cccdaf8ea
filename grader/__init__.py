"""grader: an autograder for the lecture's PyTorch gradient-descent exercises.

In a notebook: ``from grader import check`` then ``check("exercise2")``, or
``%load_ext grader`` then ``%grade exercise2`` (see ``grader.cli.inline``).
Importing this package imports nothing else: the check loads what it needs.
"""
from __future__ import annotations

from typing import Any, Optional

__version__ = "0.1.0"


def check(exercise: Optional[str] = None, **options: Any) -> Any:
    """Grade the functions this notebook's kernel has defined: see :func:`grader.cli.inline.check`."""
    from grader.cli.inline import check as _check

    return _check(exercise, **options)


def load_ipython_extension(shell: Any) -> None:
    """``%load_ext grader`` registers the ``%grade`` magic (:func:`grader.cli.inline.load_ipython_extension`)."""
    from grader.cli.inline import load_ipython_extension as _load

    _load(shell)
