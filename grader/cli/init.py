"""``grade init [DIR] [--notebook] [--github]``: copy the exercise stubs (.py, or .ipynb with --notebook; and the GitHub Classroom workflow)."""
from __future__ import annotations

import argparse

from grader.cli.options import EXIT_FULL


# --------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="grade init", description="Copy the exercise stubs (exercise1 … exercise5) into a folder, without overwriting existing files.")
    parser.add_argument("dir", nargs="?", default=".", metavar="DIR", help="destination folder (default: the current folder)")
    parser.add_argument("--notebook", action="store_true", help="Jupyter notebooks (exercise1.ipynb …, for Jupyter and Colab) instead of .py files; their last cell runs check()")
    parser.add_argument("--github", action="store_true", help="also add .github/workflows/grade.yml, the GitHub Classroom workflow")
    args = parser.parse_args(argv)
    from grader.authoring.stubs import write_stubs

    for target, created in write_stubs(args.dir, notebook=args.notebook):
        print(f"created  {target}" if created else f"kept     {target} (already exists)")
    if args.github:
        from grader.authoring.classroom import copy_workflow

        print(copy_workflow(args.dir))
    print("Fill in the functions and run their cells, then the last cell: check()" if args.notebook else "Fill in the functions, then run: grade exercise1.py")
    return EXIT_FULL
