"""The class view (`summary.html`): what to re-teach on Monday.

The score distribution, the pass rate of each check, the most common
diagnoses with the students affected, and the submissions that could not be
graded.  One self-contained page, no JavaScript, no network.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from typing import Optional, Sequence

import jinja2

from grader.messages import render
from grader.report.common import cell_problem, diagnosis
from grader.results import SUBMISSION_CODES, GradeResult, Message



def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.PackageLoader("grader.report", "templates"), autoescape=True, trim_blocks=True, lstrip_blocks=True)


def histogram_svg(scores: Sequence[float], max_score: float, bins: int = 10) -> str:
    """Inline SVG bars of the score distribution."""
    counts = [0] * bins
    for score in scores:
        index = min(int(score / max_score * bins), bins - 1) if max_score > 0 else 0
        counts[index] += 1
    width, height, bar = 420, 160, 420 / bins
    top = max(counts) or 1
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + 30}" role="img" aria-labelledby="hist-title"><title id="hist-title">{render("report.summary.histogram", "en")}</title>']
    for i, count in enumerate(counts):
        h = height * count / top
        x = i * bar
        parts.append(f'<rect x="{x + 2:.1f}" y="{height - h:.1f}" width="{bar - 4:.1f}" height="{h:.1f}" fill="#4a78b0"><title>{count}</title></rect>')
        if count:
            parts.append(f'<text x="{x + bar / 2:.1f}" y="{height - h - 3:.1f}" font-size="11" text-anchor="middle">{count}</text>')
        parts.append(f'<text x="{x + bar / 2:.1f}" y="{height + 14}" font-size="10" text-anchor="middle">{max_score * i / bins:g}–{max_score * (i + 1) / bins:g}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _title(code: Optional[str], message: Optional[Message], lang: str) -> str:
    text = diagnosis(code, message, lang)
    return text.title if text is not None else (code or "")


def render_summary(results: Sequence[tuple[str, GradeResult]], skipped: Sequence[tuple[str, str]], lang: str = "en") -> str:
    graded = [(s, r) for s, r in results if r.diagnosis not in SUBMISSION_CODES]
    ungraded = [(s, r.diagnosis, _title(r.diagnosis, r.message, lang)) for s, r in results if r.diagnosis in SUBMISSION_CODES]
    max_score = max((r.max_score for _, r in results), default=0.0)
    passes: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    titles: dict[str, str] = {}
    diagnoses: Counter[str] = Counter()
    affected: dict[str, list[str]] = defaultdict(list)
    for student, result in results:
        for check in result.checks:
            passes[check.name][1] += 1
            passes[check.name][0] += int(check.passed)
            titles.setdefault(check.name, render(check.title, lang))
        for code in result.diagnoses:
            diagnoses[code] += 1
            affected[code].append(student)
    rates = [(titles[name], done, total, 100.0 * done / total if total else 0.0) for name, (done, total) in passes.items()]
    common = [(code, _title(code, None, lang), count, sorted(affected[code])) for code, count in diagnoses.most_common()]
    scores = [r.score for _, r in results]
    return _environment().get_template("summary.html.j2").render(
        lang=lang,
        t=lambda key, **p: render(key, lang, **p),
        count=len(results),
        graded=len(graded),
        mean=sum(scores) / len(scores) if scores else 0.0,
        max_score=max_score,
        histogram=histogram_svg(scores, max_score) if results else "",
        rates=rates,
        common=common,
        ungraded=ungraded,
        skipped=skipped,
        students=sorted((s, r.score, r.max_score) for s, r in results),
        cells=[(s, [cell_problem(c, lang) for c in r.run.cells]) for s, r in results if r.run.cells],
    )
