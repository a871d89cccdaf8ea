"""The HTML report in a real browser: headless Chromium, driven over the DevTools protocol.

No Python dependency: Chromium's ``--remote-debugging-pipe`` speaks the
protocol as NUL-separated JSON on file descriptors 3 (commands in) and 4
(replies out).  The checks: the page loads with no console error and no
network request, the figures have a rendered size, a screenshot is not blank,
and the page prints on A4.

Skipped when no Chromium is installed, unless CI is set: there it fails, so a
CI image that lost its browser does not pass silently.  Debian: ``apt-get
install -y chromium``.
"""
from __future__ import annotations

import base64
import io
import json
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Iterator, Optional

import pytest

import report_samples as samples
from grader.report.html import render_html

pytestmark = pytest.mark.browser

_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--hide-scrollbars",
    "--mute-audio",
    "--remote-debugging-pipe",
)
_TIMEOUT = 30.0

# Puts the pipe ends at fds 3 and 4 of the browser, whatever their numbers
# here: Popen keeps fd numbers, and Chromium insists on 3 and 4.
_TRAMPOLINE = """
import fcntl, os, sys
r = fcntl.fcntl(int(sys.argv[1]), fcntl.F_DUPFD_CLOEXEC, 10)
w = fcntl.fcntl(int(sys.argv[2]), fcntl.F_DUPFD_CLOEXEC, 10)
os.dup2(r, 3)
os.dup2(w, 4)
os.execv(sys.argv[3], sys.argv[3:])
"""


def chromium_binary() -> Optional[str]:
    for name in (os.environ.get("CHROMIUM"), *_NAMES):
        if name:
            path = shutil.which(name)
            if path:
                return path
    return None


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


class Browser:
    """A headless Chromium and one page, over the DevTools pipe."""

    def __init__(self, binary: str, profile: str) -> None:
        to_browser_r, self._out = os.pipe()
        self._in, from_browser_w = os.pipe()
        self._log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _TRAMPOLINE, str(to_browser_r), str(from_browser_w), binary, *_FLAGS, f"--user-data-dir={profile}", "about:blank"],
            pass_fds=(to_browser_r, from_browser_w),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=self._log,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next = 0
        self.events: list[dict[str, Any]] = []
        self.session: Optional[str] = None

    # -- protocol ---------------------------------------------------------

    def send(self, method: str, params: Optional[dict[str, Any]] = None, session: bool = True) -> dict[str, Any]:
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        os.write(self._out, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str) -> dict[str, Any]:
        for event in self.events:
            if event.get("method") == method:
                return event
        while True:
            event = self._read()
            self.events.append(event)
            if event.get("method") == method:
                return event

    def _read(self) -> dict[str, Any]:
        deadline = time.monotonic() + _TIMEOUT
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no reply from the browser; its log:\n{self.log()}")
            ready, _, _ = select.select([self._in], [], [], left)
            if ready:
                chunk = os.read(self._in, 1 << 20)
                if not chunk:
                    raise RuntimeError(f"the browser closed the pipe; its log:\n{self.log()}")
                self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def log(self) -> str:
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")[-4000:]

    # -- page -------------------------------------------------------------

    def open(self, url: str, width: int = 1100, height: int = 1000) -> None:
        target = self.send("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True}, session=False)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable")
        self.send("Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        self.send("Page.navigate", {"url": url})
        self.wait_for("Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"])
        return result["result"].get("value")

    def close(self) -> None:
        try:
            self.send("Browser.close", session=False)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._in, self._out):
            try:
                os.close(fd)
            except OSError:
                pass
        self._log.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    binary = chromium_binary()
    if binary is None:
        message = "no Chromium found (install Debian's `chromium`, or set CHROMIUM=/path/to/chrome)"
        if _in_ci():
            pytest.fail(f"CI is set but {message}")
        pytest.skip(message)
    b = Browser(binary, str(tmp_path_factory.mktemp("chromium-profile")))
    try:
        b.send("Browser.getVersion", session=False)
        yield b
    finally:
        b.close()


@pytest.fixture(scope="module")
def report(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Browser:
    """The richest sample (failures with figures, a hidden check, output), in Korean."""
    path: Path = tmp_path_factory.mktemp("report") / "exercise2.report.html"
    path.write_text(render_html(samples.grad_not_cleared(), "ko"), encoding="utf-8")
    browser.open(path.as_uri())
    browser.url = path.as_uri()  # type: ignore[attr-defined]
    return browser


def _console_errors(browser: Browser) -> list[str]:
    errors = []
    for event in browser.events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            errors.append(json.dumps(params.get("args")))
        elif method == "Runtime.exceptionThrown":
            errors.append(json.dumps(params.get("exceptionDetails")))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            errors.append(params["entry"].get("text", ""))
    return errors


def test_page_loads_without_console_errors_or_requests(report: Browser) -> None:
    assert report.evaluate("document.readyState") == "complete"
    assert _console_errors(report) == []
    requested = [e["params"]["request"]["url"] for e in report.events if e.get("method") == "Network.requestWillBeSent"]
    assert requested == [report.url]  # type: ignore[attr-defined]
    assert report.evaluate("document.documentElement.lang") == "ko"
    assert report.evaluate("document.scripts.length") == 0


def test_figures_have_a_rendered_size(report: Browser) -> None:
    sizes = report.evaluate(
        "JSON.stringify([...document.querySelectorAll('figure svg')].map(s => {"
        " const r = s.getBoundingClientRect(); return [r.width, r.height]; }))"
    )
    sizes = json.loads(sizes)
    assert len(sizes) == 3
    for width, height in sizes:
        assert width > 150 and height > 100, sizes
    # The anchors of the summary reach their sections.
    missing = report.evaluate("[...document.querySelectorAll('a[href^=\"#\"]')].filter(a => !document.getElementById(a.getAttribute('href').slice(1))).length")
    assert missing == 0


def _pixels(png: bytes) -> Any:
    import matplotlib.image

    return matplotlib.image.imread(io.BytesIO(png), format="png")


def test_screenshot_is_not_blank(report: Browser) -> None:
    shot = base64.b64decode(report.send("Page.captureScreenshot", {"format": "png"})["data"])
    image = _pixels(shot)
    assert image.shape[0] >= 900 and image.shape[1] >= 1000
    rgb = image[..., :3].reshape(-1, 3)
    assert rgb.std() > 0.05
    assert len({tuple(p) for p in (rgb[::97] * 255).astype(int)}) > 20
    # The first figure itself, captured where it lies on the page.
    box = json.loads(report.evaluate("JSON.stringify(document.querySelector('figure svg').getBoundingClientRect())"))
    clip = {"x": box["x"], "y": box["y"] + report.evaluate("window.scrollY"), "width": box["width"], "height": box["height"], "scale": 1}
    figure = _pixels(base64.b64decode(report.send("Page.captureScreenshot", {"format": "png", "clip": clip, "captureBeyondViewport": True})["data"]))
    ink = (figure[..., :3].mean(axis=2) < 0.9).mean()
    assert 0.01 < ink < 0.6, ink


def test_prints_on_a4(report: Browser) -> None:
    pdf = base64.b64decode(report.send("Page.printToPDF", {"preferCSSPageSize": True, "printBackground": True})["data"])
    assert pdf.startswith(b"%PDF")
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    assert boxes
    for width, height in boxes:
        # A4 is 595.28 x 841.89 points.
        assert abs(float(width) - 595.3) < 2 and abs(float(height) - 841.9) < 2, (width, height)
    assert _console_errors(report) == []
