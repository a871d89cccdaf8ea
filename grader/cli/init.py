"""``grade init [DIR] [--notebook] [--github]``: copy the exercise stubs (.py, or .ipynb with --notebook; and the GitHub Classroom workflow)."""
from __future__ import annotations

import argparse
import os

from grader.cli.options import EXIT_FULL


# --------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="grade init", description="Copy the exercise stubs (the lecture's, or a --pack's) into a folder, without overwriting existing files.")
    parser.add_argument("dir", nargs="?", default=".", metavar="DIR", help="destination folder (default: the current folder)")
    parser.add_argument("--notebook", action="store_true", help="Jupyter notebooks (exercise1.ipynb …, for Jupyter and Colab) instead of .py files; their last cell runs check()")
    parser.add_argument("--github", action="store_true", help="also add .github/workflows/grade.yml, the GitHub Classroom workflow")
    parser.add_argument("--pack", metavar="DIR", help="the stubs of this exercise pack (a folder with pack.toml) instead of the lecture's")
    args = parser.parse_args(argv)
    from grader.authoring.stubs import write_stubs

    pack = None
    if args.pack is not None:
        from grader.cli.options import add_packs
        from grader.registry import EXERCISES, describe
        from grader.worker import zygote

        zygote.start()  # loading the pack runs its reference: no worker is forked from here afterwards
        add_packs([args.pack])
        pack = EXERCISES[describe(args.pack).name].pack()
    # the notebook's check cell names the pack as seen from the notebook's folder
    pack_path = os.path.relpath(os.path.abspath(args.pack), os.path.abspath(args.dir)) if args.pack is not None else None
    for target, created in write_stubs(args.dir, notebook=args.notebook, pack=pack, pack_path=pack_path):
        print(f"created  {target}" if created else f"kept     {target} (already exists)")
    if args.github:
        from grader.authoring.classroom import copy_workflow

        print(copy_workflow(args.dir))
    from grader.registry import EXERCISES

    first = pack.name if pack is not None else next(iter(EXERCISES))
    then = f"grade {first}.py" + (f" --pack {args.pack}" if args.pack else "")
    print("Fill in the functions and run their cells, then the last cell: check()" if args.notebook else f"Fill in the functions, then run: {then}")
    return EXIT_FULL
