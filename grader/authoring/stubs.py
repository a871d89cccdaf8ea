"""Student stubs generated from a pack's reference solution, as nbgrader and otter do.

Every block between ``# BEGIN SOLUTION`` and ``# END SOLUTION`` of the pack's
reference becomes ``raise NotImplementedError(...)``, so the stub and the
reference never drift.  Each ``.py`` stub also becomes a notebook: the
exercise's title, its imports, the data cell (the pack's ``stub_setup``),
one cell per function (with its docstrings) and a final ``check()`` cell.
The stubs of the packs that ship with the grader are kept in ``exercises/``
(``python -m grader.authoring.stubs --write`` regenerates them; a test
checks that they are in sync); a pack of one's own gets its stubs from
``grade init --pack DIR``.
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import sys
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from grader.pack.load import strip_solutions

if TYPE_CHECKING:
    from grader.pack.load import Pack

HEADER = "# Student stub: fill in each function, then run `grade {name}.py`.\n# 학생용 스텁: 각 함수를 완성한 뒤 `grade {name}.py`로 채점하세요.\n"
PACK_HEADER = "# Student stub: fill in each function, then run `grade {name}.py --pack PACK` (PACK: the folder your instructor gives).\n# 학생용 스텁: 각 함수를 완성한 뒤 `grade {name}.py --pack PACK`으로 채점하세요 (PACK: 강사가 알려준 폴더).\n"


def make_stub(pack: "Pack", builtin: bool = True) -> str:
    """The ``.py`` stub of ``pack``: its reference without the solutions (and its data, where the pack says so)."""
    body = strip_solutions(pack.reference_text)
    setup = _setup_code(pack)
    if pack.spec.exercise.stub_data_in_py and setup:
        body = _after_imports(body, f"\n# The lecture's data. / 강의 데이터.\n{setup}\n")
    return (HEADER if builtin else PACK_HEADER).format(name=pack.name) + body


def _setup_code(pack: "Pack") -> str:
    name = pack.spec.exercise.stub_setup
    if name is None or name not in pack.setups:
        return ""
    return pack.setups[name].code.strip("\n")


def _after_imports(source: str, text: str) -> str:
    """``source`` with ``text`` inserted after its last top-level import."""
    tree = ast.parse(source)
    imports = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    if not imports:
        return text + source
    lines = source.splitlines(keepends=True)
    end = imports[-1].end_lineno or imports[-1].lineno
    return "".join(lines[:end]) + text + "".join(lines[end:])


NOTEBOOK_INTRO = (
    "Fill in each function's cell and run it, then run the last cell: it grades the cells you ran, "
    "here in the notebook (no need to save). In a terminal, `grade {name}.ipynb` grades the saved file.\n\n"
    "각 함수 셀을 완성해 실행한 뒤 마지막 셀을 실행하세요. 실행한 셀들을 노트북 안에서 바로 채점합니다 (저장하지 않아도 됩니다). "
    "터미널에서는 `grade {name}.ipynb`로 저장된 파일을 채점합니다.\n\n"
    "Colab: run `%pip install` with the address your instructor gives you in a first cell. / "
    "Colab에서는 먼저 강사가 알려준 주소로 `%pip install`을 실행하세요."
)


def make_notebook_stub(stub: str, pack: "Pack", pack_path: Optional[str] = None) -> str:
    """The notebook version of a ``.py`` stub, as the text of an ``.ipynb`` file (nbformat 4.5).

    Cell ids are derived from the exercise and the cell's position, so the
    same stub always gives the same bytes.  ``pack_path``: a pack outside the
    package, as its folder is named to ``grade init --pack`` (the last cell
    checks with it, and the terminal command names it).
    """
    name = pack.name
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
    data = _setup_code(pack)
    cells = [
        ("markdown", f"# {heading}\n{rest}\n\n{_intro(name, pack_path)}".replace("\n\n\n", "\n\n")),
        ("code", "\n".join(imports)),
        *((("markdown", "The lecture's data. / 강의 데이터."), ("code", data)) if data else ()),
        *(("code", function) for function in functions),
        ("markdown", "Check your functions (the public checks; your instructor's run may add hidden ones). / 함수를 점검하세요 (공개 검사; 강사의 채점에는 숨겨진 검사가 더해질 수 있습니다)."),
        ("code", f'from grader import check\ncheck("{name}")' if pack_path is None else f"from grader import check\ncheck({name!r}, pack={pack_path!r})"),
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


def _intro(name: str, pack_path: Optional[str]) -> str:
    text = NOTEBOOK_INTRO.format(name=name)
    if pack_path is not None:
        text = text.replace(f"`grade {name}.ipynb`", f"`grade {name}.ipynb --pack {pack_path}`")
    return text


def _cell(kind: str, source: str, cell_id: str) -> dict[str, object]:
    cell: dict[str, object] = {"cell_type": kind, "id": cell_id, "metadata": {}, "source": source.splitlines(keepends=True)}
    if kind == "code":
        cell["execution_count"] = None
        cell["outputs"] = []
    return cell


def stubs_of(pack: "Pack", builtin: bool = True, pack_path: Optional[str] = None) -> dict[str, str]:
    """File name -> text of the pack's two stubs: ``NAME.py`` and ``NAME.ipynb``."""
    stub = make_stub(pack, builtin)
    return {f"{pack.name}.py": stub, f"{pack.name}.ipynb": make_notebook_stub(stub, pack, None if builtin else (pack_path or pack.folder))}


def expected_stubs() -> dict[str, str]:
    """File name -> text of every stub of the packs that ship with the grader."""
    from grader.pack.load import builtin_names, builtin_root, load

    out: dict[str, str] = {}
    for name in builtin_names():
        out.update(stubs_of(load(os.path.join(builtin_root(), name))))
    return out


def write_stubs(directory: str, *, notebook: bool = False, pack: Optional["Pack"] = None, pack_path: Optional[str] = None) -> list[tuple[str, bool]]:
    """Copy the stubs (``.py``, or ``.ipynb`` with ``notebook``) into ``directory``: every built-in
    exercise's, or ``pack``'s only.

    Never overwrites: returns ``(path, created)`` for each stub, ``created``
    False where a file of that name was kept.
    """
    os.makedirs(directory, exist_ok=True)
    suffix = ".ipynb" if notebook else ".py"
    if pack is not None:
        texts = {name: text for name, text in stubs_of(pack, builtin=False, pack_path=pack_path).items() if name.endswith(suffix)}
    else:
        folder = resources.files("grader.exercises")
        texts = {e.name: e.read_text(encoding="utf-8") for e in folder.iterdir() if e.name.endswith(suffix) and not e.name.startswith("_")}
    out = []
    for name in sorted(texts):
        target = os.path.join(directory, name)
        if os.path.exists(target):
            out.append((target, False))
            continue
        with open(target, "w", encoding="utf-8") as handle:
            handle.write(texts[name])
        out.append((target, True))
    return out


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.authoring.stubs", description=__doc__)
    parser.add_argument("--write", action="store_true", help="rewrite exercises/ from the built-in packs")
    parser.add_argument("--dir", default=str(Path(__file__).resolve().parent.parent.parent / "exercises"))
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
