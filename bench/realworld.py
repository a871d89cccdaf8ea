"""Measurement: how the grader does on held-out real-world mistakes (tests/realworld/).

Run: python bench/realworld.py [--only SUBSTRING] [--json PATH] [--verbose]

Each file in tests/realworld/exerciseN/ is a small submission written after a
public bug report or Q&A thread, with a header:

    # expect: <diagnosis code>  or  # expect: full-marks
    # cause: <what is actually wrong, in plain words>
    # cause-words: <words the feedback must mention, comma-separated; "a|b" = either; "-" = none>
    # inspired-by: <URL of the public report>

(a notebook carries the header in its first cell).  Each file is graded with
the current grader and scored twice:

* code right: the expected code is among the diagnoses of a submission below
  full marks (for `full-marks`: the submission gets full marks);
* message points at the cause: every cause-word appears, case-insensitively,
  as a whole word (a word ending in `*` is a stem: `diverg*` matches
  "divergent"), in the rendered English text of the failing checks (the diagnosis's title,
  why, fix and hint, and the check's own message, all through
  grader.messages.render) or in their diagnosis codes.  The student's own
  traceback, the minimal example and the divergence table are left out: they
  quote the student's code, not the grader's reading of it.  For a
  `full-marks` file there is nothing to point at: it counts as pointing at
  the cause exactly when it gets full marks.

It is a measurement, not a test (a held-out set is expected to have misses),
so it lives beside bench/speed.py and out of the test suite.  A file of an
exercise this grader does not know (exercise6 before exercise packs) is
skipped with a note and left out of the totals.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.execution.grading import Options, grade  # noqa: E402
from grader.intake.submission import UsageError, locate  # noqa: E402
from grader.messages import render  # noqa: E402
from grader.report.common import check_diagnosis, submission_diagnosis  # noqa: E402
from grader.results import GradeResult  # noqa: E402
from grader.worker.sandbox.limits import Limits  # noqa: E402

CORPUS = ROOT / "tests" / "realworld"
HEADER = re.compile(r"^\s*#\s*(expect|cause|cause-words|inspired-by):\s*(.*?)\s*$")
OPTIONS = Options(limits=Limits(timeout=30))


@dataclass
class Case:
    path: Path
    exercise: str
    expect: str
    cause: str
    cause_words: list[list[str]]  # all groups must match; any alternative within a group
    inspired_by: str


@dataclass
class Outcome:
    file: str
    expect: str
    cause: str
    inspired_by: str
    score: str = ""
    diagnoses: list[str] = field(default_factory=list)
    code_right: Optional[bool] = None
    points_at_cause: Optional[bool] = None
    missing_words: list[str] = field(default_factory=list)
    said: list[str] = field(default_factory=list)  # what the grader said instead, one line per failing check
    skipped: str = ""


def read_case(path: Path) -> Case:
    """The header of a corpus file; a notebook's is in its first cell."""
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        source = cells[0]["source"]
        lines = source if isinstance(source, list) else source.splitlines()
    else:
        lines = path.read_text(encoding="utf-8").splitlines()[:10]
    fields: dict[str, str] = {}
    for line in lines:
        match = HEADER.match(line)
        if match:
            fields[match.group(1)] = match.group(2)
    missing = {"expect", "cause", "cause-words", "inspired-by"} - set(fields)
    if missing:
        raise ValueError(f"{path}: header lacks {sorted(missing)}")
    words = fields["cause-words"].strip()
    groups = [] if words in ("", "-") else [[alt.strip() for alt in group.split("|") if alt.strip()] for group in words.split(",")]
    return Case(path, path.parent.name, fields["expect"], fields["cause"], [g for g in groups if g], fields["inspired-by"])


def failing_text(result: GradeResult) -> str:
    """The English text a student reads about what failed (see the module docstring)."""
    parts: list[str] = []
    whole = submission_diagnosis(result, "en")
    if whole is not None:
        parts += [whole.code or "", whole.title, whole.why, whole.fix, whole.hint or ""]
    for check in result.checks:
        if check.passed:
            continue
        text = check_diagnosis(check, "en")
        if text is not None:
            parts += [text.code or "", text.title, text.why, text.fix, text.hint or ""]
        if check.message is not None:
            try:
                parts.append(render(check.message, "en"))
            except KeyError:
                pass
    return "\n".join(p for p in parts if p)


def said(result: GradeResult) -> list[str]:
    """What the grader said about the failing checks: one line per distinct diagnosis and
    explanation (title and why, shortened), with the checks that said it."""
    seen: dict[tuple[Optional[str], str], list[str]] = {}
    for check in result.checks:
        if check.passed:
            continue
        text = check_diagnosis(check, "en")
        detail = "" if text is None else " ".join(p for p in (text.title, text.why) if p)
        detail = re.sub(r"\s+", " ", detail)[:400]
        seen.setdefault((check.diagnosis, detail), []).append(render(check.title, "en"))
    return [f"[{code}] {detail}  (checks: {'; '.join(titles)})" for (code, detail), titles in seen.items()]


def mentions(text: str, word: str) -> bool:
    """Whether ``text`` (lower case) mentions ``word`` as a whole word: "lr" is not found in
    "already", "0.25" not in "0.251"; a trailing ``*`` makes it a stem ("diverg*")."""
    stem = word.endswith("*")
    word = word.rstrip("*").lower()
    left = r"(?<!\w)" if re.match(r"\w", word) else ""
    right = r"(?!\w)" if re.search(r"\w$", word) and not stem else ""
    return re.search(left + re.escape(word) + right, text) is not None


def evaluate(case: Case, result: GradeResult) -> Outcome:
    out = Outcome(str(case.path.relative_to(ROOT)), case.expect, case.cause, case.inspired_by)
    out.score = f"{result.score:g}/{result.max_score:g}"
    out.diagnoses = list(result.diagnoses)
    if case.expect == "full-marks":
        out.code_right = result.full_marks
        out.points_at_cause = result.full_marks
    else:
        out.code_right = (not result.full_marks) and case.expect in result.diagnoses
        text = (failing_text(result) + "\n" + " ".join(result.diagnoses)).lower()
        out.missing_words = ["|".join(group) for group in case.cause_words if not any(mentions(text, alt) for alt in group)]
        out.points_at_cause = (not result.full_marks) and not out.missing_words
    if not (out.code_right and out.points_at_cause):
        out.said = said(result)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="grade only the files whose path contains this")
    parser.add_argument("--json", help="also write the outcomes to this JSON file (for before/after comparisons)")
    parser.add_argument("--verbose", action="store_true", help="print what the grader said for every miss")
    args = parser.parse_args()

    cases = [read_case(p) for p in sorted(CORPUS.glob("exercise*/*")) if p.suffix in (".py", ".ipynb")]
    if args.only:
        cases = [c for c in cases if args.only in str(c.path)]
    if not cases:
        print(f"no file in {CORPUS.relative_to(ROOT)} matches", file=sys.stderr)
        return 2

    from grader.execution.runner import prewarm

    submissions = []
    outcomes: list[Outcome] = []
    for case in cases:
        try:
            submissions.append((case, locate(str(case.path), exercise=case.exercise)))
        except UsageError as error:
            out = Outcome(str(case.path.relative_to(ROOT)), case.expect, case.cause, case.inspired_by)
            out.skipped = f"not gradable yet: {error}".split(". ")[0]
            outcomes.append(out)
    prewarm([s for _, s in submissions])

    start = time.perf_counter()
    for case, submission in submissions:
        outcomes.append(evaluate(case, grade(submission, OPTIONS)))
    elapsed = time.perf_counter() - start
    order = {str(c.path.relative_to(ROOT)): i for i, c in enumerate(cases)}
    outcomes.sort(key=lambda o: order[o.file])

    def mark(flag: Optional[bool]) -> str:
        return "-" if flag is None else ("yes" if flag else "NO")

    width = max(len(o.file) for o in outcomes)
    print(f"{'file':{width}}  {'expected':22} {'code':4} {'cause':5} {'score':7} diagnoses found")
    for o in outcomes:
        if o.skipped:
            print(f"{o.file:{width}}  {o.expect:22} {'skip':4} {'skip':5} {'':7} {o.skipped}")
            continue
        print(f"{o.file:{width}}  {o.expect:22} {mark(o.code_right):4} {mark(o.points_at_cause):5} {o.score:7} {', '.join(o.diagnoses) or '(none)'}")
        if o.missing_words:
            print(f"{'':{width}}  missing cause-words: {', '.join(o.missing_words)}")
        if args.verbose and o.said:
            for line in o.said:
                print(f"{'':{width}}    said: {line}")

    graded = [o for o in outcomes if not o.skipped]
    mistakes = [o for o in graded if o.expect != "full-marks"]
    code = sum(bool(o.code_right) for o in graded)
    cause = sum(bool(o.points_at_cause) for o in graded)
    print()
    print(f"code right {code}/{len(graded)}, message points at cause {cause}/{len(graded)}")
    print(f"  of which mistakes: code right {sum(bool(o.code_right) for o in mistakes)}/{len(mistakes)}, "
          f"message points at cause {sum(bool(o.points_at_cause) for o in mistakes)}/{len(mistakes)}; "
          f"correct variants with full marks {sum(bool(o.code_right) for o in graded if o.expect == 'full-marks')}/{len(graded) - len(mistakes)}")
    skipped = [o for o in outcomes if o.skipped]
    if skipped:
        print(f"  skipped {len(skipped)} file(s) of exercises this grader does not know yet ({', '.join(sorted({Path(o.file).parent.name for o in skipped}))})")
    print(f"  graded {len(graded)} file(s) in {elapsed:.0f} s")
    if args.json:
        Path(args.json).write_text(json.dumps([asdict(o) for o in outcomes], indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
