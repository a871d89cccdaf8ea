"""The class view (`summary.html`): what to re-teach on Monday.

The score distribution, the pass rate of each check, the most common
diagnoses with the students affected, and the submissions that could not be
graded.  One self-contained page, no JavaScript, no network.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Optional, Sequence

import jinja2

from grader.messages import render
from grader.report.common import cell_problem, diagnosis, points, render_message
from grader.report.html import code_spans
from grader.results import SUBMISSION_CODES, GradeResult, Message

if TYPE_CHECKING:
    from grader.report.changes import Change
    from grader.report.overrides import Applied


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("grader.report", "templates"), autoescape=True, trim_blocks=True, lstrip_blocks=True)
    # Catalogue sentences mark code with backticks: shown as <code>, never raw.
    env.filters["code_spans"] = code_spans
    return env


def _integral(values: Sequence[float]) -> bool:
    return all(float(v).is_integer() for v in values)


def histogram_svg(scores: Sequence[float], max_score: float, bins: int = 10) -> str:
    """Inline SVG bars of the score distribution.

    Integer scores out of at most 20 get one bar per score (0, 1, ..., max);
    otherwise ``bins`` equal ranges.  Labels use the report's one number format.
    """
    if max_score > 0 and _integral([*scores, max_score]) and max_score <= 20:
        edges = [(float(i), float(i)) for i in range(int(max_score) + 1)]
        labels = [points(i) for i, _ in edges]
    else:
        step = max_score / bins if max_score > 0 else 1.0
        edges = [(step * i, step * (i + 1)) for i in range(bins)]
        labels = [f"{points(a)}–{points(b)}" for a, b in edges]
    counts = [0] * len(edges)
    for score in scores:
        if edges[0][0] == edges[0][1]:  # one bar per integer score
            index = min(max(int(round(score)), 0), len(edges) - 1)
        else:
            index = min(max(int(score / max_score * len(edges)), 0), len(edges) - 1) if max_score > 0 else 0
        counts[index] += 1
    n = len(edges)
    width, height, bar = 420, 160, 420 / n
    top = max(counts) or 1
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + 30}" role="img" aria-labelledby="hist-title"><title id="hist-title">{render("report.summary.histogram", "en")}</title>']
    for i, count in enumerate(counts):
        h = height * count / top
        x = i * bar
        parts.append(f'<rect x="{x + 2:.1f}" y="{height - h:.1f}" width="{bar - 4:.1f}" height="{h:.1f}" fill="#4a78b0"><title>{count}</title></rect>')
        if count:
            parts.append(f'<text x="{x + bar / 2:.1f}" y="{height - h - 3:.1f}" font-size="11" text-anchor="middle">{count}</text>')
        parts.append(f'<text x="{x + bar / 2:.1f}" y="{height + 14}" font-size="10" text-anchor="middle">{labels[i]}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _title(code: Optional[str], message: Optional[Message], lang: str) -> str:
    text = diagnosis(code, message, lang)
    return text.title if text is not None else (code or "")


def render_summary(
    results: Sequence[tuple[str, GradeResult]],
    skipped: Sequence[tuple[str, str]],
    lang: str = "en",
    *,
    changes: "Optional[Sequence[Change]]" = None,
    overrides: "Sequence[tuple[str, Sequence[Applied]]]" = (),
    reports: str = "reports",
) -> str:
    """summary.html for ``results`` ((student, result) pairs, after the overrides) and the ``skipped`` files ((path, why)).

    The mean, the distribution, the pass rates and the common mistakes are over
    the graded submissions; those that could not be graded are counted and
    listed apart, and so are the files skipped: each list is as long as the
    count above it says.  ``changes`` (None: no earlier run) lists the scores
    that moved since the last run and why; ``overrides`` the scores a TA
    changed by hand.  Each student links to ``<reports>/<student>.html``.
    Diagnosis titles are worded with each student's own details (never an
    unfilled placeholder); code in titles is shown as <code>.
    """
    graded = [(s, r) for s, r in results if r.diagnosis not in SUBMISSION_CODES]
    ungraded = [(s, r.diagnosis, _title(r.diagnosis, r.message, lang)) for s, r in results if r.diagnosis in SUBMISSION_CODES]
    maxima = sorted({r.max_score for _, r in graded}) or sorted({r.max_score for _, r in results})
    max_score = max(maxima, default=0.0)
    passes: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    titles: dict[str, str] = {}
    diagnoses: Counter[str] = Counter()
    affected: dict[str, list[str]] = defaultdict(list)
    worded: dict[str, Counter[str]] = defaultdict(Counter)
    for student, result in graded:
        for check in result.checks:
            passes[check.name][1] += 1
            passes[check.name][0] += int(check.passed)
            titles.setdefault(check.name, render_message(check.title, lang) or check.name)
        # Each student's own wording of a diagnosis (its parameters filled in), once per student.
        mine: set[tuple[str, str]] = set()
        if result.diagnosis:
            mine.add((result.diagnosis, _title(result.diagnosis, result.message, lang)))
        for check in result.checks:
            if check.diagnosis and not check.passed:
                mine.add((check.diagnosis, _title(check.diagnosis, check.message, lang)))
        for code, title in mine:
            worded[code][title] += 1
        for code in result.diagnoses:
            diagnoses[code] += 1
            affected[code].append(student)
    rates = [(titles[name], done, total, 100.0 * done / total if total else 0.0) for name, (done, total) in passes.items()]
    common = [(code, [t for t, _ in worded[code].most_common(3)], count, sorted(affected[code])) for code, count in diagnoses.most_common()]
    scores = [r.score for _, r in graded]
    mean = sum(scores) / len(scores) if scores else 0.0
    counts = render(
        "report.summary.counts-graded",
        lang,
        count=len(results),
        graded=len(graded),
        mean=points(round(mean, 2)) if scores else "—",
        max_score=points(max_score),
        full=sum(1 for _, r in graded if r.full_marks),
        ungraded=len(ungraded),
    )
    if len(maxima) > 1:
        counts += " " + render("report.summary.mixed-max", lang, maxima=", ".join(points(m) for m in maxima))
    if skipped:
        counts += " " + render("report.summary.counts-skipped", lang, skipped=len(skipped))
    from grader.report.changes import signed, why

    titles_of = {s: {c.name: render_message(c.title, lang) or c.name for c in r.checks} for s, r in results}
    return _environment().get_template("summary.html.j2").render(
        lang=lang,
        t=lambda key, **p: render(key, lang, **p),
        counts=counts,
        histogram=histogram_svg(scores, max_score) if scores else "",
        rates=rates,
        common=common,
        ungraded=ungraded,
        skipped=skipped,
        students=sorted((s, points(r.score), points(r.max_score)) for s, r in results),
        reports=reports,
        changes=None if changes is None else [(c.student, points(c.before), points(c.after), signed(c.delta), why(c, lang)) for c in changes],
        overrides=[
            (student, titles_of.get(student, {}).get(a.check, render("report.summary.total", lang) if a.check == "total" else a.check), points(a.was), points(a.points), a.who, a.comment)
            for student, applied in overrides
            for a in applied
        ],
        cells=[(s, [cell_problem(c, lang) for c in r.run.cells]) for s, r in results if r.run.cells],
    )
