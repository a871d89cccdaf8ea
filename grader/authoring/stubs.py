"""Generating the student stubs in exercises/ from the reference solutions.

Every block between ``# BEGIN SOLUTION`` and ``# END SOLUTION`` in
``reference/exerciseN.py`` becomes ``raise NotImplementedError(...)``, so the
stubs and the references never drift.  Each ``.py`` stub also becomes a
notebook (``exerciseN.ipynb``): the exercise's title, its imports, the
lecture's data cell, one cell per function (with its docstrings) and a final
``check()`` cell.  ``python -m grader.authoring.stubs --write`` regenerates both; a test
checks that the committed stubs are in sync.
"""
from __future__ import annotations

import argparse
import ast
import json
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
    """File name -> text of every stub: ``exerciseN.py`` and ``exerciseN.ipynb``."""
    references = resources.files("grader.reference")
    stubs = {}
    for entry in sorted(references.iterdir(), key=lambda e: e.name):
        if re.fullmatch(r"exercise\d+\.py", entry.name):
            name = entry.name[:-3]
            stub = make_stub(entry.read_text(encoding="utf-8"), name)
            stubs[entry.name] = stub
            stubs[f"{name}.ipynb"] = make_notebook_stub(stub, name)
    return stubs


# The lecture's data, as its notebook writes it (torch.manual_seed(43052), 100 points).
LECTURE_DATA = """torch.manual_seed(43052)
x,_ = torch.randn(100).sort()
eps = torch.randn(100)*0.5
X = torch.stack([torch.ones(100),x],axis=1)
W = torch.tensor([[2.5],[4.0]])
y = X@W + eps.reshape(100,1)"""

NOTEBOOK_INTRO = (
    "Fill in each function's cell and run it, then run the last cell: it grades the cells you ran, "
    "here in the notebook (no need to save). In a terminal, `grade {name}.ipynb` grades the saved file.\n\n"
    "각 함수 셀을 완성해 실행한 뒤 마지막 셀을 실행하세요. 실행한 셀들을 노트북 안에서 바로 채점합니다 (저장하지 않아도 됩니다). "
    "터미널에서는 `grade {name}.ipynb`로 저장된 파일을 채점합니다.\n\n"
    "Colab: run `%pip install` with the address your instructor gives you in a first cell. / "
    "Colab에서는 먼저 강사가 알려준 주소로 `%pip install`을 실행하세요."
)


def make_notebook_stub(stub: str, name: str) -> str:
    """The notebook version of a ``.py`` stub, as the text of an ``.ipynb`` file (nbformat 4.5).

    Cell ids are derived from the exercise and the cell's position, so the
    same stub always gives the same bytes.
    """
    tree = ast.parse(stub)
    lines = stub.splitlines()
    title = ast.get_docstring(tree) or name
    imports, functions = [], []
    for node in tree.body:
        decorators = getattr(node, "decorator_list", None)
        segment = "\n".join(lines[(decorators[0].lineno if decorators else node.lineno) - 1 : node.end_lineno])
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            functions.append(segment)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            imports.append(segment)
    heading, _, rest = title.partition("\n")
    cells = [
        ("markdown", f"# {heading}\n{rest}\n\n{NOTEBOOK_INTRO.format(name=name)}".replace("\n\n\n", "\n\n")),
        ("code", "\n".join(imports)),
        ("markdown", "The lecture's data. / 강의 데이터."),
        ("code", LECTURE_DATA),
        *(("code", function) for function in functions),
        ("markdown", "Check your functions (the public checks; your instructor's run may add hidden ones). / 함수를 점검하세요 (공개 검사; 강사의 채점에는 숨겨진 검사가 더해질 수 있습니다)."),
        ("code", f'from grader import check\ncheck("{name}")'),
    ]
    notebook = {
        "cells": [_cell(kind, source, f"{name}-{index}") for index, (kind, source) in enumerate(cells)],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(notebook, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def _cell(kind: str, source: str, cell_id: str) -> dict[str, object]:
    cell: dict[str, object] = {"cell_type": kind, "id": cell_id, "metadata": {}, "source": source.splitlines(keepends=True)}
    if kind == "code":
        cell["execution_count"] = None
        cell["outputs"] = []
    return cell


def write_stubs(directory: str, *, notebook: bool = False) -> list[tuple[str, bool]]:
    """Copy the exercise stubs (``.py``, or ``.ipynb`` with ``notebook``) into ``directory``.

    Never overwrites: returns ``(path, created)`` for each stub, ``created``
    False where a file of that name was kept.
    """
    import os

    os.makedirs(directory, exist_ok=True)
    stubs = resources.files("grader.exercises")
    suffix = ".ipynb" if notebook else ".py"
    out = []
    for entry in sorted(stubs.iterdir(), key=lambda e: e.name):
        if not re.fullmatch(r"exercise\d+" + re.escape(suffix), entry.name):
            continue
        target = os.path.join(directory, entry.name)
        if os.path.exists(target):
            out.append((target, False))
            continue
        with open(target, "w", encoding="utf-8") as handle:
            handle.write(entry.read_text(encoding="utf-8"))
        out.append((target, True))
    return out


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.authoring.stubs", description=__doc__)
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
        print(f"out of date: {', '.join(stale)}; run python -m grader.authoring.stubs --write", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
