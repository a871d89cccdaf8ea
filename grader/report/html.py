"""The HTML report: one self-contained page per submission.

Everything is inline (CSS, SVG figures); the page runs no script and fetches
nothing, so it can be opened from a CI artifact, mailed, or printed on A4.
"""
from __future__ import annotations

import html as _html
import re
from dataclasses import dataclass, field, replace
from typing import Any, Optional

import jinja2
from markupsafe import Markup

from grader import messages
from grader.report import common
from grader.report.common import DiagnosisText
from grader.results import CheckResult, Divergence, GradeResult, Output, StepRow, StudentError


@dataclass(frozen=True)
class Row:
    """One row of the divergence table, formatted."""

    step: int
    label: str
    student: str
    reference: str
    difference: str
    divergent: bool


@dataclass(frozen=True)
class CheckView:
    """A check as the template shows it: words decided, numbers formatted."""

    check: CheckResult
    anchor: str
    title: str
    points: str
    detail: bool
    diagnosis: Optional[DiagnosisText] = None
    divergence: Optional[Divergence] = None
    rows: tuple[Row, ...] = ()
    figures: tuple[object, ...] = ()
    error: Optional[StudentError] = None
    linked: bool = False
    also: tuple[str, ...] = ()

    @property
    def link(self) -> Optional[str]:
        """Where the summary row points: its own detail, or the submission's."""
        return self.anchor if self.detail or self.linked else None


SUBMISSION_ANCHOR = "submission"


@dataclass(frozen=True)
class Page:
    result: GradeResult
    lang: str
    verdict: str
    score: str
    max_score: str
    checks: tuple[CheckView, ...]
    details: tuple[CheckView, ...]
    submission_diagnosis: Optional[DiagnosisText]
    notices: tuple[str, ...]
    passed_figures: tuple[object, ...] = field(default=())
    percent: Optional[float] = None


_ENV: Optional[jinja2.Environment] = None


def _environment() -> jinja2.Environment:
    global _ENV
    if _ENV is None:
        # PackageLoader reads through importlib.resources, so the template is
        # found in an installed wheel as well as in a checkout.
        env = jinja2.Environment(
            loader=jinja2.PackageLoader("grader.report", "templates"),
            autoescape=jinja2.select_autoescape(["html", "j2"], default=True),
            trim_blocks=True,
            lstrip_blocks=True,
            undefined=jinja2.StrictUndefined,
        )
        env.filters["code_spans"] = code_spans
        env.filters["visible"] = visible
        _ENV = env
    return _ENV


_TICKS = re.compile(r"`([^`]+)`")


def code_spans(value: str) -> Markup:
    """Catalogue sentences mark code with backticks; show it as <code>."""
    escaped = _html.escape(str(value), quote=False)
    return Markup(_TICKS.sub(r"<code>\1</code>", escaped))


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def visible(value: str) -> str:
    """Captured output with its control characters shown, not interpreted
    (a stray NUL or terminal escape would otherwise vanish or garble a line)."""
    value = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub(lambda m: chr(0x2421) if m.group() == "\x7f" else chr(0x2400 + ord(m.group())), value)


def _rows(divergence: Divergence) -> tuple[Row, ...]:
    rows: tuple[StepRow, ...] = divergence.rows
    if not rows:
        # A divergence without context rows still has its own step to show.
        rows = (StepRow(divergence.step, divergence.label, divergence.student, divergence.reference, True),)
    return tuple(
        Row(
            step=r.step,
            label=r.label,
            student=common.number(r.student),
            reference=common.number(r.reference),
            difference=common.number(common.difference(r)),
            divergent=r.divergent,
        )
        for r in rows
    )


def _view(check: CheckResult, index: int, result: GradeResult, lang: str, figures: bool, key_prefix: str = "") -> CheckView:
    title = common.check_title(check, lang)
    pts = f"{common.points(check.score)}/{common.points(check.max_score)}"
    anchor = common.anchor(check, index)
    if check.passed or check.hidden:
        # Hidden checks stay opaque whatever happened: title and points only.
        return CheckView(check, anchor, title, pts, detail=False)
    if common.repeats_submission(check, result):
        return CheckView(check, SUBMISSION_ANCHOR, title, pts, detail=False, linked=True)
    figs: tuple[object, ...] = ()
    if figures and check.trajectory is not None:
        from grader.report.figures import trajectory_figures  # matplotlib only when a figure is drawn

        figs = tuple(trajectory_figures(check.trajectory, lang, key=key_prefix + anchor))
    return CheckView(
        check,
        anchor,
        title,
        pts,
        detail=True,
        diagnosis=common.check_diagnosis(check, lang),
        divergence=check.divergence,
        rows=_rows(check.divergence) if check.divergence else (),
        figures=figs,
        error=check.error,
    )


def _merge_repeats(views: tuple[CheckView, ...]) -> tuple[CheckView, ...]:
    """One detail for checks that failed the same way.

    A NameError in gradient_step fails five checks with one diagnosis and one
    traceback; the first shows it and lists the others, whose rows link there.
    A check with its own divergence or figures always keeps its own detail.
    """
    out = list(views)
    first: dict[tuple[object, ...], int] = {}
    also: dict[int, list[str]] = {}
    for i, view in enumerate(out):
        if not view.detail:
            continue
        key = (view.check.diagnosis, view.diagnosis, view.check.error)
        if key in first and view.check.divergence is None and view.check.trajectory is None:
            j = first[key]
            out[i] = replace(view, detail=False, linked=True, anchor=out[j].anchor)
            also.setdefault(j, []).append(view.title)
        else:
            first.setdefault(key, i)
    for j, titles in also.items():
        out[j] = replace(out[j], also=tuple(titles))
    return tuple(out)


def _notices(result: GradeResult, lang: str) -> tuple[str, ...]:
    # Sandbox protections missing on the machine concern the instructor: the
    # command line says so on stderr (grader.cli.main), never in a student's report.
    notes = []
    if result.run.start_method == "spawn":
        notes.append(common.text("start.spawn", lang))
    return tuple(notes)


def build_page(result: GradeResult, lang: str, *, figures: bool = True, key_prefix: str = "", notices: tuple[str, ...] = ()) -> Page:
    """The report of ``result`` as the templates show it (words decided, figures drawn).

    Figures are drawn for the first failing check that carries a trajectory; when every
    check passed, for the first check with one (the lecture's data), so that a
    full-marks report still shows the training it rewards.  ``key_prefix`` keeps the
    SVG ids of several reports on one page (a notebook's outputs) apart.  ``notices``
    are sentences already in ``lang`` shown under the score (an instructor's override).
    """
    lang = lang if lang in messages.LANGUAGES else "en"
    # Figures for the first failing check that has a trajectory only: it is the
    # picture of the mistake (the lecture's data when that check fails), and
    # drawing the same mistake again for every check costs more than it shows.
    drawn = next((c for c in result.checks if not c.passed and not c.hidden and c.trajectory is not None), None)
    views = _merge_repeats(tuple(_view(c, i, result, lang, figures and c is drawn, key_prefix) for i, c in enumerate(result.checks)))
    passed_figures: tuple[object, ...] = ()
    if figures and result.checks and all(c.passed for c in result.checks):
        shown = next((c for c in result.checks if c.trajectory is not None and not c.hidden), None)
        if shown is not None and shown.trajectory is not None:
            from grader.report.figures import trajectory_figures

            passed_figures = tuple(trajectory_figures(shown.trajectory, lang, key=f"{key_prefix}passed"))
    return Page(
        result=result,
        lang=lang,
        verdict=common.verdict(result, lang),
        score=common.points(result.score),
        max_score=common.points(result.max_score),
        checks=views,
        details=tuple(v for v in views if v.detail),
        submission_diagnosis=common.submission_diagnosis(result, lang),
        notices=_notices(result, lang) + tuple(notices),
        passed_figures=passed_figures,
        percent=_percent(result),
    )


def render_html(result: GradeResult, lang: str, *, figures: bool = True, notices: tuple[str, ...] = ()) -> str:
    """The report page of ``result`` in ``lang`` ("en" or "ko"); see :func:`build_page`."""
    lang = lang if lang in messages.LANGUAGES else "en"
    page = build_page(result, lang, figures=figures, notices=notices)
    template = _environment().get_template("report.html.j2")
    return common.clean(template.render(**_context(result, lang, page)))


def _context(result: GradeResult, lang: str, page: Any) -> dict[str, Any]:
    """What both report templates (the page and the notebook fragment) are rendered with."""

    def t(key: str, **params: object) -> str:
        return common.text(key, lang, **params)

    return {
        "page": page,
        "t": t,
        "submission_anchor": SUBMISSION_ANCHOR,
        "ungraded": common.is_ungraded(result),
        "omitted": _omitted,
        "error_line": common.error_line,
        "cell_label": lambda cell: common.cell_label(cell, lang),
        "finite": common.finite,
        "wall_time": common.finite(result.run.wall_time, -1.0),
    }


def _percent(result: GradeResult) -> Optional[float]:
    total = common.finite(result.max_score)
    if total <= 0:
        return None
    return round(min(max(common.finite(result.score) / total * 100.0, 0.0), 100.0), 1)


def _omitted(output: Output) -> bool:
    return output.dropped > 0


def render_inline(result: GradeResult, lang: str, *, notes: tuple[str, ...] = (), key_prefix: str = "g") -> str:
    """The report of an in-notebook check (``grader.cli.inline``): an HTML fragment for an output cell.

    The same content as :func:`render_html`, inside one ``<div>`` whose styles are
    scoped to it (the notebook's own styles and dark themes do not leak in, and
    its ones do not leak out), with no script: Jupyter, JupyterLab, VS Code and
    Colab render it alike.  ``notes`` are sentences already in ``lang`` (the
    check's warnings about the kernel's history); ``key_prefix`` makes the ids of
    this output unique among the notebook's other outputs.
    """
    lang = lang if lang in messages.LANGUAGES else "en"
    prefix = re.sub(r"[^A-Za-z0-9_-]", "-", key_prefix) + "-"
    page = build_page(result, lang, key_prefix=prefix)
    template = _environment().get_template("inline.html.j2")
    return common.clean(template.render(**_context(result, lang, page), prefix=prefix, notes=notes))
