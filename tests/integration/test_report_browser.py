"""The rendered page in real headless Chromium (Playwright driving the system browser).

Checks what only a browser can: no console error, not one network request (every request is
routed here and any URL that is not file: or data: fails the test), the key sections visible,
no injected script or dialog, and a phone-width layout without horizontal page scrolling.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from benchmarks.report.render import render_run
from benchmarks.report.site import render_site
from benchmarks.rundir.paths import mark_reports_root
from tests.conftest import CHROMIUM, chromium_or_skip
from tests.data.make_fixtures import SCRIPT
from tests.unit.report_fixtures import RUNS, copy_run

pytestmark = pytest.mark.browser
playwright: Any = None


@pytest.fixture(scope="module", autouse=True)
def _chromium_here() -> None:
    """Skip (saying why) where the browser is missing; fail where GRAPHBENCH_REQUIRE_CHROMIUM=1."""
    global playwright
    playwright = chromium_or_skip()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


class Watched:
    """A page whose console errors, page errors, dialogs and non-local requests are recorded."""

    def __init__(self, browser: Any, width: int = 1280, height: int = 900) -> None:
        self.page = browser.new_page(viewport={"width": width, "height": height})
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", self._dialog)

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(message.text)
        self.page.route("**/*", self._route)

    def _dialog(self, d: Any) -> None:
        self.dialogs.append(d.message)
        d.dismiss()

    def _route(self, route: Any) -> None:
        url = route.request.url
        if url.startswith(("file:", "data:")):
            route.continue_()
        else:
            self.requests.append(url)
            route.abort()

    def clean(self) -> None:
        assert self.errors == [], self.errors
        assert self.requests == [], self.requests
        assert self.dialogs == [], self.dialogs


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("reports")
    mark_reports_root(root)  # the site goes only into a reports root graphbench made
    for name in ("cpu-all-statuses", "gpu-failed", "gpu-h100-injection", "compare-base"):
        copy_run(name, root)
        render_run(root / name, generated_at="")
    render_run(root / "cpu-all-statuses", baseline=RUNS / "compare-base", generated_at="")
    render_site(root, generated_at="")
    return root


def test_gpu_failed_page_in_chromium(browser: Any, pages: Path, tmp_path: Path) -> None:
    w = Watched(browser)
    w.page.goto((pages / "gpu-failed" / "index.html").as_uri())
    for section in (
        "#headline",
        "#gpu",
        "#speedups",
        "#charts",
        "#matrix",
        "#first-call",
        "#overhead",
        "#environment",
        "#reproduce",
    ):
        assert w.page.locator(section).is_visible(), section
    assert "No NVIDIA kernel driver" in w.page.locator("#gpu h2").inner_text()
    assert "unavailable" in w.page.locator("#gpu-status").inner_text()
    assert w.page.locator("svg.chart").count() == 4
    assert w.page.locator('td[data-status="skipped"]').count() == 9
    shot = tmp_path / "gpu-failed.png"
    w.page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000
    w.clean()


def test_injection_strings_stay_text(browser: Any, pages: Path) -> None:
    w = Watched(browser)
    w.page.goto((pages / "gpu-h100-injection" / "index.html").as_uri())
    assert w.page.evaluate("document.querySelectorAll('script').length") == 0
    assert w.page.evaluate("document.querySelectorAll('img').length") == 0
    assert w.page.evaluate("typeof window.xssRan") == "undefined"
    procs = w.page.locator("td.gpu-procs").first.inner_text()
    assert SCRIPT in procs  # shown literally, as text
    env = w.page.locator("#environment details").last  # the env section, collapsed
    env.locator("summary").click()
    text = env.inner_text()
    assert "TF_XLA_FLAGS" in text and '<img src=x onerror="alert(document.domain)">' in text
    assert "ValueError: <img src=x" in w.page.locator("#cell-mlp-eager-b1-cpu").inner_text()
    w.page.wait_for_timeout(200)
    w.clean()


def test_all_pages_load_without_errors_or_requests(browser: Any, pages: Path) -> None:
    for page in [pages / "index.html", *sorted(pages.glob("*/index.html"))]:
        w = Watched(browser)
        w.page.goto(page.as_uri())
        assert w.page.locator("h1").is_visible()
        w.clean()
    w = Watched(browser)
    w.page.goto((pages / "cpu-all-statuses" / "index.html").as_uri())
    assert (
        w.page.locator("#compare").is_visible() and w.page.locator("#not-comparable").count() == 0
    )
    # links to the downloads resolve to files that exist next to the page
    for href in w.page.eval_on_selector_all("#reproduce a[download]", "a => a.map(x => x.href)"):
        assert Path(href.removeprefix("file://")).exists(), href
    w.clean()


def test_phone_width_is_readable(browser: Any, pages: Path, tmp_path: Path) -> None:
    w = Watched(browser, width=390, height=844)
    w.page.goto((pages / "cpu-all-statuses" / "index.html").as_uri())
    width = w.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 392, f"page scrolls sideways at phone width: {width}px"
    font = w.page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert font >= 14
    # charts keep a legible size and scroll sideways inside their own box
    svg_w = w.page.evaluate("document.querySelector('svg.chart').getBoundingClientRect().width")
    assert svg_w >= 540
    box_w = w.page.evaluate("document.querySelector('.plot').getBoundingClientRect().width")
    assert box_w <= 390
    w.page.screenshot(path=str(tmp_path / "phone.png"), full_page=False)
    w.clean()
    site = Watched(browser, width=390, height=844)
    site.page.goto((pages / "index.html").as_uri())
    assert site.page.evaluate("document.documentElement.scrollWidth") <= 392
    site.clean()


def test_print_layout_keeps_content(browser: Any, pages: Path, tmp_path: Path) -> None:
    w = Watched(browser)
    w.page.goto((pages / "gpu-failed" / "index.html").as_uri())
    w.page.emulate_media(media="print")
    assert not w.page.locator("nav.toc").is_visible()
    assert w.page.locator("#gpu").is_visible() and w.page.locator("#matrix").is_visible()
    pdf = tmp_path / "page.pdf"
    w.page.pdf(path=str(pdf))
    assert pdf.stat().st_size > 10_000
    w.clean()
