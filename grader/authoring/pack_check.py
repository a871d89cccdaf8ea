"""``grade pack check DIR``: a pack's self-test, before any student sees it.

It grades, in the sandbox, as a student's file would be graded:

- the reference itself, which must get full marks on every check;
- the generated stub, which must score 0, every check ``not-implemented``;
- every example submission (``examples/``), which must get the verdict its
  first line declares (``# expect: full-marks`` or ``# expect: <code>``);
- every named misconception, applied to the reference, which some check
  must detect and name;

and renders every diagnosis in English and Korean for every function, where
each quoted name must exist in that function (its code, its arguments, the
stub, or PyTorch's and Python's own names).
"""
from __future__ import annotations

import ast
import builtins
import io
import keyword
import os
import re
import shutil
import tempfile
import time
import tokenize
from dataclasses import dataclass, field
from typing import Any, Optional

from grader.pack.load import Pack

EXPECT = re.compile(r"^#\s*expect:\s*([a-z-]+)", re.MULTILINE)


@dataclass(frozen=True)
class Finding:
    """One line of the self-test: what was tried, and whether it held."""

    what: str
    ok: bool
    detail: str = ""


@dataclass
class Report:
    pack: str
    findings: list[Finding] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.findings)

    def text(self) -> str:
        lines = [f"{'ok  ' if f.ok else 'FAIL'} {f.what}" + (f": {f.detail}" if f.detail else "") for f in self.findings]
        failed = sum(not f.ok for f in self.findings)
        lines.append(f"{self.pack}: {len(self.findings) - failed} of {len(self.findings)} held" + (f", {failed} failed" if failed else "") + f" ({self.seconds:.1f} s)")
        return "\n".join(lines)


def check(pack: Pack, options: Any = None, messages_only: bool = False) -> Report:
    """Run the self-test of ``pack`` (graded with ``options``, a :class:`grader.execution.grading.Options`)."""
    from grader.execution.grading import Options

    options = options or Options()
    started = time.monotonic()
    report = Report(pack.name)
    report.findings += message_findings(pack)
    if not messages_only:
        workdir = tempfile.mkdtemp(prefix="grader-pack-check-")
        try:
            report.findings += _graded(pack, options, workdir)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    report.seconds = time.monotonic() - started
    return report


def _graded(pack: Pack, options: Any, workdir: str) -> list[Finding]:
    from grader.authoring.stubs import make_stub
    from grader.execution.grading import grade
    from grader.intake.submission import locate

    def graded(name: str, text: str) -> Any:
        path = os.path.join(workdir, name)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        return grade(locate(path, exercise=pack.name), options)

    found: list[Finding] = []
    result = graded(f"{pack.name}.py", pack.reference_text)
    failing = {c.name: c.diagnosis for c in result.checks if not c.passed}
    found.append(Finding("the reference gets full marks on every check", result.full_marks and bool(result.checks), f"{result.score:g}/{result.max_score:g}, failing {failing}" if failing else ""))
    result = graded(f"{pack.name}.py", make_stub(pack, builtin=False))
    wrong = {c.name: c.diagnosis for c in result.checks if c.diagnosis != "not-implemented"}
    found.append(Finding("the stub scores 0, every check not-implemented", result.score == 0 and not wrong, f"{result.score:g} points, other diagnoses {wrong}" if wrong or result.score else ""))
    examples = os.path.join(pack.folder, "examples")
    for name in sorted(os.listdir(examples)) if os.path.isdir(examples) else []:
        if not name.endswith((".py", ".ipynb")):
            continue
        path = os.path.join(examples, name)
        with open(path, encoding="utf-8", errors="replace") as handle:
            expected = EXPECT.search(handle.read(4000))
        if expected is None:
            found.append(Finding(f"example {name}", False, "its first line must be `# expect: full-marks` or `# expect: <code>`"))
            continue
        copy = os.path.join(workdir, name)
        shutil.copyfile(path, copy)
        result = grade(locate(copy, exercise=pack.name), options)
        code = expected.group(1)
        held = result.full_marks if code == "full-marks" else (not result.full_marks and code in result.diagnoses)
        detail = "" if held else f"got {result.score:g}/{result.max_score:g}, diagnoses {sorted(set(result.diagnoses))}"
        found.append(Finding(f"example {name} gets {code}", held, detail))
    for item in pack.misconceptions:
        text = _with_misconception(pack, item)
        if text is None:
            found.append(Finding(f"misconception {item.id}", False, f"its `find` text is not in the reference's {item.function}"))
            continue
        result = graded(f"{pack.name}.py", text)
        held = not result.full_marks and item.code in result.diagnoses
        found.append(Finding(f"misconception {item.id} is found and named {item.code}", held, "" if held else f"got {sorted(set(result.diagnoses))}"))
    return found


def _with_misconception(pack: Pack, item: Any) -> Optional[str]:
    """The reference with one misconception applied: the submission a student making that mistake writes."""
    import textwrap

    text = pack.reference_text
    tree = ast.parse(text)
    definitions = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    lines = text.splitlines(keepends=True)

    def replaced(definition: ast.FunctionDef, new: str) -> str:
        return "".join(lines[: definition.lineno - 1]) + new.rstrip("\n") + "\n" + "".join(lines[definition.end_lineno or definition.lineno :])

    if item.source:
        definition = next((n for n in definitions if n.name == item.function), None)
        return None if definition is None else replaced(definition, textwrap.dedent(item.source).strip("\n"))
    # the change is made where the variant makes it: in the function, or in a helper it calls
    for definition in sorted(definitions, key=lambda n: n.name != item.function):
        segment = "".join(lines[definition.lineno - 1 : definition.end_lineno])
        if item.find in segment:
            return replaced(definition, segment.replace(item.find, item.replace))
    return None


# --------------------------------------------------------------------------
# every message names only what exists where it is shown

PARTS = ("title", "why", "fix", "hint")
COMMAND_LINE = {"grade", "init", "pack", "check"}


def _known_names() -> set[str]:
    import os as os_module
    import sys as sys_module

    import torch

    owners = (torch, torch.Tensor, torch.nn, torch.nn.Module, torch.nn.Linear(2, 1), torch.optim, torch.optim.Optimizer, torch.linalg, torch.nn.functional)
    names = set().union(*(dir(owner) for owner in owners)) | set(dir(builtins)) | set(keyword.kwlist) | set(dir(os_module)) | set(dir(sys_module))
    return names | {"os", "sys", "torch", "nn", "optim", "functional", "F", "numpy", "np"} | COMMAND_LINE


def _names_in(source: str) -> set[str]:
    try:
        return {t.string for t in tokenize.generate_tokens(io.StringIO(source).readline) if t.type == tokenize.NAME}
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", source))


def _quoted(text: str) -> set[str]:
    spans = re.findall(r"`([^`]+)`", text)
    return {name for span in spans for name in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", span)}


def sample_params(pack: Pack, function: str) -> dict[str, Any]:
    """Parameters as the checks of ``function`` fill them in, drawn from the pack itself."""
    spec = pack.function(function)
    lr = next((a.name for a in spec.args if a.role == "learning-rate"), None)
    epochs = next((a.name for a in spec.args if a.role == "epochs"), None)
    parameter = next((a.name for a in spec.args if a.role == "parameter"), None)
    data = [a.name for a in spec.args if a.role == "data"]
    return {
        "exercise": pack.name,
        "function": function,
        "name": lr or epochs or (spec.args[0].name if spec.args else function),
        "names": ", ".join(data) or function,
        "parameter": parameter or function,
        "argument": parameter or function,
        "missing": spec.requires.optimizer or spec.requires.loss or "torch.optim.SGD",
        "hint_code": "",
        "epoch": 3,
        "epochs": 30,
        "found": 12,
        "expected": 30,
        "factor": "2",
        "first": spec.args[0].name if spec.args else function,
        "second": spec.args[-1].name if spec.args else function,
    }


def message_findings(pack: Pack) -> list[Finding]:
    """Every diagnosis renders in both languages for every function, quoting only names that exist there."""
    from grader import messages

    known = _known_names() | _names_in(pack.reference_text)
    for setup in pack.setups.values():
        known |= _names_in(setup.code)
    codes = sorted({key.split(".")[1].split("@")[0] for key in messages.CATALOGUE if key.startswith("diagnosis.")})
    found: list[Finding] = []
    for function in pack.functions:
        spec = pack.function(function)
        names = known | {a.name for a in spec.args} | {v.name for v in spec.result if v.name}
        params = sample_params(pack, function)
        problems = []
        for code in codes:
            for lang in messages.LANGUAGES:
                for part in PARTS:
                    key = f"diagnosis.{code}.{part}"
                    if not messages.has(messages.resolve(key, params)):
                        continue
                    try:
                        text = messages.render(key, lang, **params)
                    except Exception as exc:  # a sentence that cannot be rendered is the finding
                        problems.append(f"{messages.resolve(key, params)} ({lang}) does not render: {exc}")
                        continue
                    quoted = _names_in(text) if part == "hint" else _quoted(text)
                    unknown = sorted(quoted - names)
                    if unknown:
                        problems.append(f"{messages.resolve(key, params)} ({lang}) quotes {unknown}")
        found.append(Finding(f"the messages of {function} render in English and Korean and quote only its names", not problems, "; ".join(problems[:6]) + (f"; and {len(problems) - 6} more" if len(problems) > 6 else "")))
    return found
