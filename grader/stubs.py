"""Generating the student stubs in exercises/ from the reference solutions.

Every block between ``# BEGIN SOLUTION`` and ``# END SOLUTION`` in
``reference/exerciseN.py`` becomes ``raise NotImplementedError(...)``, so the
stubs and the references never drift.  ``python -m grader.stubs --write``
regenerates them; a test checks that the committed stubs are in sync.
"""
from __future__ import annotations

import argparse
import re
import sys
from importlib import resources
from pathlib import Path

BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"
_BLOCK = re.compile(rf"^([ \t]*){re.escape(BEGIN)}\n.*?^[ \t]*{re.escape(END)}\n", re.MULTILINE | re.DOTALL)
HEADER = "# Student stub: fill in each function, then run `grade {name}.py`.\n# 학생용 스텁: 각 함수를 완성한 뒤 `grade {name}.py`로 채점하세요.\n"


def make_stub(source: str, name: str) -> str:
    body = _BLOCK.sub(lambda m: f'{m.group(1)}raise NotImplementedError("write your code here / 여기에 코드를 작성하세요")\n', source)
    return HEADER.format(name=name) + body


def expected_stubs() -> dict[str, str]:
    references = resources.files("grader.reference")
    stubs = {}
    for entry in sorted(references.iterdir(), key=lambda e: e.name):
        if re.fullmatch(r"exercise\d+\.py", entry.name):
            stubs[entry.name] = make_stub(entry.read_text(encoding="utf-8"), entry.name[:-3])
    return stubs


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.stubs", description=__doc__)
    parser.add_argument("--write", action="store_true", help="rewrite exercises/*.py from reference/*.py")
    parser.add_argument("--dir", default=str(Path(__file__).resolve().parent.parent / "exercises"))
    args = parser.parse_args(argv)
    stale = []
    for name, text in expected_stubs().items():
        target = Path(args.dir) / name
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            stale.append(name)
            if args.write:
                target.write_text(text, encoding="utf-8")
    if stale and not args.write:
        print(f"out of date: {', '.join(stale)}; run python -m grader.stubs --write", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
