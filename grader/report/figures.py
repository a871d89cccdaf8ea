"""The report's figures: the lecture's pictures of training, the student's beside the reference.

Three inline SVGs per trajectory, as in the lecture's section 4 (B, C, D):
(a) the loss per epoch, (b) the data with the fitted line at the start and the
end, (c) the path of (w0, w1) over the contours of the loss surface with the
true W and the start marked.  Accumulating gradients, a wrong sign or too large
a learning rate each leave a shape there that a student recognises at once.

Figures are drawn on ``matplotlib.figure.Figure`` with the SVG canvas, never
through pyplot, so that rendering a report touches no global figure manager.
Style settings are applied inside a ``matplotlib.style.context`` (a process-wide
setting, restored on exit): reports are rendered one at a time.
"""
from __future__ import annotations

import contextlib
import io
import math
import re
import warnings
from dataclasses import dataclass
from typing import Iterator, Optional, Sequence

import matplotlib
import matplotlib.style
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, NullLocator

from grader.report.common import text
from grader.results import Trajectory

# The lecture's colours: data in C0, the fitted line in C1 (orange).
_YOURS = "#d95f02"
_REFERENCE = "#4d4d4d"
_DATA = "#1f77b4"
_TRUE = "#c00000"
_START = "#1f3fbf"
_BAD = "#c00000"

_STYLE = {
    # Text stays text: the browser draws Hangul with its own fonts, and the
    # SVG is a fraction of the size of glyph outlines.
    "svg.fonttype": "none",
    "font.size": 8.0,
    "axes.titlesize": 9.0,
    "axes.labelsize": 8.0,
    "xtick.labelsize": 7.0,
    "ytick.labelsize": 7.0,
    "legend.fontsize": 6.5,
    "legend.framealpha": 0.85,
    "axes.titlepad": 4.0,
    # A fixed title height: otherwise every draw measures the top axis to
    # place the title, a quarter of the figure's time.
    "axes.titley": 1.0,
    "lines.linewidth": 1.4,
    "path.simplify": True,
}
_SIZE = (3.5, 2.9)
# Beyond this distance from the view (in view widths) coordinates are clamped:
# the segment still leaves the view in nearly the right direction, and 1e30
# never reaches the SVG path clipper as an overflow.
_CLAMP = 1e4


@dataclass(frozen=True)
class SVGFigure:
    """One figure as an inline ``<svg>`` element (no XML prolog)."""

    kind: str
    title: str
    description: str
    svg: str


def trajectory_figures(trajectory: Trajectory, lang: str, key: str = "fig") -> list[SVGFigure]:
    """The loss, fitted-line and (w0, w1)-path figures of one trajectory.

    ``key`` makes the SVG element ids unique within a page (one per check).
    """
    return [
        loss_figure(trajectory, lang, f"{key}-loss"),
        fit_figure(trajectory, lang, f"{key}-fit"),
        path_figure(trajectory, lang, f"{key}-path"),
    ]


# ----------------------------------------------------------------------
# data helpers


def _values(seq: Sequence[Optional[float]]) -> np.ndarray:
    return np.array([np.nan if v is None else float(v) for v in seq], dtype=float)


def _points(seq: Sequence[tuple[Optional[float], Optional[float]]]) -> np.ndarray:
    out = np.full((len(seq), 2), np.nan)
    for i, pair in enumerate(seq):
        for j in range(2):
            v = pair[j] if j < len(pair) else None
            if v is not None:
                out[i, j] = float(v)
    out[~np.isfinite(out)] = np.nan
    return out


def _first_bad(values: np.ndarray) -> Optional[int]:
    bad = ~np.isfinite(values)
    if values.ndim == 2:
        bad = bad.any(axis=1)
    idx = np.flatnonzero(bad)
    return int(idx[0]) if idx.size else None


def _last_good(points: np.ndarray) -> Optional[int]:
    good = np.flatnonzero(np.isfinite(points).all(axis=1))
    return int(good[-1]) if good.size else None


def _short(value: float) -> str:
    return f"{value:.4g}" if math.isfinite(value) else "—"


def _vector(point: Optional[np.ndarray]) -> str:
    if point is None or not np.isfinite(point).all():
        return "—"
    return f"[{point[0]:.4g}, {point[1]:.4g}]"


def loss_grid(x: np.ndarray, y: np.ndarray, w0: np.ndarray, w1: np.ndarray, kind: str = "sse") -> np.ndarray:
    """The SSE (or MSE) of y ≈ w0 + w1·x at every (w0, w1) of a grid.

    Expanded into sums of x and y, so the cost is the grid's size, not the
    grid's size times the number of observations.
    """
    n = max(len(x), 1)
    sx, sy = float(x.sum()), float(y.sum())
    sxx, sxy, syy = float((x * x).sum()), float((x * y).sum()), float((y * y).sum())
    sse = syy - 2 * w0 * sy - 2 * w1 * sxy + n * w0**2 + 2 * w0 * w1 * sx + w1**2 * sxx
    sse = np.maximum(sse, 0.0)
    return sse / n if kind == "mse" else sse


def least_squares(x: np.ndarray, y: np.ndarray) -> Optional[np.ndarray]:
    """(X'X)^-1 X'y, the bottom of the loss surface (section 5 of the lecture)."""
    if len(x) < 2 or not np.isfinite(x).all() or not np.isfinite(y).all():
        return None
    X = np.stack([np.ones_like(x), x], axis=1)
    try:
        w, *_ = np.linalg.lstsq(X, y, rcond=None)
    except np.linalg.LinAlgError:
        return None
    return w if np.isfinite(w).all() else None


# ----------------------------------------------------------------------
# rendering


def _new_figure() -> tuple[Figure, Axes]:
    # Fixed margins: constrained layout would measure every label twice and
    # cost as much as drawing the figure.
    fig = Figure(figsize=_SIZE)
    fig.subplots_adjust(left=0.17, right=0.97, bottom=0.15, top=0.9)
    ax = fig.add_subplot()
    # Five ticks or so per axis are plenty at this size, and each tick is a
    # handful of artists to build and draw.
    ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
    ax.yaxis.set_major_locator(MaxNLocator(nbins=5))
    return fig, ax


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _power_of_ten(value: float, _pos: object = None) -> str:
    # Plain text '10³' instead of the default mathtext: mathtext is parsed
    # glyph by glyph and would double the time of a log-scaled figure.
    if value <= 0 or not math.isfinite(value):
        return ""
    exponent = math.log10(value)
    if abs(exponent - round(exponent)) > 1e-9:
        return ""
    return "10" + str(int(round(exponent))).translate(_SUPERSCRIPT)


_ID = re.compile(r'\bid="([^"]+)"')


def _to_svg(fig: Figure, key: str, title: str, description: str) -> str:
    buf = io.StringIO()
    FigureCanvasSVG(fig).print_svg(buf, metadata={"Date": None})
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"\s*<metadata>.*?</metadata>", "", svg, count=1, flags=re.S)
    # Several SVGs share one HTML document: every id (and every reference to
    # one, e.g. clip paths and markers) gets the figure's own prefix.
    prefix = re.sub(r"[^A-Za-z0-9_-]", "-", key)
    svg = _ID.sub(lambda m: f'id="{prefix}-{m.group(1)}"', svg)
    svg = svg.replace('href="#', f'href="#{prefix}-').replace("url(#", f"url(#{prefix}-")
    # Namespace declarations are implied inside HTML; dropping them leaves no
    # URL at all in the page.
    svg = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", svg)
    head_end = svg.index(">") + 1
    head = svg[:head_end - 1] + f' role="img" aria-labelledby="{prefix}-title {prefix}-desc">'
    meta = f'<title id="{prefix}-title">{_escape(title)}</title><desc id="{prefix}-desc">{_escape(description)}</desc>'
    return head + meta + svg[head_end:].rstrip() + "\n"


def _escape(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


@contextlib.contextmanager
def _drawing(salt: str) -> Iterator[None]:
    """The report's style for one figure, with glyph warnings muted
    (matplotlib measures Hangul with a Latin font; the browser draws it)."""
    with matplotlib.style.context(["default", {**_STYLE, "svg.hashsalt": salt}]), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def _mark_not_finite(ax: Axes, epochs: np.ndarray, bad: np.ndarray, lang: str, first_epoch: int) -> None:
    # Non-finite losses cannot be placed on the y axis: they are drawn as
    # crosses along the top edge, and named in the legend.
    trans = ax.get_xaxis_transform()
    ax.plot(epochs[bad], np.full(int(bad.sum()), 0.96), linestyle="none", marker="x", color=_BAD, markersize=5,
            transform=trans, clip_on=False, label=text("report.fig.not-finite", lang, epoch=first_epoch))


def loss_figure(trajectory: Trajectory, lang: str, key: str = "loss") -> SVGFigure:
    """(a) the loss per epoch, log-scaled when it spans more than two decades."""
    student = _values(trajectory.loss_student)
    reference = _values(trajectory.loss_reference)
    kind = trajectory.loss_kind.upper()
    title = text("report.fig.loss", lang)

    with _drawing(key):
        fig, ax = _new_figure()
        es = np.arange(1, len(student) + 1)
        er = np.arange(1, len(reference) + 1)
        finite = np.concatenate([student[np.isfinite(student)], reference[np.isfinite(reference)]])
        positive = finite[finite > 0]
        log = positive.size > 0 and positive.max() / positive.min() > 100.0
        if reference.size:
            ax.plot(er, reference, linestyle="--", color=_REFERENCE, marker=".", markersize=3,
                    label=text("report.fig.reference", lang))
        if student.size:
            ax.plot(es, student, linestyle="-", color=_YOURS, marker="o", markersize=2.5,
                    label=text("report.fig.yours", lang))
        bad = ~np.isfinite(student)
        first = _first_bad(student)
        if first is not None:
            _mark_not_finite(ax, es, bad, lang, int(es[first]))
        if log:
            ax.set_yscale("log", nonpositive="mask")
            ax.yaxis.set_major_formatter(FuncFormatter(_power_of_ten))
            ax.yaxis.set_minor_locator(NullLocator())
        ax.set_title(title)
        ax.set_xlabel(text("report.fig.epoch-axis", lang))
        ax.set_ylabel(text("report.fig.log-axis" if log else "report.fig.loss-axis", lang, kind=kind))
        if len(es) or len(er):
            ax.set_xlim(0.5, max(len(es), len(er)) + 0.5)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        ax.legend(loc="best")
        description = text(
            "report.fig.loss-desc", lang,
            first=_short(student[0]) if student.size else "—",
            last=_short(student[-1]) if student.size else "—",
            epochs=len(student),
            ref_first=_short(reference[0]) if reference.size else "—",
            ref_last=_short(reference[-1]) if reference.size else "—",
        )
        svg = _to_svg(fig, key, title, description)
    return SVGFigure("loss", title, description, svg)


def fit_figure(trajectory: Trajectory, lang: str, key: str = "fit") -> SVGFigure:
    """(b) the data with the fitted line of the start and of the last epoch."""
    x = _values(trajectory.x)
    y = _values(trajectory.y)
    student = _points(trajectory.w_student)
    reference = _points(trajectory.w_reference)
    title = text("report.fig.fit", lang)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]

    with _drawing(key):
        fig, ax = _new_figure()
        ax.plot(x, y, linestyle="none", marker="o", markersize=2.5, color=_DATA, alpha=0.55,
                label=text("report.fig.data", lang))
        xs = np.array([x.min(), x.max()]) if x.size else np.array([0.0, 1.0])
        start_src = reference if len(reference) else student
        start = start_src[0] if len(start_src) and np.isfinite(start_src[0]).all() else None
        sane = [y] if y.size else []
        if start is not None:
            line = start[0] + start[1] * xs
            ax.plot(xs, line, linestyle=":", color=_START, linewidth=1.2, label=text("report.fig.start-line", lang))
            sane.append(line)
        ref_end = _last_good(reference)
        if ref_end is not None:
            line = reference[ref_end, 0] + reference[ref_end, 1] * xs
            ax.plot(xs, line, linestyle="--", color=_REFERENCE,
                    label=text("report.fig.reference-end", lang, epoch=ref_end))
            sane.append(line)
        yours_end = _last_good(student)
        yours_line = None
        if yours_end is not None:
            yours_line = student[yours_end, 0] + student[yours_end, 1] * xs
        # The view shows the data and the sane lines; a student's line that
        # shoots off is cut at the edge rather than squashing the data flat.
        lo, hi = _span(np.concatenate(sane)) if sane else (-1.0, 1.0)
        if yours_line is not None:
            ylo, yhi = float(yours_line.min()), float(yours_line.max())
            width = hi - lo
            lo, hi = min(lo, max(ylo, lo - width)), max(hi, min(yhi, hi + width))
            ax.plot(xs, np.clip(yours_line, lo - _CLAMP * (hi - lo), hi + _CLAMP * (hi - lo)), linestyle="-",
                    color=_YOURS, linewidth=1.8, label=text("report.fig.yours-end", lang, epoch=yours_end))
        pad = 0.06 * (hi - lo)
        ax.set_ylim(lo - pad, hi + pad)
        ax.set_title(title)
        ax.set_xlabel("x")
        ax.set_ylabel("y")
        ax.legend(loc="upper left")
        description = text(
            "report.fig.fit-desc", lang,
            yours=_vector(student[yours_end] if yours_end is not None else None),
            reference=_vector(reference[ref_end] if ref_end is not None else None),
        )
        svg = _to_svg(fig, key, title, description)
    return SVGFigure("fit", title, description, svg)


def _span(values: np.ndarray) -> tuple[float, float]:
    values = values[np.isfinite(values)]
    if not values.size:
        return -1.0, 1.0
    lo, hi = float(values.min()), float(values.max())
    if hi - lo < 1e-9:
        lo, hi = lo - 1.0, hi + 1.0
    return lo, hi


def _view(core: np.ndarray, student: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """The (w0, w1) window: the reference's path, the start, the true W and the
    minimum, widened for the student's path as long as it stays within one
    more window's width; a path that runs away beyond that is cut off."""
    lo = np.nanmin(core, axis=0)
    hi = np.nanmax(core, axis=0)
    size = max(float((hi - lo).max()), 1.0)
    center = (lo + hi) / 2
    lo, hi = center - size / 2, center + size / 2
    reach_lo, reach_hi = lo - 3 * size, hi + 3 * size
    good = student[np.isfinite(student).all(axis=1)]
    inside = good[((good >= reach_lo) & (good <= reach_hi)).all(axis=1)]
    leaves = len(inside) < len(good)
    if len(inside):
        lo = np.minimum(lo, inside.min(axis=0))
        hi = np.maximum(hi, inside.max(axis=0))
    # A square window, so that the contours keep their true shape.
    size = float((hi - lo).max())
    center = (lo + hi) / 2
    margin = 0.08 * size
    half = size / 2 + margin
    return center - half, center + half, leaves


def path_figure(trajectory: Trajectory, lang: str, key: str = "path") -> SVGFigure:
    """(c) the path of (w0, w1) over the contours of the SSE/MSE surface."""
    x = _values(trajectory.x)
    y = _values(trajectory.y)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    student = _points(trajectory.w_student)
    reference = _points(trajectory.w_reference)
    kind = trajectory.loss_kind.upper()
    title = text("report.fig.path", lang)
    minimum = least_squares(x, y)
    start_src = reference if len(reference) else student
    start = start_src[0] if len(start_src) and np.isfinite(start_src[0]).all() else None
    true_w = np.array(trajectory.true_w, dtype=float) if trajectory.true_w is not None else None

    core_parts = [reference]
    for p in (start, true_w, minimum):
        if p is not None:
            core_parts.append(np.asarray(p, dtype=float).reshape(1, 2))
    core = np.concatenate(core_parts) if core_parts else np.zeros((1, 2))
    core = core[np.isfinite(core).all(axis=1)]
    if not len(core):
        good = student[np.isfinite(student).all(axis=1)]
        core = good[:1] if len(good) else np.zeros((1, 2))
    lo, hi, leaves = _view(core, student)

    with _drawing(key):
        fig, ax = _new_figure()
        if x.size:
            g0 = np.linspace(lo[0], hi[0], 70)
            g1 = np.linspace(lo[1], hi[1], 70)
            W0, W1 = np.meshgrid(g0, g1)
            surface = loss_grid(x, y, W0, W1, trajectory.loss_kind)
            bottom = float(loss_grid(x, y, minimum[0], minimum[1], trajectory.loss_kind)) if minimum is not None else float(surface.min())
            top = float(surface.max())
            if top > bottom:
                # Equal steps in sqrt(loss - min) give evenly spaced ellipses
                # for a quadratic surface.
                levels = bottom + (top - bottom) * np.linspace(0.0, 1.0, 14)[1:] ** 2
                ax.contour(W0, W1, surface, levels=levels, colors="#9aa7b8", linewidths=0.6)
        width = float((hi - lo).max())
        clamp_lo, clamp_hi = lo - _CLAMP * width, hi + _CLAMP * width
        if len(reference):
            ax.plot(reference[:, 0], reference[:, 1], linestyle="--", color=_REFERENCE, marker=".", markersize=3,
                    label=text("report.fig.reference", lang))
        if len(student):
            shown = np.clip(student, clamp_lo, clamp_hi)
            ax.plot(shown[:, 0], shown[:, 1], linestyle="-", color=_YOURS, marker="o", markersize=2.5, linewidth=1.1,
                    label=text("report.fig.yours", lang))
        if true_w is not None:
            ax.plot([true_w[0]], [true_w[1]], linestyle="none", marker="*", markersize=11, color=_TRUE,
                    markeredgecolor="white", markeredgewidth=0.5,
                    label=text("report.fig.true-w", lang, w0=float(true_w[0]), w1=float(true_w[1])))
        if start is not None:
            ax.plot([start[0]], [start[1]], linestyle="none", marker="s", markersize=6, color=_START,
                    markeredgecolor="white", markeredgewidth=0.5,
                    label=text("report.fig.start", lang, w0=float(start[0]), w1=float(start[1])))
        notes = []
        if leaves:
            good = student[np.isfinite(student).all(axis=1)]
            notes.append(text("report.fig.leaves-view", lang, size=float(np.abs(good).max())))
        first = _first_bad(student)
        if first is not None:
            notes.append(text("report.fig.not-finite", lang, epoch=first))
        if notes:
            ax.text(0.02, 0.02, "\n".join(notes), transform=ax.transAxes, fontsize=6.5, color=_BAD,
                    va="bottom", ha="left", bbox={"facecolor": "white", "edgecolor": _BAD, "alpha": 0.9, "pad": 2})
        ax.set_xlim(lo[0], hi[0])
        ax.set_ylim(lo[1], hi[1])
        ax.set_title(title)
        ax.set_xlabel("w₀")
        ax.set_ylabel("w₁")
        ax.legend(loc="upper right")
        yours_end = _last_good(student)
        ref_end = _last_good(reference)
        description = text(
            "report.fig.path-desc", lang, kind=kind,
            yours=_vector(student[yours_end] if yours_end is not None else None),
            reference=_vector(reference[ref_end] if ref_end is not None else None),
        )
        svg = _to_svg(fig, key, title, description)
    return SVGFigure("path", title, description, svg)
