"""The HTML report: self-contained, linked, bilingual, and unbroken by odd input."""
from __future__ import annotations

import importlib.resources
import re
import time
from html.parser import HTMLParser
from typing import Optional

import numpy as np
import pytest

import report_samples as samples
from grader import messages
from grader.report import common, figures
from grader.report.html import render_html
from grader.results import Message

LANGS = ("en", "ko")
HANGUL = re.compile("[\uac00-\ud7a3]")


class Page(HTMLParser):
    """The parts of a page the tests look at: tags, attributes, ids, links."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, Optional[str]]]] = []
        self.ids: list[str] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, Optional[str]]]) -> None:
        d = dict(attrs)
        self.tags.append((tag, d))
        if d.get("id"):
            self.ids.append(d["id"] or "")

    handle_startendtag = handle_starttag

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def find(self, tag: str) -> list[dict[str, Optional[str]]]:
        return [a for t, a in self.tags if t == tag]


_CACHE: dict[tuple[str, str], str] = {}


def html(name: str, lang: str = "en") -> str:
    if (name, lang) not in _CACHE:
        _CACHE[name, lang] = render_html(samples.ALL[name](), lang)
    return _CACHE[name, lang]


ALL = [(name, lang) for name in samples.ALL for lang in LANGS]


@pytest.mark.parametrize("name,lang", ALL)
def test_self_contained(name: str, lang: str) -> None:
    text = html(name, lang)
    page = Page(text)
    tags = {t for t, _ in page.tags}
    assert not tags & {"script", "link", "img", "iframe", "object", "embed", "base", "audio", "video", "source"}
    for tag, attrs in page.tags:
        for key in ("src", "href", "xlink:href", "action", "data", "poster", "srcset"):
            value = attrs.get(key)
            if value is not None:
                assert value.startswith("#"), (tag, key, value)
        assert not (attrs.get("style") or "").count("url("), attrs
        assert not any(k.startswith("on") for k in attrs), (tag, attrs)
    assert "@import" not in text and "@font-face" not in text
    assert not re.search(r"url\(\s*['\"]?(?:https?:)?//", text)


@pytest.mark.parametrize("name,lang", ALL)
def test_structure(name: str, lang: str) -> None:
    text = html(name, lang)
    page = Page(text)
    assert text.startswith("<!DOCTYPE html>")
    assert page.find("html")[0]["lang"] == lang
    assert page.find("meta")[0].get("charset") == "utf-8"
    assert page.find("header") and page.find("main")
    assert len(page.ids) == len(set(page.ids)), "duplicate ids"
    for attrs in page.find("th"):
        assert attrs.get("scope") in ("col", "row")
    for attrs in page.find("a"):
        href = attrs.get("href") or ""
        assert href[1:] in page.ids, f"dangling link {href}"
    assert "@media print" in text and "@page" in text and "size: A4" in text


@pytest.mark.parametrize("lang", LANGS)
def test_failing_rows_link_to_their_details(lang: str) -> None:
    result = samples.ALL["grad_not_cleared"]()
    text = html("grad_not_cleared", lang)
    page = Page(text)
    for i, check in enumerate(result.checks):
        anchor = common.anchor(check, i)
        linked = f'href="#{anchor}"' in text
        assert linked == (not check.passed and not check.hidden), check.name
        if linked:
            detail = _section(text, anchor)
            diag = common.check_diagnosis(check, lang)
            assert diag is not None
            assert diag.title.replace("`", "") in _plain(detail)
            assert "<pre" in detail  # the hint and the example
    assert page.find("section")


def _section(text: str, anchor: str) -> str:
    start = text.index(f'id="{anchor}"')
    return text[start:text.index("</section>", start)]


def _plain(fragment: str) -> str:
    """Text with tags removed and entities decoded, as a reader sees it."""
    return "".join(Page(fragment).text)


@pytest.mark.parametrize("lang", LANGS)
def test_detail_order_and_divergence_table(lang: str) -> None:
    result = samples.ALL["grad_not_cleared"]()
    check = result.checks[0]
    detail = _section(html("grad_not_cleared", lang), common.anchor(check, 0))
    order = [
        detail.index(common.text("report.diagnosis", lang)),
        detail.index(common.text("report.divergence", lang)),
        detail.index(common.text("report.example", lang)),
    ]
    assert order == sorted(order)
    # The divergent row is highlighted and also named in words.
    row = re.search(r'<tr class="divergent">(.*?)</tr>', detail, re.S)
    assert row is not None
    assert common.text("report.first-divergence", lang) in row.group(1)
    assert check.divergence is not None
    assert re.search(rf">(▶ )?(</span>)?{check.divergence.step}</th>", row.group(1))
    assert detail.count("<svg") == 3 and detail.count("<title") == 3
    assert "from exercise2 import train" in detail


def test_checks_failing_the_same_way_share_one_detail() -> None:
    from dataclasses import replace

    result = samples.ALL["runtime_error"]()
    crash = result.checks[2]
    again = replace(crash, name="gradient-step-generated", title=Message("check.generated", {"function": "gradient_step"}), example="other()")
    result = replace(result, checks=result.checks + (again,))
    text = render_html(result, "en")
    first = common.anchor(crash, 2)
    assert text.count(f'id="{first}"') == 1
    assert common.anchor(again, 4) not in text
    assert text.count(f'href="#{first}"') == 4  # both rows: title and "details"
    detail = _section(text, first)
    assert "The same problem also fails these checks:" in detail
    assert "on generated data" in _plain(detail)
    assert detail.count("Traceback (your code)") == 1


def test_traceback_with_source_lines() -> None:
    text = html("runtime_error")
    assert "What.data = What.data - alpha * What.grad" in text
    assert "exercise1.py, line 40, in gradient_step" in text
    assert "TypeError: unsupported operand type(s) for *: &#39;float&#39; and &#39;NoneType&#39;" in text
    # The lecture's reading of the exception is added to the diagnosis.
    assert messages.render("error.none-grad", "en", exercise="exercise1").replace("`", "") in _plain(text)


def test_korean_report_is_korean() -> None:
    text = html("grad_not_cleared", "ko")
    body = _plain(text)
    assert "채점 결과" in body
    assert messages.render("diagnosis.grad-not-cleared.fix", "ko").replace("`", "") in body
    assert common.text("report.fig.loss", "ko") in text  # figure titles too
    assert len(HANGUL.findall(body)) > 200
    assert "What went wrong" not in body


def test_hidden_check_shows_title_and_points_only() -> None:
    result = samples.ALL["grad_not_cleared"]()
    hidden = next(c for c in result.checks if c.hidden)
    for lang in LANGS:
        text = html("grad_not_cleared", lang)
        assert "SECRET-HIDDEN-EXAMPLE" not in text
        row = next(r for r in re.findall(r"<tr class=\"fail hidden\">.*?</tr>", text, re.S))
        assert common.check_title(hidden, lang).replace("`", "") in _plain(row)
        assert "0/3" in row and "href" not in row
        assert common.text("report.hidden", lang) in row
        assert text.count(common.text("report.hidden-failed", lang)) == 1


def test_non_finite_values_do_not_crash() -> None:
    for lang in LANGS:
        text = html("non_finite", lang)
        assert "—" in text and "NaN" not in _plain(text).replace("NaN/", "")
        assert text.count("<svg") == 3  # the first failing check with a trajectory is drawn, not every one
    # A trajectory made only of gaps still draws.
    figs = figures.trajectory_figures(samples.non_finite().checks[1].trajectory, "en")  # type: ignore[arg-type]
    assert len(figs) == 3 and all(f.svg.startswith("<svg") for f in figs)


def test_ungraded_submission() -> None:
    text = html("timeout")
    body = _plain(text)
    assert common.text("report.submission-problem", "en") in body
    assert "the submission ran out of time" in body
    # Every check failed with the submission's own diagnosis: said once, linked to it.
    assert body.count("the submission ran out of time") == 1
    assert text.count('href="#submission"') == 6
    # Protections the machine lacks concern the instructor (the command line's stderr), not the student.
    assert "Sandbox protections" not in body and "RLIMIT_NPROC" not in body
    assert "123,456,789 bytes omitted" in body
    assert "spawned, not forked" in body


def test_syntax_error_without_checks() -> None:
    body = _plain(html("syntax_error"))
    assert "the file has a syntax error on line 12" in body
    assert "No checks ran." in body
    assert "for epoc in range(epochs)" in body


def test_notebook_cells_listed() -> None:
    body = _plain(html("notebook", "ko"))
    # Jupyter's numbers, as the captured output shows them.
    assert "셀 In [3]" in body and "셀 In [7]" in body and "시간 초과" in body
    assert "NameError: name 'X' is not defined" in body


def test_hostile_text_is_escaped() -> None:
    text = html("hostile")
    assert "<script>" not in text and "</pre><script>" not in text
    assert "&lt;script&gt;" in text
    assert "<b>" not in text and "&lt;b&gt;not bold&lt;/b&gt;" in text
    assert "&lt;img src=http://example.com/x.png&gt;" in text
    # An unknown diagnosis code falls back to the check's own message.
    assert "the loss at epoch 3: yours is 1.5" in _plain(text)
    # Non-finite wall time: no 'nan s' in the footer.
    assert "nan" not in _plain(text).lower().split("graded in")[-1][:20]


def test_control_characters_are_shown_not_emitted() -> None:
    text = html("timeout")
    assert "\x00" not in text and "\x1b" not in text
    assert "␀" in text and "␛[31m" in text


def test_full_marks_shows_one_training() -> None:
    text = html("full_marks")
    assert text.count("<svg") == 3
    assert "Every check passed" in text
    assert 'class="detail' not in text


def test_figures_can_be_left_out() -> None:
    text = render_html(samples.ALL["grad_not_cleared"](), "en", figures=False)
    assert "<svg" not in text


def test_svg_figures_are_accessible_and_clean() -> None:
    figs = figures.trajectory_figures(samples.ALL["grad_not_cleared"]().checks[0].trajectory, "en", key="k")  # type: ignore[arg-type]
    assert [f.kind for f in figs] == ["loss", "fit", "path"]
    for f in figs:
        assert f.svg.startswith("<svg") and "<?xml" not in f.svg and "DOCTYPE" not in f.svg
        assert 'role="img"' in f.svg
        assert f"<title id=\"k-{f.kind}-title\">{f.title}</title>" in f.svg
        assert "http" not in f.svg
        ids = re.findall(r'\bid="([^"]+)"', f.svg)
        assert all(i.startswith(f"k-{f.kind}-") for i in ids)
        for ref in re.findall(r'(?:href="#|url\(#)([^")]+)', f.svg):
            assert ref in ids


def test_figures_are_deterministic() -> None:
    traj = samples.ALL["grad_not_cleared"]().checks[0].trajectory
    assert traj is not None
    assert figures.trajectory_figures(traj, "en") == figures.trajectory_figures(traj, "en")


def test_loss_axis_is_logarithmic_only_for_wide_ranges() -> None:
    wide = samples.ALL["grad_not_cleared"]().checks[0].trajectory
    assert wide is not None
    assert "log scale" in figures.loss_figure(wide, "en").svg
    narrow = samples.full_marks().checks[0].trajectory
    assert narrow is not None
    flat = narrow.__class__(**{**narrow.__dict__, "loss_student": (30.0, 28.0, 27.0), "loss_reference": (30.0, 28.0, 26.5)})
    assert "log scale" not in figures.loss_figure(flat, "en").svg


def test_path_view_is_clipped_when_the_student_diverges() -> None:
    core = np.array([[-5.0, 10.0], [2.5, 4.0]])
    student = np.array([[-5.0, 10.0], [130.0, -110.0], [1e30, -1e30], [np.nan, np.nan]])
    lo, hi, leaves = figures._view(core, student)
    assert leaves
    assert (hi - lo).max() < 100
    calm = np.array([[-5.0, 10.0], [-3.0, 8.0], [6.0, 1.0]])
    lo, hi, leaves = figures._view(core, calm)
    assert not leaves and lo[0] <= -5 and hi[0] >= 6


def test_loss_grid_matches_the_lecture_formula() -> None:
    x, y = samples.lecture_data()
    x, y = x.astype(float), y.astype(float)
    w0, w1 = np.array([[-5.0, 2.5]]), np.array([[10.0, 4.0]])
    direct = np.array([[np.sum((y - a - b * x) ** 2) for a, b in zip(w0[0], w1[0])]])
    assert np.allclose(figures.loss_grid(x, y, w0, w1, "sse"), direct, rtol=1e-9)
    assert np.allclose(figures.loss_grid(x, y, w0, w1, "mse"), direct / len(x), rtol=1e-9)


def test_figure_rendering_is_fast() -> None:
    traj = samples.ALL["grad_not_cleared"]().checks[0].trajectory
    assert traj is not None
    figures.trajectory_figures(traj, "en")  # fonts and styles loaded once per process
    best = min(_timed(lambda: figures.trajectory_figures(traj, "ko")) for _ in range(3))
    # The budget is 0.3 s per check; the margin absorbs slow CI machines.
    assert best < 0.6, f"{best:.3f} s per check"


def _timed(fn: object) -> float:
    start = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - start


def test_template_ships_with_the_package() -> None:
    template = importlib.resources.files("grader.report").joinpath("templates/report.html.j2")
    assert template.is_file()


def test_report_labels_have_both_languages() -> None:
    keys = [k for k in messages.CATALOGUE if k.startswith("report.")]
    assert keys
    for key in keys:
        en, ko = messages.CATALOGUE[key]
        assert en.strip() and ko.strip(), key
        assert messages.fields(en) == messages.fields(ko), key
        assert en != ko or not HANGUL.search(ko), key


def test_every_label_the_report_uses_exists() -> None:
    template = importlib.resources.files("grader.report").joinpath("templates/report.html.j2").read_text(encoding="utf-8")
    import grader.report as package

    sources = [template]
    for module in ("html", "figures", "common", "junit", "gradescope", "github"):
        sources.append(importlib.resources.files(package).joinpath(f"{module}.py").read_text(encoding="utf-8"))
    used = set()
    for source in sources:
        used |= set(re.findall(r"[\"'](report\.[a-z.-]+[a-z])[\"']", source))
    assert used
    missing = sorted(k for k in used if not messages.has(k))
    assert not missing, missing
