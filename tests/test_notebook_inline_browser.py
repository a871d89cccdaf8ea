"""The in-notebook report in a real browser, inside a notebook-like page with a dark theme of its own.

Driven as ``test_report_browser`` drives Chromium (skipped without one, unless
CI is set).  The checks: no script, no request, no console error; the report's
own colours win over the notebook's theme; the figures have a size; two
reports on one page keep their ids apart; the screenshot is not blank.
"""
from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Iterator

import pytest

import report_samples as samples
from grader.report.html import render_inline
from test_report_browser import Browser, _console_errors, _pixels, chromium_binary, _in_ci

pytestmark = pytest.mark.browser

# What a notebook front end puts around an output: its own (dark) theme, which must not leak in.
PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>notebook</title>
<style>
body {{ background: #1e1e1e; color: #d4d4d4; font-family: serif; margin: 0; padding: 16px; }}
.cell {{ margin: 0 0 12px 60px; }} .prompt {{ color: #888; font: 12px monospace; }}
table, td, th {{ color: #f0f; background: #333; border: 3px solid yellow; }}
pre {{ background: #000; color: #0f0; }}
</style></head><body>
<div class="cell"><div class="prompt">In [7]: %grade exercise2</div><div class="output">{first}</div></div>
<div class="cell"><div class="prompt">In [8]: check("exercise2")</div><div class="output">{second}</div></div>
</body></html>"""


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    binary = chromium_binary()
    if binary is None:
        message = "no Chromium found (install Debian's `chromium`, or set CHROMIUM=/path/to/chrome)"
        if _in_ci():
            pytest.fail(f"CI is set but {message}")
        pytest.skip(message)
    folder = tmp_path_factory.mktemp("inline")
    result = samples.grad_not_cleared()
    note = "In [3] defined `train`, but the notebook no longer holds that cell as it ran <script>alert(1)</script>"
    first = render_inline(result, "en", notes=(note,), key_prefix="out7")
    second = render_inline(result, "ko", key_prefix="out8")
    path = folder / "notebook.html"
    path.write_text(PAGE.format(first=first, second=second), encoding="utf-8")
    browser = Browser(binary, str(tmp_path_factory.mktemp("chromium-profile")))
    try:
        browser.send("Browser.getVersion", session=False)
        browser.open(path.as_uri(), width=900, height=1400)
        browser.url = path.as_uri()  # type: ignore[attr-defined]
        yield browser
    finally:
        browser.close()


def test_no_script_no_request_no_error(page: Browser) -> None:
    assert page.evaluate("document.readyState") == "complete"
    assert _console_errors(page) == []
    assert page.evaluate("document.scripts.length") == 0
    requested = [e["params"]["request"]["url"] for e in page.events if e.get("method") == "Network.requestWillBeSent"]
    assert requested == [page.url]  # type: ignore[attr-defined]


def test_the_report_keeps_its_own_colours_in_a_dark_notebook(page: Browser) -> None:
    colours = json.loads(page.evaluate(
        "JSON.stringify([...document.querySelectorAll('.grader-inline')].map(d => {"
        " const s = getComputedStyle(d); const td = getComputedStyle(d.querySelector('td'));"
        " const table = getComputedStyle(d.querySelector('table'));"
        " return [s.color, s.backgroundColor, td.color, table.borderTopColor, table.borderTopWidth]; }))"
    ))
    assert len(colours) == 2
    for color, background, cell, border, width in colours:
        assert background == "rgb(255, 255, 255)" and color == "rgb(27, 31, 36)"
        assert cell != "rgb(255, 0, 255)"
        assert border != "rgb(255, 255, 0)" or width == "0px"


def test_figures_have_a_size_and_ids_stay_apart(page: Browser) -> None:
    sizes = json.loads(page.evaluate(
        "JSON.stringify([...document.querySelectorAll('.grader-inline figure svg')].map(s => {"
        " const r = s.getBoundingClientRect(); return [r.width, r.height]; }))"
    ))
    assert len(sizes) == 6
    for width, height in sizes:
        assert width > 150 and height > 100, sizes
    duplicates = page.evaluate(
        "(() => { const ids = [...document.querySelectorAll('[id]')].map(e => e.id);"
        " return ids.length - new Set(ids).size; })()"
    )
    assert duplicates == 0
    missing = page.evaluate("[...document.querySelectorAll('a[href^=\"#\"]')].filter(a => !document.getElementById(a.getAttribute('href').slice(1))).length")
    assert missing == 0


def test_screenshot_of_the_output_is_not_blank(page: Browser) -> None:
    box = json.loads(page.evaluate("JSON.stringify(document.querySelector('.grader-inline').getBoundingClientRect())"))
    assert 400 < box["width"] <= 900
    clip = {"x": box["x"], "y": box["y"], "width": box["width"], "height": min(box["height"], 1300), "scale": 1}
    shot = base64.b64decode(page.send("Page.captureScreenshot", {"format": "png", "clip": clip, "captureBeyondViewport": True})["data"])
    target = os.environ.get("GRADER_SCREENSHOT")
    if target:
        Path(target).write_bytes(shot)
    image = _pixels(shot)
    rgb = image[..., :3].reshape(-1, 3)
    assert rgb.std() > 0.05
    assert len({tuple(p) for p in (rgb[::97] * 255).astype(int)}) > 20
    # The student's text stayed text.
    assert page.evaluate("document.body.innerText.includes('<script>alert(1)</script>')")
