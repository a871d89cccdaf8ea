"""``grade list``: list the exercises."""
from __future__ import annotations

import argparse

from grader.messages import LANGUAGES, default_language
from grader.registry import EXERCISES
from grader.cli.options import EXIT_FULL


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="grade list", description="List the exercises.")
    parser.add_argument("--lang", choices=LANGUAGES, default=None, help="language of the descriptions (default: from the locale)")
    args = parser.parse_args(argv)
    lang = args.lang or default_language()
    for exercise in EXERCISES.values():
        print(f"{exercise.name}  {exercise.summary_ko if lang == 'ko' else exercise.summary}")
    return EXIT_FULL
